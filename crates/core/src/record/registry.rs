//! The shared map from labels to series. Only the first call of a series on each thread (and
//! calls whose labels overflowed) come here; it is the one place that takes a lock.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hashbrown::{DefaultHashBuilder, HashTable};

use super::headroom::HeadroomCell;
use super::labels::LabelsRef;
use super::limits::Limits;
use super::series::Series;
use crate::names::OVERFLOW_VALUE;

pub struct Registry {
    inner: Mutex<Inner>,
}

/// The values a label has admitted so far, up to its bound.
struct Dimension {
    name: &'static str,
    bound: usize,
    admitted: HashSet<String>,
}

impl Dimension {
    fn new(name: &'static str, bound: usize) -> Dimension {
        Dimension {
            name,
            bound,
            admitted: HashSet::new(),
        }
    }

    /// `value` itself if admitted (or room remains to admit it), else the overflow value.
    fn bound<'a>(&mut self, value: &'a str, overflowed: &mut Option<&'static str>) -> &'a str {
        if self.admitted.contains(value) {
            return value;
        }
        if self.admitted.len() < self.bound {
            self.admitted.insert(value.to_owned());
            return value;
        }
        overflowed.get_or_insert(self.name);
        OVERFLOW_VALUE
    }
}

struct Inner {
    limits: Limits,
    hasher: DefaultHashBuilder,
    series: HashTable<Arc<Series>>,
    operations: Dimension,
    models: Dimension,
    key_ids: Dimension,
    error_types: Dimension,
    server_addresses: Dimension,
    headroom: HashMap<(String, String), Arc<HeadroomCell>>,
    overflowed_records: u64,
    warned: bool,
}

/// What [`Registry::resolve`] found for a call's labels.
pub struct Resolved {
    pub series: Arc<Series>,
    /// The label that was over its bound (so the series' labels differ from the call's).
    pub overflowed: Option<&'static str>,
}

impl Registry {
    pub fn new(limits: Limits) -> Registry {
        Registry {
            inner: Mutex::new(Inner {
                limits,
                hasher: DefaultHashBuilder::default(),
                series: HashTable::new(),
                operations: Dimension::new("operation", limits.operations),
                models: Dimension::new("model", limits.models),
                key_ids: Dimension::new("key_id", limits.key_ids),
                error_types: Dimension::new("error_type", limits.error_types),
                server_addresses: Dimension::new("server_address", limits.server_addresses),
                headroom: HashMap::new(),
                overflowed_records: 0,
                warned: false,
            }),
        }
    }

    /// Finds or creates the series for `labels`, bounding each label first. The lock is held
    /// while `then` runs, which is what makes [`Series::locked_shard`] single-writer.
    pub fn resolve<R>(&self, labels: LabelsRef<'_>, then: impl FnOnce(&Resolved) -> R) -> R {
        let mut inner = self.lock();
        let resolved = inner.resolve(labels);
        if let Some(label) = resolved.overflowed {
            inner.count_overflow(label);
        }
        then(&resolved)
    }

    pub fn all_series(&self) -> Vec<Arc<Series>> {
        self.lock().series.iter().cloned().collect()
    }

    pub fn headroom_cells(&self) -> Vec<((String, String), Arc<HeadroomCell>)> {
        let inner = self.lock();
        let cells = inner.headroom.iter();
        cells.map(|(k, v)| (k.clone(), Arc::clone(v))).collect()
    }

    pub fn overflowed_records(&self) -> u64 {
        self.lock().overflowed_records
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every step leaves the registry consistent, so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn resolve(&mut self, raw: LabelsRef<'_>) -> Resolved {
        let mut overflowed = None;
        let mut labels = LabelsRef {
            operation: self.operations.bound(raw.operation, &mut overflowed),
            model: self.models.bound(raw.model, &mut overflowed),
            key_id: self.key_ids.bound(raw.key_id, &mut overflowed),
            error_type: raw
                .error_type
                .map(|e| self.error_types.bound(e, &mut overflowed)),
            server_address: self
                .server_addresses
                .bound(raw.server_address, &mut overflowed),
            ..raw
        };
        if let Some(series) = self.find(&labels) {
            return Resolved { series, overflowed };
        }
        if self.series.len() >= self.limits.series {
            overflowed.get_or_insert("series");
            labels = all_overflow(raw);
            if let Some(series) = self.find(&labels) {
                return Resolved { series, overflowed };
            }
        }
        let series = Arc::new(Series::new(
            labels.to_owned(),
            self.headroom_cell(labels.model, labels.key_id),
        ));
        let hasher = &self.hasher;
        let hash = labels.hash_with(hasher);
        self.series.insert_unique(hash, Arc::clone(&series), |s| {
            s.labels().as_ref().hash_with(hasher)
        });
        Resolved { series, overflowed }
    }

    fn find(&self, labels: &LabelsRef<'_>) -> Option<Arc<Series>> {
        let hash = labels.hash_with(&self.hasher);
        self.series
            .find(hash, |s| s.labels().as_ref().same_as(labels))
            .cloned()
    }

    fn headroom_cell(&mut self, model: &str, key_id: &str) -> Arc<HeadroomCell> {
        let key = (model.to_owned(), key_id.to_owned());
        Arc::clone(self.headroom.entry(key).or_default())
    }

    fn count_overflow(&mut self, label: &'static str) {
        self.overflowed_records += 1;
        if !self.warned {
            self.warned = true;
            tracing::warn!(
                label,
                limits = ?self.limits,
                "callwatch: a label went over its bound; further new values are recorded as \
                 `{OVERFLOW_VALUE}` (see the callwatch.series.overflow counter). Raise the \
                 recorder's limits if this is expected."
            );
        }
    }
}

/// The catch-all series once the series bound is reached: one per class and status class.
fn all_overflow(raw: LabelsRef<'_>) -> LabelsRef<'_> {
    LabelsRef {
        operation: OVERFLOW_VALUE,
        model: OVERFLOW_VALUE,
        status: None,
        class: raw.class,
        error_type: raw.error_type.map(|_| OVERFLOW_VALUE),
        key_id: OVERFLOW_VALUE,
        server_address: OVERFLOW_VALUE,
        server_port: 0,
        provider: raw.provider,
    }
}
