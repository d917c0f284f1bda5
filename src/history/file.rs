//! `history.jsonl`: one JSON object per line, appended; a crash or a full disk can cost at most
//! a partial last line, which is skipped when read and never swallows the lines after it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::entry::HistoryEntry;

const FILE: &str = "history.jsonl";

/// Where the history of `data_dir` is.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

/// Appends one entry (creating the file with mode 0600).
pub fn append(data_dir: &Path, entry: &HistoryEntry) -> std::io::Result<()> {
    append_all(data_dir, std::slice::from_ref(entry))
}

/// Appends entries, in one write (creating the file with mode 0600). A write cut short (a full
/// disk) leaves a partial last line; the next append starts on a line of its own, so only that
/// partial line is lost (and skipped when read), never the entries written after it.
pub fn append_all(data_dir: &Path, entries: &[HistoryEntry]) -> std::io::Result<()> {
    let mut lines = Vec::new();
    for entry in entries {
        serde_json::to_writer(&mut lines, entry).map_err(std::io::Error::other)?;
        lines.push(b'\n');
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).read(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let path = path(data_dir);
    // Opening a FIFO to write waits for a reader that never comes.
    crate::fs::regular_or_absent(&path)?;
    let mut f = opts.open(path)?;
    if ends_mid_line(&mut f)? {
        lines.insert(0, b'\n');
    }
    // One write of whole lines: concurrent appenders (the app and a CLI) never interleave.
    f.write_all(&lines)
}

/// Makes what was appended durable (the file's data on the disk, not only in the page cache).
pub fn sync(data_dir: &Path) -> std::io::Result<()> {
    let path = path(data_dir);
    crate::fs::regular_or_absent(&path)?;
    std::fs::File::open(path)?.sync_data()
}

/// Whether the file's last byte is not a line's end (an earlier write was cut short).
fn ends_mid_line(f: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    if f.metadata()?.len() == 0 {
        return Ok(false);
    }
    f.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    f.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Every entry, newest first. A missing file is an empty history.
pub fn load(data_dir: &Path) -> std::io::Result<Vec<HistoryEntry>> {
    let path = path(data_dir);
    // Reading a FIFO waits for a writer that never comes.
    crate::fs::regular_or_absent(&path)?;
    let text = match std::fs::read_to_string(path) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> HistoryEntry {
        HistoryEntry::example(name, 1)
    }

    #[test]
    fn entries_after_a_line_cut_short_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &entry("a.jpg")).unwrap();
        // A write a full disk cut short.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(path(dir.path()))
            .unwrap();
        f.write_all(br#"{"name":"cut"#).unwrap();
        append_all(dir.path(), &[entry("b.jpg"), entry("c.jpg")]).unwrap();
        let names: Vec<String> = load(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["c.jpg", "b.jpg", "a.jpg"]);
    }
}
