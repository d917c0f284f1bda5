//! The journal's format: the log's lines (a header, then records) and the schemas before it.
//!
//! ```text
//! {"schema_version":3,"next_id":42}
//! {"job":{"id":7,"state":"uploading","session":{…},…}}     a job's whole entry as it is now
//! {"removed":7}                                            the job left the table
//! ```

use serde::{Deserialize, Serialize};

use crate::engine::job::{Job, JobId};

/// The schema this version writes. 3: the log of JSON lines, its entries as in 2. 2: the
/// session's URLs in tus words (`endpoint`, `upload_url`; see [`migrate`]). Older journals are
/// read and migrated; newer ones are refused.
pub(super) const SCHEMA_VERSION: u32 = 3;
/// The last schema of `journal.json`, the whole-file journal of earlier releases.
pub(super) const LEGACY_SCHEMA: u32 = 2;
pub(super) const FILE_NAME: &str = "journal.jsonl";
pub(super) const LEGACY_NAME: &str = "journal.json";

/// One change for the log.
#[derive(Debug, Clone)]
pub enum Change {
    /// The job's whole entry as it is now (added or changed).
    Put(Box<Job>),
    /// The job left the table.
    Remove(JobId),
}

impl Change {
    pub fn id(&self) -> JobId {
        match self {
            Change::Put(job) => job.id,
            Change::Remove(id) => *id,
        }
    }
}

/// The log's first line.
#[derive(Serialize, Deserialize)]
pub(super) struct Header {
    pub(super) schema_version: u32,
    pub(super) next_id: u64,
}

pub(super) fn header_line(next_id: u64) -> Vec<u8> {
    let mut line = serde_json::to_vec(&Header {
        schema_version: SCHEMA_VERSION,
        next_id,
    })
    .unwrap_or_default();
    line.push(b'\n');
    line
}

/// A change as one line, newline included. An entry that cannot be encoded (it should never
/// happen) is an error the caller logs; it never stops the other changes from being saved.
pub(super) fn encode(change: &Change) -> serde_json::Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Put<'a> {
        job: &'a Job,
    }
    #[derive(Serialize)]
    struct Removed {
        removed: u64,
    }
    let mut line = match change {
        Change::Put(job) => serde_json::to_vec(&Put { job })?,
        Change::Remove(id) => serde_json::to_vec(&Removed { removed: id.0 })?,
    };
    line.push(b'\n');
    Ok(line)
}

/// A record as read.
pub(super) enum Record {
    Put(Box<Job>),
    Removed(JobId),
    /// JSON, but not a record this version understands (a newer Wixup's state, say): kept
    /// aside as it was on disk. `id` when it names its job.
    Unknown {
        id: Option<u64>,
        raw: serde_json::Value,
    },
}

/// Reads one line of a log written under `schema`; `Err` when it is not JSON at all.
pub(super) fn decode(schema: u32, line: &[u8]) -> serde_json::Result<Record> {
    let mut value: serde_json::Value = serde_json::from_slice(line)?;
    if let Some(id) = value.get("removed").and_then(serde_json::Value::as_u64) {
        return Ok(Record::Removed(JobId(id)));
    }
    let Some(entry) = value.get_mut("job").map(serde_json::Value::take) else {
        return Ok(Record::Unknown {
            id: None,
            raw: value,
        });
    };
    Ok(entry_to_record(schema, entry))
}

/// One job entry (of a log record or of `journal.json`) as a record.
pub(super) fn entry_to_record(schema: u32, entry: serde_json::Value) -> Record {
    match serde_json::from_value::<Job>(migrate(schema, entry.clone())) {
        Ok(job) => Record::Put(Box::new(job)),
        Err(e) => {
            tracing::warn!(error = %e, "a journal entry does not read; keeping it aside");
            Record::Unknown {
                id: entry.get("id").and_then(serde_json::Value::as_u64),
                raw: entry,
            }
        }
    }
}

/// `journal.json` as read: entries stay raw so one that does not parse costs only itself.
#[derive(Deserialize)]
pub(super) struct LegacyFile {
    pub(super) schema_version: u32,
    pub(super) next_id: u64,
    pub(super) jobs: Vec<serde_json::Value>,
}

/// Brings one entry written under `schema` up to [`SCHEMA_VERSION`]. Schema 1 named the tus
/// creation endpoint `upload_url` and the tus upload URL `location`; schema 2 calls them
/// `endpoint` and `upload_url`, as tus does; 3 changed the file, not the entries. (An entry that
/// still does not read is kept aside as it was on disk.)
pub(super) fn migrate(schema: u32, mut entry: serde_json::Value) -> serde_json::Value {
    if schema < 2
        && let Some(session) = entry
            .get_mut("session")
            .and_then(serde_json::Value::as_object_mut)
    {
        // In this order: `upload_url` is free again before `location` takes the name.
        if let Some(endpoint) = session.remove("upload_url") {
            session.insert("endpoint".into(), endpoint);
        }
        if let Some(upload_url) = session.remove("location") {
            session.insert("upload_url".into(), upload_url);
        }
    }
    entry
}
