//! The scanner against serde: [`parse_line`] (scanner first) and
//! [`parse_line_with_serde`] give the same `Ok` event, or the same error, on lines the agent's
//! writer wrote, on lines assembled from JSON fragments (unknown and repeated fields, wrong
//! types, escapes, whitespace, odd numbers) and on garbled copies of written lines.

use proptest::prelude::*;
use time::OffsetDateTime;

use super::{scan, short_decimal, string_end, Field, KEYS};
use crate::classify::{Headroom, Provider, RateLimit, Usage};
use crate::event::parse::parse_line_with_serde;
use crate::event::wire::Wire;
use crate::event::{parse_line, CallEvent, CreditBalance, Event, KeyRotation};

fn same_as_serde(line: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        parse_line(line, 3),
        parse_line_with_serde(line, 3),
        "line: {}",
        line
    );
    Ok(())
}

/// Strings as the writer may meet them: plain, with what JSON must escape, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_.:/-]{0,24}",
        1 => "[ -~]{0,16}",
        1 => "[a-z\"\\\\\u{0}-\u{1f}\u{7f}é€😀 ]{0,12}",
        1 => Just("sk-ant-api03-FAKE-0000".to_string()),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u64..3_000_000).prop_map(|n| n as f64 / 1000.0),
        any::<f64>(),
        (-400i32..400, 1u64..10).prop_map(|(e, m)| m as f64 * 10f64.powi(e)),
    ]
}

fn headroom() -> impl Strategy<Value = Option<Headroom>> {
    proptest::option::of(
        (0u64..100_000, 0u64..100_000).prop_map(|(limit, remaining)| Headroom {
            limit,
            remaining,
            reset: None,
        }),
    )
}

fn usage() -> impl Strategy<Value = Usage> {
    let count = prop_oneof![4 => 0u64..100_000, 1 => any::<u64>()];
    [
        count.clone(),
        count.clone(),
        count.clone(),
        count.clone(),
        count,
    ]
    .prop_map(|[input, output, read, write, write_1h]| Usage {
        input_tokens: input,
        output_tokens: output,
        cache_read_input_tokens: read,
        cache_creation_input_tokens: write,
        cache_creation_1h_input_tokens: write_1h,
    })
}

fn ts() -> impl Strategy<Value = OffsetDateTime> {
    (1_700_000_000i64..1_900_000_000, 0u32..1_000_000_000, 0u8..3).prop_map(|(s, ns, shape)| {
        // Whole seconds, milliseconds and nanoseconds: the writer prints each differently.
        let ns = match shape {
            0 => 0,
            1 => ns / 1_000_000 * 1_000_000,
            _ => ns,
        };
        OffsetDateTime::from_unix_timestamp(s).unwrap() + time::Duration::nanoseconds(ns.into())
    })
}

fn call() -> impl Strategy<Value = CallEvent<'static>> {
    let strings = proptest::collection::vec(proptest::option::of(text()), 6);
    let numbers = (
        proptest::option::of(prop_oneof![100u16..600, Just(0u16), Just(999u16)]),
        prop_oneof![1u32..5, any::<u32>()],
        proptest::option::of(float()),
        proptest::option::of(float()),
        proptest::option::of(any::<bool>()),
        0usize..Provider::ALL.len(),
    );
    let extras = (
        proptest::option::of(usage()),
        proptest::option::of((headroom(), headroom(), headroom(), headroom()).prop_map(
            |(r, t, i, o)| RateLimit {
                requests: r,
                tokens: t,
                input_tokens: i,
                output_tokens: o,
            },
        )),
    );
    (ts(), strings, numbers, extras).prop_map(
        |(ts, s, (status, attempts, latency, ttft, stream, provider), (usage, ratelimit))| {
            let mut call = CallEvent::new(ts, status, None);
            call.error_type = s[0].clone().map(Into::into);
            call.model = s[1].clone().map(Into::into);
            call.operation = s[2].clone().map(Into::into);
            call.key_id = s[3].clone().map(Into::into);
            call.request_id = s[4].clone().map(Into::into);
            call.message = s[5].clone().map(Into::into);
            call.attempts = attempts;
            call.latency_ms = latency;
            call.ttft_ms = ttft;
            call.stream = stream;
            call.provider = Provider::ALL[provider];
            call.usage = usage;
            call.ratelimit = ratelimit;
            call.reclassify();
            call
        },
    )
}

/// Lines as the agent writes them: calls, rotations, balances.
fn written_line() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => call().prop_map(|c| c.to_line()),
        1 => (ts(), text()).prop_map(|(ts, key)| Event::KeyRotated(KeyRotation {
            ts,
            key_id: key.into(),
        })
        .to_line()),
        1 => (ts(), float()).prop_map(|(ts, balance_usd)| Event::CreditBalance(CreditBalance {
            ts,
            balance_usd,
        })
        .to_line()),
    ]
}

const NAMES: [&str; 25] = [
    "ts",
    "status",
    "error_type",
    "attempts",
    "latency_ms",
    "model",
    "operation",
    "key_id",
    "request_id",
    "message",
    "event",
    "provider",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_1h_input_tokens",
    "ttft_ms",
    "balance_usd",
    "stream",
    "ratelimit",
    "extra",
    "Status",
    "tsx",
    "model_id",
];

/// A JSON value of any type the fields may (or may not) hold.
fn fragment() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        "0|[1-9][0-9]{0,3}|[1-9][0-9]{15,21}",
        "-?(0|[1-9][0-9]{0,3})(\\.[0-9]{1,6})?([eE][+-]?[0-9]{1,3})?",
        "00|01|-0|1\\.|\\.5|1e|1e\\+|\\+1|0x10|1_000",
    ];
    let string = prop_oneof![
        "\"[a-zA-Z0-9_.:-]{0,12}\"",
        Just("\"2026-11-20T08:00:00.007Z\"".to_string()),
        Just("\"2026-11-20T08:00:00Z\"".to_string()),
        Just("\"key_rotated\"".to_string()),
        Just("\"credit_balance\"".to_string()),
        Just("\"aws.bedrock\"".to_string()),
        Just("\"overloaded_error\"".to_string()),
        "\"[a-z\\\\\"/bnu0-9]{0,8}\"",
        "\"[a-z\u{1}\u{1f}é😀]{0,6}\"",
    ];
    let pair = "\\{(\"limit\":[0-9]{1,3},?)?(\"remaining\":[0-9]{1,3})?\\}|null|\\{\"limit\":1,\"remaining\":1,\"limit\":1\\}|\\{\"limit\":1,\"remaining\":1,\"reset\":1\\}";
    let ratelimit = proptest::collection::vec(
        (
            prop_oneof![
                Just("requests"),
                Just("tokens"),
                Just("input_tokens"),
                Just("output_tokens"),
                Just("other")
            ],
            pair,
        ),
        0..4,
    )
    .prop_map(|kinds| {
        let body: Vec<String> = kinds.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    });
    prop_oneof![
        3 => number,
        3 => string,
        1 => Just("null".to_string()),
        1 => Just("true".to_string()),
        1 => Just("false".to_string()),
        1 => Just("nul".to_string()),
        1 => Just("[1,2]".to_string()),
        1 => ratelimit,
    ]
}

/// Objects of known and unknown fields (repeats allowed) with values of any type, now and then
/// with whitespace or trailing bytes.
fn assembled_line() -> impl Strategy<Value = String> {
    let member = (0..NAMES.len(), fragment());
    let ts = prop_oneof![
        Just("\"ts\":\"2026-11-20T08:00:00.007Z\","),
        Just("\"ts\":\"2026-11-20T08:00:00Z\","),
        Just(""),
    ];
    let space = prop_oneof![8 => Just(""), 1 => Just(" "), 1 => Just("\t")];
    let tail = prop_oneof![8 => Just(""), 1 => Just(" "), 1 => Just("}"), 1 => Just("x")];
    (ts, proptest::collection::vec(member, 0..8), space, tail).prop_map(
        |(ts, members, space, tail)| {
            let body: Vec<String> = members
                .iter()
                .map(|(name, value)| format!("\"{}\"{space}:{space}{value}", NAMES[*name]))
                .collect();
            let body = body.join(",");
            let ts = if body.is_empty() {
                ts.trim_end_matches(',')
            } else {
                ts
            };
            format!("{{{ts}{body}}}{tail}")
        },
    )
}

/// Up to three edits (delete, insert or replace a character, or cut the line) of `line`.
fn garbled(line: String) -> impl Strategy<Value = String> {
    let inserts = prop_oneof![
        Just('{'),
        Just('}'),
        Just('['),
        Just('"'),
        Just(':'),
        Just(','),
        Just('\\'),
        Just(' '),
        Just('0'),
        Just('9'),
        Just('-'),
        Just('.'),
        Just('e'),
        Just('n'),
        Just('\u{0}'),
        Just('é'),
    ];
    proptest::collection::vec((0u8..4, any::<prop::sample::Index>(), inserts), 1..4).prop_map(
        move |edits| {
            let mut chars: Vec<char> = line.chars().collect();
            for (kind, at, c) in edits {
                if chars.is_empty() {
                    break;
                }
                let i = at.index(chars.len());
                match kind {
                    0 => {
                        chars.remove(i);
                    }
                    1 => chars.insert(i, c),
                    2 => chars[i] = c,
                    _ => chars.truncate(i),
                }
            }
            chars.into_iter().collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn written_lines_read_as_serde_reads_them(line in written_line()) {
        same_as_serde(&line)?;
    }

    #[test]
    fn assembled_lines_read_as_serde_reads_them(line in assembled_line()) {
        same_as_serde(&line)?;
    }

    #[test]
    fn the_word_at_a_time_search_finds_the_first_special_byte(
        bytes in proptest::collection::vec(
            prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => 0u8..0x20, 1 => 0x80u8..=0xff],
            0..40,
        )
    ) {
        let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        prop_assert_eq!(string_end(&bytes), naive);
    }

    #[test]
    fn short_decimals_read_as_a_full_parse_reads_them(number in "(0|[1-9][0-9]{0,15})(\\.[0-9]{1,16})?") {
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        let frac = number.split_once('.').map_or(0, |(_, frac)| frac.len());
        let mantissa = number
            .bytes()
            .filter(u8::is_ascii_digit)
            .fold(0u64, |n, d| n.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
        let fast = short_decimal(mantissa, digits, frac);
        prop_assert_eq!(fast.is_some(), digits <= 15, "{}", number);
        if let Some(fast) = fast {
            prop_assert_eq!(fast, number.parse::<f64>().unwrap());
        }
    }

    #[test]
    fn garbled_lines_read_as_serde_reads_them(line in written_line().prop_flat_map(garbled)) {
        same_as_serde(&line)?;
    }
}

/// The key tried first for a field is the one the key search finds for it, for every field
/// (the two tables cannot drift apart), and each field's next is a later field.
#[test]
fn each_fields_key_is_the_one_the_search_finds() {
    for (i, key) in KEYS.iter().enumerate() {
        let found: Vec<Field> = Field::starting_with(key[1])
            .iter()
            .filter(|(k, _)| k == key)
            .map(|&(_, f)| f)
            .collect();
        assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(key));
        assert_eq!(found[0] as usize, i, "{}", String::from_utf8_lossy(key));
        assert_eq!(found[0].key(), *key);
        if let Some(next) = found[0].next() {
            assert!(next as usize > i);
        }
    }
    let all: usize = (b'a'..=b'z').map(|b| Field::starting_with(b).len()).sum();
    assert_eq!(
        all,
        KEYS.len(),
        "every searchable key has its place in the table"
    );
}

/// The scanner must take the lines the agent writes (else replay is silently back on serde's
/// speed), and leave serde every line shape it does not read itself.
#[test]
fn the_scanner_reads_the_agents_lines_and_leaves_the_rest_to_serde() {
    let written = [
        r#"{"ts":"2026-11-20T08:00:00.007Z","status":529,"error_type":"overloaded_error","attempts":3,"latency_ms":812.5,"model":"claude-sonnet-4-6","operation":"messages","key_id":"k-52e6b438","request_id":"req_011CSHoEeqs5C35K2UUqR7Fy","message":"Overloaded"}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","status":200,"error_type":null,"attempts":1,"latency_ms":900.0,"provider":"aws.bedrock","input_tokens":1200,"output_tokens":350,"cache_read_input_tokens":800,"cache_creation_input_tokens":64,"ttft_ms":312.5,"stream":true,"ratelimit":{"requests":{"limit":50,"remaining":41},"input_tokens":{"limit":40000,"remaining":12000}}}"#,
        r#"{"ts":"2026-11-20T09:00:00Z","event":"key_rotated","key_id":"k-0f3a9c21"}"#,
        r#"{"ts":"2026-11-20T10:00:00Z","event":"credit_balance","balance_usd":250.0}"#,
        r#"{"ts":"2026-11-20T10:00:00Z","status":null,"error_type":"timeout","attempts":1,"latency_ms":1e-7}"#,
    ];
    for line in written {
        assert!(
            scan(line, &mut Wire::default()).is_some(),
            "scanned: {line}"
        );
        assert!(parse_line(line, 1).is_ok(), "{line}");
    }
    let left_to_serde = [
        r#"{ "ts":"2026-11-20T08:00:00Z"}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","status":200,"status":200}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","message":"a \"quoted\" word"}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","extra":1}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","status":-1}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","status":2.0}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","status":0200}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","status":"200"}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","latency_ms":1e999}"#,
        r#"{"ts":"2026-11-20T08:00:00Z","ratelimit":{"requests":{"limit":5}}}"#,
        r#"{"ts":"2026-11-20T08:00:00Z"} "#,
        r#"{}"#,
        "",
    ];
    for line in left_to_serde {
        assert!(
            scan(line, &mut Wire::default()).is_none(),
            "left to serde: {line}"
        );
        assert_eq!(parse_line(line, 1), parse_line_with_serde(line, 1));
    }
}
