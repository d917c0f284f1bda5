//! The container a file's first bytes start, whatever its name says: a `.png` that is a JPEG
//! is a JPEG, and a photo saved without an extension is still a photo.

use std::path::Path;

use little_exif::filetype::FileExtension;

/// How many bytes are read to tell what a file is.
pub const HEAD_BYTES: u64 = 64;

/// A container whose metadata Wixup reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
}

impl Kind {
    /// The extension a copy of such a file gets.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
        }
    }

    /// Every extension [`Kind::extension`] gives, for finding copies on disk.
    pub const EXTENSIONS: [&'static str; 3] = ["jpg", "png", "webp"];

    /// little_exif's name for it.
    pub(crate) fn exif_type(self) -> FileExtension {
        match self {
            Kind::Jpeg => FileExtension::JPEG,
            Kind::Png => FileExtension::PNG {
                as_zTXt_chunk: false,
            },
            Kind::Webp => FileExtension::WEBP,
        }
    }
}

/// The container `head` (a file's first [`HEAD_BYTES`]) starts; `None` for anything else.
pub fn sniff(head: &[u8]) -> Option<Kind> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some(Kind::Webp)
    } else {
        None
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(head.len(), HEAD_BYTES as usize);
        assert_eq!(sniff(&head), Some(Kind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(Kind::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert!(sniff(b"RIFF\0\0\0\0AVI ").is_none());
        assert!(sniff(&[0u8; 64]).is_none());
        assert!(read_head(&dir.path().join("missing.jpg")).is_err());
    }
}
