//! The disk spool: one directory per sink, one JSON file per pending notification, written
//! atomically (temporary file, fsync, rename) before the first attempt and removed after
//! success. What is in it at start is delivered first, so an outage or a restart loses nothing.
//! A spool that cannot be written is said once and the notification stays in memory.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::Notification;

pub struct Spool {
    dir: Option<PathBuf>,
    sink: String,
    said_unwritable: AtomicBool,
    /// Files found at start, by the id inside them: a file is removed by its own name, so one
    /// renamed (or copied) by hand is not re-sent on every start.
    loaded: Mutex<HashMap<String, Vec<PathBuf>>>,
    /// What each spooled notification is about, so a newer state can supersede it.
    index: Mutex<HashMap<String, Subject>>,
}

/// The group and alerts a notification carries, and when it was made.
#[derive(Clone, Debug)]
struct Subject {
    group_key: String,
    at: time::OffsetDateTime,
    fingerprints: BTreeSet<String>,
}

impl Subject {
    fn of(n: &Notification) -> Subject {
        Subject {
            group_key: n.group_key.clone(),
            at: n.at,
            fingerprints: n.alerts.iter().map(|a| a.fingerprint()).collect(),
        }
    }

    /// `newer` says, later, something about every alert this one carries.
    fn superseded_by(&self, newer: &Subject) -> bool {
        self.group_key == newer.group_key
            && self.at < newer.at
            && self.fingerprints.is_subset(&newer.fingerprints)
    }
}

impl Spool {
    /// `root` `None`: memory only (said once by the caller's configuration).
    pub fn new(root: Option<&Path>, sink: &str) -> Spool {
        Spool {
            dir: root.map(|r| r.join(sink)),
            sink: sink.to_string(),
            said_unwritable: AtomicBool::new(false),
            loaded: Mutex::new(HashMap::new()),
            index: Mutex::new(HashMap::new()),
        }
    }

    /// Ids of spooled notifications that `delivered` supersedes (same group, older, no alert
    /// it does not also carry): they must not be sent after it, now or at the next start.
    pub fn superseded_by(&self, delivered: &Notification) -> Vec<String> {
        let newer = Subject::of(delivered);
        self.index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(id, s)| **id != delivered.id && s.superseded_by(&newer))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The files holding `id`: those found at start, else the name it is written under.
    fn paths_of(&self, dir: &Path, id: &str) -> Vec<PathBuf> {
        self.index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        let found = self
            .loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        found.unwrap_or_else(|| vec![dir.join(file_name(id))])
    }

    /// Persist `n`; false when it could not be (then it lives in memory only).
    pub fn write(&self, n: &Notification) -> bool {
        let Some(dir) = &self.dir else {
            return true;
        };
        match write_atomically(dir, n) {
            Ok(()) => {
                self.index
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(n.id.clone(), Subject::of(n));
                self.said_unwritable.store(false, Ordering::Relaxed);
                true
            }
            Err(e) => {
                if !self.said_unwritable.swap(true, Ordering::Relaxed) {
                    tracing::error!(
                        "{} spool {} cannot be written ({e}); keeping notifications in memory \
                         only until it is (a restart now would lose them)",
                        self.sink,
                        dir.display()
                    );
                }
                false
            }
        }
    }

    /// Delivered: forget it.
    pub fn remove(&self, id: &str) {
        let Some(dir) = &self.dir else { return };
        for path in self.paths_of(dir, id) {
            if let Err(e) = fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(
                        "{} spool: cannot delete {} ({e}); it was delivered and will be sent \
                         again at every start until it is deleted",
                        self.sink,
                        path.display()
                    );
                }
            }
        }
    }

    /// Rejected for good: keep it for a human under `dead/`, out of the retry path.
    pub fn bury(&self, id: &str) {
        let Some(dir) = &self.dir else { return };
        let dead = dir.join("dead");
        for path in self.paths_of(dir, id) {
            let name = path
                .file_name()
                .map_or_else(|| file_name(id).into(), |n| n.to_owned());
            let result =
                fs::create_dir_all(&dead).and_then(|()| fs::rename(&path, dead.join(name)));
            if let Err(e) = result {
                tracing::warn!(
                    "{} spool: cannot move {id} to {}: {e}",
                    self.sink,
                    dead.display()
                );
            }
        }
    }

    /// Everything a previous run left, oldest first. Unreadable files are set aside as
    /// `.corrupt` and reported, never silently dropped.
    pub fn load(&self) -> Vec<Notification> {
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                tracing::error!("{} spool {}: cannot read ({e}); pending notifications from a previous run are not re-sent", self.sink, dir.display());
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for path in entries.flatten().map(|e| e.path()) {
            match path.extension().and_then(|x| x.to_str()) {
                Some("json") => match read(&path) {
                    Ok(n) => {
                        let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
                        let paths = loaded.entry(n.id.clone()).or_default();
                        // A copy of a file already found is the same notification: sent once.
                        let first = paths.is_empty();
                        paths.push(path.clone());
                        if first {
                            self.index
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .insert(n.id.clone(), Subject::of(&n));
                            out.push(n);
                        }
                    }
                    Err(e) => {
                        tracing::error!(
                            "{} spool: {} is unreadable ({e}); renamed to .corrupt",
                            self.sink,
                            path.display()
                        );
                        let _ = fs::rename(&path, path.with_extension("corrupt"));
                    }
                },
                // A write interrupted before its rename: never acknowledged, safe to drop.
                Some("tmp") => {
                    let _ = fs::remove_file(&path);
                }
                _ => {}
            }
        }
        out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        out
    }
}

fn file_name(id: &str) -> String {
    // Ids are generated as msg_<hex>; keep anything else from escaping the directory.
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.json")
}

fn write_atomically(dir: &Path, n: &Notification) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let body = serde_json::to_vec(n).map_err(std::io::Error::other)?;
    let final_path = dir.join(file_name(&n.id));
    let tmp = final_path.with_extension("tmp");
    let mut f = fs::File::create(&tmp)?;
    let written = f.write_all(&body).and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &final_path)
}

fn read(path: &Path) -> Result<Notification, String> {
    let bytes = fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use callwatch_core::alert::{Alert, AlertState, Severity};
    use std::collections::BTreeMap;
    use time::macros::datetime;

    fn notification(state: AlertState, minute: i64, rules: &[&str]) -> Notification {
        let at = datetime!(2026-11-20 12:00 UTC) + time::Duration::minutes(minute);
        let alerts = rules
            .iter()
            .map(|rule| Alert {
                at,
                rule: (*rule).into(),
                state,
                severity: Severity::Warning,
                labels: BTreeMap::new(),
                summary: String::new(),
                description: String::new(),
                starts_at: at,
                values: BTreeMap::new(),
                request_ids: Vec::new(),
                runbook: String::new(),
            })
            .collect();
        Notification::new("webhook", BTreeMap::new(), alerts, at, false)
    }

    #[test]
    fn a_delivered_later_state_supersedes_older_spooled_ones_of_the_same_alerts() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(Some(dir.path()), "webhook");
        let stale = notification(AlertState::Firing, 0, &["A"]);
        let both = notification(AlertState::Firing, 1, &["A", "B"]);
        let resolve_a = notification(AlertState::Resolved, 2, &["A"]);
        for n in [&stale, &both, &resolve_a] {
            assert!(spool.write(n));
        }
        // `both` also carries B, which the resolve says nothing about: it stays.
        assert_eq!(spool.superseded_by(&resolve_a), vec![stale.id.clone()]);
        spool.remove(&stale.id);
        assert!(spool.superseded_by(&resolve_a).is_empty());
        assert_eq!(spool.load().len(), 2);
    }
}
