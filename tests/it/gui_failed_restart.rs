//! A failed row is the same before and after a restart: the bytes it shows as sent, and what
//! the status bar counts, are what the server keeps for a Retry (the journal's figure), not the
//! last progress of an upload whose file is gone.

use egui_kittest::kittest::{NodeT as _, Queryable as _};
use wixup::engine::JobState;
use wixup::gui::App;

use super::support::gui::{
    Window, close_window, drop_files, runtime_and_sandbox, site_options, state_of, until, window,
};
use super::support::random_file;

/// Everything the window says, by role and accessible name or value.
fn said(h: &Window) -> Vec<String> {
    h.query_all_by(|_| true)
        .filter_map(|n| {
            let a = n.accesskit_node();
            let l = a.label().or_else(|| a.value()).unwrap_or_default();
            (!l.is_empty()).then(|| format!("{:?}: {l}", a.role()))
        })
        .collect()
}

#[test]
fn a_file_wix_could_not_process_looks_the_same_after_a_restart() {
    let (rt, env) = runtime_and_sandbox();
    // Random bytes named .jpg: sent whole (by one PUT, then by tus in chunks), then the
    // sandbox's processing marks them FAILED, as Wix does; the file is forgotten, a Retry
    // sends it anew.
    let one_put = random_file(&env.path("in"), "broken.jpg", 300_000);
    for (i, chunk) in [None, Some(64 << 10)].into_iter().enumerate() {
        shown_the_same_after_a_restart(&rt, &env, &env.path(&format!("app{i}")), chunk, &one_put);
    }
}

fn shown_the_same_after_a_restart(
    rt: &tokio::runtime::Runtime,
    env: &super::support::Env,
    data: &std::path::Path,
    chunk: Option<u64>,
    one_put: &std::path::Path,
) {
    let opts = site_options(rt, env, data, chunk);
    let mut h = window(opts.clone());
    drop_files(&mut h, &[one_put.to_path_buf()]);
    until(&mut h, "the failure", 30, |a| {
        state_of(a, "broken.jpg") == Some(JobState::Failed)
    });
    h.run_steps(3);
    let row = |h: &Window| h.state().queue().rows()[0].acknowledged;
    let totals = |h: &Window| h.state().queue().totals();
    assert_eq!(row(&h), 0, "nothing of it is kept on the server");
    assert_eq!(totals(&h).bytes_acknowledged, 0);
    let before = said(&h);

    close_window(&mut h);
    until(&mut h, "the window to close", 10, App::may_close);
    drop(h);
    let mut h = window(opts);
    until(&mut h, "the restored row", 10, |a| a.queue().len() == 1);
    h.run_steps(3);
    assert_eq!(row(&h), 0);
    assert_eq!(totals(&h).bytes_acknowledged, 0);
    assert_eq!(said(&h), before);
}
