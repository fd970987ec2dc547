//! The labels that identify a series: borrowed on the hot path ([`LabelsRef`]), owned once a
//! series exists ([`SeriesLabels`]). Both hash the same way so one can find the other.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher};

use crate::call::Call;
use crate::classify::Class;

/// A series' labels, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesLabels {
    /// `gen_ai.operation.name`.
    pub operation: String,
    /// `gen_ai.request.model`.
    pub model: String,
    /// HTTP status of the final attempt; `None` when no response arrived.
    pub status: Option<u16>,
    /// Canonical class (`callwatch.class`).
    pub class: Class,
    /// Raw `error.type` the API sent; `None` on success.
    pub error_type: Option<String>,
    /// `callwatch.key_id` ("" when unknown).
    pub key_id: String,
    /// `server.address`.
    pub server_address: String,
    /// `server.port`.
    pub server_port: u16,
}

/// Borrowed labels of one call: what the hot path hashes and compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelsRef<'a> {
    pub operation: &'a str,
    pub model: &'a str,
    pub status: Option<u16>,
    pub class: Class,
    pub error_type: Option<&'a str>,
    pub key_id: &'a str,
    pub server_address: &'a str,
    pub server_port: u16,
}

impl<'a> LabelsRef<'a> {
    #[inline]
    pub fn of(call: &Call<'a>) -> LabelsRef<'a> {
        LabelsRef {
            operation: call.operation,
            model: call.model,
            status: call.outcome.status,
            class: call.outcome.class,
            error_type: call.outcome.error_type.as_deref(),
            key_id: call.key_id,
            server_address: call.server_address,
            server_port: call.server_port,
        }
    }

    pub fn to_owned(self) -> SeriesLabels {
        SeriesLabels {
            operation: self.operation.to_owned(),
            model: self.model.to_owned(),
            status: self.status,
            class: self.class,
            error_type: self.error_type.map(str::to_owned),
            key_id: self.key_id.to_owned(),
            server_address: self.server_address.to_owned(),
            server_port: self.server_port,
        }
    }

    /// One hash for borrowed and owned labels alike. Only the labels that tell series apart
    /// in practice (model, key id, status, class) are hashed in full — equality is always
    /// checked, so leaving the rarely varying strings to their lengths costs nothing but time
    /// saved on the hot path.
    #[inline]
    pub fn hash_with(&self, build: &impl BuildHasher) -> u64 {
        let mut h = build.build_hasher();
        h.write_u64(sketch(self.model.as_bytes()));
        h.write_u64(sketch(self.key_id.as_bytes()));
        let status = u64::from(self.status.map_or(0, |s| s + 1));
        let lengths = (self.operation.len() as u64) << 8
            ^ (self.server_address.len() as u64) << 16
            ^ (self.error_type.map_or(0, |e| e.len() + 1) as u64) << 24;
        h.write_u64(status | (self.class as u64) << 16 | u64::from(self.server_port) << 32);
        h.write_u64(lengths);
        h.finish()
    }

    /// Equality, cheapest comparisons first and short strings compared inline (the derived
    /// `==` calls `memcmp` once per string).
    #[inline]
    pub fn same_as(&self, other: &LabelsRef<'_>) -> bool {
        self.status == other.status
            && self.class == other.class
            && self.server_port == other.server_port
            && bytes_eq(self.model.as_bytes(), other.model.as_bytes())
            && bytes_eq(self.key_id.as_bytes(), other.key_id.as_bytes())
            && match (self.error_type, other.error_type) {
                (None, None) => true,
                (Some(a), Some(b)) => bytes_eq(a.as_bytes(), b.as_bytes()),
                _ => false,
            }
            && bytes_eq(self.operation.as_bytes(), other.operation.as_bytes())
            && bytes_eq(
                self.server_address.as_bytes(),
                other.server_address.as_bytes(),
            )
    }
}

impl SeriesLabels {
    #[inline]
    pub fn as_ref(&self) -> LabelsRef<'_> {
        LabelsRef {
            operation: &self.operation,
            model: &self.model,
            status: self.status,
            class: self.class,
            error_type: self.error_type.as_deref(),
            key_id: &self.key_id,
            server_address: &self.server_address,
            server_port: self.server_port,
        }
    }

    /// `error.type` as exported: absent on success; else the raw type the API sent; else the
    /// status code (as the HTTP conventions do for a body-less 5xx); else `_OTHER`.
    pub fn exported_error_type(&self) -> Option<Cow<'_, str>> {
        if !self.class.is_error() {
            return None;
        }
        Some(match (&self.error_type, self.status) {
            (Some(kind), _) => Cow::Borrowed(kind.as_str()),
            (None, Some(status)) => Cow::Owned(status.to_string()),
            (None, None) => Cow::Borrowed(crate::names::ERROR_TYPE_OTHER),
        })
    }
}

/// Length, first and last 8 bytes folded into one word: where model names and key ids differ,
/// at a fraction of hashing every byte.
#[inline(always)]
fn sketch(s: &[u8]) -> u64 {
    let n = s.len();
    if n < 8 {
        let mut word = [0u8; 8];
        word[..n].copy_from_slice(s);
        return u64::from_ne_bytes(word) ^ (n as u64) << 59;
    }
    let word = |i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().unwrap());
    word(0) ^ word(n - 8).rotate_left(29) ^ (n as u64) << 59
}

/// Byte equality in 8-byte words (the last word overlapping), inlined.
#[inline(always)]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        // A byte loop: `a == b` would call memcmp for these few bytes.
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().unwrap());
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod tests {
    use super::bytes_eq;

    #[test]
    fn bytes_eq_agrees_with_slice_eq() {
        let words = [
            "",
            "a",
            "chat",
            "12345678",
            "123456789",
            "claude-sonnet-4-6",
            "api.anthropic.com",
        ];
        for a in words {
            for b in words {
                assert_eq!(bytes_eq(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
            }
            let mut changed = a.as_bytes().to_vec();
            if let Some(last) = changed.last_mut() {
                *last ^= 1;
                assert!(!bytes_eq(a.as_bytes(), &changed));
            }
        }
    }
}
