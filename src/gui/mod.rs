//! The desktop window (eframe/egui). It drives the engine through commands and events and
//! never does I/O on the UI thread: files, the network, the keychain and image decoding all run
//! on the tokio runtime and come back through channels or promises that `logic` polls.
//!
//! ```text
//! app.rs             state, connection, event intake, quit flow (eframe::App: logic + ui)
//! view.rs            top bar, tabs, banner, drop zone, queue list, status bar, dialogs
//! rows.rs            one queue row (fixed height, virtualized) and its actions
//! input.rs           drops, native dialogs (rfd), keyboard, paste, settings saved
//! settings_window.rs connection, Test connection, destination, upload options
//! history_tab.rs     finished uploads from every run, searchable
//! thumbs.rs          previews decoded off the UI thread (EXIF-aware), server thumbnails cached
//! queue.rs           the window's copy of the queue, updated from engine events
//! backend.rs         starting the engine on the saved site or the embedded sandbox
//! format.rs          sizes, speeds, ETAs and status lines (pure, unit-tested)
//! style.rs           colours, spacing, the icon and illustration from assets/
//! ```

mod app;
mod backend;
mod format;
mod history_tab;
mod input;
mod queue;
mod rows;
mod settings_window;
mod style;
mod thumbs;
mod view;

use std::path::PathBuf;

pub use app::{App, AppOptions};
pub use backend::{Target, Tune};
pub use queue::{Queue, Row, Totals};
pub use thumbs::decode as decode_thumbnail;

/// The app id: the Wayland app id / X11 WM_CLASS, matching `wixup.desktop`.
pub const APP_ID: &str = "wixup";

/// Opens the window and runs until it is closed. `paths` are queued once connected.
pub fn run(paths: Vec<PathBuf>, runtime: tokio::runtime::Handle) -> anyhow::Result<()> {
    let mut opts = AppOptions::new(crate::paths::data_dir(), runtime);
    opts.initial_paths = paths
        .into_iter()
        .map(|p| std::path::absolute(&p).unwrap_or(p))
        .collect();
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Wixup")
            .with_app_id(APP_ID)
            .with_icon(style::icon())
            .with_inner_size([980.0, 660.0])
            .with_min_inner_size([600.0, 400.0])
            .with_drag_and_drop(true),
        persist_window: false,
        ..Default::default()
    };
    eframe::run_native(
        "Wixup",
        native,
        Box::new(move |cc| Ok(Box::new(App::new(cc, opts)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
