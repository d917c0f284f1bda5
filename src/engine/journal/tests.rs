//! The journal's own rules: migration of `journal.json`, the log's replay, torn lines, entries
//! kept aside, and compaction.

use std::path::Path;

use super::record::{FILE_NAME, LEGACY_NAME};
use super::{Change, Journal, JournalError};
use crate::engine::job::{JobId, JobState, Session};

/// An entry exactly as Wixup wrote it under schema 1 (a `wixup upload` stopped mid-file),
/// only the token shortened.
const SCHEMA_1: &str = r#"{
  "schema_version": 1,
  "next_id": 2,
  "jobs": [
{
  "acknowledged_bytes": 524288,
  "added_unix": 1796167841,
  "destination": {
    "folder_id": null,
    "path": null,
    "private": false
  },
  "error": null,
  "file_id": null,
  "id": 1,
  "identity": {
    "ctime_nanos": 1796167841494890633,
    "dev": 65024,
    "ino": 10035246
  },
  "mime_type": "application/octet-stream",
  "mtime_unix_nanos": 1796167841494890633,
  "name": "slow.bin",
  "path": "/tmp/.tmpFmCQHR/slow.bin",
  "result": null,
  "session": {
    "expires_unix": 1796772641,
    "location": "http://127.0.0.1:45273/upload/tus/21b30ff65a3db64d367515931effcbd9",
    "upload_token": "eyJhbGciOiJub25lIn0.e30.85e9c5be",
    "upload_url": "http://127.0.0.1:45273/upload/tus"
  },
  "size_bytes": 2097152,
  "state": "uploading"
}
  ]
}"#;

fn log_lines(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join(FILE_NAME))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_schema_1_journal_json_becomes_the_log_in_the_tus_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LEGACY_NAME), SCHEMA_1).unwrap();
    let (journal, loaded) = Journal::open(dir.path()).unwrap();
    assert!(loaded.set_aside.is_none(), "every entry read");
    assert_eq!(loaded.next_id, 2);
    let job = &loaded.jobs[0];
    assert_eq!(job.state, JobState::Uploading);
    assert_eq!(job.acknowledged_bytes, 524_288);
    assert_eq!(
        job.session.as_deref(),
        Some(&Session {
            endpoint: "http://127.0.0.1:45273/upload/tus".parse().unwrap(),
            upload_token: "eyJhbGciOiJub25lIn0.e30.85e9c5be".into(),
            upload_url: "http://127.0.0.1:45273/upload/tus/21b30ff65a3db64d367515931effcbd9"
                .parse()
                .unwrap(),
            expires_unix: Some(1_796_772_641),
            created_unix: None,
            redacted: None,
        })
    );
    drop(journal);
    assert!(
        !dir.path().join(LEGACY_NAME).exists(),
        "the old file is gone"
    );
    let lines = log_lines(dir.path());
    assert_eq!(lines[0]["schema_version"], 3);
    assert_eq!(lines[0]["next_id"], 2);
    let session = &lines[1]["job"]["session"];
    assert_eq!(session["endpoint"], "http://127.0.0.1:45273/upload/tus");
    assert_eq!(
        session["upload_url"],
        "http://127.0.0.1:45273/upload/tus/21b30ff65a3db64d367515931effcbd9"
    );
    assert!(session.get("location").is_none(), "only the new names");
    // Opened again, the log is read as it is.
    let (_journal, again) = Journal::open(dir.path()).unwrap();
    assert_eq!(again.jobs, loaded.jobs);
}

#[test]
fn schema_2_entries_are_read_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let schema_2 = SCHEMA_1
        .replace(r#""schema_version": 1"#, r#""schema_version": 2"#)
        .replace(r#""upload_url""#, r#""endpoint""#)
        .replace(r#""location""#, r#""upload_url""#);
    std::fs::write(dir.path().join(LEGACY_NAME), schema_2).unwrap();
    let (_journal, loaded) = Journal::open(dir.path()).unwrap();
    let session = loaded.jobs[0].session.clone().unwrap();
    assert_eq!(
        session.endpoint.as_str(),
        "http://127.0.0.1:45273/upload/tus"
    );
    assert!(
        session
            .upload_url
            .as_str()
            .ends_with("/21b30ff65a3db64d367515931effcbd9")
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let schema_3 = SCHEMA_1.replace(r#""schema_version": 1"#, r#""schema_version": 3"#);
    std::fs::write(dir.path().join(LEGACY_NAME), schema_3).unwrap();
    assert!(matches!(
        Journal::open(dir.path()),
        Err(JournalError::TooNew { found: 3, .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(FILE_NAME),
        "{\"schema_version\":4,\"next_id\":1}\n",
    )
    .unwrap();
    assert!(matches!(
        Journal::open(dir.path()),
        Err(JournalError::TooNew { found: 4, .. })
    ));
}

/// A job of the schema-1 sample, as this version has it.
fn sample(id: u64) -> crate::engine::job::Job {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LEGACY_NAME), SCHEMA_1).unwrap();
    let (_j, loaded) = Journal::open(dir.path()).unwrap();
    let mut job = loaded.jobs[0].clone();
    job.id = JobId(id);
    job
}

#[test]
fn replaying_the_log_gives_the_table_and_removed_ids_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut journal, loaded) = Journal::open(dir.path()).unwrap();
    assert!(loaded.jobs.is_empty());
    let (a, mut b) = (sample(1), sample(2));
    journal
        .write(
            &[
                Change::Put(Box::new(a.clone())),
                Change::Put(Box::new(b.clone())),
            ],
            3,
        )
        .unwrap();
    b.state = JobState::Done;
    b.session = None;
    journal
        .write(
            &[Change::Put(Box::new(b.clone())), Change::Remove(JobId(7))],
            8,
        )
        .unwrap();
    journal.write(&[Change::Remove(JobId(1))], 8).unwrap();
    drop(journal);
    let (_journal, loaded) = Journal::open(dir.path()).unwrap();
    assert_eq!(loaded.jobs, vec![b]);
    assert_eq!(loaded.next_id, 8, "the removed job's id stays used");
    assert!(loaded.set_aside.is_none());
}

#[test]
fn compaction_keeps_the_log_near_its_live_size_and_the_table_as_it_was() {
    // The rule is the same whatever the threshold: at 64 KiB instead of 4 MiB, six compactions
    // take a few hundred fsynced batches instead of 30,000.
    const MIN: u64 = 64 << 10;
    let dir = tempfile::tempdir().unwrap();
    let (mut journal, _) = Journal::open(dir.path()).unwrap();
    journal.set_compact_min_bytes(MIN);
    let mut jobs: Vec<_> = (1..=20).map(sample).collect();
    let one = super::record::encode(&Change::Put(Box::new(jobs[0].clone())))
        .unwrap()
        .len() as u64;
    // Twenty live jobs are well under half the threshold, so the threshold decides.
    assert!(2 * 20 * one < MIN, "a record is {one} bytes");
    let size = || std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().len();
    let (mut rounds, mut compactions, mut largest, mut last) = (0, 0, 0, 0);
    // Up to the batch that compacts for the sixth time, so what is read back below is what that
    // compaction wrote.
    while compactions < 6 {
        assert!(
            rounds < 12 * MIN / one,
            "{compactions} compactions in {rounds} batches"
        );
        let job = &mut jobs[(rounds % 20) as usize];
        job.acknowledged_bytes = rounds;
        journal
            .write(&[Change::Put(Box::new(job.clone()))], 21)
            .unwrap();
        rounds += 1;
        let now = size();
        compactions += u64::from(now < last);
        (largest, last) = (largest.max(now), now);
    }
    // Records with a shorter offset are a few bytes shorter than `one`.
    let appended = rounds * (one - 8);
    assert!(journal.bytes_written() >= appended);
    assert!(
        largest <= MIN + 2 * one && last < appended / 10,
        "compacted: at most {largest} bytes, {last} at the end"
    );
    drop(journal);
    let (_journal, loaded) = Journal::open(dir.path()).unwrap();
    assert_eq!(loaded.jobs, jobs);
}

#[test]
fn a_torn_last_line_is_dropped_and_a_bad_record_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (mut journal, _) = Journal::open(dir.path()).unwrap();
    let (a, b) = (sample(1), sample(2));
    journal
        .write(
            &[
                Change::Put(Box::new(a.clone())),
                Change::Put(Box::new(b.clone())),
            ],
            3,
        )
        .unwrap();
    drop(journal);
    let path = dir.path().join(FILE_NAME);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("not json at all\n");
    let mut newer = serde_json::to_value(&b).unwrap();
    newer["state"] = "teleporting".into();
    text.push_str(&format!("{}\n", serde_json::json!({ "job": newer })));
    text.push_str(r#"{"job":{"id":1,"state":"do"#); // cut short by a kill -9
    std::fs::write(&path, text).unwrap();
    let (_journal, loaded) = Journal::open(dir.path()).unwrap();
    assert_eq!(
        loaded.jobs,
        vec![a.clone()],
        "the torn line left job 1 as it was"
    );
    let aside = loaded.set_aside.expect("set aside");
    assert_eq!(
        aside.entries,
        Some(2),
        "the newer entry and the line that is not JSON"
    );
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&aside.file).unwrap()).unwrap();
    assert_eq!(kept[0]["state"], "teleporting");
    assert_eq!(kept[1], "not json at all");
    // The log was written anew without them: opening again sets nothing aside.
    let lines = log_lines(dir.path());
    assert_eq!(lines.len(), 2, "{lines:?}");
    drop(_journal);
    let (_journal, again) = Journal::open(dir.path()).unwrap();
    assert!(again.set_aside.is_none());
    assert_eq!(again.jobs, vec![a]);
}

#[test]
fn an_unreadable_log_is_kept_aside_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), b"{ not json\n").unwrap();
    let (_journal, loaded) = Journal::open(dir.path()).unwrap();
    let aside = loaded.set_aside.expect("kept");
    assert_eq!(aside.entries, None);
    assert_eq!(std::fs::read(&aside.file).unwrap(), b"{ not json\n");
    assert!(loaded.jobs.is_empty());
}
