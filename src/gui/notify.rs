//! "Tell me when it is done": when a batch finishes while the window is in the background, one
//! desktop notification ("40 photos uploaded · 1 failed") through the freedesktop notification
//! interface; clicking it raises the window.
//!
//! [`BatchTracker`] is pure: it collects the files that ended since the queue was last idle
//! and, once nothing is queued or uploading, hands back the batch's [`Summary`]. The sending is
//! behind [`DesktopNotifier`] so tests record it; [`Freedesktop`] sends on its own thread, never
//! on the UI thread.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::engine::JobId;

/// What a batch came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub done: usize,
    pub failed: usize,
    /// Every file that ended was an image: "photos", otherwise "files".
    pub all_images: bool,
}

impl Summary {
    /// "3 photos uploaded", "1 file uploaded · 2 failed", "2 files failed".
    pub fn text(&self) -> String {
        let noun = |n: usize| match (self.all_images, n == 1) {
            (true, true) => "photo",
            (true, false) => "photos",
            (false, true) => "file",
            (false, false) => "files",
        };
        if self.done == 0 {
            return format!("{} {} failed", self.failed, noun(self.failed));
        }
        let mut s = format!("{} {} uploaded", self.done, noun(self.done));
        if self.failed > 0 {
            s.push_str(&format!(" · {} failed", self.failed));
        }
        s
    }
}

/// The files that ended (done or failed) since the queue was last idle; a file that ends twice
/// (failed, retried, done) counts once, as it ended last.
#[derive(Debug, Default)]
pub struct BatchTracker {
    ended: HashMap<JobId, (bool, bool)>,
}

impl BatchTracker {
    /// A file ended: `image` from its MIME type, `done` or failed.
    pub fn ended(&mut self, id: JobId, image: bool, done: bool) {
        self.ended.insert(id, (image, done));
    }

    /// Called every frame with whether anything is still queued or uploading: the batch is over
    /// when nothing is and at least one file ended in it.
    pub fn settle(&mut self, busy: bool) -> Option<Summary> {
        if busy || self.ended.is_empty() {
            return None;
        }
        let done = self.ended.values().filter(|(_, d)| *d).count();
        let summary = Summary {
            done,
            failed: self.ended.len() - done,
            all_images: self.ended.values().all(|(i, _)| *i),
        };
        self.ended.clear();
        Some(summary)
    }
}

/// Whether the window is unfocused or minimized (unknown counts as in front: no notification).
pub fn in_background(ctx: &egui::Context) -> bool {
    ctx.input(|i| {
        let v = i.viewport();
        v.focused == Some(false) || v.minimized == Some(true)
    })
}

/// Raises the window (a click on the notification).
pub fn raise(ctx: &egui::Context) {
    ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
    ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
    ctx.request_repaint();
}

/// Shows a desktop notification; `on_click` runs (on any thread) when the person clicks it.
/// Must return at once: it is called from the UI thread.
pub trait DesktopNotifier: Send + Sync {
    fn notify(&self, text: String, on_click: Box<dyn FnOnce() + Send>);
}

/// The freedesktop notification interface on the session bus (notify-rust, pure-Rust zbus).
#[derive(Debug, Default)]
pub struct Freedesktop {
    attempts: Arc<AtomicUsize>,
}

impl Freedesktop {
    /// How many notifications were handed to the bus (shown or refused): tests wait for it.
    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }
}

impl DesktopNotifier for Freedesktop {
    fn notify(&self, text: String, on_click: Box<dyn FnOnce() + Send>) {
        let attempts = Arc::clone(&self.attempts);
        let spawned = std::thread::Builder::new()
            .name("notification".into())
            .spawn(move || {
                let shown = notify_rust::Notification::new()
                    .appname("Wixup")
                    .summary(&text)
                    .icon("wixup")
                    .action("default", "Show Wixup")
                    .show();
                attempts.fetch_add(1, Ordering::SeqCst);
                match shown {
                    Err(e) => tracing::warn!("desktop notification not shown: {e}"),
                    #[cfg(all(unix, not(target_os = "macos")))]
                    Ok(handle) => handle.wait_for_action(|action| {
                        if action == "default" {
                            on_click();
                        }
                    }),
                    #[cfg(not(all(unix, not(target_os = "macos"))))]
                    Ok(_) => drop(on_click),
                }
            });
        if let Err(e) = spawned {
            tracing::warn!("desktop notification not shown: cannot start its thread ({e})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> JobId {
        JobId(n)
    }

    #[test]
    fn texts() {
        let s = |done, failed, all_images| {
            Summary {
                done,
                failed,
                all_images,
            }
            .text()
        };
        assert_eq!(s(40, 1, true), "40 photos uploaded · 1 failed");
        assert_eq!(s(1, 0, true), "1 photo uploaded");
        assert_eq!(s(3, 0, false), "3 files uploaded");
        assert_eq!(s(1, 2, false), "1 file uploaded · 2 failed");
        assert_eq!(s(0, 2, false), "2 files failed");
        assert_eq!(s(0, 1, true), "1 photo failed");
    }

    #[test]
    fn a_batch_settles_once_when_idle() {
        let mut t = BatchTracker::default();
        assert_eq!(t.settle(false), None, "nothing ended: no batch");
        t.ended(id(1), true, true);
        assert_eq!(t.settle(true), None, "still busy");
        t.ended(id(2), false, false);
        // Failed, retried, then done: counted once, as done.
        t.ended(id(3), true, false);
        t.ended(id(3), true, true);
        assert_eq!(
            t.settle(false),
            Some(Summary {
                done: 2,
                failed: 1,
                all_images: false
            })
        );
        assert_eq!(t.settle(false), None, "one batch, one summary");
    }
}
