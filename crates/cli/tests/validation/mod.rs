//! The validation generator: a second, differently shaped traffic model that the default rules
//! were never tuned on (the tuning generator is `tests/scenario/`). Where that one is one app
//! with per-second Poisson counts and a wandering 0.3–1 % 400 share, this one is a fleet of
//! services, each on its own key with its own steady 400 message (ids, indices and numbers in
//! it, flat from the first call), calls arriving one by one (exponential gaps) at a rate that
//! swells and ebbs, lines a little out of order and a few malformed ones — at 9 calls a minute,
//! 1 call a second and 40 calls a second. One incident or control per stream.

#![allow(dead_code)]

pub mod table;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// xoshiro256** seeded through SplitMix64 (a different generator from the tuning one's).
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed ^ 0x5851_f42d_4c95_7f2d;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let out = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Exponential gap with mean `1 / rate`.
    pub fn gap(&mut self, rate: f64) -> f64 {
        -(1.0 - self.unit()).ln() / rate
    }
    fn id(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Volume {
    /// 9 calls a minute: an internal tool or a batch job.
    Low,
    /// 1 call a second.
    PerSecond,
    /// 40 calls a second.
    High,
}

impl Volume {
    pub fn calls_per_s(self) -> f64 {
        match self {
            Volume::Low => 9.0 / 60.0,
            Volume::PerSecond => 1.0,
            Volume::High => 40.0,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Volume::Low => "9/min",
            Volume::PerSecond => "1/s",
            Volume::High => "40/s",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Case {
    /// A deploy: a new 400 message rises beside the steady ones (0.2 % → 6 % over 30 min; at
    /// low volume 0 → 15 % over 45 min), holds 10 min, is rolled back.
    Ramp,
    /// 5xx share jumps (500/503/529 mixed): 45 % at low volume, 10–45 % otherwise.
    ServerSpike,
    /// One service rotates its key; some of its instances keep the revoked old key (401s).
    KeyRotation,
    /// Credits run out: every call gets 402 billing_error.
    Billing,
    /// Control: 429 storm, with retries.
    RateLimitStorm,
    /// Control: a burst of 413 request_too_large on one service.
    TooLargeBurst,
    /// Control: only the steady shares (one service at 3 % 400s from its first call).
    FlatShare,
}

impl Case {
    pub const ALL: [Case; 7] = [
        Case::Ramp,
        Case::ServerSpike,
        Case::KeyRotation,
        Case::Billing,
        Case::RateLimitStorm,
        Case::TooLargeBurst,
        Case::FlatShare,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Case::Ramp => "400 ramp (new message beside steady)",
            Case::ServerSpike => "5xx spike",
            Case::KeyRotation => "401s after key rotation",
            Case::Billing => "billing outage",
            Case::RateLimitStorm => "control: 429 storm",
            Case::TooLargeBurst => "control: 413 burst",
            Case::FlatShare => "control: flat 400 share",
        }
    }
    /// The mandated rule the case must fire (controls: none).
    pub fn expected_rule(self) -> Option<&'static str> {
        match self {
            Case::Ramp => Some("BadRequestBaselineRising"),
            Case::ServerSpike => Some("ServerErrorSpike"),
            Case::KeyRotation => Some("AuthFailuresAfterKeyRotation"),
            Case::Billing => Some("BillingOutage"),
            _ => None,
        }
    }
}

/// What the stream did, for the checks.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub incident_start: Option<OffsetDateTime>,
    pub incident_end: Option<OffsetDateTime>,
    pub first_billing: Option<OffsetDateTime>,
    pub failing_key: Option<String>,
    /// One raw instance of the rising message (normalise it to compare).
    pub rising_message: Option<String>,
    pub lines: usize,
    pub malformed: usize,
}

struct Service {
    weight: f64,
    key: String,
    model: &'static str,
    operation: &'static str,
    /// Share of this service's calls that get its steady 400.
    steady_400: f64,
    steady: fn(&mut Rng) -> String,
}

fn steady_tool_result(r: &mut Rng) -> String {
    format!(
        "messages.{}.content.{}: tool_use ids were found without tool_result blocks immediately after: toolu_{}",
        r.below(40),
        r.below(4),
        r.id(BASE62, 24)
    )
}

fn steady_max_tokens(r: &mut Rng) -> String {
    let asked = 8193 + r.below(20_000);
    format!("max_tokens: {asked} > 8192, which is the maximum allowed number of output tokens for claude-haiku-4-5")
}

fn steady_schema(r: &mut Rng) -> String {
    let names = ["lookup_order", "get_weather", "search_docs", "send_mail"];
    format!(
        "tools.{}.input_schema: '{}' is not valid under any of the given schemas",
        r.below(8),
        names[r.below(4) as usize]
    )
}

fn steady_empty_system(r: &mut Rng) -> String {
    format!(
        "request req_{}: system: text content blocks must be non-empty",
        r.id(BASE62, 24)
    )
}

/// The message a deploy breaks: index, media type and a hex digest vary per call.
fn rising(r: &mut Rng) -> String {
    format!(
        "messages.{}.content.{}.image.source.base64.data: The image was specified using the image/jpeg media type, but the image does not appear to be a valid jpeg image (sha {})",
        r.below(30),
        r.below(3),
        r.id(HEX, 16)
    )
}

pub struct Stream {
    pub seed: u64,
    pub case: Case,
    pub volume: Volume,
    pub start: OffsetDateTime,
    pub duration_s: f64,
    pub incident_at_s: f64,
    pub incident_len_s: f64,
}

impl Stream {
    pub fn new(seed: u64, case: Case, volume: Volume) -> Stream {
        let mut r = Rng::new(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ case as u64);
        let (duration_s, incident_at_s) = match volume {
            Volume::Low => (5.0 * 3600.0, r.range(80.0, 110.0) * 60.0),
            Volume::PerSecond => (3.0 * 3600.0, r.range(50.0, 80.0) * 60.0),
            Volume::High => (125.0 * 60.0, r.range(40.0, 50.0) * 60.0),
        };
        Stream {
            seed,
            case,
            volume,
            start: OffsetDateTime::from_unix_timestamp(1_796_000_000 + (seed as i64 % 89) * 1789)
                .unwrap(),
            duration_s,
            incident_at_s,
            incident_len_s: r.range(10.0, 20.0) * 60.0,
        }
    }

    fn ramp(&self) -> (f64, f64, f64, f64) {
        // (from share, to share, ramp seconds, hold seconds)
        match self.volume {
            Volume::Low => (0.0, 0.15, 45.0 * 60.0, 10.0 * 60.0),
            _ => (0.002, 0.06, 30.0 * 60.0, 10.0 * 60.0),
        }
    }

    fn services(&self, r: &mut Rng) -> Vec<Service> {
        let mut all = vec![
            Service {
                weight: 0.4,
                key: format!("k-{}", r.id(HEX, 8)),
                model: "claude-sonnet-4-6",
                operation: "chat",
                steady_400: if self.case == Case::FlatShare {
                    0.075
                } else {
                    0.0375
                },
                steady: steady_tool_result,
            },
            Service {
                weight: 0.3,
                key: format!("k-{}", r.id(HEX, 8)),
                model: "claude-haiku-4-5",
                operation: "summarise",
                steady_400: 0.02,
                steady: steady_max_tokens,
            },
            Service {
                weight: 0.2,
                key: format!("k-{}", r.id(HEX, 8)),
                model: "claude-opus-4-6",
                operation: "agent",
                steady_400: 0.03,
                steady: steady_schema,
            },
            Service {
                weight: 0.1,
                key: format!("k-{}", r.id(HEX, 8)),
                model: "claude-haiku-4-5",
                operation: "classify",
                steady_400: 0.01,
                steady: steady_empty_system,
            },
        ];
        if self.volume == Volume::Low {
            // Three services share the 9 calls a minute.
            all.truncate(3);
        }
        all
    }

    /// The stream as JSON Lines, and what happened in it.
    pub fn generate(&self) -> (String, Truth) {
        let mut r = Rng::new(self.seed ^ (self.volume as u64) << 40 ^ (self.case as u64) << 48);
        let services = self.services(&mut r);
        let total_weight: f64 = services.iter().map(|s| s.weight).sum();
        let mut truth = Truth::default();
        let (from, to, ramp_s, hold_s) = self.ramp();
        let incident_end_s = match self.case {
            Case::Ramp => self.incident_at_s + ramp_s + hold_s,
            _ => self.incident_at_s + self.incident_len_s,
        };
        if self.case != Case::FlatShare {
            truth.incident_start = Some(self.at(self.incident_at_s));
            truth.incident_end = Some(self.at(incident_end_s));
        }
        let spike_share = match self.volume {
            Volume::Low => 0.45,
            _ => r.range(0.10, 0.45),
        };
        let rotated_key = format!("k-{}", r.id(HEX, 8));
        let left_behind = r.range(0.34, 0.67);
        let mut malformed_at: Vec<f64> = (0..3).map(|_| r.range(60.0, self.duration_s)).collect();
        malformed_at.sort_by(f64::total_cmp);
        let mut out = String::new();
        let mut held: Vec<(f64, String)> = Vec::new();
        let mut t = 0.0;
        loop {
            // The rate swells and ebbs by ±30 % over a 47-minute cycle.
            let rate = self.volume.calls_per_s()
                * (1.0 + 0.3 * (t / (47.0 * 60.0) * std::f64::consts::TAU).sin());
            t += r.gap(rate);
            if t >= self.duration_s {
                break;
            }
            while truth.malformed < malformed_at.len() && malformed_at[truth.malformed] <= t {
                out.push_str(
                    [
                        "not json at all\n",
                        "{\"ts\":\"2026-13-45T00:00:00Z\",\"status\":200}\n",
                        "{\"status\":200,\"latency_ms\":12}\n",
                    ][truth.malformed],
                );
                truth.malformed += 1;
            }
            let mut pick = r.unit() * total_weight;
            let svc_i = services
                .iter()
                .position(|s| {
                    pick -= s.weight;
                    pick < 0.0
                })
                .unwrap_or(0);
            let svc = &services[svc_i];
            let mut key = svc.key.clone();
            let on = t >= self.incident_at_s && t < incident_end_s;
            let mut line = if r.chance(svc.steady_400) {
                Line::err(400, "invalid_request_error", (svc.steady)(&mut r))
            } else {
                self.baseline(&mut r)
            };
            match self.case {
                Case::Ramp if svc_i == 0 => {
                    let into = t - self.incident_at_s;
                    let fleet_share = if t < self.incident_at_s || t >= incident_end_s {
                        from
                    } else {
                        from + (to - from) * (into / ramp_s).min(1.0)
                    };
                    if r.chance(fleet_share / (svc.weight / total_weight)) {
                        let m = rising(&mut r);
                        truth.rising_message.get_or_insert_with(|| m.clone());
                        line = Line::err(400, "invalid_request_error", m);
                    }
                }
                Case::ServerSpike if on && r.chance(spike_share) => {
                    line = match r.below(3) {
                        0 => Line::err(500, "api_error", "Internal server error".into()),
                        1 => Line {
                            status: Some(503),
                            error_type: None,
                            message: None,
                            attempts: 3,
                            latency_ms: 30_000.0,
                        },
                        _ => Line::err(529, "overloaded_error", "Overloaded".into()),
                    };
                    line.attempts = 3;
                }
                Case::KeyRotation if svc_i == 1 && t >= self.incident_at_s => {
                    // Service 1 moved to a new key; some instances still send the revoked one
                    // until the fix rolls out.
                    if t >= incident_end_s || !r.chance(left_behind) {
                        key = rotated_key.clone();
                    } else {
                        line = Line::err(401, "authentication_error", "invalid x-api-key".into());
                        truth.failing_key = Some(svc.key.clone());
                    }
                }
                Case::Billing if on => {
                    line = Line::err(
                        402,
                        "billing_error",
                        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.".into(),
                    );
                    truth.first_billing.get_or_insert(self.at(t));
                }
                Case::RateLimitStorm if on && r.chance(0.5) => {
                    line = Line::err(
                        429,
                        "rate_limit_error",
                        format!(
                            "This request would exceed the rate limit for your organization ({}) of {} output tokens per minute.",
                            r.id(HEX, 8),
                            8000 * (1 + r.below(4))
                        ),
                    );
                    line.attempts = 2 + r.below(3) as u32;
                }
                Case::TooLargeBurst if on && svc_i == 2 && r.chance(0.6) => {
                    line = Line::err(
                        413,
                        "request_too_large",
                        format!(
                            "Request exceeds the maximum allowed number of bytes ({} > 33554432).",
                            33_554_432 + r.below(9_000_000)
                        ),
                    );
                }
                _ => {}
            }
            let text = render(self.at(t), svc, &key, &line, &mut r);
            truth.lines += 1;
            // About one line in 100 arrives 1–3 s late.
            if r.chance(0.01) {
                held.push((t + r.range(1.0, 3.0), text));
            } else {
                out.push_str(&text);
            }
            held.retain(|(due, text)| {
                if *due <= t {
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

    fn at(&self, s: f64) -> OffsetDateTime {
        self.start + Duration::milliseconds((s * 1000.0) as i64)
    }

    fn baseline(&self, r: &mut Rng) -> Line {
        let x = r.unit();
        if x < 0.002 {
            Line::err(500, "api_error", "Internal server error".into())
        } else if x < 0.004 {
            Line::err(529, "overloaded_error", "Overloaded".into())
        } else if x < 0.007 {
            let mut l = Line::err(
                429,
                "rate_limit_error",
                "Number of request tokens has exceeded your per-minute rate limit".into(),
            );
            l.attempts = 2;
            l
        } else if x < 0.008 {
            Line {
                status: None,
                error_type: Some("timeout"),
                message: None,
                attempts: 3,
                latency_ms: 600_000.0,
            }
        } else {
            Line {
                status: Some(200),
                error_type: None,
                message: None,
                attempts: if r.chance(0.02) { 2 } else { 1 },
                latency_ms: r.range(300.0, 25_000.0),
            }
        }
    }
}

struct Line {
    status: Option<u16>,
    error_type: Option<&'static str>,
    message: Option<String>,
    attempts: u32,
    latency_ms: f64,
}

impl Line {
    fn err(status: u16, error_type: &'static str, message: String) -> Line {
        Line {
            status: Some(status),
            error_type: Some(error_type),
            message: Some(message),
            attempts: 1,
            latency_ms: 250.0,
        }
    }
}

fn render(ts: OffsetDateTime, svc: &Service, key: &str, line: &Line, r: &mut Rng) -> String {
    let mut v = serde_json::json!({
        "ts": ts.format(&Rfc3339).unwrap(),
        "status": line.status,
        "error_type": line.error_type,
        "attempts": line.attempts,
        "latency_ms": (line.latency_ms * 10.0).round() / 10.0,
        "model": svc.model,
        "operation": svc.operation,
        "key_id": key,
        "request_id": format!("req_{}", r.id(BASE62, 24)),
    });
    if let Some(m) = &line.message {
        v["message"] = serde_json::Value::String(m.clone());
    }
    let mut s = v.to_string();
    s.push('\n');
    s
}
