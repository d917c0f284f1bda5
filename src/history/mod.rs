//! Finished uploads, kept after they leave the queue: `history.jsonl` in the data dir, one JSON
//! object per line, appended when a file becomes READY (by the window and the CLI alike), and
//! `index`, the duplicate index over it.
//!
//! Append-only, so a crash can cost at most the last line; lines that do not parse are skipped.

mod entry;
mod file;
mod index;

pub use entry::{HistoryEntry, LOCATION_RULES, OriginKind, Verification, site_key};
pub use file::{append, append_all, load, path, sync};
pub use index::{Candidates, Index};
