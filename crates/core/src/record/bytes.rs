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

/// The last 4 bytes of `s` (at least 4 long), native order: `half(s, s.len() - 4)` in a form
/// whose bounds check the compiler drops once it knows the length is at least 4.
#[inline(always)]
fn last_half(s: &[u8]) -> u64 {
    u64::from(u32::from_ne_bytes(*s.last_chunk::<4>().unwrap()))
}

/// Whether `a` and `b` are equal; both must have the same length (checked by the caller, which
/// compares lengths first). Each length case ends in its own test: the compares take one string
/// at a time, and a difference word merged from every case and string cost one more
/// instruction per string (it also kept every string's pointer and length live at once).
#[inline(always)]
pub fn eq_same_len(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let b = &b[..n];
    // A chain of tests, longest first: model names and server addresses are 17–32 bytes, key
    // ids 10 (a `match` on the length compiled to a jump table cost 9 instructions more a
    // record).
    if n > 16 {
        if n <= 32 {
            return diff_17_to_32(a, b) == 0;
        }
        return long_diff(a, b) == 0;
    }
    if n >= 8 {
        return (word(a, 0) ^ word(b, 0)) | (word(a, n - 8) ^ word(b, n - 8)) == 0;
    }
    if n >= 4 {
        return (half(a, 0) ^ half(b, 0)) | (half(a, n - 4) ^ half(b, n - 4)) == 0;
    }
    if n == 0 {
        return true;
    }
    let m = n / 2;
    (a[0] ^ b[0]) | (a[m] ^ b[m]) | (a[n - 1] ^ b[n - 1]) == 0
}

/// The length case a label usually falls in, tested first by [`eq_same_len_usually`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Usual {
    /// 4–7 bytes (operations: `chat`).
    Halves,
    /// 8–16 bytes (key ids: `k-` and 8 hex digits).
    Words,
    /// 17–32 bytes (model names, server addresses).
    Vectors,
}

/// [`eq_same_len`], testing first (one range test) for the case this label's values usually
/// fall in: the chain, longest case first, took a 4-byte operation through three tests.
#[inline(always)]
pub fn eq_same_len_usually(usual: Usual, a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let b = &b[..n];
    match usual {
        Usual::Halves if (4..8).contains(&n) => {
            (half(a, 0) ^ half(b, 0)) | (last_half(a) ^ last_half(b)) == 0
        }
        Usual::Words if (8..=16).contains(&n) => {
            (word(a, 0) ^ word(b, 0)) | (word(a, n - 8) ^ word(b, n - 8)) == 0
        }
        Usual::Vectors if (17..=32).contains(&n) => diff_17_to_32(a, b) == 0,
        _ => eq_same_len(a, b),
    }
}

/// 17 to 32 bytes (model names, server addresses): the first and last 16 bytes, which overlap
/// and so cover them all. On x86_64, two SSE2 byte compares per side and one mask (SSE2 is in
/// the x86_64 baseline; other targets take the word path below, whose four xors and fold cost
/// about five instructions more per string).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn diff_17_to_32(a: &[u8], b: &[u8]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8,
    };
    let n = a.len();
    let load = |s: &[u8], i: usize| -> __m128i {
        let bytes: &[u8; 16] = s[i..i + 16].try_into().unwrap();
        // SAFETY: `bytes` is 16 readable bytes; `loadu` reads exactly them, unaligned.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    };
    // SAFETY: the `cfg` above compiles this only where SSE2 is enabled, which is all these
    // intrinsics need; they touch no memory.
    let equal = unsafe {
        let first = _mm_cmpeq_epi8(load(a, 0), load(b, 0));
        let last = _mm_cmpeq_epi8(load(a, n - 16), load(b, n - 16));
        // One bit per byte, set where the bytes are equal: all 16 set iff both halves match.
        _mm_movemask_epi8(_mm_and_si128(first, last))
    };
    u64::from(equal as u32 ^ 0xFFFF)
}

/// The portable path (and the reference the SSE2 one is tested against).
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn diff_17_to_32_words(a: &[u8], b: &[u8]) -> u64 {
    let n = a.len();
    (word(a, 0) ^ word(b, 0))
        | (word(a, 8) ^ word(b, 8))
        | (word(a, n - 16) ^ word(b, n - 16))
        | (word(a, n - 8) ^ word(b, n - 8))
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn diff_17_to_32(a: &[u8], b: &[u8]) -> u64 {
    diff_17_to_32_words(a, b)
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

    const WORDS: [&str; 16] = [
        "",
        "a",
        "ab",
        "abc",
        "chat",
        "1234567",
        "12345678",
        "123456789",
        "k-52e6b438",
        "0123456789abcdef",
        "claude-sonnet-4-6",
        "api.anthropic.com",
        "claude-opus-4-1-20250805",
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdefg",
        "a-model-name-longer-than-thirty-two-bytes",
    ];

    #[test]
    fn diff_is_zero_exactly_when_equal() {
        for a in WORDS {
            for b in WORDS.iter().filter(|b| b.len() == a.len()) {
                assert_eq!(eq_same_len(a.as_bytes(), b.as_bytes()), a == *b);
                for usual in [Usual::Halves, Usual::Words, Usual::Vectors] {
                    let equal = eq_same_len_usually(usual, a.as_bytes(), b.as_bytes());
                    assert_eq!(equal, a == *b, "{a:?} {b:?}");
                }
            }
            // Every single-byte change is seen, wherever it is.
            for i in 0..a.len() {
                let mut changed = a.as_bytes().to_vec();
                changed[i] ^= 0x20;
                assert!(!eq_same_len(a.as_bytes(), &changed), "{a:?} byte {i}");
                for usual in [Usual::Halves, Usual::Words, Usual::Vectors] {
                    let equal = eq_same_len_usually(usual, a.as_bytes(), &changed);
                    assert!(!equal, "{a:?} byte {i}");
                }
            }
        }
    }

    #[test]
    fn the_sse2_and_portable_compares_agree() {
        let base: Vec<u8> = (0..32u8).map(|i| b'a' + i % 26).collect();
        for n in 17..=32 {
            let a = &base[..n];
            assert_eq!(diff_17_to_32(a, a), 0);
            assert_eq!(diff_17_to_32_words(a, a), 0);
            for i in 0..n {
                let mut changed = a.to_vec();
                changed[i] ^= 0x01;
                let (fast, portable) =
                    (diff_17_to_32(a, &changed), diff_17_to_32_words(a, &changed));
                assert!(fast != 0 && portable != 0, "{n} bytes, byte {i}");
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
