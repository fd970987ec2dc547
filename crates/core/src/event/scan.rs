//! A scanner for the event line as the agent writes it ([`super::CallEvent::to_line`]): one
//! object without whitespace, known field names once each, strings without escapes or control
//! characters, numbers without a sign. serde's derive reads every field through a generic
//! `Option` visitor and most of replay's parse time went there.
//!
//! Anything else gives `None` and serde reads the line: whitespace, an unknown or repeated
//! field, an escape, a sign, an integer past 18 digits, a float out of range, a wrong type,
//! bytes after the object. What the scanner accepts it reads as serde does (a differential
//! proptest in `scan/tests.rs` holds it to that), so results and error messages do not depend
//! on which of the two read a line.

use std::borrow::Cow;

use super::ratelimit::{Pair, RateLimitField};
use super::wire::{Text, Wire};

#[cfg(test)]
mod tests;

/// The line's fields read into `wire` (empty on entry), or `None`: "let serde read it" (`wire`
/// then holds part of the line, to be discarded). Filled in place, not returned: a `Wire` is a
/// few hundred bytes, and returning it copied it twice a line.
pub(super) fn scan<'a>(line: &'a str, wire: &mut Wire<'a>) -> Option<()> {
    let mut s = Scanner { line, at: 0 };
    let mut seen = 0u32;
    s.byte(b'{')?;
    let mut expected = Some(Field::Ts);
    loop {
        let field = s.key(expected)?;
        expected = field.next();
        // serde reports a repeated field; leave it the error.
        let bit = 1u32 << field as u32;
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        s.value(field, wire)?;
        if !s.more()? {
            break;
        }
    }
    (s.at == line.len()).then_some(())
}

/// The fields of [`Wire`], one bit each in `scan`'s `seen`, in the order the writer puts them
/// on a line.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Field {
    Ts,
    Status,
    ErrorType,
    Attempts,
    LatencyMs,
    Model,
    Operation,
    KeyId,
    RequestId,
    Message,
    Event,
    Provider,
    InputTokens,
    OutputTokens,
    CacheReadInputTokens,
    CacheCreationInputTokens,
    CacheCreation1hInputTokens,
    TtftMs,
    BalanceUsd,
    Stream,
    Ratelimit,
}

impl Field {
    /// The field the writer puts after this one, if it writes it (the key `scan` tries first).
    fn next(self) -> Option<Field> {
        Some(match self {
            Field::Ts => Field::Status,
            Field::Status => Field::ErrorType,
            Field::ErrorType => Field::Attempts,
            Field::Attempts => Field::LatencyMs,
            Field::LatencyMs => Field::Model,
            Field::Model => Field::Operation,
            Field::Operation => Field::KeyId,
            Field::KeyId => Field::RequestId,
            Field::RequestId => Field::Message,
            _ => return None,
        })
    }

    /// The field's key as it appears on the line: quoted, then the colon.
    fn key(self) -> &'static [u8] {
        KEYS[self as usize]
    }

    /// The fields whose key starts with `first`, each with its key as it appears on the line:
    /// quoted, then the colon.
    fn starting_with(first: u8) -> &'static [(&'static [u8], Field)] {
        match first {
            b't' => &[(b"\"ts\":", Field::Ts), (b"\"ttft_ms\":", Field::TtftMs)],
            b's' => &[
                (b"\"status\":", Field::Status),
                (b"\"stream\":", Field::Stream),
            ],
            b'e' => &[
                (b"\"error_type\":", Field::ErrorType),
                (b"\"event\":", Field::Event),
            ],
            b'a' => &[(b"\"attempts\":", Field::Attempts)],
            b'l' => &[(b"\"latency_ms\":", Field::LatencyMs)],
            b'm' => &[
                (b"\"model\":", Field::Model),
                (b"\"message\":", Field::Message),
            ],
            b'o' => &[
                (b"\"operation\":", Field::Operation),
                (b"\"output_tokens\":", Field::OutputTokens),
            ],
            b'k' => &[(b"\"key_id\":", Field::KeyId)],
            b'r' => &[
                (b"\"request_id\":", Field::RequestId),
                (b"\"ratelimit\":", Field::Ratelimit),
            ],
            b'p' => &[(b"\"provider\":", Field::Provider)],
            b'i' => &[(b"\"input_tokens\":", Field::InputTokens)],
            b'c' => &[
                (b"\"cache_read_input_tokens\":", Field::CacheReadInputTokens),
                (
                    b"\"cache_creation_input_tokens\":",
                    Field::CacheCreationInputTokens,
                ),
                (
                    b"\"cache_creation_1h_input_tokens\":",
                    Field::CacheCreation1hInputTokens,
                ),
            ],
            b'b' => &[(b"\"balance_usd\":", Field::BalanceUsd)],
            _ => &[],
        }
    }
}

/// Each field's key, in [`Field`]'s order (a test holds it to [`Field::starting_with`]).
const KEYS: [&[u8]; 21] = [
    b"\"ts\":",
    b"\"status\":",
    b"\"error_type\":",
    b"\"attempts\":",
    b"\"latency_ms\":",
    b"\"model\":",
    b"\"operation\":",
    b"\"key_id\":",
    b"\"request_id\":",
    b"\"message\":",
    b"\"event\":",
    b"\"provider\":",
    b"\"input_tokens\":",
    b"\"output_tokens\":",
    b"\"cache_read_input_tokens\":",
    b"\"cache_creation_input_tokens\":",
    b"\"cache_creation_1h_input_tokens\":",
    b"\"ttft_ms\":",
    b"\"balance_usd\":",
    b"\"stream\":",
    b"\"ratelimit\":",
];

struct Scanner<'a> {
    line: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    /// Reads the value of `field` into `wire`, typed as [`Wire`] types it.
    fn value(&mut self, field: Field, wire: &mut Wire<'a>) -> Option<()> {
        match field {
            Field::Ts => wire.ts = self.text()?,
            Field::Status => wire.status = self.integer()?,
            Field::ErrorType => wire.error_type = self.text()?,
            Field::Attempts => wire.attempts = self.integer()?,
            Field::LatencyMs => wire.latency_ms = self.float()?,
            Field::Model => wire.model = self.text()?,
            Field::Operation => wire.operation = self.text()?,
            Field::KeyId => wire.key_id = self.text()?,
            Field::RequestId => wire.request_id = self.text()?,
            Field::Message => wire.message = self.text()?,
            Field::Event => wire.event = self.text()?,
            Field::Provider => wire.provider = self.text()?,
            Field::InputTokens => wire.input_tokens = self.integer()?,
            Field::OutputTokens => wire.output_tokens = self.integer()?,
            Field::CacheReadInputTokens => wire.cache_read_input_tokens = self.integer()?,
            Field::CacheCreationInputTokens => wire.cache_creation_input_tokens = self.integer()?,
            Field::CacheCreation1hInputTokens => {
                wire.cache_creation_1h_input_tokens = self.integer()?
            }
            Field::TtftMs => wire.ttft_ms = self.float()?,
            Field::BalanceUsd => wire.balance_usd = self.float()?,
            Field::Stream => wire.stream = self.boolean()?,
            Field::Ratelimit => wire.ratelimit = self.ratelimit()?,
        }
        Some(())
    }

    /// A known field's `"name":`, compared in place: keys are most of a line's strings, and
    /// comparing one costs less than searching it for its closing quote. `None` for any other
    /// key (unknown, escaped, or followed by whitespace). The `expected` field's key is tried
    /// first (a line the agent wrote has it next); a key ends with its closing quote and colon,
    /// so no other key can match where it does.
    fn key(&mut self, expected: Option<Field>) -> Option<Field> {
        let rest = self.rest();
        if let Some(field) = expected {
            let key = field.key();
            if starts_with_key(rest, key) {
                self.at += key.len();
                return Some(field);
            }
        }
        let candidates = Field::starting_with(*rest.get(1)?);
        let &(key, field) = candidates
            .iter()
            .find(|(key, _)| starts_with_key(rest, key))?;
        self.at += key.len();
        Some(field)
    }

    fn rest(&self) -> &'a [u8] {
        &self.line.as_bytes()[self.at..]
    }

    fn byte(&mut self, want: u8) -> Option<()> {
        let got = *self.rest().first()?;
        self.at += 1;
        (got == want).then_some(())
    }

    /// After a value: `,` (a field follows: `true`) or `}` (the object ends: `false`).
    fn more(&mut self) -> Option<bool> {
        let got = *self.rest().first()?;
        self.at += 1;
        match got {
            b',' => Some(true),
            b'}' => Some(false),
            _ => None,
        }
    }

    /// Consumes `null` if it comes next.
    fn null(&mut self) -> bool {
        let found = self.rest().starts_with(b"null");
        if found {
            self.at += 4;
        }
        found
    }

    /// A string that serde would borrow as it is: no escape, no control character.
    fn string(&mut self) -> Option<&'a str> {
        self.byte(b'"')?;
        let start = self.at;
        let rest = self.rest();
        let len = string_end(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.at = start + len + 1;
        // The quotes are ASCII, so the slice between them is whole characters.
        self.line.get(start..start + len)
    }

    fn text(&mut self) -> Option<Option<Text<'a>>> {
        if self.null() {
            return Some(None);
        }
        Some(Some(Text(Cow::Borrowed(self.string()?))))
    }

    fn boolean(&mut self) -> Option<Option<bool>> {
        let rest = self.rest();
        let (value, len) = if rest.starts_with(b"true") {
            (Some(true), 4)
        } else if rest.starts_with(b"false") {
            (Some(false), 5)
        } else if rest.starts_with(b"null") {
            (None, 4)
        } else {
            return None;
        };
        self.at += len;
        Some(value)
    }

    /// The length of the run of ASCII digits at `at`.
    fn digits_at(&self, at: usize) -> usize {
        digit_run(&self.line.as_bytes()[at..], &mut 0)
    }

    /// A JSON integer without a sign, of at most 18 digits (it fits `i64` and `u64` alike).
    fn unsigned(&mut self) -> Option<u64> {
        let rest = self.rest();
        let mut value = 0;
        let len = digit_run(rest, &mut value);
        // A leading zero before more digits is invalid JSON; a fraction or an exponent makes
        // a float, which serde refuses for an integer field.
        if len == 0 || len > 18 || (len > 1 && rest[0] == b'0') {
            return None;
        }
        if matches!(rest.get(len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at += len;
        Some(value)
    }

    fn integer(&mut self) -> Option<Option<i64>> {
        if self.null() {
            return Some(None);
        }
        // At most 18 digits: always within `i64`.
        Some(Some(self.unsigned()? as i64))
    }

    /// A JSON number without a sign, read as serde's `float_roundtrip` reads it: both round
    /// correctly, so they agree on every number whose value is finite.
    fn float(&mut self) -> Option<Option<f64>> {
        if self.null() {
            return Some(None);
        }
        let bytes = self.line.as_bytes();
        let start = self.at;
        // The digits' value is kept as they are read: a short decimal needs no second pass.
        let mut mantissa = 0;
        let int = digit_run(&bytes[start..], &mut mantissa);
        if int == 0 || (int > 1 && bytes[start] == b'0') {
            return None;
        }
        let mut end = start + int;
        let mut frac = 0;
        if bytes.get(end) == Some(&b'.') {
            frac = digit_run(&bytes[end + 1..], &mut mantissa);
            if frac == 0 {
                return None;
            }
            end += 1 + frac;
        }
        let mut exponent = false;
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            exponent = true;
            end += 1;
            if matches!(bytes.get(end), Some(b'+' | b'-')) {
                end += 1;
            }
            let exp = self.digits_at(end);
            if exp == 0 {
                return None;
            }
            end += exp;
        }
        // Longer than any float the writer prints (ryu's shortest form): leave it to serde.
        if end - start > 32 {
            return None;
        }
        let short = (!exponent).then(|| short_decimal(mantissa, int + frac, frac));
        let value = match short.flatten() {
            Some(value) => value,
            None => self.line[start..end].parse().ok()?,
        };
        // serde refuses a number out of `f64`'s range with its own message.
        if !value.is_finite() {
            return None;
        }
        self.at = end;
        Some(Some(value))
    }

    /// The `ratelimit` object: `{"requests":{"limit":50,"remaining":41},…}`.
    fn ratelimit(&mut self) -> Option<Option<RateLimitField>> {
        if self.null() {
            return Some(None);
        }
        let mut field = RateLimitField::default();
        let mut seen = 0u8;
        self.byte(b'{')?;
        loop {
            let name = self.string()?;
            self.byte(b':')?;
            let (slot, bit) = match name {
                "requests" => (&mut field.requests, 1),
                "tokens" => (&mut field.tokens, 2),
                "input_tokens" => (&mut field.input_tokens, 4),
                "output_tokens" => (&mut field.output_tokens, 8),
                _ => return None,
            };
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            *slot = self.pair()?;
            if !self.more()? {
                break;
            }
        }
        Some(Some(field))
    }

    fn pair(&mut self) -> Option<Option<Pair>> {
        if self.null() {
            return Some(None);
        }
        self.byte(b'{')?;
        let (mut limit, mut remaining) = (None, None);
        loop {
            let name = self.string()?;
            self.byte(b':')?;
            let slot = match name {
                "limit" => &mut limit,
                "remaining" => &mut remaining,
                _ => return None,
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(self.unsigned()?);
            if !self.more()? {
                break;
            }
        }
        // Both are required: serde names the missing one.
        Some(Some(Pair {
            limit: limit?,
            remaining: remaining?,
        }))
    }
}

/// The index of the first `"`, `\` or control character, eight bytes at a time (a line is
/// mostly string bytes). Each test flags a byte's high bit; a borrow can only flag bytes above a
/// true match, so the lowest flag is always one.
fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let flags = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word))
            & HIGH_BITS;
        if flags != 0 {
            return Some(at + flags.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    let rest = chunks.remainder();
    let len = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(at + len)
}

/// Whether `bytes` starts with `key` (4 bytes or more), compared a word at a time: `starts_with`
/// called `memcmp` for every key, which cost more than the compare itself.
fn starts_with_key(bytes: &[u8], key: &[u8]) -> bool {
    let n = key.len();
    debug_assert!(n >= 4, "keys are quoted names with a colon");
    let Some(bytes) = bytes.get(..n) else {
        return false;
    };
    if n < 8 {
        return word::<4>(bytes, 0) == word::<4>(key, 0)
            && word::<4>(bytes, n - 4) == word::<4>(key, n - 4);
    }
    // Whole words, then the last eight bytes (overlapping the previous word).
    let mut at = 0;
    while at + 8 < n {
        if word::<8>(bytes, at) != word::<8>(key, at) {
            return false;
        }
        at += 8;
    }
    word::<8>(bytes, n - 8) == word::<8>(key, n - 8)
}

/// The `N` bytes at `at` (in bounds: the callers check the lengths).
fn word<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut word = [0u8; N];
    word.copy_from_slice(&bytes[at..at + N]);
    word
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The length of the run of ASCII digits `bytes` starts with; `value` takes them on (wrapping
/// past 19 digits: callers read it only for shorter runs).
fn digit_run(bytes: &[u8], value: &mut u64) -> usize {
    let mut len = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            break;
        }
        *value = value.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        len += 1;
    }
    len
}

/// A decimal of `digits` digits (at most 15), `frac` of them after the point, whose digits
/// make `mantissa`: the digits make an integer below 2^53 and the divisor is an exact power
/// of ten, so the one division rounds correctly (Clinger's fast path) and gives what any
/// correct parser gives. `None` past 15 digits.
fn short_decimal(mantissa: u64, digits: usize, frac: usize) -> Option<f64> {
    (digits <= 15).then(|| mantissa as f64 / EXACT_POWERS_OF_TEN[frac])
}
