//! "Keep the computer awake while uploading", against a stand-in `org.freedesktop.login1` on a
//! private bus (a real dbus-daemon): while a file sends, the engine holds one "sleep" inhibitor
//! in block mode; once nothing sends it lets go (the descriptor logind gave is closed); with
//! the setting off it asks for none, and turning it off while a file sends lets go at once. And
//! the system's word on the network (woke up, connected) reaches the app as a hint.

use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use egui_kittest::kittest::Queryable as _;
use wixup::awake::{Bus, KeepAwake};

use super::support::{Env, poll_until, random_file, start_and_add, stays_still, tools, wait_until};

/// What the stand-in was asked, and its end of each descriptor it handed out.
#[derive(Default)]
struct Recorded {
    calls: Vec<[String; 4]>,
    ends: Vec<UnixStream>,
}

struct Login1(Arc<Mutex<Recorded>>);

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Login1 {
    fn inhibit(
        &self,
        what: &str,
        who: &str,
        why: &str,
        mode: &str,
    ) -> zbus::fdo::Result<zbus::zvariant::OwnedFd> {
        let (ours, theirs) =
            UnixStream::pair().map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        ours.set_nonblocking(true)
            .map_err(|e| zbus::fdo::Error::Failed(e.to_string()))?;
        let mut r = self.0.lock().expect("lock");
        r.calls.push([what, who, why, mode].map(String::from));
        r.ends.push(ours);
        Ok(std::os::fd::OwnedFd::from(theirs).into())
    }
}

/// A dbus-daemon on a socket of the test's own, killed on drop.
struct PrivateBus {
    daemon: Child,
    address: String,
}

impl PrivateBus {
    fn start(dir: &std::path::Path) -> PrivateBus {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address"])
            .arg(format!("--address=unix:path={}", dir.join("bus").display()))
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon starts");
        let mut line = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("its address");
        PrivateBus {
            daemon,
            address: line.trim().to_string(),
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// The stand-in logind on `bus`, recording into `recorded`; it serves while kept.
async fn stand_in_logind(bus: &PrivateBus, recorded: &Arc<Mutex<Recorded>>) -> zbus::Connection {
    zbus::connection::Builder::address(bus.address.as_str())
        .expect("address")
        .name("org.freedesktop.login1")
        .expect("name")
        .serve_at("/org/freedesktop/login1", Login1(recorded.clone()))
        .expect("serve")
        .build()
        .await
        .expect("the stand-in logind is on the bus")
}

/// Whether the inhibitor behind `end` is still held: its other end is open (nothing to read
/// yet) rather than closed (end of file).
fn held(end: &UnixStream) -> bool {
    let mut b = [0u8; 1];
    match (&*end).read(&mut b) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleep_inhibitor_is_held_while_files_send_and_released_after() {
    if !tools(&["dbus-daemon"], "dbus") {
        return;
    }
    let env = Env::start().await;
    let bus = PrivateBus::start(env.dir.path());
    let recorded = Arc::new(Mutex::new(Recorded::default()));
    let _login1 = stand_in_logind(&bus, &recorded).await;
    let calls = || recorded.lock().expect("lock").calls.len();
    let is_held = |i: usize| held(&recorded.lock().expect("lock").ends[i]);

    // On: one inhibitor while the file sends, let go when it is done.
    let awake = KeepAwake::start(Bus::Address(bus.address.clone()), true);
    env.slow_patches(150);
    let file = random_file(&env.path("in"), "video.mov", 3 << 20);
    let mut cfg = env.engine_config("data");
    cfg.tus.chunk_size = wixup::tus::ChunkSize::Fixed(256 << 10);
    cfg.keep_awake = awake.clone();
    let (engine, mut events, ids) = start_and_add(cfg.clone(), vec![file]).await;
    wait_until("the inhibitor asked for", Duration::from_secs(20), || {
        calls() == 1
    })
    .await;
    assert_eq!(
        recorded.lock().expect("lock").calls[0],
        ["sleep", "Wixup", "Uploading files", "block"].map(String::from)
    );
    assert!(is_held(0), "held while the file sends");
    events.finish(&ids, 60).await[0].done();
    wait_until("the inhibitor let go", Duration::from_secs(10), || {
        !is_held(0)
    })
    .await;
    assert_eq!(calls(), 1, "one inhibitor for the whole send");
    engine.shutdown().await;

    // Turned off while a file sends: let go at once; no new one while off.
    let second = random_file(&env.path("in2"), "second.mov", 3 << 20);
    let (engine, mut events, ids) = start_and_add(cfg, vec![second]).await;
    wait_until("a second inhibitor", Duration::from_secs(20), || {
        calls() == 2
    })
    .await;
    awake.set_enabled(false);
    wait_until(
        "the setting turned off lets go",
        Duration::from_secs(10),
        || !is_held(1),
    )
    .await;
    events.finish(&ids, 60).await[0].done();
    engine.shutdown().await;
    assert_eq!(calls(), 2, "none asked for while off");
}

/// The window: a file dropped asks for the inhibitor; the setting unticked and saved while it
/// sends lets go at once, and the file still finishes.
#[test]
fn the_windows_setting_saved_while_a_file_sends_lets_go_of_the_inhibitor() {
    use super::support::gui::{
        done, drop_files, open_settings, runtime_and_sandbox, site_options, until, until_saved,
        window,
    };
    if !tools(&["dbus-daemon"], "dbus") {
        return;
    }
    let (rt, env) = runtime_and_sandbox();
    let bus = PrivateBus::start(env.dir.path());
    let recorded = Arc::new(Mutex::new(Recorded::default()));
    let _login1 = rt.block_on(stand_in_logind(&bus, &recorded));
    let data = env.path("app");
    let mut opts = site_options(&rt, &env, &data, Some(256 << 10));
    opts.login_bus = Bus::Address(bus.address.clone());
    let mut h = window(opts);
    env.slow_patches(60);
    let video = random_file(&env.path("in"), "clip.mov", 8 << 20);
    drop_files(&mut h, std::slice::from_ref(&video));
    let calls = || recorded.lock().expect("lock").calls.len();
    until(&mut h, "the inhibitor asked for", 20, |_| calls() == 1);
    assert!(held(&recorded.lock().expect("lock").ends[0]));

    open_settings(&mut h);
    h.get_by_label("Keep the computer awake while uploading")
        .click();
    h.run_steps(2);
    h.get_by_label("Save").click();
    until_saved(&mut h, &data, "\"keep_awake\": false");
    until(&mut h, "the inhibitor let go", 10, |_| {
        !held(&recorded.lock().expect("lock").ends[0])
    });
    env.sandbox.faults.clear();
    until(&mut h, "clip.mov to finish", 60, |a| done(a, "clip.mov"));
    assert_eq!(calls(), 1, "none asked for with the setting off");
}

/// The system's word on the network: logind's PrepareForSleep(false) (woke up) and
/// NetworkManager's StateChanged to connected reach the app as hints (every wait for the
/// network looks again at once); going to sleep and disconnecting are no hint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waking_up_and_connecting_are_hints_that_the_network_may_be_back() {
    if !tools(&["dbus-daemon"], "dbus") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bus = PrivateBus::start(dir.path());
    // Signals count only from the services' own names.
    let system = zbus::connection::Builder::address(bus.address.as_str())
        .expect("address")
        .name("org.freedesktop.login1")
        .expect("name")
        .name("org.freedesktop.NetworkManager")
        .expect("name")
        .build()
        .await
        .expect("a stand-in system on the bus");
    let (login1, nm) = (
        (
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
        ),
        (
            "/org/freedesktop/NetworkManager",
            "org.freedesktop.NetworkManager",
            "StateChanged",
        ),
    );
    let emit = async |(path, iface, name): (&str, &str, &str), body: Body| {
        let sent = match body {
            Body::Bool(b) => {
                system
                    .emit_signal(None::<zbus::names::BusName<'_>>, path, iface, name, &(b,))
                    .await
            }
            Body::U32(u) => {
                system
                    .emit_signal(None::<zbus::names::BusName<'_>>, path, iface, name, &(u,))
                    .await
            }
        };
        sent.expect("signal sent");
    };
    wixup::net_hints::watch(Bus::Address(bus.address.clone()));
    // Once the watch has subscribed, a wake-up is a hint (sent until one is seen).
    let start = wixup::retry::network_hints();
    'sent: for _ in 0..20 {
        emit(login1, Body::Bool(false)).await;
        // Delivered in milliseconds once subscribed: a second without it means it came before.
        if poll_until(Duration::from_secs(1), || {
            wixup::retry::network_hints() > start
        })
        .await
        .is_some()
        {
            break 'sent;
        }
    }
    let woke = wixup::retry::network_hints();
    assert!(woke > start, "waking up gave no hint");
    // Going to sleep and disconnecting (20) are none; connected (70) is one, and a wake-up after
    // it another. Signals from one sender arrive in order, so once both markers counted,
    // anything wrongly counted before them has too, or is about to (a local bus delivers in
    // milliseconds: half a second of quiet is ample).
    emit(login1, Body::Bool(true)).await;
    emit(nm, Body::U32(20)).await;
    emit(nm, Body::U32(70)).await;
    emit(login1, Body::Bool(false)).await;
    wait_until("the two hints", Duration::from_secs(10), || {
        wixup::retry::network_hints() >= woke + 2
    })
    .await;
    stays_still("the hint count", Duration::from_millis(500), || {
        wixup::retry::network_hints()
    })
    .await;
    assert_eq!(
        wixup::retry::network_hints(),
        woke + 2,
        "only connecting and waking up are hints"
    );
}

/// What a stand-in signal carries.
enum Body {
    Bool(bool),
    U32(u32),
}
