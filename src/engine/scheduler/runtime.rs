//! What the actor is doing with a job right now: one enum, never journaled. A job is idle, held,
//! being checked, prepared ahead of a slot, running, or stopping, and never two of these at
//! once: a stopped worker can no longer look "preparing", and a file being hashed for the
//! duplicate check can no longer be taken for a job the journal held back.

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// A job's runtime state. The job table moves it only along [`Runtime::can_become`].
#[derive(Debug)]
pub(super) enum Runtime {
    /// Nothing runs for it: it waits for a slot (queued), or for a command (paused, finished).
    Idle,
    /// A journal job left as it was at start (`StartMode::Hold`: `wixup upload` runs only the
    /// files it is given) until its file is added again or a command touches it.
    Held,
    /// Its file is being hashed and looked for on the site (an earlier upload of the same
    /// bytes); the answer of check number `seq` comes back as `Checked` (an answer to an
    /// earlier check, stopped since, is not this one's).
    Checking { seq: u64 },
    /// A worker prepares it ahead of a free slot (the upload URL; for tus, the creation), its
    /// job still queued; it sends once `gate` is opened.
    Preparing {
        cancel: CancellationToken,
        gate: oneshot::Sender<()>,
        /// A one-PUT URL was handed to this worker while it prepared: no PUT used it yet.
        fresh_plain: bool,
    },
    /// A worker sends it, finalizes it or waits for Wix to process it.
    Running { cancel: CancellationToken },
    /// Its worker was told to stop (pause, cancel, shutdown) and has not ended yet: no gate
    /// opens and no second worker starts until it has.
    Stopping {
        /// It was stopped while preparing: its gate never opened, so no PUT used a one-PUT
        /// URL handed to it.
        preparing: bool,
        /// It was handed such a URL.
        fresh_plain: bool,
    },
}

/// The runtime states by name, for the transition rules and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Idle,
    Held,
    Checking,
    Preparing,
    Running,
    Stopping,
}

/// How a job's worker ended, as far as the actor's view of it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    /// It was still preparing (its job queued): it never sent.
    Preparing { fresh_plain: bool },
    /// It ran its job: its outcome is the job's.
    Running,
    /// A command stopped it: the command already set the job's state.
    Stopped { fresh_plain: bool },
}

impl Runtime {
    pub(super) fn kind(&self) -> Kind {
        match self {
            Runtime::Idle => Kind::Idle,
            Runtime::Held => Kind::Held,
            Runtime::Checking { .. } => Kind::Checking,
            Runtime::Preparing { .. } => Kind::Preparing,
            Runtime::Running { .. } => Kind::Running,
            Runtime::Stopping { .. } => Kind::Stopping,
        }
    }

    /// A worker exists for it (preparing, running or stopping).
    pub(super) fn has_worker(&self) -> bool {
        matches!(
            self.kind(),
            Kind::Preparing | Kind::Running | Kind::Stopping
        )
    }

    /// Tells its worker, if any, to stop; what it becomes.
    pub(super) fn stopped(self) -> Runtime {
        match self {
            Runtime::Preparing {
                cancel,
                fresh_plain,
                ..
            } => {
                cancel.cancel();
                Runtime::Stopping {
                    preparing: true,
                    fresh_plain,
                }
            }
            Runtime::Running { cancel } => {
                cancel.cancel();
                Runtime::Stopping {
                    preparing: false,
                    fresh_plain: false,
                }
            }
            stopping @ Runtime::Stopping { .. } => stopping,
            // A check's answer, or a hold, no longer applies.
            Runtime::Idle | Runtime::Held | Runtime::Checking { .. } => Runtime::Idle,
        }
    }

    /// What its worker's end means (`None`: it had no worker, a stale report).
    pub(super) fn ended(&self) -> Option<Ended> {
        match self {
            Runtime::Preparing { fresh_plain, .. } => Some(Ended::Preparing {
                fresh_plain: *fresh_plain,
            }),
            Runtime::Running { .. } => Some(Ended::Running),
            Runtime::Stopping { fresh_plain, .. } => Some(Ended::Stopped {
                fresh_plain: *fresh_plain,
            }),
            Runtime::Idle | Runtime::Held | Runtime::Checking { .. } => None,
        }
    }
}

impl Kind {
    /// The moves the actor makes. Stopping is reached only through [`Runtime::stopped`], and
    /// left only when the worker ends.
    pub(super) fn can_become(self, to: Kind) -> bool {
        use Kind::*;
        matches!(
            (self, to),
            (Idle, Held | Checking | Preparing | Running)
                | (Held | Checking, Idle)
                | (Preparing, Running | Stopping | Idle)
                | (Running, Stopping | Idle)
                | (Stopping, Idle)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Kind::*;
    use super::*;

    #[test]
    fn the_moves_the_actor_makes() {
        assert!(Idle.can_become(Checking) && Checking.can_become(Idle));
        assert!(Idle.can_become(Preparing) && Preparing.can_become(Running));
        assert!(Preparing.can_become(Stopping) && Stopping.can_become(Idle));
        // A stopped worker is never given a slot, nor a second worker started beside it.
        assert!(!Stopping.can_become(Running) && !Stopping.can_become(Preparing));
        // A job being checked or held is never started without leaving that state first.
        assert!(!Checking.can_become(Running) && !Held.can_become(Preparing));
        assert!(!Running.can_become(Preparing) && !Held.can_become(Checking));
    }

    #[test]
    fn stopping_cancels_the_worker_and_remembers_an_unused_url() {
        let cancel = CancellationToken::new();
        let (gate, _rx) = oneshot::channel();
        let preparing = Runtime::Preparing {
            cancel: cancel.clone(),
            gate,
            fresh_plain: true,
        };
        let stopped = preparing.stopped();
        assert!(cancel.is_cancelled());
        assert_eq!(stopped.ended(), Some(Ended::Stopped { fresh_plain: true }));
        assert_eq!(Runtime::Checking { seq: 1 }.stopped().kind(), Idle);
        assert_eq!(Runtime::Held.ended(), None);
    }
}
