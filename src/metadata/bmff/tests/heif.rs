//! HEIF items on literal bytes (an Exif item in two extents, in `idat` and in the file; `iloc`
//! versions and sizes; items it cannot read) and on HEIC and AVIF files ImageMagick and
//! exiftool write.

use std::io::Cursor;

use super::{bx, redacted};
use crate::metadata::testing::{assert_only_location_gone, redacted_copy, run, s, tags, tool};

/// A little-endian TIFF whose IFD0 points at a GPS IFD holding GPSVersionID.
fn tiff_with_gps() -> Vec<u8> {
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    t.extend([1, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0]);
    t.extend([1, 0, 0, 0, 1, 0, 4, 0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0]);
    t
}

/// The Exif item's payload: the offset to the TIFF header, `Exif\0\0`, the TIFF.
fn exif_payload() -> Vec<u8> {
    [&[0, 0, 0, 6][..], b"Exif\0\0", &tiff_with_gps()].concat()
}

fn infe(id: u16, kind: &[u8]) -> Vec<u8> {
    let mut b = vec![2, 0, 0, 0];
    b.extend(id.to_be_bytes());
    b.extend([0, 0]);
    b.extend(kind);
    b.push(0);
    bx(b"infe", &b)
}

/// A HEIF: `ftyp`, `meta` (iinf: an hvc1 item 1 and an Exif item 2; iloc version 1 with
/// construction method `method`; idat), `mdat`. The Exif payload is split in two extents: in
/// `idat` (method 1) or in `mdat` (method 0).
fn heif(method: u16) -> (Vec<u8>, usize, usize) {
    let payload = exif_payload();
    let (a, b) = payload.split_at(17);
    let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
    let iinf = bx(
        b"iinf",
        &[
            &[0, 0, 0, 0, 0, 2][..],
            &infe(1, b"hvc1"),
            &infe(2, b"Exif"),
        ]
        .concat(),
    );
    let idat_body = if method == 1 { payload.clone() } else { vec![] };
    let idat = bx(b"idat", &idat_body);
    // iloc v1: offset_size 4, length_size 4, base_offset_size 4, index_size 0; two items.
    let iloc_len = 8 + 4 + 2 + 2 + (2 + 2 + 2 + 4 + 2 + 8) + (2 + 2 + 2 + 4 + 2 + 16);
    let hdlr = bx(b"hdlr", &[&[0; 8][..], b"pict", &[0; 13]].concat());
    let meta_len = 8 + 4 + hdlr.len() + iinf.len() + idat.len() + iloc_len;
    let mdat_at = ftyp.len() + meta_len;
    let pixels = [0x42u8; 40];
    let mdat_body = if method == 0 {
        [&pixels[..], a, &[0xEE; 5], b].concat()
    } else {
        pixels.to_vec()
    };
    let mut iloc = vec![1, 0, 0, 0, 0x44, 0x40, 0, 2];
    iloc.extend([0, 1, 0, 0, 0, 0]); // item 1, method 0, data ref 0
    iloc.extend((mdat_at as u32 + 8).to_be_bytes()); // base offset
    iloc.extend([0, 1, 0, 0, 0, 0, 0, 0, 0, 40]);
    iloc.extend([0, 2, 0, method as u8, 0, 0]);
    let (base, first, second) = if method == 0 {
        (mdat_at as u32 + 8, 40u32, 40 + 17 + 5)
    } else {
        (0, 0, 17)
    };
    iloc.extend(base.to_be_bytes());
    iloc.extend([0, 2]);
    for (o, l) in [(first, a.len()), (second, b.len())] {
        iloc.extend(o.to_be_bytes());
        iloc.extend((l as u32).to_be_bytes());
    }
    let iloc = bx(b"iloc", &iloc);
    assert_eq!(iloc.len(), iloc_len);
    let meta = bx(b"meta", &[&[0; 4][..], &hdlr, &iinf, &idat, &iloc].concat());
    let idat_at = ftyp.len() + 12 + hdlr.len() + iinf.len() + 8;
    let file = [ftyp, meta, bx(b"mdat", &mdat_body)].concat();
    (file, idat_at, mdat_at + 8 + 40)
}

#[test]
fn an_exif_item_in_two_extents_loses_its_gps_ifd_in_idat_or_in_the_file() {
    // The payload redacted in one piece: what the two extents must hold after.
    let whole = exif_payload();
    let n = whole.len() as u64 - 10;
    let p = crate::metadata::tiff::gps_patches(&mut Cursor::new(&whole), 10, n).unwrap();
    assert!(!p.is_empty());
    let mut want = whole.clone();
    crate::file_stream::Redactions::new(p, whole.len() as u64)
        .unwrap()
        .apply(0, &mut want);
    for method in [0, 1] {
        let (file, idat_at, mdat_at) = heif(method);
        let out = redacted(&file).unwrap();
        let got = if method == 1 {
            out[idat_at..idat_at + whole.len()].to_vec()
        } else {
            [
                &out[mdat_at..mdat_at + 17],
                &out[mdat_at + 22..mdat_at + 5 + whole.len()],
            ]
            .concat()
        };
        assert_eq!(got, want, "method {method}");
        let changed = (0..file.len()).filter(|&i| file[i] != out[i]).count();
        assert!(changed > 0 && changed <= whole.len(), "method {method}");
        if method == 0 {
            assert_eq!(&out[mdat_at + 17..mdat_at + 22], &[0xEE; 5]);
        }
    }
}

#[test]
fn items_it_cannot_read_are_errors() {
    let (file, _, _) = heif(0);
    let iloc = file.windows(4).position(|w| w == b"iloc").unwrap();
    // Construction method 2 (from other items), a data reference, an offset past the end,
    // field sizes other than 0, 4 or 8, a version it does not know.
    let cases: [(usize, u8, &str); 5] = [
        (iloc + 4 + 31, 2, "built from other items"),
        (iloc + 4 + 33, 1, "another file"),
        (iloc + 4 + 34, 0x7f, "past the end"),
        (iloc + 4 + 4, 0x34, "field size"),
        (iloc + 4, 3, "version"),
    ];
    for (at, v, says) in cases {
        let mut f = file.clone();
        f[at] = v;
        let err = redacted(&f).unwrap_err();
        assert!(err.contains(says), "{says}: {err}");
    }
    for n in 0..file.len() {
        let _ = redacted(&file[..n]);
    }
}

fn heif_from_tools(ext: &str) {
    if !(tool("convert") && tool("exiftool")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("a.{ext}"));
    run(
        "convert",
        &["-size", "64x48", "gradient:red-blue", s(&path)],
    );
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-n",
            "-Make=TestCam",
            "-Orientation=6",
            "-GPSLatitude=51.5",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=0.12",
            "-GPSLongitudeRef=W",
            "-XMP-exif:GPSLatitude=51.5",
            "-XMP-exif:GPSLongitude=-0.12",
            s(&path),
        ],
    );
    let before = tags(&path);
    let (clean, patches) = redacted_copy(&path);
    assert!(patches > 0);
    assert_eq!(
        std::fs::metadata(&clean).unwrap().len(),
        std::fs::metadata(&path).unwrap().len()
    );
    let after = tags(&clean);
    assert_only_location_gone(&before, &after);
    let pixels = |p: &std::path::Path| run("convert", &[s(p), "rgb:-"]);
    assert_eq!(pixels(&path), pixels(&clean), "{ext} pixels");
}

#[test]
fn a_heic_from_imagemagick_and_exiftool_loses_its_gps_and_keeps_its_pixels() {
    heif_from_tools("heic");
}

#[test]
fn an_avif_from_imagemagick_and_exiftool_loses_its_gps_and_keeps_its_pixels() {
    heif_from_tools("avif");
}
