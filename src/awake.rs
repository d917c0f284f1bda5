//! "Keep the computer awake while uploading": while files send, the app holds a logind "sleep"
//! inhibitor (`org.freedesktop.login1.Manager.Inhibit("sleep", "Wixup", …, "block")` on the
//! system bus), and lets go of it as soon as nothing sends, or when the setting is turned off.
//! logind keeps an inhibitor as long as its file descriptor is open: dropping the descriptor is
//! the release, and a crashed app releases it by dying.
//!
//! The engine says whether anything sends ([`KeepAwake::sending`]); the window says whether the
//! setting is on ([`KeepAwake::set_enabled`]). Neither waits: a task on the runtime talks to the
//! bus. Where there is no logind (macOS, Windows, a container without a system bus), the first
//! try says so once in the log and nothing else changes.

use tokio::sync::watch;

/// The handle the engine and the window share; cheap to clone. The default does nothing.
#[derive(Clone, Default)]
pub struct KeepAwake {
    wants: Option<watch::Sender<Wants>>,
}

impl std::fmt::Debug for KeepAwake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.wants {
            None => write!(f, "KeepAwake(off)"),
            Some(w) => write!(f, "KeepAwake({:?})", *w.borrow()),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Wants {
    enabled: bool,
    sending: bool,
}

impl Wants {
    fn hold(self) -> bool {
        self.enabled && self.sending
    }
}

/// Which bus logind is on.
#[derive(Debug, Clone)]
pub enum Bus {
    /// The system bus (`DBUS_SYSTEM_BUS_ADDRESS`, else its usual socket).
    System,
    /// A bus at this address (tests run a stand-in logind on a private bus).
    Address(String),
}

impl KeepAwake {
    /// Talks to logind on `bus` from a task on the current runtime; `enabled` is the setting.
    pub fn start(bus: Bus, enabled: bool) -> KeepAwake {
        let (tx, rx) = watch::channel(Wants {
            enabled,
            sending: false,
        });
        tokio::spawn(holder(bus, rx));
        KeepAwake { wants: Some(tx) }
    }

    /// Whether any file is sending now (the engine, after every change).
    pub fn sending(&self, sending: bool) {
        if let Some(w) = &self.wants {
            w.send_if_modified(|s| std::mem::replace(&mut s.sending, sending) != sending);
        }
    }

    /// The setting, as saved: off lets go of a held inhibitor at once.
    pub fn set_enabled(&self, enabled: bool) {
        if let Some(w) = &self.wants {
            w.send_if_modified(|s| std::mem::replace(&mut s.enabled, enabled) != enabled);
        }
    }

    /// The setting as last given.
    pub fn enabled(&self) -> bool {
        self.wants.as_ref().is_some_and(|w| w.borrow().enabled)
    }
}

/// Holds the inhibitor while `wants` says so; ends when every handle is gone.
async fn holder(bus: Bus, mut wants: watch::Receiver<Wants>) {
    let mut held: Option<Held> = None;
    let mut said_unavailable = false;
    loop {
        let hold = wants.borrow_and_update().hold();
        match (hold, held.is_some()) {
            (true, false) => match inhibit(&bus).await {
                Ok(h) => {
                    tracing::debug!("holding a sleep inhibitor while files send");
                    held = Some(h);
                }
                Err(e) if !said_unavailable => {
                    said_unavailable = true;
                    tracing::info!(error = %e, "cannot ask the system not to sleep (no logind)");
                }
                Err(_) => {}
            },
            (false, true) => {
                held = None;
                tracing::debug!("sleep inhibitor released");
            }
            _ => {}
        }
        if wants.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
type Held = (zbus::Connection, zbus::zvariant::OwnedFd);
#[cfg(not(all(unix, not(target_os = "macos"))))]
type Held = ();

#[cfg(all(unix, not(target_os = "macos")))]
async fn inhibit(bus: &Bus) -> Result<Held, String> {
    let conn = match bus {
        Bus::System => zbus::Connection::system().await,
        Bus::Address(a) => match zbus::connection::Builder::address(a.as_str()) {
            Ok(b) => b.build().await,
            Err(e) => Err(e),
        },
    }
    .map_err(|e| e.to_string())?;
    let reply = conn
        .call_method(
            Some("org.freedesktop.login1"),
            "/org/freedesktop/login1",
            Some("org.freedesktop.login1.Manager"),
            "Inhibit",
            &("sleep", "Wixup", "Uploading files", "block"),
        )
        .await
        .map_err(|e| e.to_string())?;
    let fd: zbus::zvariant::OwnedFd = reply.body().deserialize().map_err(|e| e.to_string())?;
    Ok((conn, fd))
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn inhibit(_bus: &Bus) -> Result<Held, String> {
    Err("logind is a Linux service".into())
}
