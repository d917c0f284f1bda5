//! `history.jsonl`: one JSON object per line, appended; a crash can cost at most the last line,
//! and lines that do not parse are skipped.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::entry::HistoryEntry;

const FILE: &str = "history.jsonl";

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// Appends one entry (creating the file with mode 0600).
pub fn append(data_dir: &Path, entry: &HistoryEntry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    // One write of a whole line: concurrent appenders (the app and a CLI) never interleave.
    opts.open(path(data_dir))?.write_all(&line)
}

/// Every entry, newest first. A missing file is an empty history.
pub fn load(data_dir: &Path) -> std::io::Result<Vec<HistoryEntry>> {
    let text = match std::fs::read_to_string(path(data_dir)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out: Vec<HistoryEntry> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    out.reverse();
    Ok(out)
}
