//! The shoppers' calls on `k-app`: the shopping assistant's conversations and the product
//! questions (sonnet), and the search box's query rewriting (haiku).

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::Rng;

use super::run::Run;
use super::{lognormal, thinned, tokens, PrefixCache, ARRIVALS, CACHE_5M_S, HOUR_S};

/// A conversation that goes on past its first turn: its further turns on average (geometric,
/// at least one), the shopper's time to the next turn (median and sd of the log, seconds:
/// browsing the products the assistant showed) and a tool's time before the answer's call.
pub const MORE_TURNS: f64 = 3.0;
pub const NEXT_TURN_S: (f64, f64) = (45.0, 0.9);
pub const TOOL_S: (f64, f64) = (1.0, 3.0);
/// The shopper's context rendered at the opening (the cart, the recently viewed, a logged-in
/// shopper's orders); a message typed on a desktop and on a phone; the answer (streamed); a
/// tool call and its result (products found with their sizes and stock, an order's status).
pub const CONTEXT: (f64, f64) = (800.0, 0.6);
pub const MESSAGE_DESKTOP: (f64, f64) = (45.0, 0.7);
pub const MESSAGE_MOBILE: (f64, f64) = (22.0, 0.6);
pub const ANSWER: (f64, f64) = (220.0, 0.5);
pub const TOOL_USE: (f64, f64) = (80.0, 0.3);
pub const TOOL_RESULT: (f64, f64) = (900.0, 0.6);
/// A product question: the instructions (under sonnet's least cacheable prompt, so nothing is
/// cached: the product's page comes after them and differs call by call), the product's page
/// with the shopper's size and the live stock, its reviews, the question and the answer.
pub const QA_INSTRUCTIONS: u64 = 700;
pub const PRODUCT_PAGE: (f64, f64) = (1_500.0, 0.4);
pub const REVIEWS: (f64, f64) = (1_800.0, 0.7);
pub const QUESTION: (f64, f64) = (30.0, 0.6);
pub const QA_ANSWER: (f64, f64) = (140.0, 0.5);
/// A search: the query typed (a few words), the facets and the shopper's filters, the
/// rewritten structured query back (JSON).
pub const QUERY: (f64, f64) = (12.0, 0.6);
pub const FACETS: (f64, f64) = (150.0, 0.4);
pub const REWRITE: (f64, f64) = (60.0, 0.4);

/// The calls a conversation makes on average when it ends after its first turn with chance
/// `abandon`: each turn one, a tool's turn two.
pub fn calls_per_conversation(abandon: f64, tool_share: f64) -> f64 {
    (1.0 + (1.0 - abandon) * MORE_TURNS) * (1.0 + tool_share)
}

/// One call of a conversation: what it reads from the conversation's cache, what it writes to
/// it, what it sends fresh and what comes back.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    pub t: f64,
    pub read: u64,
    pub written: u64,
    pub fresh: u64,
    pub out: u64,
}

/// A conversation opened at `s` on a phone or not: the assistant's prompt, the shop's policies
/// and the tools, then the shopper's context, on the conversation's own 5-minute cache, written
/// by its first call; each later call reads what is cached and writes what the last call added
/// (the message or the tool's result it sent, its answer), so the cache grows turn by turn; a
/// pause of 5 minutes or more writes it all again. After the first turn the shopper leaves with
/// the run's chance for a phone or a desktop; else a geometric number of turns more.
pub fn conversation(rng: &mut StdRng, run: &Run, s: f64, mobile: bool) -> Vec<Exchange> {
    let mut cache = PrefixCache::new(CACHE_5M_S);
    let mut history = run.chat_prompt + tokens(rng, CONTEXT, 6_000.0);
    let mut t = s;
    let mut out = Vec::new();
    let mut call = |t: f64, fresh: u64, answer: u64, history: &mut u64| {
        let (_, read, written) = cache.send(t, *history);
        *history += fresh + answer;
        out.push(Exchange {
            t,
            read,
            written,
            fresh,
            out: answer,
        });
    };
    let (message, abandon) = if mobile {
        (MESSAGE_MOBILE, run.abandon_mobile)
    } else {
        (MESSAGE_DESKTOP, run.abandon_desktop)
    };
    let mut turn = 0;
    loop {
        let said = tokens(rng, message, 1_000.0);
        let answer = tokens(rng, ANSWER, 2_000.0);
        if rng.random::<f64>() < run.tool_share {
            let tool_use = tokens(rng, TOOL_USE, 400.0);
            let result = tokens(rng, TOOL_RESULT, 8_000.0);
            let tool_t = t + rng.random_range(TOOL_S.0..TOOL_S.1);
            call(t, said, tool_use, &mut history);
            call(tool_t, result, answer, &mut history);
            t = tool_t;
        } else {
            call(t, said, answer, &mut history);
        }
        turn += 1;
        let ends = if turn == 1 {
            rng.random::<f64>() < abandon
        } else {
            rng.random::<f64>() < 1.0 / MORE_TURNS
        };
        if ends {
            break;
        }
        t += lognormal(rng, NEXT_TURN_S.0, NEXT_TURN_S.1);
    }
    out
}

/// `k-app`'s sonnet stream over `[start, end)`: the assistant's conversations, opened at the
/// shoppers' rate (× the scale) an hour before `start` so those running at it are under way,
/// each on a phone with the hour's share; and the product questions, one call each, uncached.
pub fn assistant(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let mut out = Vec::new();
    for s in thinned(
        ARRIVALS,
        rng,
        start - HOUR_S,
        end,
        base_per_min * (1.0 - run.qa_share),
        &|t| scale(t) * run.conversations(t),
    ) {
        let mobile = rng.random::<f64>() < run.mobile(s);
        for x in conversation(rng, run, s, mobile) {
            let usage = Usage {
                input_tokens: x.fresh,
                output_tokens: x.out,
                cache_read_input_tokens: x.read,
                cache_creation_input_tokens: x.written,
                cache_creation_1h_input_tokens: 0,
            };
            out.push((x.t, usage));
        }
    }
    for t in thinned(
        ARRIVALS,
        rng,
        start,
        end,
        base_per_min * run.qa_share,
        &|t| scale(t) * run.shoppers(t),
    ) {
        let page = tokens(rng, PRODUCT_PAGE, 8_000.0);
        let reviews = tokens(rng, REVIEWS, 12_000.0);
        let question = tokens(rng, QUESTION, 400.0);
        let usage = Usage {
            input_tokens: QA_INSTRUCTIONS + page + reviews + question,
            output_tokens: tokens(rng, QA_ANSWER, 1_000.0),
            ..Usage::default()
        };
        out.push((t, usage));
    }
    out
}

/// `k-app`'s haiku stream over `[start, end)`: every search typed in the shop's box rewritten
/// into a structured query (the category, the size, the colour, the price band) before the
/// search index sees it; the instructions under haiku's least cacheable prompt, uncached; a
/// tiny call at the shoppers' rate (× the scale).
pub fn search(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    thinned(ARRIVALS, rng, start, end, base_per_min, &|t| {
        scale(t) * run.shoppers(t)
    })
    .into_iter()
    .map(|t| {
        let query = tokens(rng, QUERY, 200.0);
        let facets = tokens(rng, FACETS, 1_000.0);
        let usage = Usage {
            input_tokens: run.search_prompt + query + facets,
            output_tokens: tokens(rng, REWRITE, 400.0),
            ..Usage::default()
        };
        (t, usage)
    })
    .collect()
}
