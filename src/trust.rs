//! Which servers the clients trust, and which HTTP they speak to them.
//!
//! - Trust: the system's certificate store (where an office's TLS inspection installs its CA),
//!   plus at most one CA file a person names (`WIXUP_CA_FILE`, or Settings, Advanced): a PEM
//!   bundle, e.g. the one `wixup serve --tls` writes. Never "accept any certificate".
//! - HTTP: over HTTPS a client may speak HTTP/2 (one connection, every request a stream) or
//!   HTTP/1.1 (a connection per transfer). [`HttpVersion::Auto`] is what the field benchmark
//!   found to fill the link: HTTP/2 where the server offers it for the REST calls, and
//!   HTTP/1.1 connections for the bytes, each with a TCP congestion window of its own (see
//!   `Uses`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The largest CA file read (a bundle of every public CA is about 250 KiB).
const MAX_CA_FILE: u64 = 1 << 20;

/// The certificates trusted beyond the system's store.
#[derive(Clone, Default)]
pub struct Trust {
    extra: Arc<Vec<reqwest::Certificate>>,
    file: Option<PathBuf>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(p) => write!(f, "Trust(system + {})", p.display()),
            None => write!(f, "Trust(system)"),
        }
    }
}

impl Trust {
    /// The system's store and the certificates in `path` (PEM, one or more), read now. The
    /// message names the file and what to do.
    pub fn with_file(path: &Path) -> Result<Trust, String> {
        // A FIFO or a device would hang the read, a huge file fill memory: a CA file is a
        // regular file of a few KiB.
        if let Some(what) = crate::fs::not_regular(path) {
            return Err(format!(
                "the CA file {} is {what}, not a certificate file; fix the path in Settings \
                 (Advanced) or WIXUP_CA_FILE",
                path.display()
            ));
        }
        if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_CA_FILE) {
            return Err(format!(
                "the CA file {} is larger than a certificate bundle (over 1 MiB)",
                path.display()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| {
            format!(
                "cannot read the CA file {} ({e}); fix the path in Settings (Advanced) or \
                 WIXUP_CA_FILE",
                path.display()
            )
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&bytes)
            .ok()
            .filter(|c| !c.is_empty())
            .or_else(|| {
                // DER starts with a SEQUENCE.
                (bytes.first() == Some(&0x30))
                    .then(|| reqwest::Certificate::from_der(&bytes).ok().map(|c| vec![c]))
                    .flatten()
            })
            .ok_or_else(|| {
                format!(
                    "the CA file {} holds no certificate (it wants PEM, \
                     -----BEGIN CERTIFICATE-----)",
                    path.display()
                )
            })?;
        // reqwest parses the DER only when a client is built: build one now, so a broken
        // certificate is said here, naming the file, and not as a failed upload.
        reqwest::Client::builder()
            .tls_certs_merge(certs.iter().cloned())
            .build()
            .map_err(|e| {
                let cause = std::error::Error::source(&e).map_or(e.to_string(), |c| c.to_string());
                format!("the CA file {} is not usable ({cause})", path.display())
            })?;
        Ok(Trust {
            extra: Arc::new(certs),
            file: Some(path.to_path_buf()),
        })
    }

    /// `path` when given, else the system's store alone.
    pub fn from_setting(path: Option<&Path>) -> Result<Trust, String> {
        match path {
            Some(p) => Trust::with_file(p),
            None => Ok(Trust::default()),
        }
    }

    /// The CA file trusted beside the system's store.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    pub(crate) fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        if self.extra.is_empty() {
            builder
        } else {
            builder.tls_certs_merge(self.extra.iter().cloned())
        }
    }
}

/// Which HTTP the clients speak over HTTPS (`--http`). Plain `http://` is always HTTP/1.1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpVersion {
    /// HTTP/2 for the REST calls where the server offers it, HTTP/1.1 for the bytes.
    #[default]
    Auto,
    /// HTTP/1.1 for everything.
    Http1,
    /// HTTP/2 for everything the server offers it for.
    Http2,
}

/// What a client carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uses {
    /// REST calls: small, many, latency-bound.
    Rest,
    /// File bytes: tus PATCHes and one-PUT bodies.
    Bytes,
}

impl HttpVersion {
    /// `--http auto|1.1|2`.
    pub fn parse(text: &str) -> Result<HttpVersion, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(HttpVersion::Auto),
            "1.1" | "1" | "http1" | "http/1.1" => Ok(HttpVersion::Http1),
            "2" | "h2" | "http2" | "http/2" => Ok(HttpVersion::Http2),
            other => Err(format!("{other:?}: say auto, 1.1 or 2")),
        }
    }

    /// Whether a client for `uses` offers HTTP/2.
    pub fn offers_h2(self, uses: Uses) -> bool {
        match self {
            HttpVersion::Http1 => false,
            HttpVersion::Http2 => true,
            HttpVersion::Auto => uses == Uses::Rest,
        }
    }

    pub(crate) fn apply(
        self,
        uses: Uses,
        builder: reqwest::ClientBuilder,
    ) -> reqwest::ClientBuilder {
        if self.offers_h2(uses) {
            builder
        } else {
            builder.http1_only()
        }
    }
}

/// Why the server's HTTPS certificate was refused, when that is what failed `e`: a reason a
/// person reads (not trusted, expired, for another name). Such a failure is no network trouble:
/// retrying cannot help until the CA is trusted (or the clock or address is fixed).
pub fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    use tokio_rustls::rustls::{CertificateError, Error as TlsError};
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(TlsError::InvalidCertificate(c)) = err.downcast_ref::<TlsError>() {
            return Some(match c {
                CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                    "signed by an authority this computer does not trust".to_string()
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "expired (or this computer's clock is wrong)".to_string()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "not valid yet (or this computer's clock is wrong)".to_string()
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    "made for another name than the address".to_string()
                }
                other => format!("refused ({other:?})"),
            });
        }
        // io::Error's `source` skips the error it wraps (and TLS errors come wrapped twice).
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// What to do about a refused certificate.
pub const CERTIFICATE_ADVICE: &str = "if your network inspects HTTPS (an office proxy), give \
     its CA certificate in Settings (Advanced) or WIXUP_CA_FILE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_choose() {
        assert_eq!(HttpVersion::parse("1.1"), Ok(HttpVersion::Http1));
        assert_eq!(HttpVersion::parse(" H2 "), Ok(HttpVersion::Http2));
        assert_eq!(HttpVersion::parse("auto"), Ok(HttpVersion::Auto));
        assert!(HttpVersion::parse("3").is_err());
        assert!(HttpVersion::Auto.offers_h2(Uses::Rest));
        assert!(!HttpVersion::Auto.offers_h2(Uses::Bytes));
        assert!(!HttpVersion::Http1.offers_h2(Uses::Rest));
        assert!(HttpVersion::Http2.offers_h2(Uses::Bytes));
    }

    #[tokio::test]
    async fn a_certificate_from_an_untrusted_authority_is_said_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = crate::sandbox::SandboxConfig::new(dir.path().join("sb"));
        cfg.tls = Some(crate::sandbox::TlsSource::Generated);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sb = crate::sandbox::start(listener, cfg).await.unwrap();
        let url = sb.local_url().join("/_sandbox/stats").unwrap();
        let plain = reqwest::Client::builder().no_proxy().build().unwrap();
        let e = plain.get(url.clone()).send().await.unwrap_err();
        let reason = certificate_problem(&e).expect("a certificate problem");
        assert!(reason.contains("does not trust"), "{reason}");
        let trusted = Trust::with_file(sb.ca_file.as_deref().unwrap()).unwrap();
        let client = trusted
            .apply(reqwest::Client::builder().no_proxy())
            .build()
            .unwrap();
        let r = client.get(url).send().await.unwrap();
        assert_eq!(r.version(), reqwest::Version::HTTP_2);
        assert!(r.status().is_success());
    }

    #[test]
    fn a_ca_file_that_is_no_certificate_is_said_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "hello").unwrap();
        let e = Trust::with_file(&p).unwrap_err();
        assert!(e.contains("ca.pem") && e.contains("no certificate"), "{e}");
        let e = Trust::with_file(&dir.path().join("gone.pem")).unwrap_err();
        assert!(e.contains("gone.pem") && e.contains("cannot read"), "{e}");
    }
}
