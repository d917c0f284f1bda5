//! Copying a batch through the real window (egui_kittest): the status bar's "Copy all ▾" in
//! every form, a selection (click, Ctrl+click, Shift+click, Ctrl+A) copied alone by its menu
//! and by Ctrl+C, and History's Copy all over its selection. The expected text is written out
//! here from the rows' results, not made by the code under test.

use std::path::PathBuf;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use wixup::gui::App;
use wixup::history;

use super::support::gui::{
    Window, copied_texts, drop_files, history_entry, runtime_and_sandbox, site_options, until,
    until_all_done, until_shown, url_of, window, window_on_site,
};
use super::support::{Env, oriented_jpeg, random_file};

/// Three photos and a document, dropped in this order and finished.
fn finished_batch(env: &Env, rt: &tokio::runtime::Runtime) -> Window {
    let photos = env.path("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for (name, w, h, o) in [
        ("beach.jpg", 320, 200, 6),
        ("harbour, night.jpg", 200, 120, 1),
        ("market.jpg", 240, 160, 1),
    ] {
        let p = photos.join(name);
        oriented_jpeg(&p, w, h, o);
        files.push(p);
    }
    files.push(random_file(&photos, "menu.bin", 50_000));
    let mut h = window_on_site(rt, env);
    drop_files(&mut h, &files);
    until_all_done(&mut h, 4, 30);
    h.run_steps(2);
    h
}

/// The rows' names in queue order.
fn names(h: &Harness<'_, App>) -> Vec<String> {
    let rows = h.state().queue().rows();
    rows.iter().map(|r| r.name.clone()).collect()
}

fn pick(h: &mut Harness<'_, App>, menu: &str, item: &str) {
    h.get_by_label(menu).click();
    h.run_steps(2);
    h.get_by_label(item).click();
    h.step();
}

#[test]
fn copy_all_gives_every_finished_row_in_queue_order_in_each_form() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = finished_batch(&env, &rt);
    let order = names(&h);

    pick(&mut h, "Copy all ▾", "Markdown");
    let md: String = order
        .iter()
        .map(|n| {
            let bang = if n.ends_with(".jpg") { "!" } else { "" };
            format!("{bang}[{n}]({})\n", url_of(h.state(), n))
        })
        .collect();
    assert_eq!(copied_texts(&h), vec![md]);
    assert_eq!(copied_texts(&h)[0].lines().count(), 4);
    h.run_steps(2);
    h.get_by_label_contains("Copied 4");

    pick(&mut h, "Copy all ▾", "URLs");
    let urls: String = order.iter().map(|n| url_of(h.state(), n) + "\n").collect();
    assert_eq!(copied_texts(&h), vec![urls]);

    pick(&mut h, "Copy all ▾", "CSV");
    let rows = h.state().queue().rows();
    let mut csv = String::from("name,url,id,size,uri\r\n");
    for r in rows {
        let res = r.result.as_ref().unwrap();
        let uri = match res.image_size {
            Some((w, hh)) if r.name.ends_with(".jpg") => format!(
                "wix:image://v1/{}/{}#originWidth={w}&originHeight={hh}",
                res.file_id,
                r.name.replace(' ', "_")
            ),
            _ => String::new(),
        };
        // A field with a comma is quoted (RFC 4180).
        let q = |f: &str| {
            if f.contains(',') {
                format!("\"{f}\"")
            } else {
                f.to_string()
            }
        };
        csv.push_str(&format!(
            "{},{},{},{},{}\r\n",
            q(&r.name),
            res.url.as_deref().unwrap(),
            res.file_id,
            res.size_bytes.unwrap(),
            q(&uri)
        ));
    }
    assert_eq!(copied_texts(&h), vec![csv]);
    let beach = rows.iter().find(|r| r.name == "beach.jpg").unwrap();
    let (w, bh) = beach.result.as_ref().unwrap().image_size.unwrap();

    pick(&mut h, "Copy all ▾", "HTML");
    let html = copied_texts(&h).remove(0);
    let beach_url = url_of(h.state(), "beach.jpg");
    assert!(
        html.lines().any(|l| l
            == format!(r#"<img src="{beach_url}" alt="beach.jpg" width="{w}" height="{bh}">"#)),
        "{html}"
    );
    let menu_url = url_of(h.state(), "menu.bin");
    assert!(
        html.ends_with(&format!("<a href=\"{menu_url}\">menu.bin</a>\n")),
        "{html}"
    );
}

#[test]
fn a_selection_copies_alone_by_its_menu_and_by_ctrl_c() {
    let (rt, env) = runtime_and_sandbox();
    let mut h = finished_batch(&env, &rt);
    let order = names(&h);
    let url = |h: &Harness<'_, App>, i: usize| url_of(h.state(), &order[i]);
    let row = |i: usize| format!("Queue row {}", order[i]);

    // One row selected: Ctrl+C copies its URL exactly, as its Copy button does.
    h.get_by_label(&row(1)).click();
    h.step();
    assert!(h.query_by_label_contains("selected ▾").is_none());
    h.event(egui::Event::Copy);
    h.step();
    assert_eq!(copied_texts(&h), vec![url(&h, 1)]);

    // Ctrl+click adds a row: the bar offers the two alone, in queue order.
    h.get_by_label(&row(3)).click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    pick(&mut h, "Copy 2 selected ▾", "URLs");
    assert_eq!(
        copied_texts(&h),
        vec![format!("{}\n{}\n", url(&h, 1), url(&h, 3))]
    );
    h.run_steps(2);
    h.get_by_label_contains("Copied 2");

    // Shift+click: the range from the last click (row 3) to row 2.
    h.get_by_label(&row(2)).click_modifiers(Modifiers::SHIFT);
    h.step();
    h.event(egui::Event::Copy);
    h.step();
    assert_eq!(
        copied_texts(&h),
        vec![format!("{}\n{}\n", url(&h, 2), url(&h, 3))]
    );

    // Ctrl+A: all four, as Markdown from the selection's menu.
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(2);
    pick(&mut h, "Copy 4 selected ▾", "Markdown");
    assert_eq!(copied_texts(&h)[0].lines().count(), 4);

    // Delete removes every selected row (the files stay on the site).
    h.get_by_label(&row(0)).click();
    h.get_by_label(&row(2)).click_modifiers(Modifiers::COMMAND);
    h.step();
    h.key_press(Key::Delete);
    until(&mut h, "two rows left", 10, |a| a.queue().len() == 2);
    assert_eq!(names(&h), vec![order[1].clone(), order[3].clone()]);
}

#[test]
fn history_copies_its_selection_or_everything_shown() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    std::fs::create_dir_all(&data).unwrap();
    let t = 1_795_000_000;
    for (i, name) in ["old.jpg", "middle.jpg", "new.jpg"].iter().enumerate() {
        history::append(&data, &history_entry(name, t + i as u64)).unwrap();
    }
    let url = |n: &str| format!("http://127.0.0.1:9/media/{n}");
    let mut h = window(site_options(&rt, &env, &data, None));
    h.get_by_label("History").click();
    until_shown(&mut h, "three entries", 10, |h| {
        h.query_by_label("History entry old.jpg").is_some()
    });

    // Nothing selected: Copy all takes every entry shown, newest first.
    pick(&mut h, "Copy all ▾", "URLs");
    assert_eq!(
        copied_texts(&h),
        vec![format!(
            "{}\n{}\n{}\n",
            url("new.jpg"),
            url("middle.jpg"),
            url("old.jpg")
        )]
    );

    h.get_by_label("History entry new.jpg").click();
    h.get_by_label("History entry old.jpg")
        .click_modifiers(Modifiers::COMMAND);
    h.run_steps(2);
    pick(&mut h, "Copy 2 selected ▾", "Markdown");
    assert_eq!(
        copied_texts(&h),
        vec![format!(
            "![new.jpg]({})\n![old.jpg]({})\n",
            url("new.jpg"),
            url("old.jpg")
        )]
    );
    h.run_steps(2);
    h.get_by_label_contains("Copied 2");
    // Ctrl+C: the same two, as URLs.
    h.event(egui::Event::Copy);
    h.step();
    assert_eq!(
        copied_texts(&h),
        vec![format!("{}\n{}\n", url("new.jpg"), url("old.jpg"))]
    );
}
