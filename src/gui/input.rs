//! What the person does besides clicking: dropping files, the keyboard, pasting an image,
//! paths or http(s) links (imported by Wix). Read from the frame's input and returned as actions; saving a pasted image is a task
//! the app starts (`save_png` runs on the runtime, never here).

use std::path::PathBuf;

use egui::{Key, Modifiers};
use reqwest::Url;

use crate::engine::{Command, JobId, JobState};

use super::action::AppAction;
use super::prefs::Tab;
use super::queue::Queue;
use super::selection::Selection;

/// What decides which keys mean something this frame.
pub struct InputContext<'a> {
    /// A window over the main one (Settings, the quit question) takes the keyboard.
    pub covered: bool,
    pub tab: Tab,
    pub selection: &'a Selection<JobId>,
    pub queue: &'a Queue,
}

/// The frame's drops, shortcuts and pastes, as actions.
pub fn input_actions(ctx: &egui::Context, at: &InputContext<'_>) -> Vec<AppAction> {
    let mut out = Vec::new();
    let dropped: Vec<PathBuf> = ctx.input(|i| {
        i.raw
            .dropped_files
            .iter()
            .map(|f| f.path().to_path_buf())
            .collect()
    });
    if !dropped.is_empty() {
        out.push(AppAction::AddPaths(dropped));
    }
    if at.covered {
        return out;
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
        out.push(AppAction::ChooseFiles { folders: false });
    }
    if settings {
        out.push(AppAction::OpenSettings);
    }
    if typing {
        return out;
    }
    let (events, space, delete, up, down, shift) = ctx.input(|i| {
        (
            i.events.clone(),
            i.key_pressed(Key::Space),
            i.key_pressed(Key::Delete),
            i.key_pressed(Key::ArrowUp),
            i.key_pressed(Key::ArrowDown),
            i.modifiers.shift,
        )
    });
    for e in events {
        match e {
            egui::Event::Paste(text) => {
                let paths = paths_in(&text);
                if !paths.is_empty() {
                    out.push(AppAction::AddPaths(paths));
                }
                let links = links_in(&text);
                if !links.is_empty() {
                    out.push(AppAction::AddLinks(links));
                }
            }
            egui::Event::PasteImage(img) => out.push(AppAction::PasteImage(img)),
            // On the Queue tab; History copies its own selection.
            egui::Event::Copy if at.tab == Tab::Queue => out.push(AppAction::CopySelection),
            _ => {}
        }
    }
    if at.tab != Tab::Queue {
        return out;
    }
    if up || down {
        // Shift extends the selection from its anchor, as in a file manager.
        out.push(AppAction::MoveSelection {
            by: if up { -1 } else { 1 },
            extend: shift,
        });
    }
    if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::A)) {
        out.push(AppAction::SelectAll);
    }
    if !space && !delete {
        return out;
    }
    // Space and Delete act on every selected row, in queue order. Space pauses them all when
    // any of them moves, and resumes them all otherwise (never some of each); Delete asks
    // first about uploads in progress.
    let rows = at.queue.rows().iter().map(|r| r.id);
    let picked: Vec<(JobId, JobState)> = at
        .selection
        .in_order(rows)
        .filter_map(|id| Some((id, at.queue.get(id)?.state)))
        .collect();
    let moving = |s: JobState| matches!(s, JobState::Uploading | JobState::Queued);
    let pause = picked.iter().any(|(_, s)| moving(*s));
    for &(id, state) in &picked {
        if space && pause && moving(state) {
            out.push(AppAction::Send(Command::Pause(id)));
        } else if space && !pause && state == JobState::Paused {
            out.push(AppAction::Send(Command::Resume(id)));
        }
    }
    if delete && !picked.is_empty() {
        out.push(AppAction::Remove(
            picked.iter().map(|(id, _)| *id).collect(),
        ));
    }
    out
}

/// Paths in pasted text: one per line, absolute or `file://` URIs; anything else is ignored.
pub fn paths_in(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| {
            if l.starts_with('/') {
                Some(PathBuf::from(l))
            } else {
                file_uri_path(l)
            }
        })
        .collect()
}

/// http(s) links in pasted text, one per line; anything else is ignored.
pub fn links_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| crate::engine::parse_link(l).map(|u| u.to_string()))
        .collect()
}

/// The local path a `file:` URI names (percent-decoded to the exact bytes on Unix); `None` for
/// another scheme or a file on another host.
pub(super) fn file_uri_path(line: &str) -> Option<PathBuf> {
    let url = Url::parse(line).ok()?;
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

/// Saves a pasted image in `dir` as "Pasted 2026-12-07 14.03.22.png" (local time), a name a
/// person recognizes in the queue and on the site.
pub fn save_png(dir: &std::path::Path, img: &egui::ColorImage) -> Result<PathBuf, String> {
    save_png_as(
        dir,
        img,
        &super::format::local_stamp(jiff::Timestamp::now()),
    )
}

/// Saves under "Pasted {stamp}.png", or "Pasted {stamp} (2).png" and on if that name is taken
/// (two pastes in one second); the name is claimed atomically, never overwritten.
fn save_png_as(
    dir: &std::path::Path,
    img: &egui::ColorImage,
    stamp: &str,
) -> Result<PathBuf, String> {
    let cannot = |e: &dyn std::fmt::Display| {
        format!("cannot save the pasted image in {}: {e}", dir.display())
    };
    std::fs::create_dir_all(dir).map_err(|e| cannot(&e))?;
    let [w, h] = img.size;
    let rgba: Vec<u8> = img
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    let buf = image::RgbaImage::from_raw(w as u32, h as u32, rgba)
        .ok_or("the pasted image has an unexpected size")?;
    for n in 1..=1000 {
        let name = match n {
            1 => format!("Pasted {stamp}.png"),
            n => format!("Pasted {stamp} ({n}).png"),
        };
        let path = dir.join(name);
        let mut file = match std::fs::File::create_new(&path) {
            Ok(f) => std::io::BufWriter::new(f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(cannot(&e)),
        };
        let written = buf
            .write_to(&mut file, image::ImageFormat::Png)
            .map_err(|e| cannot(&e))
            .and_then(|()| file.into_inner().map_err(|e| cannot(&e.into_error())));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        return Ok(path);
    }
    Err(cannot(&"a thousand images were pasted in the same second"))
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

    #[test]
    fn pasted_text_gives_links() {
        let l = links_in(
            "https://example.com/a.jpg\n file:///tmp/b.png\nftp://x/y\nhttp://127.0.0.1:9/c\n",
        );
        assert_eq!(l, vec!["https://example.com/a.jpg", "http://127.0.0.1:9/c"]);
        assert!(paths_in("https://example.com/a.jpg").is_empty());
    }

    #[test]
    fn file_uris_decode_to_the_path_they_name() {
        assert_eq!(
            file_uri_path("file:///home/a/My%20Photo%20%231.jpg"),
            Some(PathBuf::from("/home/a/My Photo #1.jpg"))
        );
        assert_eq!(
            file_uri_path("file://localhost/tmp/b.png"),
            Some(PathBuf::from("/tmp/b.png"))
        );
        // Another computer's file, and addresses that are no file at all.
        assert_eq!(file_uri_path("file://server/share/c.png"), None);
        assert_eq!(file_uri_path("https://example.com/d.png"), None);
        assert_eq!(file_uri_path("unix:/tmp/socket"), None);
        assert_eq!(file_uri_path("not a uri"), None);
    }

    #[test]
    fn pasted_images_are_named_by_date_and_time_and_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let img = egui::ColorImage::new([4, 3], vec![egui::Color32::RED; 12]);
        let first = save_png_as(dir.path(), &img, "2026-12-07 14.03.22").expect("saved");
        let second = save_png_as(dir.path(), &img, "2026-12-07 14.03.22").expect("saved");
        assert_eq!(first, dir.path().join("Pasted 2026-12-07 14.03.22.png"));
        assert_eq!(
            second,
            dir.path().join("Pasted 2026-12-07 14.03.22 (2).png")
        );
        for p in [first, second] {
            let png = image::open(&p).expect("a PNG");
            assert_eq!((png.width(), png.height()), (4, 3));
        }
        // The real clock's name has the same shape.
        let now = save_png(dir.path(), &img).expect("saved");
        let name = now.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("Pasted 20") && name.ends_with(".png"),
            "{name}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn file_uris_keep_bytes_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let p = file_uri_path("file:///tmp/caf%E9-%FF.jpg").expect("a path");
        assert_eq!(p.as_os_str().as_bytes(), b"/tmp/caf\xe9-\xff.jpg");
    }
}
