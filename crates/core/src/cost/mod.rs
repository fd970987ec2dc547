//! What calls cost: token usage by kind × a price table ([`PriceTable`]).
//!
//! The recorder's hot path only adds token counts per series (three more counters beside the
//! input and output totals it already keeps); dollars are computed when a snapshot is taken
//! ([`spend`]), per model, key id and operation. A model the table does not price is counted
//! as unpriced and warned about once — never priced at zero.
//!
//! ```
//! # // The price table is behind the `prices` feature (on in every crate that prices calls).
//! # #[cfg(feature = "prices")] {
//! use callwatch_core::classify::Usage;
//! use callwatch_core::cost::{PriceTable, TokenCounts};
//!
//! let usage = Usage { input_tokens: 1_000, output_tokens: 500, ..Usage::default() };
//! let price = PriceTable::embedded().price("claude-sonnet-4-6").unwrap();
//! // 1000 × $3/MTok + 500 × $15/MTok
//! assert!((price.cost_usd(&TokenCounts::of(&usage)) - 0.0105).abs() < 1e-12);
//! # }
//! ```

#[cfg(feature = "prices")]
mod config;
#[cfg(feature = "prices")]
mod prices;
mod prometheus;
mod spend;

#[cfg(feature = "prices")]
pub use config::{
    parses_as_toml, Budget, Credit, SpendConfig, SpendConfigError, ENV_CREDIT_AS_OF,
    ENV_CREDIT_BALANCE_USD, ENV_MONTHLY_SPEND_LIMIT_USD, ENV_PRICES,
};
#[cfg(feature = "prices")]
pub use prices::{parse_rows, Price, PriceError, PriceTable, EMBEDDED_PRICES, PRICE_UNIT};
pub(crate) use prometheus::render_prometheus;
pub use spend::Spend;
#[cfg(feature = "prices")]
pub use spend::{spend, warn_unpriced_once};

use crate::classify::Usage;

/// One call's (or many calls') tokens by the kind each is billed as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenCounts {
    /// Base input tokens (neither read from nor written to the cache).
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
}

impl TokenCounts {
    /// The billed kinds of a response's `usage`: cache writes split by TTL (writes the
    /// response does not attribute to the 1-hour TTL are 5-minute writes, the default).
    pub fn of(usage: &Usage) -> TokenCounts {
        let write_1h = usage
            .cache_creation_1h_input_tokens
            .min(usage.cache_creation_input_tokens);
        TokenCounts {
            input: usage.input_tokens,
            output: usage.output_tokens,
            cache_read: usage.cache_read_input_tokens,
            cache_write_5m: usage.cache_creation_input_tokens - write_1h,
            cache_write_1h: write_1h,
        }
    }

    pub fn add(&mut self, other: &TokenCounts) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.cache_write_5m = self.cache_write_5m.saturating_add(other.cache_write_5m);
        self.cache_write_1h = self.cache_write_1h.saturating_add(other.cache_write_1h);
    }
}

#[cfg(all(test, feature = "prices"))]
mod tests;
