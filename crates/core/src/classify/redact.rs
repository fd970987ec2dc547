//! The one redaction path for text that leaves the process. Whatever an upstream or a client
//! sends can carry a secret (an API echoing `invalid x-api-key: sk-ant-…`, a URL echoed with
//! its query, a key pasted into `model`), so every message, label and error shown, stored or
//! exported goes through [`redact`] (or [`redact_with`] when the request's own key is known)
//! first: the event log, the rules' normalised messages, alerts, spans and logs all agree.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex_lite::Regex;

/// What a secret is replaced with: visible, so a reader knows something was there.
pub const REDACTED: &str = "<redacted>";

/// The model label for a `model` that does not look like a model name (a key, a URL, prose).
pub const REDACTED_MODEL: &str = "redacted";

/// Longest model label kept (the API's names are far shorter).
pub const MAX_MODEL_LABEL_CHARS: usize = 64;

/// Shorter tokens are not treated as secrets by the own-key rule (an empty or one-letter "key"
/// would otherwise blank every message).
const MIN_OWN_KEY_CHARS: usize = 8;

/// A redaction pattern, the replacement for its matches, and a cheap test that the text may
/// hold a match at all. `regex-lite` (kept for the light crate's weight) runs a Pike VM, about
/// a microsecond per pattern on a short message; the prefilters let clean text (nearly every
/// message and model name) skip the five patterns, which keeps `replay` above a million lines
/// a second and the unoptimised test builds usable.
struct Pattern {
    regex: Regex,
    replacement: &'static str,
    may_match: fn(&str) -> bool,
}

/// Whether `hay` contains `needle` (ASCII, case-insensitive; `needle` in lower case).
fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    hay.len() >= needle.len()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// The words every secret-named parameter or member contains (`api_key`, `x-api-key`,
/// `access_token`, `client_secret`, `password`, `passwd`, `routing_key`, `sig`…).
fn names_a_secret(text: &str) -> bool {
    ["key", "token", "secret", "passw", "sig"]
        .iter()
        .any(|w| contains_ignore_case(text, w))
}

/// Whether `text` holds a name the `name: value` pattern looks for: `secret`, `passw…`, or
/// `api`/`access`/`auth`/`routing` followed (after an optional `_` or `-`) by `key`/`token`.
/// Not `api` alone: Vertex AI's messages name `aiplatform.googleapis.com` in every quota error.
fn names_a_compound_secret(text: &str) -> bool {
    if contains_ignore_case(text, "secret") || contains_ignore_case(text, "passw") {
        return true;
    }
    let bytes = text.as_bytes();
    [
        ("api", "key"),
        ("access", "token"),
        ("auth", "token"),
        ("routing", "key"),
    ]
    .iter()
    .any(|(stem, tail)| {
        bytes
            .windows(stem.len())
            .enumerate()
            .filter(|(_, w)| w.eq_ignore_ascii_case(stem.as_bytes()))
            .any(|(i, _)| {
                let mut rest = &bytes[i + stem.len()..];
                if let [b'_' | b'-', after @ ..] = rest {
                    rest = after;
                }
                rest.len() >= tail.len() && rest[..tail.len()].eq_ignore_ascii_case(tail.as_bytes())
            })
    })
}

/// One pass that clears most text at once (every model name, most messages): besides an
/// `sk-ant-` key, each pattern needs a separator byte — whitespace, `%20` or `+` after
/// bearer/basic, `:` in `://` and `name: value`, `=` in a parameter, `@` after userinfo
/// (`regex-lite`'s `\s` is ASCII). Run for every model label of every replayed line, so it is
/// a plain byte loop: `str::contains` sets up a substring searcher per call, which costs more
/// than the scan itself on a short name.
fn may_hold_a_secret(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        matches!(
            b,
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b'%' | b'+' | b':' | b'=' | b'@'
        ) || (b == b's' && bytes[i..].starts_with(b"sk-ant-"))
    })
}

static PATTERNS: LazyLock<[Pattern; 5]> = LazyLock::new(|| {
    let re = |s: &str| Regex::new(s).expect("redaction pattern compiles");
    [
        // Anthropic API and admin keys (`sk-ant-api03-…`, `sk-ant-admin01-…`) and the like.
        Pattern {
            regex: re(r"sk-ant-[A-Za-z0-9_\-]*"),
            replacement: REDACTED,
            may_match: |t| t.contains("sk-ant-"),
        },
        // `Bearer <token>` / `Basic <token>` as an Authorization value shows them.
        Pattern {
            regex: re(r"(?i)\b(bearer|basic)(\s+|%20|\+)[A-Za-z0-9._~+/=\-]{8,}"),
            replacement: "$1 <redacted>",
            may_match: |t| contains_ignore_case(t, "bearer") || contains_ignore_case(t, "basic"),
        },
        // URL userinfo: `scheme://user:password@host`.
        Pattern {
            regex: re(r"(?i)([a-z][a-z0-9+.\-]*://)[^/?#@\s]*@"),
            replacement: "${1}<redacted>@",
            may_match: |t| t.contains("://") && t.contains('@'),
        },
        // Secret-looking query or form parameters (`?api_key=…&token=…`).
        Pattern {
            regex: re(
                r#"(?i)\b((?:x-)?api[_\-]?key|access[_\-]?token|auth[_\-]?token|token|secret|client[_\-]?secret|password|passwd|sig|signature|routing[_\-]?key|key)=[^&\s"',;}]+"#,
            ),
            replacement: "$1=<redacted>",
            may_match: |t| t.contains('=') && names_a_secret(t),
        },
        // `name: value` pairs and JSON members whose name says secret (not bare `key`/`token`,
        // which ordinary validation messages use).
        Pattern {
            regex: re(
                r#"(?i)\b((?:x-)?api[_\-]?key|access[_\-]?token|auth[_\-]?token|secret|client[_\-]?secret|password|passwd|routing[_\-]?key)("?\s*:\s*"?)[^&\s"',;}]+"#,
            ),
            replacement: "$1$2<redacted>",
            // Only the compound names: `max_tokens: 9000 > 8192` must not pay for the regex.
            may_match: |t| t.contains(':') && names_a_compound_secret(t),
        },
    ]
});

/// `text` with every secret-shaped part replaced by `<redacted>`: Anthropic-shaped keys,
/// bearer/basic tokens, URL userinfo and secret-looking parameters. Borrowed when clean.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !may_hold_a_secret(text) {
        return Cow::Borrowed(text);
    }
    let mut out = Cow::Borrowed(text);
    for pattern in PATTERNS.iter() {
        if !(pattern.may_match)(&out) {
            continue;
        }
        if let Cow::Owned(s) = pattern.regex.replace_all(&out, pattern.replacement) {
            out = Cow::Owned(s);
        }
    }
    out
}

/// [`redact`], and every occurrence of `own` (the request's own key, whatever its shape).
pub fn redact_with<'t>(text: &'t str, own: Option<&str>) -> Cow<'t, str> {
    let own = own.map(str::trim).filter(|k| k.len() >= MIN_OWN_KEY_CHARS);
    let out = match own {
        Some(key) if text.contains(key) => Cow::Owned(text.replace(key, REDACTED)),
        _ => Cow::Borrowed(text),
    };
    match out {
        Cow::Borrowed(t) => redact(t),
        Cow::Owned(t) => Cow::Owned(redact(&t).into_owned()),
    }
}

/// Redacts a `String` in place (no copy when it is clean).
pub fn redact_owned(text: String, own: Option<&str>) -> String {
    match redact_with(&text, own) {
        Cow::Borrowed(_) => text,
        Cow::Owned(s) => s,
    }
}

/// [`redact`] of a `Cow`, keeping it borrowed when clean.
pub fn redact_cow(text: Cow<'_, str>) -> Cow<'_, str> {
    if matches!(redact(&text), Cow::Borrowed(_)) {
        return text;
    }
    Cow::Owned(redact(&text).into_owned())
}

/// [`model_label`] of a `Cow`, keeping it borrowed when it is a model name.
pub fn model_label_cow(model: Cow<'_, str>) -> Cow<'_, str> {
    if looks_like_a_model(&model) {
        model
    } else {
        Cow::Borrowed(REDACTED_MODEL)
    }
}

/// A URL as an error or log may show it, even when it does not parse: scheme, host and port
/// only. Userinfo is dropped; a path, query or fragment (where Slack and webhook URLs carry
/// their token) becomes `/…`. Text without `://` is not shown at all.
pub fn url_shown(text: &str) -> String {
    let text = text.trim();
    let Some((scheme, rest)) = text.split_once("://") else {
        return "<not a URL, redacted>".to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let scheme: String = scheme
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        .take(16)
        .collect();
    let host_port: String = host_port
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .take(255)
        .collect();
    let host_port = redact(&host_port).into_owned();
    if end < rest.len() {
        format!("{scheme}://{host_port}/…")
    } else {
        format!("{scheme}://{host_port}")
    }
}

static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""(?:[^"\\]|\\.)*""#).expect("quoted-string pattern compiles"));

/// A parser's error message without the values it quotes: serde says `invalid type: string
/// "https://hooks.slack.com/…", expected …` when a secret sits at the wrong place in a file.
/// Field names (in backticks) stay; quoted values become `"…"`; then [`redact`].
pub fn without_values(message: &str) -> String {
    let scrubbed = QUOTED.replace_all(message, "\"…\"");
    redact(&scrubbed).into_owned()
}

/// A model name as a label: kept when it looks like one (short, no spaces, no secret shape),
/// otherwise [`REDACTED_MODEL`]. A client that sends its key as `model` must not turn the key
/// into a metric label.
pub fn model_label(model: &str) -> Cow<'_, str> {
    if looks_like_a_model(model) {
        Cow::Borrowed(model)
    } else {
        Cow::Borrowed(REDACTED_MODEL)
    }
}

/// What a byte of a model name may be, one bit each in [`MODEL_BYTES`].
const NOT_IN_A_MODEL: u8 = 1;
const SEPARATOR: u8 = 2;
const LETTER_S: u8 = 4;

/// Each byte's bits: letters, digits and `-_./` are plain (0), `:` and `@` are separators, `s`
/// may start `sk-ant-`, anything else cannot be in a model name.
static MODEL_BYTES: [u8; 256] = {
    let mut table = [NOT_IN_A_MODEL; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/') {
            table[b] = 0;
        }
        b += 1;
    }
    table[b':' as usize] = SEPARATOR;
    table[b'@' as usize] = SEPARATOR;
    table[b's' as usize] = LETTER_S;
    table
};

/// Short, no spaces, no secret shape. One byte pass: every allowed byte is ASCII, so the
/// byte length is the character count, and only `:` or `@` (the allowed separators) or an
/// `sk-ant-` inside can make [`redact`] change it. The pass ORs each byte's bits from a table
/// (a branch per byte cost more than the rest of the check).
fn looks_like_a_model(model: &str) -> bool {
    let bytes = model.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_MODEL_LABEL_CHARS || model.starts_with("sk-") {
        return false;
    }
    let bits = bytes
        .iter()
        .fold(0, |bits, &b| bits | MODEL_BYTES[usize::from(b)]);
    if bits & NOT_IN_A_MODEL != 0 {
        return false;
    }
    let separator = bits & SEPARATOR != 0;
    let key_shaped = bits & LETTER_S != 0
        && (0..bytes.len()).any(|i| bytes[i] == b's' && bytes[i..].starts_with(b"sk-ant-"));
    if separator && model.contains("://") {
        return false;
    }
    // Without those, none of the patterns can match (see `may_hold_a_secret`).
    !(separator || key_shaped) || matches!(redact(model), Cow::Borrowed(_))
}

#[cfg(test)]
mod tests {

    use proptest::prelude::*;

    /// Text built from the pieces the patterns look for, in any order and case.
    fn secretish_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("sk-ant-".to_owned()),
            Just("Bearer ".to_owned()),
            Just("BASIC%20".to_owned()),
            Just("https://".to_owned()),
            Just("@".to_owned()),
            Just("=".to_owned()),
            Just(": ".to_owned()),
            Just("\"".to_owned()),
            Just("Api-Key".to_owned()),
            Just("x-api_key".to_owned()),
            Just("TOKEN".to_owned()),
            Just("Secret".to_owned()),
            Just("passwd".to_owned()),
            Just("Signature".to_owned()),
            Just("routing_key".to_owned()),
            Just("Access-Token".to_owned()),
            Just("auth_token".to_owned()),
            Just("client-secret".to_owned()),
            Just("password".to_owned()),
            Just("max_tokens".to_owned()),
            Just("googleapis.com".to_owned()),
            Just("api".to_owned()),
            Just("AUTH".to_owned()),
            Just("access".to_owned()),
            Just("_".to_owned()),
            Just("-".to_owned()),
            Just("Key".to_owned()),
            Just("token".to_owned()),
            "[A-Za-z0-9_./+ -]{0,12}",
            Just("bearer\t".to_owned()),
            Just("basic+".to_owned()),
        ];
        proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        /// A prefilter may let clean text through to its regex, but never keeps a match from it.
        #[test]
        fn a_prefilter_never_hides_a_match(text in secretish_text()) {
            for pattern in PATTERNS.iter() {
                if pattern.regex.is_match(&text) {
                    prop_assert!((pattern.may_match)(&text), "{:?} skipped {text:?}", pattern.regex);
                    prop_assert!(may_hold_a_secret(&text), "the first pass skipped {text:?}");
                }
            }
        }

        /// The one-pass model check says what its plain definition says, on names, keys, URLs
        /// and everything between.
        #[test]
        fn the_model_check_agrees_with_its_definition(
            model in prop_oneof![
                secretish_text(),
                "[a-zA-Z0-9._:/@-]{0,70}",
                "(sk-|claude-|anthropic\\.|https?://)[a-z0-9:@/._ -]{0,20}",
                any::<String>(),
            ]
        ) {
            let plain = !model.is_empty()
                && model.chars().count() <= MAX_MODEL_LABEL_CHARS
                && model.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/' | '@')
                })
                && !model.starts_with("sk-")
                && !model.contains("://")
                && matches!(redact(&model), Cow::Borrowed(_));
            prop_assert_eq!(looks_like_a_model(&model), plain, "{:?}", model);
        }
    }
    use super::*;

    #[test]
    fn keys_tokens_userinfo_and_secret_parameters_are_replaced() {
        let cases = [
            (
                "invalid x-api-key: sk-ant-api03-FAKE_0-x",
                "invalid x-api-key: <redacted>",
            ),
            (
                "admin sk-ant-admin01-FAKE0 refused",
                "admin <redacted> refused",
            ),
            (
                "header Authorization: Bearer FAKEtoken.abc was rejected",
                "header Authorization: Bearer <redacted> was rejected",
            ),
            ("got Bearer FAKEtoken", "got Bearer <redacted>"),
            (
                "fetch http://user:FAKEPASS@example.com/x failed",
                "fetch http://<redacted>@example.com/x failed",
            ),
            (
                "GET https://h/v1?api_key=FAKEQ&beta=true",
                "GET https://h/v1?api_key=<redacted>&beta=true",
            ),
            ("token=FAKE1; next", "token=<redacted>; next"),
            (r#"{"api_key":"FAKEJSON"}"#, r#"{"api_key":"<redacted>"}"#),
            ("password: FAKEPW", "password: <redacted>"),
            (
                "messages.0.key: Field required",
                "messages.0.key: Field required",
            ),
            (
                "messages.3.content: Input should be a valid list",
                "messages.3.content: Input should be a valid list",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
        assert!(matches!(redact("Overloaded"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_requests_own_key_is_replaced_whatever_its_shape() {
        let own = "proxy-FAKE-key-123456";
        assert_eq!(
            redact_with(&format!("key {own} is wrong"), Some(own)),
            "key <redacted> is wrong"
        );
        assert_eq!(redact_with("no key here", Some("")), "no key here");
    }

    #[test]
    fn urls_are_shown_without_userinfo_path_or_query() {
        assert_eq!(
            url_shown("http://user:FAKEPW@127.0.0.1:99999/v1?key=FAKEQ"),
            "http://127.0.0.1:99999/…"
        );
        assert_eq!(
            url_shown("https://api.anthropic.com"),
            "https://api.anthropic.com"
        );
        assert_eq!(
            url_shown("https://hooks.slack.com/services/T0/B0/FAKE"),
            "https://hooks.slack.com/…"
        );
        assert!(!url_shown("FAKE-not-a-url").contains("FAKE"));
    }

    #[test]
    fn parser_messages_lose_their_quoted_values() {
        assert_eq!(
            without_values(
                r#"invalid type: string "https://hooks.slack.com/services/FAKE", expected struct Slack"#
            ),
            r#"invalid type: string "…", expected struct Slack"#
        );
        assert_eq!(
            without_values("unknown field `slack`"),
            "unknown field `slack`"
        );
    }

    #[test]
    fn model_labels_that_are_not_model_names_are_redacted() {
        assert_eq!(model_label("claude-sonnet-4-6"), "claude-sonnet-4-6");
        assert_eq!(
            model_label("claude-3-5-haiku@20241022"),
            "claude-3-5-haiku@20241022"
        );
        assert_eq!(
            model_label("anthropic.claude-3-sonnet-20240229-v1:0"),
            "anthropic.claude-3-sonnet-20240229-v1:0"
        );
        for bad in [
            "sk-ant-api03-FAKE",
            "sk-FAKE",
            "Bearer FAKE",
            "http://u:p@h",
            &"m".repeat(65),
            "two words",
        ] {
            assert_eq!(model_label(bad), REDACTED_MODEL, "{bad}");
        }
    }
}
