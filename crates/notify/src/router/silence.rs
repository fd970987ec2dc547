//! Silences: matchers plus a time window; a matching firing alert is not notified until the
//! silence expires.

use time::OffsetDateTime;

use callwatch_core::alert::Alert;

use super::matcher::{all_match, Matcher};

#[derive(Clone, Debug)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    /// `None`: active from creation.
    pub starts_at: Option<OffsetDateTime>,
    pub ends_at: OffsetDateTime,
    pub comment: String,
}

impl Silence {
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.starts_at.is_none_or(|s| s <= now) && now < self.ends_at
    }

    pub fn mutes(&self, alert: &Alert, now: OffsetDateTime) -> bool {
        self.is_active(now) && all_match(&self.matchers, alert)
    }
}
