//! The labels that identify a series: borrowed on the hot path ([`LabelsRef`]), owned once a
//! series exists ([`SeriesLabels`]). Both hash the same way so one can find the other.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher};

use super::bytes::{eq_same_len, eq_same_len_usually, sketch, Usual};
use crate::call::Call;
use crate::classify::{Class, Provider};

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
    /// `gen_ai.provider.name`.
    pub provider: Provider,
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
    pub provider: Provider,
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
            provider: call.outcome.provider,
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
            provider: self.provider,
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
        h.write_u64(
            status
                | (self.class as u64) << 16
                | (self.provider as u64) << 24
                | u64::from(self.server_port) << 32,
        );
        h.write_u64(lengths);
        h.finish()
    }

    /// Equality: the fixed-size fields and every string's length first, then each string's
    /// bytes with word loads (the derived `==` calls `memcmp` once per string).
    #[inline(always)]
    pub fn same_as(&self, other: &LabelsRef<'_>) -> bool {
        let error_len = |e: Option<&str>| e.map_or(usize::MAX, str::len);
        if self.status != other.status
            || self.class != other.class
            || self.provider != other.provider
            || self.server_port != other.server_port
            || self.model.len() != other.model.len()
            || self.key_id.len() != other.key_id.len()
            || self.operation.len() != other.operation.len()
            || self.server_address.len() != other.server_address.len()
            || error_len(self.error_type) != error_len(other.error_type)
        {
            return false;
        }
        let same = |a: &str, b: &str| eq_same_len(a.as_bytes(), b.as_bytes());
        same(self.model, other.model)
            && same(self.key_id, other.key_id)
            && same(self.operation, other.operation)
            && same(self.server_address, other.server_address)
            && match (self.error_type, other.error_type) {
                (Some(a), Some(b)) => same(a, b),
                _ => true, // both None: the lengths matched
            }
    }
}

impl SeriesLabels {
    #[inline(always)]
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
            provider: self.provider,
        }
    }

    /// Whether `call`'s labels are these: [`LabelsRef::same_as`] read straight from the call
    /// (the thread cache's repeat check, the hot path's most frequent compare). One string at a
    /// time, each leaving at its first difference: folding every string's difference into one
    /// word kept all eight pointers and lengths live at once, and spilled them to the stack.
    #[inline(always)]
    pub fn matches(&self, call: &Call<'_>) -> bool {
        let outcome = call.outcome;
        let same = |usual, a: &str, b: &str| {
            a.len() == b.len() && eq_same_len_usually(usual, a.as_bytes(), b.as_bytes())
        };
        self.status == outcome.status
            && self.class == outcome.class
            && self.provider == outcome.provider
            && self.server_port == call.server_port
            && same(Usual::Vectors, &self.model, call.model)
            && same(Usual::Words, &self.key_id, call.key_id)
            && same(Usual::Halves, &self.operation, call.operation)
            && same(Usual::Vectors, &self.server_address, call.server_address)
            // Successes (most calls) carry no error type: one test of each side.
            && match (&self.error_type, &outcome.error_type) {
                (None, None) => true,
                (Some(a), Some(b)) => same(Usual::Vectors, a, b),
                _ => false,
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
