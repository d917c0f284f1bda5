//! PNG: the chunks from the signature to IEND, where a location may hide before or after the
//! image data: `eXIf` (EXIF's TIFF structure), the XMP packet (`iTXt` keyword
//! `XML:com.adobe.xmp`), ImageMagick's hex-encoded raw profiles (`Raw profile type exif`,
//! `APP1`, `xmp`) and its copies of single tags (`exif:GPSLatitude`…) in text chunks.
//!
//! Uncompressed blocks are patched in place (a raw profile through its hex digits). A
//! compressed chunk that holds a location cannot keep its length once edited, so it is
//! neutralized: renamed to the private ancillary type [`NEUTRAL`], which every decoder skips,
//! and zeroed; so is a text chunk that is a location tag on its own. Every chunk patched gets
//! its CRC rewritten. Image data is seeked over, never read.

use std::io::{Cursor, Read, Seek, SeekFrom};

use super::{Patch, Redactions, tiff, xmp};

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
/// What a neutralized chunk is renamed to: ancillary (lowercase 1st letter), private
/// (lowercase 2nd), reserved bit clear (uppercase 3rd), safe to copy (lowercase 4th).
pub const NEUTRAL: [u8; 4] = *b"wxRd";
/// The largest metadata chunk read (or inflated) into memory.
const MAX_CHUNK: usize = 16 << 20;
const XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";
const CUT: &str = "its PNG chunks are cut short";

/// The patches that take the location out of the file read from `r` (`len` bytes).
pub fn find<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Patch>, String> {
    let mut head = [0u8; 8];
    read_exact(r, &mut head)?;
    if head != SIGNATURE {
        return Err("its PNG signature is wrong".into());
    }
    let mut patches = Vec::new();
    let mut at = 8u64;
    loop {
        if at + 12 > len {
            return Err(CUT.into());
        }
        r.seek(SeekFrom::Start(at)).map_err(read_err)?;
        read_exact(r, &mut head)?;
        let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
        if size > i32::MAX as u32 || at + 12 + u64::from(size) > len {
            return Err(CUT.into());
        }
        let data_at = at + 8;
        match &kind {
            b"IEND" => return Ok(patches),
            b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" => {
                if let Some(found) = chunk(r, kind, data_at, size as usize)? {
                    patches.extend(found);
                }
            }
            _ => {}
        }
        at = data_at + u64::from(size) + 4;
    }
}

/// What to do with one metadata chunk whose data (`size` bytes) start at `data_at`: the
/// patches (its CRC's included), or `None` when it holds no location.
fn chunk<R: Read + Seek>(
    r: &mut R,
    kind: [u8; 4],
    data_at: u64,
    size: usize,
) -> Result<Option<Vec<Patch>>, String> {
    let name = String::from_utf8_lossy(&kind).into_owned();
    if kind != *b"eXIf" {
        // A text chunk: only its keyword decides whether the rest is worth reading.
        let mut keyword = vec![0u8; size.min(80)];
        read_exact(r, &mut keyword)?;
        let Some(end) = keyword.iter().position(|&b| b == 0) else {
            return Ok(None); // not a valid text chunk: decoders skip it
        };
        if classify(&keyword[..end]).is_none() {
            return Ok(None);
        }
        r.seek(SeekFrom::Start(data_at)).map_err(read_err)?;
    }
    if size > MAX_CHUNK {
        return Err(format!("its PNG {name} chunk is larger than 16 MiB"));
    }
    let mut data = vec![0u8; size];
    read_exact(r, &mut data)?;
    let inside = match &kind {
        b"eXIf" => Inside::Patches(exif_patches(&data)?),
        _ => text(kind, &data)?,
    };
    let mut patched = [&kind[..], &data].concat();
    let mut patches = match inside {
        Inside::Patches(p) if p.is_empty() => return Ok(None),
        Inside::Patches(p) => {
            let p: Vec<Patch> = p
                .into_iter()
                .map(|p| Patch::new(p.at + 4, p.bytes))
                .collect();
            Redactions::new(p.clone(), patched.len() as u64)?.apply(0, &mut patched);
            p
        }
        Inside::Neutralize => {
            patched.fill(0);
            patched[..4].copy_from_slice(&NEUTRAL);
            vec![Patch::new(0, patched.clone())]
        }
    };
    patches.push(Patch::new(
        patched.len() as u64,
        crc32fast::hash(&patched).to_be_bytes().to_vec(),
    ));
    // Offsets so far are within type + data + CRC; the chunk's type is at `data_at - 4`.
    Ok(Some(
        patches
            .into_iter()
            .map(|p| Patch::new(p.at + data_at - 4, p.bytes))
            .collect(),
    ))
}

enum Inside {
    /// Patches at offsets within the chunk's data (none: no location).
    Patches(Vec<Patch>),
    /// The chunk goes whole: renamed and zeroed.
    Neutralize,
}

/// What a text chunk's keyword says its text is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Text {
    Xmp,
    /// ImageMagick's hex-encoded raw profile of EXIF (`exif`, `APP1`) or XMP.
    RawExif,
    RawXmp,
    /// A single location tag, e.g. ImageMagick's `exif:GPSLatitude`.
    LocationTag,
}

fn classify(keyword: &[u8]) -> Option<Text> {
    match keyword {
        XMP_KEYWORD => Some(Text::Xmp),
        b"Raw profile type exif" | b"Raw profile type APP1" => Some(Text::RawExif),
        b"Raw profile type xmp" => Some(Text::RawXmp),
        _ => {
            let colon = keyword.iter().position(|&b| b == b':')?;
            keyword[colon + 1..]
                .starts_with(b"GPS")
                .then_some(Text::LocationTag)
        }
    }
}

/// The patches (within `data`) for a tEXt, zTXt or iTXt chunk whose keyword `classify` knows.
fn text(kind: [u8; 4], data: &[u8]) -> Result<Inside, String> {
    let bad = || {
        format!(
            "its PNG {} chunk is malformed",
            String::from_utf8_lossy(&kind)
        )
    };
    let key_end = data.iter().position(|&b| b == 0).ok_or_else(bad)?;
    let what = classify(&data[..key_end]).ok_or_else(bad)?;
    if what == Text::LocationTag {
        return Ok(Inside::Neutralize);
    }
    // Where the text starts, and whether it is compressed.
    let (start, compressed) = match &kind {
        b"tEXt" => (key_end + 1, false),
        b"zTXt" => (key_end + 2, true),
        _ => {
            // iTXt: keyword, flag, method, language tag, translated keyword, text.
            let flag = *data.get(key_end + 1).ok_or_else(bad)?;
            let mut at = key_end + 3;
            for _ in 0..2 {
                let rest = data.get(at..).ok_or_else(bad)?;
                at += rest.iter().position(|&b| b == 0).ok_or_else(bad)? + 1;
            }
            (at, flag != 0)
        }
    };
    let body = data.get(start..).ok_or_else(bad)?;
    if compressed {
        let plain = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(body, MAX_CHUNK)
            .map_err(|_| format!("its compressed PNG {} chunk could not be read", what.name()))?;
        let found = logical_patches(what, &plain, &(0..plain.len()).collect::<Vec<_>>())?;
        return Ok(if found.is_empty() {
            Inside::Patches(vec![])
        } else {
            Inside::Neutralize
        });
    }
    let positions: Vec<usize> = (start..data.len()).collect();
    logical_patches(what, data, &positions).map(Inside::Patches)
}

impl Text {
    fn name(self) -> &'static str {
        match self {
            Text::Xmp | Text::RawXmp => "XMP",
            Text::RawExif => "EXIF",
            Text::LocationTag => "text",
        }
    }
}

/// Patches on `bytes` for the text held at `positions` (offsets in `bytes`, in order): XMP
/// directly, raw profiles through their hex digits.
fn logical_patches(what: Text, bytes: &[u8], positions: &[usize]) -> Result<Vec<Patch>, String> {
    let text: Vec<u8> = positions.iter().map(|&i| bytes[i]).collect();
    let found = match what {
        Text::Xmp => xmp::location_patches(&text)?,
        Text::RawExif | Text::RawXmp => {
            let (decoded, digits) = raw_profile(&text)
                .ok_or_else(|| format!("its PNG raw {} profile is malformed", what.name()))?;
            let logical = if what == Text::RawXmp {
                xmp::location_patches(&decoded)?
            } else {
                app1_patches(&decoded)?
            };
            // Each logical byte is two hex digits: write them in place.
            let mut out = Vec::new();
            for p in logical {
                for (k, b) in p.bytes.iter().enumerate() {
                    let i = (p.at as usize + k) * 2;
                    let hex = hex::encode([*b]).into_bytes();
                    out.push(Patch::new(digits[i] as u64, vec![hex[0]]));
                    out.push(Patch::new(digits[i + 1] as u64, vec![hex[1]]));
                }
            }
            coalesce(out)
        }
        Text::LocationTag => return Ok(vec![]),
    };
    let mut out = Vec::new();
    for p in found {
        for (k, b) in p.bytes.into_iter().enumerate() {
            out.push(Patch::new(positions[p.at as usize + k] as u64, vec![b]));
        }
    }
    Ok(coalesce(out))
}

/// EXIF from a raw `exif`/`APP1` profile: `Exif\0\0` then TIFF, or an XMP APP1.
fn app1_patches(decoded: &[u8]) -> Result<Vec<Patch>, String> {
    const XAP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
    if let Some(packet) = decoded.strip_prefix(XAP) {
        let skip = XAP.len() as u64;
        let found = xmp::location_patches(packet)?;
        return Ok(found
            .into_iter()
            .map(|p| Patch::new(p.at + skip, p.bytes))
            .collect());
    }
    exif_patches(decoded)
}

/// The GPS IFD out of an EXIF block held in memory (TIFF, maybe after `Exif\0\0`).
fn exif_patches(block: &[u8]) -> Result<Vec<Patch>, String> {
    let skip = if block.starts_with(b"Exif\0\0") { 6 } else { 0 };
    let mut c = Cursor::new(block);
    tiff::gps_patches(&mut c, skip, (block.len() - skip as usize) as u64)
}

/// An ImageMagick raw profile, `\n<name>\n <length>\n<hex digits, newlines between>`: its
/// decoded bytes and the offset (in `text`) of each of their hex digits.
fn raw_profile(text: &[u8]) -> Option<(Vec<u8>, Vec<usize>)> {
    let mut lines = text.splitn(3, |&b| b == b'\n').skip(1);
    let _name = lines.next()?;
    let rest = lines.next()?;
    let len_end = rest.iter().position(|&b| b == b'\n')?;
    let n: usize = std::str::from_utf8(&rest[..len_end])
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let hex_start = text.len() - rest.len() + len_end + 1;
    let digits: Vec<usize> = (hex_start..text.len())
        .filter(|&i| text[i].is_ascii_hexdigit())
        .take(n.checked_mul(2)?)
        .collect();
    if digits.len() != n * 2 || n > MAX_CHUNK {
        return None;
    }
    let hex: Vec<u8> = digits.iter().map(|&i| text[i]).collect();
    Some((hex::decode(hex).ok()?, digits))
}

/// Adjacent one-byte patches joined into runs (sorted by offset).
fn coalesce(mut patches: Vec<Patch>) -> Vec<Patch> {
    patches.sort_by_key(|p| p.at);
    let mut out: Vec<Patch> = Vec::new();
    for p in patches {
        match out.last_mut() {
            Some(last) if last.at + last.bytes.len() as u64 == p.at => last.bytes.extend(p.bytes),
            _ => out.push(p),
        }
    }
    out
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<(), String> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => CUT.to_string(),
        _ => read_err(e),
    })
}

fn read_err(e: std::io::Error) -> String {
    format!("it could not be read: {e}")
}

#[cfg(test)]
mod tests;
