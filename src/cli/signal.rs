//! Ctrl+C, SIGTERM and SIGHUP (the terminal closed) for the long-running commands (`upload`,
//! `resume`, `serve`): each stops them the same way.

/// Ctrl+C, SIGTERM or SIGHUP, registered when this is made: a signal that arrives while the caller is
/// busy (handling an event, writing a line) is kept until the next [`ShutdownSignal::recv`],
/// never missed. `recv` is cancel-safe, so it can sit in a `select!` loop.
pub struct ShutdownSignal {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    /// The terminal closed: without a handler it would kill the process before it says what
    /// finished.
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignal {
    pub fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
                hangup: signal(SignalKind::hangup()).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Waits for the next signal (or one that came since the last call).
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = next(&mut self.interrupt) => {}
                _ = next(&mut self.terminate) => {}
                _ = next(&mut self.hangup) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

impl Default for ShutdownSignal {
    fn default() -> Self {
        Self::new()
    }
}

/// Waits for Ctrl+C, SIGTERM or SIGHUP (registered when first polled).
pub async fn shutdown_signal() {
    ShutdownSignal::new().recv().await
}

/// What a stopped `upload` says. `queued_all`: the engine had queued every file asked for (a
/// folder is queued a batch at a time while it is read, and `resume` knows only those).
pub(super) fn stopped(queued_all: bool) -> &'static str {
    if queued_all {
        "Stopped. Unfinished uploads continue with `wixup resume`."
    } else {
        "Stopped before every file was queued: `wixup resume` continues only those that were. Run the same `wixup upload` again to queue the rest (what is already on your site is not sent again)."
    }
}
