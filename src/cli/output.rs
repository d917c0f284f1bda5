//! What the CLI prints per file: the `--json` line of a finished or failed file, the line a
//! person reads for a finished one, and writes that never panic (a terminal that closed).

use std::io::Write as _;
use std::path::Path;

use serde_json::json;

use crate::engine::{Job, JobResult};
use crate::text::printable;

/// The `--json` line of a finished file.
pub(super) fn done_line(job: &Job, result: &JobResult) -> serde_json::Value {
    let mut line = json!({
        "id": result.file_id,
        "url": result.url,
        "thumbnailUrl": result.thumbnail_url,
        "sizeInBytes": result.size_bytes.unwrap_or(job.size_bytes),
        "hash": result.hash,
        "verified": result.verified.as_option(),
        "status": "done",
        "origin": result.origin.as_str(),
        // The bytes on the site lack the file's location (the file on disk kept it).
        "locationRemoved": result.location_removed,
        // The same, under the name it had first, for the scripts written then.
        "location_removed": result.location_removed,
        // A private file's `url` answers 403: it is reached through a download URL.
        "private": job.destination.private,
    });
    if result.already.is_some() {
        line["already_uploaded"] = json!(true);
    }
    source(&mut line, &job.path, job.origin.is_link());
    line
}

/// The `--json` line of a file or link that did not make it (`path` is the link of an import).
pub(super) fn failed_line(path: &Path, link: bool, message: &str, size: u64) -> serde_json::Value {
    let mut line = json!({
        "id": serde_json::Value::Null,
        "url": serde_json::Value::Null,
        "thumbnailUrl": serde_json::Value::Null,
        "sizeInBytes": size,
        "hash": serde_json::Value::Null,
        "verified": serde_json::Value::Null,
        "status": "failed",
        "error": message,
        "origin": if link { "import" } else { "upload" },
        "locationRemoved": false,
    });
    source(&mut line, path, link);
    line
}

/// `✓ path → url (verified)`, for a person.
pub(super) fn done_note(job: &Job, result: &JobResult) -> String {
    let mark = match result.verified.as_option() {
        _ if result.already.is_some() => " (already on your site; not sent again)",
        Some(true) => " (verified)",
        Some(false) => " (HASH MISMATCH: the server's copy differs)",
        None => "",
    };
    format!(
        "✓ {} → {}{mark}",
        crate::os_path::lossy(&job.path),
        printable(result.url.as_deref().unwrap_or(&result.file_id))
    )
}

/// `path` (a file, exactly as given) or `sourceUrl` (a link) of a JSON line.
fn source(line: &mut serde_json::Value, path: &Path, link: bool) {
    // JSON escapes control characters itself: only invalid bytes become `�`.
    let text = path.to_string_lossy().into_owned();
    line[if link { "sourceUrl" } else { "path" }] = text.into();
}

/// A line on stdout, flushed at once.
pub(super) fn line(v: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

/// A line on stderr. A terminal that closed (SIGHUP) fails the write: what is left to say goes
/// nowhere, but the run still ends as it should (`eprintln!` would panic).
pub(super) fn say(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Text on stdout as it is (a `--format` block), never panicking.
pub(super) fn text(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
