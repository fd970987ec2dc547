//! `Newsroom`, the thirteenth generator (session 29), written while SpendRateSpike and
//! CreditRunwayLow were being changed on the twelve others, and held out: not run on the rules
//! (no alert computed on its calls) until the session's rule changes are merged, then run once.
//! A Tokyo (UTC+9, no summer time) news publisher's Claude API traffic: readers of its app ask
//! about the stories they read, its comment sections are moderated, a syndication partner
//! pulls the catalogue translated page by page, an editors' research desk works with extended
//! thinking, and a wire desk edits the agency copy. Four things, each of which matters to
//! spend:
//!
//! * **Traffic set off by the news.** The readers' calls are shot noise: the run's stories
//!   break as a Poisson process (one every two hours on average, day and night), each sets off
//!   a burst that rises over minutes (the push notification, the story trending) and fades
//!   exponentially over 20–60 minutes (drawn per story), its size Pareto (α 1.6, truncated at
//!   30× a typical story's): most stories small, and a run's biggest (an earthquake, an election
//!   call: the news at 6–29× its mean at its peak, median 12, over 40 runs) takes the readers'
//!   calls to 3–14× their usual level for the best part of an hour. The bursts bring 35–55 % of the
//!   readers' calls (drawn per run), on top of the habit, and are scaled by the readers awake: a
//!   story at 03:00 is small until the morning. The same stories drive every reader-facing key
//!   at once (the comments lag the reading by 10 minutes) and the research desk. The stories
//!   are the run's news: drawn once per run, so realisations of one run share them.
//! * **A Japanese reader's day and a holiday's.** A floor through the small hours, the morning
//!   commute on the train (07:00–08:30), lunch, the working day, and the evening at home the
//!   day's highest (21:00–23:00). The harness's first instant, Monday 2 November 2026 00:00
//!   UTC, is Monday 09:00 in Tokyo, and Tuesday 3 November is Culture Day (文化の日), a national
//!   holiday: no commute, a late broad morning, the evening, at 75–100 % of a working day's
//!   readers (drawn per run); the research desk at 60 %. The quiet runs' 36 h end on the
//!   holiday's evening, the exhaustion's 64 h on Thursday 01:00; the jump at 3 h is Monday's
//!   lunch.
//! * **Readers' questions on a hot article's cache.** `k-app` (sonnet) answers a reader's
//!   question about the article open in the app: the app's system prompt (3k–5k tokens, drawn
//!   per run), then the article (median 2.5k tokens), both on the 5-minute cache, the question
//!   after (median 150) and a streamed answer (median 350). A story's article is shared by
//!   every reader of the story: in its burst the article stays warm and each call reads it,
//!   and every rewrite while the story develops (every 15–40 minutes) is written once; a call
//!   about the long tail of the archive writes its article. So a burst's calls cost half the
//!   habit's: the spend rises less than the calls. `k-app`'s haiku stream moderates the
//!   comments (Japanese portals' comment sections are large): the guidelines (4.5k–6.5k
//!   tokens, over haiku's least cacheable prompt) read from the cache, the comment and its
//!   headline (median 180) and a label (median 25 out): a tenth of a cent, at the readers' rate
//!   with the news 10 minutes late.
//! * **A partner's paced crawl in exact pages.** `k-batch` (sonnet) is a syndication partner's
//!   integration: its crawler walks the day's catalogue in pages of exactly 20 articles (150–400
//!   pages a pass, drawn per run; the last page the remainder), each page one call translating
//!   the 20 headlines and ledes into English summaries (a template under sonnet's least
//!   cacheable prompt, so nothing cached). The crawler is paced by its rate limit, not by
//!   readers or news: pages at near-constant gaps (±10 %), a pause of 5–20 minutes (drawn)
//!   between passes: counts under-dispersed, each call's cost within a few percent of the next.
//!   And `k-research` (opus, 0.25 calls a minute, an extra stream) is the editors' research
//!   desk: each call a bundle of sources (median 10k tokens, uncached) and extended thinking
//!   (median 5k thinking tokens, to a budget of 12k–24k drawn per run, billed as output) before
//!   a 900-token answer, a quarter of a dollar a call; it follows the desk's roster (07:00–24:00,
//!   a night desk of a quarter) and the news (half its calls come with the bursts).
//!
//! Against the twelve, each differs in three or more of these: Steady, Tenants and Cascades
//! have no day, no news, no shared article cache and no paced crawler (Cascades' clusters are
//! self-excited chains of 20 s, not external stories of an hour that move every key at once);
//! Sessions no day, no news, no crawler, agent sessions on growing contexts; Diurnal a sine day,
//! two tenants switching on and off (each its own, about every 3 hours), no cache, no crawler;
//! Fleet a UTC+8 working week, a daily sweep at a fixed hour and tool chains; Saas two regions
//! in UTC, a nightly sync and a migration; Launch a drawn hour, 20–35 % growth a day and eval
//! suites on a period (its extended thinking on a clock, here on the news); Contracts an IST
//! five-day week, a few huge calls; Helpdesk sparse keys in three zones and Markov regimes;
//! Studio a Pacific week, IDE sessions on the 1-hour cache, a router and a CI on a clock;
//! CallCentre a São Paulo roster clipping its day flat, a queue-triggered job, Finados. None
//! has UTC+9, external events as shot noise, a cache shared between users' calls or a paced,
//! under-dispersed stream.
//!
//! **The jump is a cache regression: the same calls, the same tokens, another price.**
//! `k-agent` (the harness's jumping key: opus, 4 calls a minute) is the wire desk: it edits each
//! agency story (Kyodo, Jiji: median 1.4k tokens in, uncached) to the house style (median 600
//! tokens out), round the clock and flat. Its prompt is the style guide and glossary (15k–24k
//! tokens on the 1-hour cache) and today's story list (8k–16k on the 5-minute cache), both
//! drawn per run, read by every call. A deploy puts the request time, to the millisecond, at the
//! top of the system prompt ("現在時刻: …"): every call on the new build misses the cache and
//! writes the whole prefix, the style guide at the 1-hour write price ($10 against $0.50 a
//! million read), the story list at the 5-minute one ($6.25). The rate, the requests and
//! their token counts are unmoved; only the kind of the prefix's tokens changes, so a call
//! on the new build costs `M` = 6.2–8.1 times one on the old (drawn with the prompt sizes). The
//! deploy is a progressive rollout whose canary analysis watches errors and latency, not cost,
//! so it passes: the scenario's `scale` s on `k-agent` is the rollout's weight
//! (s − 1)/(M − 1), the share of requests the ingress's weighted round robin sends to the new
//! build, reached in three steps of 30 s,
//! so the stream's spend is s× from a minute after the jump and holds (the 10 minutes after
//! the jump at 5.3–6.1× the same run without it over seeds 0–19, median 5.6; 2.6× in the first
//! minute, 6.0× from the third: see the tests).
//! (Studio's jump is six candidates at once, CallCentre's six sequential retries, Contracts'
//! bigger calls, Helpdesk's more calls ramping over 5 minutes, the others' an abrupt step in
//! independent calls: none keeps the calls and their tokens as they were.) Below 1 the scale
//! thins the requests instead; above `M` the rollout is whole and the spend `M`×.
//!
//! What defines the run (the news, the readers' holiday, the prompts' sizes, the crawl's pages
//! and pause, the thinking budget) is drawn once by [`begin_run`] (`news.rs`); which calls
//! come, when, about which story, and their tokens are drawn from the `rng` each stream is
//! given, so realisations of one run differ by chance only. The scenario's `scale` multiplies
//! each stream's intensity (the harness's contract). The one-off batch (`k-oneoff`), and any
//! key this product does not know, is a job: calls at the harness's rate × its scale, no day,
//! no cache.

use std::cell::RefCell;
use std::collections::HashMap;

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::{exp, lognormal, normal, thinned, Call, Thinning};

pub const HOUR_S: f64 = 3600.0;

/// How this generator's arrivals are thinned (the harness's [`thinned`]).
const ARRIVALS: Thinning = Thinning {
    margin: 1.1,
    sample_s: 20.0,
};
pub const DAY_S: f64 = 86_400.0;
pub const CACHE_5M_S: f64 = 300.0;

pub const APP: &str = "k-app";
pub const PARTNER: &str = "k-batch";
pub const WIRE: &str = "k-agent";
pub const RESEARCH: &str = "k-research";
const OPUS: &str = "claude-opus-4-6";

/// The streams this product adds to the harness's three: the research desk.
pub const EXTRA_STREAMS: [(&str, &str, f64); 1] = [(OPUS, RESEARCH, 0.25)];

/// Articles a page of the partner's crawl (all but each pass's last).
pub const PAGE: u32 = 20;
/// The crawl's template (tokens): under sonnet's least cacheable prompt.
pub const PAGE_TEMPLATE: u64 = 900;
/// The comments lag the reading.
pub const COMMENT_LAG_S: f64 = 600.0;
/// The research desk's share of calls that come with the news.
const RESEARCH_NEWS: f64 = 0.5;
/// The rollout's steps after the deploy: a third of its weight, two thirds, all.
pub const ROLLOUT_STEP_S: f64 = 30.0;
/// The wire desk's request (median, sd of the log): the agency story in, the edit out.
const WIRE_IN: (f64, f64) = (1_400.0, 0.5);
const WIRE_OUT: (f64, f64) = (600.0, 0.4);

mod news;
pub use news::{local, Run, CULTURE_DAY, LOCAL_AT_START_S};

// The harness's `stream` carries no seed, so the run's draws reach the streams through the
// thread that generates the run: `background` calls `begin_run` first, and the scenario's
// later streams (the jump, the batch) run on the same thread.
thread_local! {
    static RUN: RefCell<Option<Run>> = const { RefCell::new(None) };
}

/// Draws the run's news, readers' holiday, prompts, crawl and budget.
pub fn begin_run(rng: &mut StdRng) -> Run {
    let run = Run::draw(rng);
    RUN.set(Some(run.clone()));
    run
}

pub fn current_run() -> Run {
    RUN.with_borrow(Clone::clone)
        .expect("spend_newsroom::begin_run draws the run before its streams (background does)")
}

impl Run {
    /// What a wire-desk call costs on the new build over the old, in expectation (opus prices:
    /// $5 in, $25 out, $0.50 read, $6.25 and $10 the 5-minute and 1-hour writes, a million).
    pub fn regression_multiplier(&self) -> f64 {
        let mean = |(m, s): (f64, f64)| m * (s * s / 2.0).exp();
        let own = 5.0 * (mean(WIRE_IN) + 50.0) + 25.0 * (mean(WIRE_OUT) + 20.0);
        let (a, b) = (self.style_guide as f64, self.story_list as f64);
        (10.0 * a + 6.25 * b + own) / (0.5 * (a + b) + own)
    }
}

/// What a stream's calls are, by its key and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Questions,
    Moderation,
    Partner,
    Wire,
    Research,
    Job,
}

impl Work {
    fn of(model: &str, key: &str) -> Work {
        match key {
            APP if model.contains("haiku") => Work::Moderation,
            APP => Work::Questions,
            PARTNER => Work::Partner,
            WIRE => Work::Wire,
            RESEARCH => Work::Research,
            _ => Work::Job,
        }
    }
}

/// Calls from `start` to `end` (seconds) for one (model, key) stream of `base_per_min` calls a
/// minute on average over a working day, times the scenario's `scale(t)`: `k-app`'s questions
/// and moderation at the readers' rate and the news, `k-batch`'s pages at the crawler's pace,
/// `k-research` on the desk's roster and the news, `k-agent` flat with `scale` the cache
/// regression's rollout, anything else a plain job.
pub fn stream(
    rng: &mut StdRng,
    (model, key): (&'static str, &'static str),
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<Call> {
    let run = current_run();
    let out: Vec<(f64, Usage)> = match Work::of(model, key) {
        Work::Questions => questions(rng, &run, start, end, base_per_min, scale),
        Work::Moderation => {
            let rate = |t: f64| {
                scale(t)
                    * run.readers(t)
                    * (1.0 - run.news_share + run.news_share * run.news(t - COMMENT_LAG_S))
            };
            let mut last: Option<f64> = None;
            thinned(ARRIVALS, rng, start, end, base_per_min, &rate)
                .into_iter()
                .map(|t| {
                    let warm = last.is_some_and(|a| t - a < CACHE_5M_S);
                    last = Some(t);
                    let usage = Usage {
                        input_tokens: lognormal(rng, 180.0, 0.6).min(3_000.0) as u64 + 20,
                        output_tokens: lognormal(rng, 25.0, 0.3).min(200.0) as u64 + 5,
                        cache_read_input_tokens: if warm { run.guidelines } else { 0 },
                        cache_creation_input_tokens: if warm { 0 } else { run.guidelines },
                        cache_creation_1h_input_tokens: 0,
                    };
                    (t, usage)
                })
                .collect()
        }
        Work::Partner => partner(rng, &run, start, end, base_per_min, scale),
        Work::Wire => wire(rng, &run, start, end, base_per_min, scale),
        Work::Research => {
            let rate = |t: f64| {
                scale(t) * run.desk(t) * (1.0 - RESEARCH_NEWS + RESEARCH_NEWS * run.news(t))
            };
            thinned(ARRIVALS, rng, start, end, base_per_min, &rate)
                .into_iter()
                .map(|t| {
                    let thinking =
                        (lognormal(rng, 5_000.0, 0.7) as u64).min(run.thinking_budget) + 200;
                    let usage = Usage {
                        input_tokens: lognormal(rng, 10_000.0, 0.6).min(80_000.0) as u64 + 1_500,
                        output_tokens: thinking + lognormal(rng, 900.0, 0.4).min(4_000.0) as u64,
                        ..Usage::default()
                    };
                    (t, usage)
                })
                .collect()
        }
        Work::Job => crate::plain_job(ARRIVALS, rng, start, end, base_per_min, scale),
    };
    crate::clipped_calls((model, key), start, end, out)
}

/// Which article a reader's question is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Article {
    /// A story of the run's news, in the version open at the time.
    Story(usize, u64),
    /// The long tail of the archive: an article nobody else is reading now.
    Archive,
}

/// The readers' questions over `[start, end)`: the system prompt read while the key's last
/// call is under 5 minutes old, a story's article read while its last reader's call is.
fn questions(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut last: Option<f64> = None;
    let mut touched: HashMap<Article, f64> = HashMap::new();
    thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t) * run.reading(t)
    })
    .into_iter()
    .map(|t| {
        let (article, tokens) = match run.story_of(rng, t) {
            Some(i) => {
                let e = &run.events[i];
                (Article::Story(i, e.version(t)), e.article)
            }
            None => (
                Article::Archive,
                lognormal(rng, 2_500.0, 0.5).min(15_000.0) as u64 + 300,
            ),
        };
        let system_warm = last.is_some_and(|a| t - a < CACHE_5M_S);
        last = Some(t);
        let article_warm = article != Article::Archive
            && system_warm
            && touched.get(&article).is_some_and(|a| t - a < CACHE_5M_S);
        touched.insert(article, t);
        let (read, written) = match (system_warm, article_warm) {
            (true, true) => (run.app_system + tokens, 0),
            (true, false) => (run.app_system, tokens),
            (false, _) => (0, run.app_system + tokens),
        };
        let usage = Usage {
            input_tokens: lognormal(rng, 150.0, 0.6).min(2_000.0) as u64 + 10,
            output_tokens: lognormal(rng, 350.0, 0.5).min(2_500.0) as u64 + 10,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: written,
            cache_creation_1h_input_tokens: 0,
        };
        (t, usage)
    })
    .collect()
}

/// One page of the crawl of `articles` articles.
pub fn page(rng: &mut StdRng, articles: u32) -> Usage {
    let (mut input, mut output) = (PAGE_TEMPLATE, 0u64);
    for _ in 0..articles {
        input += lognormal(rng, 170.0, 0.35).min(800.0) as u64 + 20;
        output += lognormal(rng, 85.0, 0.3).min(300.0) as u64 + 10;
    }
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

/// The partner's crawl over `[start, end)`, on the crawler's own clock (its rate limit × the
/// scenario's scale): passes of `pass_pages` pages at near-constant gaps, a pause between
/// passes, the crawl at a random point of a pass at `start`; `base_per_min` pages a minute on
/// average, pauses included.
fn partner(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let cycle = f64::from(run.pass_pages) * 60.0 / base_per_min;
    let gap = ((cycle - run.pause_s) / f64::from(run.pass_pages)).max(0.2 * 60.0 / base_per_min);
    // Advance the crawler's clock by `work` seconds of its own from `t`.
    let advance = |t: f64, work: f64| {
        let (mut t, mut left) = (t, work);
        while left > 0.0 {
            let step = left.min(60.0);
            t += step / scale(t).max(1e-3);
            left -= step;
        }
        t
    };
    let mut out = Vec::new();
    let mut index = rng.random_range(0..run.pass_pages);
    let mut t = advance(start, rng.random::<f64>() * gap);
    while t < end {
        let articles = if index + 1 == run.pass_pages {
            run.last_page
        } else {
            PAGE
        };
        out.push((t, page(rng, articles)));
        index += 1;
        let mut wait = gap * rng.random_range(0.9..1.1);
        if index == run.pass_pages {
            index = 0;
            wait += run.pause_s * rng.random_range(0.8..1.2);
        }
        t = advance(t, wait);
    }
    out
}

/// The share of the wire desk's requests on the new build at `t`: the rollout's weight for
/// the scale, reached in three steps of [`ROLLOUT_STEP_S`].
pub fn rollout(run: &Run, scale: &dyn Fn(f64) -> f64, t: f64) -> f64 {
    let m = run.regression_multiplier();
    let weight = |u: f64| ((scale(u) - 1.0) / (m - 1.0)).clamp(0.0, 1.0);
    (0..3)
        .map(|k| weight(t - ROLLOUT_STEP_S * f64::from(k)))
        .sum::<f64>()
        / 3.0
}

/// The wire desk's requests over `[start, end)`: flat, the prompt's two prefixes read; on the
/// new build written (the style guide at the 1-hour price, the story list at the 5-minute).
fn wire(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let prefix = run.style_guide + run.story_list;
    // The ingress splits the requests between the builds by weighted round robin (a credit of
    // the weight a request, a request to the new build for each whole credit): no draw, so the
    // requests' path is the same whatever the scale, and the split exact.
    let mut credit = 0.0;
    thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t).min(1.0)
    })
    .into_iter()
    .map(|t| {
        let input = lognormal(rng, WIRE_IN.0, WIRE_IN.1).min(10_000.0) as u64 + 50;
        let output = lognormal(rng, WIRE_OUT.0, WIRE_OUT.1).min(4_000.0) as u64 + 20;
        let weight = rollout(run, scale, t);
        credit += weight;
        let new_build = weight > 0.0 && credit >= 1.0;
        if new_build {
            credit -= 1.0;
        }
        let usage = if new_build {
            Usage {
                input_tokens: input,
                output_tokens: output,
                cache_read_input_tokens: 0,
                cache_creation_input_tokens: prefix,
                cache_creation_1h_input_tokens: run.style_guide,
            }
        } else {
            Usage {
                input_tokens: input,
                output_tokens: output,
                cache_read_input_tokens: prefix,
                ..Usage::default()
            }
        };
        (t, usage)
    })
    .collect()
}

#[cfg(test)]
mod tests;
