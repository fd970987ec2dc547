//! Secrets (webhook URLs, signing secrets, routing keys) never reach a log, an error or a file.

use std::fmt;

/// A secret string: `Debug` and `Display` print `<redacted>`; read it only with
/// [`Secret::expose`] at the point of use.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A URL fit for logs: scheme, host and port only. Slack and webhook URLs carry their secret
/// in the path or query, so both are replaced by `/…`.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}/…", u.scheme()),
                None => format!("{}://{host}/…", u.scheme()),
            }
        }
        Err(_) => "<unparsable url, redacted>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("whsec_FAKEFAKE");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "whsec_FAKEFAKE");
    }

    #[test]
    fn redacted_url_keeps_scheme_and_host_only() {
        let r = redact_url("https://hooks.slack.com/services/T000/B000/FAKEFAKE?x=1");
        assert_eq!(r, "https://hooks.slack.com/…");
        assert_eq!(
            redact_url("http://127.0.0.1:9093/api/v2/alerts"),
            "http://127.0.0.1:9093/…"
        );
        assert!(!redact_url("not a url FAKE").contains("FAKE"));
    }
}
