//! What the person does besides clicking: dropping files, the native dialogs, the keyboard,
//! pasting an image or paths, and saving Settings.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{Key, Modifiers};
use poll_promise::Promise;

use crate::engine::{Command, JobState};

use super::app::{App, Tab};
use super::backend::Target;
use super::rows::Action;
use super::settings_window::Outcome;

impl App {
    pub(super) fn open_settings(&mut self) {
        let has_key = matches!(
            self.target(),
            Some(Target::Site {
                from_env: false,
                ..
            })
        );
        self.settings_window.show_with(&self.settings, has_key);
    }

    pub(super) fn settings_saved(&mut self, outcome: Outcome) {
        let Outcome::Saved {
            settings,
            reconnect,
            note,
        } = outcome;
        let parallel = settings.parallel;
        self.settings = settings;
        self.notice(note);
        if reconnect || self.engine().is_none() {
            self.connect();
        } else {
            self.send(Command::SetParallelism(parallel));
        }
    }

    /// Opens the native dialog (rfd's async dialog, on the runtime); its answer is polled.
    pub(super) fn choose_files(&mut self, folders: bool) {
        let dialog = rfd::AsyncFileDialog::new().set_title(if folders {
            "Choose folders to upload"
        } else {
            "Choose files to upload"
        });
        let (tx, promise) = Promise::new();
        let ctx = self.ctx.clone();
        self.opts.runtime.spawn(async move {
            let picked = if folders {
                dialog.pick_folders().await
            } else {
                dialog.pick_files().await
            };
            let paths: Vec<PathBuf> = picked
                .unwrap_or_default()
                .iter()
                .map(|h| h.path().to_path_buf())
                .collect();
            tx.send(paths);
            ctx.request_repaint();
        });
        self.dialogs.push(promise);
    }

    pub(super) fn handle_input(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        self.add_paths(dropped);
        if self.settings_window.open || !matches!(self.quit, super::app::Quit::Running) {
            return;
        }
        let typing = ctx.egui_wants_keyboard_input();
        let (open, settings, quit) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::O),
                i.consume_key(Modifiers::COMMAND, Key::Comma),
                i.consume_key(Modifiers::COMMAND, Key::Q),
            )
        });
        if quit {
            // The same path as the window's close button: asks first when uploads run.
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if open {
            self.choose_files(false);
        }
        if settings {
            self.open_settings();
        }
        if typing {
            return;
        }
        let (events, space, delete, up, down) = ctx.input(|i| {
            (
                i.events.clone(),
                i.key_pressed(Key::Space),
                i.key_pressed(Key::Delete),
                i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::ArrowDown),
            )
        });
        for e in events {
            match e {
                egui::Event::Paste(text) => self.add_paths(paths_in(&text)),
                egui::Event::PasteImage(img) => self.paste_image(img),
                egui::Event::Copy => self.copy_selected(ctx),
                _ => {}
            }
        }
        if self.tab != Tab::Queue {
            return;
        }
        if up || down {
            self.move_selection(if up { -1 } else { 1 });
        }
        let Some(id) = self.selected else {
            return;
        };
        if space {
            match self.selected_state() {
                Some(JobState::Paused) => self.send(Command::Resume(id)),
                Some(JobState::Uploading | JobState::Queued) => self.send(Command::Pause(id)),
                _ => {}
            }
        }
        if delete {
            self.send(Command::Remove(id));
        }
    }

    fn move_selection(&mut self, by: isize) {
        let n = self.queue.len();
        if n == 0 {
            return;
        }
        let at = self
            .selected
            .and_then(|id| self.queue.position(id))
            .map_or(0, |i| (i as isize + by).clamp(0, n as isize - 1) as usize);
        self.selected = Some(self.queue.rows()[at].job.id);
        self.scroll_to = Some(at);
    }

    fn copy_selected(&mut self, ctx: &egui::Context) {
        let Some(row) = self.selected.and_then(|id| self.queue.get(id)) else {
            return;
        };
        if let Some(url) = row.job.result.as_ref().and_then(|r| r.url.clone()) {
            let id = row.job.id;
            self.act(
                ctx,
                Action::Copy {
                    id,
                    text: url,
                    what: "URL",
                },
            );
        }
    }

    /// Saves a pasted image as a PNG in the data dir (on the runtime), then queues it.
    fn paste_image(&mut self, img: Arc<egui::ColorImage>) {
        let dir = self.opts.data_dir.join("pasted");
        let (tx, promise) = Promise::new();
        let ctx = self.ctx.clone();
        self.opts.runtime.spawn(async move {
            let saved = tokio::task::spawn_blocking(move || save_png(&dir, &img)).await;
            let paths = match saved {
                Ok(Ok(p)) => vec![p],
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot save the pasted image");
                    Vec::new()
                }
                Err(_) => Vec::new(),
            };
            tx.send(paths);
            ctx.request_repaint();
        });
        self.dialogs.push(promise);
    }
}

/// Paths in pasted text: one per line, absolute or `file://` URIs; anything else is ignored.
pub fn paths_in(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| {
            if let Some(rest) = l.strip_prefix("file://") {
                let decoded = percent_decode(rest);
                Some(PathBuf::from(decoded))
            } else if l.starts_with('/') {
                Some(PathBuf::from(l))
            } else {
                None
            }
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn save_png(dir: &std::path::Path, img: &egui::ColorImage) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let [w, h] = img.size;
    let rgba: Vec<u8> = img
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    let buf = image::RgbaImage::from_raw(w as u32, h as u32, rgba)
        .ok_or("the pasted image has an unexpected size")?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let path = dir.join(format!("pasted-{stamp}.png"));
    buf.save(&path).map_err(|e| e.to_string())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_text_gives_paths() {
        let p = paths_in("file:///home/a/My%20Photo.jpg\n/tmp/b.png\nhello\n");
        assert_eq!(
            p,
            vec![
                PathBuf::from("/home/a/My Photo.jpg"),
                PathBuf::from("/tmp/b.png")
            ]
        );
    }
}
