//! What the Prometheus and Datadog generators share about a rule: its group labels, its
//! snake-case name, and its summary/description templates with the engine's `{{placeholders}}`
//! rewritten for a backend that does not know them.

use callwatch_rules::{format_duration, GroupField, Rule, RuleKind};

/// The attribute key a group field is exported under, or `None` when no metric carries it
/// (the normalised message lives in the engine's alert, not in metric labels).
pub fn group_attribute(field: GroupField) -> Option<&'static str> {
    use callwatch_core::names;
    Some(match field {
        GroupField::Model => names::GEN_AI_REQUEST_MODEL,
        GroupField::KeyId => names::CALLWATCH_KEY_ID,
        GroupField::Operation => names::GEN_AI_OPERATION_NAME,
        GroupField::ErrorType => names::ERROR_TYPE,
        GroupField::Status => names::HTTP_RESPONSE_STATUS_CODE,
        GroupField::Class => names::CALLWATCH_CLASS,
        GroupField::Provider => names::GEN_AI_PROVIDER_NAME,
        GroupField::Message => return None,
    })
}

/// `BadRequestBaselineRising` → `bad_request_baseline_rising`.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Fills `{{name}}` placeholders: `lookup` first (backend-specific), then the rule's own
/// parameters; anything else becomes `fallback(name)`.
pub fn fill(
    template: &str,
    rule: &Rule,
    lookup: &dyn Fn(&str) -> Option<String>,
    fallback: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let name = rest[start + 2..start + end].trim();
        let value = lookup(name)
            .or_else(|| parameter(rule, name))
            .unwrap_or_else(|| fallback(name));
        out.push_str(&value);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// Placeholders whose value is fixed by the rule itself.
fn parameter(rule: &Rule, name: &str) -> Option<String> {
    Some(match (name, &rule.kind) {
        ("rule", _) => rule.name.clone(),
        ("severity", _) => rule.severity.as_str().to_owned(),
        ("window", kind) => format_duration(kind.window()),
        ("threshold", RuleKind::ShareOverThreshold { threshold, .. }) => {
            format!("{}%", threshold * 100.0)
        }
        ("threshold", RuleKind::LatencyPercentile { threshold_ms, .. }) => {
            format!("{threshold_ms} ms")
        }
        ("percentile", RuleKind::LatencyPercentile { percentile, .. }) => format!("p{percentile}"),
        ("quiet_for", RuleKind::Any { quiet_for }) => format_duration(*quiet_for),
        ("threshold", RuleKind::SpendOverBaseline { min_ratio, .. }) => format!("{min_ratio}×"),
        _ => return None,
    })
}
