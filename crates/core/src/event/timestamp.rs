//! RFC 3339 timestamps. The common shape (`2026-11-20T08:00:00.007Z`) takes a hand-written fast
//! path (replay reads a million lines a second); anything else goes through `time`'s parser,
//! which also decides what is valid.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, Time};

/// Parses an RFC 3339 timestamp; `None` if it is not one.
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    fast_utc(s.as_bytes()).or_else(|| OffsetDateTime::parse(s, &Rfc3339).ok())
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` only; `None` means "let the full parser decide".
fn fast_utc(b: &[u8]) -> Option<OffsetDateTime> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || !matches!(b[b.len() - 1], b'Z' | b'z') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = num(0..4)?;
    let month = num(5..7)?;
    let day = num(8..10)?;
    let hour = num(11..13)?;
    let minute = num(14..16)?;
    let second = num(17..19)?;
    let mut nanos = 0u32;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 || rest.len() > 10 {
            return None;
        }
        let digits = &rest[1..];
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            nanos = nanos * 10 + u32::from(c - b'0');
        }
        nanos *= 10u32.pow(9 - digits.len() as u32);
    }
    let month = Month::try_from(month as u8).ok()?;
    let date = Date::from_calendar_date(year as i32, month, day as u8).ok()?;
    let time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos).ok()?;
    Some(date.with_time(time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fast_path_and_full_parser_agree() {
        assert_eq!(
            parse_rfc3339("2026-11-20T08:00:00.007Z"),
            Some(datetime!(2026-11-20 08:00:00.007 UTC))
        );
        assert_eq!(
            parse_rfc3339("2026-11-20T08:00:00Z"),
            Some(datetime!(2026-11-20 08:00:00 UTC))
        );
        assert_eq!(
            parse_rfc3339("2026-11-20T09:00:00.5+01:00"),
            Some(datetime!(2026-11-20 08:00:00.5 UTC))
        );
        assert_eq!(parse_rfc3339("2026-02-30T08:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-20 08:00:00"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    /// A non-digit anywhere a digit belongs leaves the fast path (and the full parser refuses
    /// it), and every valid shape it takes reads as the full parser reads it.
    #[test]
    fn the_fast_path_takes_digits_only_and_agrees_with_the_full_parser() {
        let valid = "2024-02-29T23:59:58.123456789Z";
        for i in 0..valid.len() {
            for c in ['/', ':', 'a', '0', '9'] {
                let mut text = valid.to_owned();
                text.replace_range(i..=i, &c.to_string());
                // The fast path's answer or, without one, the full parser's.
                let full = OffsetDateTime::parse(&text, &Rfc3339).ok();
                assert_eq!(parse_rfc3339(&text), full, "{text}");
            }
        }
        for text in [
            "1970-01-01T00:00:00Z",
            "0000-01-01T00:00:00.5Z",
            "9999-12-31T23:59:59.999999999Z",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T08:60:00Z",
            "2026-11-20T08:00:60Z",
        ] {
            let full = OffsetDateTime::parse(text, &Rfc3339).ok();
            assert_eq!(parse_rfc3339(text), full, "{text}");
        }
    }
}
