//! What screenshots showed: row details too small to read, and two drop messages drawn over
//! each other. Checked on the shapes egui paints, so what is asserted is what a person sees.

use egui::epaint::{ClippedShape, Shape, TextShape};
use egui_kittest::Harness;
use wixup::gui::App;

use super::gui::{connected, drop_files, harness, runtime, site_options, until};
use super::support::{Env, oriented_jpeg};

/// Every text egui painted in the last frame (labels and painter text alike), with where.
fn painted_texts(h: &Harness<'_, App>) -> Vec<TextShape> {
    fn walk(shape: &Shape, out: &mut Vec<TextShape>) {
        match shape {
            Shape::Text(t) => out.push(t.clone()),
            Shape::Vec(v) => v.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for ClippedShape { shape, .. } in &h.output().shapes {
        walk(shape, &mut out);
    }
    out
}

fn shown(texts: &[TextShape], needle: &str) -> usize {
    texts
        .iter()
        .filter(|t| t.galley.job.text.contains(needle))
        .count()
}

fn font_size(t: &TextShape) -> f32 {
    t.galley.job.sections[0].format.font_id.size
}

#[test]
fn files_hovering_over_an_empty_queue_show_one_drop_message() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    let mut h = harness(site_options(&rt, &env, &data, None));
    connected(&mut h);
    h.step();
    let before = painted_texts(&h);
    assert_eq!(shown(&before, "Drop photos and files here"), 1);
    assert_eq!(shown(&before, "Drop to upload to"), 0);

    h.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(env.path("beach.jpg")),
        mime: String::new(),
    });
    h.run_steps(2);
    let hovering = painted_texts(&h);
    let messages =
        shown(&hovering, "Drop photos and files here") + shown(&hovering, "Drop to upload to");
    assert_eq!(
        messages, 1,
        "one drop message while files hover over the empty queue, not the zone's and the overlay's"
    );
    assert_eq!(
        shown(&hovering, "Drop to upload to"),
        1,
        "it says where files go"
    );
    h.input_mut().hovered_files.clear();
}

#[test]
fn files_hovering_over_a_queue_with_rows_show_the_overlay() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    let photo = env.path("beach.jpg");
    oriented_jpeg(&photo, 320, 200, 1);
    let mut h = harness(site_options(&rt, &env, &data, None));
    connected(&mut h);
    drop_files(&mut h, std::slice::from_ref(&photo));
    until(&mut h, "the upload to finish", 30, |a| {
        a.queue().totals().done == 1
    });
    h.input_mut().hovered_files.push(egui::HoveredFile {
        path: Some(photo.clone()),
        mime: String::new(),
    });
    h.run_steps(2);
    assert_eq!(shown(&painted_texts(&h), "Drop to upload to"), 1);
    h.input_mut().hovered_files.clear();
    h.run_steps(2);
}

#[test]
fn a_rows_url_and_status_are_a_step_above_small_text_and_fit_the_row() {
    let rt = runtime();
    let env = rt.block_on(Env::start());
    let data = env.path("app");
    let photo = env.path("beach.jpg");
    oriented_jpeg(&photo, 320, 200, 1);
    let mut h = harness(site_options(&rt, &env, &data, None));
    connected(&mut h);
    drop_files(&mut h, std::slice::from_ref(&photo));
    until(&mut h, "the upload to finish", 30, |a| {
        a.queue().totals().done == 1 && a.queue().rows()[0].result.is_some()
    });
    h.run_steps(3);
    let url = h.state().queue().rows()[0]
        .result
        .as_ref()
        .and_then(|r| r.url.clone())
        .expect("a URL");
    let texts = painted_texts(&h);
    let find = |needle: &str| {
        texts
            .iter()
            .find(|t| t.galley.job.text.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} is not painted"))
            .clone()
    };
    let name = find("beach.jpg");
    let url_line = texts
        .iter()
        .find(|t| t.galley.job.text == url)
        .expect("the URL line")
        .clone();
    let status = find("Ready");
    let small = h.ctx.style_of(h.ctx.theme()).text_styles[&egui::TextStyle::Small].size;
    for (what, t) in [("URL", &url_line), ("status", &status)] {
        assert!(
            font_size(t) > small + 1.0,
            "the {what} line is {} pt, egui's small text is {small} pt",
            font_size(t)
        );
    }
    let top = |t: &TextShape| t.pos.y;
    let bottom = |t: &TextShape| t.pos.y + t.galley.rect.height();
    assert!(top(&name) < top(&url_line) && bottom(&url_line) <= top(&status) + 0.5);
    assert!(
        bottom(&status) - top(&name) <= wixup::gui::ROW_HEIGHT - 8.0,
        "the three lines ({} px) fit the row's {} px",
        bottom(&status) - top(&name),
        wixup::gui::ROW_HEIGHT
    );
}
