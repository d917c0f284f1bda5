//! Saved settings (`settings.json` in the data dir) and where the API key is kept.
//!
//! The settings file holds no secret. The API key goes to the OS keychain (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows) through the `keyring` crate; only
//! where no keychain answers is it written to `api-key` in the data dir with mode 0600.
//! Every function here does I/O: front ends call them off their UI thread.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{DEFAULT_PARALLEL, Destination, MAX_PARALLEL};
use crate::fs::write_atomic;
use crate::redact::ApiKey;
use crate::wix_media::PRODUCTION_BASE;

const FILE: &str = "settings.json";
const KEY_FILE: &str = "api-key";
const KEYRING_SERVICE: &str = "wixup";

/// Where uploads go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// The built-in local sandbox: no account needed, URLs are local.
    #[default]
    Sandbox,
    /// A Wix site, with an API key (kept in the keychain) and its site id.
    WixSite,
}

/// What the person chose in Settings. Unknown or missing fields take their defaults, so an
/// older or newer file still loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub connection: ConnectionKind,
    pub site_id: String,
    /// The REST base for a Wix site; `https://www.wixapis.com` unless pointed at `wixup serve`.
    pub api_base: String,
    /// Upload into this Media Manager folder (its id, and its name for display)…
    pub folder_id: Option<String>,
    pub folder_name: Option<String>,
    /// …or into this path, created when missing.
    pub folder_path: Option<String>,
    pub private: bool,
    pub parallel: usize,
    /// A fixed PATCH size in bytes; `None` adapts to the link.
    pub chunk_size: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connection: ConnectionKind::Sandbox,
            site_id: String::new(),
            api_base: PRODUCTION_BASE.into(),
            folder_id: None,
            folder_name: None,
            folder_path: None,
            private: false,
            parallel: DEFAULT_PARALLEL,
            chunk_size: None,
        }
    }
}

/// The smallest fixed chunk the Settings window and the loader accept.
pub const MIN_CHUNK: u64 = 256 << 10;

/// Why the settings file could not be read or written. The underlying error is kept in
/// `error` and already said by the message, so `source()` stays empty (a `{:#}` chain would
/// say it twice).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The file exists but cannot be read (permissions, a folder in its place).
    #[error("cannot read {} ({error}); check its permissions", .path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The file is not the JSON Settings write.
    #[error("{} is not valid settings ({error}); fix or delete it", .path.display())]
    Invalid {
        path: PathBuf,
        error: serde_json::Error,
    },
    /// The data dir cannot be created.
    #[error("cannot create {} ({error})", .path.display())]
    CreateDir {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Writing the file failed (disk full, permissions).
    #[error("cannot save {} ({error})", .path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl Settings {
    /// Loads `settings.json`; a missing file means the defaults.
    pub fn load(data_dir: &Path) -> Result<Settings, SettingsError> {
        let path = data_dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| SettingsError::Invalid { path, error }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(error) => Err(SettingsError::Read { path, error }),
        }
    }

    /// Writes `settings.json` atomically with mode 0600.
    pub fn save(&self, data_dir: &Path) -> Result<(), SettingsError> {
        std::fs::create_dir_all(data_dir).map_err(|error| SettingsError::CreateDir {
            path: data_dir.to_path_buf(),
            error,
        })?;
        let path = data_dir.join(FILE);
        // Serializing a struct of strings, numbers and options cannot fail; should it ever,
        // it is reported as a failed write of this file.
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| SettingsError::Write {
            path: path.clone(),
            error: std::io::Error::other(e),
        })?;
        write_atomic(&path, &bytes).map_err(|error| SettingsError::Write { path, error })
    }

    /// Everything wrong with these settings, one sentence each; empty when they can be saved.
    /// `has_key` says whether an API key is typed in or already stored.
    pub fn problems(&self, has_key: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.connection == ConnectionKind::WixSite {
            if !has_key {
                out.push("Enter the API key (create one in the Wix API Keys Manager, with the Manage Media Manager permission).".into());
            }
            let site = self.site_id.trim();
            if site.is_empty() {
                out.push("Enter the site id (the part after /dashboard/ in your site's dashboard address).".into());
            } else if !looks_like_site_id(site) {
                out.push(format!(
                    "\"{site}\" does not look like a site id: it is a GUID such as 1a2b3c4d-…; copy it from your dashboard's address."
                ));
            }
            match reqwest::Url::parse(self.api_base.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => out.push(format!(
                    "The API address \"{}\" is not an http(s) URL.",
                    self.api_base.trim()
                )),
            }
        }
        if let Some(p) = &self.folder_path
            && !p.trim().is_empty()
            && !p.trim().starts_with('/')
        {
            out.push(format!(
                "The folder path \"{}\" must start with /, like /photos/2026.",
                p.trim()
            ));
        }
        if !(1..=MAX_PARALLEL).contains(&self.parallel) {
            out.push(format!(
                "Parallel uploads must be between 1 and {MAX_PARALLEL}."
            ));
        }
        if let Some(c) = self.chunk_size
            && c < MIN_CHUNK
        {
            out.push("The chunk size must be at least 256 KiB.".into());
        }
        out
    }

    /// Where new uploads go.
    pub fn destination(&self) -> Destination {
        let path = self
            .folder_path
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from);
        Destination {
            folder_id: if path.is_some() {
                None
            } else {
                self.folder_id.clone()
            },
            path,
            private: self.private,
        }
    }

    /// "Site Files / Photos", for the top bar.
    pub fn destination_label(&self) -> String {
        if let Some(p) = self.destination().path {
            return format!("Site Files{p}");
        }
        match (&self.folder_id, &self.folder_name) {
            (Some(_), Some(name)) => format!("Site Files / {name}"),
            (Some(id), None) => format!("Site Files / {id}"),
            _ => "Site Files".into(),
        }
    }
}

/// Wix site ids are GUIDs; accept any 8-4-4-4-12 hex form (and the sandbox's own id).
fn looks_like_site_id(s: &str) -> bool {
    if s == crate::sandbox::DEFAULT_SITE_ID {
        return true;
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Why the saved API key could not be read, stored or deleted. As for [`SettingsError`], the
/// message already says the underlying error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    #[error(
        "cannot read the saved API key from {} ({error}); check its permissions, or save the key again in Settings",
        .path.display()
    )]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot save the API key to {} ({error})", .path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Where [`SecretStore::set`] put the key; says so in a sentence's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlace {
    Keychain,
    /// The 0600 file, because no keychain answered.
    File(PathBuf),
}

impl std::fmt::Display for KeyPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyPlace::Keychain => f.write_str("the system keychain"),
            KeyPlace::File(path) => {
                write!(f, "{} (mode 0600; no keychain answered)", path.display())
            }
        }
    }
}

/// Where the API key is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretStore {
    /// The OS keychain, falling back to the 0600 file in this data dir when none answers.
    Keychain { fallback: PathBuf },
    /// Only the 0600 file (no keychain on this system, or `WIXUP_SECRET_STORE=file`).
    File(PathBuf),
}

impl SecretStore {
    /// The keychain unless `WIXUP_SECRET_STORE=file` (tests and CI use it, so they never touch
    /// a person's real keychain).
    pub fn for_data_dir(data_dir: &Path) -> SecretStore {
        let file = data_dir.join(KEY_FILE);
        match std::env::var("WIXUP_SECRET_STORE").as_deref() {
            Ok("file") => SecretStore::File(file),
            _ => SecretStore::Keychain { fallback: file },
        }
    }

    /// The stored key, if any.
    pub fn get(&self) -> Result<Option<ApiKey>, SecretError> {
        if let SecretStore::Keychain { .. } = self
            && let Some(entry) = keychain_entry()
        {
            match entry.get_password() {
                Ok(k) => return Ok(Some(ApiKey::new(k))),
                Err(keyring::Error::NoEntry) => {}
                Err(e) => tracing::debug!(error = %e, "keychain read failed; trying the file"),
            }
        }
        let path = self.file();
        match std::fs::read_to_string(path) {
            Ok(k) if !k.trim().is_empty() => Ok(Some(ApiKey::new(k))),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(SecretError::Read {
                path: path.to_path_buf(),
                error,
            }),
        }
    }

    /// Stores the key; says where it went.
    pub fn set(&self, key: &ApiKey) -> Result<KeyPlace, SecretError> {
        if let SecretStore::Keychain { .. } = self
            && let Some(entry) = keychain_entry()
        {
            match entry.set_password(key.expose()) {
                Ok(()) => {
                    let _ = std::fs::remove_file(self.file());
                    return Ok(KeyPlace::Keychain);
                }
                Err(e) => tracing::info!(error = %e, "keychain unavailable; using a 0600 file"),
            }
        }
        let path = self.file();
        write_atomic(path, key.expose().as_bytes()).map_err(|error| SecretError::Write {
            path: path.to_path_buf(),
            error,
        })?;
        Ok(KeyPlace::File(path.to_path_buf()))
    }

    fn file(&self) -> &Path {
        match self {
            SecretStore::Keychain { fallback } => fallback,
            SecretStore::File(p) => p,
        }
    }
}

fn keychain_entry() -> Option<keyring::Entry> {
    match keyring::Entry::new(KEYRING_SERVICE, "api-key") {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::debug!(error = %e, "no keychain");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_name_each_field() {
        let mut s = Settings {
            connection: ConnectionKind::WixSite,
            ..Settings::default()
        };
        let p = s.problems(false);
        assert!(p.iter().any(|m| m.contains("API key")), "{p:?}");
        assert!(p.iter().any(|m| m.contains("site id")), "{p:?}");
        s.site_id = "not a guid".into();
        assert!(s.problems(true)[0].contains("does not look like a site id"));
        s.site_id = "1a2b3c4d-0000-4abc-8def-0123456789ab".into();
        assert!(s.problems(true).is_empty());
        s.folder_path = Some("photos".into());
        s.parallel = 0;
        s.chunk_size = Some(1000);
        assert_eq!(s.problems(true).len(), 3);
        assert!(Settings::default().problems(false).is_empty());
    }

    #[test]
    fn destination_prefers_the_path() {
        let s = Settings {
            folder_id: Some("f1".into()),
            folder_name: Some("Photos".into()),
            ..Settings::default()
        };
        assert_eq!(s.destination().folder_id.as_deref(), Some("f1"));
        assert_eq!(s.destination_label(), "Site Files / Photos");
        let s = Settings {
            folder_path: Some("/a/b".into()),
            ..s
        };
        assert_eq!(s.destination().folder_id, None);
        assert_eq!(s.destination_label(), "Site Files/a/b");
    }
}
