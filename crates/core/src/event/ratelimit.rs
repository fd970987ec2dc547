//! The optional `ratelimit` field of a call line: the limit and remaining of each
//! `anthropic-ratelimit-*` kind the response carried, e.g.
//! `"ratelimit":{"requests":{"limit":50,"remaining":41},"input_tokens":{"limit":40000,"remaining":12000}}`.
//! The rules engine reads how `remaining` drains over event time (`ratelimit_runway` rules), so a
//! replay judges rate-limit headroom as the live agent did. The reset times are not kept: with
//! traffic still flowing they do not say when a limit is reached.

use serde::{Deserialize, Serialize};

use crate::classify::{Headroom, RateLimit};

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub(super) struct RateLimitField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) requests: Option<Pair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tokens: Option<Pair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) input_tokens: Option<Pair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) output_tokens: Option<Pair>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(super) struct Pair {
    pub(super) limit: u64,
    pub(super) remaining: u64,
}

impl RateLimitField {
    /// The field for a response's headers; `None` when it carried none.
    pub(super) fn of(rate_limit: &RateLimit) -> Option<RateLimitField> {
        let pair = |h: &Option<Headroom>| {
            h.map(|h| Pair {
                limit: h.limit,
                remaining: h.remaining,
            })
        };
        (!rate_limit.is_empty()).then(|| RateLimitField {
            requests: pair(&rate_limit.requests),
            tokens: pair(&rate_limit.tokens),
            input_tokens: pair(&rate_limit.input_tokens),
            output_tokens: pair(&rate_limit.output_tokens),
        })
    }

    /// Back to the classifier's shape, or what is wrong (`remaining` above `limit`).
    pub(super) fn rate_limit(self) -> Result<RateLimit, String> {
        let headroom = |kind: &str, p: Option<Pair>| -> Result<Option<Headroom>, String> {
            match p {
                Some(p) if p.remaining > p.limit => Err(format!(
                    "`ratelimit.{kind}`: remaining {} is above limit {}",
                    p.remaining, p.limit
                )),
                Some(p) => Ok(Some(Headroom {
                    limit: p.limit,
                    remaining: p.remaining,
                    reset: None,
                })),
                None => Ok(None),
            }
        };
        Ok(RateLimit {
            requests: headroom("requests", self.requests)?,
            tokens: headroom("tokens", self.tokens)?,
            input_tokens: headroom("input_tokens", self.input_tokens)?,
            output_tokens: headroom("output_tokens", self.output_tokens)?,
        })
    }
}
