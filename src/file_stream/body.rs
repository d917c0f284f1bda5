//! Request bodies that stream a file range from disk.
//!
//! A reader on the blocking pool reads ahead into a small bounded queue of 256 KiB buffers, so
//! disk reads overlap socket writes and memory stays flat whatever the file size. The reader also
//! feeds the [`Observer::data`] tap and, when asked, a [`Trailer`] (the tus checksum), so hashing
//! costs no second pass over the file and never runs on the async threads.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;
use reqwest::header::HeaderMap;
use tokio::sync::mpsc;

use super::observer::Observer;
use super::redact::Redactions;
use super::state::StreamState;

/// Bytes per read and per body frame. Small enough that a buffer is still in the CPU's L2
/// cache (512 KiB per core here) when the socket copies it: with 1 MiB buffers the copy came from
/// L3 and a loopback upload to the sandbox ran 3–8 % slower (`ab` runs of `cargo bench --bench
/// upload`'s contenders, 8 rounds: 0.89–0.96× raw PATCH with 1 MiB, 0.97–0.99× with 256 KiB).
pub(super) const BUF: usize = 256 * 1024;
/// Buffers read ahead of the socket (2 MiB).
const QUEUE: usize = 8;
/// Buffers kept for reuse: the read-ahead queue, the ones the connection and an [`Observer::data`]
/// observer (the engine's MD5 thread) still hold, and one being filled.
const POOLED: usize = 2 * QUEUE + 4;

/// What follows the data of a body: HTTP trailers computed from the bytes as they are read
/// (the tus checksum). Runs on the reader thread.
pub trait Trailer: Send + 'static {
    fn update(&mut self, bytes: &[u8]);
    /// The trailers, once every byte went through [`Trailer::update`].
    fn finish(self: Box<Self>) -> std::io::Result<HeaderMap>;
}

enum Msg {
    Data(Bytes),
    /// The range is complete; the trailers when a [`Trailer`] was given.
    Done(Option<std::io::Result<HeaderMap>>),
    Failed(std::io::Error),
}

/// A body streaming `len` bytes of `path` from `offset`, overwritten by `redactions`, telling
/// `progress` as bytes are read and sent. With `trailer`, its trailers are sent after the data
/// (chunked).
pub fn range_body<O: Observer + ?Sized + 'static>(
    path: PathBuf,
    redactions: Redactions,
    offset: u64,
    len: u64,
    trailer: Option<Box<dyn Trailer>>,
    progress: Arc<O>,
    throttle: &super::Throttle,
) -> (reqwest::Body, Arc<StreamState>) {
    let state = StreamState::new(offset);
    let (tx, rx) = mpsc::channel(QUEUE);
    let reader_progress = progress.clone();
    tokio::task::spawn_blocking(move || {
        read_ahead(path, redactions, offset, len, trailer, reader_progress, tx)
    });
    let body = RangeBody {
        rx,
        offset,
        remaining: len,
        state: state.clone(),
        progress,
        finished: false,
    };
    let body = super::throttle::Throttled::new(body, throttle.clone(), state.clone());
    (reqwest::Body::wrap(body), state)
}

/// Buffers going back and forth between the reader and the connection. Reusing them keeps their
/// pages mapped: a fresh large allocation freed on another thread is returned to the OS and
/// faulted in again, which costs more system time than the copy itself. A buffer is zeroed once,
/// when first allocated, and then always read into at full length: `read_to_end` on a fresh
/// capacity starts with 8 KiB reads and doubles, which made every buffer cost six system calls.
#[derive(Clone, Default)]
struct Pool(Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl Pool {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| vec![0; BUF])
    }
}

/// A buffer handed to the connection as `Bytes` (its first `len` bytes); it goes back to its pool
/// when dropped.
struct Pooled {
    buf: Vec<u8>,
    len: usize,
    pool: Pool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Ok(mut p) = self.pool.0.lock()
            && p.len() < POOLED
        {
            p.push(std::mem::take(&mut self.buf));
        }
    }
}

/// Fills `buf` from `r` until it is full or the reader ends; returns how many bytes it holds.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads the range into the queue until done, failed, or the body was dropped.
fn read_ahead<O: Observer + ?Sized>(
    path: PathBuf,
    redactions: Redactions,
    offset: u64,
    len: u64,
    mut hasher: Option<Box<dyn Trailer>>,
    progress: Arc<O>,
    tx: mpsc::Sender<Msg>,
) {
    let pool = Pool::default();
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::open(&path)?;
        f.seek(SeekFrom::Start(offset))?;
        let mut f = f.take(len);
        let mut at = offset;
        loop {
            let mut buf = pool.take();
            let filled = fill(&mut f, &mut buf)?;
            if filled == 0 {
                return Ok(());
            }
            redactions.apply(at, &mut buf[..filled]);
            if let Some(h) = &mut hasher {
                h.update(&buf[..filled]);
            }
            let bytes = Bytes::from_owner(Pooled {
                buf,
                len: filled,
                pool: pool.clone(),
            });
            progress.data(at, &bytes);
            at += filled as u64;
            if tx.blocking_send(Msg::Data(bytes)).is_err() {
                return Ok(()); // the request was dropped
            }
        }
    })();
    let last = match result {
        Ok(()) => Msg::Done(hasher.map(|h| h.finish())),
        Err(e) => Msg::Failed(e),
    };
    let _ = tx.blocking_send(last);
}

/// Feeds `len` bytes of `path` from `offset`, overwritten by `redactions`, to `f`, in buffers,
/// and fails when the file ends before the range does. Blocking: run it on the blocking pool.
pub fn fold_range(
    path: &std::path::Path,
    redactions: &Redactions,
    offset: u64,
    len: u64,
    mut f: impl FnMut(&[u8]),
) -> std::io::Result<()> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut file = file.take(len);
    let mut buf = vec![0u8; BUF];
    let mut total = 0u64;
    loop {
        let n = fill(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        redactions.apply(offset + total, &mut buf[..n]);
        total += n as u64;
        f(&buf[..n]);
    }
    if total < len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "file ended early",
        ));
    }
    Ok(())
}

struct RangeBody<O: ?Sized> {
    rx: mpsc::Receiver<Msg>,
    offset: u64,
    remaining: u64,
    state: Arc<StreamState>,
    progress: Arc<O>,
    finished: bool,
}

impl<O: Observer + ?Sized + 'static> http_body::Body for RangeBody<O> {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        match this.rx.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Msg::Data(chunk))) => {
                this.offset += chunk.len() as u64;
                this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
                this.state.sent.store(this.offset, Ordering::Relaxed);
                this.state.touch();
                this.progress.sent(this.offset);
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Msg::Done(digest))) => {
                this.finished = true;
                if this.remaining > 0 {
                    this.state.short.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "file ended early",
                    ))));
                }
                match digest {
                    Some(Ok(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
                    Some(Err(e)) => Poll::Ready(Some(Err(e))),
                    None => Poll::Ready(None),
                }
            }
            Poll::Ready(Some(Msg::Failed(e))) => {
                this.finished = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finished = true;
                Poll::Ready(Some(Err(std::io::Error::other("the file reader stopped"))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished
    }

    fn size_hint(&self) -> http_body::SizeHint {
        // Exact only without trailers; with them hyper must use chunked encoding.
        http_body::SizeHint::default()
    }
}
