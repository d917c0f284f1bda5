//! Bounded image decoding, shared by the sandbox's transforms and the window's previews.
//!
//! A few bytes of header can declare billions of pixels (a 35-byte GIF declares 65,535²), and
//! decoders allocate the whole canvas before reading a pixel. So every decode here reads the
//! dimensions from the header first and refuses an image above a pixel budget before anything
//! is allocated; the decoder then runs under `image::Limits` for whatever it allocates besides.

use std::path::{Path, PathBuf};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// How much one decode may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Width × height as declared by the header.
    pub max_pixels: u64,
    /// Bytes the decoder may hold at once, the decoded image included.
    pub max_alloc: u64,
}

impl Budget {
    /// The sandbox's transforms: 64 Mpx, the size of a large camera's photo.
    pub const SANDBOX: Budget = Budget {
        max_pixels: 64_000_000,
        max_alloc: 512 * 1024 * 1024,
    };
    /// The window's previews: a 96 px thumbnail is not worth more than 40 Mpx.
    pub const PREVIEW: Budget = Budget {
        max_pixels: 40_000_000,
        max_alloc: 256 * 1024 * 1024,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("cannot read the image {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not an image that can be decoded: {source}", path.display())]
    Image {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error(
        "{} declares {width}×{height} pixels, more than the {max_pixels} pixels allowed; \
         it is kept as a file, without a preview or resized versions",
        path.display()
    )]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        max_pixels: u64,
    },
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// As stored.
    pub width: u32,
    pub height: u32,
    pub orientation: Orientation,
}

impl Header {
    /// Width and height as displayed (orientations 5–8 swap them).
    pub fn upright(&self) -> (u32, u32) {
        let swapped = matches!(
            self.orientation,
            Orientation::Rotate90
                | Orientation::Rotate270
                | Orientation::Rotate90FlipH
                | Orientation::Rotate270FlipH
        );
        if swapped {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }

    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

fn open(path: &Path) -> Result<impl ImageDecoder, DecodeError> {
    let reader = ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|source| DecodeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    reader.into_decoder().map_err(|source| DecodeError::Image {
        path: path.to_path_buf(),
        source,
    })
}

fn read_header(decoder: &mut impl ImageDecoder) -> Header {
    let (width, height) = decoder.dimensions();
    Header {
        width,
        height,
        // A broken EXIF block is no reason to refuse the pixels.
        orientation: decoder.orientation().unwrap_or(Orientation::NoTransforms),
    }
}

/// Reads the header only: dimensions and orientation, whatever their size.
pub fn header(path: &Path) -> Result<Header, DecodeError> {
    let mut decoder = open(path)?;
    Ok(read_header(&mut decoder))
}

/// Decodes an image within `budget` and turns it upright; refuses it from its header, before
/// allocating, when it declares more pixels than the budget allows.
pub fn decode(path: &Path, budget: Budget) -> Result<DynamicImage, DecodeError> {
    let mut decoder = open(path)?;
    let header = read_header(&mut decoder);
    if header.pixels() > budget.max_pixels {
        return Err(DecodeError::TooLarge {
            path: path.to_path_buf(),
            width: header.width,
            height: header.height,
            max_pixels: budget.max_pixels,
        });
    }
    let image_error = |source| DecodeError::Image {
        path: path.to_path_buf(),
        source,
    };
    let mut limits = Limits::default();
    limits.max_alloc = Some(budget.max_alloc);
    // The output buffer counts against the budget; what is left bounds the decoder's own use.
    limits.reserve(decoder.total_bytes()).map_err(image_error)?;
    decoder.set_limits(limits).map_err(image_error)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    img.apply_orientation(header.orientation);
    Ok(img)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 35-byte GIF whose logical screen is `w`×`h` with a single 1×1 frame in it: decoders
    /// that trust the header allocate and fill the whole screen.
    pub(crate) fn gif_bomb(w: u16, h: u16) -> Vec<u8> {
        let mut g = b"GIF89a".to_vec();
        g.extend_from_slice(&w.to_le_bytes());
        g.extend_from_slice(&h.to_le_bytes());
        g.extend_from_slice(&[0x80, 0, 0]); // a global table of two colours
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        g.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // a 1×1 frame at 0,0
        g.extend_from_slice(&[2, 2, 0x44, 0x01, 0]); // LZW: clear, colour 0, end
        g.push(0x3B);
        g
    }

    #[test]
    fn a_gif_bomb_is_refused_from_its_header_quickly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bomb.gif");
        let bomb = gif_bomb(65_535, 65_535);
        assert_eq!(bomb.len(), 35);
        std::fs::write(&path, &bomb).expect("write");
        let h = header(&path).expect("the header reads");
        assert_eq!((h.width, h.height), (65_535, 65_535));
        let started = std::time::Instant::now();
        let e = decode(&path, Budget::SANDBOX).expect_err("refused");
        assert!(
            matches!(e, DecodeError::TooLarge { width: 65_535, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("bomb.gif"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn images_within_the_budget_decode_upright_and_the_rest_hits_the_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A small bomb decodes: the crafted file is a real GIF.
        let path = dir.path().join("small.gif");
        std::fs::write(&path, gif_bomb(30, 20)).expect("write");
        let img = decode(&path, Budget::PREVIEW).expect("decodes");
        assert_eq!((img.width(), img.height()), (30, 20));
        // Within the pixel budget but beyond the allocation one: refused by the limits.
        let tight = Budget {
            max_pixels: 1_000,
            max_alloc: 1_000,
        };
        assert!(matches!(
            decode(&path, tight),
            Err(DecodeError::Image { .. })
        ));
        // A PNG declaring 50,000² is refused before allocation too.
        let png = dir.path().join("wide.png");
        let mut bytes = Vec::new();
        image::RgbImage::new(4, 3)
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .expect("png");
        // IHDR's width and height sit at bytes 16..24, its CRC (over type and data) at 29..33.
        bytes[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        std::fs::write(&png, &bytes).expect("write");
        let e = decode(&png, Budget::PREVIEW).expect_err("refused");
        assert!(
            matches!(
                e,
                DecodeError::TooLarge {
                    width: 50_000,
                    height: 50_000,
                    ..
                }
            ),
            "{e}"
        );
        assert!(matches!(
            decode(&dir.path().join("none.png"), Budget::PREVIEW),
            Err(DecodeError::Io { .. })
        ));
    }

    /// A TIFF written by ImageMagick (`convert`), the way a scanner or an editor writes one.
    fn convert_tiff(dir: &Path, w: u32, h: u32) -> Option<PathBuf> {
        let path = dir.join("scan.tif");
        let ran = std::process::Command::new("convert")
            .args(["-size", &format!("{w}x{h}"), "gradient:"])
            .arg(&path)
            .status();
        match ran {
            Ok(s) if s.success() => Some(path),
            _ => {
                assert!(
                    std::env::var_os("WIXUP_REQUIRE_TOOLS").is_none(),
                    "convert (imagemagick) is needed; WIXUP_REQUIRE_TOOLS is set"
                );
                eprintln!("note: convert (imagemagick) not installed; the TIFF part is skipped");
                None
            }
        }
    }

    #[test]
    fn tiff_and_bmp_decode_within_the_budget_and_a_tiff_bomb_is_refused_from_its_header() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, format) in [
            ("a.tif", image::ImageFormat::Tiff),
            ("a.bmp", image::ImageFormat::Bmp),
        ] {
            let path = dir.path().join(name);
            image::RgbImage::from_fn(9, 5, |x, y| image::Rgb([x as u8, y as u8, 3]))
                .save_with_format(&path, format)
                .expect("write");
            // Named as nothing: the bytes say what it is.
            let unnamed = dir.path().join(format!("{name}.bin"));
            std::fs::rename(&path, &unnamed).expect("rename");
            let img = decode(&unnamed, Budget::PREVIEW).expect(name);
            assert_eq!((img.width(), img.height()), (9, 5), "{name}");
            assert_eq!(
                img.to_rgb8().get_pixel(8, 4),
                &image::Rgb([8, 4, 3]),
                "{name}"
            );
        }
        if let Some(tif) = convert_tiff(dir.path(), 64, 48) {
            let img = decode(&tif, Budget::PREVIEW).expect("convert's TIFF decodes");
            assert_eq!((img.width(), img.height()), (64, 48));
        }
        // A TIFF whose IFD0 declares 60,000² pixels: refused before anything is allocated.
        let mut bomb = b"II*\0\x08\0\0\0".to_vec();
        let entries: [(u16, u16, u32); 8] = [
            (0x100, 4, 60_000), // ImageWidth
            (0x101, 4, 60_000), // ImageLength
            (0x102, 3, 8),      // BitsPerSample
            (0x103, 3, 1),      // no compression
            (0x106, 3, 1),      // BlackIsZero
            (0x111, 4, 200),    // StripOffsets
            (0x116, 4, 60_000), // RowsPerStrip
            (0x117, 4, 16),     // StripByteCounts
        ];
        bomb.extend((entries.len() as u16).to_le_bytes());
        for (tag, kind, value) in entries {
            bomb.extend(tag.to_le_bytes());
            bomb.extend(kind.to_le_bytes());
            bomb.extend(1u32.to_le_bytes());
            bomb.extend(value.to_le_bytes());
        }
        bomb.extend(0u32.to_le_bytes());
        bomb.resize(216, 0);
        let path = dir.path().join("bomb.tif");
        std::fs::write(&path, &bomb).expect("write");
        let started = std::time::Instant::now();
        let e = decode(&path, Budget::PREVIEW).expect_err("refused");
        assert!(
            matches!(e, DecodeError::TooLarge { width: 60_000, .. }),
            "{e}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
