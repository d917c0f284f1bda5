//! Location stays private: a JPEG, PNG or WebP that carries GPS tags is sent from a copy without
//! them (every other tag and the pixel bytes untouched), staged in `<data_dir>/staged/`. The file
//! on disk is never modified; files without GPS are sent from the original, unchanged.

use std::path::{Path, PathBuf};

use little_exif::filetype::FileExtension;
use little_exif::ifd::ExifTagGroup;
use little_exif::metadata::Metadata;
use md5::Digest as _;

use super::describe::failed;
use super::exif_block::{has_exif_block, replace_webp_exif};
use super::job::JobId;
use super::report::Stop;
use crate::tus::FileSource;

/// What staging gave the worker: the source to send, and what the row and history show.
pub(super) struct Staged {
    /// The bytes to send: the stripped copy, or the original.
    pub source: FileSource,
    /// Whether GPS tags were removed (the source is the copy).
    pub location_removed: bool,
    /// MD5 of the original file on disk.
    pub source_md5: Option<String>,
}

/// Where the stripped copy of a job lives.
pub(super) fn staged_path(data_dir: &Path, id: JobId, ext: &str) -> PathBuf {
    data_dir.join("staged").join(format!("{id}.{ext}"))
}

/// Whether the name or type says JPEG, PNG or WebP (only those are looked into).
fn kind_of(path: &Path, mime: &str) -> Option<(FileExtension, &'static str)> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match (mime, ext.as_str()) {
        ("image/jpeg", _) | (_, "jpg" | "jpeg") => Some((FileExtension::JPEG, "jpg")),
        ("image/png", _) | (_, "png") => Some((
            FileExtension::PNG {
                as_zTXt_chunk: false,
            },
            "png",
        )),
        ("image/webp", _) | (_, "webp") => Some((FileExtension::WEBP, "webp")),
        _ => None,
    }
}

/// Number of GPS tags in the metadata.
pub fn gps_tag_count(meta: &Metadata) -> usize {
    meta.get_ifds()
        .iter()
        .filter(|ifd| ifd.get_ifd_type() == ExifTagGroup::GPS)
        .map(|ifd| ifd.get_tags().len())
        .sum()
}

/// The bytes without their GPS tags; `Ok(None)` when they carry none. Fails when the metadata
/// has an EXIF block that cannot be read or written back.
pub fn strip_gps(bytes: &[u8], kind: FileExtension) -> Result<Option<Vec<u8>>, String> {
    // XMP (what Lightroom and Photoshop write beside EXIF) can hold the location too; little_exif
    // does not edit XMP, so such a photo is not sent rather than sent with it.
    if [&b"GPSLatitude"[..], b"GPSLongitude"]
        .iter()
        .any(|name| bytes.windows(name.len()).any(|w| w == *name))
    {
        return Err("its XMP metadata holds a location, which Wixup cannot remove yet".into());
    }
    let buf = bytes.to_vec();
    let mut meta = match Metadata::new_from_vec(&buf, kind) {
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
    let out = if matches!(kind, FileExtension::WEBP) {
        // little_exif's WebP writer rebuilds the container (and spoils lossless pictures): only
        // the EXIF chunk is swapped here, for the one it encodes; every other chunk stays.
        let chunk = meta
            .as_u8_vec(kind)
            .map_err(|e| format!("its metadata could not be written: {e}"))?;
        replace_webp_exif(bytes, &chunk).ok_or("its EXIF chunk could not be replaced")?
    } else {
        let mut out = buf;
        meta.write_to_vec(&mut out, kind)
            .map_err(|e| format!("its metadata could not be written: {e}"))?;
        out
    };
    // PNG and WebP writers rebuild chunks: the picture must come out the same.
    if !matches!(kind, FileExtension::JPEG) && !same_pixels(bytes, &out) {
        return Err("removing its location would change the picture".into());
    }
    // Never send GPS silently: read the result back.
    match Metadata::new_from_vec(&out, kind) {
        Ok(m) if gps_tag_count(&m) == 0 => Ok(Some(out)),
        Ok(_) => Err("its GPS tags could not be removed".into()),
        Err(e) => Err(format!("the copy without location could not be read: {e}")),
    }
}

/// How much is read to tell what a file is.
const HEAD: u64 = 64;

/// The first bytes of a file: enough to tell what it is.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(HEAD)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// The container the bytes start with, and the staged copy's extension.
fn sniff(head: &[u8]) -> Option<(FileExtension, &'static str)> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some((FileExtension::JPEG, "jpg"))
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        let png = FileExtension::PNG {
            as_zTXt_chunk: false,
        };
        Some((png, "png"))
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some((FileExtension::WEBP, "webp"))
    } else {
        None
    }
}

fn same_pixels(a: &[u8], b: &[u8]) -> bool {
    match (image::load_from_memory(a), image::load_from_memory(b)) {
        (Ok(a), Ok(b)) => a.to_rgba8() == b.to_rgba8(),
        _ => false,
    }
}

/// Decides what the worker sends for `original`. `resuming`: a session exists, so a copy staged
/// before is reused as it is (the same bytes the server already has).
pub(super) async fn stage(
    data_dir: &Path,
    id: JobId,
    mime: &str,
    original: FileSource,
    resuming: bool,
) -> Result<Staged, Stop> {
    if kind_of(&original.path, mime).is_none() {
        return Ok(Staged {
            source: original,
            location_removed: false,
            source_md5: None,
        });
    }
    let data_dir = data_dir.to_path_buf();
    let name = crate::text::printable(&original.path.display().to_string()).to_string();
    let path = original.path.clone();
    let job = tokio::task::spawn_blocking(move || -> Result<Staged, String> {
        let head = read_head(&path).map_err(|e| format!("it could not be read: {e}"))?;
        let as_it_is = |source| {
            Ok(Staged {
                source,
                location_removed: false,
                source_md5: None,
            })
        };
        // What the bytes are, not what the name says: a file that is no JPEG, PNG or WebP has
        // none of their metadata to remove (the site judges it like any other file).
        let Some((kind, ext)) = sniff(&head) else {
            return as_it_is(original);
        };
        let copy = staged_path(&data_dir, id, ext);
        let bytes = std::fs::read(&path).map_err(|e| format!("it could not be read: {e}"))?;
        let md5 = hex(&md5::Md5::digest(&bytes));
        let stripped = strip_gps(&bytes, kind)?;
        let Some(stripped) = stripped else {
            let _ = std::fs::remove_file(&copy);
            return Ok(Staged {
                source: original,
                location_removed: false,
                source_md5: Some(md5),
            });
        };
        let reuse = resuming && std::fs::read(&copy).is_ok_and(|old| old == stripped);
        if !reuse {
            if let Some(dir) = copy.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("its copy could not be staged: {e}"))?;
            }
            crate::fs::write_atomic(&copy, &stripped)
                .map_err(|e| format!("its copy could not be staged: {e}"))?;
        }
        let source = FileSource::open(&copy)
            .map_err(|e| format!("its staged copy could not be opened: {e}"))?;
        Ok(Staged {
            source,
            location_removed: true,
            source_md5: Some(md5),
        })
    })
    .await
    .map_err(|e| failed("internal: staging stopped", &e.to_string()))?;
    job.map_err(|why| {
        failed(
            &format!(
                "Could not remove the location from {name} ({why}); it was not sent. \
                 Upload it with --keep-location (or turn off \"Remove location from photos\") \
                 to send it as it is."
            ),
            "location stripping failed",
        )
    })
}

/// Whether a job has a staged copy (an upload begun from it continues from it).
pub(super) async fn has_staged(data_dir: &Path, id: JobId) -> bool {
    for ext in ["jpg", "png", "webp"] {
        if tokio::fs::try_exists(staged_path(data_dir, id, ext))
            .await
            .unwrap_or(false)
        {
            return true;
        }
    }
    false
}

/// Deletes a job's staged copy, if any.
pub(super) fn remove_staged(data_dir: &Path, id: JobId) {
    for ext in ["jpg", "png", "webp"] {
        let _ = std::fs::remove_file(staged_path(data_dir, id, ext));
    }
}

/// Deletes every staged copy no job will send: that of a job `keep` does not name (not in the
/// journal, or finished) and any leftover of a write cut short. Run at start, before any
/// worker stages.
pub(super) fn sweep_staged(data_dir: &Path, keep: impl Fn(JobId) -> bool) {
    let Ok(dir) = std::fs::read_dir(data_dir.join("staged")) else {
        return;
    };
    for entry in dir.flatten() {
        let path = entry.path();
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix('#'))
            .and_then(|n| n.split_once('.'))
            .filter(|(_, ext)| ["jpg", "png", "webp"].contains(ext))
            .and_then(|(n, _)| n.parse().ok())
            .map(JobId);
        if !id.is_some_and(&keep)
            && let Err(e) = std::fs::remove_file(&path)
        {
            tracing::debug!(error = %e, "cannot delete a staged copy left behind");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        assert_eq!(head.len(), HEAD as usize);
        assert!(matches!(sniff(&head), Some((FileExtension::JPEG, "jpg"))));
        assert!(sniff(b"RIFF\0\0\0\0AVI ").is_none());
        assert!(sniff(&[0u8; 64]).is_none());
        assert!(read_head(&dir.path().join("missing.jpg")).is_err());
    }
}
