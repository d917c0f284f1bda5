//! The test sandbox seen as a Wix site: the settings a person saves for it, and a Media API
//! client for it.

use std::path::Path;

use wixup::redact::ApiKey;
use wixup::retry::RetryPolicy;
use wixup::sandbox;
use wixup::settings::{ConnectionKind, SecretStore, Settings};
use wixup::wix_media::WixMediaClient;

use super::Env;

impl Env {
    /// Writes into `data_dir` what the Settings window saves for "My Wix site", with this
    /// sandbox as the site's API address (the production path: settings.json, and the key in
    /// the 0600 `api-key` file, as there is no keychain in tests). Returns where the key is.
    pub fn save_site(&self, data_dir: &Path) -> SecretStore {
        Settings {
            connection: ConnectionKind::WixSite,
            site_id: sandbox::DEFAULT_SITE_ID.into(),
            api_base: self.base().to_string(),
            ..Settings::default()
        }
        .save(data_dir)
        .expect("save settings");
        let secrets = SecretStore::File(data_dir.join("api-key"));
        secrets
            .set(&ApiKey::new(sandbox::DEFAULT_API_KEY))
            .expect("save key");
        secrets
    }

    /// A Media API client for this sandbox with its default credentials.
    pub fn wix_client(&self, retry: RetryPolicy) -> WixMediaClient {
        WixMediaClient::new(self.base(), wixup::config::sandbox_credentials(), retry)
            .expect("client")
    }
}
