//! `[budget]` and `[prices]` in callwatch.toml, and their environment variables (which win
//! over the file, as the sinks' do):
//!
//! ```toml
//! [budget]
//! credit_balance_usd = 250.0            # CALLWATCH_CREDIT_BALANCE_USD
//! as_of = "2026-11-30T09:00:00Z"        # CALLWATCH_CREDIT_AS_OF: spend since then is subtracted
//! monthly_spend_limit_usd = 1000.0      # CALLWATCH_MONTHLY_SPEND_LIMIT_USD: resets on the 1st, UTC
//!
//! [prices]
//! file = "prices.toml"                  # CALLWATCH_PRICES: a whole table instead of the shipped one
//! [prices.models.claude-haiku-5-5]      # rows added to (or replacing) the table's
//! input = 0.10
//! output = 0.50
//! cache_read = 0.01
//! cache_write_5m = 0.125
//! cache_write_1h = 0.20
//! ```
//!
//! There is no balance endpoint in the Admin API: the balance comes from the user, the burn
//! rate from the calls callwatch sees.

use std::sync::Arc;

use time::OffsetDateTime;

use super::prices::{line_of, parse_rows, PriceTable};

pub const ENV_CREDIT_BALANCE_USD: &str = "CALLWATCH_CREDIT_BALANCE_USD";
pub const ENV_CREDIT_AS_OF: &str = "CALLWATCH_CREDIT_AS_OF";
pub const ENV_MONTHLY_SPEND_LIMIT_USD: &str = "CALLWATCH_MONTHLY_SPEND_LIMIT_USD";
pub const ENV_PRICES: &str = "CALLWATCH_PRICES";

/// Whether `text` is a TOML document (`check` reports a syntax error once, from the notifier's
/// reader).
pub fn parses_as_toml(text: &str) -> bool {
    text.parse::<toml::Table>().is_ok()
}

/// A prepaid credit balance read at a moment: what is left is the balance minus the spend of
/// the calls made since.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Credit {
    pub balance_usd: f64,
    pub as_of: OffsetDateTime,
}

/// What the money runs out against.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Budget {
    pub credit: Option<Credit>,
    /// The workspace or organisation monthly spend limit; the month starts on the 1st, UTC.
    pub monthly_spend_limit_usd: Option<f64>,
}

impl Budget {
    pub fn is_set(&self) -> bool {
        self.credit.is_some() || self.monthly_spend_limit_usd.is_some()
    }
}

/// Prices and budget, as a process or `replay` uses them.
#[derive(Clone, Debug)]
pub struct SpendConfig {
    pub prices: Arc<PriceTable>,
    pub budget: Budget,
}

impl Default for SpendConfig {
    fn default() -> Self {
        SpendConfig {
            prices: Arc::new(PriceTable::embedded().clone()),
            budget: Budget::default(),
        }
    }
}

/// Every problem found, one line each, naming the file (or variable), line and key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpendConfigError(pub String);

impl SpendConfig {
    /// From the environment alone (no file).
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        read_file: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<SpendConfig, SpendConfigError> {
        Self::parse("", "(no file)", env, read_file)
    }

    /// Reads `[budget]` and `[prices]` of a callwatch.toml (other sections are the notification
    /// config's), then applies the environment. An Alertmanager YAML file has neither: pass the
    /// environment alone ([`SpendConfig::from_env`]).
    pub fn parse(
        text: &str,
        source: &str,
        env: &dyn Fn(&str) -> Option<String>,
        read_file: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<SpendConfig, SpendConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            SpendConfigError(format!("{source}:{line}: {}", e.message().trim()))
        })?;
        let mut problems = Vec::new();
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let at = |key: &str| format!("{source}:{}", line_of(text, key));

        // [prices]
        let mut prices = PriceTable::embedded().clone();
        let prices_table = match table.get("prices") {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                problems.push(format!("{}: prices: expected a table", at("prices")));
                None
            }
        };
        let file =
            env(ENV_PRICES)
                .map(|f| (f, ENV_PRICES.to_owned()))
                .or_else(|| match prices_table.and_then(|t| t.get("file")) {
                    Some(toml::Value::String(f)) => Some((f.clone(), at("file"))),
                    Some(other) => {
                        problems.push(format!(
                            "{}: prices.file = {other}: expected a path",
                            at("file")
                        ));
                        None
                    }
                    None => None,
                });
        if let Some((path, whence)) = file {
            match read_file(&path) {
                Ok(text) => match PriceTable::parse(&text, &path) {
                    Ok(t) => prices = t,
                    Err(e) => problems.push(e.0),
                },
                Err(e) => {
                    problems.push(format!("{whence}: prices file {path:?}: cannot read: {e}"))
                }
            }
        }
        if let Some(t) = prices_table {
            for key in t.keys() {
                if key != "file" && key != "models" {
                    problems.push(format!(
                        "{}: prices: unknown key `{key}` (file, [prices.models.<id>])",
                        at(key)
                    ));
                }
            }
            match t.get("models") {
                Some(toml::Value::Table(rows)) => {
                    let rows = parse_rows(rows, text, source, &mut problems);
                    prices = prices.with_rows(rows);
                }
                Some(_) => {
                    problems.push(format!("{}: prices.models: expected tables", at("models")))
                }
                None => {}
            }
        }

        // [budget]
        let budget_table = match table.get("budget") {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => {
                problems.push(format!("{}: budget: expected a table", at("budget")));
                None
            }
        };
        if let Some(t) = budget_table {
            for key in t.keys() {
                if !["credit_balance_usd", "as_of", "monthly_spend_limit_usd"]
                    .contains(&key.as_str())
                {
                    problems.push(format!(
                        "{}: budget: unknown key `{key}` (credit_balance_usd, as_of, monthly_spend_limit_usd)",
                        at(key)
                    ));
                }
            }
        }
        let file_value = |key: &str| budget_table.and_then(|t| t.get(key));
        let mut money = |key: &str, var: &str| -> Option<f64> {
            let (value, whence) = match env(var) {
                Some(v) => (v.trim().parse::<f64>().ok(), (var.to_owned(), v)),
                None => match file_value(key)? {
                    toml::Value::Float(f) => (Some(*f), (at(key), f.to_string())),
                    toml::Value::Integer(n) => (Some(*n as f64), (at(key), n.to_string())),
                    other => (None, (at(key), other.to_string())),
                },
            };
            match value {
                Some(v) if v.is_finite() && v >= 0.0 => Some(v),
                _ => {
                    problems.push(format!(
                        "{}: {key} = {}: expected US dollars, a number 0 or more",
                        whence.0, whence.1
                    ));
                    None
                }
            }
        };
        let balance = money("credit_balance_usd", ENV_CREDIT_BALANCE_USD);
        let limit = money("monthly_spend_limit_usd", ENV_MONTHLY_SPEND_LIMIT_USD);
        let as_of = match env(ENV_CREDIT_AS_OF) {
            Some(v) => Some((v.clone(), ENV_CREDIT_AS_OF.to_owned())),
            None => match file_value("as_of") {
                Some(toml::Value::String(s)) => Some((s.clone(), at("as_of"))),
                Some(toml::Value::Datetime(d)) => Some((d.to_string(), at("as_of"))),
                Some(other) => Some((other.to_string(), at("as_of"))),
                None => None,
            },
        };
        let as_of = as_of.and_then(|(text, whence)| {
            let parsed = crate::event::parse_rfc3339(text.trim());
            if parsed.is_none() {
                problems.push(format!(
                    "{whence}: as_of = {text:?}: expected an RFC 3339 time with its offset (2026-11-30T09:00:00Z)"
                ));
            }
            parsed
        });
        let credit = match (balance, as_of) {
            (Some(balance_usd), Some(as_of)) => Some(Credit { balance_usd, as_of }),
            (Some(_), None) if problems.is_empty() => {
                problems.push(format!(
                    "{source}: budget.credit_balance_usd needs as_of (or {ENV_CREDIT_AS_OF}): when the balance was read, so the spend since is subtracted"
                ));
                None
            }
            (None, Some(_)) if problems.is_empty() => {
                problems.push(format!(
                    "{source}: budget.as_of without credit_balance_usd (or {ENV_CREDIT_BALANCE_USD})"
                ));
                None
            }
            _ => None,
        };
        if problems.is_empty() {
            Ok(SpendConfig {
                prices: Arc::new(prices),
                budget: Budget {
                    credit,
                    monthly_spend_limit_usd: limit,
                },
            })
        } else {
            Err(SpendConfigError(problems.join("\n")))
        }
    }

    /// A config file (callwatch.toml; an Alertmanager `.yml`/`.yaml` has no budget or prices,
    /// so only the environment applies), then the environment.
    pub fn load(path: &std::path::Path) -> Result<SpendConfig, SpendConfigError> {
        let env = |k: &str| std::env::var(k).ok();
        let base = path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        let read = move |f: &str| std::fs::read_to_string(base.join(f)).map_err(|e| e.to_string());
        let yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
        if yaml {
            return Self::from_env(&env, &read);
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| SpendConfigError(format!("{}: cannot read: {e}", path.display())))?;
        Self::parse(&text, &path.display().to_string(), &env, &read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn no_env(_: &str) -> Option<String> {
        None
    }
    fn no_file(f: &str) -> Result<String, String> {
        Err(format!("no file {f}"))
    }

    #[test]
    fn budget_and_price_rows_from_the_file() {
        let text = "[route]\ngroup_by = [\"alertname\"]\n\n[budget]\ncredit_balance_usd = 250\nas_of = \"2026-11-30T09:00:00Z\"\nmonthly_spend_limit_usd = 1000.5\n\n[prices.models.claude-haiku-5-5]\ninput = 0.1\noutput = 0.5\ncache_read = 0.01\ncache_write_5m = 0.125\ncache_write_1h = 0.2\n";
        let c = SpendConfig::parse(text, "callwatch.toml", &no_env, &no_file).unwrap();
        assert_eq!(
            c.budget.credit,
            Some(Credit {
                balance_usd: 250.0,
                as_of: datetime!(2026-11-30 09:00 UTC)
            })
        );
        assert_eq!(c.budget.monthly_spend_limit_usd, Some(1000.5));
        assert_eq!(
            c.prices.price("claude-haiku-5-5").map(|p| p.output),
            Some(0.5)
        );
        assert!(
            c.prices.price("claude-sonnet-4-6").is_some(),
            "the shipped rows stay"
        );
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let text = "[budget]\ncredit_balance_usd = 250\nas_of = \"2026-11-30T09:00:00Z\"\n";
        let env = |k: &str| match k {
            ENV_CREDIT_BALANCE_USD => Some("40.5".to_owned()),
            _ => None,
        };
        let c = SpendConfig::parse(text, "callwatch.toml", &env, &no_file).unwrap();
        assert_eq!(c.budget.credit.map(|c| c.balance_usd), Some(40.5));
    }

    #[test]
    fn every_bad_value_is_named_with_its_file_and_line() {
        let text = "[budget]\ncredit_balance_usd = -3\nas_of = \"yesterday\"\nmonthly_spend_limit_usd = \"lots\"\nbalance = 1\n\n[prices.models.x]\ninput = 1\n";
        let err = SpendConfig::parse(text, "cw.toml", &no_env, &no_file)
            .unwrap_err()
            .0;
        assert!(err.contains("cw.toml:2: credit_balance_usd = -3"), "{err}");
        assert!(err.contains("cw.toml:3: as_of = \"yesterday\""), "{err}");
        assert!(
            err.contains("cw.toml:4: monthly_spend_limit_usd = \"lots\""),
            "{err}"
        );
        assert!(
            err.contains("cw.toml:5: budget: unknown key `balance`"),
            "{err}"
        );
        assert!(err.contains("cw.toml:7: models.x.output: missing"), "{err}");
        let env = |k: &str| (k == ENV_MONTHLY_SPEND_LIMIT_USD).then(|| "NaN".to_owned());
        let err = SpendConfig::from_env(&env, &no_file).unwrap_err().0;
        assert!(
            err.starts_with("CALLWATCH_MONTHLY_SPEND_LIMIT_USD: monthly_spend_limit_usd = NaN"),
            "{err}"
        );
        let err = SpendConfig::parse(
            "[budget]\ncredit_balance_usd = 5\n",
            "b.toml",
            &no_env,
            &no_file,
        )
        .unwrap_err()
        .0;
        assert!(err.contains("needs as_of"), "{err}");
    }
}
