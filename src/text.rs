//! Text from outside (file names, server messages, URLs) made safe to print or show: control
//! characters and bidirectional overrides become visible escapes, so a hostile name or server
//! answer can neither repaint a terminal (escape sequences), forge a line (newlines) nor reorder
//! what a person reads (U+202E).

use std::borrow::Cow;

/// Whether `c` could change how surrounding text is displayed.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character escaped (`\n`, `\u{1b}`); unchanged when there is none.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_what_could_repaint_or_forge_output() {
        assert_eq!(printable("plain café.jpg"), "plain café.jpg");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            printable("ok\n\u{1b}[2Jerror: fake\r"),
            "ok\\n\\u{1b}[2Jerror: fake\\r"
        );
        assert_eq!(printable("a\u{202e}gpj.exe"), "a\\u{202e}gpj.exe");
    }
}
