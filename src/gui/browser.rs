//! "Open": a finished file's URL in the web browser, started off the UI thread. Where no browser
//! starts (no `xdg-open`, no default browser, a sandbox without a portal), the window says so
//! and copies the link instead, rather than doing nothing (eframe's own `open_url` only logs).

use std::sync::Arc;

use poll_promise::Promise;

/// What opens a URL. A trait so that tests stand in for the desktop's browser.
pub trait Browser: Send + Sync {
    /// Starts the browser on `url`, or says why none started.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// The desktop's default browser (`$BROWSER`, `xdg-open` and the like, as `webbrowser` finds
/// them).
#[derive(Default)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        webbrowser::open(url).map_err(|e| e.to_string())
    }
}

/// URLs on their way to the browser.
#[derive(Default)]
pub struct Opening {
    pending: Vec<(String, Promise<Result<(), String>>)>,
}

impl Opening {
    pub fn open(
        &mut self,
        runtime: &tokio::runtime::Handle,
        ctx: &egui::Context,
        browser: &Arc<dyn Browser>,
        url: String,
    ) {
        let (tx, promise) = Promise::new();
        let (browser, ctx, asked) = (Arc::clone(browser), ctx.clone(), url.clone());
        runtime.spawn_blocking(move || {
            tx.send(browser.open(&asked));
            ctx.request_repaint();
        });
        self.pending.push((url, promise));
    }

    /// The URLs no browser opened since the last call, each with the reason.
    pub fn failed(&mut self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.pending.retain(|(url, p)| match p.ready() {
            None => true,
            Some(Ok(())) => false,
            Some(Err(why)) => {
                out.push((url.clone(), why.clone()));
                false
            }
        });
        out
    }
}

/// What the window says when no browser opened `url`, which it copied instead.
pub fn not_opened(why: &str) -> String {
    format!(
        "No web browser could be opened ({}). The link is copied: paste it into a browser.",
        why.trim_end_matches('.')
    )
}
