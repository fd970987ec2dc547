//! A scripted reply: what the mock sends for one request.

use std::time::Duration;

use super::shapes::{default_error, MessageSpec};
use callwatch_core::classify::SPEND_CAP_ERROR_CODE;

#[derive(Clone, Debug)]
pub(crate) enum ReplyKind {
    /// A Messages success; SSE when the request asked for `stream: true`.
    Success(MessageSpec),
    /// An error envelope.
    Error {
        error_type: String,
        message: String,
        error_code: Option<String>,
    },
    /// A 200 SSE stream that fails part-way with an `event: error`.
    StreamError { error_type: String, message: String },
    /// A non-JSON body (a gateway's HTML page).
    Html,
    /// Close the socket without answering.
    DropConnection,
}

/// One reply. Build with the constructors, refine with the chained setters.
#[derive(Clone, Debug)]
pub struct Reply {
    pub(crate) status: u16,
    pub(crate) kind: ReplyKind,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) delay: Duration,
}

impl Reply {
    fn new(status: u16, kind: ReplyKind) -> Reply {
        Reply {
            status,
            kind,
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// A 200 with a message (or the event stream when the request streams).
    pub fn success() -> Reply {
        Reply::new(200, ReplyKind::Success(MessageSpec::default()))
    }

    /// `status` with the error envelope the API documents for it (529 `overloaded_error`,
    /// 429 `rate_limit_error`, …). A 2xx status gives a success.
    pub fn status(status: u16) -> Reply {
        if (200..300).contains(&status) {
            let mut reply = Reply::success();
            reply.status = status;
            return reply;
        }
        let (error_type, message) = default_error(status);
        Reply::error(status, error_type, message)
    }

    /// `status` with an error envelope of this type and message.
    pub fn error(status: u16, error_type: &str, message: &str) -> Reply {
        Reply::new(
            status,
            ReplyKind::Error {
                error_type: error_type.to_owned(),
                message: message.to_owned(),
                error_code: None,
            },
        )
    }

    /// A 200 stream that sends `event: error` with this type after the first delta.
    pub fn stream_error(error_type: &str, message: &str) -> Reply {
        Reply::new(
            200,
            ReplyKind::StreamError {
                error_type: error_type.to_owned(),
                message: message.to_owned(),
            },
        )
    }

    /// `status` with an HTML body, as a gateway sends (502 from a CDN).
    pub fn html(status: u16) -> Reply {
        Reply::new(status, ReplyKind::Html)
    }

    /// Close the connection without a response.
    pub fn drop_connection() -> Reply {
        Reply::new(0, ReplyKind::DropConnection)
    }

    /// 400 "Your credit balance is too low…" (billing).
    pub fn credit_balance_too_low() -> Reply {
        Reply::error(
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
        )
    }

    /// 402 or 403 `billing_error`.
    pub fn billing_error(status: u16) -> Reply {
        Reply::error(status, "billing_error", "Your account has a billing issue.")
    }

    /// 429 spend cap: `error_code: enforced_spend_limit_reached`, no retry hint.
    pub fn spend_cap() -> Reply {
        let mut reply = Reply::error(
            429,
            "rate_limit_error",
            "You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.",
        );
        if let ReplyKind::Error { error_code, .. } = &mut reply.kind {
            *error_code = Some(SPEND_CAP_ERROR_CODE.to_owned());
        }
        reply
    }

    /// The HTTP status this reply sends (0 for a dropped connection).
    pub fn status_code(&self) -> u16 {
        self.status
    }

    pub fn header(mut self, name: &str, value: impl ToString) -> Reply {
        self.headers.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn retry_after_ms(self, ms: u64) -> Reply {
        self.header("retry-after-ms", ms)
    }

    pub fn retry_after_secs(self, secs: u64) -> Reply {
        self.header("retry-after", secs)
    }

    pub fn should_retry(self, retry: bool) -> Reply {
        self.header("x-should-retry", retry)
    }

    /// Wait this long before answering (a slow upstream; with a client timeout, a timeout).
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// A streamed success waits this long before its first `content_block_delta` (headers and
    /// `message_start` go out at once, as the API sends them before the first token).
    pub fn first_chunk_delay(mut self, delay: Duration) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.first_delta_delay = delay;
        }
        self
    }

    /// A streamed success sends `gaps.len() + 1` content deltas, waiting `gaps[i]` before the
    /// delta after the `i`-th (the gaps between output chunks a client then measures).
    pub fn chunk_gaps(mut self, gaps: &[Duration]) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.chunk_gaps = gaps.to_vec();
        }
        self
    }

    /// A streamed success that ends cleanly after its content deltas, without `message_delta`
    /// and `message_stop`: a stream cut short.
    pub fn cut_before_message_stop(mut self) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.cut_before_stop = true;
        }
        self
    }

    /// The model a success reports (default: the requested one).
    pub fn model(mut self, model: &str) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.model = Some(model.to_owned());
        }
        self
    }

    /// The stop reason of a success (`max_tokens` to mark it truncated).
    pub fn stop_reason(mut self, reason: &str) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.stop_reason = reason.to_owned();
        }
        self
    }

    /// The text of a success (default a short greeting); a long one makes a large body.
    pub fn text(mut self, text: &str) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.text = Some(text.to_owned());
        }
        self
    }

    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.input_tokens = input_tokens;
            spec.output_tokens = output_tokens;
        }
        self
    }

    /// Prompt-cache reads and writes a success reports (beside its uncached input).
    pub fn cache_usage(mut self, read: u64, creation: u64) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.cache_read_input_tokens = read;
            spec.cache_creation_input_tokens = creation;
        }
        self
    }

    /// The full usage of a success, prompt-cache tokens included.
    pub fn tokens(mut self, t: Tokens) -> Reply {
        if let ReplyKind::Success(spec) = &mut self.kind {
            spec.input_tokens = t.input;
            spec.output_tokens = t.output;
            spec.cache_read_input_tokens = t.cache_read;
            spec.cache_creation_input_tokens = t.cache_creation;
        }
        self
    }
}

/// The token usage a success reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_creation: u64,
}
