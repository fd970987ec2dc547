//! A series' labels in the shape most calls' labels have (a model name and a server address of
//! 17–32 bytes, a key id of 8–16, an operation of 4–7, a status, no error type), copied into
//! fixed-size buffers beside the series. The hot slot's repeat check then compares a call with
//! no test of which length case each string is in and no pointer to follow on the series'
//! side: the lengths are compared first, and a length equal to the series' is in its case.

use super::labels::SeriesLabels;
use crate::call::Call;
use crate::classify::{Class, Provider};

/// Invariant (what makes the reads in [`UsualLabels::matches`] sound): each `*_len` is within
/// its string's case (`MODEL`, `KEY_ID`, ...) and the bytes before it in its buffer are the
/// label's. Fields are private and only [`UsualLabels::of`] builds the value.
pub struct UsualLabels {
    model: Vector,
    server_address: Vector,
    key_id: [u8; 16],
    operation: [u8; 8],
    // Word-sized, as the call's lengths are: each compare is then one instruction.
    model_len: usize,
    server_address_len: usize,
    key_id_len: usize,
    operation_len: usize,
    status: u16,
    server_port: u16,
    class: Class,
    provider: Provider,
}

/// 32 bytes, 16-aligned: the first 16 are read with an aligned load, which the compare then
/// takes straight from memory (one instruction less per string).
#[repr(align(16))]
struct Vector([u8; 32]);

const MODEL: std::ops::RangeInclusive<usize> = 17..=32;
const SERVER_ADDRESS: std::ops::RangeInclusive<usize> = 17..=32;
const KEY_ID: std::ops::RangeInclusive<usize> = 8..=16;
const OPERATION: std::ops::RangeInclusive<usize> = 4..=7;

impl UsualLabels {
    /// `labels` copied, if they have the usual shape.
    pub fn of(labels: &SeriesLabels) -> Option<UsualLabels> {
        let in_case = |s: &str, case: std::ops::RangeInclusive<usize>| case.contains(&s.len());
        if !(in_case(&labels.model, MODEL)
            && in_case(&labels.server_address, SERVER_ADDRESS)
            && in_case(&labels.key_id, KEY_ID)
            && in_case(&labels.operation, OPERATION)
            && labels.error_type.is_none())
        {
            return None;
        }
        let mut usual = UsualLabels {
            model: Vector([0; 32]),
            server_address: Vector([0; 32]),
            key_id: [0; 16],
            operation: [0; 8],
            model_len: labels.model.len(),
            server_address_len: labels.server_address.len(),
            key_id_len: labels.key_id.len(),
            operation_len: labels.operation.len(),
            status: labels.status?,
            server_port: labels.server_port,
            class: labels.class,
            provider: labels.provider,
        };
        let copy = |buffer: &mut [u8], s: &str| buffer[..s.len()].copy_from_slice(s.as_bytes());
        copy(&mut usual.model.0, &labels.model);
        copy(&mut usual.server_address.0, &labels.server_address);
        copy(&mut usual.key_id, &labels.key_id);
        copy(&mut usual.operation, &labels.operation);
        Some(usual)
    }

    /// Whether `call`'s labels are these ([`SeriesLabels::matches`] for the usual shape).
    #[inline(always)]
    pub fn matches(&self, call: &Call<'_>) -> bool {
        let outcome = call.outcome;
        // SAFETY (each compare below): it runs only once the call's string has this label's
        // length, which is within the string's case (the invariant at `UsualLabels`).
        matches!(outcome.status, Some(status) if status == self.status)
            && outcome.class == self.class
            && outcome.provider == self.provider
            && call.server_port == self.server_port
            && call.model.len() == self.model_len
            && unsafe { vectors_equal(&self.model, call.model.as_bytes()) }
            && call.key_id.len() == self.key_id_len
            && unsafe { words_equal(&self.key_id, call.key_id.as_bytes()) }
            && call.operation.len() == self.operation_len
            && unsafe { halves_equal(&self.operation, call.operation.as_bytes()) }
            && call.server_address.len() == self.server_address_len
            && unsafe { vectors_equal(&self.server_address, call.server_address.as_bytes()) }
            && outcome.error_type.is_none()
    }
}

/// `ours[..theirs.len()] == theirs`.
///
/// # Safety
///
/// `theirs.len()` is in 17..=32: the reads (16 bytes at 0 and at `len - 16` of each) are then
/// inside both.
#[inline(always)]
unsafe fn vectors_equal(ours: &Vector, theirs: &[u8]) -> bool {
    let n = theirs.len();
    debug_assert!(MODEL.contains(&n));
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_load_si128, _mm_loadu_si128,
            _mm_movemask_epi8,
        };
        let (a, b) = (ours.0.as_ptr(), theirs.as_ptr());
        // SAFETY: the contract above; `a` is 16-aligned (`Vector`), as `_mm_load_si128`
        // needs; SSE2 is enabled (the `cfg`), which is all the intrinsics need.
        unsafe {
            let first = _mm_cmpeq_epi8(
                _mm_load_si128(a.cast::<__m128i>()),
                _mm_loadu_si128(b.cast::<__m128i>()),
            );
            let last = _mm_cmpeq_epi8(
                _mm_loadu_si128(a.add(n - 16).cast::<__m128i>()),
                _mm_loadu_si128(b.add(n - 16).cast::<__m128i>()),
            );
            _mm_movemask_epi8(_mm_and_si128(first, last)) == 0xFFFF
        }
    }
    // Elsewhere the checked compare (no unsafe read there).
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        super::bytes::eq_same_len(&ours.0[..n], theirs)
    }
}

/// `ours[..theirs.len()] == theirs`.
///
/// # Safety
///
/// `theirs.len()` is in 8..=16: the reads (8 bytes at 0 and at `len - 8` of each) are then
/// inside both.
#[inline(always)]
unsafe fn words_equal(ours: &[u8; 16], theirs: &[u8]) -> bool {
    let n = theirs.len();
    debug_assert!(KEY_ID.contains(&n));
    // SAFETY: the contract above.
    let at = |p: *const u8, i: usize| unsafe { p.add(i).cast::<u64>().read_unaligned() };
    let (a, b) = (ours.as_ptr(), theirs.as_ptr());
    (at(a, 0) ^ at(b, 0)) | (at(a, n - 8) ^ at(b, n - 8)) == 0
}

/// `ours[..theirs.len()] == theirs`.
///
/// # Safety
///
/// `theirs.len()` is in 4..=7: the reads (4 bytes at 0 and at `len - 4` of each) are then
/// inside both.
#[inline(always)]
unsafe fn halves_equal(ours: &[u8; 8], theirs: &[u8]) -> bool {
    let n = theirs.len();
    debug_assert!(OPERATION.contains(&n));
    // SAFETY: the contract above.
    let at = |p: *const u8, i: usize| unsafe { p.add(i).cast::<u32>().read_unaligned() };
    let (a, b) = (ours.as_ptr(), theirs.as_ptr());
    (at(a, 0) ^ at(b, 0)) | (at(a, n - 4) ^ at(b, n - 4)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Outcome;
    use crate::record::labels::LabelsRef;
    use std::time::Duration;

    fn call<'a>(labels: &'a LabelsRef<'a>, outcome: &'a Outcome) -> Call<'a> {
        Call {
            operation: labels.operation,
            model: labels.model,
            key_id: labels.key_id,
            outcome,
            attempts: 1,
            latency: Duration::from_millis(1),
            retry_wait: Duration::ZERO,
            futile_retries: 0,
            server_address: labels.server_address,
            server_port: labels.server_port,
        }
    }

    /// Labels of every length around each case's bounds, and their one-byte changes: the
    /// usual compare agrees with the general one wherever it applies.
    #[test]
    fn the_usual_compare_is_the_general_one() {
        let text =
            |n: usize| -> String { (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect() };
        let outcome = Outcome::bare(Some(200), None, Class::Success);
        let base = |model: usize, key: usize, op: usize, address: usize| SeriesLabels {
            operation: text(op),
            model: text(model),
            status: Some(200),
            class: Class::Success,
            error_type: None,
            key_id: text(key),
            server_address: text(address),
            server_port: 443,
            provider: Provider::default(),
        };
        let mut usual_seen = 0;
        for (model, key, op, address) in [
            (17, 8, 4, 17),
            (32, 16, 7, 32),
            (24, 10, 4, 17),
            (16, 10, 4, 17),
            (33, 10, 4, 17),
            (17, 7, 4, 17),
            (17, 17, 4, 17),
            (17, 10, 3, 17),
            (17, 10, 8, 17),
            (17, 10, 4, 16),
            (17, 10, 4, 33),
        ] {
            let series = base(model, key, op, address);
            let Some(usual) = UsualLabels::of(&series) else {
                continue;
            };
            usual_seen += 1;
            let same = series.as_ref();
            assert!(usual.matches(&call(&same, &outcome)));
            // Every one-byte change of every string, and every other length.
            let fields = [
                &series.model,
                &series.key_id,
                &series.operation,
                &series.server_address,
            ];
            for (field, original) in fields.into_iter().enumerate() {
                let mut variants: Vec<String> = (0..original.len())
                    .map(|i| {
                        let mut bytes = original.clone().into_bytes();
                        bytes[i] ^= 0x01;
                        String::from_utf8(bytes).unwrap()
                    })
                    .collect();
                variants.extend((0..40).filter(|&n| n != original.len()).map(text));
                for value in &variants {
                    let mut labels = series.as_ref();
                    match field {
                        0 => labels.model = value,
                        1 => labels.key_id = value,
                        2 => labels.operation = value,
                        _ => labels.server_address = value,
                    }
                    let call = call(&labels, &outcome);
                    assert_eq!(usual.matches(&call), series.matches(&call), "{labels:?}");
                    assert!(!usual.matches(&call), "{labels:?}");
                }
            }
        }
        assert_eq!(usual_seen, 3);
    }

    #[test]
    fn labels_of_another_shape_have_no_usual_copy() {
        let labels = SeriesLabels {
            operation: "chat".into(),
            model: "claude-sonnet-4-6".into(),
            status: Some(529),
            class: Class::Overloaded,
            error_type: Some("overloaded_error".into()),
            key_id: "k-0000abcd".into(),
            server_address: "api.anthropic.com".into(),
            server_port: 443,
            provider: Provider::default(),
        };
        assert!(UsualLabels::of(&labels).is_none());
        let no_status = SeriesLabels {
            status: None,
            error_type: None,
            ..labels.clone()
        };
        assert!(UsualLabels::of(&no_status).is_none());
        let usual = SeriesLabels {
            status: Some(200),
            error_type: None,
            ..labels
        };
        assert!(UsualLabels::of(&usual).is_some());
    }
}
