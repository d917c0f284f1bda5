//! "Tell me when it is done": a batch that finishes while the window is in the background
//! gives one desktop notification; in front, or with the setting off, none. The last test sends
//! through the real freedesktop interface to a private D-Bus session bus and reads it back.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Runtime;
use wixup::gui::{DesktopNotifier, Freedesktop};
use wixup::settings::Settings;

use super::support::gui::{
    Window, connected, drop_files, harness, runtime_and_sandbox, set_focus, site_options,
    until_all_done,
};
use super::support::{Env, oriented_jpeg, tools, wait_until_blocking};

type Click = Box<dyn FnOnce() + Send>;

/// Records what would have been shown, and keeps the click handlers.
#[derive(Default)]
struct Recorder {
    shown: Mutex<Vec<(String, Option<Click>)>>,
}

impl Recorder {
    fn texts(&self) -> Vec<String> {
        let shown = self.shown.lock().unwrap();
        shown.iter().map(|(t, _)| t.clone()).collect()
    }
}

impl DesktopNotifier for Recorder {
    fn notify(&self, text: String, on_click: Click) {
        self.shown.lock().unwrap().push((text, Some(on_click)));
    }
}

fn photos(env: &Env) -> Vec<PathBuf> {
    let dir = env.path("photos");
    std::fs::create_dir_all(&dir).unwrap();
    ["a.jpg", "b.jpg", "c.jpg"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let p = dir.join(name);
            oriented_jpeg(&p, 120 + i as u32 * 10, 80, 1);
            p
        })
        .collect()
}

/// Drops three photos into a window that is in front or not, with "Tell me when it is done"
/// on or off and notifications going to `notifier`; returns once they are uploaded.
fn three_photos_uploaded(
    rt: &Runtime,
    env: &Env,
    focused: bool,
    notify_when_done: bool,
    notifier: Arc<dyn DesktopNotifier>,
) -> Window {
    let data = env.path("app");
    let mut opts = site_options(rt, env, &data, None);
    let mut s = Settings::load(&data).unwrap();
    s.notify_when_done = notify_when_done;
    s.save(&data).unwrap();
    opts.notifier = notifier;
    let mut h = harness(opts);
    set_focus(&mut h, focused);
    connected(&mut h);
    drop_files(&mut h, &photos(env));
    until_all_done(&mut h, 3, 30);
    h
}

/// Uploads three photos with the window focused or not; returns what the recorder got.
fn three_photos(focused: bool, notify_when_done: bool) -> (Arc<Recorder>, Window) {
    let (rt, env) = runtime_and_sandbox();
    let recorder = Arc::new(Recorder::default());
    let mut h = three_photos_uploaded(&rt, &env, focused, notify_when_done, recorder.clone());
    h.run_steps(5);
    // The runtime and sandbox go with this function; the harness no longer needs them.
    std::mem::forget(rt);
    (recorder, h)
}

#[test]
fn a_batch_finished_in_the_background_notifies_once_and_a_click_raises_the_window() {
    let (recorder, mut h) = three_photos(false, true);
    assert_eq!(recorder.texts(), vec!["3 photos uploaded".to_string()]);
    let click = recorder.shown.lock().unwrap()[0].1.take().unwrap();
    click();
    h.step();
    let commands = &h.output().viewport_output[&egui::ViewportId::ROOT].commands;
    assert!(
        commands.contains(&egui::ViewportCommand::Focus),
        "a click raises the window: {commands:?}"
    );
}

#[test]
fn a_batch_finished_in_front_does_not_notify() {
    let (recorder, _h) = three_photos(true, true);
    assert_eq!(recorder.texts(), Vec::<String>::new());
}

#[test]
fn the_setting_off_means_no_notification() {
    let (recorder, _h) = three_photos(false, false);
    assert_eq!(recorder.texts(), Vec::<String>::new());
}

/// Kills a process this test started when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const CHILD: &str = "it::gui_notify::sends_through_the_session_bus_in_a_child";

/// The interface of the signal that marks the end of what the monitor must have printed.
const MARK: &str = "wixup.Test";

#[test]
fn a_batch_finished_in_the_background_gives_one_notify_on_a_real_session_bus() {
    if !tools(&["dbus-daemon", "dbus-monitor", "dbus-send"], "dbus") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let mut daemon = Reaped(
        Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(daemon.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line.trim().to_string();
    assert!(address.starts_with("unix:"), "bus address: {address:?}");

    let log = dir.path().join("monitor.txt");
    let _monitor = Reaped(
        Command::new("dbus-monitor")
            .arg("--address")
            .arg(&address)
            .arg("interface='org.freedesktop.Notifications',member='Notify'")
            .arg(format!("interface='{MARK}'"))
            .stdout(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    // The monitor prints its own NameAcquired once it is connected and listening.
    wait_until_blocking("dbus-monitor to listen", Duration::from_secs(10), || {
        read(&log).contains("NameAcquired")
    });

    // The environment is process-wide: the sending runs in a child of this test binary.
    let status = Command::new(std::env::current_exe().unwrap())
        .args([CHILD, "--exact", "--ignored", "--test-threads=1"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("WIXUP_NOTIFY_CHILD", "1")
        .status()
        .unwrap();
    assert!(status.success(), "the child upload failed: {status}");
    // The child has exited, so it sends nothing more, and its Notify calls were answered (by the
    // bus: no notification server runs on it). A signal sent now reaches the monitor after them,
    // so once the monitor prints it, everything the child sent is in the log.
    let marked = Command::new("dbus-send")
        .arg(format!("--bus={address}"))
        .args(["--type=signal", "/"])
        .arg(format!("{MARK}.End"))
        .status()
        .unwrap();
    assert!(marked.success(), "dbus-send: {marked}");
    wait_until_blocking(
        "the monitor to print the end mark",
        Duration::from_secs(10),
        || read(&log).contains(&format!("interface={MARK}; member=End")),
    );
    let seen = read(&log);
    assert_eq!(
        seen.matches("member=Notify").count(),
        1,
        "exactly one notification on the bus:\n{seen}"
    );
    assert!(seen.contains("string \"Wixup\""), "{seen}");
    assert!(seen.contains("string \"3 photos uploaded\""), "{seen}");
}

/// Run only by the test above, with the private bus in its environment.
#[test]
#[ignore = "run by a_batch_finished_in_the_background_gives_one_notify_on_a_real_session_bus"]
fn sends_through_the_session_bus_in_a_child() {
    assert!(
        std::env::var_os("WIXUP_NOTIFY_CHILD").is_some(),
        "started by the real-bus test only (it sets a private DBUS_SESSION_BUS_ADDRESS)"
    );
    let (rt, env) = runtime_and_sandbox();
    let sender = Arc::new(Freedesktop::default());
    let mut h = three_photos_uploaded(&rt, &env, false, true, sender.clone());
    wait_until_blocking("the notification sent", Duration::from_secs(10), || {
        h.step();
        sender.attempts() >= 1
    });
    h.run_steps(5);
    assert_eq!(sender.attempts(), 1);
}
