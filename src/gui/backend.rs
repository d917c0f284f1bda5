//! Connecting the window to a backend: the saved Wix site, or the embedded sandbox. Everything
//! here runs on the tokio runtime; the window polls the result through a promise.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::config::{self, Backend};
use crate::engine::{self, EngineConfig, EngineHandle, Event, Job, Notifier, StartMode};
use crate::retry::RetryPolicy;
use crate::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::settings::{SecretStore, Settings};
use crate::tus::ChunkSize;
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
}

/// Loads the settings and the key, starts the sandbox if that is the backend, then the engine.
pub async fn connect(spec: ConnectSpec, notifier: Notifier) -> Result<Connected, String> {
    let dir = spec.data_dir.clone();
    let secrets = spec.secrets.clone();
    let (settings, backend) = tokio::task::spawn_blocking(move || {
        let settings = Settings::load(&dir)?;
        let backend = match Backend::from_env()? {
            Backend::Embedded => site_backend(&settings, &secrets)?,
            remote => Some((remote, true)),
        };
        Ok::<_, String>((settings, backend))
    })
    .await
    .map_err(|e| e.to_string())??;

    let mut notice = None;
    let mut sandbox = None;
    let (base, credentials, target) = match backend {
        Some((Backend::Remote { base, credentials }, from_env)) => {
            let target = Target::Site {
                site_id: credentials.site_id.clone(),
                base: base.clone(),
                from_env,
            };
            (base, credentials, target)
        }
        _ => {
            let listener = match tokio::net::TcpListener::bind(("127.0.0.1", spec.sandbox_port))
                .await
            {
                Ok(l) => l,
                Err(e) => {
                    notice = Some(format!(
                        "The sandbox's usual port {} is taken ({e}); it runs on another one, so links from earlier sandbox uploads will not open until that port is free.",
                        spec.sandbox_port
                    ));
                    tokio::net::TcpListener::bind(("127.0.0.1", 0))
                        .await
                        .map_err(|e| format!("cannot start the local sandbox ({e})"))?
                }
            };
            let mut cfg = SandboxConfig::new(crate::paths::sandbox_dir(&spec.data_dir));
            cfg.processing_delay = Duration::from_millis(100);
            let sb = sandbox::start(listener, cfg)
                .await
                .map_err(|e| format!("cannot start the local sandbox ({e})"))?;
            let url = sb.local_url();
            sandbox = Some(sb);
            (
                url.clone(),
                config::sandbox_credentials(),
                Target::Sandbox { url },
            )
        }
    };

    let mut cfg = EngineConfig::new(spec.data_dir.clone(), base, credentials);
    cfg.parallel = settings.parallel.clamp(1, crate::settings::MAX_PARALLEL);
    if let Some(c) = settings.chunk_size {
        cfg.tus.chunk_size = ChunkSize::Fixed(c);
    }
    cfg.start = StartMode::Continue;
    if let Some(tune) = &spec.tune {
        tune(&mut cfg);
    }
    let (engine, events) = engine::start(cfg, Some(notifier)).map_err(|e| e.to_string())?;
    let jobs = engine.snapshot().await;
    Ok(Connected {
        engine,
        events,
        jobs,
        target,
        settings,
        notice,
        sandbox,
    })
}

/// The saved Wix site, if Settings choose one (blocking: reads the keychain).
fn site_backend(
    settings: &Settings,
    secrets: &SecretStore,
) -> Result<Option<(Backend, bool)>, String> {
    if settings.connection != crate::settings::ConnectionKind::WixSite {
        return Ok(None);
    }
    let Some(api_key) = secrets.get()? else {
        return Err(
            "Settings choose a Wix site, but no API key is saved. Add it in Settings.".into(),
        );
    };
    let base = Url::parse(settings.api_base.trim())
        .map_err(|e| format!("the API address in Settings is not a URL ({e})"))?;
    Ok(Some((
        Backend::Remote {
            base,
            credentials: Credentials {
                api_key,
                site_id: settings.site_id.trim().to_string(),
            },
        },
        false,
    )))
}

/// Test connection: lists one page of folders with these credentials. Says what it found, or
/// the precise error.
pub async fn test_connection(base: Url, credentials: Credentials) -> Result<String, String> {
    let client = WixMediaClient::new(base, credentials, RetryPolicy::immediate(1))
        .map_err(|e| e.to_string())?;
    let page = client
        .list_folders(None, None)
        .await
        .map_err(|e| e.to_string())?;
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

/// Every folder of the site, for the destination picker (paged, bounded).
pub async fn folders(
    base: Url,
    credentials: Credentials,
) -> Result<Vec<crate::wix_media::Folder>, String> {
    let client = WixMediaClient::new(base, credentials, RetryPolicy::immediate(1))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let page = client
            .list_folders(None, cursor.as_deref())
            .await
            .map_err(|e| e.to_string())?;
        out.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    Ok(out)
}
