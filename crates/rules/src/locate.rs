//! Where things are in a rule file, for semantic errors (serde reports only syntax and type
//! errors with a position). A small indentation scanner of the block-style YAML rule files use:
//! the position of each rule item and of each key inside it (`window`, `match.classes`). Flow
//! style (`{...}`) falls back to the enclosing key's position.

use std::collections::HashMap;

/// 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Default)]
pub struct Locator {
    /// Position of the `rules:` key.
    rules_key: Option<Pos>,
    /// Per rule item: its `-` and its keys (dotted for nested ones).
    items: Vec<(Pos, HashMap<String, Pos>)>,
}

impl Locator {
    pub fn scan(text: &str) -> Locator {
        let mut loc = Locator::default();
        let mut item_indent: Option<usize> = None;
        let mut key_indent: Option<usize> = None;
        let mut parent: Option<(usize, String)> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split(" #").next().unwrap_or("");
            let trimmed = content.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = content.len() - trimmed.len();
            if indent == 0 {
                item_indent = None;
                if let Some(key) = key_of(trimmed) {
                    if key == "rules" {
                        loc.rules_key = Some(Pos { line, col: 1 });
                        item_indent = Some(usize::MAX);
                    }
                }
                continue;
            }
            let Some(items_at) = item_indent else {
                continue;
            };
            let is_item = trimmed.starts_with("- ") || trimmed == "-";
            if is_item && (items_at == usize::MAX || indent == items_at) {
                item_indent = Some(indent);
                let after = trimmed[1..].trim_start();
                let key_col = indent + (trimmed.len() - after.len());
                key_indent = Some(key_col);
                parent = None;
                let mut keys = HashMap::new();
                if let Some(key) = key_of(after) {
                    keys.insert(
                        key.to_string(),
                        Pos {
                            line,
                            col: key_col + 1,
                        },
                    );
                }
                loc.items.push((
                    Pos {
                        line,
                        col: indent + 1,
                    },
                    keys,
                ));
                continue;
            }
            let (Some(key_at), Some((_, keys))) = (key_indent, loc.items.last_mut()) else {
                continue;
            };
            let Some(key) = key_of(trimmed) else { continue };
            let pos = Pos {
                line,
                col: indent + 1,
            };
            if indent == key_at {
                keys.insert(key.to_string(), pos);
                parent = Some((indent, key.to_string()));
            } else if let Some((p_indent, p_key)) = &parent {
                if indent > *p_indent {
                    keys.entry(format!("{p_key}.{key}")).or_insert(pos);
                }
            }
        }
        loc
    }

    /// Position of `key` (e.g. `window`, `match.classes`) in rule `index`, falling back to the
    /// parent key, then the rule item, then the `rules:` key, then the file start.
    pub fn find(&self, index: usize, key: &str) -> Pos {
        let Some((item, keys)) = self.items.get(index) else {
            return self.rules_key.unwrap_or(Pos { line: 1, col: 1 });
        };
        let mut k = key;
        loop {
            if let Some(p) = keys.get(k) {
                return *p;
            }
            match k.rfind('.') {
                Some(i) => k = &k[..i],
                None => return *item,
            }
        }
    }
}

/// Where every key of a block-style YAML document is, by dotted path (`route.routes.0.receiver`;
/// sequence items by index), for errors about any YAML file, not only rule files (the
/// notification config uses it). Flow style (`{...}`, `[...]`) is not entered: look such keys up
/// with [`find_path`], which falls back to the nearest enclosing key.
pub fn key_paths(text: &str) -> HashMap<String, Pos> {
    struct Frame {
        indent: usize,
        path: String,
        /// A key whose value is nested (true) or a sequence item (false).
        is_key: bool,
        items: usize,
    }
    let mut out = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    // Inside a block scalar (`|`, `>`): lines indented past this are text, not keys.
    let mut scalar_above: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split(" #").next().unwrap_or("");
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let mut indent = content.len() - trimmed.len();
        if let Some(limit) = scalar_above {
            if indent > limit {
                continue;
            }
            scalar_above = None;
        }
        let mut rest = trimmed;
        while rest == "-" || rest.starts_with("- ") {
            while stack
                .last()
                .is_some_and(|f| f.indent > indent || (f.indent == indent && !f.is_key))
            {
                stack.pop();
            }
            let Some(parent) = stack.last_mut() else {
                break;
            };
            let path = format!("{}.{}", parent.path, parent.items);
            parent.items += 1;
            out.entry(path.clone()).or_insert(Pos {
                line,
                col: indent + 1,
            });
            stack.push(Frame {
                indent,
                path,
                is_key: false,
                items: 0,
            });
            let after = rest[1..].trim_start();
            indent += rest.len() - after.len();
            rest = after;
        }
        let Some(key) = yaml_key(rest) else { continue };
        while stack.last().is_some_and(|f| f.indent >= indent) {
            stack.pop();
        }
        let path = match stack.last() {
            Some(parent) => format!("{}.{key}", parent.path),
            None => key.to_string(),
        };
        out.entry(path.clone()).or_insert(Pos {
            line,
            col: indent + 1,
        });
        let value = rest[rest.find(':').map_or(rest.len(), |c| c + 1)..].trim();
        if value.is_empty() {
            stack.push(Frame {
                indent,
                path,
                is_key: true,
                items: 0,
            });
        } else if value.starts_with('|') || value.starts_with('>') {
            scalar_above = Some(indent);
        }
    }
    out
}

/// The position of `path` in `paths` (from [`key_paths`]), else of its nearest ancestor, else
/// the file's start.
pub fn find_path(paths: &HashMap<String, Pos>, path: &str) -> Pos {
    let mut p = path;
    loop {
        if let Some(pos) = paths.get(p) {
            return *pos;
        }
        match p.rfind('.') {
            Some(i) => p = &p[..i],
            None => return Pos { line: 1, col: 1 },
        }
    }
}

/// A YAML mapping key at the start of `text` (plain or quoted), when `text` is `key:` or
/// `key: value`.
fn yaml_key(text: &str) -> Option<&str> {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote) {
            let end = inner.find(quote)?;
            let after = &inner[end + 1..];
            return after.starts_with(':').then_some(&inner[..end]);
        }
    }
    key_of(text)
}

/// `key:` or `key: value` → `key`.
fn key_of(text: &str) -> Option<&str> {
    let end = text.find(':')?;
    let key = text[..end].trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (ok && text[end + 1..].chars().next().is_none_or(|c| c == ' ')).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_items_and_nested_keys() {
        let text = "# rules\nrules:\n  - name: A\n    kind: any\n    match:\n      classes: [billing]\n  - name: B\n    window: 5m\n";
        let loc = Locator::scan(text);
        assert_eq!(loc.find(0, "kind"), Pos { line: 4, col: 5 });
        assert_eq!(loc.find(0, "match.classes"), Pos { line: 6, col: 7 });
        assert_eq!(loc.find(0, "name"), Pos { line: 3, col: 5 });
        assert_eq!(loc.find(1, "window"), Pos { line: 8, col: 5 });
        assert_eq!(loc.find(1, "threshold"), Pos { line: 7, col: 3 });
        assert_eq!(loc.find(5, "x"), Pos { line: 2, col: 1 });
    }

    #[test]
    fn key_paths_follow_nesting_and_both_sequence_styles() {
        let text = "route:\n  receiver: a\n  routes:\n  - matchers: ['x=\"1\"']\n    receiver: b\n  - receiver: c\n    routes:\n      - receiver: d\nreceivers:\n- name: a\n  webhook_configs:\n    - url: http://x\n      text: |\n        body: not a key\n      max_alerts: 1\n";
        let p = key_paths(text);
        assert_eq!(p["route.receiver"], Pos { line: 2, col: 3 });
        assert_eq!(p["route.routes.0.matchers"], Pos { line: 4, col: 5 });
        assert_eq!(p["route.routes.1.receiver"], Pos { line: 6, col: 5 });
        assert_eq!(
            p["route.routes.1.routes.0.receiver"],
            Pos { line: 8, col: 9 }
        );
        assert_eq!(p["receivers.0.name"], Pos { line: 10, col: 3 });
        assert_eq!(
            p["receivers.0.webhook_configs.0.max_alerts"],
            Pos { line: 15, col: 7 }
        );
        assert!(!p.contains_key("receivers.0.webhook_configs.0.body"));
        assert_eq!(
            find_path(&p, "receivers.0.webhook_configs.0.nothing"),
            Pos { line: 12, col: 5 }
        );
    }
}
