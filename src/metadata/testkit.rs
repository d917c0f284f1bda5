//! Test support for the finders: the real tools that make and read test files (ImageMagick's
//! `convert`, `exiftool`), checked for first: a missing tool fails the test when
//! `WIXUP_REQUIRE_TOOLS` is set (CI), and is noted (the test returns) elsewhere.

use std::path::Path;
use std::process::Command;

use super::{Patch, Redactions};

/// Whether `tool` runs (`tool arg`); when it does not and WIXUP_REQUIRE_TOOLS is set, panics.
pub fn have(tool: &str, arg: &str) -> bool {
    let ok = Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("WIXUP_REQUIRE_TOOLS").is_none(),
            "{tool} is not installed; WIXUP_REQUIRE_TOOLS is set, so the test cannot go without it"
        );
        eprintln!("note: {tool} is not installed; this test does not run here");
    }
    ok
}

/// Both tools the photo tests need.
pub fn have_convert_and_exiftool() -> bool {
    have("convert", "-version") & have("exiftool", "-ver")
}

/// Runs `program args…`, which must succeed; its standard output.
pub fn run(program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The tags exiftool reads in the file at `path` (`-a -G1 -s -j`), without the File and System
/// groups (which describe the file on disk, not its content) and exiftool's own warnings.
pub fn tags(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let path = path.to_str().expect("a UTF-8 temp path");
    let out = run("exiftool", &["-a", "-G1", "-s", "-j", path]);
    let json: serde_json::Value = serde_json::from_slice(&out).expect("exiftool's JSON");
    let mut map = json[0].as_object().expect("one object").clone();
    map.retain(|k, _| {
        !(k == "SourceFile"
            || k.starts_with("File:")
            || k.starts_with("System:")
            || k.starts_with("ExifTool:"))
    });
    map
}

/// The tags that say where: GPS ones and IPTC's locations.
pub fn location_tags(tags: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    tags.keys()
        .filter(|k| k.contains("GPS") || k.contains("Location"))
        .cloned()
        .collect()
}

/// `bytes` with `patches` applied, as the upload sends them.
pub fn patched(bytes: &[u8], patches: Vec<Patch>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    Redactions::new(patches, bytes.len() as u64)
        .expect("patches within the file")
        .apply(0, &mut out);
    out
}

/// Checks that `after` (the patched file, written to `dir`) holds no location tag and every
/// other tag `before` held, with the same values.
pub fn assert_only_location_gone(
    before: &serde_json::Map<String, serde_json::Value>,
    after_path: &Path,
) {
    let after = tags(after_path);
    assert!(
        !location_tags(before).is_empty(),
        "the test file has a location to take out: {before:#?}"
    );
    assert_eq!(location_tags(&after), Vec::<String>::new(), "{after:#?}");
    for (k, v) in before {
        if location_tags(before).contains(k) {
            continue;
        }
        assert_eq!(after.get(k), Some(v), "tag {k} changed or went: {after:#?}");
    }
}
