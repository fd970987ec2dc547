//! What one run of `Shop` draws once and every stream of it shares: the days' levels, Cyber
//! Monday's flash sales and re-run, the prompts, the catalogue workers' pace, the agents'
//! pods; and the streams' shapes over time, each 1 on average over the normal Monday.

use rand::rngs::StdRng;
use rand::Rng;

use super::shoppers::calls_per_conversation;
use super::world::{
    at_local, hourly, local, weekend, FlashSale, AFTER_TUESDAY, CHANGES, CYBER_CHANGES,
    CYBER_EDITS, CYBER_MONDAY, CYBER_RETURNS, CYBER_SUNDAY, EDITS, FIRST_NIGHT, NIGHTLY_HOUR,
    NIGHTS, NORMAL_MONDAY, RETURNS_DESK, SALE_HOURS, WEDNESDAY, WEEKDAY, WEEKDAY_MOBILE, WEEKEND,
    WEEKEND_EDITS, WEEKEND_MOBILE, WEEKEND_RETURNS,
};
use super::{lognormal, minutes, DAY_S};

#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The shoppers over a normal day of the same kind: the Cyber weekend's Sunday (its deals
    /// still on), Cyber Monday, the Tuesday after it (the hangover) and the Wednesday.
    pub sunday: f64,
    pub cyber: f64,
    pub hangover: f64,
    pub wednesday: f64,
    /// Cyber Monday's flash sales, in time order.
    pub sales: Vec<FlashSale>,
    /// The shopping assistant: its system prompt, the shop's policies and its tools (tokens,
    /// on each conversation's 5-minute cache); the share of `k-app`'s sonnet calls that are
    /// product questions; a turn's chance of a tool call (a catalogue search, an order's
    /// status); the chance a conversation ends after its first turn, on a desktop and on a phone.
    pub chat_prompt: u64,
    pub qa_share: f64,
    pub tool_share: f64,
    pub abandon_desktop: f64,
    pub abandon_mobile: f64,
    /// The search rewriter's instructions (tokens, uncached).
    pub search_prompt: u64,
    /// The catalogue: the copywriters' style guide with every language's glossary (tokens, on
    /// the 1-hour cache), the languages each description is translated into, the workers' pace
    /// (calls a minute), the merchandisers' edits' share of `k-batch`'s calls on a normal day,
    /// each night's start after 02:00 (seconds, from [`FIRST_NIGHT`]), and Cyber Monday's
    /// re-run: its start (seconds into the run) and length (seconds).
    pub style_guide: u64,
    pub languages: u32,
    pub job_per_min: f64,
    pub edits_share: f64,
    pub nightly_delays: Vec<f64>,
    pub rerun_at: f64,
    pub rerun_s: f64,
    /// The returns agent: its prompt, the returns policy of each country and the fraud rules
    /// (tokens, on each case's 5-minute cache); Tuesday's cases over a normal Tuesday's.
    pub returns_prompt: u64,
    pub returns_tuesday: f64,
    /// The recommendation agent: its prompt, tools and merchandising rules (tokens, on the
    /// 5-minute cache its calls keep warm); each pod's pick-up of a rules change (seconds after
    /// it: the rules' cache in each pod expires on its own clock).
    pub agent_prefix: u64,
    pub pods: Vec<f64>,
    /// The raw shapes' means over the normal Monday (the changes': over the day its nightly
    /// job reads).
    shoppers_mean: f64,
    conversation_calls_mean: f64,
    changes_mean: f64,
    edits_mean: f64,
    returns_mean: f64,
}

/// Draws `n` distinct whole hours in `SALE_HOURS`, at least two hours apart, in order.
fn sale_hours(rng: &mut StdRng, n: usize) -> Vec<u32> {
    loop {
        let mut hours: Vec<u32> = (0..n)
            .map(|_| rng.random_range(SALE_HOURS.0..=SALE_HOURS.1))
            .collect();
        hours.sort_unstable();
        if hours.windows(2).all(|w| w[1] >= w[0] + 2) {
            return hours;
        }
    }
}

impl Run {
    pub fn draw(rng: &mut StdRng) -> Run {
        let n_sales = rng.random_range(2..=4);
        let sales = sale_hours(rng, n_sales)
            .into_iter()
            .map(|h| FlashSale {
                at: at_local(CYBER_MONDAY, f64::from(h)),
                rise_s: 60.0 * rng.random_range(2.0..5.0),
                peak: rng.random_range(3.0..5.0),
                decay_s: 60.0 * rng.random_range(30.0..60.0),
            })
            .collect();
        let ttl = rng.random_range(30.0..90.0);
        let mut run = Run {
            sunday: rng.random_range(1.2..1.5),
            cyber: rng.random_range(2.5..4.0),
            hangover: rng.random_range(0.6..0.8),
            wednesday: rng.random_range(0.85..1.0),
            sales,
            chat_prompt: rng.random_range(3_000..5_000),
            qa_share: rng.random_range(0.25..0.4),
            tool_share: rng.random_range(0.2..0.35),
            abandon_desktop: rng.random_range(0.2..0.3),
            abandon_mobile: rng.random_range(0.4..0.55),
            search_prompt: rng.random_range(400..900),
            style_guide: rng.random_range(8_000..15_000),
            languages: rng.random_range(5..=8),
            job_per_min: rng.random_range(60.0..80.0),
            edits_share: rng.random_range(0.04..0.07),
            nightly_delays: (0..NIGHTS)
                .map(|_| lognormal(rng, 60.0, 0.6).min(600.0))
                .collect(),
            rerun_at: at_local(CYBER_MONDAY, rng.random_range(8.0..11.5)),
            rerun_s: 60.0 * rng.random_range(20.0..40.0),
            returns_prompt: rng.random_range(6_000..9_000),
            returns_tuesday: rng.random_range(1.6..2.2),
            agent_prefix: rng.random_range(3_000..5_000),
            pods: Vec::new(),
            shoppers_mean: 1.0,
            conversation_calls_mean: 1.0,
            changes_mean: 1.0,
            edits_mean: 1.0,
            returns_mean: 1.0,
        };
        run.pods = (0..rng.random_range(3..=6))
            .map(|_| rng.random_range(0.0..ttl))
            .collect();
        let mean_over = |from: f64, f: &dyn Fn(f64) -> f64| {
            minutes(from, from + DAY_S).map(f).sum::<f64>() / 1440.0
        };
        let monday = at_local(NORMAL_MONDAY, 0.0);
        run.shoppers_mean = mean_over(monday, &|t| run.shoppers_raw(t));
        run.conversation_calls_mean = mean_over(monday, &|t| {
            run.shoppers_raw(t) * calls_per_conversation(run.abandon(t), run.tool_share)
        });
        run.changes_mean = mean_over(at_local(NORMAL_MONDAY - 1, NIGHTLY_HOUR), &|t| {
            run.changes_raw(t)
        });
        run.edits_mean = mean_over(monday, &|t| run.edits_raw(t));
        run.returns_mean = mean_over(monday, &|t| run.returns_raw(t));
        run
    }

    /// The shoppers' level on local `day` over a normal day of its kind.
    pub fn day_level(&self, day: i64) -> f64 {
        match day {
            CYBER_SUNDAY => self.sunday,
            CYBER_MONDAY => self.cyber,
            AFTER_TUESDAY => self.hangover,
            WEDNESDAY => self.wednesday,
            _ => 1.0,
        }
    }

    /// The flash sales' factor at `t` (1 outside them).
    pub fn flash(&self, t: f64) -> f64 {
        1.0 + self.sales.iter().map(|s| s.excess(t)).sum::<f64>()
    }

    fn shoppers_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let curve = if weekend(day) { &WEEKEND } else { &WEEKDAY };
        hourly(curve, h) * self.day_level(day) * self.flash(t)
    }

    /// The share of the shoppers on phones at `t`.
    pub fn mobile(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        hourly(
            if weekend(day) {
                &WEEKEND_MOBILE
            } else {
                &WEEKDAY_MOBILE
            },
            h,
        )
    }

    /// The chance a conversation opened at `t` ends after its first turn (phones and desktops
    /// mixed as at `t`).
    pub fn abandon(&self, t: f64) -> f64 {
        let m = self.mobile(t);
        m * self.abandon_mobile + (1.0 - m) * self.abandon_desktop
    }

    fn changes_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let cyber = if day == CYBER_MONDAY {
            CYBER_CHANGES
        } else {
            1.0
        };
        hourly(&CHANGES, h) * cyber
    }

    fn edits_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        let level = match day {
            CYBER_MONDAY => CYBER_EDITS,
            d if weekend(d) => WEEKEND_EDITS,
            _ => 1.0,
        };
        hourly(&EDITS, h) * level
    }

    /// The returns desk's cases on local `day` over a normal weekday's: the weekend's intake,
    /// Cyber Monday's desk half lent out, then the returns of the week's orders: Tuesday's
    /// drawn lift, Wednesday still above a normal day by some three-fifths of it.
    pub fn returns_level(&self, day: i64) -> f64 {
        match day {
            CYBER_MONDAY => CYBER_RETURNS,
            AFTER_TUESDAY => self.returns_tuesday,
            WEDNESDAY => 1.0 + 0.6 * (self.returns_tuesday - 1.0),
            d if weekend(d) => WEEKEND_RETURNS,
            _ => 1.0,
        }
    }

    fn returns_raw(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        hourly(&RETURNS_DESK, h) * self.returns_level(day)
    }

    /// Shoppers at `t` (searches, product questions, recommendations), 1 on average over the
    /// normal Monday.
    pub fn shoppers(&self, t: f64) -> f64 {
        self.shoppers_raw(t) / self.shoppers_mean
    }

    /// Conversations opened at `t` per call a minute of the assistant's base rate: the
    /// shoppers over their mean calls (a conversation's calls, its turns and tool calls, as the
    /// phones' share at `t` makes them), so the calls average the base rate on the normal Monday.
    pub fn conversations(&self, t: f64) -> f64 {
        self.shoppers_raw(t) / self.conversation_calls_mean
    }

    /// Catalogue changes made at `t`, 1 on average over the day the normal Monday's nightly
    /// job reads.
    pub fn changes(&self, t: f64) -> f64 {
        self.changes_raw(t) / self.changes_mean
    }

    /// The merchandisers' manual edits at `t`, 1 on average over the normal Monday.
    pub fn edits(&self, t: f64) -> f64 {
        self.edits_raw(t) / self.edits_mean
    }

    /// Returns cases handed to the agent at `t`, 1 on average over the normal Monday.
    pub fn returns(&self, t: f64) -> f64 {
        self.returns_raw(t) / self.returns_mean
    }

    /// The nightly jobs' starts (seconds into the run), from [`FIRST_NIGHT`]'s.
    pub fn nightly_jobs(&self) -> Vec<f64> {
        self.nightly_delays
            .iter()
            .enumerate()
            .map(|(d, w)| at_local(FIRST_NIGHT + d as i64, NIGHTLY_HOUR) + w)
            .collect()
    }
}
