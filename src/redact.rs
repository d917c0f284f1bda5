//! Keeping secrets out of text: an API key never formats. (Upload tokens never reach a log:
//! nothing logs a URL or a request; JSON lines and journals carry none.)

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_never_formats() {
        let k = ApiKey::new("IST.secret-value-123");
        assert!(!format!("{k:?} {k}").contains("secret"));
        assert_eq!(k.expose(), "IST.secret-value-123");
    }
}
