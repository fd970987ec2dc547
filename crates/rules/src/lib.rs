//! Rules: a YAML rule set ([`load_rules`], [`default_rules`]) evaluated by the [`Engine`] over
//! calls in event time. See docs/rules.md for the kinds and why they decide the way they do.

pub mod engine;
mod load;
mod locate;
mod model;
mod normalise;
pub mod pipeline;
mod reorder;
pub mod replay;
mod template;
pub mod testing;

pub use callwatch_core::duration::{format_duration, parse_duration};
pub use engine::{ActiveInstance, Engine, EngineStats, FiringInstance, NotRestored};
pub use load::{load_rules, LoadError, LoadErrors};
pub use locate::{find_path, key_paths, Pos};
pub use model::{
    GroupField, Matcher, Measure, NoiseTest, Rule, RuleKind, RuleSet, Scope, TriggerEvent,
};
pub use normalise::normalise_message;
pub use replay::{Replay, ReplayTotals};
pub use template::PLACEHOLDERS;

/// The default rule set, embedded in the binary.
pub const DEFAULT_RULES_YAML: &str = include_str!("../../../alerts/default.yaml");
/// The name errors in the embedded set are reported under.
pub const DEFAULT_RULES_NAME: &str = "alerts/default.yaml (embedded)";

/// The embedded default rule set (the four mandated rules and the warnings).
pub fn default_rules() -> RuleSet {
    // The embedded file is validated by a unit test; a failure here is a build defect.
    load_rules(DEFAULT_RULES_NAME, DEFAULT_RULES_YAML)
        .unwrap_or_else(|e| panic!("embedded default rules are invalid:\n{e}"))
}

/// Reads and validates a rule file.
pub fn load_rules_file(path: &std::path::Path) -> Result<RuleSet, LoadErrors> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        LoadErrors(vec![LoadError {
            file: name.clone(),
            line: 1,
            col: 1,
            message: format!("cannot read: {e}"),
        }])
    })?;
    load_rules(&name, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_load_with_the_mandated_names() {
        let rules = default_rules();
        for name in [
            "ServerErrorSpike",
            "BadRequestBaselineRising",
            "AuthFailuresAfterKeyRotation",
            "BillingOutage",
            "RateLimitPressure",
            "OverloadedCapacity",
            "LatencyP99High",
            "RetriesAmplifying",
        ] {
            assert!(rules.get(name).is_some(), "{name} missing");
        }
        assert_eq!(
            rules.get("BillingOutage").unwrap().severity,
            callwatch_core::alert::Severity::Critical
        );
    }
}
