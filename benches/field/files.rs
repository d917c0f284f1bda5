//! The files each work uploads: real JPEGs of an exact size that do not compress.
//!
//! Random bytes named `.jpg` are marked FAILED by the sandbox's processing (as by Wix's), and
//! `wixup upload` then exits 1. So every photo is one small real JPEG (an encoded 320×240 image)
//! followed by random bytes up to the size: decoders stop at the end-of-image marker, the image
//! processes as a 320×240 photo, and no byte on the wire is predictable. The big file of work (c)
//! is random bytes named `.bin` (a document, not processed as an image).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::R;

/// A small real JPEG, encoded once.
fn small_jpeg() -> R<Vec<u8>> {
    let mut rng = fastrand::Rng::with_seed(7);
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, rng.u8(..)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .map_err(|e| format!("encode JPEG: {e}"))?;
    Ok(out)
}

/// Writes `count` photos of `size` bytes each into `dir`; returns their paths.
pub fn photos(dir: &Path, count: usize, size: u64, seed: u64) -> R<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let head = small_jpeg()?;
    if (head.len() as u64) > size {
        return Err(format!(
            "a photo of {size} bytes cannot hold a {} byte JPEG",
            head.len()
        ));
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..count)
        .map(|i| {
            let path = dir.join(format!("photo-{i:04}.jpg"));
            let mut f =
                std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| e.to_string())?);
            f.write_all(&head).map_err(|e| e.to_string())?;
            fill(&mut f, size - head.len() as u64, &mut rng)?;
            f.flush().map_err(|e| e.to_string())?;
            Ok(path)
        })
        .collect()
}

/// One file of random bytes.
pub fn random(path: &Path, size: u64, seed: u64) -> R<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| e.to_string())?);
    fill(&mut f, size, &mut fastrand::Rng::with_seed(seed))?;
    f.flush().map_err(|e| e.to_string())
}

/// `count` files of random bytes, `doc-NNNNN.bin`.
pub fn randoms(dir: &Path, count: usize, size: u64, seed: u64) -> R<Vec<PathBuf>> {
    (0..count)
        .map(|i| {
            let path = dir.join(format!("doc-{i:05}.bin"));
            random(&path, size, seed + i as u64)?;
            Ok(path)
        })
        .collect()
}

/// The files one after another in one file: what the raw PATCH sends.
pub fn concat(parts: &[PathBuf], to: &Path) -> R<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(to).map_err(|e| e.to_string())?);
    for p in parts {
        let mut f = std::fs::File::open(p).map_err(|e| e.to_string())?;
        std::io::copy(&mut f, &mut out).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

fn fill(f: &mut impl Write, mut left: u64, rng: &mut fastrand::Rng) -> R<()> {
    let mut block = vec![0u8; 1 << 20];
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        rng.fill(&mut block[..n]);
        f.write_all(&block[..n]).map_err(|e| e.to_string())?;
        left -= n as u64;
    }
    Ok(())
}
