//! The one start-up path of both front ends: the saved [`Settings`] and the environment →
//! the backend ([`config::resolve`]) → the embedded sandbox when that is the backend →
//! an [`EngineConfig`]. The window and the CLI differ only in the [`EngineOptions`] they pass.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;

use crate::awake::{Bus, KeepAwake};
use crate::config::{self, Backend, ChosenBy, ConfigError, Env};
use crate::engine::{EngineConfig, MAX_PARALLEL, Parallelism, StartMode};
use crate::net::{Network, ProxyChoice};
use crate::redact::ApiKey;
use crate::sandbox::{self, SandboxConfig, SandboxHandle};
use crate::settings::{SecretStore, Settings, SettingsError};
use crate::trust::{HttpVersion, Trust};
use crate::tus::ChunkSize;
use crate::wix_media::Credentials;

/// How long files stay PENDING in the embedded sandbox: long enough that the processing step
/// shows, short enough not to slow anyone down.
const EMBEDDED_PROCESSING_DELAY: Duration = Duration::from_millis(100);

/// How long the previous embedded sandbox may take to stop before the next one binds its port.
const SANDBOX_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// What start-up reads.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Holds `settings.json`, the key file, the journal and the embedded sandbox's storage.
    pub data_dir: PathBuf,
    pub secrets: SecretStore,
    pub env: Env,
    /// The embedded sandbox's port: [`Env::sandbox_port`] in the app and the CLI, 0 in tests.
    pub sandbox_port: u16,
    pub settings_use: SettingsUse,
    /// `--proxy`: stands in for the saved choice for this run.
    pub proxy: Option<ProxyChoice>,
    /// `--limit-rate`: stands in for the saved limit for this run.
    pub limit_rate: Option<u64>,
    /// `--http`: which HTTP to speak over HTTPS (the default otherwise).
    pub http: Option<HttpVersion>,
}

/// Whether a settings file that cannot be read stops start-up even when the environment
/// chooses the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsUse {
    /// The window uses the settings whatever the backend (destination, parallelism).
    Always,
    /// The CLI reads them only to choose the backend: when the environment chooses, an
    /// unreadable file does not matter and the defaults stand in.
    BackendOnly,
}

impl Spec {
    /// The data dir's settings and key store, this process's environment.
    pub fn new(data_dir: PathBuf, settings_use: SettingsUse) -> Spec {
        let env = Env::from_process();
        Spec {
            secrets: SecretStore::for_data_dir(&data_dir),
            sandbox_port: env.sandbox_port(),
            env,
            data_dir,
            settings_use,
            proxy: None,
            limit_rate: None,
            http: None,
        }
    }
}

/// Where the connection goes, and who chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// The embedded sandbox, started by [`connect`].
    Embedded,
    /// A remote API, chosen by the environment or by Settings.
    Remote(ChosenBy),
}

/// A backend to talk to, ready: the settings it was chosen with, where it is, the credentials,
/// and the embedded sandbox when there is one (dropping it stops the sandbox).
pub struct Connection {
    pub settings: Settings,
    pub base: Url,
    pub credentials: Credentials,
    pub kind: BackendKind,
    /// The embedded sandbox's usual port was taken, so it runs on another one.
    pub port_taken: Option<PortTaken>,
    pub sandbox: Option<SandboxHandle>,
    /// The proxy every request but those to this computer takes.
    pub proxy: Network,
    /// The upload speed limit every transfer shares (the saved one, or `--limit-rate`).
    pub throttle: crate::file_stream::Throttle,
    /// The sleep inhibitor while files send, as the saved setting says.
    pub keep_awake: crate::awake::KeepAwake,
}

/// The embedded sandbox's usual port was taken; the message says what that means.
#[derive(Debug, thiserror::Error)]
#[error(
    "The sandbox's usual port {port} is taken ({error}); it runs on another one, so links from earlier sandbox uploads will not open until that port is free."
)]
pub struct PortTaken {
    pub port: u16,
    pub error: std::io::Error,
}

/// Why start-up failed. The messages say which file or setting, and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Binding or serving the embedded sandbox failed.
    #[error("cannot start the local sandbox ({error})")]
    Sandbox { error: std::io::Error },
    /// The saved or given proxy is no proxy address.
    #[error("the proxy setting is not usable: {0}")]
    Proxy(String),
    #[error(transparent)]
    ProxyPassword(crate::settings::SecretError),
    /// The CA file (`WIXUP_CA_FILE`, or Settings) cannot be read or holds no certificate.
    #[error("{0}")]
    Trust(String),
    /// The blocking read of the settings and the key did not finish (the runtime shut down).
    #[error("start-up was interrupted ({0})")]
    Interrupted(#[from] tokio::task::JoinError),
}

/// Loads the settings and the key (off the async threads), chooses the backend, and starts the
/// embedded sandbox if that is it.
pub async fn connect(spec: Spec) -> Result<Connection, StartupError> {
    let Spec {
        data_dir,
        secrets,
        env,
        sandbox_port,
        settings_use,
        proxy,
        limit_rate,
        http,
    } = spec;
    let dir = data_dir.clone();
    let (settings, backend, proxy) = tokio::task::spawn_blocking(move || {
        let settings = match Settings::load(&dir) {
            Ok(s) => s,
            Err(e) if settings_use == SettingsUse::BackendOnly && config::env_chooses(&env) => {
                tracing::warn!(error = %e, "settings ignored: the environment chooses the backend");
                Settings::default()
            }
            Err(e) => return Err(e.into()),
        };
        let backend = config::resolve(&settings, &env, || secrets.get())?;
        let choice = proxy.unwrap_or_else(|| settings.proxy.clone());
        let trust = trust_for(&settings, &env)?;
        let proxy = proxy_for(&choice, &env, &secrets)?
            .with_trust(trust)
            .with_http(http.or_else(|| http_from(&env)).unwrap_or_default());
        Ok::<_, StartupError>((settings, backend, proxy))
    })
    .await??;
    let throttle = crate::file_stream::Throttle::new(limit_rate.or(settings.limit_rate));
    let keep_awake = KeepAwake::start(Bus::System, settings.keep_awake);
    // Woken from sleep, or connected again: every wait for the network looks at once.
    crate::net_hints::watch(Bus::System);
    match backend {
        Backend::Remote {
            base,
            credentials,
            chosen_by,
        } => Ok(Connection {
            settings,
            base,
            credentials,
            kind: BackendKind::Remote(chosen_by),
            port_taken: None,
            sandbox: None,
            proxy,
            throttle,
            keep_awake,
        }),
        Backend::Embedded => {
            let (listener, port_taken) = bind_embedded(sandbox_port).await?;
            let mut cfg = SandboxConfig::new(crate::paths::sandbox_dir(&data_dir));
            cfg.processing_delay = EMBEDDED_PROCESSING_DELAY;
            let sb = sandbox::start(listener, cfg)
                .await
                .map_err(|error| StartupError::Sandbox { error })?;
            Ok(Connection {
                settings,
                base: sb.local_url(),
                credentials: config::sandbox_credentials(),
                kind: BackendKind::Embedded,
                port_taken,
                sandbox: Some(sb),
                proxy,
                throttle,
                keep_awake,
            })
        }
    }
}

/// The proxy `choice` names, with a manual proxy's password from `WIXUP_PROXY_PASSWORD` or the
/// keychain (read here, off the async threads).
fn proxy_for(
    choice: &ProxyChoice,
    env: &Env,
    secrets: &SecretStore,
) -> Result<Network, StartupError> {
    let password = match choice {
        ProxyChoice::Manual { user: Some(_), .. } => match env.get("WIXUP_PROXY_PASSWORD") {
            Some(p) => Some(ApiKey::new(p)),
            None => secrets
                .proxy_password()
                .get()
                .map_err(StartupError::ProxyPassword)?,
        },
        _ => None,
    };
    Network::new(choice, password.as_ref()).map_err(StartupError::Proxy)
}

/// `WIXUP_HTTP`, for the window (the command line reads it as `--http`); ignored, said in the
/// log, when it is no version.
fn http_from(env: &Env) -> Option<HttpVersion> {
    let v = env.get("WIXUP_HTTP")?;
    HttpVersion::parse(v)
        .inspect_err(|e| tracing::warn!("WIXUP_HTTP ignored: {e}"))
        .ok()
}

/// The system's certificates, plus `WIXUP_CA_FILE`'s (else the saved CA file's).
fn trust_for(settings: &Settings, env: &Env) -> Result<Trust, StartupError> {
    let from_env = env.get("WIXUP_CA_FILE").map(PathBuf::from);
    let file = from_env.as_deref().or(settings.ca_file.as_deref());
    Trust::from_setting(file).map_err(StartupError::Trust)
}

/// Binds the embedded sandbox's stable loopback port, or another one when it is taken.
async fn bind_embedded(
    port: u16,
) -> Result<(tokio::net::TcpListener, Option<PortTaken>), StartupError> {
    match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => Ok((l, None)),
        Err(error) => {
            let other = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(|error| StartupError::Sandbox { error })?;
            Ok((other, Some(PortTaken { port, error })))
        }
    }
}

/// Stops an embedded sandbox before the next [`connect`] binds its port again (so its links
/// stay valid), waiting at most a few seconds.
pub async fn release(sandbox: SandboxHandle) {
    if tokio::time::timeout(SANDBOX_STOP_TIMEOUT, sandbox.stop())
        .await
        .is_err()
    {
        tracing::warn!(
            "the embedded sandbox did not stop in time; the next one may use another port"
        );
    }
}

/// What a front end decides about the engine; everything else comes from the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// Uploads sending at once: adapting, or fixed (1..=[`MAX_PARALLEL`]).
    pub parallel: Parallelism,
    pub chunk_size: ChunkSize,
    pub start: StartMode,
}

impl EngineOptions {
    /// What the saved settings ask for (the window).
    pub fn from_settings(settings: &Settings, start: StartMode) -> EngineOptions {
        EngineOptions {
            parallel: settings.parallelism(),
            chunk_size: settings
                .chunk_size_bytes
                .map_or(ChunkSize::Adaptive, ChunkSize::Fixed),
            start,
        }
    }
}

impl Connection {
    /// The engine's configuration for this connection, with the journal in `data_dir`.
    pub fn engine_config(&self, data_dir: &Path, options: EngineOptions) -> EngineConfig {
        let mut cfg = EngineConfig::new(
            data_dir.to_path_buf(),
            self.base.clone(),
            self.credentials.clone(),
        );
        cfg.parallel = match options.parallel {
            Parallelism::Fixed(n) => Parallelism::Fixed(n.clamp(1, MAX_PARALLEL)),
            auto => auto,
        };
        cfg.tus.chunk_size = options.chunk_size;
        cfg.start = options.start;
        cfg.proxy = self.proxy.clone();
        cfg.tus.throttle = self.throttle.clone();
        cfg.keep_awake = self.keep_awake.clone();
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_from_settings_are_clamped_into_the_engine_config() {
        let settings = Settings {
            parallel_auto: false,
            parallel: 99,
            chunk_size_bytes: Some(1 << 20),
            ..Settings::default()
        };
        let conn = Connection {
            settings: settings.clone(),
            base: Url::parse("http://127.0.0.1:9/").expect("url"),
            credentials: config::sandbox_credentials(),
            kind: BackendKind::Embedded,
            port_taken: None,
            sandbox: None,
            proxy: Network::none(),
            throttle: Default::default(),
            keep_awake: Default::default(),
        };
        let options = EngineOptions::from_settings(&settings, StartMode::Continue);
        let cfg = conn.engine_config(Path::new("/data"), options);
        assert_eq!(cfg.parallel, Parallelism::Fixed(MAX_PARALLEL));
        assert_eq!(cfg.tus.chunk_size, ChunkSize::Fixed(1 << 20));
        assert_eq!(cfg.start, StartMode::Continue);
        assert_eq!(cfg.api_base.as_str(), "http://127.0.0.1:9/");
        let none = Settings {
            parallel_auto: false,
            parallel: 0,
            ..Settings::default()
        };
        let cfg = conn.engine_config(
            Path::new("/data"),
            EngineOptions::from_settings(&none, StartMode::Hold),
        );
        assert_eq!(
            (cfg.parallel, cfg.tus.chunk_size),
            (Parallelism::Fixed(1), ChunkSize::Adaptive)
        );
        // Saved settings without the choice (older files) and new ones adapt.
        let auto = EngineOptions::from_settings(&Settings::default(), StartMode::Hold);
        assert_eq!(auto.parallel, Parallelism::Auto);
    }

    #[tokio::test]
    async fn an_unreadable_settings_file_stops_only_the_front_end_that_uses_it() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("settings.json"), "{ not json").expect("write");
        let spec = |settings_use| Spec {
            data_dir: dir.path().to_path_buf(),
            secrets: SecretStore::File(dir.path().join("api-key")),
            env: [("WIX_API_KEY", "k"), ("WIX_SITE_ID", "s")]
                .into_iter()
                .collect(),
            sandbox_port: 0,
            settings_use,
            proxy: None,
            limit_rate: None,
            http: None,
        };
        let conn = connect(spec(SettingsUse::BackendOnly)).await.expect("env");
        assert_eq!(conn.kind, BackendKind::Remote(ChosenBy::Environment));
        assert_eq!(conn.settings, Settings::default());
        let err = connect(spec(SettingsUse::Always))
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(err, StartupError::Settings(SettingsError::Invalid { .. })),
            "{err:?}"
        );
        assert!(err.to_string().contains("fix or delete it"), "{err}");
    }
}
