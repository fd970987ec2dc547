//! The price table: USD per million tokens for each token kind of each model, shipped as
//! `prices.toml` (with the date it was read and where from) and overridable from a file or
//! `[prices]` in callwatch.toml.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::TokenCounts;

/// The table shipped with callwatch.
pub const EMBEDDED_PRICES: &str = include_str!("prices.toml");
/// The only unit a table may declare.
pub const PRICE_UNIT: &str = "USD per million tokens";

/// One model's rates, USD per million tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    /// Base (uncached) input tokens.
    pub input: f64,
    pub output: f64,
    /// Cache hits and refreshes.
    pub cache_read: f64,
    /// Cache writes with the 5-minute TTL.
    pub cache_write_5m: f64,
    /// Cache writes with the 1-hour TTL.
    pub cache_write_1h: f64,
}

impl Price {
    /// What `tokens` cost at these rates, in USD.
    pub fn cost_usd(&self, tokens: &TokenCounts) -> f64 {
        (tokens.input as f64 * self.input
            + tokens.output as f64 * self.output
            + tokens.cache_read as f64 * self.cache_read
            + tokens.cache_write_5m as f64 * self.cache_write_5m
            + tokens.cache_write_1h as f64 * self.cache_write_1h)
            / 1e6
    }

    /// What reading `tokens.cache_read` from the cache saved against sending them as input.
    pub fn cache_savings_usd(&self, tokens: &TokenCounts) -> f64 {
        tokens.cache_read as f64 * (self.input - self.cache_read) / 1e6
    }
}

/// A price table: rows by model id, with where and when the prices were read.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceTable {
    /// When the prices were read (`YYYY-MM-DD`).
    pub as_of: time::Date,
    /// Where they were read.
    pub source: String,
    /// By model id as the API names it, without a snapshot date (`claude-sonnet-4-5`).
    pub models: BTreeMap<String, Price>,
}

/// Every problem of a price table, one per line, each naming the file and line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PriceError(pub String);

const FIELDS: [&str; 5] = [
    "input",
    "output",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
];

impl PriceTable {
    /// The table shipped with callwatch (`prices.toml`, checked by a test).
    pub fn embedded() -> &'static PriceTable {
        static TABLE: OnceLock<PriceTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            PriceTable::parse(EMBEDDED_PRICES, "prices.toml").unwrap_or_else(|_| PriceTable {
                // Unreachable while the shipped-table test passes; never panic on it anyway.
                as_of: time::Date::MIN,
                source: String::new(),
                models: BTreeMap::new(),
            })
        })
    }

    /// A whole table: `as_of`, `source`, `unit` and `[models.<id>]` rows.
    pub fn parse(text: &str, source: &str) -> Result<PriceTable, PriceError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            PriceError(format!("{source}:{line}: {}", e.message().trim()))
        })?;
        let mut problems = Vec::new();
        let at = |key: &str| format!("{source}:{}", line_of(text, key));
        let as_of = match table.get("as_of") {
            Some(toml::Value::String(s)) => parse_date(s).or_else(|| {
                problems.push(format!(
                    "{}: as_of = {s:?}: expected a date, YYYY-MM-DD",
                    at("as_of")
                ));
                None
            }),
            Some(toml::Value::Datetime(d)) => {
                d.date.and_then(|d| parse_date(&d.to_string())).or_else(|| {
                    problems.push(format!("{}: as_of: expected a date", at("as_of")));
                    None
                })
            }
            _ => {
                problems.push(format!(
                    "{source}: as_of is missing: the date the prices were read (YYYY-MM-DD)"
                ));
                None
            }
        };
        let source_url = match table.get("source") {
            Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => {
                problems.push(format!(
                    "{source}: source is missing: where the prices were read (a URL)"
                ));
                String::new()
            }
        };
        match table.get("unit") {
            Some(toml::Value::String(u)) if u == PRICE_UNIT => {}
            Some(other) => problems.push(format!(
                "{}: unit = {other}: the only unit is \"{PRICE_UNIT}\"",
                at("unit")
            )),
            None => problems.push(format!(
                "{source}: unit is missing: write unit = \"{PRICE_UNIT}\""
            )),
        }
        for key in table.keys() {
            if !["as_of", "source", "unit", "models"].contains(&key.as_str()) {
                problems.push(format!(
                    "{}: unknown key `{key}` (as_of, source, unit, [models.<id>])",
                    at(key)
                ));
            }
        }
        let models = match table.get("models") {
            Some(toml::Value::Table(rows)) => parse_rows(rows, text, source, &mut problems),
            Some(_) => {
                problems.push(format!("{}: models: expected tables", at("models")));
                BTreeMap::new()
            }
            None => BTreeMap::new(),
        };
        match (as_of, problems.is_empty()) {
            (Some(as_of), true) => Ok(PriceTable {
                as_of,
                source: source_url,
                models,
            }),
            _ => Err(PriceError(problems.join("\n"))),
        }
    }

    /// This table with `rows` added or replacing its own.
    pub fn with_rows(&self, rows: BTreeMap<String, Price>) -> PriceTable {
        let mut table = self.clone();
        table.models.extend(rows);
        table
    }

    /// The row for `model`: the id as called directly, as a dated snapshot
    /// (`claude-sonnet-4-5-20250929`), on Bedrock (`us.anthropic.claude-…-v1:0`) or on Vertex
    /// (`claude-…@20250929`). `None` when the table has no price for it.
    pub fn price(&self, model: &str) -> Option<&Price> {
        let id = base_id(model);
        self.models.get(id).or_else(|| {
            let undated = strip_date(id)?;
            self.models.get(undated)
        })
    }
}

/// `[models.<id>]` rows (also what `[prices.models.<id>]` in callwatch.toml holds).
pub fn parse_rows(
    rows: &toml::Table,
    text: &str,
    source: &str,
    problems: &mut Vec<String>,
) -> BTreeMap<String, Price> {
    let mut models = BTreeMap::new();
    for (model, row) in rows {
        let at = format!("{source}:{}", line_of(text, model));
        let Some(row) = row.as_table() else {
            problems.push(format!(
                "{at}: models.{model}: expected a table of the five rates"
            ));
            continue;
        };
        let mut rates = [0.0f64; 5];
        let mut ok = true;
        for (i, field) in FIELDS.iter().enumerate() {
            let value = match row.get(*field) {
                Some(toml::Value::Float(f)) => Some(*f),
                Some(toml::Value::Integer(n)) => Some(*n as f64),
                _ => None,
            };
            match value {
                Some(v) if v.is_finite() && v >= 0.0 => rates[i] = v,
                Some(v) => {
                    ok = false;
                    problems.push(format!(
                        "{at}: models.{model}.{field} = {v}: expected USD per million tokens, 0 or more"
                    ));
                }
                None => {
                    ok = false;
                    problems.push(format!(
                        "{at}: models.{model}.{field}: missing or not a number (USD per million tokens)"
                    ));
                }
            }
        }
        for key in row.keys() {
            if !FIELDS.contains(&key.as_str()) {
                ok = false;
                problems.push(format!(
                    "{at}: models.{model}: unknown key `{key}` ({})",
                    FIELDS.join(", ")
                ));
            }
        }
        if ok {
            let [input, output, cache_read, cache_write_5m, cache_write_1h] = rates;
            models.insert(
                model.clone(),
                Price {
                    input,
                    output,
                    cache_read,
                    cache_write_5m,
                    cache_write_1h,
                },
            );
        }
    }
    models
}

fn parse_date(s: &str) -> Option<time::Date> {
    // `YYYY-MM-DD`, nothing else (no time, no offset): a date is what the table is "as of".
    let mut parts = s.trim().splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

/// The 1-based line where `key` is first written as a key or inside a table header.
pub(crate) fn line_of(text: &str, key: &str) -> usize {
    let quoted = format!("\"{key}\"");
    text.lines()
        .position(|line| {
            let t = line.trim_start();
            if t.starts_with('#') {
                return false;
            }
            if t.starts_with('[') {
                let header = t.split(']').next().unwrap_or("");
                return header
                    .split('.')
                    .any(|part| part.trim_matches(['[', ' ']) == key)
                    || header.contains(&quoted);
            }
            let k = t.split('=').next().unwrap_or("").trim();
            t.contains('=') && (k == key || k == quoted)
        })
        .map_or(1, |i| i + 1)
}

/// The model id without a provider's wrapping: Bedrock's `[region.]anthropic.` prefix and
/// `-v1:0` suffix, Vertex's `@date` (as `-date`), and a `[1m]` context marker.
fn base_id(model: &str) -> &str {
    let mut id = model.trim();
    if let Some(i) = id.rfind("anthropic.") {
        id = &id[i + "anthropic.".len()..];
    }
    if let Some(i) = id.find('[') {
        id = &id[..i];
    }
    if let Some(i) = id.rfind("-v") {
        let tail = &id[i + 2..];
        let version = tail
            .split(':')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if version {
            id = &id[..i];
        }
    }
    id
}

/// `id` without its snapshot date (`-20250929`, `@20250929`, or `-latest`).
fn strip_date(id: &str) -> Option<&str> {
    if let Some(head) = id.strip_suffix("-latest") {
        return Some(head);
    }
    let i = id.rfind(['-', '@'])?;
    let tail = &id[i + 1..];
    (tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit())).then(|| &id[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_with_its_date_source_and_units() {
        let table = PriceTable::parse(EMBEDDED_PRICES, "prices.toml").expect("the shipped table");
        assert_eq!(table.as_of, time::macros::date!(2026 - 11 - 30));
        assert!(table.source.starts_with("https://platform.claude.com/"));
        assert!(EMBEDDED_PRICES.contains(&format!("unit = \"{PRICE_UNIT}\"")));
        assert!(table.models.len() >= 15);
        for (model, p) in &table.models {
            // Per million tokens, not per token or per thousand: every Claude model's input is
            // between $0.10 and $100 per MTok; output is 4–5× input; the cache multipliers are
            // the published ones (1.25× and 2× input for writes, 0.025–0.12× for hits).
            assert!((0.1..=100.0).contains(&p.input), "{model}: {p:?}");
            let ratio = p.output / p.input;
            assert!(
                (4.0..=5.0).contains(&ratio),
                "{model}: output {ratio}× input"
            );
            assert!(
                (p.cache_write_5m - 1.25 * p.input).abs() < 0.06,
                "{model}: {p:?}"
            );
            assert!(
                (p.cache_write_1h - 2.0 * p.input).abs() < 1e-9,
                "{model}: {p:?}"
            );
            let hit = p.cache_read / p.input;
            assert!(
                (0.02..=0.12).contains(&hit),
                "{model}: cache read {hit}× input"
            );
        }
        assert_eq!(PriceTable::embedded(), &table);
    }

    #[test]
    fn ids_match_their_snapshots_and_provider_forms() {
        let table = PriceTable::embedded();
        let sonnet = table.price("claude-sonnet-4-5").copied();
        assert!(sonnet.is_some());
        for id in [
            "claude-sonnet-4-5-20250929",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "claude-sonnet-4-5@20250929",
        ] {
            assert_eq!(table.price(id).copied(), sonnet, "{id}");
        }
        // claude-opus-4 is $15; claude-opus-4-6 is $5: a prefix is not a match.
        assert_eq!(table.price("claude-opus-4-6").map(|p| p.input), Some(5.0));
        assert_eq!(
            table.price("claude-opus-4-20250514").map(|p| p.input),
            Some(15.0)
        );
        assert_eq!(table.price("claude-opus-4-9"), None);
        assert_eq!(table.price("claude-haiku-5-5"), None);
        assert_eq!(table.price("gpt-4o"), None);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "as_of = \"30 Nov\"\nsource = \"https://example.com\"\nunit = \"USD per token\"\n\n[models.a]\ninput = -1\noutput = 2\ncache_read = 0.1\ncache_write_5m = 1\n\n[models.b]\ninput = 1\noutput = 5\ncache_read = 0.1\ncache_write_5m = 1.25\ncache_write_1h = 2\ncache_write = 3\n";
        let err = PriceTable::parse(text, "p.toml").unwrap_err().0;
        assert!(err.contains("p.toml:1: as_of = \"30 Nov\""), "{err}");
        assert!(err.contains("p.toml:3: unit"), "{err}");
        assert!(err.contains("p.toml:5: models.a.input = -1"), "{err}");
        assert!(
            err.contains("p.toml:5: models.a.cache_write_1h: missing"),
            "{err}"
        );
        assert!(
            err.contains("p.toml:11: models.b: unknown key `cache_write`"),
            "{err}"
        );
        let syntax = PriceTable::parse("as_of = \n", "q.toml").unwrap_err().0;
        assert!(syntax.starts_with("q.toml:1:"), "{syntax}");
    }
}
