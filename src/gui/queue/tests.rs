use std::time::{Duration, Instant};

use super::*;
use crate::engine::{JobResult, JobState, Verification};
use crate::gui::format;

fn queued(id: u64) -> Job {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "path": "/photos/beach.jpg",
        "name": "beach.jpg",
        "mime_type": "image/jpeg",
        "size_bytes": 1000,
        "destination": {"private": false},
        "state": "queued",
        "acknowledged_bytes": 0,
        "added_unix": 0,
    }))
    .unwrap()
}

fn result() -> JobResult {
    serde_json::from_value(serde_json::json!({
        "file_id": "f1",
        "url": "https://example.com/f1.jpg",
        "thumbnail_url": null,
        "display_name": null,
        "size_bytes": 1000,
        "hash": null,
        "local_md5": null,
        "verified": "verified",
        "media_type": "image",
        "image_size": [4, 3],
    }))
    .unwrap()
}

fn state(id: JobId, state: JobState) -> Event {
    Event::StateChanged { id, state }
}

fn status(q: &Queue) -> String {
    format::status(&q.rows()[0], Instant::now(), false).0
}

fn progress(id: u64, acknowledged: u64, speed: Option<f64>, eta: Option<u64>) -> Event {
    Event::Progress {
        id: JobId(id),
        acknowledged_bytes: acknowledged,
        sent_bytes: acknowledged,
        total_bytes: 1000,
        bytes_per_sec: speed,
        eta: eta.map(Duration::from_secs),
    }
}

/// Before, the total said "about 2 min" while a row said "about 6 min": the total came from
/// its own sum and ignored that one slow file holds the batch up.
#[test]
fn the_total_time_left_is_never_sooner_than_a_running_row() {
    let now = Instant::now();
    let mut q = Queue::default();
    let jobs = (1..=3)
        .map(|i| Event::JobAdded(Box::new(queued(i))))
        .collect();
    q.apply(jobs, now);
    q.apply(
        (1..=2)
            .map(|i| state(JobId(i), JobState::Uploading))
            .collect(),
        now,
    );
    assert_eq!(q.totals().eta, None, "no speed yet, no time left");
    // Row 1: 900 bytes left at 10 B/s (90 s); row 2: 500 left at 100 B/s (5 s); row 3
    // waits. 2,400 bytes left at 110 B/s is about 22 s: row 1 holds the batch up longer.
    q.apply(
        vec![
            progress(1, 100, Some(10.0), Some(90)),
            progress(2, 500, Some(100.0), Some(5)),
        ],
        now,
    );
    let t = q.totals();
    assert_eq!(t.bytes_per_sec, 110.0);
    assert_eq!(t.eta, Some(Duration::from_secs(90)));
    // Both fast: the batch's own figure (2,400 bytes, the waiting row's included, at
    // 2,000 B/s) is the longer one.
    q.apply(
        vec![
            progress(1, 100, Some(1000.0), Some(1)),
            progress(2, 500, Some(1000.0), Some(1)),
        ],
        now,
    );
    let eta = q.totals().eta.unwrap().as_secs_f64();
    assert!((eta - 1.2).abs() < 1e-6, "{eta}");
    // A row still measuring its speed adds nothing to it.
    q.apply(
        vec![progress(1, 100, None, None), progress(2, 500, None, None)],
        now,
    );
    assert_eq!((q.totals().bytes_per_sec, q.totals().eta), (0.0, None));
}

/// A job waiting for the network says so on its row, with what is sent already, until it
/// sends again.
#[test]
fn a_row_waiting_for_the_network_says_so_until_it_sends_again() {
    let now = Instant::now();
    let id = JobId(1);
    let mut q = Queue::default();
    q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
    q.apply(
        vec![state(id, JobState::Uploading), progress(1, 400, None, None)],
        now,
    );
    let waiting = "Waiting for the network… the upload goes on by itself";
    q.apply(
        vec![
            state(id, JobState::Queued),
            Event::Note {
                id,
                message: waiting.into(),
            },
        ],
        now,
    );
    assert_eq!(status(&q), format!("{waiting} · 40% sent"));
    q.apply(vec![state(id, JobState::Uploading)], now);
    assert!(status(&q).starts_with("40% · "), "{}", status(&q));
}

/// On a sandbox, nothing claims that Wix is processing the file.
#[test]
fn processing_names_wix_only_on_a_wix_site() {
    let now = Instant::now();
    let id = JobId(1);
    let mut q = Queue::default();
    q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
    q.apply(vec![state(id, JobState::Processing)], now);
    let row = &q.rows()[0];
    assert_eq!(format::status(row, now, true).0, "Processing…");
    assert_eq!(format::status(row, now, false).0, "Processing on Wix…");
}

/// The engine reports Done and the result as two events, which may land in two frames: the
/// row becomes Done with its result, never before.
#[test]
fn a_row_is_done_only_with_its_result() {
    let now = Instant::now();
    let id = JobId(1);
    let mut q = Queue::default();
    q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
    q.apply(vec![state(id, JobState::Uploading)], now);
    q.apply(vec![state(id, JobState::Processing)], now);
    q.apply(vec![state(id, JobState::Done)], now);
    assert_eq!(q.rows()[0].state, JobState::Processing);
    assert_eq!(q.totals().done, 0);
    q.apply(
        vec![Event::Finished {
            id,
            result: result(),
        }],
        now,
    );
    let row = &q.rows()[0];
    assert_eq!(row.state, JobState::Done);
    assert_eq!(q.totals().done, 1);
    assert_eq!(row.acknowledged, 1000);
    let r = row.result.as_deref().unwrap();
    assert_eq!(r.url.as_deref(), Some("https://example.com/f1.jpg"));
    assert_eq!(r.verified, Verification::Verified);
    let item = row.item().unwrap();
    assert_eq!((item.name, item.file_id), ("beach.jpg", "f1"));
    assert_eq!(item.image_size, Some((4, 3)));
    assert!(status(&q).starts_with("Ready"), "{}", status(&q));
}

/// "Checking file…" only between the engine's `Checking` events; a queued row otherwise
/// waits.
#[test]
fn a_queued_row_says_checking_only_while_the_engine_checks_it() {
    let now = Instant::now();
    let id = JobId(1);
    let mut q = Queue::default();
    q.apply(vec![Event::JobAdded(Box::new(queued(1)))], now);
    assert_eq!(status(&q), "Waiting");
    q.apply(vec![Event::Checking { id, checking: true }], now);
    assert_eq!(status(&q), "Checking file…");
    q.apply(
        vec![Event::Checking {
            id,
            checking: false,
        }],
        now,
    );
    assert_eq!(status(&q), "Waiting");
    // A check that ends with the upload starting (or anything else changing the state).
    q.apply(vec![Event::Checking { id, checking: true }], now);
    q.apply(vec![state(id, JobState::Uploading)], now);
    q.apply(vec![state(id, JobState::Queued)], now);
    assert_eq!(status(&q), "Waiting");
}

#[test]
fn a_folder_still_walked_keeps_the_queue_busy_after_its_first_files_are_done() {
    // The first batch of a folder is queued and finished while the walk goes on: the window
    // must not call the batch finished (nor quit without asking) before the walk is over.
    let mut q = Queue::default();
    q.walking(7);
    q.apply(vec![Event::JobAdded(Box::new(queued(1)))], Instant::now());
    assert!(q.busy());
    let now = Instant::now();
    q.apply(vec![state(JobId(1), JobState::Uploading)], now);
    q.apply(
        vec![Event::Finished {
            id: JobId(1),
            result: result(),
        }],
        now,
    );
    assert!(!q.totals().busy(), "its files are done");
    assert!(q.busy(), "but the folder is still being walked");
    q.apply(
        vec![Event::FilesAdded {
            request: 7,
            added: vec![JobId(1)],
            duplicates: Vec::new(),
            rejected: Vec::new(),
            skipped: Default::default(),
        }],
        Instant::now(),
    );
    assert!(!q.busy(), "the walk is over and its files are done");
}
