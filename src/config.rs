//! Choosing the backend from the saved settings and the environment. Pure: the environment and
//! the saved key come in as data, so every rule here is tested without touching the process.
//!
//! * `WIX_API_KEY` + `WIX_SITE_ID`: production, [`PRODUCTION_BASE`];
//! * `WIXUP_API_BASE`: another base URL (point it at `wixup serve`), with the sandbox's default
//!   credentials unless a key and site are given;
//! * neither: the Wix site saved in Settings (key from the keychain), else the embedded sandbox,
//!   started in-process on `WIXUP_SANDBOX_PORT` (or its stable default port).
//!
//! [`crate::startup`] does the I/O around this (reading files and the keychain, binding ports).

use std::collections::BTreeMap;

use reqwest::Url;

use crate::redact::ApiKey;
use crate::sandbox;
use crate::settings::{ConnectionKind, SecretError, Settings};
use crate::wix_media::{Credentials, PRODUCTION_BASE};

/// The environment variables start-up reads.
const VARS: [&str; 7] = [
    "WIX_API_KEY",
    "WIX_SITE_ID",
    "WIXUP_API_BASE",
    "WIXUP_SANDBOX_PORT",
    "WIXUP_PROXY_PASSWORD",
    "WIXUP_CA_FILE",
    "WIXUP_HTTP",
];

/// What start-up reads from the environment, as data. Blank values count as unset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

/// Names which variables are set, never their values (one of them is the API key).
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("set", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Env {
    /// The variables start-up reads, as this process has them (values that are not UTF-8 count
    /// as unset).
    pub fn from_process() -> Env {
        VARS.iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (*k, v)))
            .collect()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The embedded sandbox's port: `WIXUP_SANDBOX_PORT`, or [`sandbox::DEFAULT_PORT`] when it
    /// is unset or not a port number.
    pub fn sandbox_port(&self) -> u16 {
        match self.get("WIXUP_SANDBOX_PORT") {
            None => sandbox::DEFAULT_PORT,
            Some(p) => p.parse().unwrap_or_else(|_| {
                tracing::warn!(
                    value = p,
                    "WIXUP_SANDBOX_PORT is not a port number; ignored"
                );
                sandbox::DEFAULT_PORT
            }),
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// Who chose a remote backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChosenBy {
    /// `WIX_API_KEY`/`WIX_SITE_ID` or `WIXUP_API_BASE`.
    Environment,
    /// The Wix site saved in Settings.
    Settings,
}

/// Where uploads go.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A Wix-compatible API at this base (production or an external sandbox).
    Remote {
        base: Url,
        credentials: Credentials,
        chosen_by: ChosenBy,
    },
    /// Start the sandbox in this process.
    Embedded,
}

/// The error [`Url::parse`] returns.
pub type UrlError = <Url as std::str::FromStr>::Err;

/// Why no backend could be chosen. Each message says which setting is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Only half of the production credentials are in the environment.
    #[error("WIX_API_KEY is set but WIX_SITE_ID is not; set both")]
    KeyWithoutSite,
    #[error("WIX_SITE_ID is set but WIX_API_KEY is not; set both")]
    SiteWithoutKey,
    /// `WIXUP_API_BASE` does not parse as a URL.
    #[error("WIXUP_API_BASE {value:?} is not a URL ({error})")]
    BadEnvBase { value: String, error: UrlError },
    /// Settings choose a Wix site but neither the keychain nor the key file holds a key.
    #[error(
        "Settings choose a Wix site, but no API key is saved; add it in Settings, or set WIX_API_KEY and WIX_SITE_ID"
    )]
    NoSavedKey,
    /// The API address saved in Settings does not parse as a URL.
    #[error(
        "the API address in Settings ({value:?}) is not a URL ({error}); correct it in Settings"
    )]
    BadSavedBase { value: String, error: UrlError },
    /// Reading the saved key failed.
    #[error(transparent)]
    SavedKey(#[from] SecretError),
}

/// The backend: the environment first, then the saved settings, else the embedded sandbox.
/// `saved_key` is asked only when Settings choose a Wix site and the environment chooses nothing.
pub fn resolve(
    settings: &Settings,
    env: &Env,
    saved_key: impl FnOnce() -> Result<Option<ApiKey>, SecretError>,
) -> Result<Backend, ConfigError> {
    if let Some(remote) = from_env(env)? {
        return Ok(remote);
    }
    if settings.connection != ConnectionKind::WixSite {
        return Ok(Backend::Embedded);
    }
    let api_key = saved_key()?.ok_or(ConfigError::NoSavedKey)?;
    let value = settings.api_base.trim();
    let base = Url::parse(value).map_err(|error| ConfigError::BadSavedBase {
        value: value.to_string(),
        error,
    })?;
    Ok(Backend::Remote {
        base,
        credentials: Credentials {
            api_key,
            site_id: settings.site_id.trim().to_string(),
        },
        chosen_by: ChosenBy::Settings,
    })
}

/// Whether the environment chooses the backend (then the saved settings do not).
pub fn env_chooses(env: &Env) -> bool {
    ["WIX_API_KEY", "WIX_SITE_ID", "WIXUP_API_BASE"]
        .iter()
        .any(|k| env.get(k).is_some())
}

/// The remote backend the environment names, if it names one.
fn from_env(env: &Env) -> Result<Option<Backend>, ConfigError> {
    let credentials = match (env.get("WIX_API_KEY"), env.get("WIX_SITE_ID")) {
        (Some(k), Some(s)) => Some(Credentials {
            api_key: ApiKey::new(k),
            site_id: s.to_string(),
        }),
        (Some(_), None) => return Err(ConfigError::KeyWithoutSite),
        (None, Some(_)) => return Err(ConfigError::SiteWithoutKey),
        (None, None) => None,
    };
    let base = match (env.get("WIXUP_API_BASE"), &credentials) {
        (Some(b), _) => Url::parse(b).map_err(|error| ConfigError::BadEnvBase {
            value: b.to_string(),
            error,
        })?,
        (None, Some(_)) => production_base(),
        (None, None) => return Ok(None),
    };
    Ok(Some(Backend::Remote {
        base,
        credentials: credentials.unwrap_or_else(sandbox_credentials),
        chosen_by: ChosenBy::Environment,
    }))
}

fn production_base() -> Url {
    // A literal that parses: covered by the tests below.
    Url::parse(PRODUCTION_BASE).unwrap_or_else(|_| unreachable!("PRODUCTION_BASE is a URL"))
}

/// The credentials the sandbox accepts by default.
pub fn sandbox_credentials() -> Credentials {
    Credentials {
        api_key: ApiKey::new(sandbox::DEFAULT_API_KEY),
        site_id: sandbox::DEFAULT_SITE_ID.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_variables_never_their_values() {
        let e = env(&[("WIX_API_KEY", "IST.secret-123"), ("WIX_SITE_ID", "site")]);
        let shown = format!("{e:?}");
        assert!(shown.contains("WIX_API_KEY"), "{shown}");
        assert!(
            !shown.contains("secret") && !shown.contains("site\""),
            "{shown}"
        );
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().copied().collect()
    }

    fn site() -> Settings {
        Settings {
            connection: ConnectionKind::WixSite,
            site_id: " 1a2b3c4d-0000-4abc-8def-0123456789ab ".into(),
            api_base: "http://127.0.0.1:9/".into(),
            ..Settings::default()
        }
    }

    fn key() -> Result<Option<ApiKey>, SecretError> {
        Ok(Some(ApiKey::new("saved-key")))
    }

    fn never() -> Result<Option<ApiKey>, SecretError> {
        panic!("the saved key was read although the environment chose")
    }

    fn remote(b: Backend) -> (Url, Credentials, ChosenBy) {
        match b {
            Backend::Remote {
                base,
                credentials,
                chosen_by,
            } => (base, credentials, chosen_by),
            Backend::Embedded => panic!("embedded"),
        }
    }

    #[test]
    fn nothing_set_means_the_embedded_sandbox() {
        let b = resolve(&Settings::default(), &Env::default(), never).expect("ok");
        assert!(matches!(b, Backend::Embedded));
        // Blank values count as unset.
        let b = resolve(&Settings::default(), &env(&[("WIX_API_KEY", "  ")]), never);
        assert!(matches!(b, Ok(Backend::Embedded)));
    }

    #[test]
    fn production_credentials_go_to_production_before_the_settings() {
        let e = env(&[("WIX_API_KEY", "k"), ("WIX_SITE_ID", " s ")]);
        let (base, c, by) = remote(resolve(&site(), &e, never).expect("ok"));
        assert_eq!(base.as_str(), "https://www.wixapis.com/");
        assert_eq!((c.api_key.expose(), c.site_id.as_str()), ("k", "s"));
        assert_eq!(by, ChosenBy::Environment);
    }

    #[test]
    fn half_the_credentials_is_an_error() {
        let e = resolve(&site(), &env(&[("WIX_API_KEY", "k")]), never);
        assert!(matches!(e, Err(ConfigError::KeyWithoutSite)));
        let e = resolve(&site(), &env(&[("WIX_SITE_ID", "s")]), never);
        assert!(matches!(e, Err(ConfigError::SiteWithoutKey)));
    }

    #[test]
    fn an_api_base_alone_talks_to_a_sandbox() {
        let e = env(&[("WIXUP_API_BASE", "http://127.0.0.1:4000")]);
        let (base, c, by) = remote(resolve(&Settings::default(), &e, never).expect("ok"));
        assert_eq!(base.as_str(), "http://127.0.0.1:4000/");
        assert_eq!(c.site_id, sandbox::DEFAULT_SITE_ID);
        assert_eq!(by, ChosenBy::Environment);
        let e = env(&[("WIXUP_API_BASE", "not a url")]);
        let err = resolve(&Settings::default(), &e, never).expect_err("bad");
        assert!(
            matches!(&err, ConfigError::BadEnvBase { value, .. } if value == "not a url"),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("WIXUP_API_BASE \"not a url\""));
    }

    #[test]
    fn the_saved_site_is_used_with_its_saved_key() {
        let (base, c, by) = remote(resolve(&site(), &Env::default(), key).expect("ok"));
        assert_eq!(base.as_str(), "http://127.0.0.1:9/");
        assert_eq!(c.api_key.expose(), "saved-key");
        assert_eq!(c.site_id, "1a2b3c4d-0000-4abc-8def-0123456789ab");
        assert_eq!(by, ChosenBy::Settings);
    }

    #[test]
    fn a_saved_site_without_a_key_or_address_says_what_to_fix() {
        let err = resolve(&site(), &Env::default(), || Ok(None)).expect_err("no key");
        assert!(matches!(err, ConfigError::NoSavedKey));
        assert!(err.to_string().contains("no API key is saved"), "{err}");
        let bad = Settings {
            api_base: "wixapis".into(),
            ..site()
        };
        let err = resolve(&bad, &Env::default(), key).expect_err("bad address");
        assert!(matches!(err, ConfigError::BadSavedBase { .. }), "{err:?}");
        assert!(err.to_string().contains("\"wixapis\""), "{err}");
    }

    #[test]
    fn only_the_backend_variables_make_the_environment_choose() {
        assert!(!env_chooses(&env(&[("WIXUP_SANDBOX_PORT", "1")])));
        assert!(!env_chooses(&env(&[("WIXUP_API_BASE", " ")])));
        // Half the credentials chooses too: resolving then says what is missing.
        assert!(env_chooses(&env(&[("WIX_SITE_ID", "s")])));
    }

    #[test]
    fn the_sandbox_port_comes_from_the_environment_when_it_is_one() {
        assert_eq!(Env::default().sandbox_port(), sandbox::DEFAULT_PORT);
        assert_eq!(env(&[("WIXUP_SANDBOX_PORT", "0")]).sandbox_port(), 0);
        assert_eq!(
            env(&[("WIXUP_SANDBOX_PORT", "70000")]).sandbox_port(),
            sandbox::DEFAULT_PORT
        );
    }
}
