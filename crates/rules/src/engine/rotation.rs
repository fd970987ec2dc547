//! Key rotations: an explicit `key_rotated` line, or a key id never seen before appearing after
//! another was in use. Keys first seen during the stream's first minute are the fleet as it
//! started (several keys in use at once is normal), not a rotation.

use hashbrown::HashSet;

use time::OffsetDateTime;

/// Keys first seen this long after the first call are the initial fleet.
pub const WARMUP_S: i64 = 60;
/// Distinct key ids remembered (a bound, so a stream of random ids cannot grow memory).
const MAX_KEYS: usize = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Rotation {
    pub at: OffsetDateTime,
    pub key_id: String,
    pub explicit: bool,
}

#[derive(Debug, Default)]
pub struct Rotations {
    seen: HashSet<String>,
    first_sec: Option<i64>,
    last: Option<Rotation>,
}

impl Rotations {
    /// A call carrying `key_id` at `ts`.
    pub fn observe_key(&mut self, key_id: &str, ts: OffsetDateTime) {
        if self.seen.contains(key_id) {
            return;
        }
        let sec = ts.unix_timestamp();
        let first = *self.first_sec.get_or_insert(sec);
        let after_warmup = sec - first >= WARMUP_S;
        if !self.seen.is_empty() && after_warmup {
            self.record(key_id, ts, false);
        }
        if self.seen.len() < MAX_KEYS {
            self.seen.insert(key_id.to_string());
        }
    }

    /// An explicit `key_rotated` line.
    pub fn explicit(&mut self, key_id: &str, ts: OffsetDateTime) {
        self.first_sec.get_or_insert(ts.unix_timestamp());
        self.record(key_id, ts, true);
        if self.seen.len() < MAX_KEYS {
            self.seen.insert(key_id.to_string());
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
}
