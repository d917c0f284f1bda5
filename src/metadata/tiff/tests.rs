//! The GPS IFD taken out of TIFF structures written here byte by byte (both byte orders, the
//! pointer first, in the middle or last, broken offsets), and out of TIFF files that
//! ImageMagick and exiftool wrote.

use std::io::Cursor;

use super::{find, gps_patches};
use crate::metadata::testing::{
    END, GPS, IFD0, IFD1, LATITUDE, MAKE, W, assert_only_location_gone, redacted_copy, run, s,
    tags, tiff_sample as sample, tool,
};
use crate::metadata::{Patch, Redactions};

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
    // A DNG-shaped TIFF too (IFD0 says DNGVersion: exiftool reads it as a DNG); no tool here
    // writes a real camera DNG.
    let dng = ["-DNGVersion=1 4 0 0", "-UniqueCameraModel=Wixup Test"];
    for (name, endian, extra) in [
        ("le.tif", "LSB", &[][..]),
        ("be.tif", "MSB", &[][..]),
        ("shaped.dng", "LSB", &dng[..]),
    ] {
        let path = dir.path().join(name);
        let make = ["-size", "64x48", "gradient:red-blue", "-endian", endian];
        let out = format!("tiff:{}", s(&path));
        run("convert", &[&make[..], &[&out]].concat());
        let tagged = [
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
        ];
        run("exiftool", &[extra, &tagged[..]].concat());
        let before = tags(&path);
        assert_eq!(before["IFD0:Make"], "Wixup Camera");
        let dng_said = before["File:FileType"] == "DNG";
        assert_eq!(
            dng_said,
            !extra.is_empty(),
            "{name}: {}",
            before["File:FileType"]
        );
        let (redacted, n) = redacted_copy(&path);
        assert!(
            n >= 2,
            "{name}: the pointer's IFD and the GPS IFD at least ({n})"
        );
        assert_only_location_gone(&before, &tags(&redacted));
        let rgb = |p: &std::path::Path| run("convert", &[&format!("tiff:{}", s(p)), "rgb:-"]);
        assert_eq!(rgb(&path), rgb(&redacted), "{name}: the same pixels");
    }
}

/// A GPS value that declares a million doubles (8 MB of zeros held for the whole upload, as
/// large as the file allows) is refused, not zeroed. Before, a 900 MB TIFF so made cost 800 MB.
#[test]
fn a_gps_value_far_larger_than_a_position_is_refused() {
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    // IFD0: GPSInfo (LONG, 1) -> 26; no next IFD.
    t.extend([1, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0]);
    // GPS IFD at 26: GPSLatitude, DOUBLE × 1,000,000 at 44; no next IFD.
    t.extend([
        1, 0, 2, 0, 12, 0, 0x40, 0x42, 0x0F, 0, 44, 0, 0, 0, 0, 0, 0, 0,
    ]);
    t.resize(8_000_100, 0);
    let len = t.len() as u64;
    let err = gps_patches(&mut Cursor::new(&t), 0, len).unwrap_err();
    assert!(err.contains("GPS value of 8000000 bytes"), "{err}");
}
