//! Real files made by ffmpeg, exiftool and ImageMagick: after the patches, no tool finds a
//! location, every other tag is there, the bytes outside the patches are the file's, and the
//! video still decodes.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::super::find;
use crate::file_stream::Redactions;

/// Whether `tool` runs here; when it does not, a test fails with `WIXUP_REQUIRE_TOOLS` set and
/// is told to go without it otherwise.
fn have(tool: &str, arg: &str) -> bool {
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

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("run a tool");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A one-second 64×48 video made by ffmpeg with `args` (metadata, flags) into `dir/name`.
fn video(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    run(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=64x48:rate=10")
        .args(["-t", "1"])
        .args(args)
        .arg(&path));
    path
}

/// Every tag exiftool reads (`-a -G1 -s -ee`), as `group:name` → value.
fn tags(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let out = run(Command::new("exiftool")
        .args(["-j", "-a", "-G1", "-s", "-ee"])
        .arg(path));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("exiftool json");
    v[0].as_object().expect("one file").clone()
}

fn location_tags(t: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    t.keys()
        .filter(|k| {
            let k = k.to_lowercase();
            k.contains("gps") || k.contains("location") || k.contains("xyz")
        })
        .cloned()
        .collect()
}

/// The file at `path` redacted into `path.clean.ext`: the same length, changed only where a
/// patch lies, with no location tag left and every other tag (but `keep_out`) the same.
fn redact(path: &Path, keep_out: &[&str]) -> PathBuf {
    let bytes = std::fs::read(path).unwrap();
    let len = bytes.len() as u64;
    let before = tags(path);
    assert!(
        !location_tags(&before).is_empty(),
        "the tool wrote no location into {path:?}: {before:#?}"
    );
    let patches = find(&mut std::fs::File::open(path).unwrap(), len).unwrap();
    let red = Redactions::new(patches, len).unwrap();
    let mut out = bytes.clone();
    red.apply(0, &mut out);
    assert_eq!(out.len(), bytes.len());
    let mut inside = vec![false; bytes.len()];
    for p in red.patches() {
        inside[p.at as usize..p.at as usize + p.bytes.len()].fill(true);
    }
    for i in 0..bytes.len() {
        assert!(
            inside[i] || bytes[i] == out[i],
            "byte {i} changed outside a patch"
        );
    }
    assert!(red.bytes() < 4096, "{} bytes overwritten", red.bytes());
    let ext = path.extension().unwrap().to_str().unwrap();
    let clean = path.with_extension(format!("clean.{ext}"));
    std::fs::write(&clean, &out).unwrap();
    let after = tags(&clean);
    assert_eq!(location_tags(&after), Vec::<String>::new(), "{after:#?}");
    for (k, v) in &before {
        let skip = location_tags(&before).contains(k)
            || keep_out.iter().any(|o| k.contains(o))
            || [
                "SourceFile",
                "FileName",
                "Directory",
                "FileModifyDate",
                "FileAccessDate",
                "FileInodeChangeDate",
            ]
            .iter()
            .any(|f| k.ends_with(f));
        if !skip {
            assert_eq!(after.get(k), Some(v), "{k} changed");
        }
    }
    clean
}

fn decodes(path: &Path) {
    let out = run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"]));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tools() -> bool {
    have("ffmpeg", "-version") && have("exiftool", "-ver")
}

#[test]
fn an_mp4_loses_its_3gpp_location_with_moov_first_or_last() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let loc = [
        "-metadata",
        "location=+37.7749-122.4194/",
        "-metadata",
        "title=Walk",
    ];
    for (name, flags) in [
        ("first.mp4", &["-movflags", "+faststart"][..]),
        ("last.mp4", &[]),
    ] {
        let args: Vec<&str> = loc.iter().chain(flags).copied().collect();
        let path = video(dir.path(), name, &args);
        let clean = redact(&path, &[]);
        decodes(&clean);
        assert_eq!(tags(&clean)["ItemList:Title"], "Walk");
    }
}

#[test]
fn a_mov_loses_its_xyz_and_its_apple_location_keys() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let xyz = video(
        dir.path(),
        "xyz.mov",
        &["-metadata", "location=+37.7749-122.4194/"],
    );
    decodes(&redact(&xyz, &[]));
    let keys = video(
        dir.path(),
        "keys.mov",
        &[
            "-movflags",
            "use_metadata_tags",
            "-metadata",
            "com.apple.quicktime.location.ISO6709=+37.7749-122.4194+010.000/",
            "-metadata",
            "com.apple.quicktime.location.name=Home",
            "-metadata",
            "com.apple.quicktime.make=Apple",
            "-metadata",
            "title=Hello",
        ],
    );
    let clean = redact(&keys, &[]);
    decodes(&clean);
    let after = tags(&clean);
    assert_eq!(after["Keys:Title"], "Hello");
    assert_eq!(after["Keys:Make"], "Apple");
}

#[test]
fn exiftools_keys_user_data_and_xmp_locations_in_a_mov_and_an_mp4_go() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["e.mov", "e.mp4"] {
        let path = video(dir.path(), name, &["-metadata", "title=Hello"]);
        run(Command::new("exiftool")
            .args(["-q", "-overwrite_original"])
            .arg("-Keys:GPSCoordinates=37.7749, -122.4194, 10")
            .arg("-UserData:GPSCoordinates=37.7749, -122.4194, 10")
            .arg("-ItemList:GPSCoordinates=37.7749, -122.4194, 10")
            .args([
                "-XMP-exif:GPSLatitude=37.7749",
                "-XMP-exif:GPSLongitude=-122.4194",
            ])
            .arg("-XMP-dc:Title=Kept")
            .arg(&path));
        let before = tags(&path);
        for group in ["Keys:", "UserData:", "ItemList:", "XMP-exif:"] {
            assert!(
                before
                    .keys()
                    .any(|k| k.starts_with(group) && k.contains("GPS")),
                "{name}: no {group} location written: {before:#?}"
            );
        }
        let clean = redact(&path, &[]);
        decodes(&clean);
        assert_eq!(tags(&clean)["XMP-dc:Title"], "Kept");
    }
}
