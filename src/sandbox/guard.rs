//! What keeps web pages in a local browser from using the sandbox: requests must name a host the
//! sandbox serves (a DNS-rebinding page names its own domain), and uploaded files are served so
//! that a browser never runs them as part of the sandbox's origin.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use reqwest::Url;

use super::reply::wix_error;

/// The host names a request may carry in `Host`.
#[derive(Debug, Clone)]
pub(crate) struct AllowedHosts {
    bound: IpAddr,
    public: Option<String>,
}

impl AllowedHosts {
    pub(crate) fn new(bound: SocketAddr, public_url: Option<&Url>) -> Self {
        Self {
            bound: bound.ip(),
            public: public_url
                .and_then(|u| u.host_str())
                .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase()),
        }
    }

    /// Whether `host` (a `Host` header: name or address, maybe a port) is one this serves:
    /// `localhost`, the `--public-url` host, or an address that reaches the bound one.
    pub(crate) fn allows(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        if name == "localhost" || self.public.as_deref() == Some(name.as_str()) {
            return true;
        }
        match name.parse::<IpAddr>() {
            Ok(ip) => {
                ip == self.bound
                    || (ip.is_loopback() && self.bound.is_loopback())
                    || self.bound.is_unspecified()
            }
            Err(_) => false,
        }
    }
}

/// `name:port` → `name`, `[v6]:port` → `v6`.
fn strip_port(host: &str) -> &str {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// Answers 421 to a request whose `Host` is not one the sandbox serves.
pub(crate) async fn host_check(
    State(allowed): State<std::sync::Arc<AllowedHosts>>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("\u{fffd}").to_string())
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if !allowed.allows(&h) => {
            tracing::debug!(host = %h, "sandbox: request for another host refused");
            wix_error(
                StatusCode::MISDIRECTED_REQUEST,
                "UNKNOWN_HOST",
                "this sandbox serves only localhost, its listening address and its --public-url; \
                 the Host header named another host (a web page using DNS rebinding looks like this)",
            )
        }
        _ => next.run(req).await,
    }
}

/// Whether a browser may show a file of this type inline without risk: images other than SVG,
/// video, audio and PDF. Anything else (HTML, SVG, XML, scripts, unknown) could run as a page.
fn plain_media(mime: &str) -> bool {
    let essence = mime
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    let xmlish = sub.contains("svg") || sub.ends_with("+xml") || sub.contains("xml");
    match kind {
        "image" => !xmlish,
        "video" | "audio" => !xmlish,
        "application" => sub == "pdf",
        _ => false,
    }
}

/// Headers for serving an uploaded file of type `mime`: never sniffed, and when it is not plain
/// media, a sandboxed download instead of a page on this origin.
pub(crate) fn media_headers(headers: &mut HeaderMap, mime: &str) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !plain_media(mime) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        );
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_media_types() {
        let loopback = AllowedHosts::new(
            "127.0.0.1:4000".parse().expect("addr"),
            Some(&"https://Uploads.Example.test/base/".parse().expect("url")),
        );
        for ok in [
            "127.0.0.1:4000",
            "127.0.0.1",
            "localhost:4000",
            "LOCALHOST",
            "[::1]:4000",
            "uploads.example.test",
            "uploads.example.test:443",
        ] {
            assert!(loopback.allows(ok), "{ok}");
        }
        for bad in ["evil.test:4000", "10.1.2.3:4000", "localhost.evil.test", ""] {
            assert!(!loopback.allows(bad), "{bad}");
        }
        let any = AllowedHosts::new("0.0.0.0:4000".parse().expect("addr"), None);
        assert!(any.allows("192.168.1.20:4000"));
        assert!(!any.allows("rebind.evil.test:4000"));

        for plain in [
            "image/jpeg",
            "image/png; q=1",
            "video/mp4",
            "audio/mpeg",
            "application/pdf",
        ] {
            assert!(plain_media(plain), "{plain}");
        }
        for risky in [
            "text/html",
            "image/svg+xml",
            "IMAGE/SVG+XML; charset=utf-8",
            "application/xhtml+xml",
            "text/xml",
            "application/octet-stream",
            "",
            "nonsense",
        ] {
            assert!(!plain_media(risky), "{risky}");
        }
    }
}
