//! How a sandbox behaves: its credentials, limits, lifetimes and timeouts, with the defaults
//! the app, the CLI and the tests start from.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

use super::profile::{Profile, RateLimit, TypeLimits};

/// The API key the sandbox accepts unless told otherwise (public: it guards nothing).
pub const DEFAULT_API_KEY: &str = "wixup-sandbox-key";
/// The site id the sandbox accepts unless told otherwise.
pub const DEFAULT_SITE_ID: &str = "wixup-sandbox-site";
/// The stable loopback port of the embedded sandbox.
pub const DEFAULT_PORT: u16 = 47_913;

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Which server it plays (`--profile`): Wix as far as it is known, or every tus extension.
    pub profile: Profile,
    /// Tokens, uploads and files live here.
    pub data_dir: PathBuf,
    /// The base of every URL handed out (`--public-url`); the bound address when `None`.
    pub public_url: Option<Url>,
    pub api_key: String,
    pub site_id: String,
    /// `Tus-Max-Size`.
    pub max_size_bytes: u64,
    /// Lifetime of a tus upload (`Upload-Expires`).
    pub upload_ttl: Duration,
    /// Lifetime of an upload token.
    pub token_ttl: Duration,
    /// How long a finalized file stays PENDING.
    pub processing_delay: Duration,
    /// The most files one page of the file listing holds, whatever the client asks (Wix's cap
    /// is 100; a server may give fewer).
    pub list_page_max: usize,
    /// Offer `checksum-trailer` (checksums sent after the data) besides `checksum` (`tus-full`
    /// only: the `wix` profile offers no checksum).
    pub checksum_trailer: bool,
    /// `Tus-Checksum-Algorithm`, in the server's order. Only what OPTIONS advertises: a PATCH
    /// naming crc32, sha1 or md5 is verified whether it is listed or not.
    pub checksum_algorithms: Vec<String>,
    /// Bytes of resized images kept on disk; the oldest go first.
    pub transform_cache_bytes: u64,
    /// A connection that sends no complete request headers for this long is closed (a new
    /// one, or a kept-alive one after its last answer).
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long ends its request (a PATCH keeps the
    /// bytes received so far and lets go of its upload).
    pub body_read_timeout: Duration,
    /// At shutdown, requests in flight get this long to finish before they are dropped.
    pub shutdown_grace: Duration,
    /// REST calls allowed per window; more get 429 `RESOURCE_EXHAUSTED` (`--rate-limit`).
    pub rate_limit: Option<RateLimit>,
    /// Per-type size limits (`--limit`): a generate or creation over one gets Wix's validation
    /// error.
    pub type_limits: TypeLimits,
    /// Refusals of the API key come as an HTML page, as from a proxy (`--html-errors`).
    pub html_errors: bool,
    /// Non-final PATCH bodies must be multiples of 256 KiB, as a Google Cloud Storage
    /// resumable session wants (`--strict-chunks`); the bytes past the last whole unit are
    /// not kept.
    pub strict_chunks: bool,
    /// Import from a link: the largest file fetched (a bigger one goes FAILED, "too big").
    pub import_max_bytes: u64,
    /// Import from a link: connecting to the link's server may take this long.
    pub import_connect_timeout: Duration,
    /// Import from a link: a server that sends nothing for this long has stalled (FAILED).
    pub import_idle_timeout: Duration,
    /// Serve HTTPS, HTTP/2 offered by ALPN (`--tls`), with this certificate.
    pub tls: Option<super::tls::TlsSource>,
}

impl SandboxConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            profile: Profile::default(),
            data_dir,
            public_url: None,
            api_key: DEFAULT_API_KEY.into(),
            site_id: DEFAULT_SITE_ID.into(),
            max_size_bytes: 64 * 1024 * 1024 * 1024,
            upload_ttl: Duration::from_secs(7 * 24 * 3600),
            token_ttl: Duration::from_secs(7 * 24 * 3600),
            processing_delay: Duration::from_millis(300),
            list_page_max: 100,
            checksum_trailer: true,
            checksum_algorithms: ["crc32", "sha1", "md5"].map(String::from).to_vec(),
            transform_cache_bytes: 256 * 1024 * 1024,
            header_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            rate_limit: None,
            type_limits: TypeLimits::default(),
            html_errors: false,
            strict_chunks: false,
            import_max_bytes: 4 * 1024 * 1024 * 1024,
            import_connect_timeout: Duration::from_secs(15),
            import_idle_timeout: Duration::from_secs(30),
            tls: None,
        }
    }
}
