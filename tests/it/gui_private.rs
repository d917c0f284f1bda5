//! What a finished row offers, honestly (egui_kittest, by accessible name): a private upload is
//! marked, offers no Copy or Open of its static URL (which answers 403) but "Copy download
//! link", which asks the site off the UI thread and puts a working, expiring URL on the
//! clipboard; a link's row shows the size Wix reports instead of "0 B".

use egui_kittest::kittest::Queryable as _;
use wixup::settings::Settings;

use super::links::LinkServer;
use super::support::gui::{
    copied_texts, done, drop_files, options, runtime_and_sandbox, until, until_shown, url_of,
    window, window_on_site,
};
use super::support::{get, random_file};

#[test]
fn a_private_row_offers_a_download_link_instead_of_its_url() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let secrets = env.save_site(&data);
    let mut settings = Settings::load(&data).unwrap();
    settings.private = true;
    settings.save(&data).unwrap();
    let mut h = window(options(&rt, &data, secrets, None));
    let file = random_file(&env.path("docs"), "payroll.pdf", 40_000);
    drop_files(&mut h, std::slice::from_ref(&file));
    until(&mut h, "payroll.pdf to finish", 30, |a| {
        done(a, "payroll.pdf")
    });
    h.run_steps(2);

    let static_url = url_of(h.state(), "payroll.pdf");
    assert_eq!(rt.block_on(get(&static_url)).0, 403, "its URL is refused");
    h.get_by_label("🔒 private");
    for offered in [
        "Copy URL of payroll.pdf",
        "Open payroll.pdf",
        "More copy formats for payroll.pdf",
    ] {
        assert!(
            h.query_by_label(offered).is_none(),
            "a private row offers {offered:?}"
        );
    }
    assert!(
        h.query_by_label(&static_url).is_none(),
        "the refused URL is not shown to copy"
    );

    h.get_by_label("Copy download link of payroll.pdf").click();
    until_shown(&mut h, "the download link on the clipboard", 10, |h| {
        !copied_texts(h).is_empty()
    });
    let copied = copied_texts(&h);
    assert_eq!(copied.len(), 1, "{copied:?}");
    let link = &copied[0];
    assert_ne!(link, &static_url);
    let (status, body) = rt.block_on(get(link));
    assert_eq!(status, 200, "the copied link downloads the file");
    assert!(body == std::fs::read(&file).unwrap(), "its bytes");
    h.run_steps(2);
    h.get_by_label_contains("It works for 24 hours");
    h.get_by_label("Copy download link of payroll.pdf");

    // Ctrl+C on the selected row copies nothing that would be refused.
    h.get_by_label("Queue row payroll.pdf").click();
    h.step();
    h.event(egui::Event::Copy);
    h.step();
    assert!(copied_texts(&h).is_empty(), "{:?}", copied_texts(&h));
}

#[test]
fn a_pasted_links_row_shows_the_size_wix_reports() {
    let (rt, env) = runtime_and_sandbox();
    let links = rt.block_on(LinkServer::start());
    let body: Vec<u8> = (0..245 * 1024u32).map(|i| (i % 253) as u8).collect();
    let (link, gate) = links.held("brochure.pdf", "application/pdf", body);
    let mut h = window_on_site(&rt, &env);
    h.event(egui::Event::Paste(format!("{link}\n")));
    until_shown(&mut h, "the row saying the file is PENDING", 10, |h| {
        h.query_by_label_contains("PENDING").is_some()
    });
    assert!(h.query_by_label("0 B").is_none(), "no size before Wix says");
    gate.add_permits(10);
    until(&mut h, "the import to be READY", 30, |a| {
        done(a, "brochure.pdf")
    });
    h.run_steps(2);
    h.get_by_label("245.0 KiB");
    assert!(h.query_by_label("0 B").is_none(), "a 245 KiB file said 0 B");
}
