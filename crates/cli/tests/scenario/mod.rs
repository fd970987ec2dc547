//! Synthetic call streams for the rule scenarios: hours of a few calls per second over several
//! models and keys, with baseline noise and one scripted incident or control. Deterministic
//! per seed (a SplitMix64 PRNG, so streams never change under a dependency upgrade).

#![allow(dead_code)]

pub mod run;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// SplitMix64: tiny, fast, and good enough for traffic shapes.
pub struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Prng {
        Prng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Poisson with mean `lambda` (Knuth; lambda is small here).
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        let l = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.unit();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BillingShape {
    /// 400 invalid_request_error, "Your credit balance is too low…"
    CreditBalance400,
    /// 402 billing_error
    Billing402,
    /// 403 billing_error
    Billing403,
    /// 429 rate_limit_error whose message names the spend limit
    SpendCap429,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Incident {
    /// 500 api_error share jumps to `share`.
    ProviderSpike { share: f64 },
    /// 529 overloaded_error share jumps to `share`.
    CapacitySpike { share: f64 },
    /// A key is rotated; half the fleet is left on the failing key. `fail_new`: the new key is
    /// the bad one; otherwise the old one was revoked. `explicit`: a key_rotated line is sent.
    KeyRotation { fail_new: bool, explicit: bool },
    /// A deploy ramps the 400 share from 0.3% to 8% over 30 minutes, then it is rolled back.
    DeployRamp,
    /// Credits run out: every call fails with this shape until topped up.
    CreditsOut(BillingShape),
    /// Control: a key lacks access to one model: 403 permission_error on it.
    PermissionBurst,
    /// Control: 429 rate_limit_error storm.
    RateLimitStorm,
    /// Control: two stray 401s (after an explicit rotation, to make it harder).
    StrayAuth,
    /// Control: nothing but baseline noise.
    Quiet,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    pub incident: Incident,
    pub start: OffsetDateTime,
    pub duration_s: i64,
    /// Calls per second (mean).
    pub rate: f64,
    /// Incident start and end, seconds from the stream start.
    pub incident_at_s: i64,
    pub incident_len_s: i64,
}

/// What the stream did, for the assertions.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub incident_start: Option<OffsetDateTime>,
    pub incident_end: Option<OffsetDateTime>,
    /// Timestamp (as written) of the first billing-class call.
    pub first_billing: Option<OffsetDateTime>,
    /// Key id the 401s carry.
    pub failing_key: Option<String>,
    pub lines: usize,
}

const MODELS: [&str; 3] = ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6"];
const KEYS: [&str; 3] = ["k-1a2b3c4d", "k-5e6f7a8b", "k-9c0d1e2f"];
const NEW_KEY: &str = "k-fe11c0de";
const BASELINE_400: [&str; 4] = [
    "max_tokens: 9000 > 8192, which is the maximum allowed number of output tokens for claude-haiku-4-5",
    "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row",
    "prompt is too long: 210345 tokens > 200000 maximum",
    "tools.0.input_schema: JSON schema is invalid",
];

fn ts_text(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

struct Line<'a> {
    status: Option<u16>,
    error_type: Option<&'a str>,
    message: Option<String>,
    attempts: u32,
    latency_ms: f64,
}

impl Scenario {
    pub fn new(seed: u64, incident: Incident) -> Scenario {
        let mut rng = Prng::new(seed.wrapping_mul(31).wrapping_add(7));
        Scenario {
            seed,
            incident,
            start: OffsetDateTime::from_unix_timestamp(1_795_000_000 + (seed as i64 % 97) * 3607)
                .unwrap(),
            duration_s: 3 * 3600,
            rate: rng.range(2.0, 5.0),
            incident_at_s: 40 * 60 + rng.below(60 * 60) as i64,
            incident_len_s: 10 * 60 + rng.below(15 * 60) as i64,
        }
    }

    fn in_incident(&self, s: i64) -> bool {
        s >= self.incident_at_s && s < self.incident_at_s + self.incident_len_s
    }

    /// Generates the stream as JSON Lines (some lines a few seconds out of order, one
    /// malformed line) and what happened in it.
    pub fn generate(&self) -> (String, Truth) {
        let mut rng = Prng::new(self.seed);
        let mut out = String::new();
        let mut truth = Truth::default();
        let ramp_len = 30 * 60;
        let ramp_hold = 15 * 60;
        if matches!(self.incident, Incident::DeployRamp) {
            truth.incident_start = Some(self.start + Duration::seconds(self.incident_at_s));
            truth.incident_end =
                Some(self.start + Duration::seconds(self.incident_at_s + ramp_len + ramp_hold));
        } else if !matches!(self.incident, Incident::Quiet | Incident::StrayAuth) {
            truth.incident_start = Some(self.start + Duration::seconds(self.incident_at_s));
            truth.incident_end =
                Some(self.start + Duration::seconds(self.incident_at_s + self.incident_len_s));
        }
        let mut base_400 = 0.005;
        let mut held: Vec<(OffsetDateTime, String)> = Vec::new();
        let mut stray_sent = 0;
        let rotation_at = self.incident_at_s;
        for s in 0..self.duration_s {
            if s % 60 == 0 {
                // Baseline noise: the 400 share wanders between 0.3% and 1% minute to minute.
                base_400 = rng.range(0.003, 0.01);
            }
            let sec_start = self.start + Duration::seconds(s);
            let explicit_rotation = match self.incident {
                Incident::KeyRotation { explicit, .. } => explicit,
                Incident::StrayAuth => true,
                _ => false,
            };
            if s == rotation_at && explicit_rotation {
                out.push_str(&format!(
                    "{{\"ts\":\"{}\",\"event\":\"key_rotated\",\"key_id\":\"{NEW_KEY}\"}}\n",
                    ts_text(sec_start)
                ));
            }
            if s == 70 * 60 + 3 {
                out.push_str("{\"ts\":\"garbage\",\"status\":200}\n");
            }
            let n = rng.poisson(self.rate);
            let mut stamps: Vec<i64> = (0..n).map(|_| rng.below(1000) as i64).collect();
            stamps.sort();
            for ms in stamps {
                let ts = sec_start + Duration::milliseconds(ms);
                let instance = rng.below(6) as usize;
                let model = MODELS[rng.below(3) as usize];
                let mut key = KEYS[instance % 3].to_string();
                let mut line = self.baseline_line(&mut rng, base_400);
                let incident_on = self.in_incident(s);
                match self.incident {
                    Incident::ProviderSpike { share } if incident_on && rng.chance(share) => {
                        line = err(500, "api_error", "Internal server error".into(), 3);
                    }
                    Incident::CapacitySpike { share } if incident_on && rng.chance(share) => {
                        line = err(529, "overloaded_error", "Overloaded".into(), 3);
                    }
                    Incident::KeyRotation { fail_new, .. } if s >= rotation_at => {
                        // Instance 0 moved to the new key; instance 3 still sends key 0.
                        let fixed = s >= rotation_at + self.incident_len_s;
                        if instance == 0 {
                            key = NEW_KEY.into();
                            if fail_new && !fixed {
                                line =
                                    err(401, "authentication_error", "invalid x-api-key".into(), 1);
                                truth.failing_key = Some(NEW_KEY.into());
                            }
                        } else if instance == 3 && !fail_new && !fixed {
                            line = err(401, "authentication_error", "invalid x-api-key".into(), 1);
                            truth.failing_key = Some(KEYS[0].into());
                        } else if instance == 3 && fixed {
                            key = NEW_KEY.into();
                        }
                    }
                    Incident::DeployRamp => {
                        let into = s - self.incident_at_s;
                        if (0..ramp_len + ramp_hold).contains(&into) {
                            let extra = 0.077 * (into.min(ramp_len) as f64 / ramp_len as f64);
                            if rng.chance(extra) {
                                let i = rng.below(12);
                                line = err(
                                    400,
                                    "invalid_request_error",
                                    format!("messages.{i}.content: Input should be a valid list"),
                                    1,
                                );
                            }
                        }
                    }
                    Incident::CreditsOut(shape) if incident_on => {
                        line = billing_line(shape);
                        if truth.first_billing.is_none() {
                            truth.first_billing = Some(ts);
                        }
                    }
                    Incident::PermissionBurst if incident_on && model == MODELS[2] => {
                        line = err(
                            403,
                            "permission_error",
                            "Your API key does not have permission to use the specified resource."
                                .into(),
                            1,
                        );
                    }
                    Incident::RateLimitStorm if incident_on && rng.chance(0.4) => {
                        line = err(
                            429,
                            "rate_limit_error",
                            "Number of request tokens has exceeded your per-minute rate limit"
                                .into(),
                            1,
                        );
                    }
                    Incident::StrayAuth
                        if stray_sent < 2 && s >= rotation_at + 60 * (stray_sent + 1) =>
                    {
                        stray_sent += 1;
                        line = err(401, "authentication_error", "invalid x-api-key".into(), 1);
                    }
                    _ => {}
                }
                let text = render(ts, model, &key, &line, &mut rng);
                // About one line in 500 is written up to 3 s late.
                if rng.chance(0.002) {
                    held.push((ts + Duration::seconds(rng.below(3) as i64 + 1), text));
                } else {
                    out.push_str(&text);
                }
                truth.lines += 1;
            }
            held.retain(|(due, text)| {
                if *due <= sec_start {
                    out.push_str(text);
                    false
                } else {
                    true
                }
            });
        }
        for (_, text) in held {
            out.push_str(&text);
        }
        (out, truth)
    }

    fn baseline_line(&self, rng: &mut Prng, base_400: f64) -> Line<'static> {
        let r = rng.unit();
        let mut acc = base_400;
        if r < acc {
            let m = BASELINE_400[rng.below(BASELINE_400.len() as u64) as usize];
            return err(400, "invalid_request_error", m.into(), 1);
        }
        for (p, status, kind, msg, attempts) in [
            (
                0.002,
                Some(500),
                Some("api_error"),
                "Internal server error",
                3,
            ),
            (0.002, Some(529), Some("overloaded_error"), "Overloaded", 3),
            (0.001, Some(503), None, "", 3),
            (
                0.004,
                Some(429),
                Some("rate_limit_error"),
                "Number of request tokens has exceeded your per-minute rate limit",
                2,
            ),
            (0.001, None, Some("timeout"), "", 3),
            (
                0.0005,
                Some(404),
                Some("not_found_error"),
                "model: claude-sonnet",
                1,
            ),
        ] {
            acc += p;
            if r < acc {
                return Line {
                    status,
                    error_type: kind,
                    message: (!msg.is_empty()).then(|| msg.to_string()),
                    attempts,
                    latency_ms: rng.range(50.0, 30_000.0),
                };
            }
        }
        Line {
            status: Some(200),
            error_type: None,
            message: None,
            attempts: if rng.chance(0.03) { 2 } else { 1 },
            latency_ms: rng.range(400.0, 20_000.0),
        }
    }
}

fn err(status: u16, kind: &'static str, message: String, attempts: u32) -> Line<'static> {
    Line {
        status: Some(status),
        error_type: Some(kind),
        message: Some(message),
        attempts,
        latency_ms: 300.0,
    }
}

fn billing_line(shape: BillingShape) -> Line<'static> {
    match shape {
        BillingShape::CreditBalance400 => err(
            400,
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.".into(),
            1,
        ),
        BillingShape::Billing402 => err(402, "billing_error", "Your account has insufficient credit.".into(), 1),
        BillingShape::Billing403 => err(403, "billing_error", "Billing issue: your organization is out of credits.".into(), 1),
        BillingShape::SpendCap429 => err(
            429,
            "rate_limit_error",
            "You have reached your specified workspace API usage limits. You will regain access on 2026-12-01 at 00:00 UTC. (spend limit)".into(),
            1,
        ),
    }
}

fn render(ts: OffsetDateTime, model: &str, key: &str, line: &Line<'_>, rng: &mut Prng) -> String {
    let status = line.status.map_or("null".to_string(), |s| s.to_string());
    let error_type = line
        .error_type
        .map_or("null".to_string(), |t| format!("\"{t}\""));
    let message = line
        .message
        .as_ref()
        .map(|m| format!(",\"message\":{}", serde_json::to_string(m).unwrap()))
        .unwrap_or_default();
    format!(
        "{{\"ts\":\"{}\",\"status\":{status},\"error_type\":{error_type},\"attempts\":{},\"latency_ms\":{:.1},\"model\":\"{model}\",\"operation\":\"messages\",\"key_id\":\"{key}\",\"request_id\":\"req_{:016x}\"{message}}}\n",
        ts_text(ts),
        line.attempts,
        line.latency_ms,
        rng.next_u64()
    )
}
