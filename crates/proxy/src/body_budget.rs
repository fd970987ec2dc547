//! A budget for request bodies held in memory at once, across every connection. The proxy
//! buffers a request body before forwarding it (the per-request cap is [`MAX_REQUEST_BODY`]);
//! without a total, sixteen 60 MB uploads held 1.6 GB. Beyond the budget a request is answered
//! 503 with `retry-after` (the SDKs retry it) and counted.
//!
//! [`MAX_REQUEST_BODY`]: super::MAX_REQUEST_BODY

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Default total: four maximal API requests (32 MB each) at once.
pub const DEFAULT_BODY_BUDGET: usize = 128 * 1024 * 1024;

#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    in_use: AtomicUsize,
    refused: AtomicU64,
}

impl BodyBudget {
    pub fn new(limit: usize) -> Arc<BodyBudget> {
        Arc::new(BodyBudget {
            limit,
            in_use: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
        })
    }

    /// An empty reservation, grown as the body arrives.
    pub fn reservation(self: &Arc<Self>) -> Reservation {
        Reservation {
            budget: self.clone(),
            bytes: 0,
        }
    }

    /// Bytes of request bodies held right now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Requests refused because the budget was spent.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn take(&self, bytes: usize) -> bool {
        let mut current = self.in_use.load(Ordering::Relaxed);
        loop {
            let Some(next) = current.checked_add(bytes).filter(|n| *n <= self.limit) else {
                return false;
            };
            match self.in_use.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
        }
    }

    fn count_refusal(&self) {
        let before = self.refused.fetch_add(1, Ordering::Relaxed);
        if before.is_power_of_two() || before == 0 {
            tracing::warn!(
                refused = before + 1,
                limit_bytes = self.limit,
                "callwatch proxy: request bodies in flight exceed the budget; answering 503 with retry-after"
            );
        }
    }
}

/// Bytes held for one request; released when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Reservation {
    /// Bytes held so far.
    pub fn held(&self) -> usize {
        self.bytes
    }

    /// Holds `more` bytes more, or counts a refusal and returns false.
    pub fn grow(&mut self, more: usize) -> bool {
        if self.budget.take(more) {
            self.bytes += more;
            true
        } else {
            self.budget.count_refusal();
            false
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.in_use.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_share_one_total_and_give_it_back() {
        let budget = BodyBudget::new(100);
        let mut a = budget.reservation();
        let mut b = budget.reservation();
        assert!(a.grow(60));
        assert!(!b.grow(41));
        assert!(b.grow(40));
        assert_eq!(budget.in_use(), 100);
        assert_eq!(budget.refused(), 1);
        drop(a);
        assert_eq!(budget.in_use(), 40);
        assert!(b.grow(60));
        drop(b);
        assert_eq!(budget.in_use(), 0);
    }
}
