//! What passes between the pure tus layer and its driver: the answers that come back, the next
//! step a [`Machine`] asks for, and the errors an answer stands for. No I/O here.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::error::Error;
use super::protocol::{self, HeadInfo};
use super::status::{self, Meaning, Method};
use crate::retry::{Backoff, parse_retry_after};

/// The server's answer to one request, as the driver received it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    /// The answer's text when its status makes it an error message ([`Meaning::wants_message`]),
    /// else empty.
    pub message: String,
    /// How long the exchange took, request body included (it sizes the next chunk).
    pub elapsed: Duration,
    /// When the answer arrived (it is compared with `Upload-Expires`).
    pub at: SystemTime,
}

/// What the driver does next.
#[derive(Debug)]
pub enum Step<R, T> {
    /// Send this request, then hand its answer to [`Machine::on_reply`] (or the failure to
    /// [`Machine::on_error`]).
    Send(R),
    /// Tell the observer the server holds every byte up to this offset.
    Acknowledged(u64),
    /// The link's speed as the last PATCH measured it (bytes per second): the next upload to
    /// the same endpoint starts with chunks sized for it.
    Measured(f64),
    /// Tell the observer about this retry (`attempt` counts from 1), sleep `delay`, go on.
    Wait {
        delay: Duration,
        attempt: usize,
        error: Error,
    },
    /// Finished.
    Done(T),
    /// Finished with this error.
    Failed(Error),
}

/// One operation of the protocol as a state machine: the driver asks [`Machine::poll`] what to
/// do, does it, and feeds back what happened, until the machine is done or failed.
pub trait Machine {
    /// The requests this operation sends.
    type Request: Copy;
    /// What the operation yields.
    type Output;
    fn poll(&mut self) -> Step<Self::Request, Self::Output>;
    /// The server answered `request`.
    fn on_reply(&mut self, request: Self::Request, reply: Reply);
    /// The request never got an answer: a network error, a stall, a cancellation, or the local
    /// file could not be read for its body.
    fn on_error(&mut self, error: Error);
}

/// The step after `error`: a wait when it is retryable and retries remain, else the failure.
pub fn retry<R, T>(backoff: &mut Backoff, error: Error) -> Step<R, T> {
    let retryable = error.is_retryable();
    wait_or_fail(backoff, retryable, error)
}

/// Like [`retry`], for a failure retried whatever its kind (until retries run out).
pub fn retry_any<R, T>(backoff: &mut Backoff, error: Error) -> Step<R, T> {
    wait_or_fail(backoff, true, error)
}

fn wait_or_fail<R, T>(backoff: &mut Backoff, retryable: bool, error: Error) -> Step<R, T> {
    match backoff.next_delay(retryable, error.retry_after()) {
        Some(delay) => Step::Wait {
            delay,
            attempt: backoff.attempt(),
            error,
        },
        None => Step::Failed(error),
    }
}

/// The error an unsuccessful answer to `method` stands for, carrying the server's message.
pub fn status_error(method: Method, reply: &Reply) -> Error {
    if status::meaning(method, reply.status) == Meaning::UnsupportedVersion {
        let offered = protocol::header_str(&reply.headers, "tus-version").unwrap_or("");
        return Error::UnsupportedVersion(offered.to_string());
    }
    Error::Status {
        method: method.name(),
        status: reply.status,
        message: reply_message(reply),
        retry_after: protocol::header_str(&reply.headers, "retry-after")
            .and_then(parse_retry_after),
    }
}

/// What an error answer said, as far as a person can use it: the `message` of a JSON error
/// body (as Wix's servers answer), else its text; at most 300 characters, and nothing of an
/// HTML error page.
pub fn reply_message(reply: &Reply) -> String {
    let text = reply.message.trim();
    let json = serde_json::from_str::<serde_json::Value>(text).ok();
    let text = json
        .as_ref()
        .and_then(|v| v.get("message")?.as_str())
        .map_or(text, str::trim);
    if text.starts_with('<') {
        return String::new();
    }
    text.chars().take(300).collect()
}

/// Reads the answer to a `HEAD`.
pub fn head_answer(reply: &Reply) -> Result<HeadInfo, Error> {
    match status::meaning(Method::Head, reply.status) {
        Meaning::Success => HeadInfo::from_headers(&reply.headers),
        Meaning::Gone => Err(Error::Gone {
            status: reply.status,
        }),
        _ => Err(status_error(Method::Head, reply)),
    }
}

/// Reads the answer to a `DELETE`: a missing upload is as good as a deleted one.
pub fn delete_answer(reply: &Reply) -> Result<(), Error> {
    match status::meaning(Method::Delete, reply.status) {
        Meaning::Success => Ok(()),
        _ => Err(status_error(Method::Delete, reply)),
    }
}
