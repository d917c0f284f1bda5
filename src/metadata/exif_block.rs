//! Whether a JPEG, PNG or WebP carries an EXIF block, by walking the container's own structure
//! (JPEG segments up to the scan, PNG chunks, RIFF chunks), never by looking for the word "Exif"
//! anywhere in the bytes: compressed pixels of a large photo hold any four bytes by chance, and a
//! photo without metadata must not fail "its metadata could not be read".
//!
//! A container that cannot be walked counts as carrying a block: then the metadata reader's
//! error stands, and a photo whose GPS cannot be ruled out is not sent.

use super::sniff::Kind;

/// Whether the bytes of a `kind` file carry an EXIF block (`true` when they cannot be walked).
pub fn has_exif_block(bytes: &[u8], kind: Kind) -> bool {
    let walked = match kind {
        Kind::Jpeg => jpeg(bytes),
        Kind::Png => png(bytes),
        Kind::Webp => webp(bytes),
    };
    walked.unwrap_or(true)
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// Segments from SOI to the first scan: an APP1 that starts `Exif\0\0` is the block. `None`
/// when the bytes end (or stop being a JPEG) before the scan: a file's first bytes are enough.
pub fn jpeg(b: &[u8]) -> Option<bool> {
    if b.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        if *b.get(at)? != 0xFF {
            return None;
        }
        let marker = *b.get(at + 1)?;
        match marker {
            // Fill byte before a marker.
            0xFF => at += 1,
            // Start of scan, end of image: metadata comes before them.
            0xDA | 0xD9 => return Some(false),
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => at += 2,
            _ => {
                let len = be16(b, at + 2)?;
                let body = len.checked_sub(2)?;
                let data = b.get(at + 4..at + 4 + body)?;
                if marker == 0xE1 && data.starts_with(b"Exif\0\0") {
                    return Some(true);
                }
                at += 2 + len;
            }
        }
    }
}

/// Chunks to IEND: `eXIf`, or a text chunk holding ImageMagick's raw EXIF profile.
fn png(b: &[u8]) -> Option<bool> {
    if b.get(..8)? != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let mut at = 8;
    loop {
        let len = be32(b, at)?;
        let kind = b.get(at + 4..at + 8)?;
        let data = b.get(at + 8..(at + 8).checked_add(len)?)?;
        match kind {
            b"eXIf" => return Some(true),
            b"zTXt" | b"tEXt" | b"iTXt"
                if data.starts_with(b"Raw profile type exif")
                    || data.starts_with(b"Raw profile type APP1") =>
            {
                return Some(true);
            }
            b"IEND" => return Some(false),
            _ => at += 12 + len,
        }
    }
}

/// RIFF chunks: an `EXIF` chunk is the block.
fn webp(b: &[u8]) -> Option<bool> {
    if b.get(..4)? != b"RIFF" || b.get(8..12)? != b"WEBP" {
        return None;
    }
    let end = (le32(b, 4)? + 8).min(b.len());
    let mut at = 12;
    while at + 8 <= end {
        if b.get(at..at + 4)? == b"EXIF" {
            return Some(true);
        }
        let len = le32(b, at + 4)?;
        at = at.checked_add(8 + len + (len & 1))?;
    }
    Some(false)
}

/// The WebP with its `EXIF` chunk replaced by `chunk` (a whole chunk: fourcc, size, data, pad)
/// and the RIFF size mended; every other byte as it was. `None` when it has no EXIF chunk or
/// cannot be walked.
pub fn replace_webp_exif(b: &[u8], chunk: &[u8]) -> Option<Vec<u8>> {
    if b.get(..4)? != b"RIFF" || b.get(8..12)? != b"WEBP" {
        return None;
    }
    let riff = le32(b, 4)?;
    let end = (riff + 8).min(b.len());
    let mut at = 12;
    while at + 8 <= end {
        let len = le32(b, at + 4)?;
        let next = at.checked_add(8 + len + (len & 1))?;
        if b.get(at..at + 4)? == b"EXIF" {
            let next = next.min(end);
            let mut out = Vec::with_capacity(b.len() + chunk.len());
            out.extend_from_slice(&b[..at]);
            out.extend_from_slice(chunk);
            out.extend_from_slice(&b[next..]);
            let size = u32::try_from((riff + chunk.len()).checked_sub(next - at)?).ok()?;
            out[4..8].copy_from_slice(&size.to_le_bytes());
            return Some(out);
        }
        at = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: Kind = Kind::Png;

    fn jpeg_with(segments: &[(u8, &[u8])], scan: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        for (marker, data) in segments {
            v.extend([0xFF, *marker]);
            v.extend(((data.len() + 2) as u16).to_be_bytes());
            v.extend(*data);
        }
        v.extend([0xFF, 0xDA, 0x00, 0x02]);
        v.extend(scan);
        v.extend([0xFF, 0xD9]);
        v
    }

    #[test]
    fn a_jpeg_has_exif_only_in_an_app1_before_the_scan() {
        let words = b"Exif\0\0 EXIF eXIf".as_slice();
        // The words in a comment and in the compressed data are no EXIF block.
        let plain = jpeg_with(&[(0xE0, b"JFIF\0"), (0xFE, words)], words);
        assert!(!has_exif_block(&plain, Kind::Jpeg));
        let exif = jpeg_with(&[(0xE0, b"JFIF\0"), (0xE1, b"Exif\0\0MM\0*")], b"");
        assert!(has_exif_block(&exif, Kind::Jpeg));
        // XMP lives in APP1 too, and is not EXIF.
        let xmp = jpeg_with(&[(0xE1, b"http://ns.adobe.com/xap/1.0/\0")], b"");
        assert!(!has_exif_block(&xmp, Kind::Jpeg));
        // Cut short, or not a JPEG: it cannot be ruled out.
        assert!(has_exif_block(&exif[..8], Kind::Jpeg));
        assert!(has_exif_block(b"GIF89a", Kind::Jpeg));
    }

    fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
        let mut v = (data.len() as u32).to_be_bytes().to_vec();
        v.extend(kind);
        v.extend(data);
        v.extend([0; 4]);
        v
    }

    #[test]
    fn a_png_has_exif_in_exif_or_a_raw_profile() {
        let png = |chunks: &[Vec<u8>]| {
            let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
            chunks.iter().for_each(|c| v.extend(c));
            v.extend(chunk(b"IEND", b""));
            v
        };
        let idat = chunk(b"IDAT", b"eXIf EXIF Exif\0\0");
        assert!(!has_exif_block(&png(std::slice::from_ref(&idat)), PNG));
        assert!(has_exif_block(
            &png(&[chunk(b"eXIf", b"MM\0*"), idat.clone()]),
            PNG
        ));
        let raw = chunk(b"zTXt", b"Raw profile type exif\0\0x");
        assert!(has_exif_block(&png(&[idat, raw]), PNG));
    }

    #[test]
    fn a_webp_has_exif_in_its_exif_chunk() {
        let webp = |chunks: &[(&[u8; 4], &[u8])]| {
            let mut body = b"WEBP".to_vec();
            for (kind, data) in chunks {
                body.extend(*kind);
                body.extend((data.len() as u32).to_le_bytes());
                body.extend(*data);
                if data.len() % 2 == 1 {
                    body.push(0);
                }
            }
            let mut v = b"RIFF".to_vec();
            v.extend((body.len() as u32).to_le_bytes());
            v.extend(body);
            v
        };
        let vp8: (&[u8; 4], &[u8]) = (b"VP8L", b"EXIF Exif\0\0 odd");
        assert!(!has_exif_block(&webp(&[vp8]), Kind::Webp));
        let xmp: (&[u8; 4], &[u8]) = (b"XMP ", b"<x/>");
        let with = webp(&[vp8, (b"EXIF", b"MM\0*1"), xmp]);
        assert!(has_exif_block(&with, Kind::Webp));
        // Swapping the chunk keeps the others and mends the RIFF size.
        let swapped = replace_webp_exif(&with, b"EXIF\x03\0\0\0abc\0").unwrap();
        assert_eq!(swapped, webp(&[vp8, (b"EXIF", b"abc"), xmp]));
        assert_eq!(replace_webp_exif(&webp(&[vp8]), b"EXIF\0\0\0\0"), None);
    }
}
