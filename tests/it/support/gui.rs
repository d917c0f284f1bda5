//! The real window (`wixup::gui::App`) under egui_kittest, as the GUI tests drive it: started on
//! a sandbox saved as the "Wix site" (the production path), files dropped as the windowing
//! integration hands them over, bounded waits that step frames, and what a person would read
//! off it (rows, labels, painted shapes, the clipboard).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui::epaint::{ClippedShape, Shape};
use egui::{OutputCommand, ViewportInfo};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use tokio::runtime::Runtime;
use wixup::engine::JobState;
use wixup::gui::{App, AppOptions, ClipboardReader};
use wixup::history::HistoryEntry;
use wixup::retry::RetryPolicy;
use wixup::settings::SecretStore;

use super::{Env, get, wait_until_blocking};

/// The window under test.
pub type Window = Harness<'static, App>;

/// A file dropped onto the window, as the windowing integration hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// The runtime the app's engine and the test's sandbox run on (the window steps on the test's
/// own thread).
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A runtime and a sandbox on it, as most GUI tests begin.
pub fn runtime_and_sandbox() -> (Runtime, Env) {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    (rt, env)
}

/// App options for a data dir whose saved settings point at the test sandbox as a "Wix site"
/// (the production path: settings file + stored key), with zero retry delays.
pub fn site_options(rt: &Runtime, env: &Env, data_dir: &Path, chunk: Option<u64>) -> AppOptions {
    let secrets = env.save_site(data_dir);
    options(rt, data_dir, secrets, chunk)
}

/// App options for `data_dir` as it is (no settings written), with zero retry delays; a fixed
/// `chunk` sends every file resumably in chunks of that size.
pub fn options(
    rt: &Runtime,
    data_dir: &Path,
    secrets: SecretStore,
    chunk: Option<u64>,
) -> AppOptions {
    let mut o = AppOptions::new(data_dir.to_path_buf(), rt.handle().clone());
    o.secrets = secrets;
    o.sandbox_port = 0;
    o.tune = Some(Arc::new(move |c| {
        c.tus.retry = RetryPolicy::immediate(6);
        c.tus.idle_timeout = Duration::from_secs(5);
        c.api_retry = RetryPolicy::immediate(6);
        c.poll_delays = vec![Duration::from_millis(10)];
        // A fixed chunk is for tests of tus uploads: every file goes resumably then.
        if let Some(size) = chunk {
            c.tus.chunk_size = wixup::tus::ChunkSize::Fixed(size);
            c.one_put_below = 0;
        }
    }));
    o
}

/// The window, not yet connected (for tests that act before the connection is made).
pub fn harness(opts: AppOptions) -> Window {
    Harness::builder()
        .with_size(egui::vec2(1000.0, 700.0))
        .build_eframe(move |cc| App::new(cc, opts))
}

/// The window at a given size (the app's own window, in logical points), not yet connected.
pub fn harness_sized(opts: AppOptions, width: f32, height: f32) -> Window {
    Harness::builder()
        .with_size(egui::vec2(width, height))
        .build_eframe(move |cc| App::new(cc, opts))
}

/// The window, connected to its backend.
pub fn window(opts: AppOptions) -> Window {
    let mut h = harness(opts);
    connected(&mut h);
    h
}

/// The window on `env`'s sandbox saved as the site, data in `env`'s `app` folder, connected.
pub fn window_on_site(rt: &Runtime, env: &Env) -> Window {
    window(site_options(rt, env, &env.path("app"), None))
}

/// Steps frames until `pred` holds of the app; bounded, so a hang fails with what it waited for.
pub fn until(h: &mut Harness<'_, App>, what: &str, secs: u64, pred: impl Fn(&App) -> bool) {
    until_shown(h, &format!("waiting for {what}"), secs, |h| pred(h.state()));
}

/// Steps frames until `shown` finds what it looks for on screen; panics with `what` (a sentence
/// saying what is missing) after `secs`.
pub fn until_shown(
    h: &mut Harness<'_, App>,
    what: &str,
    secs: u64,
    shown: impl Fn(&Harness<'_, App>) -> bool,
) {
    wait_until_blocking(what, Duration::from_secs(secs), || {
        h.step();
        shown(h)
    });
}

pub fn connected(h: &mut Harness<'_, App>) {
    until(h, "the connection", 10, |a| a.target().is_some());
}

/// Steps frames until `count` rows are finished with their results in (the state change and the
/// result are two events).
pub fn until_all_done(h: &mut Harness<'_, App>, count: usize, secs: u64) {
    until(h, &format!("{count} finished uploads"), secs, |a| {
        let rows = a.queue().rows();
        rows.iter().filter(|r| finished(r)).count() == count
    });
}

pub fn drop_files(h: &mut Harness<'_, App>, paths: &[PathBuf]) {
    for p in paths {
        h.input_mut()
            .dropped_files
            .push(Arc::new(Dropped(p.clone())));
    }
    h.step();
}

/// Clicks "Clear finished" and steps until the queue is empty.
pub fn clear_finished(h: &mut Harness<'_, App>) {
    h.get_by_label("Clear finished").click();
    until(h, "an empty queue", 10, |a| a.queue().is_empty());
}

/// Steps frames until `settings.json` in `data_dir` holds `needle`: a save landed.
pub fn until_saved(h: &mut Harness<'_, App>, data_dir: &Path, needle: &str) {
    let file = data_dir.join("settings.json");
    until(h, &format!("{needle} in {}", file.display()), 10, |_| {
        std::fs::read_to_string(&file).is_ok_and(|s| s.contains(needle))
    });
}

/// Opens the Settings window.
pub fn open_settings(h: &mut Harness<'_, App>) {
    h.get_by_label("Settings").click();
    h.run_steps(2);
}

/// What the windowing integration says about the main window (focus, close requests).
pub fn root_viewport<'a>(h: &'a mut Harness<'_, App>) -> &'a mut ViewportInfo {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
}

/// The window manager's close button.
pub fn close_window(h: &mut Harness<'_, App>) {
    root_viewport(h).events.push(egui::ViewportEvent::Close);
}

/// The window in front (focused) or behind other windows.
pub fn set_focus(h: &mut Harness<'_, App>, focused: bool) {
    root_viewport(h).focused = Some(focused);
}

fn row<'a>(app: &'a App, name: &str) -> Option<&'a wixup::gui::Row> {
    app.queue().rows().iter().find(|r| r.name == name)
}

pub fn state_of(app: &App, name: &str) -> Option<JobState> {
    row(app, name).map(|r| r.state)
}

fn finished(r: &wixup::gui::Row) -> bool {
    r.state == JobState::Done && r.result.is_some()
}

/// Finished, with its result in (the state change and the result are two events).
pub fn done(app: &App, name: &str) -> bool {
    row(app, name).is_some_and(finished)
}

pub fn url_of(app: &App, name: &str) -> String {
    row(app, name)
        .and_then(|r| r.result.as_ref()?.url.clone())
        .expect("a URL")
}

/// Waits until `name` is finished, then checks that its URL serves exactly the bytes of `path`.
pub fn finishes_with_the_same_bytes(
    h: &mut Harness<'_, App>,
    rt: &Runtime,
    name: &str,
    path: &Path,
    secs: u64,
) {
    until(h, &format!("{name} to finish"), secs, |a| done(a, name));
    let url = url_of(h.state(), name);
    let (status, body) = rt.block_on(get(&url));
    assert_eq!(status, 200, "{name}");
    assert!(
        body == std::fs::read(path).unwrap(),
        "{url} serves other bytes than {name}"
    );
}

/// What a label says (labels carry their text as the AccessKit value).
pub fn text(node: &egui_kittest::Node<'_>) -> String {
    node.value()
        .or_else(|| node.accesskit_node().label())
        .unwrap_or_default()
}

/// What the last frame put on the clipboard.
pub fn copied_texts(h: &Harness<'_, App>) -> Vec<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Every shape egui painted in the last frame, nested lists flattened, so what is asserted is
/// what a person sees.
pub fn painted(h: &Harness<'_, App>) -> Vec<Shape> {
    fn walk(shape: &Shape, out: &mut Vec<Shape>) {
        match shape {
            Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            s => out.push(s.clone()),
        }
    }
    let mut out = Vec::new();
    for ClippedShape { shape, .. } in &h.output().shapes {
        walk(shape, &mut out);
    }
    out
}

/// A finished upload as the history file holds it, with a URL nobody serves.
pub fn history_entry(name: &str, finished_unix: u64) -> HistoryEntry {
    HistoryEntry {
        path: Path::new("/photos").join(name),
        url: Some(format!("http://127.0.0.1:9/media/{name}")),
        size_bytes: 1000,
        image_size: Some((640, 480)),
        ..HistoryEntry::example(name, finished_unix)
    }
}

/// The desktop's clipboard as a test fills it (a headless test has no desktop): what a file
/// manager, an editor or a screenshot tool left there, and how often Ctrl+V read it.
#[derive(Default)]
pub struct TestClipboard {
    /// What a file manager offers for copied files (`x-special/gnome-copied-files` or
    /// `text/uri-list`), as bytes.
    pub uri_list: std::sync::Mutex<Vec<u8>>,
    pub text: std::sync::Mutex<Option<String>>,
    pub image: std::sync::Mutex<Option<egui::ColorImage>>,
    pub reads: std::sync::atomic::AtomicUsize,
}

impl ClipboardReader for TestClipboard {
    fn files(&self) -> Vec<PathBuf> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        wixup::gui::files_in_uri_list(&self.uri_list.lock().unwrap())
    }
    fn text(&self) -> Result<Option<String>, String> {
        Ok(self.text.lock().unwrap().clone())
    }
    fn image(&self) -> Option<egui::ColorImage> {
        self.image.lock().unwrap().clone()
    }
}

/// Ctrl+V, as the windowing integration reports the keys.
pub fn ctrl_v(h: &mut Harness<'_, App>) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::V);
}
