//! The world behind `Newsroom`'s streams: Tokyo's calendar (the run opening on a Monday at
//! 09:00, Culture Day on the Tuesday), the readers' and the research desk's days, the run's news
//! (a Poisson process of stories, each setting off a decaying burst of readers) and the prompt
//! sizes, all drawn once per run.

use rand::rngs::StdRng;
use rand::Rng;

use super::{DAY_S, HOUR_S};

/// The harness's first instant (Monday 2 November 2026, 00:00 UTC) in Tokyo (UTC+9, no summer
/// time): Monday 09:00, counted from that Monday's 00:00 local (local day 0).
pub const LOCAL_AT_START_S: f64 = 9.0 * HOUR_S;
/// Local day 1, Tuesday 3 November: Culture Day (文化の日), a national holiday.
pub const CULTURE_DAY: i64 = 1;

/// Stories worth a burst: one every two hours on average, day and night (the world's news
/// does not keep Tokyo's hours; whether readers are awake to read it is the readers' day).
pub const EVENTS_PER_HOUR: f64 = 0.5;
/// A story's size (its burst's peak, in units of a typical story's) is Pareto with this
/// exponent, truncated at [`EVENT_SIZE_MAX`]: most stories small, a few (an earthquake, an
/// election call) tens of times a typical one.
pub const EVENT_ALPHA: f64 = 1.6;
pub const EVENT_SIZE_MAX: f64 = 30.0;
/// The burst's rise (a push notification, the story trending): minutes.
pub const RISE_S: f64 = 3.0 * 60.0;
/// The burst's decay time is drawn per story between these (seconds).
pub const DECAY_S: (f64, f64) = (20.0 * 60.0, 60.0 * 60.0);
/// The news is drawn from this long before the run (so it opens mid-story) to past the
/// exhaustion's 64 h and the whole Wednesday the rates are normalised on.
const NEWS_FROM_S: f64 = -8.0 * HOUR_S;
const NEWS_TO_S: f64 = 90.0 * HOUR_S;

/// The local (day, hour) of `t` seconds into the run.
pub fn local(t: f64) -> (i64, f64) {
    let s = t + LOCAL_AT_START_S;
    let day = (s / DAY_S).floor() as i64;
    (day, (s - day as f64 * DAY_S) / HOUR_S)
}

/// A bump centred on `at` (local hours, wrapping round midnight) of width `sd` hours.
fn bump(h: f64, at: f64, sd: f64) -> f64 {
    let d = (h - at + 12.0).rem_euclid(24.0) - 12.0;
    (-0.5 * (d / sd).powi(2)).exp()
}

/// Readers of a Japanese news app on a working day (raw): a floor through the small hours, the
/// morning commute on the train (07:00–08:30), lunch, a working-day plateau, and the evening
/// at home, the day's highest (21:00–23:00).
fn weekday_readers(h: f64) -> f64 {
    let office = 1.0 / (1.0 + (-(h - 9.0) * 3.0).exp()) / (1.0 + (-(18.0 - h) * 2.0).exp());
    0.10 + 0.85 * bump(h, 7.6, 0.9)
        + 0.55 * bump(h, 12.4, 0.7)
        + 0.35 * office
        + 1.0 * bump(h, 22.0, 1.6)
}

/// Readers on a holiday (raw): no commute, a late and broad morning, an afternoon, the evening.
fn holiday_readers(h: f64) -> f64 {
    0.10 + 0.55 * bump(h, 10.5, 2.2) + 0.35 * bump(h, 14.5, 2.0) + 0.95 * bump(h, 21.5, 1.8)
}

/// The research desk's editors (raw): the day desk 07:00–24:00, a night desk of a quarter.
fn desk_on(h: f64, holiday: bool) -> f64 {
    let day = (7.0..24.0).contains(&h);
    match (day, holiday) {
        (true, false) => 1.0,
        (true, true) => 0.6,
        (false, _) => 0.25,
    }
}

/// The mean of `f` over a local day, minute by minute.
fn day_mean(f: impl Fn(f64) -> f64) -> f64 {
    (0..1440)
        .map(|m| f((f64::from(m) + 0.5) / 60.0))
        .sum::<f64>()
        / 1440.0
}

/// One story: when it breaks, how big its burst is, how fast it fades, how often the article
/// is rewritten while it develops, and the article's length (tokens).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub at: f64,
    pub size: f64,
    pub decay_s: f64,
    pub update_s: f64,
    pub article: u64,
}

impl Event {
    /// The story's burst at `t` (its size at the peak): a rise over minutes, an exponential fade.
    pub fn burst(&self, t: f64) -> f64 {
        let u = t - self.at;
        if u <= 0.0 || u > 12.0 * self.decay_s {
            return 0.0;
        }
        self.size * (1.0 - (-u / RISE_S).exp()) * (-u / self.decay_s).exp()
    }

    /// The version of the article a reader opens at `t` (rewritten every `update_s` while the
    /// story develops, its first two decay times; then left as it is).
    pub fn version(&self, t: f64) -> u64 {
        let u = (t - self.at).clamp(0.0, 2.0 * self.decay_s);
        (u / self.update_s) as u64
    }
}

/// The mean of a truncated Pareto(α) on [1, c].
fn pareto_mean(alpha: f64, c: f64) -> f64 {
    alpha / (alpha - 1.0) * (1.0 - c.powf(1.0 - alpha)) / (1.0 - c.powf(-alpha))
}

/// What one run draws once and every stream of the run shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The share of the readers' calls that the news bursts bring (the rest, the long tail of
    /// the archive and the daily habit), and the run's stories.
    pub news_share: f64,
    pub events: Vec<Event>,
    /// The holiday's readers against a working day's.
    pub holiday_level: f64,
    /// The app's system prompt (sonnet, cached), the moderation guidelines (haiku, cached).
    pub app_system: u64,
    pub guidelines: u64,
    /// The partner's crawl: pages a pass (20 articles each, the last page the remainder), the
    /// remainder, and the pause between passes (seconds).
    pub pass_pages: u32,
    pub last_page: u32,
    pub pause_s: f64,
    /// The wire desk's prompt: the style guide and glossary (1-hour cache), today's story list
    /// (5-minute cache).
    pub style_guide: u64,
    pub story_list: u64,
    /// The research desk's extended-thinking budget.
    pub thinking_budget: u64,
    /// The news's expected level (so the readers' rate is 1 on average over a working day), and
    /// the raw days' means.
    news_mean: f64,
    readers_mean: f64,
    desk_mean: f64,
}

impl Run {
    pub fn draw(rng: &mut StdRng) -> Run {
        let news_share = rng.random_range(0.35..0.55);
        let mut events = Vec::new();
        let mut t = NEWS_FROM_S;
        loop {
            t += super::exp(rng, HOUR_S / EVENTS_PER_HOUR);
            if t >= NEWS_TO_S {
                break;
            }
            let u: f64 = rng.random();
            let size =
                (1.0 - u * (1.0 - EVENT_SIZE_MAX.powf(-EVENT_ALPHA))).powf(-1.0 / EVENT_ALPHA);
            let decay_s = rng.random_range(DECAY_S.0..DECAY_S.1);
            events.push(Event {
                at: t,
                size,
                decay_s,
                update_s: rng.random_range(15.0..40.0) * 60.0,
                article: (2_500.0 * (0.4 * super::normal(rng)).exp()).min(12_000.0) as u64 + 300,
            });
        }
        // A story's expected burst integrates to E[size] × E[θ²/(θ+ρ)].
        let integral = (0..100)
            .map(|i| {
                let th = DECAY_S.0 + (DECAY_S.1 - DECAY_S.0) * (f64::from(i) + 0.5) / 100.0;
                th * th / (th + RISE_S)
            })
            .sum::<f64>()
            / 100.0;
        let news_mean =
            EVENTS_PER_HOUR / HOUR_S * pareto_mean(EVENT_ALPHA, EVENT_SIZE_MAX) * integral;
        Run {
            news_share,
            events,
            holiday_level: rng.random_range(0.75..1.0),
            app_system: rng.random_range(3_000..5_000),
            guidelines: rng.random_range(4_500..6_500),
            pass_pages: rng.random_range(150..400),
            last_page: rng.random_range(1..20),
            pause_s: rng.random_range(5.0..20.0) * 60.0,
            style_guide: rng.random_range(15_000..24_000),
            story_list: rng.random_range(8_000..16_000),
            thinking_budget: rng.random_range(12_000..24_000),
            news_mean,
            readers_mean: day_mean(weekday_readers),
            desk_mean: day_mean(|h| desk_on(h, false)),
        }
    }

    /// The readers at `t`, 1 on average over a working day.
    pub fn readers(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        if day == CULTURE_DAY {
            self.holiday_level * holiday_readers(h) / day_mean(holiday_readers)
        } else {
            weekday_readers(h) / self.readers_mean
        }
    }

    /// The research desk's editors at `t`, 1 on average over a working day.
    pub fn desk(&self, t: f64) -> f64 {
        let (day, h) = local(t);
        desk_on(h, day == CULTURE_DAY) / self.desk_mean
    }

    /// The news at `t` against its expected level: 1 on average, bursts up to tens.
    pub fn news(&self, t: f64) -> f64 {
        self.events.iter().map(|e| e.burst(t)).sum::<f64>() / self.news_mean
    }

    /// The readers' calls at `t` against the base: the readers' day × (the habit + the news).
    pub fn reading(&self, t: f64) -> f64 {
        self.readers(t) * (1.0 - self.news_share + self.news_share * self.news(t))
    }

    /// Which story a reader's call at `t` is about, if any: a story with the share of the rate
    /// its burst brings; else the long tail.
    pub fn story_of(&self, rng: &mut StdRng, t: f64) -> Option<usize> {
        let habit = 1.0 - self.news_share;
        let mut x = rng.random::<f64>() * (habit + self.news_share * self.news(t));
        if x < habit {
            return None;
        }
        x -= habit;
        for (i, e) in self.events.iter().enumerate() {
            let share = self.news_share * e.burst(t) / self.news_mean;
            if x < share {
                return Some(i);
            }
            x -= share;
        }
        None
    }
}
