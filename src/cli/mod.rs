//! `wixup upload | import | resume | serve`: the command line over the engine and the sandbox.

mod connection;
mod import;
mod output;
mod report;
mod serve;
mod signal;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use reqwest::Url;

use crate::engine::{Destination, JobOptions, Parallelism, StartMode};
use crate::startup::EngineOptions;
use crate::tus::{ChunkSize, FileSource, TusClient, TusConfig};
use crate::{paths, size};

use connection::connect;
pub use connection::{DestinationArgs, NetworkArgs, OutputArgs};
pub use import::ImportArgs;
pub use serve::ServeArgs;

use crate::net::{Network, ProxyChoice};
use crate::redact::ApiKey;
use crate::trust::{HttpVersion, Trust};

/// Upload photos, videos and documents to a Wix site's Media Manager, resumably.
#[derive(Debug, Parser)]
#[command(name = "wixup", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files to queue in the desktop window (with no subcommand, `wixup` opens the window).
    pub paths: Vec<PathBuf>,
    /// How requests reach Wix: a proxy such as http://proxy.corp:3128 (https:// and socks5://
    /// too; a user goes in the URL, the password in WIXUP_PROXY_PASSWORD or Settings, never
    /// here), `none` (direct), or `auto` (HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY, else the
    /// system's settings). Default: what Settings says (auto). This computer (localhost,
    /// 127.0.0.1) is always reached directly.
    #[arg(long, global = true, value_name = "URL|none|auto", value_parser = ProxyChoice::parse_flag)]
    pub proxy: Option<ProxyChoice>,
    /// Limit the upload speed of every transfer together, e.g. 5MB/s or 500KiB/s (at least
    /// 64KiB/s). Default: what Settings says (no limit).
    #[arg(long, global = true, value_name = "RATE", value_parser = size::parse_rate)]
    pub limit_rate: Option<u64>,
    /// Which HTTP to speak over HTTPS: `auto` (HTTP/2 for the API calls where the server offers
    /// it, HTTP/1.1 connections for the file bytes), `1.1`, or `2`.
    #[arg(long, global = true, env = "WIXUP_HTTP", value_name = "auto|1.1|2", value_parser = HttpVersion::parse)]
    pub http: Option<HttpVersion>,
}

const AFTER_HELP: &str = "\
Backend: WIX_API_KEY + WIX_SITE_ID upload to your Wix site; WIXUP_API_BASE points at another
server (e.g. `wixup serve`); with neither, a local sandbox starts in-process.
Data (journal, sandbox storage) lives in WIXUP_DATA_DIR, or the platform's data directory.
HTTPS trusts the system's certificates, plus those in WIXUP_CA_FILE (or Settings, Advanced).";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload files and folders (recursively).
    Upload(UploadArgs),
    /// Import files from links: Wix fetches each http(s) URL itself.
    Import(ImportArgs),
    /// Continue every unfinished upload in the journal.
    Resume(ResumeArgs),
    /// Run the local Wix sandbox server.
    Serve(ServeArgs),
    /// Upload one file to a bare tus endpoint (interop checks and benchmarks), as it is: its
    /// location is not taken out.
    #[command(hide = true)]
    TusUpload(TusUploadArgs),
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    /// Files sending at once: `auto` (start at 3, add more while they speed things up, fewer
    /// when Wix pushes back) or a number from 1 to 16.
    #[arg(long, default_value_t = Parallelism::Auto)]
    pub parallel: Parallelism,
    /// Fixed PATCH size such as 8MiB, 512KiB or a byte count: at least 256 KiB, rounded to a
    /// multiple of 256 KiB (default: adapts to the link).
    #[arg(long, value_parser = size::parse_chunk_size)]
    pub chunk_size: Option<size::ChunkArg>,
    /// Send every file, even one already on the site (by default a file whose size, name and
    /// MD5 match a finished upload to this site that is still there is not sent again).
    #[arg(long)]
    pub no_dedupe: bool,
    /// Send photos with their GPS tags (by default the location is removed from JPEG, PNG and
    /// WebP metadata before upload; the files on disk are never changed).
    #[arg(long)]
    pub keep_location: bool,
    #[command(flatten)]
    pub destination: DestinationArgs,
    /// Files and folders to upload.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TusUploadArgs {
    /// The tus creation endpoint.
    #[arg(long)]
    pub endpoint: Url,
    /// Metadata pairs KEY=VALUE.
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    pub metadata: Vec<String>,
    #[arg(long, value_parser = size::parse_chunk_size)]
    pub chunk_size: Option<size::ChunkArg>,
    /// Send no Upload-Checksum even when the server offers the extension.
    #[arg(long)]
    pub no_checksum: bool,
    pub file: PathBuf,
}

/// Runs a parsed command line on the runtime.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let net = NetworkArgs {
        proxy: cli.proxy.clone(),
        limit_rate: cli.limit_rate,
        http: cli.http,
    };
    match cli.command {
        Some(Command::Upload(a)) => upload(a, net).await,
        Some(Command::Import(a)) => import::import(a, net).await,
        Some(Command::Resume(a)) => resume(a, net).await,
        Some(Command::Serve(a)) => serve::serve(a).await,
        Some(Command::TusUpload(a)) => tus_upload(a, net).await,
        None => {
            use clap::CommandFactory as _;
            if !cli.paths.is_empty() {
                eprintln!(
                    "This build has no desktop window (built without the `gui` feature); upload from the command line:"
                );
                eprintln!("  wixup upload {}", shell_words(&cli.paths));
                return Ok(ExitCode::from(2));
            }
            Cli::command().print_long_help()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn shell_words(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Says so when `--chunk-size` was rounded to whole units of 256 KiB.
fn note_rounded(c: size::ChunkArg) {
    if c.bytes != c.requested {
        eprintln!(
            "note: --chunk-size {} rounded to {} (chunks are multiples of 256 KiB)",
            c.requested,
            crate::units::format_bytes(c.bytes)
        );
    }
}

async fn upload(a: UploadArgs, net: NetworkArgs) -> anyhow::Result<ExitCode> {
    let data_dir = paths::data_dir();
    let conn = connect(&data_dir, net).await?;
    // The flags decide, never the saved settings: `--parallel` has its default, no
    // `--chunk-size` adapts to the link.
    let chunk_size = match a.chunk_size {
        Some(c) => {
            note_rounded(c);
            ChunkSize::Fixed(c.bytes)
        }
        None => ChunkSize::Adaptive,
    };
    let options = EngineOptions {
        parallel: a.parallel,
        chunk_size,
        start: StartMode::Hold,
    };
    // The choices stay with each file through `wixup resume`, whatever is asked then.
    let choices = JobOptions {
        remove_location: !a.keep_location,
        skip_duplicates: !a.no_dedupe,
    };
    let cfg = connection::engine_config(&conn, &data_dir, options)?;
    let destination = Destination::from(a.destination);
    // The connection (and with it an embedded sandbox) lives until the report is done.
    let code = report::run(
        cfg,
        a.output,
        Some(report::Adding::Files(a.paths, destination, choices)),
    )
    .await;
    drop(conn);
    code
}

async fn resume(a: ResumeArgs, net: NetworkArgs) -> anyhow::Result<ExitCode> {
    let data_dir = paths::data_dir();
    let conn = connect(&data_dir, net).await?;
    let options = EngineOptions {
        parallel: Parallelism::Auto,
        chunk_size: ChunkSize::Adaptive,
        start: StartMode::ContinueAll,
    };
    let cfg = connection::engine_config(&conn, &data_dir, options)?;
    let code = report::run(cfg, a.output, None).await;
    drop(conn);
    code
}

async fn tus_upload(a: TusUploadArgs, net: NetworkArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = TusConfig {
        checksum: !a.no_checksum,
        throttle: crate::file_stream::Throttle::new(net.limit_rate),
        ..TusConfig::default()
    };
    if let Some(c) = a.chunk_size {
        note_rounded(c);
        cfg.chunk_size = ChunkSize::Fixed(c.bytes);
    }
    let password = std::env::var("WIXUP_PROXY_PASSWORD").ok().map(ApiKey::new);
    let ca_file = std::env::var_os("WIXUP_CA_FILE").filter(|v| !v.is_empty());
    let trust = Trust::from_setting(ca_file.as_deref().map(std::path::Path::new))
        .map_err(|e| anyhow::anyhow!("WIXUP_CA_FILE: {e}"))?;
    let proxy = Network::new(&net.proxy.unwrap_or_default(), password.as_ref())
        .map_err(|e| anyhow::anyhow!("--proxy: {e}"))?
        .with_trust(trust)
        .with_http(net.http.unwrap_or_default());
    let client = TusClient::with_proxy(cfg, &proxy)?;
    let file = FileSource::open(&a.file)
        .with_context(|| format!("{}: cannot read the file", a.file.display()))?;
    let pairs: Vec<(String, String)> = a
        .metadata
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(anyhow::anyhow!("--metadata {kv:?} is not KEY=VALUE")),
        })
        .collect::<Result<_, _>>()?;
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let cancel = tokio_util::sync::CancellationToken::new();
    let progress = std::sync::Arc::new(crate::tus::client::NoProgress);
    let created = client
        .create(&a.endpoint, &file, &refs, progress.clone(), &cancel)
        .await?;
    client
        .upload(
            &a.endpoint,
            &created.url,
            &file,
            Some(created.offset),
            progress,
            &cancel,
        )
        .await?;
    println!("{}", created.url);
    Ok(ExitCode::SUCCESS)
}
