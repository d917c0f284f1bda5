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

/// Little or big endian writer.
pub struct W {
    pub le: bool,
    pub b: Vec<u8>,
}

impl W {
    pub fn u16(&mut self, v: u16) {
        self.b.extend(if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    pub fn u32(&mut self, v: u32) {
        self.b.extend(if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    /// One entry; a SHORT value sits in the first two bytes of the value field.
    pub fn entry(&mut self, tag: u16, typ: u16, count: u32, value: u32) {
        self.u16(tag);
        self.u16(typ);
        self.u32(count);
        if typ == 3 && count == 1 {
            self.u16(value as u16);
            self.u16(0);
        } else {
            self.u32(value);
        }
    }
}

pub const IFD0: usize = 8;
pub const MAKE: usize = 62; // after IFD0's 4 entries: 8 + 2 + 48 + 4
pub const GPS: usize = 68;
pub const LATITUDE: usize = 110; // after the GPS IFD's 3 entries: 68 + 2 + 36 + 4
pub const IFD1: usize = 134;
pub const END: usize = 152;

/// A TIFF structure: IFD0 (Make, Orientation, Software and the GPS pointer at `gps_at`), then Make's text, the
/// GPS IFD (version, latitude ref, latitude) with its rationals, and IFD1 (one entry).
pub fn tiff_sample(le: bool, gps_at: usize) -> Vec<u8> {
    let mut w = W { le, b: Vec::new() };
    w.b.extend(if le { b"II" } else { b"MM" });
    w.u16(42);
    w.u32(IFD0 as u32);
    w.u16(4);
    let mut entries: Vec<(u16, u16, u32, u32)> = vec![
        (0x10F, 2, 6, MAKE as u32),
        (0x112, 3, 1, 6),
        (0x131, 2, 3, 0x6162_0000),
    ];
    entries.insert(gps_at, (0x8825, 4, 1, GPS as u32));
    for (tag, typ, count, value) in entries {
        if tag == 0x131 {
            // "ab\0" inline, in file order whatever the byte order.
            w.u16(tag);
            w.u16(typ);
            w.u32(count);
            w.b.extend(b"ab\0\0");
        } else {
            w.entry(tag, typ, count, value);
        }
    }
    w.u32(IFD1 as u32);
    w.b.extend(b"Canon\0");
    assert_eq!(w.b.len(), GPS);
    w.u16(3);
    w.entry(0, 1, 4, 0x0203_0000);
    w.entry(1, 2, 2, 0x4E00_0000);
    w.entry(2, 5, 3, LATITUDE as u32);
    w.u32(0);
    for v in [51, 1, 30, 1, 1234, 100] {
        w.u32(v);
    }
    assert_eq!(w.b.len(), IFD1);
    w.u16(1);
    w.entry(0x100, 3, 1, 64);
    w.u32(0);
    assert_eq!(w.b.len(), END);
    w.b
}

/// [`tiff_sample`] without its GPS pointer (its tag renamed).
pub fn tiff_sample_without_gps(le: bool) -> Vec<u8> {
    let mut b = tiff_sample(le, 3);
    b[IFD0 + 2 + 36..IFD0 + 2 + 38].copy_from_slice(&[0x01, 0x32]);
    b
}
