//! Import from a link in the window: a pasted http(s) link, or one typed into "Add link…",
//! becomes a row that shows the link, then PENDING, then READY with its URL and Copy; a failed
//! import says why and offers Retry.

use egui_kittest::kittest::Queryable as _;
use wixup::engine::JobState;

use super::links::{LinkServer, jpeg_bytes, png_bytes};
use super::support::gui::{
    copied_texts, done, runtime, runtime_and_sandbox, state_of, until, until_shown, window_on_site,
};
use super::support::{Env, get};

#[test]
fn a_pasted_link_becomes_a_row_that_ends_with_its_url_and_a_copy_button() {
    let (rt, env) = runtime_and_sandbox();
    let links = rt.block_on(LinkServer::start());
    let jpeg = jpeg_bytes(env.dir.path(), 48, 32);
    let (link, gate) = links.held("photos/sunset.jpg", "image/jpeg", jpeg.clone());
    let mut h = window_on_site(&rt, &env);
    h.get_by_label("Add link");

    h.event(egui::Event::Paste(format!("{link}\n")));
    until(&mut h, "the import row", 10, |a| a.queue().len() == 1);
    until_shown(&mut h, "the link shown on the row", 10, |h| {
        h.query_by_label_contains(&link).is_some()
    });
    until_shown(&mut h, "the row saying the file is PENDING", 10, |h| {
        h.query_by_label_contains("PENDING").is_some()
    });
    gate.add_permits(10);
    until(&mut h, "the import to be READY", 30, |a| {
        done(a, "sunset.jpg")
    });
    h.run_steps(3);
    h.check_accessibility();

    let result = h.state().queue().rows()[0].result.clone().expect("result");
    let url = result.url.expect("a URL");
    assert!(result.thumbnail_url.is_some(), "the server's thumbnail");
    h.get_by_label(&url);
    h.get_by_label("Copy URL of sunset.jpg").click();
    h.step();
    assert_eq!(copied_texts(&h), vec![url.clone()]);
    h.get_by_label("More copy formats for sunset.jpg");
    let (status, body) = rt.block_on(get(&url));
    assert_eq!(status, 200);
    assert_eq!(body, jpeg, "byte-identical at its URL");

    // The history says the file was imported.
    h.get_by_label("History").click();
    until_shown(&mut h, "the history entry marked imported", 10, |h| {
        h.query_by_label("Copy URL of sunset.jpg").is_some()
            && h.query_by_label_contains("imported").is_some()
    });
}

#[test]
fn add_link_refuses_other_schemes_and_a_failed_import_says_why_and_retries() {
    let rt = runtime();
    let env = rt.block_on(Env::start_with(super::support::tus_full));
    let links = rt.block_on(LinkServer::start());
    let mut h = window_on_site(&rt, &env);

    h.get_by_label("Add link").click();
    h.run_steps(2);
    h.get_by_label("Link to import")
        .type_text("ftp://127.0.0.1/later.png");
    h.step();
    h.get_by_label("Import the link").click();
    h.run_steps(2);
    h.get_by_label_contains("is not an http or https link");
    assert!(h.state().queue().is_empty(), "nothing queued");
    h.get_by_label("Cancel").click();
    h.run_steps(2);

    let link = links.url("later.png");
    h.get_by_label("Add link").click();
    h.run_steps(2);
    h.get_by_label("Link to import").type_text(&link);
    h.step();
    h.get_by_label("Import the link").click();
    until(&mut h, "the import to fail", 30, |a| {
        state_of(a, "later.png") == Some(JobState::Failed)
    });
    h.run_steps(2);
    h.get_by_label_contains("not found");

    links.serve("later.png", "image/png", png_bytes(9, 6));
    h.get_by_label("Retry later.png").click();
    until(&mut h, "the retried import to be READY", 30, |a| {
        done(a, "later.png")
    });
    h.run_steps(2);
    h.get_by_label("Copy URL of later.png");
}
