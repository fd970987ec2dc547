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
}
