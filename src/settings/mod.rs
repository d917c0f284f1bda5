//! Saved settings (`settings.json` in the data dir) and, in `secrets.rs`, where the API key is
//! kept ([`SecretStore`]).
//!
//! The settings file holds no secret. [`Settings::load`] and [`Settings::save`] do I/O: front
//! ends call them off their UI thread.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::{DEFAULT_PARALLEL, Destination, MAX_PARALLEL};
use crate::fs::write_atomic;
use crate::size::CHUNK_UNIT_BYTES;
use crate::wix_media::PRODUCTION_BASE;

mod secrets;

pub use secrets::{KeyPlace, SecretError, SecretStore};

const FILE: &str = "settings.json";

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
    /// Adapt how many files send at once (the default; older files without it adapt too).
    #[serde(default = "yes")]
    pub parallel_auto: bool,
    /// How many files send at once when not adapting.
    pub parallel: usize,
    /// A fixed PATCH size in bytes; `None` adapts to the link. Saved as `chunk_size`, the name
    /// files written before the unit was in the name use.
    #[serde(rename = "chunk_size")]
    pub chunk_size_bytes: Option<u64>,
    /// A desktop notification when a batch finishes while the window is in the background
    /// (on by default; files written before it notify too).
    #[serde(default = "yes")]
    pub notify_when_done: bool,
    /// Skip files already on the site (same bytes as a finished upload that is still there).
    #[serde(default = "yes")]
    pub dedupe: bool,
    /// "Remove location from photos and videos": GPS tags are removed before upload (on when absent).
    #[serde(default = "yes")]
    pub strip_location: bool,
    /// How requests reach Wix: automatic (the environment, else the system), none, or one
    /// proxy (its password is in the keychain, never here).
    pub proxy: crate::net::ProxyChoice,
    /// "Limit upload speed": every transfer together, in bytes a second; `None` (the default)
    /// for no limit.
    pub limit_rate: Option<u64>,
    /// A CA file (PEM) trusted beside the system's certificates; `WIXUP_CA_FILE` overrides it.
    pub ca_file: Option<std::path::PathBuf>,
    /// "Keep the computer awake while uploading" (on when absent).
    #[serde(default = "yes")]
    pub keep_awake: bool,
}

fn yes() -> bool {
    true
}

impl Settings {
    /// The choices each file queued now keeps for the rest of its way.
    pub fn job_options(&self) -> crate::engine::JobOptions {
        crate::engine::JobOptions {
            remove_location: self.strip_location,
            skip_duplicates: self.dedupe,
        }
    }

    /// What the engine is told.
    pub fn parallelism(&self) -> crate::engine::Parallelism {
        if self.parallel_auto {
            crate::engine::Parallelism::Auto
        } else {
            crate::engine::Parallelism::Fixed(self.parallel)
        }
    }
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
            parallel_auto: true,
            parallel: DEFAULT_PARALLEL,
            chunk_size_bytes: None,
            notify_when_done: true,
            dedupe: true,
            strip_location: true,
            proxy: crate::net::ProxyChoice::Automatic,
            limit_rate: None,
            ca_file: None,
            keep_awake: true,
        }
    }
}

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
    /// Something that is no regular file (a FIFO, a folder) has the settings file's name.
    #[error("{} is {what}, not a regular file; move it out of the way (Settings writes a new one)", .path.display())]
    NotAFile { path: PathBuf, what: &'static str },
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
        // Reading a FIFO would wait forever for a writer.
        if let Some(what) = crate::fs::not_regular(&path) {
            return Err(SettingsError::NotAFile { path, what });
        }
        match std::fs::read(&path) {
            Ok(bytes) => {
                let mut settings: Settings = serde_json::from_slice(&bytes)
                    .map_err(|error| SettingsError::Invalid { path, error })?;
                // Written before Auto existed: a number other than the old default was
                // someone's choice, and stays it.
                let chose = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .is_ok_and(|v| v.get("parallel_auto").is_none());
                if chose && settings.parallel != DEFAULT_PARALLEL {
                    settings.parallel_auto = false;
                }
                Ok(settings)
            }
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
        if let Some(c) = self.chunk_size_bytes
            && c < CHUNK_UNIT_BYTES
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

#[cfg(test)]
mod tests;
