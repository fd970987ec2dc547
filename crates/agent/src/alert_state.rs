//! The engine's firing alerts on disk, beside the notification spool, so a restart (SIGTERM or
//! kill -9) neither forgets an alert that fires (its `resolved` would never come) nor sends it
//! a second `firing`.
//!
//! One JSON file, rewritten atomically (temporary file, fsync, rename) when the set of firing
//! alerts or what delivery has of them changes, and at most every [`REFRESH`] otherwise.
//! Bounded to [`MAX_ENTRIES`] alerts: beyond it the least severe, then the oldest, are left
//! out, said and counted. A file that cannot be read is said (naming it), moved aside as
//! `.corrupt`, and the agent starts with no firing alerts.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use callwatch_core::alert::Alert;
use callwatch_rules::FiringInstance;

/// The file's name inside the spool directory.
pub const FILE_NAME: &str = "alert-state.json";
/// The lock that keeps a second agent on the same spool directory off the file.
pub const LOCK_NAME: &str = "alert-state.lock";
/// Most alerts kept; the rest are left out (counted, warned about).
pub const MAX_ENTRIES: usize = 2_000;
/// Longest time between two writes while alerts fire (their incident totals move).
pub const REFRESH: Duration = Duration::from_secs(30);
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    #[serde(with = "time::serde::rfc3339")]
    saved_at: OffsetDateTime,
    /// Firing alerts left out of this file by the bound.
    #[serde(default)]
    left_out: u64,
    alerts: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// The firing transition.
    alert: Alert,
    /// The rule's group-by values.
    #[serde(default)]
    series: BTreeMap<String, String>,
    #[serde(default)]
    matched: u64,
    #[serde(default)]
    peak_share: Option<f64>,
    /// Its `firing` was handed to delivery (sent, or in the spool) on every route: after a
    /// restart it is not sent again. False: pushed again after the restart.
    #[serde(default)]
    handed_over: bool,
}

/// A persisted firing alert, as loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Restored {
    pub instance: FiringInstance,
    pub handed_over: bool,
}

pub struct AlertStateStore {
    path: PathBuf,
    /// What was last written (fingerprint, handed over), to write only on a change.
    last: Option<BTreeSet<(String, bool)>>,
    last_write: Option<Instant>,
    said_unwritable: bool,
    /// Firing alerts left out by the bound, over all writes (read by `/metrics` and OTLP).
    left_out_total: Arc<AtomicU64>,
    last_left_out: usize,
    /// Held for the store's life (see [`crate::state_lock`]); `None` in tests.
    _lock: Option<super::state_lock::StateLock>,
}

impl AlertStateStore {
    /// The store of the spool rooted at `spool_dir`, locked for this process. `None` (said)
    /// when another process holds it: this one neither restores nor persists alerts.
    pub fn open(spool_dir: &Path) -> Option<AlertStateStore> {
        let mut store = AlertStateStore::in_spool(spool_dir);
        let lock_path = spool_dir.join(LOCK_NAME);
        match super::state_lock::try_lock(&lock_path) {
            Ok(lock) => store._lock = Some(lock),
            Err(super::state_lock::LockError::Held) => {
                tracing::warn!(
                    "callwatch: alert state {} is held by another callwatch process on the same \
                     spool directory; this one does not persist its firing alerts (a restart \
                     forgets them). Give each process its own [spool] dir",
                    store.path.display()
                );
                return None;
            }
            // Unlocked, but still persisted: a write that fails says so itself.
            Err(super::state_lock::LockError::Io(e)) => tracing::warn!(
                "callwatch: cannot lock {} ({e}); the alert state is kept without a lock",
                lock_path.display()
            ),
        }
        Some(store)
    }

    /// The store of the spool rooted at `spool_dir`, unlocked.
    pub fn in_spool(spool_dir: &Path) -> AlertStateStore {
        AlertStateStore::at(spool_dir.join(FILE_NAME))
    }

    pub fn at(path: PathBuf) -> AlertStateStore {
        AlertStateStore {
            path,
            last: None,
            last_write: None,
            said_unwritable: false,
            left_out_total: Arc::default(),
            last_left_out: 0,
            _lock: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Firing alerts the bound left out, over this run.
    pub fn left_out(&self) -> u64 {
        self.left_out_total.load(Ordering::Relaxed)
    }

    /// The live count of [`AlertStateStore::left_out`], for the agent's health.
    pub fn left_out_counter(&self) -> Arc<AtomicU64> {
        self.left_out_total.clone()
    }

    /// What a previous run left. Missing: nothing. Unreadable: said, naming the file, which is
    /// moved aside as `.corrupt`; nothing is restored. Never fails.
    pub fn load(&mut self) -> Vec<Restored> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                tracing::warn!(
                    "callwatch: alert state {} cannot be read ({e}); starting with no firing \
                     alerts (one firing before the restart gets no resolve)",
                    self.path.display()
                );
                return Vec::new();
            }
        };
        let file: StateFile = match parse(&bytes) {
            Ok(f) => f,
            Err(reason) => {
                let aside = self.path.with_extension("json.corrupt");
                let moved = fs::rename(&self.path, &aside)
                    .map(|()| format!("moved to {}", aside.display()))
                    .unwrap_or_else(|e| format!("cannot be moved aside: {e}"));
                tracing::warn!(
                    "callwatch: alert state {} is corrupt ({reason}); {moved}; starting with no \
                     firing alerts (one firing before the restart gets no resolve)",
                    self.path.display()
                );
                return Vec::new();
            }
        };
        let mut entries = file.alerts;
        if entries.len() > MAX_ENTRIES {
            tracing::warn!(
                "callwatch: alert state {} holds {} alerts; the first {MAX_ENTRIES} are restored, \
                 {} left out",
                self.path.display(),
                entries.len(),
                entries.len() - MAX_ENTRIES
            );
            entries.truncate(MAX_ENTRIES);
        }
        if file.left_out > 0 {
            tracing::warn!(
                "callwatch: the previous run left {} firing alerts out of {} (bound {MAX_ENTRIES}); \
                 they get no resolve",
                file.left_out,
                self.path.display()
            );
        }
        entries
            .into_iter()
            .map(|e| Restored {
                instance: FiringInstance {
                    alert: e.alert,
                    series: e.series,
                    matched: e.matched,
                    peak_share: e.peak_share,
                },
                handed_over: e.handed_over,
            })
            .collect()
    }

    /// Writes the firing alerts when they (or what delivery has of them) changed since the
    /// last write, or [`REFRESH`] passed; `force` writes regardless. `undelivered`: firing
    /// alerts not yet handed to delivery, by fingerprint.
    pub fn save(
        &mut self,
        mut firing: Vec<FiringInstance>,
        undelivered: &BTreeSet<String>,
        force: bool,
    ) {
        let digest: BTreeSet<(String, bool)> = firing
            .iter()
            .map(|f| {
                let fp = f.alert.fingerprint();
                let handed = !undelivered.contains(&fp);
                (fp, handed)
            })
            .collect();
        let changed = self.last.as_ref() != Some(&digest);
        // While alerts fire, their incident totals move: refreshed now and then.
        let refresh = !digest.is_empty() && self.last_write.is_none_or(|t| t.elapsed() >= REFRESH);
        if !(force || changed || refresh) {
            return;
        }
        // Most severe first, then the newest: what the bound keeps.
        firing.sort_by(|a, b| {
            (b.alert.severity, b.alert.starts_at).cmp(&(a.alert.severity, a.alert.starts_at))
        });
        let left_out = firing.len().saturating_sub(MAX_ENTRIES);
        if left_out > 0 && left_out != self.last_left_out {
            self.left_out_total
                .fetch_add(left_out as u64, Ordering::Relaxed);
            tracing::warn!(
                "callwatch: {} firing alerts, alert state {} keeps {MAX_ENTRIES}: {left_out} \
                 (the least severe, then the oldest) would get no resolve after a restart",
                firing.len(),
                self.path.display()
            );
        }
        self.last_left_out = left_out;
        firing.truncate(MAX_ENTRIES);
        let file = StateFile {
            version: VERSION,
            saved_at: OffsetDateTime::now_utc(),
            left_out: left_out as u64,
            alerts: firing
                .into_iter()
                .map(|f| Entry {
                    handed_over: !undelivered.contains(&f.alert.fingerprint()),
                    alert: f.alert,
                    series: f.series,
                    matched: f.matched,
                    peak_share: f.peak_share.filter(|p| p.is_finite()),
                })
                .collect(),
        };
        match write_atomically(&self.path, &file) {
            Ok(()) => {
                self.last = Some(digest);
                self.last_write = Some(Instant::now());
                self.said_unwritable = false;
            }
            Err(e) => {
                if !self.said_unwritable {
                    self.said_unwritable = true;
                    tracing::error!(
                        "callwatch: alert state {} cannot be written ({e}); a restart now \
                         forgets the alerts firing (no resolve for them)",
                        self.path.display()
                    );
                }
            }
        }
    }
}

fn parse(bytes: &[u8]) -> Result<StateFile, String> {
    let file: StateFile = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if file.version != VERSION {
        return Err(format!(
            "version {} (this callwatch reads {VERSION})",
            file.version
        ));
    }
    Ok(file)
}

fn write_atomically(path: &Path, file: &StateFile) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let body = serde_json::to_vec(file).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    let mut f = fs::File::create(&tmp)?;
    let written = f.write_all(&body).and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use callwatch_core::alert::{AlertState, Severity};

    fn instance(rule: &str, severity: Severity, minute: i64) -> FiringInstance {
        let mut alert = Alert::for_test(rule, AlertState::Firing);
        alert.severity = severity;
        alert.starts_at += time::Duration::minutes(minute);
        alert.labels.insert("model".into(), format!("m{minute}"));
        FiringInstance {
            series: alert.labels.clone(),
            alert,
            matched: 3,
            peak_share: Some(0.5),
        }
    }

    #[test]
    fn saved_alerts_load_back_with_what_delivery_had() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = AlertStateStore::in_spool(dir.path());
        let a = instance("A", Severity::Critical, 0);
        let b = instance("B", Severity::Warning, 1);
        let undelivered = BTreeSet::from([b.alert.fingerprint()]);
        store.save(vec![a.clone(), b.clone()], &undelivered, false);
        let loaded = AlertStateStore::in_spool(dir.path()).load();
        assert_eq!(
            loaded,
            vec![
                Restored {
                    instance: a,
                    handed_over: true
                },
                Restored {
                    instance: b,
                    handed_over: false
                },
            ]
        );
        assert!(!dir.path().join("alert-state.json.tmp").exists());
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_and_nothing_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for bytes in [
            &b"{\"version\":1,\"alerts\":[{"[..],
            b"\xff\xfe",
            b"[]",
            b"",
        ] {
            fs::write(&path, bytes).unwrap();
            assert!(AlertStateStore::at(path.clone()).load().is_empty());
            assert!(!path.exists());
            assert!(dir.path().join("alert-state.json.corrupt").exists());
        }
    }

    #[test]
    fn the_bound_keeps_the_most_severe_then_the_newest_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = AlertStateStore::in_spool(dir.path());
        let mut firing: Vec<FiringInstance> = (0..MAX_ENTRIES as i64 + 5)
            .map(|m| instance("W", Severity::Warning, m))
            .collect();
        firing.push(instance("C", Severity::Critical, -100));
        store.save(firing, &BTreeSet::new(), false);
        assert_eq!(store.left_out(), 6);
        let loaded = AlertStateStore::in_spool(dir.path()).load();
        assert_eq!(loaded.len(), MAX_ENTRIES);
        assert_eq!(loaded[0].instance.alert.rule, "C");
        // The six oldest warnings are the ones left out.
        assert!(!loaded
            .iter()
            .any(|r| r.instance.alert.labels["model"] == "m5"));
    }

    #[test]
    fn an_unchanged_set_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = AlertStateStore::in_spool(dir.path());
        let a = instance("A", Severity::Critical, 0);
        store.save(vec![a.clone()], &BTreeSet::new(), false);
        fs::remove_file(store.path()).unwrap();
        store.save(vec![a.clone()], &BTreeSet::new(), false);
        assert!(!store.path().exists(), "unchanged: not written");
        store.save(vec![a], &BTreeSet::from(["x".to_string()]), true);
        assert!(store.path().exists(), "forced");
    }
}
