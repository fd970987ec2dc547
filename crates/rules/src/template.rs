//! `{{placeholder}}` templates for summaries and descriptions. Unknown placeholders are
//! rejected when the rule file is loaded, so rendering never meets one it cannot fill.

/// Every placeholder a template may use.
pub const PLACEHOLDERS: [&str; 34] = [
    // Spend rules: how long the money lasts, when it runs out, the burn rate, what is left
    // and of what; a spike's rate, its baseline and their ratio.
    "runway",
    "exhausted_at",
    "burn_rate",
    // What the burn rate was read from (the same hours of previous days, or the hours of a
    // history younger than a day, which knows no daily pattern).
    "forecast_basis",
    // The same at the short window's rate alone: a runaway loop's real deadline, which the
    // rule's decision (the long rate, lowered only on evidence) deliberately lags.
    "recent_runway",
    "recent_burn_rate",
    "remaining",
    "constraint",
    "spend_rate",
    "baseline_rate",
    "ratio",
    "rule",
    "severity",
    "share",
    "baseline",
    "threshold",
    "count",
    "total",
    "window",
    "percentile",
    "latency_ms",
    "quiet_for",
    "key_id",
    "model",
    "provider",
    "operation",
    "error_type",
    "status",
    "status_meaning",
    "class",
    "message",
    "request_ids",
    "rotation",
    "since",
];

/// Placeholder names used by `template`, or the first malformed one.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "`{{` without a closing `}}`".to_string())?;
        names.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    Ok(names)
}

/// Fills placeholders with `lookup`; a name it does not know renders as `?`.
pub fn render(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        out.push_str(lookup(name).as_deref().unwrap_or("?"));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_lists() {
        let t = "{{share}} of calls over {{ window }} ({{nope}})";
        assert_eq!(placeholders(t).unwrap(), ["share", "window", "nope"]);
        let out = render(t, |n| match n {
            "share" => Some("12%".into()),
            "window" => Some("2m".into()),
            _ => None,
        });
        assert_eq!(out, "12% of calls over 2m (?)");
        assert!(placeholders("{{oops").is_err());
    }
}
