//! Filling a rule's templates from what the engine knows about one alert instance.

use std::collections::BTreeMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::detector::Values;
use super::rotation::Rotation;
use super::runway::{ForecastBasis, QUIET_SPELL_MIN};
use crate::model::{Rule, RuleKind};
use crate::template::render;
use callwatch_core::duration::format_duration;

/// What one alert instance is about, for its templates.
pub struct Facts<'a> {
    pub rule: &'a Rule,
    pub labels: &'a BTreeMap<String, String>,
    pub values: &'a Values,
    pub status: Option<&'a str>,
    pub error_type: Option<&'a str>,
    pub message: Option<&'a str>,
    pub class: Option<&'a str>,
    pub request_ids: &'a [String],
    pub rotation: Option<&'a Rotation>,
    pub since: OffsetDateTime,
}

/// What a status dominating a 5xx spike means for the operator.
pub fn status_meaning(status: &str) -> &'static str {
    match status {
        "500" => "provider incident (500 api_error): the API is failing on its side; SDKs retry it, check status.anthropic.com and open a ticket with the request ids if it persists",
        "502" | "503" => "provider incident at the gateway (502/503): retry with backoff and watch status.anthropic.com",
        "504" => "provider incident: gateway timeouts (504); retry with backoff, consider streaming long requests",
        "529" => "platform capacity: the API is overloaded (529 overloaded_error); back off longer, lower concurrency or fall back to another model",
        "429" => "rate limit pressure: honour retry-after and smooth the request rate",
        _ => "",
    }
}

fn percent(v: Option<f64>) -> Option<String> {
    v.map(|v| {
        let p = v * 100.0;
        if p >= 10.0 {
            format!("{p:.0}%")
        } else {
            format!("{p:.1}%")
        }
    })
}

/// "fired for 23m, 412 matched calls, peak share 8.1%": what a resolve says about the incident.
pub fn incident_totals(lasted_s: u64, matched: u64, peak_share: Option<f64>) -> String {
    let mut s = format!(
        "fired for {}, {matched} matched call{} meanwhile",
        format_duration(std::time::Duration::from_secs(lasted_s)),
        if matched == 1 { "" } else { "s" }
    );
    if let Some(p) = percent(peak_share) {
        s.push_str(", peak share ");
        s.push_str(&p);
    }
    s
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl Facts<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        let v = self.values;
        let label_or = |key: &str, fallback: Option<&str>| {
            self.labels
                .get(key)
                .map(String::as_str)
                .or(fallback)
                .map(str::to_string)
        };
        Some(match name {
            "rule" => self.rule.name.clone(),
            "severity" => self.rule.severity.as_str().to_string(),
            "share" => percent(v.share)?,
            "baseline" => percent(v.baseline)?,
            "threshold" => match self.rule.kind {
                RuleKind::LatencyPercentile { .. } => format!("{:.0} ms", v.threshold?),
                RuleKind::CreditRunway { below, .. } | RuleKind::RateLimitRunway { below, .. } => {
                    format_duration(below)
                }
                RuleKind::SpendOverBaseline { .. } => format!("{:.1}×", v.threshold?),
                RuleKind::BurstAfterEvent { .. } => format!("{:.0}", v.threshold?),
                _ => percent(v.threshold)?,
            },
            "count" => v.count?.to_string(),
            "total" => v.total?.to_string(),
            "window" => format_duration(std::time::Duration::from_secs(v.window_s?)),
            "percentile" => format!("p{}", v.percentile?),
            "latency_ms" => format!("{:.0}", v.latency_ms?),
            "quiet_for" => match self.rule.kind {
                RuleKind::Any { quiet_for } => format_duration(quiet_for),
                _ => return None,
            },
            "key_id" => label_or("key_id", None)?,
            "model" => label_or("model", None)?,
            "provider" => label_or("provider", None)?,
            "operation" => label_or("operation", None)?,
            "error_type" => label_or("error_type", self.error_type)?,
            "status" => label_or("status", self.status)?,
            "class" => label_or("class", self.class)?,
            "message" => label_or("message", self.message)?,
            "status_meaning" => status_meaning(&label_or("status", self.status)?).to_string(),
            "request_ids" => {
                if self.request_ids.is_empty() {
                    return None;
                }
                self.request_ids.join(", ")
            }
            "rotation" => {
                let r = self.rotation?;
                let how = if r.explicit {
                    "rotated to"
                } else {
                    "new key first seen:"
                };
                format!("{how} {} at {}", r.key_id, rfc3339(r.at))
            }
            "since" => rfc3339(self.since),
            "runway" => whole_minutes(v.runway_s?),
            "recent_runway" => whole_minutes(v.recent_runway_s?),
            "recent_burn_rate" => format!("${:.2}/h", v.recent_rate_usd_per_s? * 3600.0),
            "exhausted_at" => {
                let at = (self.since + time::Duration::seconds(v.runway_s?.min(1e11) as i64))
                    .to_offset(time::UtcOffset::UTC);
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                    at.year(),
                    u8::from(at.month()),
                    at.day(),
                    at.hour(),
                    at.minute()
                )
            }
            "burn_rate" => format!("${:.2}/h", v.rate_usd_per_s? * 3600.0),
            "forecast_basis" => forecast_basis(v)?,
            "remaining" => format!("${:.2}", v.remaining_usd?),
            "constraint" => v.constraint?.to_string(),
            "spend_rate" => per_minute(v.spend_per_min_usd?),
            "baseline_rate" => per_minute(v.baseline_per_min_usd?),
            "ratio" => ratio(v.ratio?),
            _ => return None,
        })
    }

    /// (summary, description, runbook)
    pub fn render(&self) -> (String, String, String) {
        let f = |t: &str| render(t, |n| self.lookup(n));
        (
            f(&self.rule.summary),
            f(&self.rule.description),
            f(&self.rule.runbook),
        )
    }
}

/// What a runway's rate was read from, in words: a forecast from a few hours of history says
/// so (a daily pattern is unknown before a day), so nobody takes it for one from the same
/// hours of previous days.
fn forecast_basis(v: &Values) -> Option<String> {
    let window = |s: u64| format_duration(std::time::Duration::from_secs(s));
    Some(match v.basis? {
        ForecastBasis::SameHours => "the same hours on previous days, at today's level".into(),
        ForecastBasis::QuietSpell => format!(
            "the same hours on previous days, today's lower level for the next {} only",
            window(QUIET_SPELL_MIN as u64 * 60)
        ),
        ForecastBasis::Fell => format!("the last {}: the burn fell", window(v.window_s?)),
        ForecastBasis::PartDay => {
            let history = v.history_s?;
            format!(
                "the {} of history, with its quietest hour's rate for the {} of the day not yet seen",
                whole_minutes(history),
                whole_minutes((86_400.0 - history).max(0.0))
            )
        }
        ForecastBasis::Trailing => {
            let history = v.history_s?;
            let long = v.long_window_s?;
            if history >= long as f64 {
                format!("the last {}", window(long))
            } else if history < 86_400.0 {
                format!(
                    "the {} of history; under a day, so no daily pattern is known yet",
                    whole_minutes(history)
                )
            } else {
                format!("the {} of history", whole_minutes(history))
            }
        }
    })
}

/// A runway as the alert shows it: to the minute.
fn whole_minutes(seconds: f64) -> String {
    format_duration(std::time::Duration::from_secs(
        ((seconds.min(1e11) / 60.0).round() * 60.0) as u64,
    ))
}

/// A spend rate per minute: to the cent, or to two significant figures under a cent (a sparse
/// key's baseline of $0.0031/min is not "$0.00"), and "under $0.0001" below that.
fn per_minute(usd: f64) -> String {
    if usd >= 0.01 {
        format!("${usd:.2}/min")
    } else if usd >= 0.0001 {
        let magnitude = usd.log10().floor() as i32;
        let mut decimals = 1 - magnitude;
        // $0.000999 rounds up to the next magnitude: one decimal fewer keeps two figures.
        let scale = 10f64.powi(decimals);
        if (usd * scale).round() / scale >= 10f64.powi(magnitude + 1) {
            decimals -= 1;
        }
        format!("${usd:.prec$}/min", prec = decimals.max(2) as usize)
    } else {
        "under $0.0001/min".to_owned()
    }
}

/// A ratio to a baseline: past 1000× the baseline is next to nothing and the figure says
/// nothing more (a key silent for hours whose trailing baseline decayed toward zero).
fn ratio(r: f64) -> String {
    if r >= 1000.0 {
        "over 1000×".to_owned()
    } else {
        format!("{r:.1}×")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_rates_and_huge_ratios_read_as_what_they_are() {
        assert_eq!(per_minute(0.73), "$0.73/min");
        assert_eq!(per_minute(0.0031), "$0.0031/min");
        assert_eq!(per_minute(0.00457), "$0.0046/min");
        assert_eq!(per_minute(0.000999), "$0.0010/min");
        assert_eq!(per_minute(0.00999), "$0.010/min");
        assert_eq!(per_minute(0.00004), "under $0.0001/min");
        assert_eq!(ratio(4.46), "4.5×");
        assert_eq!(ratio(7_678_446.7), "over 1000×");
    }

    fn basis(basis: ForecastBasis, history_h: f64, long_h: u64) -> Option<String> {
        forecast_basis(&Values {
            basis: Some(basis),
            history_s: Some(history_h * 3600.0),
            long_window_s: Some(long_h * 3600),
            window_s: Some(1800),
            ..Values::default()
        })
    }

    #[test]
    fn a_forecast_says_what_it_read() {
        assert_eq!(
            basis(ForecastBasis::Trailing, 3.25, 24).unwrap(),
            "the 3h15m of history; under a day, so no daily pattern is known yet"
        );
        assert_eq!(
            basis(ForecastBasis::Trailing, 30.0, 24).unwrap(),
            "the last 24h"
        );
        // A 6h window, full, before a day: the window is what was read.
        assert_eq!(
            basis(ForecastBasis::Trailing, 8.0, 6).unwrap(),
            "the last 6h"
        );
        assert_eq!(
            basis(ForecastBasis::Fell, 8.0, 6).unwrap(),
            "the last 30m: the burn fell"
        );
        assert_eq!(
            basis(ForecastBasis::SameHours, 30.0, 24).unwrap(),
            "the same hours on previous days, at today's level"
        );
        assert_eq!(
            basis(ForecastBasis::QuietSpell, 42.0, 24).unwrap(),
            "the same hours on previous days, today's lower level for the next 6h only"
        );
        assert_eq!(
            basis(ForecastBasis::PartDay, 10.5, 24).unwrap(),
            "the 10h30m of history, with its quietest hour's rate for the 13h30m of the day not yet seen"
        );
        assert_eq!(forecast_basis(&Values::default()), None);
    }
}
