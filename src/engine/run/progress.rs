//! A job's view of its tus upload: progress forwarded to the scheduler (throttled) and the MD5 of
//! the file computed from the bytes as they stream, on a thread of its own.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use md5::Digest as _;

use crate::engine::job::JobId;
use crate::engine::report::{Report, Reports};
use crate::tus::{self, FileSource, Observer, Progress};

/// Forwards tus progress to the scheduler (throttled) and hashes the bytes as they stream.
pub(super) struct JobProgress {
    id: JobId,
    reports: Reports,
    last_sent_report: Mutex<Option<Instant>>,
    md5: StreamMd5,
    /// The MD5 of the bytes a one-PUT sent from memory: the file's, whatever it holds now.
    sent_md5: Mutex<Option<String>>,
}

/// The MD5 of the bytes as they stream, computed on its own thread: MD5 runs at about 700 MB/s
/// on one core, slower than a loopback or fast LAN upload, and on the reader thread it held up
/// reading and sending (two thirds of the client's CPU in a 1 GiB upload to the local sandbox).
/// The reader hands over shared buffers (no copy); a bounded queue keeps memory flat by making
/// the reader wait when hashing falls behind.
#[derive(Default)]
struct StreamMd5 {
    tx: Mutex<Option<SyncSender<(u64, Bytes)>>>,
    thread: Mutex<Option<JoinHandle<(md5::Md5, u64)>>>,
}

/// Buffers waiting to be hashed.
const MD5_QUEUE: usize = 8;

impl StreamMd5 {
    fn feed(&self, offset: u64, bytes: &Bytes) {
        // The send may wait for the hasher, so it happens after the lock is released.
        if let Some(sender) = self.sender() {
            let _ = sender.send((offset, bytes.clone()));
        }
    }

    /// The hashing thread's queue, started on first use; `None` if no thread could start (then
    /// nothing is hashed here and `JobProgress::finish_md5` reads the whole file).
    fn sender(&self) -> Option<SyncSender<(u64, Bytes)>> {
        let mut tx = self.tx.lock().ok()?;
        if tx.is_none() {
            let (sender, rx) = sync_channel::<(u64, Bytes)>(MD5_QUEUE);
            let spawned = std::thread::Builder::new()
                .name("wixup-md5".into())
                .spawn(move || {
                    let mut hasher = md5::Md5::new();
                    let mut upto = 0u64;
                    for (offset, bytes) in rx {
                        let end = offset + bytes.len() as u64;
                        // Only bytes that continue the hashed prefix count (resent ranges are
                        // skipped).
                        if offset <= upto && end > upto {
                            hasher.update(&bytes[(upto - offset) as usize..]);
                            upto = end;
                        }
                    }
                    (hasher, upto)
                });
            if let Ok(mut t) = self.thread.lock() {
                *t = Some(spawned.ok()?);
            }
            *tx = Some(sender);
        }
        tx.clone()
    }

    /// Ends the stream: the thread stops once it has hashed everything queued. Join the handle
    /// (off the async threads) for its state.
    fn stop(&self) -> Option<JoinHandle<(md5::Md5, u64)>> {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        self.thread.lock().ok().and_then(|mut t| t.take())
    }
}

impl JobProgress {
    pub(super) fn new(id: JobId, reports: Reports) -> Self {
        Self {
            id,
            reports,
            last_sent_report: Mutex::new(None),
            md5: StreamMd5::default(),
            sent_md5: Mutex::new(None),
        }
    }

    /// The file went up as a snapshot with this MD5: [`JobProgress::finish_md5`] answers it.
    pub(super) fn sent_snapshot(&self, md5: &str) {
        if let Ok(mut m) = self.sent_md5.lock() {
            *m = Some(md5.to_string());
        }
    }

    /// The file's MD5: a one-PUT's snapshot's, or what streamed in order plus whatever was not
    /// streamed (a resumed upload) read from disk.
    pub(super) async fn finish_md5(&self, file: &FileSource) -> std::io::Result<String> {
        if let Some(md5) = self.sent_md5.lock().ok().and_then(|m| m.clone()) {
            return Ok(md5);
        }
        let path: PathBuf = file.path.clone();
        let redactions = file.redactions.clone();
        let len = file.len;
        let streamed = self.md5.stop();
        tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            // A hasher that never started (or died) hashed nothing: the whole file is read below.
            let (mut hasher, upto) = streamed
                .and_then(|h| h.join().ok())
                .unwrap_or_else(|| (md5::Md5::new(), 0));
            if upto < len {
                crate::fs::hash_range(&mut hasher, &path, &redactions, upto, len - upto)?;
            }
            Ok(hex::encode(hasher.finalize()))
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

impl Observer for JobProgress {
    fn sent(&self, offset: u64) {
        let now = Instant::now();
        if let Ok(mut last) = self.last_sent_report.lock() {
            if last.is_some_and(|l| now.duration_since(l) < Duration::from_millis(50)) {
                return;
            }
            *last = Some(now);
        }
        let _ = self.reports.send(Report::Sent {
            id: self.id,
            offset,
        });
    }

    fn data(&self, offset: u64, bytes: &Bytes) {
        self.md5.feed(offset, bytes);
    }
}

impl Progress for JobProgress {
    fn acknowledged(&self, offset: u64) {
        let _ = self.reports.send(Report::Acknowledged {
            id: self.id,
            offset,
        });
    }

    fn retrying(&self, error: &tus::Error, attempt: usize, delay: Duration) {
        let _ = self.reports.send(Report::Retrying {
            id: self.id,
            attempt,
            delay,
            reason: error.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_md5_hashes_the_in_order_prefix_on_its_thread() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let part = |a: usize, b: usize| Bytes::copy_from_slice(&data[a..b]);
        let md5 = StreamMd5::default();
        md5.feed(0, &part(0, 30_000));
        md5.feed(10_000, &part(10_000, 50_000)); // a resent range overlapping the prefix
        md5.feed(20_000, &part(20_000, 40_000)); // wholly inside: skipped
        md5.feed(70_000, &part(70_000, 80_000)); // a gap: not part of the prefix
        let (hasher, upto) = md5.stop().expect("a hashing thread").join().unwrap();
        assert_eq!(upto, 50_000);
        assert_eq!(hasher.finalize(), md5::Md5::digest(&data[..50_000]));
        // Nothing streamed: no thread, and the caller hashes the whole file itself.
        assert!(StreamMd5::default().stop().is_none());
    }
}
