//! The route tree, as Alertmanager's `dispatch/route.go` walks it: a node matches when all its
//! matchers do; its children are tried in order and the walk stops at the first child that
//! matches unless that child says `continue`; a node none of whose children match is itself
//! the result. Every node carries its receiver and timing, inherited from its parent when not
//! written (resolved once when the tree is built, so matching does no lookups).

use std::time::Duration;

use callwatch_core::alert::Alert;

use super::matcher::{all_match, Matcher};

#[derive(Clone, Debug)]
pub struct Route {
    pub receiver: String,
    /// Empty on the root (Alertmanager refuses matchers there).
    pub matchers: Vec<Matcher>,
    /// Labels that form a group; `...` means every label.
    pub group_by: Vec<String>,
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    /// Keep walking the siblings after this node matched.
    pub continue_matching: bool,
    /// Names of time intervals when this node does not notify (not inherited, as in
    /// Alertmanager).
    pub mute_time_intervals: Vec<String>,
    /// Names of time intervals outside which this node does not notify (not inherited).
    pub active_time_intervals: Vec<String>,
    pub routes: Vec<Route>,
}

impl Default for Route {
    /// One receiver for everything, grouped by rule (callwatch's historical behaviour).
    fn default() -> Self {
        Route {
            receiver: "callwatch".into(),
            matchers: Vec::new(),
            group_by: vec!["alertname".into()],
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            repeat_interval: Duration::from_secs(4 * 3600),
            continue_matching: false,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
            routes: Vec::new(),
        }
    }
}

impl Route {
    /// A child of `self` that inherits receiver and timing; set what differs.
    pub fn child(&self, matchers: Vec<Matcher>, receiver: &str) -> Route {
        Route {
            receiver: receiver.to_string(),
            matchers,
            continue_matching: false,
            mute_time_intervals: Vec::new(),
            active_time_intervals: Vec::new(),
            routes: Vec::new(),
            ..self.clone()
        }
    }

    /// The nodes `alert` is routed to, in tree order.
    pub fn matching<'a>(&'a self, alert: &Alert) -> Vec<Matched<'a>> {
        let mut out = Vec::new();
        let root = Matched {
            route: self,
            id: "{}".to_string(),
            key: "{}".to_string(),
        };
        self.walk(alert, root, &mut out, true);
        out
    }

    fn walk<'a>(
        &'a self,
        alert: &Alert,
        me: Matched<'a>,
        out: &mut Vec<Matched<'a>>,
        root: bool,
    ) -> bool {
        if !root && !all_match(&self.matchers, alert) {
            return false;
        }
        let before = out.len();
        for (i, child) in self.routes.iter().enumerate() {
            let text = matchers_text(&child.matchers);
            let at = Matched {
                route: child,
                id: format!("{}/{text}/{i}", me.id),
                key: format!("{}/{text}", me.key),
            };
            if child.walk(alert, at, out, false) && !child.continue_matching {
                break;
            }
        }
        if out.len() == before {
            out.push(me);
        }
        true
    }

    /// Every receiver name the tree uses (for validation).
    pub fn receivers(&self) -> Vec<&str> {
        let mut out = vec![self.receiver.as_str()];
        for child in &self.routes {
            out.extend(child.receivers());
        }
        out
    }
}

/// One node an alert was routed to.
pub struct Matched<'a> {
    pub route: &'a Route,
    /// Unique per node (the key plus each node's index among its siblings).
    pub id: String,
    /// Alertmanager's route key: the matchers of every node from the root, `{}/{a="b"}`;
    /// with the group labels it makes the webhook's `groupKey`.
    pub key: String,
}

/// `{a="b",c=~"d"}`, Alertmanager's `Matchers.String()`, sorted as Alertmanager sorts a
/// route's matchers (name, value, operator), so the route key is the same in both.
pub fn matchers_text(matchers: &[Matcher]) -> String {
    let mut sorted: Vec<&Matcher> = matchers.iter().collect();
    sorted.sort_by(|a, b| (&a.name, &a.value, a.op).cmp(&(&b.name, &b.value, b.op)));
    let inner: Vec<String> = sorted.iter().map(ToString::to_string).collect();
    format!("{{{}}}", inner.join(","))
}
