//! Error messages normalised so variants of one problem group together:
//! `messages.3.content: Input should be a valid list` and `messages.7.content: …` both become
//! `messages.*.content: Input should be a valid list`. Numbers, ids (any word holding a digit)
//! and quoted values become `*`; whitespace collapses; the result is capped in length.

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
        if word.chars().any(|c| c.is_ascii_digit()) {
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
        assert!(normalise_message(&"x ".repeat(500)).chars().count() <= MAX_NORMALISED_CHARS + 2);
    }
}
