//! Key rotations: an explicit `key_rotated` line, or a key id never seen before appearing after
//! another was in use. Keys first seen during the stream's first minute are the fleet as it
//! started (several keys in use at once is normal), not a rotation.

use hashbrown::HashMap;

use time::OffsetDateTime;

/// Keys first seen this long after the first call are the initial fleet.
pub const WARMUP_S: i64 = 60;
/// Distinct key ids remembered (a bound, so a stream of random ids cannot grow memory).
const MAX_KEYS: usize = 10_000;
/// Forgotten at once when the bound is reached: the least recently seen tenth.
const FORGET_BATCH: usize = MAX_KEYS / 10;

#[derive(Clone, Debug, PartialEq)]
pub struct Rotation {
    pub at: OffsetDateTime,
    pub key_id: String,
    pub explicit: bool,
}

#[derive(Debug, Default)]
pub struct Rotations {
    /// Each key id remembered, with the second it was last seen.
    seen: HashMap<String, i64>,
    first_sec: Option<i64>,
    last: Option<Rotation>,
}

impl Rotations {
    /// A call carrying `key_id` at `ts`.
    #[cfg(test)]
    pub fn observe_key(&mut self, key_id: &str, ts: OffsetDateTime) {
        self.observe_key_at(key_id, ts, ts.unix_timestamp());
    }

    /// A call carrying `key_id` at `ts`, whose Unix second is `sec` (the engine has already
    /// worked it out from the calendar date: dozens of instructions a call).
    pub fn observe_key_at(&mut self, key_id: &str, ts: OffsetDateTime, sec: i64) {
        if let Some(last_seen) = self.seen.get_mut(key_id) {
            *last_seen = (*last_seen).max(sec);
            return;
        }
        let first = *self.first_sec.get_or_insert(sec);
        let after_warmup = sec - first >= WARMUP_S;
        if !self.seen.is_empty() && after_warmup {
            self.record(key_id, ts, false);
        }
        self.remember(key_id, sec);
    }

    /// Remembers `key_id`. At the bound the least recently seen keys are forgotten, never the
    /// new one: a key that is not remembered would look new, and rotate, at every call (a flood
    /// of one-off ids must not make the next real key's burst restart at each 401).
    fn remember(&mut self, key_id: &str, sec: i64) {
        if self.seen.len() >= MAX_KEYS {
            let mut by_age: Vec<(i64, String)> =
                self.seen.iter().map(|(k, &s)| (s, k.clone())).collect();
            by_age.select_nth_unstable_by_key(FORGET_BATCH - 1, |(s, _)| *s);
            for (_, key) in &by_age[..FORGET_BATCH] {
                self.seen.remove(key);
            }
        }
        self.seen.insert(key_id.to_string(), sec);
    }

    /// An explicit `key_rotated` line.
    pub fn explicit(&mut self, key_id: &str, ts: OffsetDateTime) {
        self.first_sec.get_or_insert(ts.unix_timestamp());
        self.record(key_id, ts, true);
        if !self.seen.contains_key(key_id) {
            self.remember(key_id, ts.unix_timestamp());
        }
    }

    fn record(&mut self, key_id: &str, at: OffsetDateTime, explicit: bool) {
        if self.last.as_ref().is_some_and(|r| r.at > at) {
            return;
        }
        self.last = Some(Rotation {
            at,
            key_id: key_id.to_string(),
            explicit,
        });
    }

    pub fn last(&self) -> Option<&Rotation> {
        self.last.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    #[test]
    fn new_key_after_warmup_is_a_rotation() {
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        let mut r = Rotations::default();
        r.observe_key("k-a", t0);
        r.observe_key("k-b", t0 + Duration::seconds(5));
        assert!(r.last().is_none(), "initial fleet");
        r.observe_key("k-a", t0 + Duration::minutes(30));
        assert!(r.last().is_none());
        r.observe_key("k-c", t0 + Duration::minutes(31));
        assert_eq!(r.last().unwrap().key_id, "k-c");
        r.explicit("k-d", t0 + Duration::minutes(40));
        assert!(r.last().unwrap().explicit);
    }

    #[test]
    fn after_a_flood_of_one_off_keys_a_new_key_rotates_once_not_at_every_call() {
        let t0 = datetime!(2026-11-20 08:00:00 UTC);
        let mut r = Rotations::default();
        r.observe_key("k-main", t0);
        for i in 0..MAX_KEYS + 50 {
            r.observe_key(&format!("k-flood{i}"), t0 + Duration::minutes(2));
        }
        assert!(r.seen.len() <= MAX_KEYS, "memory stays bounded");
        let rotated = t0 + Duration::minutes(15);
        r.observe_key("k-new", rotated);
        r.observe_key("k-new", rotated + Duration::seconds(5));
        r.observe_key("k-new", rotated + Duration::seconds(10));
        let last = r.last().unwrap();
        assert_eq!((last.key_id.as_str(), last.at), ("k-new", rotated));
    }
}
