//! A folder of thousands of files: the first ones start sending while the rest are still
//! walked, and the request is answered once, with every file.

use wixup::engine::{Command, Event, JobState};

use super::support::{Env, Events};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_files_of_a_big_folder_send_before_the_walk_is_over() {
    let env = Env::start().await;
    let dir = env.dir.path().join("many");
    std::fs::create_dir(&dir).expect("dir");
    for i in 0..1500 {
        std::fs::write(dir.join(format!("note-{i:04}.txt")), format!("note {i}\n")).expect("write");
    }
    let (handle, rx) = wixup::engine::start(env.engine_config("data"), None).expect("starts");
    let mut events = Events::new(rx);
    handle.send(Command::AddFiles {
        request: 1,
        paths: vec![dir.clone()],
        destination: Default::default(),
        options: Default::default(),
    });
    let (added, duplicates, rejected) = events.added().await;
    assert_eq!(added.len(), 1500);
    assert!(duplicates.is_empty() && rejected.is_empty());
    let answered = events.seen.len() - 1;
    let first_sending = events
        .seen
        .iter()
        .position(|e| {
            matches!(
                e,
                Event::StateChanged {
                    state: JobState::Uploading,
                    ..
                }
            )
        })
        .expect("a file was sending before the request was answered");
    assert!(first_sending < answered);
    let jobs_before = events.seen[..first_sending]
        .iter()
        .filter(|e| matches!(e, Event::JobAdded(_)))
        .count();
    assert!(
        jobs_before < 1500,
        "{jobs_before} files were queued before the first sent"
    );
    handle.shutdown().await;
}
