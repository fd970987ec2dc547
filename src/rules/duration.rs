//! Durations as rule files write them: `30s`, `5m`, `1h`, `1h30m`, `0s`.

use std::time::Duration;

/// Parses `1h30m`-style durations (units h, m, s; whole numbers).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration (allowed: e.g. 30s, 5m, 1h30m)".into());
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(d)))
                    .ok_or("duration too long")?,
            );
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => {
                return Err(format!(
                    "bad duration {text:?} (allowed: whole numbers with units h, m, s, e.g. 30s, 5m, 1h30m)"
                ))
            }
        };
        let n = number.take().ok_or_else(|| {
            format!("bad duration {text:?}: unit without a number (e.g. 30s, 5m, 1h30m)")
        })?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or("duration too long")?;
    }
    if number.is_some() {
        return Err(format!(
            "bad duration {text:?}: number without a unit (allowed units: h, m, s, e.g. 30s)"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// `90s` → `1m30s`, `3600s` → `1h`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 {
        out.push_str(&format!("{sec}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (text, secs) in [("30s", 30), ("5m", 300), ("1h30m", 5400), ("0s", 0)] {
            assert_eq!(parse_duration(text), Ok(Duration::from_secs(secs)));
            assert_eq!(format_duration(Duration::from_secs(secs)), text);
        }
        for bad in ["", "5", "m", "5x", "1.5m", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
