//! A network that went away (a closed laptop lid, Wi-Fi off, a router restarting) fails no file.
//! A job whose worker gave up because nothing could be reached (no connection, or a transfer
//! that stalled) is parked, not failed, while a probe tries to open a connection to the site (or
//! to the proxy in front of it):
//!
//! - the probe's first try, at once, connects: the network is there (or was gone for less than
//!   that blip); the job tries again, and when that fails the same way with the network still
//!   there, the server is what failed (it drops connections, say), so it fails as before;
//! - it does not: the network is gone. The jobs wait, queued and held, their rows saying
//!   "Waiting for the network…", and the probe tries every second. When a connection opens,
//!   every parked job is let go at once, with fresh retries and its bytes on the server kept.
//!
//! A job waits at most 15 minutes from its first park; after that it fails as before.
//! The scheduler's side (parking, letting go) is in `reports.rs`; this is the state and probe.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::engine::job::{JobError, JobId};
use crate::retry::Beacon;

/// How long a job waits for the network before it fails.
const OUTAGE_BUDGET: Duration = Duration::from_secs(15 * 60);
/// After the network came back, failures for want of a connection are not blamed on the
/// server for this long.
const AFTER_OUTAGE: Duration = Duration::from_secs(60);

/// What the row says while a job waits.
pub const WAITING: &str =
    "Waiting for the network… the upload goes on by itself when the connection is back";

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Probed {
    /// Its first try failed: the network is gone (the rows say so from now on).
    Gone,
    /// Its first try connected: the network is there; what failed was the server.
    NeverGone,
    /// It connected after the network was found gone.
    Back,
}

/// One job's waits for the network.
struct Parked {
    /// Its first park: it waits at most [`OUTAGE_BUDGET`] from there.
    first: Instant,
    /// The error it would fail with, while parked now.
    error: Option<JobError>,
    /// It went through an outage already: the first requests after one may meet connections
    /// the outage cut, so a failure then is no proof the server is at fault.
    outage_seen: bool,
    /// Probes that found the network there since its last outage: the first may only have
    /// missed a blip shorter than the probe's first try; a second in a row blames the server.
    never_gone: u8,
}

/// Jobs parked until the network is back, and the probe.
#[derive(Default)]
pub(super) struct Outage {
    /// Each job parked since it last ended well.
    parked: HashMap<JobId, Parked>,
    probing: Option<tokio::task::JoinHandle<()>>,
    /// The probe found the network gone, and it is not back yet.
    pub(super) gone: bool,
    /// When the network last came back: for a while after, connections the outage cut still
    /// fail requests, which proves nothing about the server.
    last_back: Option<Instant>,
    /// Where the probe says what it found.
    pub(super) probed_tx: Option<mpsc::UnboundedSender<Probed>>,
    /// What the probe connects to: the site's API host, or the proxy in front of it.
    target: Option<Beacon>,
}

impl Outage {
    /// An outage watch whose probe connects to `target`.
    pub(super) fn new(target: Option<Beacon>) -> Outage {
        Outage {
            target,
            ..Outage::default()
        }
    }

    /// Parks `id`, which failed with `error` for want of a connection, and makes sure a probe
    /// runs; `false` when it may not wait (any more) and should fail.
    pub(super) fn park(&mut self, id: JobId, error: &JobError) -> bool {
        let now = Instant::now();
        let allowed = error.offline
            && self.target.is_some()
            && self
                .parked
                .get(&id)
                .is_none_or(|p| now.duration_since(p.first) < OUTAGE_BUDGET);
        if !allowed {
            return false;
        }
        let entry = self.parked.entry(id).or_insert(Parked {
            first: now,
            error: None,
            outage_seen: false,
            never_gone: 0,
        });
        entry.error = Some(error.clone());
        self.probe();
        true
    }

    fn probe(&mut self) {
        if self.probing.as_ref().is_some_and(|p| !p.is_finished()) {
            return;
        }
        let (Some(target), Some(tx)) = (self.target.clone(), self.probed_tx.clone()) else {
            return;
        };
        self.probing = Some(tokio::spawn(async move {
            let mut gone = false;
            loop {
                if target.reachable().await {
                    let _ = tx.send(if gone {
                        Probed::Back
                    } else {
                        Probed::NeverGone
                    });
                    return;
                }
                if !gone {
                    let _ = tx.send(Probed::Gone);
                }
                gone = true;
                Beacon::next_look().await;
            }
        }));
    }

    /// The jobs parked now, as the probe found: each with the error to fail with when the
    /// network was there all along (and the job never saw an outage), else `None` (it goes on).
    /// Their first park time is kept until they end well.
    pub(super) fn let_go(&mut self, found: Probed) -> Vec<(JobId, Option<JobError>)> {
        self.probing = None;
        self.gone = false;
        let now = Instant::now();
        if found == Probed::Back {
            self.last_back = Some(now);
        }
        let recent = self
            .last_back
            .is_some_and(|t| now.duration_since(t) < AFTER_OUTAGE);
        self.parked
            .iter_mut()
            .filter_map(|(id, p)| {
                let error = p.error.take()?;
                match found {
                    Probed::NeverGone => p.never_gone += 1,
                    _ => {
                        p.outage_seen = true;
                        p.never_gone = 0;
                    }
                }
                let fail = p.never_gone >= 2 && !p.outage_seen && !recent;
                Some((*id, fail.then_some(error)))
            })
            .collect()
    }

    /// The jobs waiting now.
    pub(super) fn waiting(&self) -> Vec<JobId> {
        self.parked
            .iter()
            .filter(|(_, p)| p.error.is_some())
            .map(|(id, _)| *id)
            .collect()
    }

    /// A job ended well (or failed for good): its waiting is over.
    pub(super) fn forget(&mut self, id: JobId) {
        self.parked.remove(&id);
    }
}
