//! Carrying out what the views asked for, after the frame's layout: engine commands, the
//! connection, dialogs and the tasks behind them. Everything slow is spawned on the runtime and
//! polled in `logic`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use poll_promise::Promise;

use crate::engine::{Command, JobId};

use super::action::AppAction;
use super::app::App;
use super::backend::Target;
use super::copy_menu;
use super::input::save_png;
use super::queue_view::finished_items;
use super::quit::{Quit, QuitStep};
use super::remove::{self, Answer};
use super::rows;
use super::settings_window::Outcome;

impl App {
    /// Applies a stage's actions; what they changed is drawn again on the next frame.
    pub(super) fn apply_all(&mut self, ctx: &egui::Context, actions: Vec<AppAction>) {
        if actions.is_empty() {
            return;
        }
        for a in actions {
            self.apply(ctx, a);
        }
        ctx.request_repaint();
    }

    pub(super) fn apply(&mut self, ctx: &egui::Context, action: AppAction) {
        match action {
            AppAction::Row(a) => self.apply_row(ctx, a),
            AppAction::Send(c) => self.services.send(c),
            AppAction::Remove(ids) => self.remove(ids),
            AppAction::RemoveAnswered(Answer::Remove) => {
                for id in std::mem::take(&mut self.flows.removing) {
                    self.services.send(Command::Remove(id));
                }
            }
            AppAction::RemoveAnswered(Answer::Keep) => self.flows.removing.clear(),
            AppAction::AddPaths(paths) => self.add_paths(paths),
            AppAction::AddLinks(urls) => self.add_links(urls),
            AppAction::OpenLinkDialog => self.flows.link_dialog.show(),
            AppAction::ChooseFiles { folders } => self.choose_files(folders),
            AppAction::PasteImage(img) => self.paste_image(img),
            AppAction::CopySelection => self.copy_selected(ctx),
            AppAction::SelectAll => {
                let ids: Vec<_> = self.queue.rows().iter().map(|r| r.id).collect();
                self.view.queue_view.selection.select_all(&ids);
            }
            AppAction::CopyBlock(b) => self.copy_block(ctx, b),
            AppAction::MoveSelection { by, extend } => self.move_selection(by, extend),
            AppAction::OpenSettings => self.open_settings(),
            AppAction::ConnectSite => {
                self.open_settings();
                self.flows.settings_window.choose_site();
            }
            AppAction::Reconnect => self.services.connect(),
            AppAction::DismissNotice(i) => self.view.messages.dismiss(i),
            AppAction::Tell(text) => self.view.messages.notice(text),
            AppAction::Quit(QuitStep::StopEngine) => self.stop_engine(),
            AppAction::Quit(QuitStep::KeepRunning) => self.flows.quit = Quit::Running,
            AppAction::SettingsSaved(outcome) => self.settings_saved(outcome),
            AppAction::DownloadLink(fetched) => {
                if let Ok(url) = &fetched.url {
                    ctx.copy_text(url.clone());
                    let now = Instant::now();
                    self.view.queue_view.copied = Some((fetched.id, "download link", now));
                }
                self.view.messages.notice(fetched.notice());
            }
        }
    }

    fn apply_row(&mut self, ctx: &egui::Context, a: rows::Action) {
        let send = |c| self.services.send(c);
        match a {
            rows::Action::Select(id, mods) => {
                let ids: Vec<_> = self.queue.rows().iter().map(|r| r.id).collect();
                self.view.queue_view.selection.click(id, mods, &ids);
            }
            rows::Action::Pause(id) => send(Command::Pause(id)),
            rows::Action::Resume(id) => send(Command::Resume(id)),
            rows::Action::Cancel(id) => send(Command::Cancel(id)),
            rows::Action::Retry(id) => send(Command::Retry(id)),
            rows::Action::UploadAgain(id) => send(Command::UploadAgain(id)),
            rows::Action::Remove(id) => self.remove(vec![id]),
            rows::Action::Copy { id, text, what } => {
                ctx.copy_text(text);
                self.view.queue_view.copied = Some((id, what, Instant::now()));
            }
            rows::Action::CopyDownloadLink(id) => self.copy_download_link(id),
            rows::Action::Open(url) if super::format::browsable(&url) => {
                let opts = &self.services.opts;
                (self.flows.opening).open(&opts.runtime, ctx, &opts.browser, url);
            }
            rows::Action::Open(_) => tracing::warn!("not opening a URL that is not http(s)"),
        }
    }

    /// Removes the rows that lose nothing at once; those in progress wait for the question.
    fn remove(&mut self, ids: Vec<JobId>) {
        let (now, ask) = remove::split(&self.queue, ids);
        for id in now {
            self.services.send(Command::Remove(id));
        }
        self.flows.removing.extend(ask);
    }

    /// Asks the site for a download link of a finished private row, off the UI thread.
    fn copy_download_link(&mut self, id: JobId) {
        let (Some(client), Some(row)) = (self.services.media().cloned(), self.queue.get(id)) else {
            return;
        };
        let Some(result) = &row.result else {
            return;
        };
        let what = (id, result.file_id.clone(), row.name.clone());
        let s = &self.services;
        self.flows
            .download_links
            .request(&s.opts.runtime, &s.ctx, client, what);
    }

    fn open_settings(&mut self) {
        let has_key = matches!(
            self.services.target(),
            Some(Target::Site {
                from_env: false,
                ..
            })
        );
        let ctx = self.services.ctx.clone();
        self.flows
            .settings_window
            .show_with(&ctx, &self.settings, has_key);
    }

    fn settings_saved(&mut self, outcome: Outcome) {
        let Outcome::Saved {
            settings,
            reconnect,
            note,
        } = outcome;
        let parallel = settings.parallelism();
        // The transfers under way slow down or speed up from their next frame.
        self.services.throttle.set(settings.limit_rate);
        self.services.keep_awake.set_enabled(settings.keep_awake);
        self.settings = settings;
        self.view.messages.success(note);
        if reconnect || self.services.engine().is_none() {
            self.services.connect();
        } else {
            self.services.send(Command::SetParallelism(parallel));
        }
    }

    /// Opens the native dialog (rfd's async dialog, on the runtime); its answer is polled.
    fn choose_files(&mut self, folders: bool) {
        let dialog = rfd::AsyncFileDialog::new().set_title(if folders {
            "Choose folders to upload"
        } else {
            "Choose files to upload"
        });
        let (tx, promise) = Promise::new();
        let ctx = self.services.ctx.clone();
        self.services.opts.runtime.spawn(async move {
            let picked = if folders {
                dialog.pick_folders().await
            } else {
                dialog.pick_files().await
            };
            let paths = picked.map(|files| files.iter().map(|h| h.path().to_path_buf()).collect());
            tx.send(dialog_answer(paths));
            ctx.request_repaint();
        });
        self.flows.dialogs.push(promise);
    }

    fn move_selection(&mut self, by: isize, extend: bool) {
        let n = self.queue.len();
        if n == 0 {
            return;
        }
        let view = &mut self.view.queue_view;
        let at = view
            .selection
            .focus()
            .and_then(|id| self.queue.position(id))
            .map_or(0, |i| (i as isize + by).clamp(0, n as isize - 1) as usize);
        let id = self.queue.rows()[at].id;
        if extend {
            let ids: Vec<_> = self.queue.rows().iter().map(|r| r.id).collect();
            view.selection.click(id, egui::Modifiers::SHIFT, &ids);
        } else {
            view.selection.only(id);
        }
        view.scroll_to = Some(at);
    }

    /// Ctrl+C: one selected row's URL (its Copy button says so), or the URLs of several.
    fn copy_selected(&mut self, ctx: &egui::Context) {
        let view = &self.view.queue_view;
        let items = finished_items(&self.queue, Some(&view.selection));
        let Some(b) = copy_menu::urls(&items) else {
            return;
        };
        match view.selection.keys().collect::<Vec<_>>()[..] {
            [id] => self.apply_row(
                ctx,
                rows::Action::Copy {
                    id,
                    text: b.text,
                    what: "URL",
                },
            ),
            _ => self.copy_block(ctx, b),
        }
    }

    fn copy_block(&mut self, ctx: &egui::Context, b: copy_menu::BlockCopy) {
        ctx.copy_text(b.text);
        self.view.queue_view.block_copied = Some((b.files, Instant::now()));
    }

    /// File dialogs closed and pasted images saved: their paths queued, or why not said.
    pub(super) fn poll_dialogs(&mut self) {
        let mut picked = Vec::new();
        let mut said = Vec::new();
        self.flows.dialogs.retain_mut(|p| match p.ready() {
            Some(Ok(paths)) => {
                picked.extend(paths.iter().cloned());
                false
            }
            Some(Err(why)) => {
                said.push(why.clone());
                false
            }
            None => true,
        });
        for why in said {
            self.view.messages.notice(why);
        }
        self.add_paths(picked);
    }

    /// Saves a pasted image as a PNG in the data dir (on the runtime), then queues it.
    fn paste_image(&mut self, img: Arc<egui::ColorImage>) {
        let dir = self.services.opts.data_dir.join("pasted");
        let (tx, promise) = Promise::new();
        let ctx = self.services.ctx.clone();
        self.services.opts.runtime.spawn(async move {
            let saved = tokio::task::spawn_blocking(move || save_png(&dir, &img)).await;
            let paths = match saved {
                Ok(Ok(p)) => Ok(vec![p]),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot save the pasted image");
                    Err(e)
                }
                Err(_) => Ok(Vec::new()),
            };
            tx.send(paths);
            ctx.request_repaint();
        });
        self.flows.dialogs.push(promise);
    }

    fn stop_engine(&mut self) {
        let Some(engine) = self.services.engine().cloned() else {
            self.flows.quit = Quit::Done;
            return;
        };
        let (tx, promise) = Promise::new();
        let ctx = self.services.ctx.clone();
        self.services.opts.runtime.spawn(async move {
            engine.shutdown().await;
            tx.send(());
            ctx.request_repaint();
        });
        self.flows.quit = Quit::Stopping(promise);
    }
}

/// What the window says when no file dialog opened: no desktop portal answered and zenity could
/// not be run (rfd logs why, which nobody reads). Drops and pastes still work.
pub(super) const NO_FILE_DIALOG: &str = "No file dialog could open on this desktop (no portal or zenity). Drop files onto the window, or copy them in your file manager and press Ctrl+V.";

/// A file dialog's answer: the paths chosen (none when it was cancelled), or, when no dialog
/// could open at all (rfd answers `None` then; a cancelled one answers an empty list), what to
/// tell the person.
pub(super) fn dialog_answer(picked: Option<Vec<PathBuf>>) -> Result<Vec<PathBuf>, String> {
    picked.ok_or_else(|| NO_FILE_DIALOG.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dialog_that_could_not_open_is_said_in_the_window_and_a_cancel_is_not() {
        let why = dialog_answer(None).expect_err("said");
        assert!(why.contains("No file dialog could open"), "{why}");
        assert!(
            why.contains("Drop files") && why.contains("Ctrl+V"),
            "{why}"
        );
        assert_eq!(dialog_answer(Some(Vec::new())), Ok(Vec::new()));
        let chosen = vec![PathBuf::from("/tmp/a.jpg")];
        assert_eq!(dialog_answer(Some(chosen.clone())), Ok(chosen));
    }
}
