//! Which version of the GenAI semantic conventions to emit, from `OTEL_SEMCONV_STABILITY_OPT_IN`.
//!
//! The conventions' transition plan: an instrumentation keeps emitting the version it emitted
//! so far unless the user opts in. The variable is a comma-separated list of category values
//! (the HTTP migration's form: `http`, `http/dup`, …); the GenAI values are
//! `gen_ai_latest_experimental` (the semantic-conventions-genai names, instead of the old ones)
//! and `gen_ai_latest_experimental/dup` (both). Values of other categories are not ours and are
//! left alone. The names each version uses are in [`crate::names`] and [`crate::metrics`].

/// The environment variable the conventions define for the opt-in.
pub const OPT_IN_VAR: &str = "OTEL_SEMCONV_STABILITY_OPT_IN";
/// Opt-in value: emit the latest experimental GenAI conventions only.
pub const GEN_AI_LATEST: &str = "gen_ai_latest_experimental";
/// Opt-in value: emit the latest and the default GenAI conventions side by side.
pub const GEN_AI_LATEST_DUP: &str = "gen_ai_latest_experimental/dup";

/// The GenAI convention names callwatch emits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Convention {
    /// semantic-conventions v1.41 (`gen_ai.client.operation.duration`,
    /// `gen_ai.client.token.usage`, …): what Datadog's and Grafana's GenAI views read today.
    #[default]
    V1_41,
    /// semantic-conventions-genai (`gen_ai.client.inference.*`, the usage counters).
    Latest,
    /// Both at once, so dashboards can move over without a gap.
    Both,
}

impl Convention {
    /// Reads [`OPT_IN_VAR`]; unset or without a GenAI value: the default.
    pub fn from_env() -> Convention {
        std::env::var(OPT_IN_VAR)
            .map(|value| Convention::parse(&value))
            .unwrap_or_default()
    }

    /// The GenAI choice in a comma-separated opt-in list; `/dup` wins when both appear (as the
    /// HTTP migration specifies).
    pub fn parse(value: &str) -> Convention {
        let mut chosen = Convention::V1_41;
        for item in value.split(',').map(str::trim) {
            if item == GEN_AI_LATEST_DUP {
                return Convention::Both;
            }
            if item == GEN_AI_LATEST {
                chosen = Convention::Latest;
            }
        }
        chosen
    }

    /// Whether the v1.41 names are emitted.
    pub fn emits_v1_41(self) -> bool {
        matches!(self, Convention::V1_41 | Convention::Both)
    }

    /// Whether the semantic-conventions-genai names are emitted.
    pub fn emits_latest(self) -> bool {
        matches!(self, Convention::Latest | Convention::Both)
    }

    /// The names queries (rules, monitors, dashboards) read: the v1.41 ones whenever they are
    /// emitted, so `/dup` changes nothing for what is already deployed.
    pub fn queried(self) -> Convention {
        match self {
            Convention::Latest => Convention::Latest,
            Convention::V1_41 | Convention::Both => Convention::V1_41,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_opt_in_list_selects_the_convention() {
        assert_eq!(Convention::parse(""), Convention::V1_41);
        assert_eq!(Convention::parse("http"), Convention::V1_41);
        assert_eq!(
            Convention::parse("gen_ai_latest_experimental"),
            Convention::Latest
        );
        assert_eq!(
            Convention::parse("http/dup, gen_ai_latest_experimental"),
            Convention::Latest
        );
        assert_eq!(
            Convention::parse("gen_ai_latest_experimental/dup"),
            Convention::Both
        );
        assert_eq!(
            Convention::parse("gen_ai_latest_experimental,gen_ai_latest_experimental/dup"),
            Convention::Both
        );
        // A near miss is not an opt-in.
        assert_eq!(
            Convention::parse("gen_ai_latest_experimental_x"),
            Convention::V1_41
        );
    }

    #[test]
    fn dup_queries_the_names_already_deployed() {
        assert_eq!(Convention::Both.queried(), Convention::V1_41);
        assert!(Convention::Both.emits_v1_41() && Convention::Both.emits_latest());
        assert!(!Convention::Latest.emits_v1_41());
        assert!(!Convention::V1_41.emits_latest());
    }
}
