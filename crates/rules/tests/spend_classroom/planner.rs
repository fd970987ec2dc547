//! The teachers' lesson planner on `k-agent` (opus): agent runs that draft a planeación
//! against the campo formativo's programa sintético, and the jump, a tool loop.

use std::cell::RefCell;

use callwatch_core::classify::Usage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::school::Run;
use super::{cost, lognormal, thinned, Call, PrefixCache, ARRIVALS, CACHE_1H_S};

/// A run's tool steps on average (geometric, at least one) and the share that search the
/// textbooks (the Libros de Texto Gratuitos' index).
pub const TOOL_STEPS: f64 = 6.0;
pub const SEARCH_SHARE: f64 = 0.7;
/// What a broken search returns: the same irrelevant page of the index (tokens, median).
pub const BROKEN_PAGE: f64 = 1_200.0;
const OPUS: &str = "claude-opus-4-6";
/// The calibration's runs and its own seed: the loop's share for a scale is the run's, not
/// the realisation's.
const CALIBRATION_RUNS: usize = 800;
const CALIBRATION_SEED: u64 = 0x00c1_a55e;

/// One tool step of a run: whether it searches the textbooks, the call's output (the tool
/// use and its reasoning), the tool's result and its time.
#[derive(Clone, Debug)]
struct Step {
    search: bool,
    output: u64,
    result: u64,
    tool_s: f64,
}

/// A run's path as it goes when every tool works, drawn before any call, so the same run takes
/// the same path whatever the loop does.
#[derive(Clone, Debug)]
pub struct Plan {
    request: u64,
    steps: Vec<Step>,
    plan: u64,
}

/// An opus call's time to its last token: a second and a half, then 40 tokens a second.
fn generation_s(output: u64) -> f64 {
    1.5 + output as f64 / 40.0
}

impl Plan {
    pub fn draw(rng: &mut StdRng) -> Plan {
        let mut steps = Vec::new();
        loop {
            let search = rng.random::<f64>() < SEARCH_SHARE;
            steps.push(Step {
                search,
                output: lognormal(rng, 180.0, 0.4).min(1_200.0) as u64 + 20,
                result: if search {
                    lognormal(rng, 1_400.0, 0.5).min(6_000.0) as u64 + 50
                } else {
                    lognormal(rng, 600.0, 0.5).min(4_000.0) as u64 + 20
                },
                tool_s: lognormal(rng, if search { 2.5 } else { 4.0 }, 0.5),
            });
            if rng.random::<f64>() >= 1.0 - 1.0 / TOOL_STEPS {
                break;
            }
        }
        Plan {
            // The teacher's request and the group's context (grade, campo, the project).
            request: lognormal(rng, 350.0, 0.5).min(3_000.0) as u64 + 150,
            steps,
            plan: lognormal(rng, 2_500.0, 0.3).min(8_000.0) as u64,
        }
    }

    /// The run's calls from `s`, each (time, conversation re-sent uncached, output): a call
    /// per tool step and the plan. A search reaches a broken replica with probability
    /// `broken(t)`: the agent gets the same irrelevant page back, searches again (another
    /// call, the page and its own retry added to the conversation it re-sends), until a search
    /// reaches a sound replica or the runner's guard stops the run at `max_turns` calls,
    /// without a plan. The loop's chance is `draws`', so the run's path is its own.
    pub fn calls(
        &self,
        draws: &LoopDraws,
        s: f64,
        max_turns: u32,
        broken: &dyn Fn(f64) -> f64,
    ) -> Vec<(f64, u64, u64)> {
        let (mut t, mut tail, mut i) = (s, self.request, 0);
        let mut retry: Option<u64> = None;
        let mut out = Vec::new();
        loop {
            let output = match (retry.take(), self.steps.get(i)) {
                (Some(o), _) => o,
                (None, Some(step)) => step.output,
                (None, None) => self.plan,
            };
            out.push((t, tail, output));
            let Some(step) = self.steps.get(i) else {
                break;
            };
            if out.len() as u32 >= max_turns {
                break;
            }
            let k = out.len() - 1;
            tail += output;
            t += generation_s(output);
            if step.search && draws.chance[k] < broken(t) {
                tail += draws.page[k];
                t += draws.wait_s[k];
                retry = Some(draws.retry[k]);
            } else {
                tail += step.result;
                t += step.tool_s;
                i += 1;
            }
        }
        out
    }
}

/// A run's loop drawn before its calls, one entry a call it may make: the chance its search
/// meets against the broken share, the page a broken replica sends back (the same irrelevant
/// page of the index, with the query echoed), the time it takes, the agent's terse retry (a
/// tool use with another query).
pub struct LoopDraws {
    chance: Vec<f64>,
    page: Vec<u64>,
    wait_s: Vec<f64>,
    retry: Vec<u64>,
}

impl LoopDraws {
    pub fn draw(rng: &mut StdRng, max_turns: u32) -> LoopDraws {
        let n = max_turns as usize;
        LoopDraws {
            chance: (0..n).map(|_| rng.random::<f64>()).collect(),
            page: (0..n)
                .map(|_| lognormal(rng, BROKEN_PAGE, 0.2) as u64)
                .collect(),
            wait_s: (0..n).map(|_| lognormal(rng, 0.8, 0.3)).collect(),
            retry: (0..n)
                .map(|_| lognormal(rng, 70.0, 0.3) as u64 + 20)
                .collect(),
        }
    }
}

/// The planner's calls a run on average when every tool works: its tool steps and the plan.
pub fn calls_per_run() -> f64 {
    TOOL_STEPS + 1.0
}

/// The calibration's runs: plans and loops drawn once from the calibration's own seed, the
/// same for every share tried.
struct Calibration {
    prefix: u64,
    runs: Vec<(Plan, LoopDraws)>,
}

impl Calibration {
    fn new(run: &Run) -> Calibration {
        let mut rng = StdRng::seed_from_u64(CALIBRATION_SEED);
        Calibration {
            prefix: run.planner_system + run.programas.iter().sum::<u64>() / 4,
            runs: (0..CALIBRATION_RUNS)
                .map(|_| {
                    (
                        Plan::draw(&mut rng),
                        LoopDraws::draw(&mut rng, run.max_turns),
                    )
                })
                .collect(),
        }
    }

    /// A run's mean cost when each search fails with probability `w` (the prefix read).
    fn mean_run_cost(&self, run: &Run, w: f64) -> f64 {
        let mut total = 0.0;
        for (plan, draws) in &self.runs {
            for (t, tail, output) in plan.calls(draws, 0.0, run.max_turns, &|_| w) {
                let usage = Usage {
                    input_tokens: tail,
                    output_tokens: output,
                    cache_read_input_tokens: self.prefix,
                    ..Usage::default()
                };
                total += cost(&Call {
                    t,
                    model: OPUS,
                    key: super::PLANNER,
                    usage,
                });
            }
        }
        total / self.runs.len() as f64
    }
}

/// What the planner's spend is at loop share `w` against its spend without the loop.
pub fn loop_multiplier(run: &Run, w: f64) -> f64 {
    let calibration = Calibration::new(run);
    calibration.mean_run_cost(run, w) / calibration.mean_run_cost(run, 0.0)
}

/// What a solved share depends on: the scale (to a thousandth), and the run's average prefix
/// and guard (all the calibration reads of the run).
type ShareKey = (u64, u64, u32);

thread_local! {
    /// The loop shares solved on this thread: the planner's stream asks for one at every search
    /// after the jump.
    static SHARES: RefCell<Vec<(ShareKey, f64)>> = const { RefCell::new(Vec::new()) };
}

/// Forgets the shares solved so far (a new run's are its own).
pub fn forget_loop_shares() {
    SHARES.with_borrow_mut(Vec::clear);
}

/// The share of searches the broken replicas take for the planner's spend to be `scale`× its
/// own (the rolling deploy's reach), solved on the calibration's runs by bisection; 0 at a
/// scale of 1 or less.
pub fn loop_share(run: &Run, scale: f64) -> f64 {
    if scale <= 1.0 {
        return 0.0;
    }
    let calibration_prefix = run.planner_system + run.programas.iter().sum::<u64>() / 4;
    let key = (
        (scale * 1000.0).round() as u64,
        calibration_prefix,
        run.max_turns,
    );
    if let Some(w) = SHARES.with_borrow(|m| m.iter().find(|(k, _)| *k == key).map(|(_, w)| *w)) {
        return w;
    }
    let target = key.0 as f64 / 1000.0;
    let calibration = Calibration::new(run);
    let base = calibration.mean_run_cost(run, 0.0);
    let (mut lo, mut hi) = (0.0, 0.995);
    for _ in 0..14 {
        let mid = 0.5 * (lo + hi);
        if calibration.mean_run_cost(run, mid) / base < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let w = 0.5 * (lo + hi);
    SHARES.with_borrow_mut(|m| m.push((key, w)));
    w
}

/// The planner's runs over `[start, end)` at the teachers' planning rate (× the scale, to 1);
/// above 1 the scale is the tool loop's: the share of searches the broken replicas take is
/// what makes the spend `scale`×. The campo's prefix (the system prompt and its programa
/// sintético) is on the 1-hour cache, read while a run of the campo used it within the hour;
/// the conversation after it is re-sent whole every call, uncached.
pub fn planner(
    rng: &mut StdRng,
    run: &Run,
    start: f64,
    end: f64,
    base_per_min: f64,
    scale: &dyn Fn(f64) -> f64,
) -> Vec<(f64, Usage)> {
    let broken = |t: f64| loop_share(run, scale(t));
    let per_min = base_per_min / calls_per_run();
    let mut calls: Vec<(f64, usize, u64, u64)> = Vec::new();
    for s in thinned(ARRIVALS, rng, start - 1_200.0, end, per_min, &|t| {
        scale(t).min(1.0) * run.planning(t)
    }) {
        let campo = rng.random_range(0..run.programas.len());
        let plan = Plan::draw(rng);
        let draws = LoopDraws::draw(&mut StdRng::seed_from_u64(rng.random()), run.max_turns);
        for (t, tail, output) in plan.calls(&draws, s, run.max_turns, &broken) {
            calls.push((t, campo, tail, output));
        }
    }
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut prefixes: Vec<PrefixCache> = run
        .programas
        .iter()
        .map(|_| PrefixCache::new(CACHE_1H_S))
        .collect();
    calls
        .into_iter()
        .map(|(t, campo, tail, output)| {
            let prefix = run.planner_system + run.programas[campo];
            let (_, read, written) = prefixes[campo].send(t, prefix);
            let usage = Usage {
                input_tokens: tail,
                output_tokens: output,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: written,
                cache_creation_1h_input_tokens: written,
            };
            (t, usage)
        })
        .collect()
}
