//! Cut, copy and paste, taken from the windowing integration (`clipboard_shortcuts: false`), so
//! that Ctrl+V also queues files copied in a file manager: egui-winit reads only text and images
//! on paste, and when the clipboard holds neither it says nothing at all. Paste reads the system
//! clipboard in a task on the runtime (an X11 selection owner may take its time to answer, and the
//! UI thread never waits), then hands the frame what it found: files to queue, text for the
//! focused field or for `input.rs` (paths, links), or an image. A field that has the keyboard gets
//! text only.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{Event, Key, Modifiers};
use poll_promise::Promise;

use super::action::AppAction;

/// What the clipboard held when Ctrl+V was pressed.
#[derive(Debug)]
pub enum Pasted {
    /// Files and folders copied in a file manager.
    Files(Vec<PathBuf>),
    Text(String),
    Image(Arc<egui::ColorImage>),
    /// Nothing Wixup can use (or no clipboard could be opened: the reason).
    Nothing(Option<String>),
}

/// The system clipboard, read off the UI thread. A trait so that tests hand the window a
/// clipboard of their own (a headless test has no desktop to copy from).
pub trait ClipboardReader: Send + Sync {
    /// Files and folders copied in a file manager (`x-special/gnome-copied-files`,
    /// `text/uri-list`, or the platform's file list).
    fn files(&self) -> Vec<PathBuf>;
    /// The text on the clipboard, if any, or why the clipboard could not be opened.
    fn text(&self) -> Result<Option<String>, String>;
    fn image(&self) -> Option<egui::ColorImage>;
}

/// What a paste takes: the files first (a file manager offers their paths as text too), then
/// text, then an image. A text field that has the keyboard gets text only.
fn read(reader: &dyn ClipboardReader, text_only: bool) -> Pasted {
    if !text_only {
        let files = reader.files();
        if !files.is_empty() {
            return Pasted::Files(files);
        }
    }
    match reader.text() {
        Err(why) => return Pasted::Nothing(Some(why)),
        Ok(Some(text)) if !text.is_empty() => return Pasted::Text(text.replace("\r\n", "\n")),
        Ok(_) => {}
    }
    match reader.image() {
        Some(img) if !text_only => Pasted::Image(Arc::new(img)),
        _ => Pasted::Nothing(None),
    }
}

/// The desktop's clipboard.
#[derive(Default)]
pub struct SystemClipboard;

impl ClipboardReader for SystemClipboard {
    fn files(&self) -> Vec<PathBuf> {
        copied_files()
    }

    fn text(&self) -> Result<Option<String>, String> {
        let mut board =
            arboard::Clipboard::new().map_err(|e| format!("cannot open the clipboard: {e}"))?;
        Ok(board.get_text().ok())
    }

    fn image(&self) -> Option<egui::ColorImage> {
        let img = arboard::Clipboard::new().ok()?.get_image().ok()?;
        Some(egui::ColorImage::from_rgba_unmultiplied(
            [img.width, img.height],
            &img.bytes,
        ))
    }
}

/// Files on an X11 clipboard (a Wayland session's too, through XWayland): GNOME's list (Nautilus,
/// Nemo, Caja, Thunar offer it), else the standard URI list. Read raw, so that a name that is not
/// UTF-8 keeps its bytes.
#[cfg(all(unix, not(target_os = "macos")))]
fn copied_files() -> Vec<PathBuf> {
    use std::time::Duration;
    let Ok(board) = x11_clipboard::Clipboard::new() else {
        return Vec::new();
    };
    for target in ["x-special/gnome-copied-files", "text/uri-list"] {
        let Ok(atom) = board.getter.get_atom(target) else {
            continue;
        };
        let atoms = &board.getter.atoms;
        let got = board.load(
            atoms.clipboard,
            atom,
            atoms.property,
            Duration::from_secs(2),
        );
        if let Ok(bytes) = got {
            let files = files_in_uri_list(&bytes);
            if !files.is_empty() {
                return files;
            }
        }
    }
    Vec::new()
}

/// Files on the clipboard of macOS or Windows.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn copied_files() -> Vec<PathBuf> {
    arboard::Clipboard::new()
        .and_then(|mut b| b.get().file_list())
        .unwrap_or_default()
}

/// The local paths in a URI list (RFC 2483: one URI a line, `#` comments) or GNOME's copied
/// files (the same after a first line saying `copy` or `cut`); other lines are skipped.
pub fn files_in_uri_list(bytes: &[u8]) -> Vec<PathBuf> {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(super::input::file_uri_path)
        .collect()
}

/// Which clipboard shortcut a key press is, as egui-winit would have reported it.
#[derive(Debug, PartialEq, Eq)]
enum Shortcut {
    Cut,
    Copy,
    Paste,
}

fn shortcut(key: Key, m: Modifiers) -> Option<Shortcut> {
    let windows = cfg!(target_os = "windows");
    match key {
        Key::Cut => Some(Shortcut::Cut),
        Key::Copy => Some(Shortcut::Copy),
        Key::Paste => Some(Shortcut::Paste),
        Key::X if m.command_only() => Some(Shortcut::Cut),
        Key::C if m.command_only() => Some(Shortcut::Copy),
        Key::V if m.command_only() => Some(Shortcut::Paste),
        Key::Delete if windows && m.shift => Some(Shortcut::Cut),
        Key::Insert if windows && m.ctrl => Some(Shortcut::Copy),
        Key::Insert if windows && m.shift => Some(Shortcut::Paste),
        _ => None,
    }
}

/// The paste being read, at most one at a time (a second Ctrl+V would read the same clipboard).
#[derive(Default)]
pub struct Clipboard {
    reading: Option<Promise<Pasted>>,
}

impl Clipboard {
    /// Called first in each frame, before any widget reads the input: turns this frame's
    /// clipboard keys into the events egui's widgets know (Cut, Copy, and the text of a paste
    /// that has been read), starts reading the clipboard on Ctrl+V, and returns what a paste
    /// adds to the queue.
    pub fn frame(
        &mut self,
        ctx: &egui::Context,
        runtime: &tokio::runtime::Handle,
        reader: &Arc<dyn ClipboardReader>,
    ) -> Vec<AppAction> {
        let keys: Vec<Shortcut> = ctx.input(|i| {
            i.events
                .iter()
                .filter_map(|e| match e {
                    Event::Key {
                        key,
                        pressed: true,
                        repeat: false,
                        modifiers,
                        ..
                    } => shortcut(*key, *modifiers),
                    _ => None,
                })
                .collect()
        });
        for k in keys {
            match k {
                Shortcut::Cut => ctx.input_mut(|i| i.events.push(Event::Cut)),
                Shortcut::Copy => ctx.input_mut(|i| i.events.push(Event::Copy)),
                Shortcut::Paste if self.reading.is_none() => {
                    let text_only = ctx.egui_wants_keyboard_input();
                    let (tx, promise) = Promise::new();
                    let (reader, ctx) = (Arc::clone(reader), ctx.clone());
                    runtime.spawn_blocking(move || {
                        tx.send(read(reader.as_ref(), text_only));
                        ctx.request_repaint();
                    });
                    self.reading = Some(promise);
                }
                Shortcut::Paste => {}
            }
        }
        let Some(reading) = self.reading.take() else {
            return Vec::new();
        };
        let pasted = match reading.try_take() {
            Ok(p) => p,
            Err(still) => {
                self.reading = Some(still);
                return Vec::new();
            }
        };
        match pasted {
            Pasted::Files(paths) => vec![AppAction::AddPaths(paths)],
            // Read by the focused field, or by `input.rs` for paths and links.
            Pasted::Text(text) => {
                ctx.input_mut(|i| i.events.push(Event::Paste(text)));
                Vec::new()
            }
            Pasted::Image(img) => vec![AppAction::PasteImage(img)],
            Pasted::Nothing(None) => Vec::new(),
            Pasted::Nothing(Some(why)) => {
                tracing::warn!("{why}");
                vec![AppAction::Tell(format!(
                    "Nothing was pasted: {why}. Drag the files onto the window instead."
                ))]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_list_gives_its_local_files_with_the_exact_bytes_of_each_name() {
        let list = b"# copied by a file manager\r\nfile:///home/ana/IMG_0001.HEIC\r\n\
                     file:///home/ana/caf%C3%A9%20photo.jpg\r\nfile:///tmp/%FF%FEraw\r\n\
                     https://example.com/a.jpg\r\nfile://otherhost/share/b.jpg\r\n";
        let files = files_in_uri_list(list);
        let mut want = vec![
            PathBuf::from("/home/ana/IMG_0001.HEIC"),
            PathBuf::from("/home/ana/café photo.jpg"),
        ];
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            want.push(PathBuf::from(std::ffi::OsStr::from_bytes(
                b"/tmp/\xff\xferaw",
            )));
        }
        assert_eq!(files, want);
    }

    #[test]
    fn gnomes_copied_files_skip_the_copy_or_cut_line() {
        let list = b"copy\nfile:///home/ana/a.jpg\nfile:///home/ana/b.png";
        assert_eq!(
            files_in_uri_list(list),
            [
                PathBuf::from("/home/ana/a.jpg"),
                PathBuf::from("/home/ana/b.png")
            ]
        );
        assert!(files_in_uri_list(b"cut\n").is_empty());
    }

    #[test]
    fn clipboard_keys_are_those_egui_winit_knows() {
        let ctrl = Modifiers::COMMAND;
        assert_eq!(shortcut(Key::V, ctrl), Some(Shortcut::Paste));
        assert_eq!(shortcut(Key::C, ctrl), Some(Shortcut::Copy));
        assert_eq!(shortcut(Key::X, ctrl), Some(Shortcut::Cut));
        assert_eq!(shortcut(Key::Paste, Modifiers::NONE), Some(Shortcut::Paste));
        assert_eq!(shortcut(Key::V, Modifiers::NONE), None);
        assert_eq!(shortcut(Key::V, ctrl | Modifiers::SHIFT), None);
    }
}
