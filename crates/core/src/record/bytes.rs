//! Branch-light byte helpers for the hot path's label hash and compare. Label values are short
//! (4–40 bytes), where `memcmp`/`memcpy` calls and byte loops cost more than the work: these
//! read whole (overlapping) words instead.

/// 8 bytes at `i`, native order.
#[inline(always)]
fn word(s: &[u8], i: usize) -> u64 {
    u64::from_ne_bytes(s[i..i + 8].try_into().unwrap())
}

/// 4 bytes at `i`, native order.
#[inline(always)]
fn half(s: &[u8], i: usize) -> u64 {
    u64::from(u32::from_ne_bytes(s[i..i + 4].try_into().unwrap()))
}

/// Nonzero iff `a` and `b` differ. Both must have the same length (checked by the caller,
/// which compares lengths first so that every string's bytes are compared with one branch).
#[inline(always)]
pub fn diff_same_len(a: &[u8], b: &[u8]) -> u64 {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let b = &b[..n]; // one check here, none per load below
                     // Longest first: model names and server addresses are 17–32 bytes, key ids 10, so the
                     // usual labels take two compares here, not four.
    if n > 16 {
        if n <= 32 {
            return (word(a, 0) ^ word(b, 0))
                | (word(a, 8) ^ word(b, 8))
                | (word(a, n - 16) ^ word(b, n - 16))
                | (word(a, n - 8) ^ word(b, n - 8));
        }
        return long_diff(a, b);
    }
    if n >= 8 {
        return (word(a, 0) ^ word(b, 0)) | (word(a, n - 8) ^ word(b, n - 8));
    }
    if n >= 4 {
        return (half(a, 0) ^ half(b, 0)) | (half(a, n - 4) ^ half(b, n - 4));
    }
    if n == 0 {
        return 0;
    }
    // 1..=3 bytes: the first, middle and last byte cover them all.
    let m = n / 2;
    u64::from((a[0] ^ b[0]) | (a[m] ^ b[m]) | (a[n - 1] ^ b[n - 1]))
}

/// Longer than 32 bytes: rare for a label, kept out of line.
#[inline(never)]
fn long_diff(a: &[u8], b: &[u8]) -> u64 {
    u64::from(a != b)
}

/// Length, first and last 8 bytes folded into one word: where model names and key ids differ,
/// at a fraction of hashing every byte.
#[inline(always)]
pub fn sketch(s: &[u8]) -> u64 {
    let n = s.len();
    let len = (n as u64) << 59;
    if n >= 8 {
        return word(s, 0) ^ word(s, n - 8).rotate_left(29) ^ len;
    }
    if n >= 4 {
        return (half(s, 0) | half(s, n - 4) << 32) ^ len;
    }
    if n == 0 {
        return len;
    }
    let m = n / 2;
    (u64::from(s[0]) | u64::from(s[m]) << 8 | u64::from(s[n - 1]) << 16) ^ len
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORDS: [&str; 12] = [
        "",
        "a",
        "ab",
        "abc",
        "chat",
        "1234567",
        "12345678",
        "123456789",
        "k-52e6b438",
        "claude-sonnet-4-6",
        "api.anthropic.com",
        "a-model-name-longer-than-thirty-two-bytes",
    ];

    #[test]
    fn diff_is_zero_exactly_when_equal() {
        for a in WORDS {
            for b in WORDS.iter().filter(|b| b.len() == a.len()) {
                assert_eq!(diff_same_len(a.as_bytes(), b.as_bytes()) == 0, a == *b);
            }
            // Every single-byte change is seen, wherever it is.
            for i in 0..a.len() {
                let mut changed = a.as_bytes().to_vec();
                changed[i] ^= 0x20;
                assert_ne!(diff_same_len(a.as_bytes(), &changed), 0, "{a:?} byte {i}");
            }
        }
    }

    #[test]
    fn sketch_tells_lengths_and_short_strings_apart() {
        for a in WORDS {
            for b in WORDS {
                if a != b && (a.len() != b.len() || a.len() < 4) {
                    assert_ne!(sketch(a.as_bytes()), sketch(b.as_bytes()), "{a:?} {b:?}");
                }
            }
        }
    }
}
