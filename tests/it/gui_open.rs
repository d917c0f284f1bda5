//! "Open" starts the browser off the UI thread; where none starts, the window says so and
//! copies the link instead of doing nothing.

use std::sync::{Arc, Mutex};

use egui_kittest::kittest::Queryable as _;
use wixup::gui::Browser;

use super::support::gui::{
    copied_texts, done, drop_files, runtime_and_sandbox, site_options, until, until_shown, url_of,
    window,
};
use super::support::random_file;

/// The desktop's browser as a test sets it up: the URLs it was asked to open, and whether one
/// is installed.
struct TestBrowser {
    installed: bool,
    opened: Mutex<Vec<String>>,
}

impl Browser for TestBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        self.opened.lock().unwrap().push(url.to_string());
        if self.installed {
            Ok(())
        } else {
            Err("No valid browsers detected".into())
        }
    }
}

#[test]
fn open_starts_the_browser_and_says_so_when_none_starts() {
    let (rt, env) = runtime_and_sandbox();
    let file = random_file(&env.path("in"), "menu.pdf.bin", 10_000);
    for installed in [true, false] {
        let browser = Arc::new(TestBrowser {
            installed,
            opened: Mutex::default(),
        });
        let mut opts = site_options(&rt, &env, &env.path(&format!("app-{installed}")), None);
        opts.browser = browser.clone();
        let mut h = window(opts);
        drop_files(&mut h, std::slice::from_ref(&file));
        until(&mut h, "the upload", 20, |a| done(a, "menu.pdf.bin"));
        h.run_steps(2);
        let url = url_of(h.state(), "menu.pdf.bin");
        h.get_by_label("Open menu.pdf.bin").click();
        if installed {
            until(&mut h, "the browser asked", 5, |_| {
                browser.opened.lock().unwrap().len() == 1
            });
            h.run_steps(3);
            assert!(h.query_by_label_contains("No web browser").is_none());
        } else {
            until_shown(&mut h, "the link copied", 5, |h| {
                copied_texts(h) == [url.clone()]
            });
            h.run_steps(2);
            h.get_by_label_contains("No web browser could be opened (No valid browsers detected)");
        }
        assert_eq!(*browser.opened.lock().unwrap(), [url]);
    }
}
