//! Durations as people write them in rule files, config files and flags: `500ms`, `30s`,
//! `5m`, `4h`, `1d`, and sums such as `1h30m`. One grammar for the whole product, so a value
//! that works in a rule file works in `callwatch.toml` and on the command line.

use std::time::Duration;

/// What [`parse_duration`] accepts, for error messages.
pub const ALLOWED: &str = "whole numbers with units ms, s, m, h or d, e.g. 30s, 5m, 1h30m";

/// Parses `1h30m`-style durations.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("empty duration (allowed: {ALLOWED})"));
    }
    let bad = || format!("bad duration {text:?} (allowed: {ALLOWED})");
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let too_long = || format!("duration {text:?} too long");
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(too_long)?),
            "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(too_long)?),
            "d" => Duration::from_secs(n.checked_mul(86_400).ok_or_else(too_long)?),
            "" => {
                return Err(format!(
                    "bad duration {text:?}: number without a unit (allowed: {ALLOWED})"
                ))
            }
            _ => return Err(bad()),
        };
        total = total.checked_add(unit).ok_or_else(too_long)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// `90s` → `1m30s`, `3600s` → `1h`; sub-second parts as `ms`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    let ms = d.subsec_millis();
    if s == 0 {
        return if ms == 0 {
            "0s".into()
        } else {
            format!("{ms}ms")
        };
    }
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    for (value, unit) in [(h, "h"), (m, "m"), (sec, "s")] {
        if value > 0 {
            out.push_str(&format!("{value}{unit}"));
        }
    }
    if ms > 0 {
        out.push_str(&format!("{ms}ms"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (text, d) in [
            ("30s", Duration::from_secs(30)),
            ("5m", Duration::from_secs(300)),
            ("1h30m", Duration::from_secs(5400)),
            ("0s", Duration::ZERO),
            ("500ms", Duration::from_millis(500)),
            ("1m5s250ms", Duration::from_millis(65_250)),
        ] {
            assert_eq!(parse_duration(text), Ok(d));
            assert_eq!(format_duration(d), text);
        }
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn rejects_what_it_cannot_read_and_says_what_is_allowed() {
        for bad in ["", "5", "m", "5x", "1.5m", "-1s", "99999999999999999999h"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(
                err.contains("allowed") || err.contains("too long"),
                "{bad}: {err}"
            );
        }
    }
}
