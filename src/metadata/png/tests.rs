use std::io::Cursor;
use std::path::Path;

use super::{NEUTRAL, find};
use crate::metadata::testing::{self, s};
use crate::metadata::{Patch, Redactions, tiff};

/// A PNG from chunks, CRCs computed.
fn png(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = super::SIGNATURE.to_vec();
    for (kind, data) in chunks {
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(kind.as_slice());
        out.extend(data);
        out.extend(crc32fast::hash(&[kind.as_slice(), data].concat()).to_be_bytes());
    }
    out
}

/// A 2×1 grey image's IHDR and IDAT.
fn image() -> Vec<(&'static [u8; 4], Vec<u8>)> {
    let ihdr = [
        &2u32.to_be_bytes()[..],
        &1u32.to_be_bytes(),
        &[8, 0, 0, 0, 0],
    ]
    .concat();
    let idat = miniz_oxide::deflate::compress_to_vec_zlib(&[0, 0x40, 0xC0], 6);
    vec![(b"IHDR", ihdr), (b"IDAT", idat)]
}

/// A little-endian TIFF: IFD0 with Make ("Canon") and a GPS pointer; the GPS IFD with
/// GPSLatitudeRef "N".
fn tiff_with_gps() -> Vec<u8> {
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    t.extend(2u16.to_le_bytes());
    t.extend([0x0F, 0x01, 2, 0, 6, 0, 0, 0, 38, 0, 0, 0]); // Make, ASCII, 6, at 38
    t.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0, 44, 0, 0, 0]); // GPS IFD at 44
    t.extend(0u32.to_le_bytes());
    t.extend(b"Canon\0");
    t.extend(1u16.to_le_bytes());
    t.extend([1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]); // GPSLatitudeRef "N"
    t.extend(0u32.to_le_bytes());
    t
}

fn apply(bytes: &[u8], patches: Vec<Patch>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    Redactions::new(patches, bytes.len() as u64)
        .expect("patches within the file")
        .apply(0, &mut out);
    out
}

fn find_in(bytes: &[u8]) -> Result<Vec<Patch>, String> {
    find(&mut Cursor::new(bytes), bytes.len() as u64)
}

/// Every chunk of a PNG, `(type, data)`, each CRC checked.
fn chunks(bytes: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        let n = u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4")) as usize;
        let body = &bytes[at + 4..at + 8 + n];
        let crc = u32::from_be_bytes(bytes[at + 8 + n..at + 12 + n].try_into().expect("4"));
        assert_eq!(
            crc32fast::hash(body),
            crc,
            "CRC of {:?}",
            String::from_utf8_lossy(&body[..4])
        );
        out.push((body[..4].try_into().expect("4"), body[4..].to_vec()));
        at += 12 + n;
    }
    out
}

fn raw_profile(name: &str, payload: &[u8]) -> String {
    let hex = hex::encode(payload);
    let lines: Vec<&str> = hex
        .as_bytes()
        .chunks(72)
        .map(|c| std::str::from_utf8(c).expect("hex"))
        .collect();
    format!("\n{name}\n{:8}\n{}\n", payload.len(), lines.join("\n"))
}

#[test]
fn exif_after_the_image_data_loses_its_gps_and_the_crc_is_mended() {
    let mut c = image();
    c.push((b"eXIf", tiff_with_gps()));
    c.push((b"IEND", vec![]));
    let file = png(&c);
    let patches = find_in(&file).expect("walks");
    assert!(!patches.is_empty());
    let out = apply(&file, patches);
    let after = chunks(&out);
    let exif = &after[2].1;
    assert_eq!(&after[2].0, b"eXIf");
    assert_eq!(
        tiff::gps_patches(&mut Cursor::new(exif), 0, exif.len() as u64),
        Ok(vec![])
    );
    assert_eq!(&exif[38..44], b"Canon\0", "Make stays");
    assert_eq!(find_in(&out), Ok(vec![]), "nothing left to take out");
    // The CRC check of `chunks` can fail: a patch without the CRC is caught.
    let without_crc = apply(&file, find_in(&file).expect("walks")[..1].to_vec());
    assert!(std::panic::catch_unwind(|| chunks(&without_crc)).is_err());
    let a = image::load_from_memory(&file).expect("decodes").to_luma8();
    let b = image::load_from_memory(&out).expect("decodes").to_luma8();
    assert_eq!(a.as_raw(), b.as_raw());
}

#[test]
fn a_hex_raw_profile_in_text_is_patched_through_its_digits() {
    let exif = [&b"Exif\0\0"[..], &tiff_with_gps()].concat();
    let text = raw_profile("exif", &exif);
    let mut c = image();
    c.insert(
        1,
        (
            b"tEXt",
            [&b"Raw profile type exif\0"[..], text.as_bytes()].concat(),
        ),
    );
    c.push((b"IEND", vec![]));
    let file = png(&c);
    let out = apply(&file, find_in(&file).expect("walks"));
    let after = chunks(&out);
    let new_text = &after[1].1[22..];
    assert_eq!(new_text.len(), text.len());
    let newlines = |t: &[u8]| {
        t.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    assert_eq!(newlines(new_text), newlines(text.as_bytes()), "lines kept");
    let (decoded, _) = super::raw_profile(new_text).expect("still a raw profile");
    assert_eq!(
        tiff::gps_patches(&mut Cursor::new(&decoded), 6, decoded.len() as u64 - 6),
        Ok(vec![])
    );
    assert_eq!(&decoded[6 + 38..6 + 44], b"Canon\0");
    assert_eq!(find_in(&out), Ok(vec![]));
}

#[test]
fn compressed_chunks_with_a_location_are_renamed_and_zeroed_and_the_rest_stay() {
    let zip = |t: &[u8]| miniz_oxide::deflate::compress_to_vec_zlib(t, 6);
    let exif = [&b"Exif\0\0"[..], &tiff_with_gps()].concat();
    let xmp = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='1'/></rdf:RDF></x:xmpmeta>";
    let harmless = raw_profile(
        "exif",
        &[&b"Exif\0\0"[..], &tiff_with_gps()[..8], &[0; 6]].concat(),
    );
    let mut c = image();
    c.insert(
        1,
        (
            b"zTXt",
            [
                &b"Raw profile type exif\0\0"[..],
                &zip(raw_profile("exif", &exif).as_bytes()),
            ]
            .concat(),
        ),
    );
    c.insert(
        1,
        (
            b"iTXt",
            [&b"XML:com.adobe.xmp\0\x01\0\0\0"[..], &zip(xmp.as_bytes())].concat(),
        ),
    );
    c.insert(
        1,
        (
            b"zTXt",
            [&b"Raw profile type exif\0\0"[..], &zip(harmless.as_bytes())].concat(),
        ),
    );
    c.insert(
        1,
        (b"tEXt", b"exif:GPSLatitude\x0051/1, 30/1, 0/1".to_vec()),
    );
    c.insert(1, (b"tEXt", b"exif:Make\0Canon".to_vec()));
    c.push((b"IEND", vec![]));
    let file = png(&c);
    let out = apply(&file, find_in(&file).expect("walks"));
    let after = chunks(&out);
    let kinds: Vec<&[u8]> = after.iter().map(|(k, _)| &k[..]).collect();
    assert_eq!(
        kinds,
        [
            &b"IHDR"[..],
            b"tEXt",
            b"wxRd",
            b"zTXt",
            b"wxRd",
            b"wxRd",
            b"IDAT",
            b"IEND"
        ]
    );
    assert_eq!(&NEUTRAL, b"wxRd");
    for (k, data) in &after {
        if k == &NEUTRAL {
            assert!(data.iter().all(|&b| b == 0));
        }
    }
    assert_eq!(after[1].1, b"exif:Make\0Canon");
    assert_eq!(
        (&after[3].0, &after[3].1),
        (c[3].0, &c[3].1),
        "the harmless profile stays"
    );
    assert_eq!(find_in(&out), Ok(vec![]));
    assert_eq!(
        image::load_from_memory(&out)
            .expect("decodes")
            .to_luma8()
            .as_raw(),
        &[0x40, 0xC0]
    );
}

#[test]
fn an_uncompressed_xmp_packet_is_blanked_in_place() {
    let xmp = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='1' exif:Flash='0'/></rdf:RDF></x:xmpmeta>";
    let mut c = image();
    c.insert(
        1,
        (
            b"iTXt",
            [&b"XML:com.adobe.xmp\0\0\0\0\0"[..], xmp.as_bytes()].concat(),
        ),
    );
    c.push((b"IEND", vec![]));
    let file = png(&c);
    let out = apply(&file, find_in(&file).expect("walks"));
    let text = String::from_utf8(chunks(&out)[1].1[22..].to_vec()).expect("utf-8");
    assert!(
        !text.contains("GPS") && text.contains("exif:Flash='0'"),
        "{text}"
    );
}

#[test]
fn cut_short_or_broken_files_are_refused_without_a_panic() {
    let mut c = image();
    c.push((b"eXIf", tiff_with_gps()));
    c.push((b"IEND", vec![]));
    let file = png(&c);
    for n in 0..file.len() {
        assert!(find_in(&file[..n]).is_err(), "cut at {n}");
    }
    let mut broken = file.clone();
    broken[0] = b'x';
    assert!(find_in(&broken).is_err());
    let mut huge = file.clone();
    huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(find_in(&huge).is_err());
}

fn pixels(path: &Path) -> Vec<u8> {
    image::open(path).expect("decodes").to_rgba8().into_raw()
}

/// No CRC error by exiftool's validation, and every CRC right by ours.
fn assert_valid(path: &Path) {
    let out = testing::run("exiftool", &["-validate", "-warning", "-a", s(path)]);
    assert!(
        !String::from_utf8_lossy(&out).contains("CRC"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    chunks(&std::fs::read(path).expect("read"));
}

/// PNGs exiftool and ImageMagick write: EXIF in eXIf (before and after IDAT), XMP in iTXt,
/// ImageMagick's compressed raw XMP profile and its `exif:GPS…` text tags.
#[test]
fn pngs_real_tools_write_lose_only_their_location() {
    if !(testing::tool("convert") & testing::tool("exiftool")) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |n: &str| dir.path().join(n);
    let gps = [
        "-GPSLatitude=51.5",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=0.12",
        "-GPSLongitudeRef=W",
    ];
    let exiftool = |file: &Path, args: &[&str]| {
        let mut all = vec!["-q", "-overwrite_original"];
        all.extend_from_slice(args);
        all.push(s(file));
        testing::run("exiftool", &all);
    };
    // EXIF and XMP written by exiftool into a PNG.
    testing::run(
        "convert",
        &["-size", "64x48", "gradient:", s(&path("a.png"))],
    );
    std::fs::copy(path("a.png"), path("x.png")).expect("copy");
    exiftool(
        &path("a.png"),
        &[
            &gps[..],
            &["-Make=Canon", "-DateTimeOriginal=2024:01:02 03:04:05"],
        ]
        .concat(),
    );
    exiftool(
        &path("x.png"),
        &[
            "-XMP-exif:GPSLatitude=51.5",
            "-XMP-exif:GPSLongitude=-0.12",
            "-XMP-dc:Title=Tower",
        ],
    );
    // A JPEG with EXIF and XMP GPS made a PNG by ImageMagick.
    testing::run(
        "convert",
        &["-size", "64x48", "gradient:", s(&path("c.jpg"))],
    );
    exiftool(
        &path("c.jpg"),
        &[
            &gps[..],
            &[
                "-Make=Canon",
                "-XMP-exif:GPSLatitude=51.5",
                "-XMP-dc:Title=Tower",
            ],
        ]
        .concat(),
    );
    testing::run("convert", &[s(&path("c.jpg")), s(&path("d.png"))]);
    for name in ["a.png", "x.png", "d.png"] {
        let before = testing::tags(&path(name));
        let (out, n) = testing::redacted_copy(&path(name));
        assert!(n > 0, "{name}");
        let after = testing::tags(&out);
        let mut expected = before.clone();
        if name == "d.png" {
            // The compressed XMP profile held a location: it went whole, its Title with it;
            // ImageMagick's text copies of GPS tags went too.
            assert!(before.contains_key("XMP-dc:Title"), "{before:#?}");
            expected.retain(|k, _| {
                !k.starts_with("XMP-")
                    && !k.starts_with("PNG:ExifGPS")
                    && !k.starts_with("PNG:XmpGPS")
            });
            assert!(
                after.contains_key("IFD0:Make") && after.contains_key("PNG:ExifMake"),
                "{after:#?}"
            );
        }
        testing::assert_only_location_gone(&expected, &after);
        assert_eq!(pixels(&path(name)), pixels(&out), "{name}: the same pixels");
        assert_valid(&out);
    }
}
