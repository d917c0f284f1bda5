//! The journal as a test reads it: `journal.jsonl` replayed into its table, written here again
//! from the format (a header line, then `{"job":…}` or `{"removed":id}` per line) rather than
//! through the code under test.

use std::path::{Path, PathBuf};

/// The log in a data dir.
pub fn journal_path(data: &Path) -> PathBuf {
    data.join("journal.jsonl")
}

/// The log's header and its jobs as the records leave them (by id), a cut-short last line
/// ignored as Wixup does.
pub fn journal_table(data: &Path) -> (serde_json::Value, Vec<serde_json::Value>) {
    let text = std::fs::read_to_string(journal_path(data)).expect("the journal");
    let mut lines = text.split_inclusive('\n');
    let header = serde_json::from_str(lines.next().expect("a header")).expect("header JSON");
    let mut jobs = std::collections::BTreeMap::new();
    for line in lines {
        if !line.ends_with('\n') {
            break; // torn by a kill -9
        }
        let record: serde_json::Value = serde_json::from_str(line).expect("a JSON record");
        if let Some(id) = record["removed"].as_u64() {
            jobs.remove(&id);
        } else {
            let job = record["job"].clone();
            jobs.insert(job["id"].as_u64().expect("id"), job);
        }
    }
    (header, jobs.into_values().collect())
}

/// Appends one record, as a Wixup would.
pub fn append_record(data: &Path, record: &serde_json::Value) {
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(journal_path(data))
        .expect("open the journal");
    writeln!(f, "{record}").expect("append");
}
