//! Keeping secrets out of text: API keys never appear anywhere, upload tokens are shortened.

use std::fmt;

/// A Wix API key. Its `Debug` and `Display` never show the key, so it cannot leak through a log
/// line or an error message by accident; only [`ApiKey::expose`] gives the text, for the one
/// header that needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into().trim().to_string())
    }

    /// The key itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Shortens an upload token for logs: its first 6 characters and its length.
pub fn token(token: &str) -> String {
    let head: String = token.chars().take(6).collect();
    format!("{head}…({} chars)", token.chars().count())
}

/// Rewrites a URL for logs: every path segment or query value longer than 40 characters (upload
/// tokens, signed session ids) is shortened with [`token`].
pub fn url(url: &str) -> String {
    let shorten = |s: &str| {
        if s.len() > 40 {
            token(s)
        } else {
            s.to_string()
        }
    };
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = base.split('/').map(shorten).collect::<Vec<_>>().join("/");
    if let Some(q) = query {
        let q: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => format!("{k}={}", shorten(v)),
                None => kv.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&q.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_never_formats() {
        let k = ApiKey::new("IST.secret-value-123");
        assert!(!format!("{k:?} {k}").contains("secret"));
        assert_eq!(k.expose(), "IST.secret-value-123");
    }

    #[test]
    fn long_url_segments_are_shortened() {
        let tok = "e".repeat(120);
        let u = format!("http://h/upload/tus/{tok}?filename=a.jpg&t={tok}");
        let r = url(&u);
        assert!(!r.contains(&tok), "{r}");
        assert!(r.starts_with("http://h/upload/tus/eeeeee…(120 chars)?filename=a.jpg"));
    }
}
