//! The GPS IFD taken out of TIFF structures written here byte by byte (both byte orders, the
//! pointer first, in the middle or last, broken offsets), and out of TIFF files that
//! ImageMagick and exiftool wrote.

use std::io::Cursor;

use super::{find, gps_patches};
use crate::metadata::testing::{assert_only_location_gone, redacted_copy, run, s, tags, tool};
use crate::metadata::{Patch, Redactions};

/// Little or big endian writer.
struct W {
    le: bool,
    b: Vec<u8>,
}

impl W {
    fn u16(&mut self, v: u16) {
        self.b.extend(if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    fn u32(&mut self, v: u32) {
        self.b.extend(if self.le {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        });
    }
    /// One entry; a SHORT value sits in the first two bytes of the value field.
    fn entry(&mut self, tag: u16, typ: u16, count: u32, value: u32) {
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

const IFD0: usize = 8;
const MAKE: usize = 62; // after IFD0's 4 entries: 8 + 2 + 48 + 4
const GPS: usize = 68;
const LATITUDE: usize = 110; // after the GPS IFD's 3 entries: 68 + 2 + 36 + 4
const IFD1: usize = 134;
const END: usize = 152;

/// IFD0 (Make, Orientation, Software and the GPS pointer at `gps_at`), then Make's text, the
/// GPS IFD (version, latitude ref, latitude) with its rationals, and IFD1 (one entry).
fn sample(le: bool, gps_at: usize) -> Vec<u8> {
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

fn redact(bytes: &[u8], patches: Vec<Patch>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    Redactions::new(patches, bytes.len() as u64)
        .expect("patches fit")
        .apply(0, &mut out);
    out
}

#[test]
fn the_gps_pointer_leaves_its_ifd_and_the_gps_ifd_is_zeroed_in_both_byte_orders() {
    for le in [true, false] {
        for gps_at in 0..4 {
            let file = sample(le, gps_at);
            let patches = gps_patches(&mut Cursor::new(&file), 0, file.len() as u64)
                .unwrap_or_else(|e| panic!("le {le} at {gps_at}: {e}"));
            let got = redact(&file, patches);
            // IFD0 as it should read now: 3 entries in the same order, the next IFD's
            // offset right after them, 12 zero bytes where the last entry was.
            let mut w = W { le, b: Vec::new() };
            w.u16(3);
            let entry = |i: usize| &file[IFD0 + 2 + 12 * i..IFD0 + 14 + 12 * i];
            for i in (0..4).filter(|&i| i != gps_at) {
                w.b.extend(entry(i));
            }
            w.u32(IFD1 as u32);
            w.b.extend([0; 12]);
            let what = format!("le {le}, pointer at {gps_at}");
            assert_eq!(&got[IFD0..MAKE], &w.b[..], "{what}");
            assert_eq!(&got[..IFD0], &file[..IFD0], "{what}: header");
            assert_eq!(&got[MAKE..GPS], b"Canon\0", "{what}: Make's text");
            assert!(got[GPS..IFD1].iter().all(|&b| b == 0), "{what}: GPS");
            assert_eq!(&got[IFD1..], &file[IFD1..], "{what}: IFD1");
        }
    }
}

#[test]
fn the_header_may_lie_anywhere_and_patches_are_file_offsets() {
    let mut file = vec![0xEE; 30];
    file.extend(sample(true, 3));
    file.extend([0xEE; 5]);
    let patches = gps_patches(&mut Cursor::new(&file), 30, END as u64).expect("walks");
    let got = redact(&file, patches);
    assert_eq!(&got[..30], &[0xEE; 30]);
    assert_eq!(&got[30 + END..], &[0xEE; 5]);
    assert!(got[30 + GPS..30 + IFD1].iter().all(|&b| b == 0));
    assert_eq!(&got[30 + IFD0..30 + IFD0 + 2], &[3, 0]);
}

#[test]
fn no_gps_pointer_means_no_patch_and_loops_end() {
    let mut file = sample(false, 3);
    // Rename the pointer's tag: no GPS pointer any more.
    let at = IFD0 + 2 + 36;
    assert_eq!(&file[at..at + 2], &[0x88, 0x25]);
    file[at..at + 2].copy_from_slice(&[0x01, 0x32]);
    // IFD1's next offset points back at IFD0: a loop.
    file[END - 4..].copy_from_slice(&(IFD0 as u32).to_be_bytes());
    let patches = gps_patches(&mut Cursor::new(&file), 0, END as u64).expect("walks");
    assert!(patches.is_empty(), "{patches:?}");
}

#[test]
fn a_gps_pointer_in_the_exif_ifd_is_taken_out_too() {
    let mut file = sample(true, 3);
    // IFD0's GPS pointer becomes an Exif IFD pointer at IFD1, whose one entry becomes a
    // GPS pointer.
    let at = IFD0 + 2 + 36;
    file[at..at + 2].copy_from_slice(&0x8769u16.to_le_bytes());
    file[at + 8..at + 12].copy_from_slice(&(IFD1 as u32).to_le_bytes());
    file[IFD1 + 2..IFD1 + 14].copy_from_slice(
        &[
            &0x8825u16.to_le_bytes()[..],
            &[4, 0, 1, 0, 0, 0],
            &(GPS as u32).to_le_bytes(),
        ]
        .concat(),
    );
    file[IFD0 + 50..IFD0 + 54].copy_from_slice(&[0; 4]); // IFD0 has no next
    let got = redact(
        &file,
        gps_patches(&mut Cursor::new(&file), 0, END as u64).expect("walks"),
    );
    assert_eq!(&got[IFD0..MAKE], &file[IFD0..MAKE], "IFD0 untouched");
    assert!(got[GPS..IFD1].iter().all(|&b| b == 0));
    assert!(got[IFD1..].iter().all(|&b| b == 0), "count 0, next 0");
}

#[test]
fn broken_structures_are_refused_not_walked_past() {
    let file = sample(true, 1);
    let walk = |f: &[u8]| gps_patches(&mut Cursor::new(f), 0, f.len() as u64);
    let mut bad = file.clone();
    bad[IFD0 + 2 + 12 + 8..IFD0 + 2 + 24].copy_from_slice(&5000u32.to_le_bytes());
    assert_eq!(
        walk(&bad),
        Err("its EXIF block is cut short".into()),
        "GPS IFD"
    );
    let mut bad = file.clone();
    bad[GPS + 2 + 24 + 8..GPS + 2 + 36].copy_from_slice(&140u32.to_le_bytes());
    assert_eq!(
        walk(&bad),
        Err("its EXIF block is cut short".into()),
        "rationals"
    );
    let mut bad = file.clone();
    bad[IFD0 + 50..IFD0 + 54].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        walk(&bad),
        Err("its EXIF block is cut short".into()),
        "IFD1"
    );
    let mut bad = file.clone();
    bad[IFD0..IFD0 + 2].copy_from_slice(&0xFFFFu16.to_le_bytes());
    assert!(walk(&bad).is_err(), "count");
    let mut bad = file.clone();
    bad[GPS + 2 + 24 + 2..GPS + 2 + 24 + 4].copy_from_slice(&99u16.to_le_bytes());
    assert!(walk(&bad).unwrap_err().contains("unknown type"));
    assert!(walk(b"XX*\0\x08\0\0\0").is_err());
    assert_eq!(
        walk(b"II+\0\x08\0\0\0\0\0\0\0\0\0\0\0"),
        Err("its BigTIFF structure is not supported".into())
    );
    // Cut anywhere, shifted anywhere: an answer, never a panic.
    for cut in 0..file.len() {
        let _ = walk(&file[..cut]);
        for at in [0, 1, 0x7F, 0xFF] {
            let mut f = file.clone();
            f[cut] = at;
            let _ = walk(&f);
        }
    }
    // A cut that leaves the GPS data out of reach is refused.
    assert!(walk(&file[..LATITUDE + 10]).is_err());
}

#[test]
fn raw_magics_are_walked() {
    for magic in [0x4F52u16, 0x5352, 0x0055] {
        let mut file = sample(true, 2);
        file[2..4].copy_from_slice(&magic.to_le_bytes());
        let patches = gps_patches(&mut Cursor::new(&file), 0, END as u64).expect("walks");
        assert!(redact(&file, patches)[GPS..IFD1].iter().all(|&b| b == 0));
    }
}

#[test]
fn a_tiff_file_without_xmp_needs_no_xmp_reader() {
    let file = sample(false, 0);
    let got = redact(
        &file,
        find(&mut Cursor::new(&file), END as u64).expect("walks"),
    );
    assert!(got[GPS..IFD1].iter().all(|&b| b == 0));
}

/// A TIFF file ImageMagick wrote, given GPS, a camera and an orientation by exiftool: after
/// the redactions, exiftool reads every tag but the GPS ones, and the pixels are the same.
#[test]
fn a_tiff_imagemagick_and_exiftool_wrote_loses_its_gps_and_nothing_else() {
    if !tool("convert") || !tool("exiftool") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, endian) in [("le.tif", "LSB"), ("be.tif", "MSB")] {
        let path = dir.path().join(name);
        let make = ["-size", "64x48", "gradient:red-blue", "-endian", endian];
        run("convert", &[&make[..], &[s(&path)]].concat());
        run(
            "exiftool",
            &[
                "-overwrite_original",
                "-GPSLatitude=51.5",
                "-GPSLatitudeRef=N",
                "-GPSLongitude=0.12",
                "-GPSLongitudeRef=W",
                "-GPSAltitude=35.2",
                "-GPSDateStamp=2024:05:06",
                "-Make=Wixup Camera",
                "-Model=Test 1",
                "-Orientation#=6",
                "-DateTimeOriginal=2024:05:06 07:08:09",
                s(&path),
            ],
        );
        let before = tags(&path);
        assert_eq!(before["IFD0:Make"], "Wixup Camera");
        let (redacted, n) = redacted_copy(&path);
        assert!(
            n >= 2,
            "{name}: the pointer's IFD and the GPS IFD at least ({n})"
        );
        assert_only_location_gone(&before, &tags(&redacted));
        assert_eq!(
            run("convert", &[s(&path), "rgb:-"]),
            run("convert", &[s(&redacted), "rgb:-"]),
            "{name}: the same pixels"
        );
    }
}
