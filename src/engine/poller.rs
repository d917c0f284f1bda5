//! One poller for every file Wix is still processing: whoever waits for a file registers its id,
//! and a single task asks `get-files` about all the due ones together (at most
//! [`GET_FILES_MAX`] ids a call), each file on its own growing delay. A batch of 300 photos costs
//! a few calls a second at most, not 300; slow processing (minutes for a video) costs one id in a
//! shared call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::wix_media::{self, FileDescriptor, OperationStatus, WixMediaClient};

/// The most ids one `get-files` call names (Wix's cap is about 100).
pub const GET_FILES_MAX: usize = 100;

/// Rounds are at least this far apart: the files that fall due meanwhile are asked about
/// together at the next round, one call for all (at most four a second), and never before
/// they are due (a file asked about early is still processing, and waits its next delay).
const COALESCE: Duration = Duration::from_millis(250);

/// How a wait ends: the file READY or FAILED, or the error that stopped asking about it.
pub(super) type Answer = Result<FileDescriptor, Arc<wix_media::Error>>;

struct Watch {
    file_id: String,
    answer: oneshot::Sender<Answer>,
}

/// The handle workers wait through; the task ends when every handle is gone.
#[derive(Clone)]
pub(super) struct Poller {
    watches: mpsc::UnboundedSender<Watch>,
}

impl Poller {
    /// Starts the poller's task on the current runtime. `delays` are the waits before each
    /// successive poll of one file; the last one repeats.
    pub(super) fn spawn(wix: WixMediaClient, delays: Vec<Duration>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(wix, delays, rx));
        Poller { watches: tx }
    }

    /// Waits until Wix says the file is READY or FAILED (the caller bounds how long, and may
    /// drop this future at any time: the poller then forgets the file).
    pub(super) async fn wait(&self, file_id: &str) -> Answer {
        let (tx, rx) = oneshot::channel();
        let watch = Watch {
            file_id: file_id.to_string(),
            answer: tx,
        };
        if self.watches.send(watch).is_err() {
            return Err(stopped());
        }
        rx.await.unwrap_or_else(|_| Err(stopped()))
    }
}

/// Rounds in a row a file's status could not be had (transient failures, each already retried
/// by the transport) before its waiters are told.
const FAILED_ROUNDS: u32 = 3;

/// One file being waited for (several waiters of one id share it).
struct Pending {
    waiters: Vec<oneshot::Sender<Answer>>,
    polls: usize,
    due: Instant,
    /// Rounds in a row that failed for it.
    failed: u32,
}

/// What one round learned about a file.
enum Heard {
    /// READY, FAILED, or an error that will not go away (gone, no access): the wait ends.
    Settled(Box<Answer>),
    /// Still processing.
    Processing,
    /// Nothing, this time (the call failed even after its retries).
    Nothing(Arc<wix_media::Error>),
}

async fn run(wix: WixMediaClient, delays: Vec<Duration>, mut rx: mpsc::UnboundedReceiver<Watch>) {
    // The wait before poll `polls + 1`: the first after the first delay (the caller has
    // just been told the file is processing), the last delay repeating.
    let delay_after = |polls: usize| {
        delays
            .get(polls)
            .or(delays.last())
            .copied()
            .unwrap_or(Duration::from_secs(1))
    };
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut next_round = Instant::now();
    loop {
        let next_due = pending
            .values()
            .map(|p| p.due)
            .min()
            .map(|due| due.max(next_round));
        let watch = match next_due {
            Some(due) => tokio::select! {
                w = rx.recv() => w,
                _ = tokio::time::sleep_until(due.into()) => None,
            },
            None => match rx.recv().await {
                Some(w) => Some(w),
                None => return,
            },
        };
        if let Some(w) = watch {
            // The first poll comes after the first delay, then on the next ones.
            let due = Instant::now() + delay_after(0);
            pending
                .entry(w.file_id)
                .or_insert_with(|| Pending {
                    waiters: Vec::new(),
                    polls: 0,
                    due,
                    failed: 0,
                })
                .waiters
                .push(w.answer);
            continue;
        }
        // Waiters that gave up (paused, cancelled, timed out) are forgotten.
        pending.retain(|_, p| {
            p.waiters.retain(|w| !w.is_closed());
            !p.waiters.is_empty()
        });
        let now = Instant::now();
        let mut due: Vec<String> = pending
            .iter()
            .filter(|(_, p)| p.due <= now)
            .map(|(id, _)| id.clone())
            .collect();
        if due.is_empty() {
            continue;
        }
        next_round = now + COALESCE;
        due.sort_by_key(|id| pending.get(id).map(|p| p.due));
        for ids in due.chunks(GET_FILES_MAX) {
            let answers = ask(&wix, ids).await;
            for (id, heard) in answers {
                let settled = match heard {
                    Heard::Settled(answer) => Some(*answer),
                    Heard::Processing => {
                        if let Some(p) = pending.get_mut(&id) {
                            p.failed = 0;
                        }
                        None
                    }
                    Heard::Nothing(e) => pending.get_mut(&id).and_then(|p| {
                        p.failed += 1;
                        (p.failed >= FAILED_ROUNDS).then_some(Err(e))
                    }),
                };
                match settled {
                    Some(answer) => {
                        if let Some(p) = pending.remove(&id) {
                            for w in p.waiters {
                                let _ = w.send(answer.clone());
                            }
                        }
                    }
                    None => {
                        if let Some(p) = pending.get_mut(&id) {
                            p.polls += 1;
                            p.due = Instant::now() + delay_after(p.polls);
                        }
                    }
                }
            }
        }
    }
}

/// What one round learned about each id. A call refused for good (a 4xx: one odd id can
/// spoil a batch) is asked again id by id, so each file gets its own answer; a call that failed
/// for now says nothing, and the files are asked about again on their next round.
async fn ask(wix: &WixMediaClient, ids: &[String]) -> Vec<(String, Heard)> {
    let files = match wix.get_files(ids).await {
        Ok(files) => files,
        Err(e)
            if e.status()
                .is_some_and(|s| (400..500).contains(&s) && s != 429) =>
        {
            Vec::new()
        }
        Err(e) => {
            let e = Arc::new(e);
            return ids
                .iter()
                .map(|id| (id.clone(), Heard::Nothing(e.clone())))
                .collect();
        }
    };
    let mut by_id: HashMap<&str, &FileDescriptor> =
        files.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let heard = match by_id.remove(id.as_str()) {
            Some(f) => heard(Ok(f.clone())),
            // Left out of the answer: asked alone, Wix says why (gone, no access) or that it
            // is there after all.
            None => heard(wix.get_file(id).await),
        };
        out.push((id.clone(), heard));
    }
    out
}

fn heard(r: Result<FileDescriptor, wix_media::Error>) -> Heard {
    match r {
        Ok(f) if settled(&f) => Heard::Settled(Box::new(Ok(f))),
        Ok(_) => Heard::Processing,
        Err(e) if e.is_retryable() => Heard::Nothing(Arc::new(e)),
        Err(e) => Heard::Settled(Box::new(Err(Arc::new(e)))),
    }
}

fn settled(f: &FileDescriptor) -> bool {
    matches!(
        f.operation_status,
        Some(OperationStatus::Ready | OperationStatus::Failed)
    )
}

fn stopped() -> Arc<wix_media::Error> {
    Arc::new(wix_media::Error::BadResponse("the poller stopped".into()))
}
