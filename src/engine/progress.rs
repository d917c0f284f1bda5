//! A job's view of its tus upload: progress forwarded to the scheduler (throttled) and the MD5 of
//! the file computed from the bytes as they stream.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use md5::Digest as _;

use super::job::JobId;
use super::worker::{Report, Reports};
use crate::tus::{self, FileSource, Progress};

/// Forwards tus progress to the scheduler (throttled) and hashes the bytes as they stream.
pub(super) struct JobProgress {
    id: JobId,
    reports: Reports,
    last_sent_report: Mutex<Option<Instant>>,
    md5: Mutex<(md5::Md5, u64)>,
    acknowledged: AtomicU64,
}

impl JobProgress {
    pub(super) fn new(id: JobId, reports: Reports) -> Self {
        Self {
            id,
            reports,
            last_sent_report: Mutex::new(None),
            md5: Mutex::new((md5::Md5::new(), 0)),
            acknowledged: AtomicU64::new(0),
        }
    }

    /// The file's MD5: what streamed in order, plus whatever was not streamed (a resumed upload)
    /// read from disk.
    pub(super) async fn finish_md5(&self, file: &FileSource) -> std::io::Result<String> {
        let (hasher, upto) = match self.md5.lock() {
            Ok(mut g) => std::mem::replace(&mut *g, (md5::Md5::new(), 0)),
            Err(_) => (md5::Md5::new(), 0),
        };
        let path: PathBuf = file.path.clone();
        let len = file.len;
        tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut hasher = hasher;
            if upto < len {
                let mut f = std::fs::File::open(path)?;
                f.seek(SeekFrom::Start(upto))?;
                let mut f = f.take(len - upto);
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buf[..n]);
                }
            }
            Ok(hex(&hasher.finalize()))
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Progress for JobProgress {
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

    fn acknowledged(&self, offset: u64) {
        self.acknowledged.fetch_max(offset, Ordering::Relaxed);
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

    fn data(&self, offset: u64, bytes: &[u8]) {
        if let Ok(mut g) = self.md5.lock() {
            let (hasher, upto) = &mut *g;
            let end = offset + bytes.len() as u64;
            // Only bytes that continue the hashed prefix count (resent ranges are skipped).
            if offset <= *upto && end > *upto {
                let skip = (*upto - offset) as usize;
                hasher.update(&bytes[skip..]);
                *upto = end;
            }
        }
    }
}
