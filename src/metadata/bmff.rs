//! ISO-BMFF (MP4, MOV, M4V, 3GP, M4A, HEIF/HEIC/AVIF): the top-level boxes walked by seeking,
//! `mdat` stepped over and never read. The boxes a location hides in are read into memory,
//! bounded: `moov` wherever it sits (start or end) and a top-level `udta` for
//! [`super::bmff_movie`], a top-level `meta` for both it (keys) and [`super::bmff_heif`] (items),
//! an XMP `uuid` box. Every overwrite keeps every box's size and offset.

use std::io::{Read, Seek, SeekFrom};

use super::Patch;
use super::bmff_box::{Head, head};
use super::{bmff_heif, bmff_movie};

/// The largest `moov` (or top-level `udta`) read into memory: ten hours of 60 fps video index
/// in a few MiB, so the client stays far under 100 MiB whatever a crafted file declares.
pub const MAX_MOVIE: u64 = 64 << 20;
/// The largest top-level `meta` or XMP `uuid` box read into memory.
pub const MAX_META: u64 = 64 << 20;
/// How many top-level boxes a file may have (a fragmented MP4 has two per fragment).
const MAX_TOP: usize = 4 << 20;

/// The patches that take the location out of the file read from `r` (`len` bytes).
pub fn find<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Patch>, String> {
    let mut out = Vec::new();
    let mut at = 0u64;
    let mut count = 0usize;
    while len - at >= 8 {
        count += 1;
        if count > MAX_TOP {
            return Err("its box structure is broken (it has too many top-level boxes)".into());
        }
        let mut first = [0u8; 16];
        let n = (len - at).min(16) as usize;
        read_at(r, at, &mut first[..n])?;
        let h = head(&first[..n], at, len)?;
        match &h.kind {
            b"moov" | b"udta" => {
                let buf = read_box(r, &h, MAX_MOVIE, "movie header")?;
                out.extend(bmff_movie::walk(&buf, h.at)?);
            }
            b"meta" => {
                let buf = read_box(r, &h, MAX_META, "metadata box")?;
                out.extend(bmff_movie::walk(&buf, h.at)?);
                out.extend(bmff_heif::items(r, &buf, h.at, len)?);
            }
            b"uuid" if h.body_len() >= 16 => {
                let mut uuid = [0u8; 16];
                read_at(r, h.body_at(), &mut uuid)?;
                if uuid == bmff_movie::XMP_UUID {
                    let buf = read_box(r, &h, MAX_META, "XMP packet")?;
                    out.extend(bmff_movie::walk(&buf, h.at)?);
                }
            }
            _ => {}
        }
        at = h.end();
    }
    Ok(out)
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> Result<(), String> {
    r.seek(SeekFrom::Start(at))
        .and_then(|_| r.read_exact(buf))
        .map_err(|e| format!("it could not be read: {e}"))
}

/// The whole box `h`, when it is at most `max` bytes.
fn read_box<R: Read + Seek>(r: &mut R, h: &Head, max: u64, what: &str) -> Result<Vec<u8>, String> {
    if h.size > max {
        return Err(format!(
            "its {what} is too large to read ({} MiB)",
            h.size >> 20
        ));
    }
    let mut buf = vec![0; h.size as usize];
    read_at(r, h.at, &mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests;
