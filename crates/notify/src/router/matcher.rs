//! Label matchers in Alertmanager's syntax: `name="value"`, `name!="value"`, `name=~"regex"`,
//! `name!~"regex"` (quotes optional). A missing label matches as the empty string, and
//! `alertname` is the rule name.

use std::fmt;

use regex_lite::Regex;

use callwatch_core::alert::Alert;

/// In Alertmanager's order (its route keys sort matchers by name, value, then operator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl MatchOp {
    fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    /// Anchored (`^(?:…)$`), as Alertmanager anchors its regex matchers.
    regex: Option<Regex>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("matcher {text:?}: {reason}; write name=\"value\", name!=\"value\", name=~\"regex\" or name!~\"regex\"")]
pub struct MatcherError {
    pub text: String,
    pub reason: String,
}

impl Matcher {
    pub fn new(name: &str, op: MatchOp, value: &str) -> Result<Matcher, MatcherError> {
        let err = |reason: String| MatcherError {
            text: format!("{name}{}{value}", op.as_str()),
            reason,
        };
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !valid_name {
            return Err(err(format!("label name {name:?} is not [A-Za-z0-9_.]+")));
        }
        let regex = match op {
            MatchOp::Regex | MatchOp::NotRegex => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| err(format!("bad regex: {}", first_line(&e.to_string()))))?,
            ),
            _ => None,
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            regex,
        })
    }

    pub fn equal(name: &str, value: &str) -> Matcher {
        Matcher {
            name: name.to_string(),
            op: MatchOp::Equal,
            value: value.to_string(),
            regex: None,
        }
    }

    pub fn parse(text: &str) -> Result<Matcher, MatcherError> {
        let trimmed = text.trim();
        let at = trimmed.find(['=', '!']).ok_or_else(|| MatcherError {
            text: text.to_string(),
            reason: "no operator".into(),
        })?;
        let (name, rest) = trimmed.split_at(at);
        let (op, value) = if let Some(v) = rest.strip_prefix("=~") {
            (MatchOp::Regex, v)
        } else if let Some(v) = rest.strip_prefix("!~") {
            (MatchOp::NotRegex, v)
        } else if let Some(v) = rest.strip_prefix("!=") {
            (MatchOp::NotEqual, v)
        } else if let Some(v) = rest.strip_prefix('=') {
            (MatchOp::Equal, v)
        } else {
            return Err(MatcherError {
                text: text.to_string(),
                reason: "no operator".into(),
            });
        };
        let value = value.trim();
        let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            // Quoted: Go-style escapes, as Alertmanager's parser reads them.
            Some(inner) => unescape(inner),
            None => value.to_string(),
        };
        Matcher::new(name.trim(), op, &value).map_err(|mut e| {
            e.text = text.to_string();
            e
        })
    }

    /// One string of Alertmanager's `matchers:` list: one or more matchers, comma-separated,
    /// optionally in braces (`{severity="critical", alertname=~"Billing.*"}`); commas inside
    /// quoted values are part of the value.
    pub fn parse_list(text: &str) -> Result<Vec<Matcher>, MatcherError> {
        let trimmed = text.trim();
        let inner = match trimmed.strip_prefix('{') {
            Some(rest) => rest.strip_suffix('}').ok_or_else(|| MatcherError {
                text: text.to_string(),
                reason: "an opening { without a closing }".into(),
            })?,
            None => trimmed,
        };
        let mut out = Vec::new();
        let mut piece = String::new();
        let mut quoted = false;
        let mut escaped = false;
        for c in inner.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ',' if !quoted => {
                    if !piece.trim().is_empty() {
                        out.push(Matcher::parse(&piece)?);
                    }
                    piece.clear();
                    continue;
                }
                _ => {}
            }
            piece.push(c);
        }
        if quoted {
            return Err(MatcherError {
                text: text.to_string(),
                reason: "a quoted value is not closed".into(),
            });
        }
        if !piece.trim().is_empty() {
            out.push(Matcher::parse(&piece)?);
        }
        if out.is_empty() {
            return Err(MatcherError {
                text: text.to_string(),
                reason: "no matcher".into(),
            });
        }
        Ok(out)
    }

    pub fn matches(&self, alert: &Alert) -> bool {
        let actual = label(alert, &self.name).unwrap_or("");
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => actual == self.value,
            (MatchOp::NotEqual, _) => actual != self.value,
            (MatchOp::Regex, Some(re)) => re.is_match(actual),
            (MatchOp::NotRegex, Some(re)) => !re.is_match(actual),
            // Built only through `new`/`parse`, which always compile the regex.
            (MatchOp::Regex | MatchOp::NotRegex, None) => false,
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:?}", self.name, self.op.as_str(), self.value)
    }
}

pub fn all_match(matchers: &[Matcher], alert: &Alert) -> bool {
    matchers.iter().all(|m| m.matches(alert))
}

/// A label as matchers and grouping see it: `alertname` is the rule, `severity` falls back to
/// the alert's severity.
pub fn label<'a>(alert: &'a Alert, name: &str) -> Option<&'a str> {
    match name {
        "alertname" => Some(&alert.rule),
        "severity" => Some(
            alert
                .labels
                .get("severity")
                .map(String::as_str)
                .unwrap_or(alert.severity.as_str()),
        ),
        _ => alert.labels.get(name).map(String::as_str),
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_operator_with_and_without_quotes() {
        let m = Matcher::parse(r#"alertname="BillingOutage""#).unwrap();
        assert_eq!(
            (m.name.as_str(), m.op, m.value.as_str()),
            ("alertname", MatchOp::Equal, "BillingOutage")
        );
        assert_eq!(Matcher::parse("a!=b").unwrap().op, MatchOp::NotEqual);
        assert_eq!(Matcher::parse("a=~b|c").unwrap().op, MatchOp::Regex);
        assert_eq!(
            Matcher::parse(r#"a !~ "x.*""#).unwrap().op,
            MatchOp::NotRegex
        );
    }

    #[test]
    fn bad_matchers_say_what_is_wrong() {
        let e = Matcher::parse("alertname").unwrap_err();
        assert!(e.to_string().contains("no operator"), "{e}");
        let e = Matcher::parse("class=~(").unwrap_err();
        assert!(e.to_string().contains("bad regex"), "{e}");
        assert!(Matcher::parse("=x").is_err());
    }
}
