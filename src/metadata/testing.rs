//! For the finders' tests: real files made by real tools (ImageMagick's `convert`, `exiftool`),
//! the redactions applied to them, and what `exiftool` reads back.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

/// Whether `name` can be run. Missing: the test fails when WIXUP_REQUIRE_TOOLS is set (CI),
/// else it is told so here and returns.
pub fn tool(name: &str) -> bool {
    if Command::new(name).arg("-ver").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("WIXUP_REQUIRE_TOOLS").is_none(),
        "{name} is not installed; WIXUP_REQUIRE_TOOLS is set, so the test cannot go without it"
    );
    eprintln!("note: {name} is not installed; this test does not run here");
    false
}

/// Runs `cmd args`, which must succeed; its standard output.
pub fn run(cmd: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// The tags `exiftool -j -G1 -a -n` reads from `path` (its warnings included), without the
/// file system's and exiftool's version.
pub fn tags(path: &Path) -> Map<String, Value> {
    let out = run("exiftool", &["-j", "-G1", "-a", "-n", s(path)]);
    let mut all: Vec<Map<String, Value>> = serde_json::from_slice(&out).expect("exiftool json");
    let mut m = all.pop().expect("one file");
    m.retain(|k, _| {
        !(k == "SourceFile" || k.starts_with("System:") || k == "ExifTool:ExifToolVersion")
    });
    m
}

/// A copy of `path` (next to it, `redacted-` before its name) with the redactions
/// `location_redactions` finds applied, and how many patches there were.
pub fn redacted_copy(path: &Path) -> (PathBuf, usize) {
    let (_, r) = super::location_redactions(path).expect("location found and removable");
    let mut bytes = std::fs::read(path).expect("read");
    r.apply(0, &mut bytes);
    let name = path.file_name().expect("name").to_string_lossy();
    let out = path.with_file_name(format!("redacted-{name}"));
    std::fs::write(&out, bytes).expect("write");
    (out, r.patches().len())
}

/// `after` is `before` without a GPS tag: every other tag the same, none named GPS… left.
pub fn assert_only_location_gone(before: &Map<String, Value>, after: &Map<String, Value>) {
    let gps = |k: &String| k.split(':').nth(1).is_some_and(|n| n.starts_with("GPS"));
    assert!(
        before.keys().any(gps),
        "the test file has a GPS tag: {before:#?}"
    );
    let left: Vec<_> = after.keys().filter(|k| k.contains("GPS")).collect();
    assert!(left.is_empty(), "GPS tags left: {left:?}");
    let mut expected = before.clone();
    expected.retain(|k, _| !gps(k));
    assert_eq!(&expected, after, "the other tags are unchanged");
}
