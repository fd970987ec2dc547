//! Error messages normalised so variants of one problem group together:
//! `messages.3.content: Input should be a valid list` and `messages.7.content: …` both become
//! `messages.*.content: Input should be a valid list`. Numbers (decimals too), ids and quoted
//! values become `*`; whitespace collapses; the result is capped in length. An id is a word
//! holding a digit (`req_011CSH…`, uuids, most base64), a run of 8+ hex letters, a word with a
//! provider id prefix (`toolu_…`, `msg_…`, …), or a long word mixing cases like base64; plain
//! words — what tells two problems apart — are kept.

/// Prefixes of the provider's ids (`toolu_01A…`, `req_011…`, `msg_…`, `msgbatch_…`, …).
const ID_PREFIXES: [&str; 8] = [
    "toolu_",
    "srvtoolu_",
    "req_",
    "msg_",
    "msgbatch_",
    "file_",
    "batch_",
    "org_",
];

/// Whether a word (letters, digits, `_`, `-`) is an id or a number rather than a word.
fn is_id(word: &str) -> bool {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    if word.len() >= 8 && word.chars().all(|c| c.is_ascii_hexdigit()) {
        return true;
    }
    if ID_PREFIXES
        .iter()
        .any(|p| word.len() >= p.len() + 6 && word.starts_with(p))
    {
        return true;
    }
    let upper = word.chars().filter(|c| c.is_ascii_uppercase()).count();
    let lower = word.chars().filter(|c| c.is_ascii_lowercase()).count();
    word.len() >= 16 && upper >= 3 && lower >= 3
}

/// Longest normalised message kept (characters).
pub const MAX_NORMALISED_CHARS: usize = 160;

pub fn normalise_message(message: &str) -> String {
    // Secrets go first, through the same path as the event log, so a key without a digit in
    // it cannot survive as a "word".
    let redacted = callwatch_core::classify::redact(message);
    let message: &str = &redacted;
    let mut out = String::with_capacity(message.len().min(MAX_NORMALISED_CHARS + 8));
    let mut chars = message.chars().peekable();
    let mut word = String::new();
    let mut count = 0usize;
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        if is_id(word) {
            out.push('*');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        if count >= MAX_NORMALISED_CHARS {
            break;
        }
        if c.is_alphanumeric() || c == '_' || c == '-' {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        match c {
            '"' | '\'' | '`' => {
                // A quoted value: skip to the closing quote (if there is one on this message).
                let rest: String = chars.clone().take_while(|&q| q != c).collect();
                if chars.clone().nth(rest.chars().count()) == Some(c) {
                    for _ in 0..=rest.chars().count() {
                        chars.next();
                    }
                    out.push(c);
                    out.push('*');
                    out.push(c);
                } else {
                    out.push(c);
                }
            }
            c if c.is_whitespace() => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
        count = out.chars().count();
    }
    flush(&mut word, &mut out);
    while out.ends_with(' ') {
        out.pop();
    }
    // A decimal number (`1.5`, `0.25.`) is one value, not two.
    while out.contains("*.*") {
        out = out.replace("*.*", "*");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_group_together() {
        let a = normalise_message("messages.3.content: Input should be a valid list");
        let b = normalise_message("messages.17.content:  Input should be a valid list");
        assert_eq!(a, "messages.*.content: Input should be a valid list");
        assert_eq!(a, b);
        assert_eq!(
            normalise_message("tools.0.input_schema: 'foo' is not of type \"object\""),
            "tools.*.input_schema: '*' is not of type \"*\""
        );
        assert_eq!(
            normalise_message("max_tokens: 9000 > 8192, which is the maximum for claude-3-haiku"),
            "max_tokens: * > *, which is the maximum for *"
        );
        assert_eq!(
            normalise_message("request req_011CSHoEeqs5C35K2UUqR7Fy failed"),
            "request * failed"
        );
        assert_eq!(normalise_message("it's broken"), "it's broken");
        assert_eq!(
            normalise_message("temperature: 1.5 is greater than 1"),
            "temperature: * is greater than *"
        );
        assert!(normalise_message(&"x ".repeat(500)).chars().count() <= MAX_NORMALISED_CHARS + 2);
    }

    /// Variants that differ only in an id, index, number or quoted value: one signature.
    #[test]
    fn ids_indices_numbers_and_quoted_values_group() {
        let groups: [&[&str]; 7] = [
            &[
                "messages.1.content.0: tool_use ids were found without tool_result blocks immediately after: toolu_01A09q90qw90lq917835lq9",
                "messages.13.content.2: tool_use ids were found without tool_result blocks immediately after: toolu_AbCdEfGhIjKlMnOpQr",
            ],
            &[
                "request req_011CSHoEeqs5C35K2UUqR7Fy failed",
                "request req_abcdefghijklmnop failed",
            ],
            &[
                "unexpected message msg_01XFDUDYJgAACzvnptvVoYEL in batch",
                "unexpected message msg_vrtxlfhoqzbmxkwr in batch",
            ],
            &[
                "file 550e8400-e29b-41d4-a716-446655440000 not found",
                "file 123e4567-e89b-12d3-a456-426614174000 not found",
            ],
            &["hash deadbeefcafebabe mismatch", "hash 0f1e2d3c4b5a6978 mismatch"],
            &[
                "image: source.data aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ is not valid",
                "image: source.data SGVsbG9Xb3JsZEhlbGxvV29ybGQ is not valid",
            ],
            &[
                "tools.3.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
                "tools.12.name: String should match pattern '^[a-z]+$'",
            ],
        ];
        for group in groups {
            let first = normalise_message(group[0]);
            for m in &group[1..] {
                assert_eq!(normalise_message(m), first, "{m}");
            }
        }
    }

    /// Messages that differ in words are different problems.
    #[test]
    fn different_words_stay_apart() {
        let pairs = [
            (
                "messages.0.content: Input should be a valid list",
                "messages.0.content: Input should be a valid dictionary",
            ),
            (
                "tools.0.input_schema: JSON schema is invalid",
                "tools.0.custom: Extra inputs are not permitted",
            ),
            (
                "system: text content blocks must be non-empty",
                "system: field required",
            ),
            ("max_tokens: Field required", "model: Field required"),
        ];
        for (a, b) in pairs {
            assert_ne!(normalise_message(a), normalise_message(b), "{a} / {b}");
        }
        assert_eq!(
            normalise_message("tools.0.input_schema: JSON schema is invalid"),
            "tools.*.input_schema: JSON schema is invalid"
        );
    }
}
