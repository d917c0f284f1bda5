//! JPEG: segments from SOI to EOI, through every scan, and the images after the first (listed
//! in an MPF segment, or simply following the first's EOI): every EXIF block's GPS IFD and every
//! XMP packet's location, extended XMP included, and APP13's IPTC place names.
//!
//! Entropy-coded data is skipped marker by marker (stuffed 0xFF00 and RST markers are data), so
//! an APP segment after the first scan (progressive JPEGs, some editors) is found too. Bytes
//! after the last image that are no JPEG (a maker's trailer) are left alone.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

use super::{Patch, iptc, tiff, xmp};
use crate::file_stream::map_patches;

/// How many images one file may hold before the walk gives up.
const MAX_IMAGES: usize = 64;
/// How much entropy-coded data is read at a time while looking for the next marker.
const CHUNK: usize = 64 * 1024;
const XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
const EXTENDED_ID: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
/// Extended XMP's header after its id: a 32-byte GUID, the full length, this part's offset.
const EXTENDED_HEAD: u64 = 35 + 32 + 4 + 4;
/// The largest extended XMP packet assembled.
const MAX_EXTENDED: u64 = 64 << 20;

const CUT_SHORT: &str = "its JPEG structure is cut short";

/// The patches that take the location out of the file read from `r` (`len` bytes).
pub fn find<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Patch>, String> {
    let mut out = Vec::new();
    let mut todo = vec![0u64];
    let mut walked: Vec<u64> = Vec::new();
    let mut last_end = 0u64;
    while let Some(start) = todo.pop() {
        if walked.contains(&start) {
            continue;
        }
        if walked.len() >= MAX_IMAGES {
            return Err(format!("it holds more than {MAX_IMAGES} JPEG images"));
        }
        walked.push(start);
        let image = walk_image(r, start, len, &mut out)?;
        last_end = last_end.max(image.end.unwrap_or(0));
        // Another JPEG right after this one's EOI (a preview, a depth map…), or where the
        // first image's MPF says; anything else there is left alone.
        let after = image.end.into_iter();
        for at in after.chain(image.mpf) {
            if at + 2 <= len && read_at(r, at, 2)? == [0xFF, 0xD8] {
                todo.push(at);
            }
        }
    }
    if let Some((at, video_len)) = appended_video(r, last_end, len)? {
        let mut window = super::window::Window::new(r, at, video_len);
        let patches = super::bmff::find(&mut window, video_len)?;
        out.extend(patches.into_iter().map(|p| Patch::new(at + p.at, p.bytes)));
    }
    Ok(out)
}

/// A motion photo's video after the last image (`end`): Google's right there (an ISO-BMFF
/// `ftyp` box), Samsung's after a `MotionPhoto_Data` marker and up to its `SEFH…SEFT` trailer.
/// Its offset and length; `None` when what follows is no video.
fn appended_video<R: Read + Seek>(
    r: &mut R,
    end: u64,
    len: u64,
) -> Result<Option<(u64, u64)>, String> {
    const SAMSUNG: &[u8] = b"MotionPhoto_Data";
    if end == 0 || end + 12 > len {
        return Ok(None);
    }
    let head = read_at(r, end, (len - end).min(SAMSUNG.len() as u64 + 8) as usize)?;
    if head.get(4..8) == Some(b"ftyp") {
        return Ok(Some((end, len - end)));
    }
    if !head.starts_with(SAMSUNG) || head.get(SAMSUNG.len() + 4..) != Some(b"ftyp") {
        return Ok(None);
    }
    let at = end + SAMSUNG.len() as u64;
    // Samsung's trailer ends the file: its size (little-endian), then `SEFT`.
    let mut video_end = len;
    if len >= at + 8 {
        let tail = read_at(r, len - 8, 8)?;
        if &tail[4..] == b"SEFT" {
            let size = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
            if let Some(start) = (len - 8).checked_sub(size).filter(|s| *s >= at) {
                video_end = start;
            }
        }
    }
    Ok(Some((at, video_end - at)))
}

/// What walking one image found besides patches.
struct Image {
    /// Just past its EOI; `None` when the file ends first.
    end: Option<u64>,
    /// The file offsets of the other images its MPF segment lists.
    mpf: Vec<u64>,
}

/// One part of an extended XMP packet: (offset in the packet, file offset, length).
type Part = (u64, u64, u64);
/// One extended XMP packet's parts, with its full length.
type Extended = (u64, Vec<Part>);
/// An assembled packet, and where its bytes lie in the file: (file offset, length) in order.
type Assembled = (Vec<u8>, Vec<(u64, u64)>);

fn walk_image<R: Read + Seek>(
    r: &mut R,
    start: u64,
    len: u64,
    out: &mut Vec<Patch>,
) -> Result<Image, String> {
    if start + 2 > len || read_at(r, start, 2)? != [0xFF, 0xD8] {
        return Err("its JPEG structure does not start with SOI".into());
    }
    let mut image = Image {
        end: None,
        mpf: Vec::new(),
    };
    let mut extended: BTreeMap<Vec<u8>, Extended> = BTreeMap::new();
    let mut pos = start + 2;
    loop {
        if pos + 2 > len {
            return Err(CUT_SHORT.into());
        }
        let head = read_at(r, pos, 2)?;
        if head[0] != 0xFF || head[1] == 0x00 {
            // Stray bytes between segments: on to the next marker, as decoders do.
            match next_marker(r, pos, len)? {
                Some(at) => {
                    pos = at;
                    continue;
                }
                None => break,
            }
        }
        let marker = head[1];
        match marker {
            0xFF => pos += 1, // fill byte
            0xD9 => {
                image.end = Some(pos + 2);
                break;
            }
            0x01 | 0xD0..=0xD7 => pos += 2,
            0xD8 => return Err(format!("its JPEG structure is broken at byte {pos}")),
            _ => {
                if pos + 4 > len {
                    return Err(CUT_SHORT.into());
                }
                let size = read_at(r, pos + 2, 2)?;
                let size = u64::from(u16::from_be_bytes([size[0], size[1]]));
                if size < 2 {
                    return Err(format!("its JPEG structure is broken at byte {pos}"));
                }
                let (data, n) = (pos + 4, size - 2);
                if data + n > len {
                    return Err(CUT_SHORT.into());
                }
                segment(r, marker, data, n, out, &mut image, &mut extended)?;
                pos = data + n;
                if marker == 0xDA {
                    match next_marker(r, pos, len)? {
                        Some(at) => pos = at,
                        None => break, // the file ends in the scan: nothing can follow
                    }
                }
            }
        }
    }
    for (full, parts) in extended.into_values() {
        let (packet, pieces) = assemble(r, full, parts)?;
        out.extend(map_patches(&pieces, &xmp::location_patches(&packet)?));
    }
    Ok(image)
}

/// Looks into one segment (its `n` bytes of data at `data`) for a location.
fn segment<R: Read + Seek>(
    r: &mut R,
    marker: u8,
    data: u64,
    n: u64,
    out: &mut Vec<Patch>,
    image: &mut Image,
    extended: &mut BTreeMap<Vec<u8>, Extended>,
) -> Result<(), String> {
    let head = read_at(r, data, n.min(EXTENDED_HEAD) as usize)?;
    match marker {
        0xE1 if head.starts_with(b"Exif\0") && n > 6 => {
            out.extend(tiff::gps_patches(r, data + 6, n - 6)?);
        }
        0xE1 if head.starts_with(XMP_ID) => {
            let at = data + XMP_ID.len() as u64;
            let packet = read_at(r, at, (n - XMP_ID.len() as u64) as usize)?;
            for p in xmp::location_patches(&packet)? {
                out.push(Patch::new(at + p.at, p.bytes));
            }
        }
        0xE1 if head.starts_with(EXTENDED_ID) => {
            if n < EXTENDED_HEAD {
                return Err("its extended XMP is cut short".into());
            }
            let word = |i: usize| {
                u64::from(u32::from_be_bytes([
                    head[i],
                    head[i + 1],
                    head[i + 2],
                    head[i + 3],
                ]))
            };
            let guid = head[35..67].to_vec();
            let (full, offset) = (word(67), word(71));
            let entry = extended.entry(guid).or_insert((full, Vec::new()));
            if entry.0 != full {
                return Err("its extended XMP parts disagree on its length".into());
            }
            entry
                .1
                .push((offset, data + EXTENDED_HEAD, n - EXTENDED_HEAD));
        }
        0xED if head.starts_with(iptc::PHOTOSHOP_ID) => {
            let at = data + iptc::PHOTOSHOP_ID.len() as u64;
            let block = read_at(r, at, (n - iptc::PHOTOSHOP_ID.len() as u64) as usize)?;
            for p in iptc::place_patches(&block)? {
                out.push(Patch::new(at + p.at, p.bytes));
            }
        }
        0xE2 if head.starts_with(b"MPF\0") && image.mpf.is_empty() => {
            let block = read_at(r, data + 4, (n - 4) as usize)?;
            image.mpf = mpf_images(&block)
                .into_iter()
                .map(|at| data + 4 + at)
                .collect();
        }
        _ => {}
    }
    Ok(())
}

/// An extended XMP packet put together from its parts (each `(offset in the packet, file
/// offset, length)`), and where its bytes lie in the file, in order.
fn assemble<R: Read + Seek>(
    r: &mut R,
    full: u64,
    mut parts: Vec<Part>,
) -> Result<Assembled, String> {
    if full > MAX_EXTENDED {
        return Err("its extended XMP is larger than 64 MiB".into());
    }
    parts.sort_unstable();
    let mut packet = Vec::with_capacity(full as usize);
    let mut pieces = Vec::new();
    for (offset, at, n) in parts {
        if offset != packet.len() as u64 || offset + n > full {
            return Err("its extended XMP's parts do not fit together".into());
        }
        packet.extend(read_at(r, at, n as usize)?);
        pieces.push((at, n));
    }
    if packet.len() as u64 != full {
        return Err("its extended XMP is missing a part".into());
    }
    Ok((packet, pieces))
}

/// The offsets (from the MPF block's TIFF header) of the images an MPF block lists besides the
/// first. A block that cannot be read lists none: the images after the first one's EOI are
/// walked anyway.
fn mpf_images(block: &[u8]) -> Vec<u64> {
    let le = block.starts_with(b"II");
    let at = |i: usize, n: usize| block.get(i..i + n);
    let u16_at = |i| {
        at(i, 2).map(|b| {
            let b = [b[0], b[1]];
            if le {
                u16::from_le_bytes(b)
            } else {
                u16::from_be_bytes(b)
            }
        })
    };
    let u32_at = |i| {
        at(i, 4).map(|b| {
            let b = [b[0], b[1], b[2], b[3]];
            u64::from(if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            })
        })
    };
    let Some(ifd) = u32_at(4).map(|v| v as usize) else {
        return Vec::new();
    };
    let count = u16_at(ifd).unwrap_or(0) as usize;
    for e in (0..count).map(|i| ifd + 2 + 12 * i) {
        if u16_at(e) == Some(0xB002) {
            let (Some(n), Some(off)) = (u32_at(e + 4), u32_at(e + 8)) else {
                break;
            };
            return (0..(n / 16).min(block.len() as u64 / 16) as usize)
                .filter_map(|i| u32_at(off as usize + 16 * i + 8))
                .filter(|&o| o != 0)
                .collect();
        }
    }
    Vec::new()
}

/// The offset of the next marker at or after `pos` in entropy-coded (or stray) data: an 0xFF
/// followed by neither 0x00 (a stuffed 0xFF), an RST marker nor another 0xFF (fill). `None`
/// when the file ends first.
fn next_marker<R: Read + Seek>(r: &mut R, mut pos: u64, len: u64) -> Result<Option<u64>, String> {
    let mut buf = vec![0; CHUNK];
    loop {
        if pos + 2 > len {
            return Ok(None);
        }
        let n = (len - pos).min(CHUNK as u64) as usize;
        r.seek(SeekFrom::Start(pos))
            .and_then(|_| r.read_exact(&mut buf[..n]))
            .map_err(|e| format!("it could not be read: {e}"))?;
        let found = buf[..n]
            .windows(2)
            .position(|w| w[0] == 0xFF && !matches!(w[1], 0x00 | 0xD0..=0xD7 | 0xFF));
        if let Some(i) = found {
            return Ok(Some(pos + i as u64));
        }
        pos += (n - 1) as u64;
    }
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, n: usize) -> Result<Vec<u8>, String> {
    tiff::read_at(r, at, n).map_err(|e| format!("it could not be read: {e}"))
}

#[cfg(test)]
mod tests;
