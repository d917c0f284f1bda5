//! The system's own word on the network, where it has one: logind's `PrepareForSleep(false)`
//! (the computer woke up) and NetworkManager's `StateChanged` to connected (site or global).
//! Either makes every wait for the network ([`crate::retry::network_hint`]) look again at once,
//! rather than at its next second. They are hints: the connection to the site is what decides
//! (an OS says "connected" behind a captive portal too), so nothing waits on them.
//!
//! Where there is no system bus (macOS, Windows, a container), the watch ends quietly.

use crate::awake::Bus;

/// NetworkManager's `NM_STATE_CONNECTED_SITE`: connected, maybe without the internet yet.
const NM_CONNECTED_SITE: u32 = 60;

/// Watches `bus` for the system's hints, in a task on the current runtime, for the process's
/// life. Started once per process for the system bus (later calls do nothing).
pub fn watch(bus: Bus) {
    static STARTED: std::sync::Once = std::sync::Once::new();
    match bus {
        Bus::System => STARTED.call_once(|| {
            tokio::spawn(listen(Bus::System));
        }),
        other => {
            tokio::spawn(listen(other));
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
async fn listen(bus: Bus) {
    use futures_util::StreamExt as _;
    let conn = match &bus {
        Bus::System => zbus::Connection::system().await,
        Bus::Address(a) => match zbus::connection::Builder::address(a.as_str()) {
            Ok(b) => b.build().await,
            Err(e) => Err(e),
        },
    };
    let conn = match conn {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(error = %e, "no system bus: the network is watched by probes alone");
            return;
        }
    };
    // Only from the services themselves (their bus names and objects): any local process may
    // send a signal on the system bus.
    let rule = |sender: &'static str, path: &'static str, interface: &'static str, member| {
        zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .sender(sender)
            .and_then(|b| b.path(path))
            .and_then(|b| b.interface(interface))
            .and_then(|b| b.member(member))
            .map(|b| b.build())
    };
    let (Ok(sleep), Ok(nm)) = (
        rule(
            "org.freedesktop.login1",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
        ),
        rule(
            "org.freedesktop.NetworkManager",
            "/org/freedesktop/NetworkManager",
            "org.freedesktop.NetworkManager",
            "StateChanged",
        ),
    ) else {
        return;
    };
    let (Ok(sleep), Ok(nm)) = (
        zbus::MessageStream::for_match_rule(sleep, &conn, None).await,
        zbus::MessageStream::for_match_rule(nm, &conn, None).await,
    ) else {
        tracing::debug!("cannot watch the system's network signals");
        return;
    };
    let mut signals = futures_util::stream::select(
        sleep.map(|m| m.map(Signal::Sleep)),
        nm.map(|m| m.map(Signal::Network)),
    );
    while let Some(signal) = signals.next().await {
        let back = match signal {
            Ok(Signal::Sleep(m)) => m.body().deserialize::<bool>().is_ok_and(|going| !going),
            Ok(Signal::Network(m)) => m
                .body()
                .deserialize::<u32>()
                .is_ok_and(|state| state >= NM_CONNECTED_SITE),
            Err(_) => false,
        };
        if back {
            tracing::debug!("the system says the network may be back");
            crate::retry::network_hint();
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
enum Signal {
    Sleep(zbus::Message),
    Network(zbus::Message),
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
async fn listen(_bus: Bus) {}
