//! "Remove location from photos and videos": a photo with GPS tags is sent without them (the same
//! orientation, the same pixels, the file on disk untouched); with the setting off it is sent as
//! it is.

use std::path::{Path, PathBuf};

use little_exif::exif_tag::ExifTag;
use little_exif::filetype::FileExtension;
use little_exif::metadata::Metadata;
use little_exif::rational::uR64;
use md5::Digest as _;
use wixup::engine::{JobOptions, JobResult, Verification};

use super::support::{Env, get, shared_testdata, start_and_add_with};

fn r(n: u32) -> uR64 {
    uR64 {
        nominator: n,
        denominator: 1,
    }
}

/// A copy of `src` at `dir/name` with GPS tags added (Paris); the other tags kept.
pub(super) fn with_gps(src: &[u8], dir: &Path, name: &str, kind: FileExtension) -> PathBuf {
    let mut bytes = src.to_vec();
    let mut meta = Metadata::new_from_vec(&bytes, kind).unwrap_or_else(|_| Metadata::new());
    meta.set_tag(ExifTag::GPSLatitudeRef("N".into()));
    meta.set_tag(ExifTag::GPSLatitude(vec![r(48), r(51), r(24)]));
    meta.set_tag(ExifTag::GPSLongitudeRef("E".into()));
    meta.set_tag(ExifTag::GPSLongitude(vec![r(2), r(21), r(3)]));
    meta.write_to_vec(&mut bytes, kind).expect("add GPS");
    let path = dir.join(name);
    std::fs::write(&path, &bytes).expect("write");
    assert!(gps(&bytes, kind) >= 4, "the test photo carries GPS");
    path
}

pub(super) fn gps(bytes: &[u8], kind: FileExtension) -> usize {
    Metadata::new_from_vec(&bytes.to_vec(), kind).map_or(0, |m| {
        m.get_ifds()
            .iter()
            .filter(|ifd| ifd.get_ifd_type() == little_exif::ifd::ExifTagGroup::GPS)
            .map(|ifd| ifd.get_tags().len())
            .sum()
    })
}

pub(super) fn orientation(bytes: &[u8]) -> Option<Vec<u16>> {
    let m = Metadata::new_from_vec(&bytes.to_vec(), FileExtension::JPEG).ok()?;
    let tag = m.get_tag(&ExifTag::Orientation(vec![])).next()?.clone();
    match tag {
        ExifTag::Orientation(v) => Some(v),
        _ => None,
    }
}

fn pixels(bytes: &[u8]) -> Vec<u8> {
    image::load_from_memory(bytes)
        .expect("decode")
        .to_rgba8()
        .into_raw()
}

fn md5_of(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}

async fn upload(env: &Env, file: &Path, strip: bool, one_put_below: u64) -> JobResult {
    let mut cfg = env.engine_config("data");
    cfg.one_put_below = one_put_below;
    // Every call sends the photo (one test sends it both ways): none is found "already there".
    let options = JobOptions {
        remove_location: strip,
        skip_duplicates: false,
    };
    let (handle, mut events, ids) =
        start_and_add_with(cfg, vec![file.to_path_buf()], options).await;
    let r = events.finish(&ids, 30).await[0].done().clone();
    handle.shutdown().await;
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_with_gps_is_sent_without_it_upright_and_with_the_same_pixels() {
    let Some(dir) = shared_testdata() else { return };
    let env = Env::start().await;
    let src = std::fs::read(dir.join("Landscape_6.jpg")).expect("testdata");
    assert_eq!(orientation(&src), Some(vec![6]));
    let photo = with_gps(&src, env.dir.path(), "paris.jpg", FileExtension::JPEG);
    let original = std::fs::read(&photo).expect("read");

    // Both ways through: one PUT (the default for small files) and tus.
    for below in [10_000_000, 0] {
        let r = upload(&env, &photo, true, below).await;
        assert_eq!(
            r.verified,
            Verification::Verified,
            "the MD5 of the bytes sent"
        );
        assert!(r.location_removed);
        assert_eq!(r.source_md5.as_deref(), Some(md5_of(&original).as_str()));
        let (status, served) = get(r.url.as_deref().expect("url")).await;
        assert_eq!(status, 200);
        assert_eq!(gps(&served, FileExtension::JPEG), 0, "no GPS on the site");
        assert_eq!(orientation(&served), Some(vec![6]), "still upright");
        assert_eq!(pixels(&served), pixels(&original), "identical pixels");
        assert_eq!(
            std::fs::read(&photo).expect("read"),
            original,
            "the file on disk is untouched"
        );
        let staged = env.path("data").join("staged");
        let left = std::fs::read_dir(&staged).map_or(0, |d| d.count());
        assert_eq!(left, 0, "no copy is made");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_setting_off_the_photo_is_sent_as_it_is() {
    let Some(dir) = shared_testdata() else { return };
    let env = Env::start().await;
    let src = std::fs::read(dir.join("Portrait_6.jpg")).expect("testdata");
    let photo = with_gps(&src, env.dir.path(), "keep.jpg", FileExtension::JPEG);
    let r = upload(&env, &photo, false, 10_000_000).await;
    assert!(!r.location_removed);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert_eq!(
        served,
        std::fs::read(&photo).expect("read"),
        "byte-identical, GPS kept"
    );
    assert!(gps(&served, FileExtension::JPEG) >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_without_gps_is_sent_from_the_original_unchanged() {
    let Some(dir) = shared_testdata() else { return };
    let env = Env::start().await;
    let photo = env.dir.path().join("plain.jpg");
    std::fs::copy(dir.join("Landscape_3.jpg"), &photo).expect("copy");
    let r = upload(&env, &photo, true, 10_000_000).await;
    assert!(!r.location_removed);
    assert_eq!(r.verified, Verification::Verified);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert_eq!(served, std::fs::read(&photo).expect("read"));
}

/// A small JPEG (no metadata of its own) with one segment `marker` holding `data` right after
/// its start of image.
fn jpeg_with_segment(marker: u8, data: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    img.write_to(
        &mut std::io::Cursor::new(&mut encoded),
        image::ImageFormat::Jpeg,
    )
    .expect("encode");
    let mut bytes = encoded[..2].to_vec();
    bytes.extend([0xFF, marker]);
    bytes.extend(((data.len() + 2) as u16).to_be_bytes());
    bytes.extend(data);
    bytes.extend(&encoded[2..]);
    bytes
}

/// Found by the Xvfb run: a large photo without any metadata whose compressed pixels happened
/// to hold the bytes "EXIF" failed "its metadata could not be read" and was never sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_without_metadata_uploads_even_when_its_bytes_spell_exif() {
    let env = Env::start().await;
    // A comment segment that spells every EXIF marker: no EXIF block at all.
    let bytes = jpeg_with_segment(0xFE, b"Exif\0\0 EXIF eXIf");
    let photo = env.dir.path().join("no-metadata.jpg");
    std::fs::write(&photo, &bytes).expect("write");
    let r = upload(&env, &photo, true, 10_000_000).await;
    assert!(!r.location_removed);
    assert_eq!(r.verified, Verification::Verified);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert_eq!(served, bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_png_with_gps_loses_it_and_keeps_its_pixels() {
    let env = Env::start().await;
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
    for (name, format, kind) in [(
        "gps.png",
        image::ImageFormat::Png,
        FileExtension::PNG {
            as_zTXt_chunk: false,
        },
    )] {
        let mut buf = std::io::Cursor::new(Vec::new());
        img.write_to(&mut buf, format).expect("encode");
        let photo = with_gps(buf.get_ref(), env.dir.path(), name, kind);
        let original = std::fs::read(&photo).expect("read");
        assert_eq!(
            pixels(&original),
            pixels(buf.get_ref()),
            "{name}: GPS added, pixels kept"
        );
        let r = upload(&env, &photo, true, 10_000_000).await;
        assert!(r.location_removed, "{name}");
        assert_eq!(r.verified, Verification::Verified, "{name}");
        let (_, served) = get(r.url.as_deref().expect("url")).await;
        assert_eq!(gps(&served, kind), 0, "{name}: no GPS on the site");
        assert_eq!(
            pixels(&served),
            pixels(&original),
            "{name}: identical pixels"
        );
        assert_eq!(
            std::fs::read(&photo).expect("read"),
            original,
            "{name}: untouched"
        );
    }
}

/// A lossless WebP in the extended format (VP8X, VP8L, EXIF) whose EXIF holds an orientation
/// and GPS, built from its parts: the metadata encoded by little_exif, the pixels by `image`.
fn webp_with_gps(path: &Path) -> Vec<u8> {
    let (w, h) = (40u32, 30u32);
    let img =
        image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([x as u8 * 6, y as u8 * 8, 7, 255]));
    let mut simple = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut simple)
        .encode(img.as_raw(), w, h, image::ExtendedColorType::Rgba8)
        .expect("encode");
    assert_eq!(&simple[12..16], b"VP8L");
    let mut meta = Metadata::new();
    meta.set_tag(ExifTag::Orientation(vec![6]));
    meta.set_tag(ExifTag::GPSLatitudeRef("N".into()));
    meta.set_tag(ExifTag::GPSLatitude(vec![r(48), r(51), r(24)]));
    let exif = meta.as_u8_vec(FileExtension::WEBP).expect("EXIF chunk");
    let mut body = b"WEBPVP8X\x0a\0\0\0".to_vec();
    body.extend([0x08, 0, 0, 0]); // flags: EXIF
    body.extend(&(w - 1).to_le_bytes()[..3]);
    body.extend(&(h - 1).to_le_bytes()[..3]);
    body.extend(&simple[12..]);
    body.extend(exif);
    let mut bytes = b"RIFF".to_vec();
    bytes.extend((body.len() as u32).to_le_bytes());
    bytes.extend(body);
    std::fs::write(path, &bytes).expect("write");
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lossless_webp_with_gps_loses_it_and_keeps_its_pixels_and_orientation() {
    let env = Env::start().await;
    let photo = env.dir.path().join("gps.webp");
    let original = webp_with_gps(&photo);
    assert!(
        gps(&original, FileExtension::WEBP) >= 2,
        "the test photo carries GPS"
    );
    let r = upload(&env, &photo, true, 10_000_000).await;
    assert!(r.location_removed);
    assert_eq!(r.verified, Verification::Verified);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert_eq!(gps(&served, FileExtension::WEBP), 0, "no GPS on the site");
    assert_eq!(pixels(&served), pixels(&original), "identical pixels");
    let m = Metadata::new_from_vec(&served, FileExtension::WEBP).expect("metadata");
    let o = m.get_tag(&ExifTag::Orientation(vec![])).next().cloned();
    assert!(
        matches!(&o, Some(ExifTag::Orientation(v)) if v == &[6]),
        "{o:?}"
    );
    assert_eq!(
        std::fs::read(&photo).unwrap(),
        original,
        "the file on disk is unchanged"
    );
}

/// A location in XMP (as Lightroom exports write it) is blanked in place: the photo is sent
/// without it, the packet still well-formed with the rest of it, nothing moved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_with_its_location_in_xmp_is_sent_without_it() {
    let env = Env::start().await;
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend(br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" exif:GPSLatitude="48,51.4N" exif:GPSLongitude="2,21.05E" dc:format="image/jpeg"/></rdf:RDF></x:xmpmeta>"#);
    let bytes = jpeg_with_segment(0xE1, &xmp);
    let photo = env.dir.path().join("lightroom.jpg");
    std::fs::write(&photo, &bytes).expect("write");

    let r = upload(&env, &photo, true, 10_000_000).await;
    assert!(r.location_removed);
    assert_eq!(r.verified, Verification::Verified);
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert_eq!(served.len(), bytes.len(), "nothing moved");
    let text = String::from_utf8_lossy(&served);
    assert!(!text.contains("GPS") && !text.contains("48,51"), "{text}");
    assert!(
        text.contains(r#"dc:format="image/jpeg""#),
        "the rest stays: {text}"
    );

    let r = upload(&env, &photo, false, 10_000_000).await;
    let (_, served) = get(r.url.as_deref().expect("url")).await;
    assert_eq!(served, bytes, "with the setting off: as it is");
}

/// A location Wixup cannot take out (a GPS IFD its EXIF block points past the end of): the
/// photo is not sent, and the message names it and says what to do in the window's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_that_cannot_be_taken_out_keeps_the_photo_from_being_sent() {
    let env = Env::start().await;
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0".to_vec();
    // IFD0: one entry, GPSInfo (LONG, 1) pointing far past the block; no next IFD.
    exif.extend([
        1, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 0xF0, 0xFF, 0, 0, 0, 0, 0, 0,
    ]);
    let bytes = jpeg_with_segment(0xE1, &exif);
    let photo = env.dir.path().join("broken gps.jpg");
    std::fs::write(&photo, &bytes).expect("write");
    let cfg = env.engine_config("data");
    let options = JobOptions {
        remove_location: true,
        skip_duplicates: false,
    };
    let (handle, mut events, ids) = start_and_add_with(cfg, vec![photo.clone()], options).await;
    let out = events.finish(&ids, 30).await;
    let error = out[0].failed();
    assert!(error.message.contains("broken gps.jpg"), "{error:?}");
    assert!(
        error
            .message
            .contains("\"Remove location from photos and videos\" in Settings"),
        "{error:?}"
    );
    assert!(
        !error.message.contains("--keep-location"),
        "the window's words: {error:?}"
    );
    handle.shutdown().await;
    assert_eq!(env.stat(|s| &s.bytes_received), 0, "nothing was sent");
    assert_eq!(env.stat(|s| &s.uploads_created), 0, "nothing was created");
}
