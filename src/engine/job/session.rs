//! The server-side uploads a job keeps in the journal: a tus upload, or a one-PUT URL.

use std::time::SystemTime;

use reqwest::Url;
use serde::{Deserialize, Serialize};

/// A server-side upload: what step 1 handed out and where the tus upload lives. (Journals of
/// schema 1 named `endpoint` `upload_url` and `upload_url` `location`; the journal migrates them.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The tus creation endpoint Wix handed out in step 1 (Wix calls it the upload URL).
    pub endpoint: Url,
    /// Wix's token for this upload; sent with the creation and the finalize requests.
    pub upload_token: String,
    /// The tus upload URL (the creation's `Location`), absolute.
    pub upload_url: Url,
    /// `Upload-Expires`, as seconds since the Unix epoch.
    pub expires_unix: Option<u64>,
    /// When the upload URL was handed out, as seconds since the Unix epoch: a file made by
    /// this upload is no older (absent in journals of older versions).
    #[serde(default)]
    pub created_unix: Option<u64>,
    /// Which overwrites the bytes sent carry ([`Redactions::mark`](crate::file_stream::Redactions::mark)):
    /// none when the file goes as it is. A resumed upload goes on only when the file's
    /// overwrites found now are the same (absent in journals of older versions: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
}

impl Session {
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_unix
            .is_some_and(|e| crate::clock::unix_secs(now).is_some_and(|n| n >= e))
    }
}

/// A one-PUT upload (files below [`EngineConfig::one_put_below`](super::EngineConfig)): the
/// one-time URL `generate-upload-url` handed out. It is on disk before the PUT's first byte,
/// and stays after the file is made, so the journal says which path the job took (`plain`
/// set: one-PUT; `session` set: resumable). A job that starts with one found in the journal
/// may have been sent already (its answer lost to a crash or a pause): the file is looked for
/// first, and only when it is not on the site does the upload start over with a new URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlainSession {
    /// `PUT` the bytes here (Wix's `uploadUrl`, about 2.8 KB; one-time).
    pub upload_url: Url,
    /// When it was handed out, as seconds since the Unix epoch: a file this PUT made is no
    /// older.
    pub created_unix: u64,
}
