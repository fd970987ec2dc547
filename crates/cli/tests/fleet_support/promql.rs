//! Just enough PromQL lexing to list the metric names and label names an expression uses.

/// Metric names (selectors and bare names) and label names (in matchers and in
/// `by`/`without`/`on`/`ignoring`/`group_*` lists) that `expr` refers to.
pub fn references(expr: &str) -> (Vec<String>, Vec<String>) {
    const KEYWORDS: [&str; 6] = ["offset", "or", "and", "unless", "bool", "inf"];
    // Aggregations may be followed by `by (...)` before their parenthesis.
    const AGGREGATIONS: [&str; 12] = [
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "stddev",
        "stdvar",
        "group",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
    ];
    const LABEL_LISTS: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let (mut metrics, mut labels) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            i = skip_string(&chars, i);
        } else if c == '[' {
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let next = chars.get(j).copied();
            if LABEL_LISTS.contains(&word.as_str()) && next == Some('(') {
                let end = chars[j..]
                    .iter()
                    .position(|c| *c == ')')
                    .map_or(chars.len(), |p| j + p);
                let list: String = chars[j + 1..end].iter().collect();
                labels.extend(
                    list.split(',')
                        .map(|l| l.trim().to_owned())
                        .filter(|l| !l.is_empty()),
                );
                i = end + 1;
            } else if next == Some('(')
                || KEYWORDS.contains(&word.as_str())
                || AGGREGATIONS.contains(&word.as_str())
            {
                // A function, an aggregation or a keyword.
            } else {
                metrics.push(word);
                if next == Some('{') {
                    i = matchers(&chars, j, &mut labels);
                }
            }
        } else if c == '{' {
            i = matchers(&chars, i, &mut labels);
        } else {
            i += 1;
        }
    }
    (metrics, labels)
}

/// Reads `{label op "value", ...}` starting at `{`; returns the index after `}`.
fn matchers(chars: &[char], open: usize, labels: &mut Vec<String>) -> usize {
    let mut i = open + 1;
    let mut name = String::new();
    while i < chars.len() && chars[i] != '}' {
        let c = chars[i];
        if c == '"' || c == '\'' {
            i = skip_string(chars, i);
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            name.push(c);
        } else if !name.is_empty() {
            labels.push(std::mem::take(&mut name));
        }
        i += 1;
    }
    i + 1
}

fn skip_string(chars: &[char], open: usize) -> usize {
    let quote = chars[open];
    let mut i = open + 1;
    while i < chars.len() && chars[i] != quote {
        if chars[i] == '\\' {
            i += 1;
        }
        i += 1;
    }
    i + 1
}

/// Metric names and label names in a Prometheus text exposition.
pub fn exposition(
    text: &str,
) -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    let (mut metrics, mut labels) = (Default::default(), Default::default());
    let (m, l): (
        &mut std::collections::BTreeSet<String>,
        &mut std::collections::BTreeSet<String>,
    ) = (&mut metrics, &mut labels);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let end = line.find(['{', ' ']).unwrap_or(line.len());
        m.insert(line[..end].to_owned());
        if line[end..].starts_with('{') {
            let chars: Vec<char> = line[end..].chars().collect();
            let mut found = Vec::new();
            matchers(&chars, 0, &mut found);
            l.extend(found);
        }
    }
    (metrics, labels)
}

#[test]
fn lexer_finds_metrics_and_labels() {
    let (m, l) = references(
        r#"sum by (a, b) (rate(x_total{c="1",d=~"$v"}[5m])) / on(e) y offset 5m or vector(0)"#,
    );
    assert_eq!(m, ["x_total", "y"]);
    assert_eq!(l, ["a", "b", "c", "d", "e"]);
}
