//! "Copy download link" of a private file, whose static URL answers 403: a signed URL asked of
//! the site (`generate-download-url`) in a task on the runtime, polled each frame, then copied
//! with a notice that says how long it works. The UI thread never waits for it.

use std::time::Duration;

use poll_promise::Promise;

use crate::engine::{JobId, describe_wix_error};
use crate::wix_media::WixMediaClient;

/// How long a copied download link works.
pub const LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// A download link that came back (or why it did not).
pub struct Fetched {
    pub id: JobId,
    pub name: String,
    /// The URL, or the sentence saying why there is none.
    pub url: Result<String, String>,
}

impl Fetched {
    /// What the notice says once it is copied (or not).
    pub fn notice(&self) -> String {
        let name = crate::text::printable(&self.name);
        match &self.url {
            Ok(_) => format!(
                "Download link for {name} copied. It works for {} hours, then copy a new one \
                 (the file is private: its own URL is refused).",
                LIFETIME.as_secs() / 3600
            ),
            Err(why) => format!(
                "Could not get a download link for {name}: {}. Click Copy download link \
                 to try again.",
                why.trim_end_matches('.')
            ),
        }
    }
}

/// The URL, or the sentence saying why there is none.
type Answer = Promise<Result<String, String>>;

/// The download links being asked for, one at most per row: the row, its name, the answer.
#[derive(Default)]
pub struct DownloadLinks {
    pending: Vec<(JobId, String, Answer)>,
}

impl DownloadLinks {
    /// Asks the site for a link to `file_id` (the row `id`, named `name`); a second click while
    /// one is on its way adds nothing.
    pub fn request(
        &mut self,
        runtime: &tokio::runtime::Handle,
        ctx: &egui::Context,
        client: WixMediaClient,
        (id, file_id, name): (JobId, String, String),
    ) {
        if self.pending.iter().any(|(p, _, _)| *p == id) {
            return;
        }
        let (tx, promise) = Promise::new();
        let ctx = ctx.clone();
        runtime.spawn(async move {
            let got = client.generate_download_url(&file_id, LIFETIME).await;
            tx.send(
                got.map(|d| d.url.to_string())
                    .map_err(|e| describe_wix_error(&e)),
            );
            ctx.request_repaint();
        });
        self.pending.push((id, name, promise));
    }

    /// The links that came back since the last call.
    pub fn poll(&mut self) -> Vec<Fetched> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].2.ready().is_some() {
                let (id, name, p) = self.pending.swap_remove(i);
                if let Ok(url) = p.try_take() {
                    out.push(Fetched { id, name, url });
                }
            } else {
                i += 1;
            }
        }
        out
    }
}
