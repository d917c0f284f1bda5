//! The box walker on literal bytes: where each location box sits, and broken structures.

use std::io::Cursor;

use super::find;
use crate::file_stream::Redactions;

mod heif;
mod real;

const XYZ: &[u8] = b"\xA9xyz";

pub(super) fn bx(kind: &[u8], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend(kind);
    b.extend(body);
    b
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The file's bytes with the patches `find` gives applied.
pub(super) fn redacted(file: &[u8]) -> Result<Vec<u8>, String> {
    let len = file.len() as u64;
    let patches = find(&mut Cursor::new(file), len)?;
    let mut out = file.to_vec();
    Redactions::new(patches, len)?.apply(0, &mut out);
    assert_eq!(out.len(), file.len());
    Ok(out)
}

fn xyz_box() -> Vec<u8> {
    bx(XYZ, b"\0\x13\x15\xc7+37.7749-122.4194/")
}

/// `file` with each `(at, bytes)` laid over it.
fn with(file: &[u8], over: &[(usize, &[u8])]) -> Vec<u8> {
    let mut out = file.to_vec();
    for (at, b) in over {
        out[*at..*at + b.len()].copy_from_slice(b);
    }
    out
}

fn freed(b: &[u8]) -> Vec<u8> {
    let mut out = b[..4].to_vec();
    out.extend(b"free");
    out.resize(b.len(), 0);
    out
}

#[test]
fn xyz_in_the_movie_and_in_a_track_becomes_free_with_moov_at_the_end() {
    let ftyp = bx(b"ftyp", b"qt  \0\0\0\0qt  ");
    let mdat = bx(b"mdat", &[0x55; 300]);
    let swr = bx(b"\xA9swr", b"\0\x05\x15\xc7Lavf1");
    let trak = bx(
        b"trak",
        &cat(&[&bx(b"tkhd", &[1; 20]), &bx(b"udta", &xyz_box())]),
    );
    let udta = bx(b"udta", &cat(&[&swr, &xyz_box()]));
    let moov = bx(b"moov", &cat(&[&bx(b"mvhd", &[2; 30]), &trak, &udta]));
    let file = cat(&[&ftyp, &mdat, &moov]);
    let out = redacted(&file).unwrap();
    let moov_at = ftyp.len() + mdat.len();
    let trak_xyz = moov_at + 8 + 38 + 8 + 28 + 8;
    let movie_xyz = moov_at + 8 + 38 + trak.len() + 8 + swr.len();
    let want = with(
        &file,
        &[
            (trak_xyz, &freed(&xyz_box())),
            (movie_xyz, &freed(&xyz_box())),
        ],
    );
    assert_eq!(out, want);
}

#[test]
fn a_large_size_mdat_and_a_size_zero_box_are_stepped_over() {
    let mut mdat = b"\0\0\0\x01mdat".to_vec();
    mdat.extend(40u64.to_be_bytes());
    mdat.extend([0x77; 24]);
    let udta = bx(
        b"udta",
        &bx(b"loci", b"\0\0\0\0\x15\xc7Home\0\0\x01\0\0\x02\0"),
    );
    let moov = bx(b"moov", &udta);
    let mut tail = b"\0\0\0\0mdat".to_vec();
    tail.extend([0x99; 50]);
    let file = cat(&[&mdat, &moov, &tail]);
    let out = redacted(&file).unwrap();
    let loci = &udta[8..];
    assert_eq!(out, with(&file, &[(40 + 16, &freed(loci))]));
}

/// An Apple `meta`: `hdlr` (mdta), `keys` and `ilst` items typed by key index.
fn apple_meta(full: bool) -> Vec<u8> {
    let key = |name: &[u8]| {
        let mut k = ((name.len() + 8) as u32).to_be_bytes().to_vec();
        k.extend(b"mdta");
        k.extend(name);
        k
    };
    let mut keys = vec![0, 0, 0, 0, 0, 0, 0, 3];
    keys.extend(key(b"com.apple.quicktime.location.ISO6709"));
    keys.extend(key(b"com.apple.quicktime.make"));
    keys.extend(key(b"com.apple.quicktime.location.name"));
    let data = |v: &[u8]| bx(b"data", &cat(&[b"\0\0\0\x01\0\0\0\0", v]));
    let ilst = cat(&[
        &bx(&1u32.to_be_bytes(), &data(b"+37.7749-122.4194+010.000/")),
        &bx(&2u32.to_be_bytes(), &data(b"Apple")),
        &bx(&3u32.to_be_bytes(), &data(b"Home")),
    ]);
    let hdlr = bx(b"hdlr", &cat(&[&[0; 8], b"mdta", &[0; 13]]));
    let body = cat(&[&hdlr, &bx(b"keys", &keys), &bx(b"ilst", &ilst)]);
    let body = if full { cat(&[&[0; 4], &body]) } else { body };
    bx(b"meta", &body)
}

#[test]
fn apple_location_keys_lose_their_values_and_names_and_the_rest_stays() {
    for (full, in_udta) in [(false, false), (true, true), (false, true)] {
        let meta = apple_meta(full);
        let inner = if in_udta { bx(b"udta", &meta) } else { meta };
        let moov = bx(b"moov", &bx(b"trak", &inner));
        let file = cat(&[&bx(b"ftyp", b"qt  "), &moov]);
        let out = redacted(&file).unwrap();
        let text = String::from_utf8_lossy(&out).into_owned();
        assert!(!text.contains("location"), "{text:?}");
        assert!(!text.contains("+37.7749"), "{text:?}");
        assert!(!text.contains("Home"), "{text:?}");
        assert!(text.contains("com.apple.quicktime.make"), "{text:?}");
        assert!(text.contains("Apple"), "{text:?}");
        assert!(
            text.contains("com.wixup.removed.xxxxxxxxxxxxxxxxxx\0"),
            "{text:?}"
        );
        assert!(
            text.contains("com.wixup.removed.xxxxxxxxxxxxxxx\0"),
            "{text:?}"
        );
        // Only key names and values changed: every box header is where it was.
        let changed: Vec<usize> = (0..file.len()).filter(|&i| file[i] != out[i]).collect();
        let first = *changed.first().unwrap();
        assert!(file[first..].starts_with(b"apple.quicktime.location"));
    }
}

#[test]
fn an_itunes_xyz_item_becomes_free() {
    let item = bx(XYZ, &bx(b"data", b"\0\0\0\x01\0\0\0\0+01.0+002.0/"));
    let title = bx(b"\xA9nam", &bx(b"data", b"\0\0\0\x01\0\0\0\0Walk"));
    let ilst = bx(b"ilst", &cat(&[&title, &item]));
    let hdlr = bx(b"hdlr", &cat(&[&[0; 8], b"mdir", &[0; 13]]));
    let meta = bx(b"meta", &cat(&[&[0; 4], &hdlr, &ilst]));
    let file = bx(b"moov", &bx(b"udta", &meta));
    let out = redacted(&file).unwrap();
    let at = file.len() - item.len();
    assert_eq!(out, with(&file, &[(at, &freed(&item))]));
}

/// A movie with one track whose `stsd` lists `entry` (a sample entry's whole box).
fn movie_with_sample_entry(entry: &[u8]) -> Vec<u8> {
    let stsd = bx(b"stsd", &cat(&[&[0, 0, 0, 0, 0, 0, 0, 1], entry]));
    let trak = bx(b"trak", &bx(b"mdia", &bx(b"minf", &bx(b"stbl", &stsd))));
    cat(&[
        &bx(b"ftyp", b"isom"),
        &bx(b"mdat", &[7; 16]),
        &bx(b"moov", &trak),
    ])
}

/// A `mebx` sample entry whose key table holds `key`.
fn mebx(key: &[u8]) -> Vec<u8> {
    let keyd = bx(b"keyd", &cat(&[b"mdta", key]));
    let keys = bx(b"keys", &bx(&[0, 0, 0, 1], &keyd));
    bx(b"mebx", &cat(&[&[0; 8], &keys]))
}

#[test]
fn a_track_that_records_the_position_frame_by_frame_is_refused() {
    for (entry, kind) in [
        (bx(b"gpmd", &[0; 8]), "gpmd"),
        (bx(b"camm", &[0; 8]), "camm"),
        (bx(b"rtmd", &[0; 8]), "rtmd"),
        (mebx(b"com.apple.quicktime.location.ISO6709"), "mebx"),
    ] {
        let err = redacted(&movie_with_sample_entry(&entry)).unwrap_err();
        assert!(err.contains(kind) && err.contains("cannot remove"), "{err}");
    }
    // A dashcam's GPS log index in the movie box.
    let dashcam = cat(&[&bx(b"ftyp", b"isom"), &bx(b"moov", &bx(b"gps ", &[0; 16]))]);
    assert!(redacted(&dashcam).unwrap_err().contains("GPS log"));
    // Timed metadata without a location, and ordinary video, go as they are.
    let orientation = mebx(b"com.apple.quicktime.video-orientation");
    let avc = bx(b"avc1", &[0; 78]);
    for entry in [orientation, avc] {
        let file = movie_with_sample_entry(&entry);
        assert_eq!(redacted(&file).unwrap(), file);
    }
}

/// A CR3's Canon box: its GPS IFD (`CMT4`, a TIFF of its own) goes whole, the camera's other
/// tags (`CMT1`) stay.
#[test]
fn a_cr3s_gps_box_goes_whole() {
    let canon: [u8; 16] = [
        0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a,
        0x48,
    ];
    let cmt1 = bx(b"CMT1", b"II*\0\x08\0\0\0camera");
    let cmt4 = bx(b"CMT4", b"II*\0\x08\0\0\0gps-ifd");
    let uuid = bx(b"uuid", &cat(&[&canon, &cmt1, &cmt4]));
    let file = cat(&[
        &bx(b"ftyp", b"crx "),
        &bx(b"moov", &uuid),
        &bx(b"mdat", &[1; 8]),
    ]);
    let out = redacted(&file).unwrap();
    let at = file.len() - 16 - cmt4.len();
    assert_eq!(out[at..at + cmt4.len()], freed(&cmt4)[..]);
    assert_eq!(out[..at], file[..at]);
}

#[test]
fn a_file_without_a_location_has_no_patch() {
    let moov = bx(b"moov", &bx(b"udta", &bx(b"\xA9swr", b"\0\x01\x15\xc7x")));
    let file = cat(&[&bx(b"ftyp", b"isom"), &bx(b"mdat", &[1; 9]), &moov]);
    let len = file.len() as u64;
    assert_eq!(find(&mut Cursor::new(&file), len).unwrap(), vec![]);
}

#[test]
fn broken_structures_are_errors_not_panics() {
    let ftyp = bx(b"ftyp", b"isom");
    // A top-level box past the end, one smaller than its header, a child past its parent,
    // a cut 64-bit size, a keys entry past its box, a compressed movie, nesting too deep.
    let mut past = bx(b"mdat", &[0; 8]);
    past[3] = 200;
    let small = cat(&[&ftyp, b"\0\0\0\x04free\0\0\0\0"]);
    let mut child = bx(b"moov", &bx(b"udta", &xyz_box()));
    child[11] += 1;
    let cut = cat(&[&ftyp, b"\0\0\0\x01mdat\0\0\0\0"]);
    let mut keys = apple_meta(false);
    let k = keys.windows(4).position(|w| w == b"keys").unwrap();
    keys[k + 15] = 0xff;
    let cmov = bx(b"moov", &bx(b"cmov", &[0; 12]));
    let mut deep = xyz_box();
    for _ in 0..20 {
        deep = bx(b"udta", &deep);
    }
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("past", cat(&[&ftyp, &past])),
        ("small", small),
        ("child", child),
        ("cut", cut),
        ("keys", bx(b"moov", &keys)),
        ("cmov", cmov),
        ("deep", bx(b"moov", &deep)),
    ];
    for (name, file) in cases {
        let err = redacted(&file).expect_err(name);
        assert!(err.starts_with("its "), "{name}: {err}");
    }
}

#[test]
fn every_cut_and_every_flipped_byte_of_a_movie_ends_without_a_panic() {
    let moov = bx(
        b"moov",
        &cat(&[&bx(b"trak", &bx(b"udta", &xyz_box())), &apple_meta(false)]),
    );
    let file = cat(&[&bx(b"ftyp", b"qt  "), &bx(b"mdat", &[3; 20]), &moov]);
    for n in 0..file.len() {
        let _ = redacted(&file[..n]);
    }
    for i in 0..file.len() {
        for v in [0u8, 1, 7, 8, 0x80, 0xff] {
            let mut f = file.clone();
            f[i] = v;
            let _ = redacted(&f);
        }
    }
}
