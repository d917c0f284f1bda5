//! Choosing the backend and turning what a person typed into an engine configuration.
//!
//! * `WIX_API_KEY` + `WIX_SITE_ID`: production, `https://www.wixapis.com`;
//! * `WIXUP_API_BASE`: another base URL (point it at `wixup serve`), with the sandbox's default
//!   credentials unless a key and site are given;
//! * neither: the Wix site saved in Settings (key from the keychain), else the embedded sandbox,
//!   started in-process.

use reqwest::Url;

use crate::redact::ApiKey;
use crate::sandbox;
use crate::settings::{ConnectionKind, SecretStore, Settings};
use crate::wix_media::Credentials;

pub const PRODUCTION_BASE: &str = "https://www.wixapis.com";

/// Where uploads go.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A Wix-compatible API at this base (production or an external sandbox).
    Remote { base: Url, credentials: Credentials },
    /// Start the sandbox in this process.
    Embedded,
}

impl Backend {
    /// Reads `WIX_API_KEY`, `WIX_SITE_ID` and `WIXUP_API_BASE`.
    pub fn from_env() -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let key = var("WIX_API_KEY");
        let site = var("WIX_SITE_ID");
        let base = var("WIXUP_API_BASE");
        let credentials = match (key, site) {
            (Some(k), Some(s)) => Some(Credentials {
                api_key: ApiKey::new(k),
                site_id: s.trim().to_string(),
            }),
            (Some(_), None) => {
                return Err("WIX_API_KEY is set but WIX_SITE_ID is not; set both".into());
            }
            (None, Some(_)) => {
                return Err("WIX_SITE_ID is set but WIX_API_KEY is not; set both".into());
            }
            (None, None) => None,
        };
        match (base, credentials) {
            (Some(b), c) => {
                let base = Url::parse(b.trim())
                    .map_err(|e| format!("WIXUP_API_BASE {b:?} is not a URL ({e})"))?;
                Ok(Backend::Remote {
                    base,
                    credentials: c.unwrap_or_else(sandbox_credentials),
                })
            }
            (None, Some(c)) => Ok(Backend::Remote {
                base: Url::parse(PRODUCTION_BASE).map_err(|e| e.to_string())?,
                credentials: c,
            }),
            (None, None) => Ok(Backend::Embedded),
        }
    }
}

impl Backend {
    /// The environment first, then the saved settings (blocking: reads files and the keychain).
    pub fn resolve(data_dir: &std::path::Path) -> Result<Self, String> {
        let from_env = Backend::from_env()?;
        if !matches!(from_env, Backend::Embedded) {
            return Ok(from_env);
        }
        let settings = Settings::load(data_dir)?;
        if settings.connection != ConnectionKind::WixSite {
            return Ok(Backend::Embedded);
        }
        let Some(api_key) = SecretStore::for_data_dir(data_dir).get()? else {
            return Err(
                "Settings say to upload to a Wix site, but no API key is saved; add it in the app's Settings or set WIX_API_KEY and WIX_SITE_ID".into(),
            );
        };
        let base = Url::parse(settings.api_base.trim())
            .map_err(|e| format!("the saved API address is not a URL ({e})"))?;
        Ok(Backend::Remote {
            base,
            credentials: Credentials {
                api_key,
                site_id: settings.site_id.trim().to_string(),
            },
        })
    }
}

/// The credentials the sandbox accepts by default.
pub fn sandbox_credentials() -> Credentials {
    Credentials {
        api_key: ApiKey::new(sandbox::DEFAULT_API_KEY),
        site_id: sandbox::DEFAULT_SITE_ID.into(),
    }
}
