//! The tus operations as pure state machines: discovery (`OPTIONS`), creation (`POST`) and the
//! transfer loop (`HEAD`, then `PATCH` until the server holds every byte). Each one decides, from
//! its state and an answer, what the driver does next; none does I/O, so each rule is tested
//! with literal answers (see `machine/tests/`).

use reqwest::Url;

use super::chunk::ChunkSizer;
use super::error::Error;
use super::protocol::{self, Capabilities, Created, TUS_VERSION};
use super::status::{self, Meaning, Method};
use super::step::{
    Machine, Reply, Step, head_answer, reply_message, retry, retry_any, status_error,
};
use crate::retry::{Backoff, RetryPolicy};

/// The `OPTIONS` request of discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options;

/// Discovery: what the endpoint supports. A server that does not do discovery is assumed to
/// offer creation only.
#[derive(Debug)]
pub struct Discovery {
    backoff: Backoff,
    /// The step decided by the last answer, if it is not simply "send OPTIONS".
    next: Option<Step<Options, Capabilities>>,
}

impl Discovery {
    pub fn new(retry: RetryPolicy) -> Self {
        Self {
            backoff: Backoff::new(retry),
            next: None,
        }
    }

    fn found(caps: Capabilities) -> Step<Options, Capabilities> {
        if !caps.versions.is_empty() && !caps.versions.iter().any(|v| v == TUS_VERSION) {
            return Step::Failed(Error::UnsupportedVersion(caps.versions.join(",")));
        }
        Step::Done(caps)
    }
}

impl Machine for Discovery {
    type Request = Options;
    type Output = Capabilities;

    fn poll(&mut self) -> Step<Options, Capabilities> {
        self.next.take().unwrap_or(Step::Send(Options))
    }

    fn on_reply(&mut self, _: Options, reply: Reply) {
        self.next = Some(match status::meaning(Method::Options, reply.status) {
            Meaning::Success => Self::found(Capabilities::from_headers(&reply.headers)),
            Meaning::NoDiscovery => Self::found(Capabilities::assumed()),
            _ => retry(&mut self.backoff, status_error(Method::Options, &reply)),
        });
    }

    fn on_error(&mut self, error: Error) {
        self.next = Some(retry(&mut self.backoff, error));
    }
}

/// The `POST` of a creation; with the whole file as its body when `with_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Post {
    pub with_data: bool,
}

/// Creation: a new upload for a file of `len` bytes.
#[derive(Debug)]
pub struct Creation {
    /// Where the `POST` goes; a relative `Location` is resolved against it.
    endpoint: Url,
    len: u64,
    /// The file goes in the creation request itself (creation-with-upload).
    with_data: bool,
    /// The server's `Tus-Max-Size`, named in the error when it answers 413.
    max_size: Option<u64>,
    backoff: Backoff,
    next: Option<Step<Post, Created>>,
}

impl Creation {
    /// Refuses a file over the server's limit before anything is sent. Files up to
    /// `with_data_max_bytes` go in the creation request when the server offers
    /// creation-with-upload; bigger ones are created empty, so that the upload URL can be saved
    /// before any byte goes out.
    pub fn new(
        caps: &Capabilities,
        endpoint: &Url,
        len: u64,
        with_data_max_bytes: u64,
        retry: RetryPolicy,
    ) -> Result<Self, Error> {
        caps.check_size(len)?;
        Ok(Self {
            endpoint: endpoint.clone(),
            len,
            with_data: caps.supports("creation-with-upload")
                && len > 0
                && len <= with_data_max_bytes,
            max_size: caps.max_size,
            backoff: Backoff::new(retry),
            next: None,
        })
    }

    fn created(&self, reply: &Reply) -> Result<Created, Error> {
        let url = protocol::resolve_location(&self.endpoint, &reply.headers)?;
        let offset = if self.with_data {
            // A server may take the data without saying how much: then it took none.
            let o = protocol::parse_offset(&reply.headers).unwrap_or(0);
            protocol::validate_patch_offset(0, self.len, o)?
        } else {
            0
        };
        Ok(Created {
            url,
            offset,
            expires: protocol::parse_expires(&reply.headers),
        })
    }
}

impl Machine for Creation {
    type Request = Post;
    type Output = Created;

    fn poll(&mut self) -> Step<Post, Created> {
        self.next.take().unwrap_or(Step::Send(Post {
            with_data: self.with_data,
        }))
    }

    fn on_reply(&mut self, _: Post, reply: Reply) {
        self.next = Some(match status::meaning(Method::Post, reply.status) {
            Meaning::Success => match self.created(&reply) {
                Ok(c) => Step::Done(c),
                Err(e) => Step::Failed(e),
            },
            Meaning::TooLarge => Step::Failed(Error::TooLarge {
                size: self.len,
                max: self.max_size,
                message: reply_message(&reply),
            }),
            _ => retry(&mut self.backoff, status_error(Method::Post, &reply)),
        });
    }

    fn on_error(&mut self, error: Error) {
        self.next = Some(retry(&mut self.backoff, error));
    }
}

/// The requests of the transfer loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Ask where the upload stands.
    Head,
    /// Send `len` bytes of the file from `offset`.
    Patch { offset: u64, len: u64 },
}

/// The transfer loop: from the server's offset to the end of a file of `len` bytes, trusting the
/// server's `Upload-Offset`, asking again (`HEAD`) after every failure, and starting the retry
/// schedule again whenever the offset advanced.
#[derive(Debug)]
pub struct Transfer {
    len: u64,
    /// The highest offset the server confirmed and the observer was told. Within one transfer it
    /// only grows (a server offset below it is refused); the caller's next transfer may start
    /// lower, when it restarts a gone upload from 0.
    acknowledged: u64,
    /// Where the next PATCH starts: the server's last word.
    offset: u64,
    /// The server's offset is unknown (at the start, or after a failure): HEAD first.
    need_head: bool,
    sizer: ChunkSizer,
    /// A speed measured by the last PATCH, not yet handed to the driver.
    measured: Option<f64>,
    backoff: Backoff,
    next: Option<Step<Resume, ()>>,
}

impl Transfer {
    /// `known_offset` is what the caller already knows the server holds (from creation); `None`
    /// asks the server first.
    pub fn new(len: u64, known_offset: Option<u64>, sizer: ChunkSizer, retry: RetryPolicy) -> Self {
        let acknowledged = known_offset.unwrap_or(0);
        Self {
            len,
            acknowledged,
            offset: acknowledged,
            need_head: known_offset.is_none(),
            sizer,
            measured: None,
            backoff: Backoff::new(retry),
            next: None,
        }
    }

    fn retry(&mut self, error: Error) {
        self.need_head = true;
        self.next = Some(retry(&mut self.backoff, error));
    }

    fn fail(&mut self, error: Error) {
        self.next = Some(Step::Failed(error));
    }

    fn on_head(&mut self, reply: &Reply) {
        match head_answer(reply) {
            Ok(info) if protocol::is_expired(info.expires, reply.at) => self.fail(Error::Expired),
            Ok(info) => match info.validate(self.len, self.acknowledged) {
                Ok(offset) => {
                    self.offset = offset;
                    self.need_head = false;
                }
                Err(e) => self.fail(e),
            },
            Err(e) => self.retry(e),
        }
    }

    fn on_patch(&mut self, offset: u64, len: u64, reply: &Reply) {
        match status::meaning(Method::Patch, reply.status) {
            Meaning::Success => match self.patched(offset, len, reply) {
                Ok(new) if new == offset => {
                    // Accepted nothing: count it as a failed attempt so it cannot loop.
                    self.need_head = true;
                    let e = Error::Protocol("the server accepted no bytes".into());
                    self.next = Some(retry_any(&mut self.backoff, e));
                }
                Ok(new) => {
                    tracing::debug!(
                        offset,
                        bytes = new - offset,
                        elapsed = ?reply.elapsed,
                        "tus: PATCH acknowledged"
                    );
                    self.sizer.observe(new - offset, reply.elapsed);
                    self.measured = self.sizer.speed();
                    self.offset = new;
                }
                Err(e) => self.fail(e),
            },
            Meaning::TooLarge if self.sizer.halve() => {
                tracing::info!(
                    chunk = self.sizer.next(),
                    "413 on PATCH: halving the chunk size"
                );
                self.need_head = true;
            }
            Meaning::Gone => self.fail(Error::Gone {
                status: reply.status,
            }),
            _ => self.retry(status_error(Method::Patch, reply)),
        }
    }

    /// The new offset of a successful PATCH of `len` bytes from `offset`.
    fn patched(&self, offset: u64, len: u64, reply: &Reply) -> Result<u64, Error> {
        let new = protocol::parse_offset(&reply.headers)?;
        if protocol::is_expired(protocol::parse_expires(&reply.headers), reply.at) && new < self.len
        {
            return Err(Error::Expired);
        }
        protocol::validate_patch_offset(offset, len, new)
    }
}

impl Machine for Transfer {
    type Request = Resume;
    type Output = ();

    fn poll(&mut self) -> Step<Resume, ()> {
        if let Some(step) = self.next.take() {
            return step;
        }
        if let Some(bytes_per_sec) = self.measured.take() {
            return Step::Measured(bytes_per_sec);
        }
        if self.need_head {
            return Step::Send(Resume::Head);
        }
        if self.offset > self.acknowledged {
            self.acknowledged = self.offset;
            self.backoff.reset();
            return Step::Acknowledged(self.offset);
        }
        if self.offset >= self.len {
            return Step::Done(());
        }
        Step::Send(Resume::Patch {
            offset: self.offset,
            len: self.sizer.next().min(self.len - self.offset),
        })
    }

    fn on_reply(&mut self, request: Resume, reply: Reply) {
        match request {
            Resume::Head => self.on_head(&reply),
            Resume::Patch { offset, len } => self.on_patch(offset, len, &reply),
        }
    }

    fn on_error(&mut self, error: Error) {
        self.retry(error);
    }
}

#[cfg(test)]
mod tests;
