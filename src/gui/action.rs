//! What a view asks for. Views draw from narrow state and return these; the app applies them
//! after the frame's layout (`App::apply`), so nothing connects, spawns or sends an engine
//! command while a panel is half drawn.

use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::{Command, JobId};

use super::copy_menu::BlockCopy;
use super::download_link::Fetched;
use super::quit::QuitStep;
use super::remove::Answer;
use super::rows;
use super::settings_window::Outcome;

pub enum AppAction {
    /// A click on a queue row.
    Row(rows::Action),
    /// An engine command from a button or a key that needs nothing else.
    Send(Command),
    /// Delete on the selection, or a row's Remove: rows in progress are asked about first.
    Remove(Vec<JobId>),
    /// The answer to "Remove N uploads in progress?".
    RemoveAnswered(Answer),
    /// Dropped or pasted files and folders, to queue.
    AddPaths(Vec<PathBuf>),
    /// Pasted or typed http(s) links, for Wix to import.
    AddLinks(Vec<String>),
    /// "Add link…": the window with a field for a link.
    OpenLinkDialog,
    /// The native file (or folder) dialog.
    ChooseFiles {
        folders: bool,
    },
    /// A pasted image, to save as a PNG and queue.
    PasteImage(Arc<egui::ColorImage>),
    /// Ctrl+C: the selected rows' URLs.
    CopySelection,
    /// Ctrl+A: every row.
    SelectAll,
    /// Copy all ▾ or Copy N selected ▾: a block of finished files, to the clipboard.
    CopyBlock(BlockCopy),
    /// Arrow keys: the selection moves by this many rows (with Shift it extends from its
    /// anchor).
    MoveSelection {
        by: isize,
        extend: bool,
    },
    OpenSettings,
    /// "Connect your Wix site": Settings, on "My Wix site".
    ConnectSite,
    /// "Try again" after a failed connection.
    Reconnect,
    DismissNotice(usize),
    /// A passing notice to show (a paste that found no clipboard).
    Tell(String),
    Quit(QuitStep),
    /// A save of the Settings window landed (collected in `logic`).
    SettingsSaved(Outcome),
    /// A private file's download link came back: copy it, and say how long it works.
    DownloadLink(Fetched),
}
