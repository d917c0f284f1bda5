//! Finished files as the text people paste elsewhere: URLs, Markdown, HTML, CSV, and the
//! `wix:image://` URI. One place for both front ends: the window's Copy menus and Copy all, and
//! `wixup upload --format`. Pure functions over [`Item`]s, unit-tested here.
//!
//! What a server sent is never trusted as text: names lose line breaks and the characters that
//! would end their markup, URLs that do not parse as http(s) are left out of the line forms, HTML
//! is escaped, and CSV fields that a spreadsheet would run as a formula are defused.

use crate::engine::{Job, JobResult};
use crate::history::HistoryEntry;

/// The forms of a block of finished files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One URL per line.
    Urls,
    /// `![name](url)` per line (`[name](url)` for a file that is not an image).
    Markdown,
    /// `<img>` per line, with width and height when known (`<a>` for other files).
    Html,
    /// RFC 4180: a header `name,url,id,size,uri`, then one record per file.
    Csv,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Urls, Format::Markdown, Format::Html, Format::Csv];

    /// The word on the command line (`--format urls`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Urls => "urls",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Csv => "csv",
        }
    }

    /// How a menu names it.
    pub fn label(self) -> &'static str {
        match self {
            Format::Urls => "URLs",
            Format::Markdown => "Markdown",
            Format::Html => "HTML",
            Format::Csv => "CSV",
        }
    }

    pub fn parse(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown format {s:?}: use urls, markdown, html or csv"))
    }
}

/// What a block needs of one finished file.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub name: &'a str,
    pub url: Option<&'a str>,
    pub file_id: &'a str,
    /// Bytes, as the site has them.
    pub size: u64,
    /// Width and height, for images.
    pub image_size: Option<(u64, u64)>,
    pub image: bool,
}

impl<'a> Item<'a> {
    /// A finished job, named as its row names it.
    pub fn of_job(job: &'a Job, result: &'a JobResult) -> Self {
        Item {
            name: &job.name,
            url: result.url.as_deref(),
            file_id: &result.file_id,
            size: result.size_bytes.unwrap_or(job.size_bytes),
            image_size: result.image_size,
            image: job.mime_type.starts_with("image/")
                || result.media_type.as_deref() == Some("image"),
        }
    }

    pub fn of_history(e: &'a HistoryEntry) -> Self {
        Item {
            name: &e.name,
            url: e.url.as_deref(),
            file_id: &e.file_id,
            size: e.size_bytes,
            image_size: e.image_size,
            image: e.mime_type.starts_with("image/"),
        }
    }

    /// The URL, when it is a web address that can go on a line of its own (what every Copy
    /// form copies; any other text a server sent is never copied as a link).
    pub fn web_url(&self) -> Option<&'a str> {
        self.url.filter(|u| web_url(u))
    }

    /// `wix:image://…` for an image whose size is known; `None` otherwise.
    pub fn wix_uri(&self) -> Option<String> {
        match (self.image, self.image_size) {
            (true, Some(size)) => Some(wix_image_uri(self.file_id, self.name, size)),
            _ => None,
        }
    }
}

/// Whether `url` is an http(s) address with nothing in it that ends a line or a field.
fn web_url(url: &str) -> bool {
    !url.chars().any(|c| c.is_control() || c.is_whitespace())
        && reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// The block for `items`, in their order, one line (or record) each, ending with a line break.
/// Line forms leave out a file without a web URL; CSV keeps it with an empty `url`.
pub fn block(format: Format, items: &[Item<'_>]) -> String {
    let mut out = String::new();
    if format == Format::Csv {
        out.push_str("name,url,id,size,uri\r\n");
    }
    for item in items {
        if let Some(line) = line(format, item) {
            out.push_str(&line);
            out.push_str(if format == Format::Csv { "\r\n" } else { "\n" });
        }
    }
    out
}

/// How many of `items` a block in `format` lists.
pub fn count(format: Format, items: &[Item<'_>]) -> usize {
    items
        .iter()
        .filter(|i| format == Format::Csv || i.web_url().is_some())
        .count()
}

/// One file's line in `format` (without the line break).
pub fn line(format: Format, item: &Item<'_>) -> Option<String> {
    if format == Format::Csv {
        let fields = [
            item.name.to_string(),
            item.web_url().unwrap_or_default().to_string(),
            item.file_id.to_string(),
            item.size.to_string(),
            item.wix_uri().unwrap_or_default(),
        ];
        let fields: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        return Some(fields.join(","));
    }
    let url = item.web_url()?;
    Some(match format {
        Format::Urls => url.to_string(),
        Format::Markdown => markdown(item.name, url, item.image),
        Format::Html => html(item.name, url, item.image, item.image_size),
        Format::Csv => unreachable!("handled above"),
    })
}

/// A name on one line: control characters (line breaks above all) become spaces.
fn one_line(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `![name](url)` for an image, `[name](url)` for another file. Markdown's punctuation in the
/// name is backslash-escaped (a bracket, a backslash or raw HTML cannot end or inject markup)
/// and parentheses and angle brackets are percent-encoded in the URL.
pub fn markdown(name: &str, url: &str, image: bool) -> String {
    let mut text = String::new();
    for c in one_line(name).chars() {
        if "\\[]<>*_`".contains(c) {
            text.push('\\');
        }
        text.push(c);
    }
    let url = url
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('<', "%3C")
        .replace('>', "%3E");
    let bang = if image { "!" } else { "" };
    format!("{bang}[{text}]({url})")
}

/// An `<img>` tag for an image (with its size when known), a link for another file; the name and
/// the URL are escaped as attribute values and text (a URL may hold `&` in its query, or worse).
pub fn html(name: &str, url: &str, image: bool, size: Option<(u64, u64)>) -> String {
    let name = html_escape(&one_line(name));
    let url = html_escape(url);
    match (image, size) {
        (true, Some((w, h))) => {
            format!(r#"<img src="{url}" alt="{name}" width="{w}" height="{h}">"#)
        }
        (true, None) => format!(r#"<img src="{url}" alt="{name}">"#),
        (false, _) => format!(r#"<a href="{url}">{name}</a>"#),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `wix:image://v1/<id>/<name>#originWidth=W&originHeight=H`, the URI Wix's own data uses.
pub fn wix_image_uri(file_id: &str, name: &str, size: (u64, u64)) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() || c == '#' {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!(
        "wix:image://v1/{file_id}/{safe}#originWidth={}&originHeight={}",
        size.0, size.1
    )
}

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes
/// doubled. A field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
/// gets a leading `'`, as OWASP advises: a file named `=HYPERLINK(…)` stays a name.
fn csv_field(text: &str) -> String {
    let defused = match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    };
    if defused.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo<'a>(name: &'a str, url: &'a str) -> Item<'a> {
        Item {
            name,
            url: Some(url),
            file_id: "abc~mv2.jpg",
            size: 1234,
            image_size: Some((640, 480)),
            image: true,
        }
    }

    #[test]
    fn each_form_of_a_batch() {
        let pdf = Item {
            name: "menu.pdf",
            url: Some("http://x/m.pdf"),
            file_id: "d1.pdf",
            size: 9,
            image_size: None,
            image: false,
        };
        let items = [
            photo("a.jpg", "http://x/a"),
            photo("b.jpg", "http://x/b"),
            pdf,
        ];
        assert_eq!(
            block(Format::Urls, &items),
            "http://x/a\nhttp://x/b\nhttp://x/m.pdf\n"
        );
        assert_eq!(
            block(Format::Markdown, &items),
            "![a.jpg](http://x/a)\n![b.jpg](http://x/b)\n[menu.pdf](http://x/m.pdf)\n"
        );
        assert_eq!(
            block(Format::Html, &items[1..]),
            "<img src=\"http://x/b\" alt=\"b.jpg\" width=\"640\" height=\"480\">\n\
             <a href=\"http://x/m.pdf\">menu.pdf</a>\n"
        );
        assert_eq!(
            block(Format::Csv, &items),
            "name,url,id,size,uri\r\n\
             a.jpg,http://x/a,abc~mv2.jpg,1234,wix:image://v1/abc~mv2.jpg/a.jpg#originWidth=640&originHeight=480\r\n\
             b.jpg,http://x/b,abc~mv2.jpg,1234,wix:image://v1/abc~mv2.jpg/b.jpg#originWidth=640&originHeight=480\r\n\
             menu.pdf,http://x/m.pdf,d1.pdf,9,\r\n"
        );
        assert_eq!(count(Format::Markdown, &items), 3);
    }

    #[test]
    fn hostile_names_and_urls_stay_inside_their_line() {
        let evil = photo("a\nb](javascript:x) [c", "http://x/p(1)?q=1&r=\"<s>");
        assert_eq!(
            line(Format::Markdown, &evil).unwrap(),
            r#"![a b\](javascript:x) \[c](http://x/p%281%29?q=1&r="%3Cs%3E)"#
        );
        assert_eq!(
            line(Format::Html, &evil).unwrap(),
            "<img src=\"http://x/p(1)?q=1&amp;r=&quot;&lt;s&gt;\" alt=\"a b](javascript:x) [c\" \
             width=\"640\" height=\"480\">"
        );
        assert_eq!(markdown("x\\", "http://x/a", false), r"[x\\](http://x/a)");
        assert_eq!(
            markdown("<img src=x onerror=y>_*.pdf", "http://x/a", false),
            r"[\<img src=x onerror=y\>\_\*.pdf](http://x/a)"
        );
        // A URL that is no web address, or would break the line, is left out of line forms.
        for bad in [
            "javascript:alert(1)",
            "http://x/a\nhttp://evil/",
            "file:///etc/passwd",
        ] {
            let item = photo("x.jpg", bad);
            assert_eq!(line(Format::Urls, &item), None, "{bad:?}");
            assert_eq!(count(Format::Urls, &[item]), 0);
            assert!(line(Format::Csv, &item).unwrap().starts_with("x.jpg,,"));
        }
    }

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_field("plain.jpg"), "plain.jpg");
        assert_eq!(csv_field("a,b.jpg"), "\"a,b.jpg\"");
        assert_eq!(csv_field("say \"hi\".jpg"), "\"say \"\"hi\"\".jpg\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@sum"), "'@sum");
        assert_eq!(csv_field(""), "");
    }

    #[test]
    fn formats_parse_by_their_names() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.as_str()), Ok(f));
        }
        assert_eq!(Format::parse("MARKDOWN"), Ok(Format::Markdown));
        assert!(
            Format::parse("yaml")
                .unwrap_err()
                .contains("urls, markdown")
        );
    }

    #[test]
    fn the_wix_uri_needs_an_image_with_a_size() {
        assert_eq!(
            wix_image_uri("abc~mv2.jpg", "my pic#1.jpg", (640, 480)),
            "wix:image://v1/abc~mv2.jpg/my_pic_1.jpg#originWidth=640&originHeight=480"
        );
        let mut item = photo("a.jpg", "http://x/a");
        item.image_size = None;
        assert_eq!(item.wix_uri(), None);
    }
}
