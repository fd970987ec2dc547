//! The labels that identify a series: borrowed on the hot path ([`LabelsRef`]), owned once a
//! series exists ([`SeriesLabels`]). Both hash the same way so one can find the other.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hash, Hasher};

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

    /// One hash for borrowed and owned labels alike.
    #[inline]
    pub fn hash_with(&self, build: &impl BuildHasher) -> u64 {
        let mut h = build.build_hasher();
        self.operation.hash(&mut h);
        self.model.hash(&mut h);
        self.status.hash(&mut h);
        (self.class as u8).hash(&mut h);
        self.error_type.hash(&mut h);
        self.key_id.hash(&mut h);
        self.server_address.hash(&mut h);
        self.server_port.hash(&mut h);
        h.finish()
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
