//! Where the API key is kept: the OS keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows) through the `keyring` crate, or, where no keychain answers,
//! the `api-key` file in the data dir with mode 0600. Every function here does I/O.

use std::path::{Path, PathBuf};

use crate::fs::write_atomic;
use crate::redact::ApiKey;

const KEY_FILE: &str = "api-key";
const PROXY_FILE: &str = "proxy-password";
const KEYRING_SERVICE: &str = "wixup";

/// Why the saved API key could not be read or stored. As for
/// [`SettingsError`](super::SettingsError), the message already says the underlying error.
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

    /// Where a manual proxy's password is kept: beside the key, under its own name in the
    /// keychain (`proxy-password`), or in its own 0600 file.
    pub fn proxy_password(&self) -> SecretStore {
        let file = self.file().with_file_name(PROXY_FILE);
        match self {
            SecretStore::Keychain { .. } => SecretStore::Keychain { fallback: file },
            SecretStore::File(_) => SecretStore::File(file),
        }
    }

    /// Forgets the stored secret (keychain entry and file).
    pub fn clear(&self) -> Result<(), SecretError> {
        if let SecretStore::Keychain { .. } = self
            && let Some(entry) = keychain_entry(self.account())
        {
            let _ = entry.delete_credential();
        }
        match std::fs::remove_file(self.file()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SecretError::Write {
                path: self.file().to_path_buf(),
                error: e,
            }),
            _ => Ok(()),
        }
    }

    /// The keychain account: the file's name (`api-key`, `proxy-password`).
    fn account(&self) -> &str {
        self.file()
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(KEY_FILE)
    }

    /// The stored key, if any.
    pub fn get(&self) -> Result<Option<ApiKey>, SecretError> {
        if let SecretStore::Keychain { .. } = self
            && let Some(entry) = keychain_entry(self.account())
        {
            match entry.get_password() {
                Ok(k) => return Ok(Some(ApiKey::new(k))),
                Err(keyring::Error::NoEntry) => {}
                Err(e) => tracing::debug!(error = %e, "keychain read failed; trying the file"),
            }
        }
        let path = self.file();
        // A FIFO in its place would be waited on forever.
        let read = crate::fs::regular_or_absent(path).and_then(|()| std::fs::read_to_string(path));
        match read {
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
            && let Some(entry) = keychain_entry(self.account())
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

fn keychain_entry(account: &str) -> Option<keyring::Entry> {
    match keyring::Entry::new(KEYRING_SERVICE, account) {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::debug!(error = %e, "no keychain");
            None
        }
    }
}
