//! Quitting: while uploads run the person is asked first; then the engine stops and flushes the
//! journal before the window closes (eframe's `close_requested` + `CancelClose`).

use poll_promise::Promise;

pub enum Quit {
    Running,
    /// Uploads are running; the person is asked.
    Confirming,
    /// The engine is stopping (workers end, the journal is flushed).
    Stopping(Promise<()>),
    /// Safe to close.
    Done,
}

/// What the quit flow asks the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitStep {
    /// Stop the engine, then close (the app puts the promise in [`Quit::Stopping`]).
    StopEngine,
    /// Keep uploading: the person changed their mind.
    KeepRunning,
}

impl Quit {
    /// Closes the window once the engine stopped, and holds a close request back while there is
    /// something to finish. `connected`: an engine runs; `busy`: uploads would be interrupted.
    pub fn on_close(
        &mut self,
        ctx: &egui::Context,
        connected: bool,
        busy: bool,
    ) -> Option<QuitStep> {
        if let Quit::Stopping(p) = self
            && p.ready().is_some()
        {
            *self = Quit::Done;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if !ctx.input(|i| i.viewport().close_requested()) {
            return None;
        }
        match self {
            Quit::Done => None,
            Quit::Running if connected => {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                if busy {
                    *self = Quit::Confirming;
                    None
                } else {
                    Some(QuitStep::StopEngine)
                }
            }
            Quit::Running => None,
            Quit::Confirming | Quit::Stopping(_) => {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                None
            }
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, Quit::Running)
    }
}

/// The question while uploads run, and the spinner while the queue is saved.
pub fn quit_dialog_ui(ctx: &egui::Context, quit: &Quit) -> Option<QuitStep> {
    if !matches!(quit, Quit::Confirming | Quit::Stopping(_)) {
        return None;
    }
    if matches!(quit, Quit::Stopping(_)) {
        egui::Modal::new(egui::Id::unique("wixup-quit")).show(ctx, |ui| {
            ui.set_width(380.0);
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Saving the queue…");
            });
        });
        return None;
    }
    let answer = super::style::question(
        ctx,
        "wixup-quit",
        [
            "Uploads are still running",
            "If you quit now, they continue from where they stopped the next time you open Wixup.",
            "Quit",
            "Keep uploading",
        ],
        None,
    );
    answer.map(|quit| {
        if quit {
            QuitStep::StopEngine
        } else {
            QuitStep::KeepRunning
        }
    })
}
