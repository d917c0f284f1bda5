//! A photo's location removed from its metadata: the EXIF GPS tags dropped with little_exif,
//! every other tag kept (orientation above all), the pixels never re-encoded; the result read
//! back, and for containers whose writer rebuilds chunks (PNG, WebP), the pixels compared.

use little_exif::ifd::ExifTagGroup;
use little_exif::metadata::Metadata;

use super::exif_block::{has_exif_block, replace_webp_exif};
use super::sniff::Kind;

/// Number of GPS tags in the metadata.
pub fn gps_tag_count(meta: &Metadata) -> usize {
    meta.get_ifds()
        .iter()
        .filter(|ifd| ifd.get_ifd_type() == ExifTagGroup::GPS)
        .map(|ifd| ifd.get_tags().len())
        .sum()
}

/// The bytes without their GPS tags; `Ok(None)` when they carry none. Fails (with the reason, as
/// a clause a sentence can hold) when the metadata cannot be read or written back, or when the
/// location cannot be removed without changing the picture.
pub fn strip_gps(bytes: &[u8], kind: Kind) -> Result<Option<Vec<u8>>, String> {
    // XMP (what Lightroom and Photoshop write beside EXIF) can hold the location too; little_exif
    // does not edit XMP, so such a photo is not sent rather than sent with it.
    if [&b"GPSLatitude"[..], b"GPSLongitude"]
        .iter()
        .any(|name| bytes.windows(name.len()).any(|w| w == *name))
    {
        return Err("its XMP metadata holds a location, which Wixup cannot remove yet".into());
    }
    let exif_type = kind.exif_type();
    let buf = bytes.to_vec();
    let mut meta = match Metadata::new_from_vec(&buf, exif_type) {
        Ok(m) => m,
        Err(_) if !has_exif_block(bytes, kind) => return Ok(None),
        Err(e) => return Err(format!("its metadata could not be read: {e}")),
    };
    if gps_tag_count(&meta) == 0 {
        return Ok(None);
    }
    let hexes: Vec<u16> = meta
        .get_ifds()
        .iter()
        .filter(|ifd| ifd.get_ifd_type() == ExifTagGroup::GPS)
        .flat_map(|ifd| ifd.get_tags().iter().map(|t| t.as_u16()))
        .collect();
    for hex in hexes {
        meta.remove_tag_by_hex_group(hex, ExifTagGroup::GPS);
    }
    let out = if kind == Kind::Webp {
        // little_exif's WebP writer rebuilds the container (and spoils lossless pictures): only
        // the EXIF chunk is swapped here, for the one it encodes; every other chunk stays.
        let chunk = meta
            .as_u8_vec(exif_type)
            .map_err(|e| format!("its metadata could not be written: {e}"))?;
        replace_webp_exif(bytes, &chunk).ok_or("its EXIF chunk could not be replaced")?
    } else {
        let mut out = buf;
        meta.write_to_vec(&mut out, exif_type)
            .map_err(|e| format!("its metadata could not be written: {e}"))?;
        out
    };
    // PNG and WebP writers rebuild chunks: the picture must come out the same.
    if kind != Kind::Jpeg && !same_pixels(bytes, &out) {
        return Err("removing its location would change the picture".into());
    }
    // Never send GPS silently: read the result back.
    match Metadata::new_from_vec(&out, exif_type) {
        Ok(m) if gps_tag_count(&m) == 0 => Ok(Some(out)),
        Ok(_) => Err("its GPS tags could not be removed".into()),
        Err(e) => Err(format!("the copy without location could not be read: {e}")),
    }
}

/// Whether two encodings hold the same picture (both must decode).
fn same_pixels(a: &[u8], b: &[u8]) -> bool {
    match (image::load_from_memory(a), image::load_from_memory(b)) {
        (Ok(a), Ok(b)) => a.to_rgba8() == b.to_rgba8(),
        _ => false,
    }
}
