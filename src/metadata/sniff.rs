//! What a file is, from its first bytes, whatever its name says: a `.png` that is a JPEG is a
//! JPEG, a photo saved without an extension is still a photo, and an iPhone's `.MOV` is told
//! from an Android `.mp4` by its `ftyp` brands, not its name.

use std::path::Path;

/// How many bytes are read to tell what a file is (an `ftyp` box lists its brands in them).
pub const HEAD_BYTES: u64 = 256;

/// A kind of file whose bytes Wixup recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Gif,
    Bmp,
    /// HEIF with HEVC pictures: the iPhone's default.
    Heic,
    /// HEIF of another codec, or a brand that does not say.
    Heif,
    Avif,
    /// TIFF, and the camera RAW formats built on its structure (DNG, CR2, NEF, ARW, ORF, RW2…).
    Tiff,
    JpegXl,
    /// ISO-BMFF video: MP4 from Android phones and cameras.
    Mp4,
    /// QuickTime: the iPhone's video.
    Mov,
    M4v,
    ThreeGp,
    /// ISO-BMFF audio (M4A).
    M4a,
    /// Canon's raw photo, on ISO-BMFF.
    Cr3,
}

/// How a kind's metadata is laid out: the structure a location is looked for in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Jpeg,
    Png,
    Webp,
    Gif,
    Tiff,
    /// ISO base media file format: HEIF/AVIF items, MP4/MOV boxes.
    Bmff,
    /// A format that carries no location Wixup knows of (BMP, JPEG XL's codestream…).
    Plain,
}

impl Kind {
    pub fn container(self) -> Container {
        match self {
            Kind::Jpeg => Container::Jpeg,
            Kind::Png => Container::Png,
            Kind::Webp => Container::Webp,
            Kind::Gif => Container::Gif,
            Kind::Tiff => Container::Tiff,
            Kind::Heic
            | Kind::Heif
            | Kind::Avif
            | Kind::Mp4
            | Kind::Mov
            | Kind::M4v
            | Kind::ThreeGp
            | Kind::M4a
            | Kind::Cr3 => Container::Bmff,
            Kind::Bmp | Kind::JpegXl => Container::Plain,
        }
    }

    /// The MIME type the bytes say.
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Gif => "image/gif",
            Kind::Bmp => "image/bmp",
            Kind::Heic => "image/heic",
            Kind::Heif => "image/heif",
            Kind::Avif => "image/avif",
            Kind::Tiff => "image/tiff",
            Kind::JpegXl => "image/jxl",
            Kind::Mp4 => "video/mp4",
            Kind::Mov => "video/quicktime",
            Kind::M4v => "video/x-m4v",
            Kind::ThreeGp => "video/3gpp",
            Kind::M4a => "audio/mp4",
            Kind::Cr3 => "image/x-canon-cr3",
        }
    }

    /// Whether it is a video (the row and the Settings text say "videos" for these).
    pub fn is_video(self) -> bool {
        matches!(self, Kind::Mp4 | Kind::Mov | Kind::M4v | Kind::ThreeGp)
    }
}

/// The kind `head` (a file's first [`HEAD_BYTES`]) starts; `None` for anything else.
pub fn sniff(head: &[u8]) -> Option<Kind> {
    let at = |range: std::ops::Range<usize>| head.get(range);
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if head.starts_with(b"RIFF") && at(8..12) == Some(b"WEBP") {
        Some(Kind::Webp)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(Kind::Gif)
    } else if head.starts_with(b"BM") && head.len() >= 18 && at(6..10) == Some(&[0; 4]) {
        Some(Kind::Bmp)
    } else if head.starts_with(&[0xFF, 0x0A]) || head.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n") {
        Some(Kind::JpegXl)
    } else if tiff_magic(head) {
        Some(Kind::Tiff)
    } else if at(4..8) == Some(b"ftyp") {
        Some(ftyp(head))
    } else if matches!(
        at(4..8),
        Some(b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot")
    ) {
        // A QuickTime movie from before `ftyp`.
        Some(Kind::Mov)
    } else {
        None
    }
}

/// TIFF's byte order mark and magic number, and those of the camera RAW formats that keep
/// TIFF's IFD structure under another magic number (Olympus ORF, Panasonic RW2).
fn tiff_magic(head: &[u8]) -> bool {
    matches!(
        head.get(..4),
        Some(b"II*\0" | b"MM\0*" | b"IIRO" | b"IIRS" | b"IIU\0")
    )
}

/// The kind an `ftyp` box's brands say: the major brand first, then the compatible ones.
fn ftyp(head: &[u8]) -> Kind {
    let size = head
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .unwrap_or(0)
        .clamp(16, head.len().max(16));
    let major = head.get(8..12);
    let compatible = head.get(16..size).unwrap_or_default().chunks_exact(4);
    let brands = major.into_iter().chain(compatible);
    let mut fallback = None;
    for brand in brands {
        let kind = match brand {
            b"avif" | b"avis" => Kind::Avif,
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => Kind::Heic,
            b"qt  " => Kind::Mov,
            b"M4V " | b"M4VH" | b"M4VP" => Kind::M4v,
            b"M4A " | b"M4B " | b"M4P " => Kind::M4a,
            // Canon's CR3 raw photo.
            b"crx " => Kind::Cr3,
            _ if brand.starts_with(b"3g") => Kind::ThreeGp,
            // Generic HEIF brands: a still image unless a more telling brand follows.
            b"mif1" | b"msf1" | b"mif2" => {
                fallback.get_or_insert(Kind::Heif);
                continue;
            }
            _ => {
                fallback.get_or_insert(Kind::Mp4);
                continue;
            }
        };
        return kind;
    }
    fallback.unwrap_or(Kind::Mp4)
}

/// The first [`HEAD_BYTES`] of a file (fewer when it is shorter).
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(HEAD_BYTES)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// The MIME type of a file: what its first bytes say, else what a broader sniffer (`infer`)
/// knows of them, else what its name suggests (documents whose bytes say only "zip"), else
/// `application/octet-stream`.
pub fn content_type(head: &[u8], name: &Path) -> String {
    if let Some(kind) = sniff(head) {
        return kind.mime().to_string();
    }
    if let Some(t) = infer::get(head)
        && t.mime_type() != "application/zip"
    {
        return t.mime_type().to_string();
    }
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp_box(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let mut v = ((16 + 4 * compatible.len()) as u32).to_be_bytes().to_vec();
        v.extend(b"ftyp");
        v.extend(major);
        v.extend([0, 0, 0, 0]);
        compatible.iter().for_each(|b| v.extend(*b));
        v.extend(b"\0\0\0\x08free");
        v
    }

    #[test]
    fn what_the_bytes_are_decides_not_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = Vec::new();
        let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([x as u8, y as u8, 9]));
        let mut cursor = std::io::Cursor::new(&mut bytes);
        img.write_to(&mut cursor, image::ImageFormat::Jpeg).unwrap();
        let named_png = dir.path().join("a.png");
        std::fs::write(&named_png, &bytes).unwrap();
        let head = read_head(&named_png).unwrap();
        assert_eq!(head.len(), HEAD_BYTES.min(bytes.len() as u64) as usize);
        assert_eq!(sniff(&head), Some(Kind::Jpeg));
        assert_eq!(content_type(&head, &named_png), "image/jpeg");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(Kind::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert!(sniff(b"RIFF\0\0\0\0AVI ").is_none());
        assert!(sniff(&[0u8; 64]).is_none());
        assert!(read_head(&dir.path().join("missing.jpg")).is_err());
        // Unknown bytes: the name decides what little is left to it.
        assert_eq!(content_type(b"hello", Path::new("notes.txt")), "text/plain");
        assert_eq!(
            content_type(b"hello", Path::new("noext")),
            "application/octet-stream"
        );
    }

    #[test]
    fn brands_tell_phones_videos_and_heif_apart() {
        assert_eq!(
            sniff(&ftyp_box(b"heic", &[b"mif1", b"heic"])),
            Some(Kind::Heic)
        );
        assert_eq!(
            sniff(&ftyp_box(b"mif1", &[b"mif1", b"heic"])),
            Some(Kind::Heic)
        );
        assert_eq!(
            sniff(&ftyp_box(b"avif", &[b"avif", b"mif1"])),
            Some(Kind::Avif)
        );
        assert_eq!(sniff(&ftyp_box(b"mif1", &[b"avif"])), Some(Kind::Avif));
        assert_eq!(sniff(&ftyp_box(b"mif1", &[b"mif1"])), Some(Kind::Heif));
        assert_eq!(sniff(&ftyp_box(b"qt  ", &[b"qt  "])), Some(Kind::Mov));
        assert_eq!(
            sniff(&ftyp_box(b"isom", &[b"isom", b"mp41"])),
            Some(Kind::Mp4)
        );
        assert_eq!(sniff(&ftyp_box(b"mp42", &[b"isom"])), Some(Kind::Mp4));
        assert_eq!(sniff(&ftyp_box(b"M4V ", &[b"isom"])), Some(Kind::M4v));
        assert_eq!(sniff(&ftyp_box(b"3gp4", &[b"isom"])), Some(Kind::ThreeGp));
        assert_eq!(sniff(&ftyp_box(b"M4A ", &[b"isom"])), Some(Kind::M4a));
        assert_eq!(sniff(&ftyp_box(b"crx ", &[b"isom"])), Some(Kind::Cr3));
        assert_eq!(sniff(b"\0\0\0\x08wide\0\0\0\x10mdat"), Some(Kind::Mov));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(Kind::Tiff));
        assert_eq!(sniff(b"MM\0*\0\0\0\x08"), Some(Kind::Tiff));
        assert_eq!(sniff(b"IIU\0\x08\0\0\0"), Some(Kind::Tiff));
        assert_eq!(sniff(b"\xff\x0a\xfa"), Some(Kind::JpegXl));
        assert_eq!(sniff(b"\0\0\0\x0cJXL \r\n\x87\n"), Some(Kind::JpegXl));
        assert_eq!(sniff(b"GIF89a\x01\0"), Some(Kind::Gif));
        assert!(Kind::Mov.is_video() && !Kind::Heic.is_video());
        assert_eq!(Kind::Heic.container(), Container::Bmff);
        assert_eq!(Kind::Mov.mime(), "video/quicktime");
    }
}
