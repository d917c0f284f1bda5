//! What Wix's processing makes of a stored file, from its BYTES (never its name or the type the
//! client declared, unless the bytes say nothing): its MIME type, an image's displayed size,
//! and whether processing fails. JPEG XL is refused by content, as Wix does (406).
//!
//! Every type Wix accepts finishes READY: images (HEIC/HEIF and AVIF sized from `ispe`, TIFF
//! and the camera RAW formats on its structure from IFD0, the rest from their decoder's
//! header), video, audio, documents, archives. Processing fails only for what claims to be
//! an image (by its bytes or, when they say nothing, its declared type) that cannot be read.

use std::path::Path;

use crate::metadata::{Kind, read_head, sniff};

/// What processing made of a file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Processed {
    pub mime_type: String,
    pub dimensions: Option<(u32, u32)>,
    pub failed: bool,
}

/// Why Wix refuses a file by content (HTTP 406), before keeping it.
pub(super) const JPEG_XL_REFUSED: &str =
    "JPEG XL files are not accepted; convert the file to JPEG, PNG or AVIF and upload it again";

/// Whether these first bytes are JPEG XL (refused whatever the declared type).
pub(super) fn refused(head: &[u8]) -> bool {
    sniff(head) == Some(Kind::JpegXl)
}

/// Whether the file at `path` is JPEG XL.
pub(super) fn refused_file(path: &Path) -> bool {
    read_head(path).is_ok_and(|h| refused(&h))
}

/// Processes the file at `path`, declared as `declared` by its uploader. Blocking (reads a
/// header); call it on the blocking pool.
pub(super) fn process(path: &Path, declared: &str) -> Processed {
    let head = read_head(path).unwrap_or_default();
    let mime_type = content_mime(&head, declared);
    let failed = |mime_type: String| Processed {
        mime_type,
        dimensions: None,
        failed: true,
    };
    if !mime_type.starts_with("image/") || mime_type == "image/svg+xml" {
        // SVG is a vector Wix keeps as sent; an SVG declared that is no XML fails.
        let not_svg = mime_type == "image/svg+xml" && !looks_like_svg(&head);
        return Processed {
            failed: not_svg,
            mime_type,
            dimensions: None,
        };
    }
    let kind = sniff(&head);
    let dimensions = match kind {
        Some(Kind::Heic | Kind::Heif | Kind::Avif) => open_and(path, super::image_size::heif),
        Some(Kind::Tiff) => open_and(path, super::image_size::tiff),
        _ => crate::imaging::header(path).ok().map(|h| h.upright()),
    };
    // A JPEG, PNG, WebP, GIF, BMP, HEIF/AVIF or plain TIFF whose size cannot be read is broken;
    // so is what was declared an image while its bytes are nothing known. Camera RAW variants
    // and images only `infer` knows (ICO, JPEG 2000, CR3…) keep no size Wix would read here.
    let must_have_size = match kind {
        Some(Kind::Tiff) => head.starts_with(b"II*\0") || head.starts_with(b"MM\0*"),
        Some(k) => !k.is_video() && !matches!(k, Kind::M4a | Kind::Cr3),
        None => infer::get(&head).is_none(),
    };
    if dimensions.is_none() && must_have_size {
        return failed(mime_type);
    }
    Processed {
        mime_type,
        dimensions,
        failed: false,
    }
}

/// Reads a size off an open file of the given length.
type SizeReader = fn(&mut std::io::BufReader<std::fs::File>, u64) -> Option<(u32, u32)>;

fn open_and(path: &Path, read: SizeReader) -> Option<(u32, u32)> {
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    read(&mut std::io::BufReader::new(file), len)
}

/// The MIME type the bytes say: the client's sniffer for the images and videos it knows, then
/// `infer`, then (bytes that say nothing: text, CSV, JSON, SVG…) the declared type. A ZIP
/// declared as a document built on ZIP (Office, OpenDocument, EPUB, iWork) keeps that type.
fn content_mime(head: &[u8], declared: &str) -> String {
    let kind = sniff(head);
    if declared == "image/svg+xml" && looks_like_svg(head) {
        return declared.to_string();
    }
    if let Some(k) = kind.filter(|k| !k.is_video() && *k != Kind::M4a) {
        return k.mime().to_string();
    }
    if let Some(t) = infer::get(head) {
        let zip_document = t.mime_type() == "application/zip"
            && declared != "application/zip"
            && declared.starts_with("application/")
            && !declared.contains("octet-stream");
        if !zip_document {
            return t.mime_type().to_string();
        }
        return declared.to_string();
    }
    if let Some(k) = kind {
        return k.mime().to_string();
    }
    declared.to_string()
}

fn looks_like_svg(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('<') && (t.contains("<svg") || t.starts_with("<?xml") || t.starts_with("<!"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn processed(bytes: &[u8], declared: &str) -> Processed {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).expect("write");
        process(&path, declared)
    }

    #[test]
    fn the_bytes_say_what_a_file_is_the_declared_type_only_when_they_say_nothing() {
        let mut png = Vec::new();
        image::RgbImage::new(7, 3)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        let p = processed(&png, "application/octet-stream");
        assert_eq!(
            (p.mime_type.as_str(), p.dimensions, p.failed),
            ("image/png", Some((7, 3)), false)
        );
        let p = processed(&png, "video/mp4");
        assert_eq!(p.mime_type, "image/png", "bytes win over the declared type");

        let pdf = processed(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "image/jpeg");
        assert_eq!(
            (pdf.mime_type.as_str(), pdf.failed),
            ("application/pdf", false)
        );
        let csv = processed(b"a,b\n1,2\n", "text/csv");
        assert_eq!((csv.mime_type.as_str(), csv.failed), ("text/csv", false));
        let docx = processed(
            b"PK\x03\x04\x14\0\0\0\0\0",
            "application/vnd.oasis.opendocument.text",
        );
        assert_eq!(docx.mime_type, "application/vnd.oasis.opendocument.text");
        let zip = processed(b"PK\x03\x04\x14\0\0\0\0\0", "application/octet-stream");
        assert_eq!(zip.mime_type, "application/zip");

        // Declared an image, bytes that are nothing: processing fails.
        let junk = processed(b"not a png at all", "image/png");
        assert!(junk.failed, "{junk:?}");
        // A JPEG cut after its signature: known bytes, no size: fails.
        assert!(processed(&[0xFF, 0xD8, 0xFF, 0xE0], "image/jpeg").failed);

        let svg = processed(
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "image/svg+xml",
        );
        assert_eq!(
            (svg.mime_type.as_str(), svg.failed),
            ("image/svg+xml", false)
        );
        assert!(processed(b"\x00\x01binary", "image/svg+xml").failed);
        let xml = processed(b"<?xml version=\"1.0\"?><svg/>", "image/svg+xml");
        assert_eq!(xml.mime_type, "image/svg+xml");
        assert!(!xml.failed);
    }

    #[test]
    fn jpeg_xl_is_refused_by_its_bytes_in_both_forms() {
        assert!(refused(&[0xFF, 0x0A, 0xFA, 0x1F]));
        assert!(refused(b"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14ftypjxl "));
        assert!(!refused(&[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!refused(b""));
    }
}
