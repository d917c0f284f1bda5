//! What every engine-running command shares: its `--json` flag, where on the site files go,
//! and the backend through the one start-up path, saying on stderr what a person should know.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};

use crate::engine::EngineConfig;
use crate::export::Format;
use crate::retry::RetryPolicy;
use crate::startup::{self, BackendKind, Connection, EngineOptions, SettingsUse};

#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// One JSON object per line on stdout per file as it finishes.
    #[arg(long)]
    pub json: bool,
    /// When the run ends, print every finished file on stdout, in the order given, as one
    /// block: `urls` (one per line), `markdown` (`![name](url)`), `html` (`<img>` tags) or
    /// `csv` (name,url,id,size,uri).
    #[arg(
        long,
        value_name = "FORMAT",
        conflicts_with = "json",
        ignore_case = true,
        value_parser = PossibleValuesParser::new(Format::ALL.map(Format::as_str))
            .map(|s| Format::parse(&s).unwrap_or(Format::Urls))
    )]
    pub format: Option<Format>,
}

/// Where on the site the files go.
#[derive(Debug, Args)]
pub struct DestinationArgs {
    /// Media Manager folder id the files go into.
    #[arg(long, conflicts_with = "path")]
    pub folder: Option<String>,
    /// Folder path such as /photos/2026 (created if missing).
    #[arg(long)]
    pub path: Option<String>,
    /// Make them private files.
    #[arg(long)]
    pub private: bool,
}

impl From<DestinationArgs> for crate::engine::Destination {
    fn from(a: DestinationArgs) -> Self {
        Self {
            folder_id: a.folder,
            path: a.path,
            private: a.private,
        }
    }
}

/// `--proxy`, `--limit-rate` and `--http`: how this run reaches the network, where given.
#[derive(Debug, Clone, Default)]
pub struct NetworkArgs {
    pub proxy: Option<crate::net::ProxyChoice>,
    pub limit_rate: Option<u64>,
    pub http: Option<crate::trust::HttpVersion>,
}

/// The backend through the one start-up path, saying on stderr what a person should know
/// (the sandbox's port was taken; uploads go to the local sandbox).
pub(super) async fn connect(
    data_dir: &std::path::Path,
    net: NetworkArgs,
) -> anyhow::Result<Connection> {
    let mut spec = startup::Spec::new(data_dir.to_path_buf(), SettingsUse::BackendOnly);
    spec.proxy = net.proxy;
    spec.limit_rate = net.limit_rate;
    spec.http = net.http;
    let conn = startup::connect(spec).await?;
    if let Some(taken) = &conn.port_taken {
        eprintln!("{taken}");
    }
    if conn.kind == BackendKind::Embedded {
        eprintln!(
            "No Wix site configured (WIX_API_KEY/WIX_SITE_ID or Settings): files go to the local sandbox at {} (URLs are local).",
            conn.base
        );
    }
    Ok(conn)
}

/// The engine's configuration for this connection, with the retry schedule of
/// `WIXUP_RETRY_DELAYS_MS` when it is set.
pub(super) fn engine_config(
    conn: &Connection,
    data_dir: &Path,
    options: EngineOptions,
) -> anyhow::Result<EngineConfig> {
    let mut cfg = conn.engine_config(data_dir, options);
    // What the CLI finished is in its output and the history: the journal keeps only what is
    // left to do, so a run costs what it uploads, not what was ever uploaded.
    cfg.keep_finished = false;
    let var = std::env::var("WIXUP_RETRY_DELAYS_MS").ok();
    if let Some(policy) = retry_delays(var.as_deref())? {
        cfg.api_retry = policy.clone();
        cfg.tus.retry = policy;
    }
    Ok(cfg)
}

/// `WIXUP_RETRY_DELAYS_MS`: the waits before each retry of a failed request (REST and tus), in
/// milliseconds, such as `0,1000,3000` (three retries); `None` when unset or blank.
fn retry_delays(value: Option<&str>) -> anyhow::Result<Option<RetryPolicy>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let delays = v
        .split(',')
        .map(|d| d.trim().parse::<u64>().map(Duration::from_millis))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            anyhow::anyhow!(
                "WIXUP_RETRY_DELAYS_MS {v:?} is not a list of milliseconds such as 0,1000,3000; fix or unset it"
            )
        })?;
    Ok(Some(RetryPolicy {
        delays,
        ..RetryPolicy::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_are_milliseconds_or_a_clear_refusal() {
        assert_eq!(retry_delays(None).unwrap(), None);
        assert_eq!(retry_delays(Some(" ")).unwrap(), None);
        let p = retry_delays(Some("0, 250,1000"))
            .unwrap()
            .expect("a policy");
        assert_eq!(p.delays, [0, 250, 1000].map(Duration::from_millis).to_vec());
        let e = retry_delays(Some("1s")).unwrap_err().to_string();
        assert!(
            e.contains("WIXUP_RETRY_DELAYS_MS") && e.contains("0,1000,3000"),
            "{e}"
        );
    }
}
