//! The journal: every job with its upload URL, token and fingerprint, so that uploads survive a
//! restart or a crash. An append-only log of JSON lines (`journal.jsonl`, mode 0600): a header,
//! then one record per change, each a job's whole entry as it is now or its removal; replaying
//! the lines gives the table. It grows with the changes, not with the queue, and is compacted
//! (rewritten atomically with only the live entries) once it is more than twice their size.
//! The data dir is owned by one process at a time through an OS file lock that dies with the
//! process, so a `kill -9` never leaves a stale lock.
//!
//! `record` is the format (lines, schemas, migration), `load` reads a data dir (the log, or the
//! `journal.json` of older releases), `log` appends and compacts, `lock` owns the data dir, and
//! `writer` is the engine's thread that coalesces changes so the engine never waits for the disk.

mod error;
mod load;
mod lock;
mod log;
mod record;
mod writer;

#[cfg(test)]
mod tests;

pub use error::JournalError;
pub use load::{Loaded, SetAside};
pub use log::Journal;
pub use record::Change;
pub(crate) use writer::{JournalWriter, WriterOptions};
