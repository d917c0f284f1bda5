//! The desktop window (eframe/egui). It drives the engine through commands and events and
//! never does I/O on the UI thread: files, the network, the keychain and image decoding all run
//! on the tokio runtime and come back through channels or promises that `logic` polls.
//!
//! ```text
//! app.rs              state (services, job mirror, view state, preferences, flows), the
//!                     connection, event intake (eframe::App: logic, ui, save)
//! services.rs         the runtime, data dir, keychain, repaint context and the engine connection
//! frame.rs            one frame's layout: input, panels, windows; views return actions
//! apply.rs            the actions applied after layout: commands, dialogs, tasks
//! action.rs           what a view can ask for
//! prefs.rs            the last tab and history search, kept in eframe's storage
//! view.rs             top bar, tabs, banner and notices, drop zone, hover overlay
//! queue_view.rs       the queue list (selection, scrolling) and the status bar
//! rows.rs             one queue row (fixed height, virtualized) and its actions
//! input.rs            drops, keyboard, paste (`file://` URIs, images, http(s) links)
//! clipboard.rs        cut, copy and paste keys; Ctrl+V reads files, text or an image off
//!                     the UI thread
//! link_dialog.rs      "Add link…": a field for a link Wix imports
//! quit.rs             confirm-on-quit while uploading, the engine stopped before closing
//! remove.rs           confirm before removing uploads in progress; the rest go at once
//! settings_window.rs  the Settings window's tasks: Test connection, folders, saving
//! settings_form.rs    its form: connection, destination, upload options
//! network_form.rs     its Advanced → Proxy (password to the keychain), and the speed limit
//! history_tab.rs      finished uploads from every run, searchable, selectable, copied as a block
//! history_list.rs     what History lists: entries from the file and from `Recorded` events,
//!                     the search and day filter, the selection (pure, unit-tested)
//! history_rows.rs     one History entry (fixed height, virtualized)
//! copy_menu.rs        the Copy controls of a file and of a block (text from crate::export)
//! browser.rs          "Open" in the browser off the UI thread; the link copied when none starts
//! download_link.rs    a private file's download link, fetched off the UI thread, then copied
//! notify.rs           one desktop notification when a batch ends in the background
//! selection.rs        click, Ctrl/Shift+click and Ctrl+A selection, for the queue and History
//! thumbs.rs           previews decoded off the UI thread (EXIF-aware), server thumbnails cached
//! queue.rs            the window's copy of the queue, updated from engine events
//! queue_row.rs        one job as its row shows it, from `JobAdded` and kept current by events
//! totals.rs           the status bar's counts, speed and time left over the rows
//! backend.rs          the window's side of start-up (crate::startup), Test connection, folders
//! format.rs           status lines, elided names, dates (pure, unit-tested)
//! style.rs            colours, spacing, the icon and illustration from assets/
//! ```

mod action;
mod app;
mod apply;
mod backend;
mod browser;
mod clipboard;
mod copy_menu;
mod download_link;
mod format;
mod frame;
mod history_list;
mod history_rows;
mod history_tab;
mod input;
mod link_dialog;
mod network_form;
mod notify;
mod prefs;
mod queue;
mod queue_row;
mod queue_view;
mod quit;
mod remove;
mod rows;
mod selection;
mod services;
mod settings_form;
mod settings_window;
mod style;
mod thumbs;
mod totals;
mod view;

use std::path::PathBuf;

pub use app::App;
pub use backend::{Target, Tune};
pub use browser::Browser;
pub use clipboard::{ClipboardReader, files_in_uri_list};
pub use notify::{DesktopNotifier, Freedesktop};
pub use queue::{Queue, Totals};
pub use queue_row::{Kind, RetryInfo, Row, RowResult};
pub use rows::ROW_HEIGHT;
pub use services::AppOptions;
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
        // eframe keeps the window's size and place, and `App::save`'s preferences, in a file
        // of their own in the data dir (never in the journal).
        persist_window: true,
        persistence_path: Some(opts.data_dir.join("window.ron")),
        // Cut, copy and paste are the app's (`clipboard.rs`): egui-winit's paste reads only
        // text and images, on the UI thread.
        clipboard_shortcuts: false,
        ..Default::default()
    };
    eframe::run_native(
        "Wixup",
        native,
        Box::new(move |cc| Ok(Box::new(App::new(cc, opts)))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
