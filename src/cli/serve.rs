//! `wixup serve`: the local Wix sandbox as a server of its own, over HTTP or, with `--tls`,
//! HTTPS with HTTP/2 offered by ALPN, as Wix serves it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use reqwest::Url;

use super::signal::shutdown_signal;
use crate::paths;
use crate::sandbox::{self, SandboxConfig, TlsSource};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Where uploads and files are stored.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Base of every URL handed out (when a proxy sits in front).
    #[arg(long)]
    pub public_url: Option<Url>,
    /// API key the sandbox accepts (other local users see it in `ps`: prefer
    /// WIXUP_SANDBOX_API_KEY or --api-key-file). Without one, the public default key.
    #[arg(long, env = "WIXUP_SANDBOX_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Read the API key the sandbox accepts from this file (its first line).
    #[arg(long, value_name = "PATH", conflicts_with = "api_key")]
    pub api_key_file: Option<PathBuf>,
    /// Site id the sandbox accepts.
    #[arg(long)]
    pub site_id: Option<String>,
    /// How long finalized files stay PENDING, in milliseconds.
    #[arg(long, hide = true)]
    pub processing_delay_ms: Option<u64>,
    /// Delay every PATCH by this many milliseconds (a slow link, for demos and CI).
    #[arg(long, hide = true)]
    pub patch_delay_ms: Option<u64>,
    /// Which server to play: `wix` (Wix as far as it is known: tus creation only, one-time
    /// tokens, real token sizes) or `tus-full` (every tus extension the sandbox has).
    #[arg(long, default_value = "wix", value_parser = sandbox::Profile::parse)]
    pub profile: sandbox::Profile,
    /// Limit REST calls, e.g. `200/min`; more get 429 RESOURCE_EXHAUSTED.
    #[arg(long, value_name = "N/min", value_parser = sandbox::RateLimit::parse)]
    pub rate_limit: Option<sandbox::RateLimit>,
    /// Per-type size limits, e.g. `image=25MB,gif=15MB,video=4GB` (kinds: image, gif, svg,
    /// video, audio, document, other).
    #[arg(long, value_name = "KIND=SIZE,...", value_parser = sandbox::TypeLimits::parse)]
    pub limit: Option<sandbox::TypeLimits>,
    /// Refuse a wrong API key with an HTML page, as a proxy in front of an API does.
    #[arg(long)]
    pub html_errors: bool,
    /// Refuse non-final PATCH bodies that are not multiples of 256 KiB (as a Google Cloud
    /// Storage resumable session does).
    #[arg(long)]
    pub strict_chunks: bool,
    /// Serve HTTPS, offering HTTP/2 by ALPN. Without --tls-cert, a certificate is made at
    /// start, signed by a local CA kept in the data dir (`tls/ca.pem`: give it to clients as
    /// WIXUP_CA_FILE).
    #[arg(long)]
    pub tls: bool,
    /// The certificate chain to serve under --tls (PEM).
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

pub(super) async fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let addr = a
        .addr
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], sandbox::DEFAULT_PORT)));
    let api_key = serve_api_key(a.api_key, a.api_key_file.as_deref())?;
    if api_key.is_none() && !addr.ip().is_loopback() {
        anyhow::bail!(
            "refusing to serve on {addr} with the public default API key: anyone who can reach \
             that address could upload and read files. Give a key of your own with \
             --api-key-file PATH or the WIXUP_SANDBOX_API_KEY environment variable, or listen \
             on 127.0.0.1"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let data_dir = a
        .data_dir
        .unwrap_or_else(|| paths::sandbox_dir(&paths::data_dir()));
    let mut cfg = SandboxConfig::new(data_dir.clone());
    cfg.public_url = a.public_url;
    cfg.profile = a.profile;
    cfg.rate_limit = a.rate_limit;
    cfg.type_limits = a.limit.unwrap_or_default();
    cfg.html_errors = a.html_errors;
    cfg.strict_chunks = a.strict_chunks;
    if let Some(k) = api_key {
        cfg.api_key = k;
    }
    if let Some(s) = a.site_id {
        cfg.site_id = s;
    }
    cfg.tls = match (a.tls_cert, a.tls_key) {
        (Some(cert), Some(key)) => Some(TlsSource::Files { cert, key }),
        _ if a.tls => Some(TlsSource::Generated),
        _ => None,
    };
    if let Some(ms) = a.processing_delay_ms {
        cfg.processing_delay = Duration::from_millis(ms);
    }
    let sb = sandbox::start(listener, cfg).await?;
    if let Some(ms) = a.patch_delay_ms {
        // Every PATCH waits this long: a slow link, for demos and the window's CI run.
        sb.faults.add(
            sandbox::Rule::nth(
                Some(http::Method::PATCH),
                "",
                1,
                sandbox::FaultKind::Latency(Duration::from_millis(ms)),
            )
            .times(u64::MAX / 2),
        );
    }
    let scheme = if sb.local_url().scheme() == "https" {
        "https"
    } else {
        "http"
    };
    println!("listening on {scheme}://{bound}");
    if let Some(ca) = &sb.ca_file {
        eprintln!(
            "serving HTTPS with a certificate signed by a local CA: clients trust it with \
             WIXUP_CA_FILE={}",
            ca.display()
        );
    }
    eprintln!(
        "profile {}; storing files in {}; stop with Ctrl+C",
        a.profile.name(),
        data_dir.display()
    );
    shutdown_signal().await;
    sb.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// The key `serve` was given: `--api-key` / WIXUP_SANDBOX_API_KEY, or the first line of
/// `--api-key-file`. `None` means the public default key.
fn serve_api_key(
    given: Option<String>,
    file: Option<&std::path::Path>,
) -> anyhow::Result<Option<String>> {
    let key = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the API key file {}", path.display()))?;
            text.lines().next().unwrap_or("").trim().to_string()
        }
        None => match given {
            Some(k) => k.trim().to_string(),
            None => return Ok(None),
        },
    };
    if key.is_empty() {
        anyhow::bail!(
            "the API key given to serve is empty; put the key on the first line of the \
             --api-key-file, or set WIXUP_SANDBOX_API_KEY to it"
        );
    }
    Ok(Some(key))
}
