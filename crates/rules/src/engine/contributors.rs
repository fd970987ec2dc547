//! What the matched calls mostly were (status, error type, normalised message), with two
//! exponentially decayed counts per value: a fast one (the recent window) for "dominant", and a
//! slow one (the baseline) so "rising" means more than usual, not just most. Bounded; decay is
//! applied lazily on touch, so a tick costs nothing.

#[derive(Clone, Debug)]
struct Entry {
    key: String,
    fast: f64,
    slow: f64,
    at: i64,
}

#[derive(Clone, Debug)]
pub struct Contributors {
    entries: Vec<Entry>,
    fast_tau: f64,
    slow_tau: f64,
}

/// Most distinct values remembered per tracker.
const CAP: usize = 32;

impl Contributors {
    pub fn new(fast_tau_s: f64, slow_tau_s: f64) -> Contributors {
        Contributors {
            entries: Vec::new(),
            fast_tau: fast_tau_s.max(1.0),
            slow_tau: slow_tau_s.max(fast_tau_s).max(1.0),
        }
    }

    fn decay(e: &Entry, now: i64, tau: f64, v: f64) -> f64 {
        let dt = (now - e.at).max(0) as f64;
        v * (-dt / tau).exp()
    }

    pub fn add(&mut self, key: &str, now: i64) {
        let (ft, st) = (self.fast_tau, self.slow_tau);
        if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
            e.fast = Self::decay(e, now, ft, e.fast) + 1.0;
            e.slow = Self::decay(e, now, st, e.slow) + 1.0;
            e.at = e.at.max(now);
            return;
        }
        if self.entries.len() >= CAP {
            // Evict the value with the least recent weight.
            if let Some((i, _)) = self
                .entries
                .iter()
                .map(|e| Self::decay(e, now, ft, e.fast))
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(&b.1))
            {
                self.entries.swap_remove(i);
            }
        }
        self.entries.push(Entry {
            key: key.to_string(),
            fast: 1.0,
            slow: 1.0,
            at: now,
        });
    }

    /// The value with the most recent weight.
    pub fn dominant(&self, now: i64) -> Option<&str> {
        self.entries
            .iter()
            .map(|e| (e, Self::decay(e, now, self.fast_tau, e.fast)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, _)| e.key.as_str())
    }

    /// The value whose recent weight most exceeds what its baseline weight predicts.
    pub fn rising(&self, now: i64) -> Option<&str> {
        let ratio = self.fast_tau / self.slow_tau;
        self.entries
            .iter()
            .map(|e| {
                let fast = Self::decay(e, now, self.fast_tau, e.fast);
                let slow = Self::decay(e, now, self.slow_tau, e.slow);
                (e, fast - slow * ratio)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, _)| e.key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominant_and_rising_differ() {
        let mut c = Contributors::new(300.0, 3600.0);
        for t in 0..3600 {
            if t % 20 == 0 {
                c.add("old steady", t);
            }
        }
        for t in 3300..3600 {
            if t % 30 == 0 {
                c.add("new", t);
            }
        }
        assert_eq!(c.dominant(3600), Some("old steady"));
        assert_eq!(c.rising(3600), Some("new"));
    }
}
