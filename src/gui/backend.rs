//! Connecting the window to a backend through the one start-up path ([`crate::startup`]), and
//! the Settings window's calls to the site. Everything here runs on the tokio runtime; the
//! window polls the result through a promise.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::Url;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::config::ChosenBy;
use crate::engine::{self, EngineConfig, EngineHandle, Event, Job, Notifier, StartMode};
use crate::net::Network;
use crate::retry::RetryPolicy;
use crate::sandbox::SandboxHandle;
use crate::settings::{SecretStore, Settings};
use crate::startup::{self, BackendKind, EngineOptions, SettingsUse, StartupError};
use crate::wix_media::{Credentials, WixMediaClient};

/// Adjusts the engine's configuration before it starts (tests use immediate retries).
pub type Tune = Arc<dyn Fn(&mut EngineConfig) + Send + Sync>;

/// Everything a connection needs that does not change between reconnects.
#[derive(Clone)]
pub struct ConnectSpec {
    pub data_dir: PathBuf,
    pub secrets: SecretStore,
    /// The embedded sandbox's port: its stable default in the app, 0 in tests.
    pub sandbox_port: u16,
    pub tune: Option<Tune>,
    /// The window's upload speed limit: one for the app's life, so a saved limit applies to
    /// the transfers under way (set here from the settings at each connection).
    pub throttle: crate::file_stream::Throttle,
    /// The window's sleep inhibitor, one for the app's life (enabled from the settings here).
    pub keep_awake: crate::awake::KeepAwake,
}

/// Which backend the window talks to, for the badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sandbox {
        url: Url,
    },
    Site {
        site_id: String,
        base: Url,
        from_env: bool,
    },
}

impl Target {
    /// A sandbox, not Wix: the built-in one, or a sandbox server named by its site id.
    pub fn is_sandbox(&self) -> bool {
        match self {
            Target::Sandbox { .. } => true,
            Target::Site { site_id, .. } => site_id == crate::sandbox::DEFAULT_SITE_ID,
        }
    }
}

/// A running engine and what it started with.
pub struct Connected {
    pub engine: EngineHandle,
    pub events: UnboundedReceiver<Event>,
    pub jobs: Vec<Job>,
    pub target: Target,
    pub settings: Settings,
    /// Something the person should know (the sandbox port was taken).
    pub notice: Option<String>,
    /// Kept alive while connected; dropping it stops the embedded sandbox.
    pub sandbox: Option<SandboxHandle>,
    /// The same site's Media API, for the window's own calls (a private file's download link).
    pub media: WixMediaClient,
    /// The proxy the engine uses, for the window's own requests (thumbnails).
    pub proxy: crate::net::Network,
}

/// Why the window is not connected; the banner shows the message.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Engine(#[from] engine::StartError),
}

/// Loads the settings and the key, starts the sandbox if that is the backend, then the engine.
pub async fn connect(spec: ConnectSpec, notifier: Notifier) -> Result<Connected, ConnectError> {
    let conn = startup::connect(startup::Spec {
        data_dir: spec.data_dir.clone(),
        secrets: spec.secrets,
        env: crate::config::Env::from_process(),
        sandbox_port: spec.sandbox_port,
        settings_use: SettingsUse::Always,
        proxy: None,
        limit_rate: None,
        http: None,
    })
    .await?;
    let target = match conn.kind {
        BackendKind::Embedded => Target::Sandbox {
            url: conn.base.clone(),
        },
        BackendKind::Remote(chosen_by) => Target::Site {
            site_id: conn.credentials.site_id.clone(),
            base: conn.base.clone(),
            from_env: chosen_by == ChosenBy::Environment,
        },
    };
    let options = EngineOptions::from_settings(&conn.settings, StartMode::Continue);
    let mut cfg = conn.engine_config(&spec.data_dir, options);
    spec.throttle.set(conn.settings.limit_rate);
    cfg.tus.throttle = spec.throttle.clone();
    spec.keep_awake.set_enabled(conn.settings.keep_awake);
    cfg.keep_awake = spec.keep_awake.clone();
    if let Some(tune) = &spec.tune {
        tune(&mut cfg);
    }
    let media = WixMediaClient::with_options(
        cfg.api_base.clone(),
        cfg.credentials.clone(),
        cfg.api_retry.clone(),
        crate::wix_media::DEFAULT_IDLE_TIMEOUT,
        &cfg.proxy,
    )
    .map_err(|e| engine::StartError::Http(e.to_string()))?;
    let proxy = cfg.proxy.clone();
    let (engine, events) = engine::start(cfg, Some(notifier))?;
    let jobs = engine.snapshot().await;
    Ok(Connected {
        engine,
        events,
        jobs,
        target,
        settings: conn.settings,
        notice: conn.port_taken.map(|p| p.to_string()),
        sandbox: conn.sandbox,
        media,
        proxy,
    })
}

/// A client for the Settings window's own calls, through `proxy`.
fn settings_client(
    base: &Url,
    credentials: Credentials,
    proxy: &Network,
) -> Result<WixMediaClient, String> {
    WixMediaClient::with_options(
        base.clone(),
        credentials,
        RetryPolicy::immediate(1),
        crate::wix_media::DEFAULT_IDLE_TIMEOUT,
        proxy,
    )
    .map_err(|e| site_error(&e, base, proxy))
}

/// The sentence for a failed call from Settings: one that never reached Wix through a proxy
/// says the proxy is what to check.
fn site_error(e: &crate::wix_media::Error, base: &Url, proxy: &Network) -> String {
    match (e, proxy.describe_for(base)) {
        (crate::wix_media::Error::Network(_), Some(p)) => format!(
            "could not reach Wix through the proxy {p}; check the proxy in Advanced (its \
             address, or choose Automatic or None)"
        ),
        _ => engine::describe_wix_error(e),
    }
}

/// Test connection: lists one page of folders with these credentials, through `proxy`. Says
/// what it found, or the precise error (the proxy's, when it is the problem).
pub async fn test_connection(
    base: Url,
    credentials: Credentials,
    proxy: &Network,
) -> Result<String, String> {
    let client = settings_client(&base, credentials, proxy)?;
    let page = client
        .list_folders(None, None)
        .await
        .map_err(|e| site_error(&e, &base, proxy))?;
    let n = page.items.len();
    Ok(match n {
        0 => "Connected. The site's Media Manager has no folders yet.".into(),
        1 => "Connected. The site's Media Manager has 1 folder.".into(),
        _ if page.next_cursor.is_some() => {
            format!("Connected. The site's Media Manager has more than {n} folders.")
        }
        _ => format!("Connected. The site's Media Manager has {n} folders."),
    })
}

/// Pages of folders the destination picker reads at most.
const PICKER_PAGES: usize = 50;

/// Every folder of the site, for the destination picker (paged, bounded).
pub async fn folders(
    base: Url,
    credentials: Credentials,
    proxy: &Network,
) -> Result<Vec<crate::wix_media::Folder>, String> {
    let client = settings_client(&base, credentials, proxy)?;
    client
        .folders_under(None, PICKER_PAGES)
        .await
        .map_err(|e| site_error(&e, &base, proxy))
}
