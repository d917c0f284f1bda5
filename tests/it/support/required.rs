//! What some tests need from outside the repository: the shared EXIF samples beside the checkout,
//! and programs (a D-Bus daemon). Where they are missing, a developer's run goes on without those
//! tests and says so; CI sets `WIXUP_REQUIRE_TESTDATA=1` and `WIXUP_REQUIRE_TOOLS=1` (`.ci/run`),
//! and there a missing one fails the test naming it, so no test passes in CI by not running.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The shared EXIF samples, when this checkout has them beside it (CI does; it sets
/// WIXUP_REQUIRE_TESTDATA=1 so their absence fails there).
pub fn shared_testdata() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/exif-orientation");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("WIXUP_REQUIRE_TESTDATA").is_none(),
        "shared testdata missing at {}",
        dir.display()
    );
    None
}

/// Whether every one of `tools` runs here (`TOOL --version`). When one does not: under
/// WIXUP_REQUIRE_TOOLS (CI) the test fails naming it and `package`; elsewhere the test is told
/// to go without it (`false`), and says so on stderr.
pub fn tools(tools: &[&str], package: &str) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|tool| !runs(tool)).collect();
    verdict(
        &missing,
        package,
        std::env::var_os("WIXUP_REQUIRE_TOOLS").is_some(),
    )
}

fn verdict(missing: &[&str], package: &str, required: bool) -> bool {
    if missing.is_empty() {
        return true;
    }
    let what = format!("{} not installed (package {package})", missing.join(", "));
    assert!(
        !required,
        "{what}; WIXUP_REQUIRE_TOOLS is set, so the test cannot go without it"
    );
    eprintln!("note: {what}; this test does not run here (CI sets WIXUP_REQUIRE_TOOLS=1)");
    false
}

fn runs(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[test]
fn a_tool_is_found_by_running_it() {
    // `cargo` runs these tests, so it is on PATH.
    assert!(runs("cargo"));
    assert!(!runs("wixup-test-no-such-tool"));
}

#[test]
fn a_missing_tool_is_gone_without_outside_ci() {
    assert!(verdict(&[], "dbus", true));
    assert!(!verdict(&["dbus-daemon"], "dbus", false));
}

#[test]
#[should_panic(
    expected = "dbus-daemon, dbus-send not installed (package dbus); WIXUP_REQUIRE_TOOLS is set"
)]
fn a_missing_tool_fails_the_test_in_ci_naming_it() {
    verdict(&["dbus-daemon", "dbus-send"], "dbus", true);
}
