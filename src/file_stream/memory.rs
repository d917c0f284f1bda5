//! A request body of bytes already in memory (a one-PUT's snapshot of a small file), sent in
//! frames of the file reader's size so that progress and the stall watchdog see it move as
//! they see a file streamed from disk.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Frame;

use super::body::BUF;
use super::observer::Observer;
use super::state::StreamState;

/// A body sending `data` (with an exact `Content-Length`), telling `progress` as it goes. The
/// bytes are shared, never copied: a retry sends the same ones.
pub fn bytes_body<O: Observer + ?Sized + 'static>(
    data: Bytes,
    progress: Arc<O>,
    throttle: &super::Throttle,
) -> (reqwest::Body, Arc<StreamState>) {
    let state = StreamState::new(0);
    let body = BytesBody {
        rest: data,
        sent: 0,
        state: state.clone(),
        progress,
    };
    let body = super::throttle::Throttled::new(body, throttle.clone(), state.clone());
    (reqwest::Body::wrap(body), state)
}

struct BytesBody<O: ?Sized> {
    /// What is still to be sent.
    rest: Bytes,
    sent: u64,
    state: Arc<StreamState>,
    progress: Arc<O>,
}

impl<O: Observer + ?Sized + 'static> http_body::Body for BytesBody<O> {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let this = &mut *self;
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        let frame = this.rest.split_to(BUF.min(this.rest.len()));
        this.sent += frame.len() as u64;
        this.state.sent.store(this.sent, Ordering::Relaxed);
        this.state.touch();
        this.progress.sent(this.sent);
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.rest.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[derive(Default)]
    struct Seen(AtomicU64);
    impl Observer for Seen {
        fn sent(&self, offset: u64) {
            self.0.store(offset, Ordering::Relaxed);
        }
    }

    #[tokio::test]
    async fn sends_every_byte_in_frames_and_says_how_far() {
        use http_body_util::BodyExt as _;
        let data: Bytes = (0..BUF * 2 + 10).map(|i| (i % 251) as u8).collect();
        let seen = Arc::new(Seen::default());
        let state = StreamState::new(0);
        let mut body = BytesBody {
            rest: data.clone(),
            sent: 0,
            state: state.clone(),
            progress: seen.clone(),
        };
        assert_eq!(
            http_body::Body::size_hint(&body).exact(),
            Some(data.len() as u64)
        );
        let mut frames = Vec::new();
        while let Some(f) = body.frame().await {
            frames.push(f.expect("frame").into_data().expect("data"));
        }
        assert_eq!(frames.len(), 3);
        assert_eq!(frames.concat(), data.to_vec());
        assert_eq!(seen.0.load(Ordering::Relaxed), data.len() as u64);
        assert_eq!(state.sent.load(Ordering::Relaxed), data.len() as u64);
    }
}
