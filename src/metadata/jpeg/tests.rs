//! Every EXIF block of a JPEG found and its GPS taken out: JPEGs written here byte by byte (two
//! EXIF blocks, EXIF after the first scan, a second image found through MPF or right after the
//! first, cut short), and JPEGs that ImageMagick and exiftool wrote.

use std::io::Cursor;

use super::{CUT_SHORT, assemble, find};
use crate::metadata::testing::{
    GPS, IFD0, IFD1, assert_only_location_gone, redacted_copy, run, s, tags, tiff_sample,
    tiff_sample_without_gps, tool,
};
use crate::metadata::{Kind, Redactions, location_redactions};

const SOI: [u8; 2] = [0xFF, 0xD8];
const EOI: [u8; 2] = [0xFF, 0xD9];

fn seg(marker: u8, data: &[u8]) -> Vec<u8> {
    let n = (data.len() + 2) as u16;
    [&[0xFF, marker][..], &n.to_be_bytes(), data].concat()
}

/// An APP1 EXIF segment holding `tiff`, and where `tiff` starts in it.
fn exif(tiff: &[u8]) -> (Vec<u8>, usize) {
    (seg(0xE1, &[&b"Exif\0\0"[..], tiff].concat()), 10)
}

/// A scan: its header, then entropy-coded data with a stuffed 0xFF and an RST marker.
fn scan() -> Vec<u8> {
    let mut b = seg(0xDA, &[1, 1, 0, 0, 63, 0]);
    b.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0x00, 0x78]);
    b
}

fn redacted(file: &[u8]) -> Vec<u8> {
    let patches = find(&mut Cursor::new(file), file.len() as u64).expect("walks");
    let mut out = file.to_vec();
    Redactions::new(patches, file.len() as u64)
        .expect("fits")
        .apply(0, &mut out);
    out
}

/// The GPS of the sample TIFF structure at `at` is gone, and IFD0 lost one entry.
fn assert_gps_gone(got: &[u8], at: usize, le: bool) {
    assert!(
        got[at + GPS..at + IFD1].iter().all(|&b| b == 0),
        "GPS at {at}"
    );
    let count = if le { [3, 0] } else { [0, 3] };
    assert_eq!(got[at + IFD0..at + IFD0 + 2], count, "IFD0 at {at}");
}

/// Where `got` differs from `file`, as (first, last) byte.
fn changed(file: &[u8], got: &[u8]) -> Option<(usize, usize)> {
    let first = file.iter().zip(got).position(|(a, b)| a != b)?;
    let last = file.iter().zip(got).rposition(|(a, b)| a != b)?;
    Some((first, last))
}

#[test]
fn every_exif_block_is_walked_not_just_the_first() {
    let (first, _) = exif(&tiff_sample_without_gps(true));
    let (second, t) = exif(&tiff_sample(true, 1));
    let at = 2 + first.len() + t;
    let file = [
        &SOI[..],
        &first,
        &second,
        &seg(0xDB, &[0; 5]),
        &scan(),
        &EOI,
    ]
    .concat();
    let got = redacted(&file);
    assert_gps_gone(&got, at, true);
    let (from, to) = changed(&file, &got).expect("changed");
    assert!(
        from >= at && to < at + IFD1,
        "only the second block: {from}..{to}"
    );
}

#[test]
fn exif_after_the_first_scan_is_found() {
    let (block, t) = exif(&tiff_sample(false, 3));
    let head = [&SOI[..], &seg(0xE0, b"JFIF\0\x01\x01"), &scan(), &[0xFF]].concat();
    let file = [&head[..], &block, &scan(), &EOI].concat();
    assert_gps_gone(&redacted(&file), head.len() + t, false);
}

/// A primary image whose MPF segment lists a second image at `second` (from the file's start),
/// then `gap` bytes, the second image (with GPS), and a trailer. The second image's TIFF
/// structure's offset comes back too.
fn with_mpf(second_listed: bool, gap: &[u8]) -> (Vec<u8>, usize) {
    let (primary_exif, _) = exif(&tiff_sample_without_gps(true));
    let mpf_header = 2 + primary_exif.len() + 4 + 4;
    let mut mpf =
        b"MPF\0MM\0\x2A\0\0\0\x08\0\x01\xB0\x02\0\x07\0\0\0\x20\0\0\0\x1A\0\0\0\0".to_vec();
    mpf.extend([0; 32]);
    let primary_len = mpf_header - 4 + 4 + (mpf.len() - 4) + scan().len() + 2;
    let second_at = primary_len + gap.len();
    if second_listed {
        let offset = (second_at - mpf_header) as u32;
        mpf[4 + 26 + 16 + 8..4 + 26 + 16 + 12].copy_from_slice(&offset.to_be_bytes());
    }
    let primary = [&SOI[..], &primary_exif, &seg(0xE2, &mpf), &scan(), &EOI].concat();
    assert_eq!(primary.len(), primary_len);
    let (second_exif, t) = exif(&tiff_sample(true, 0));
    let second = [&SOI[..], &second_exif, &scan(), &EOI].concat();
    let file = [&primary[..], gap, &second, b"SEFHtrailer\xFF\xD8"].concat();
    (file, second_at + 2 + t)
}

#[test]
fn an_image_mpf_lists_is_walked_and_a_trailer_left_alone() {
    let (file, at) = with_mpf(true, b"\0\0junk");
    let got = redacted(&file);
    assert_gps_gone(&got, at, true);
    assert!(changed(&file, &got).expect("changed").1 < at + IFD1);
    // Not listed, and not right after the first image's EOI: not a JPEG of this file.
    let (file, _) = with_mpf(false, b"\0\0junk");
    assert_eq!(redacted(&file), file);
    // Right after the first image's EOI: walked, listed or not.
    let (file, at) = with_mpf(false, b"");
    assert_gps_gone(&redacted(&file), at, true);
}

#[test]
fn a_cut_short_jpeg_is_refused_and_never_panics() {
    let (block, t) = exif(&tiff_sample(true, 2));
    let file = [&SOI[..], &block, &scan(), &EOI].concat();
    let walk = |f: &[u8]| find(&mut Cursor::new(f), f.len() as u64);
    assert_eq!(walk(&file[..2 + t + 40]), Err(CUT_SHORT.into()));
    assert_eq!(walk(&file[..2 + 3]), Err(CUT_SHORT.into()));
    // Cut in the scan's data: every segment was seen, nothing else can hold a location.
    assert!(!walk(&file[..file.len() - 4]).expect("walks").is_empty());
    for cut in 0..file.len() {
        let _ = walk(&file[..cut]);
        for b in [0x00, 0xFF, 0xD8, 0xE1] {
            let mut f = file.clone();
            f[cut] = b;
            let _ = walk(&f);
        }
    }
}

#[test]
fn extended_xmp_parts_are_put_together_in_order_or_refused() {
    let file: Vec<u8> = (0..50u8).collect();
    let mut r = Cursor::new(&file);
    // Parts: packet 0..4 at file 10, packet 4..10 at file 30, listed out of order.
    let (packet, pieces) = assemble(&mut r, 10, vec![(4, 30, 6), (0, 10, 4)]).expect("fits");
    assert_eq!(packet, [10, 11, 12, 13, 30, 31, 32, 33, 34, 35]);
    assert_eq!(pieces, [(10, 4), (30, 6)]);
    assert!(assemble(&mut r, 10, vec![(0, 10, 4)]).is_err(), "missing");
    assert!(
        assemble(&mut r, 10, vec![(0, 10, 4), (5, 30, 5)]).is_err(),
        "gap"
    );
    assert!(
        assemble(&mut r, 10, vec![(0, 10, 4), (4, 30, 7)]).is_err(),
        "too long"
    );
}

fn pixels(path: &std::path::Path) -> Vec<u8> {
    image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .expect("read")
        .decode()
        .expect("decodes")
        .to_rgb8()
        .into_raw()
}

/// JPEGs ImageMagick wrote (baseline and progressive), given GPS, a camera, an orientation
/// and a date by exiftool: after the redactions exiftool reads no GPS tag and every other tag,
/// and the pixels are the same. One is saved without an extension.
#[test]
fn jpegs_imagemagick_and_exiftool_wrote_lose_their_gps_and_nothing_else() {
    if !tool("convert") || !tool("exiftool") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, interlace) in [("a.jpg", "None"), ("b.jpg", "Plane"), ("photo", "None")] {
        let path = dir.path().join(name);
        let jpg = dir.path().join("made.jpg");
        let make = [
            "-size",
            "64x48",
            "gradient:red-blue",
            "-interlace",
            interlace,
        ];
        run("convert", &[&make[..], &[s(&jpg)]].concat());
        run(
            "exiftool",
            &[
                "-overwrite_original",
                "-GPSLatitude=51.5",
                "-GPSLatitudeRef=N",
                "-GPSLongitude=0.12",
                "-GPSLongitudeRef=W",
                "-GPSAltitude=35.2",
                "-Make=Wixup Camera",
                "-Orientation#=6",
                "-DateTimeOriginal=2024:05:06 07:08:09",
                s(&jpg),
            ],
        );
        std::fs::rename(&jpg, &path).expect("rename");
        let (kind, r) = location_redactions(&path).expect("removable");
        assert_eq!(kind, Some(Kind::Jpeg), "{name}");
        assert!(!r.is_empty(), "{name}");
        let before = tags(&path);
        assert_eq!(before["IFD0:Orientation"], 6, "{name}");
        let (out, _) = redacted_copy(&path);
        let after = tags(&out);
        assert_only_location_gone(&before, &after);
        let listed =
            String::from_utf8(run("exiftool", &["-a", "-G1", "-s", s(&out)])).expect("utf-8");
        assert!(!listed.contains("GPS"), "{name}: {listed}");
        assert_eq!(pixels(&path), pixels(&out), "{name}: the same pixels");
    }
}

/// A motion photo: a JPEG with its short video after it, as Google's camera appends it (right
/// after the JPEG) and as Samsung's does (after `MotionPhoto_Data`, before its `SEFT` trailer).
/// The video's location goes too; the photo's own bytes, the marker and the trailer stay.
/// Before, the bytes after the last image were left alone and the video's location was sent.
#[test]
fn a_motion_photos_video_loses_its_location_too() {
    if !tool("convert") || !tool("exiftool") || !tool("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (jpg, mp4) = (dir.path().join("p.jpg"), dir.path().join("v.mp4"));
    run("convert", &["-size", "64x48", "gradient:", s(&jpg)]);
    let lavfi = "testsrc=size=64x48:rate=10";
    let location = "location=+48.8584+002.2945/";
    let args = [
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        lavfi,
        "-t",
        "1",
        "-metadata",
        location,
    ];
    run("ffmpeg", &[&args[..], &[s(&mp4)]].concat());
    let (photo, video) = (std::fs::read(&jpg).unwrap(), std::fs::read(&mp4).unwrap());
    let mut seft = b"SEFH".to_vec();
    seft.extend([0; 12]);
    let size = (seft.len() as u32).to_le_bytes();
    let google = [&photo[..], &video].concat();
    let samsung = [
        &photo[..],
        b"MotionPhoto_Data",
        &video,
        &seft,
        &size,
        b"SEFT",
    ]
    .concat();
    for (name, file, at) in [
        ("google.jpg", google, photo.len()),
        ("samsung.jpg", samsung, photo.len() + 16),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &file).unwrap();
        let (redacted, patches) = redacted_copy(&path);
        assert!(patches > 0, "{name}");
        let out = std::fs::read(&redacted).unwrap();
        assert_eq!(out[..at], file[..at], "{name}: the photo is untouched");
        assert_eq!(
            out[at + video.len()..],
            file[at + video.len()..],
            "{name}: the trailer"
        );
        let clip = dir.path().join(format!("{name}.mp4"));
        std::fs::write(&clip, &out[at..at + video.len()]).unwrap();
        let left: Vec<String> = tags(&clip)
            .into_iter()
            .filter(|(k, _)| k.to_ascii_lowercase().contains("gps") || k.contains("Location"))
            .map(|(k, _)| k)
            .collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
}
