//! A file that cannot be read when it is dropped (issue 22 #8): it gets its own row, failed with
//! why, counted in the totals and journaled like the others, and its Retry uploads it once the
//! file can be read.
//!
//! Root reads any file whatever its mode, so as root the test runs again in a child process of
//! this test binary, under `setpriv` without the two capabilities that let root ignore file
//! permissions (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`): a mode-000 file is then refused to
//! it as to anyone, and its owner can still `chmod 644` it. As another user, it runs as it is.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use egui_kittest::kittest::Queryable as _;
use wixup::engine::JobState;
use wixup::gui::Kind;

use super::support::child::where_permissions_bind;
use super::support::gui::{
    done, drop_files, finishes_with_the_same_bytes, runtime_and_sandbox, state_of, text, until,
    until_shown, window,
};
use super::support::{oriented_jpeg, random_file};

#[test]
fn an_unreadable_file_dropped_with_four_others_gets_a_failed_row_and_retry_uploads_it_once_fixed() {
    where_permissions_bind(
        module_path!(),
        "an_unreadable_file_dropped_with_four_others_gets_a_failed_row_and_retry_uploads_it_once_fixed",
        unreadable_file_body,
    );
}

fn unreadable_file_body() {
    let (rt, env) = runtime_and_sandbox();
    let dir = env.path("in");
    let mut paths: Vec<PathBuf> = (1..=4)
        .map(|i| random_file(&dir, &format!("fine{i}.bin"), 40_000 + i * 1000))
        .collect();
    // A photo whose name says nothing of its type: its bytes do, once they can be read.
    let secret = dir.join("scan-0042");
    oriented_jpeg(&secret, 320, 200, 1);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert!(
        std::fs::File::open(&secret).is_err(),
        "the test could not make a file unreadable"
    );
    paths.insert(2, secret.clone());

    let data = env.path("app");
    let mut h = window(super::support::gui::site_options(&rt, &env, &data, None));
    drop_files(&mut h, &paths);
    until(&mut h, "five rows", 10, |a| a.queue().len() == 5);
    until(
        &mut h,
        "four uploads and the unreadable file failed",
        30,
        |a| {
            (1..=4).all(|i| done(a, &format!("fine{i}.bin")))
                && state_of(a, "scan-0042") == Some(JobState::Failed)
        },
    );
    h.run_steps(2);
    // Its row says why, in words, and offers Retry; the totals count it.
    let reason = text(&h.get_by_label_contains("permission denied"));
    assert!(reason.contains("check its permissions"), "{reason}");
    h.get_by_label_contains("4 of 5 uploaded");
    assert_eq!(h.state().queue().totals().failed, 1);
    // Nothing of it reached the site.
    assert_eq!(env.stat(|s| &s.files_created), 4);
    // Journaled like the others: a restart shows it again.
    let journal = data.join("journal.jsonl");
    until(&mut h, "the failed row in the journal", 10, |_| {
        std::fs::read_to_string(&journal)
            .is_ok_and(|j| j.contains("scan-0042") && j.contains("permission denied"))
    });

    // Fixed: Retry reads it again (its type from its bytes now) and uploads it.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    h.get_by_label("Retry scan-0042").click();
    finishes_with_the_same_bytes(&mut h, &rt, "scan-0042", &secret, 30);
    let row = h
        .state()
        .queue()
        .rows()
        .iter()
        .find(|r| r.name == "scan-0042");
    assert_eq!(row.map(|r| r.kind), Some(Kind::Image));
    until_shown(&mut h, "5 of 5 uploaded", 10, |h| {
        h.query_by_label_contains("5 of 5 uploaded").is_some()
    });
}
