//! A HEIF/HEIC/AVIF's location: its top-level `meta` lists items (`iinf`) and where their bytes
//! lie (`iloc`: file offsets, or offsets in the `meta`'s own `idat`), in one extent or several.
//! An `Exif` item (a 4-byte offset to its TIFF header, then the block) goes to
//! [`super::tiff::gps_patches`], an XMP item (`mime`, `application/rdf+xml`) to
//! [`super::xmp::location_patches`]: each is read into memory (it is small), patched as one
//! buffer, and the patches mapped back to the file with [`map_patches`].

use std::io::{Cursor, Read, Seek, SeekFrom};

use super::Patch;
use super::bmff_box::{Head, be32, body, broken, children, take};
use crate::file_stream::map_patches;

/// The largest Exif or XMP item read into memory.
pub const MAX_ITEM: u64 = 64 << 20;
/// The most extents an `iloc` may list.
const MAX_EXTENTS: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Exif,
    Xmp,
}

impl What {
    fn name(self) -> &'static str {
        match self {
            What::Exif => "EXIF",
            What::Xmp => "XMP",
        }
    }
}

/// Where an item's bytes lie.
struct Loc {
    id: u32,
    method: u64,
    data_ref: u64,
    base: u64,
    extents: Vec<(u64, u64)>,
}

/// The patches for the Exif and XMP items of the `meta` box `buf` holds (read from file offset
/// `base`), reading their bytes from `r` (`len` bytes).
pub fn items<R: Read + Seek>(
    r: &mut R,
    buf: &[u8],
    base: u64,
    len: u64,
) -> Result<Vec<Patch>, String> {
    let Some(meta) = children(buf, base, 0..buf.len())?.into_iter().next() else {
        return Ok(Vec::new());
    };
    let inner = body(base, &meta);
    // QuickTime's `meta` (`hdlr` first, no version) holds keys, not items.
    if inner.len() < 4 || buf.get(inner.start + 4..inner.start + 8) == Some(b"hdlr".as_slice()) {
        return Ok(Vec::new());
    }
    let kids = children(buf, base, inner.start + 4..inner.end)?;
    let find = |kind: &[u8; 4]| kids.iter().find(|k| k.kind == *kind);
    let wanted = match find(b"iinf") {
        Some(h) => parse_iinf(buf, base, h)?,
        None => return Ok(Vec::new()),
    };
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let locs = match find(b"iloc") {
        Some(h) => parse_iloc(buf, base, h)?,
        None => Vec::new(),
    };
    let idat = find(b"idat").map(|h| (h.body_at(), h.body_len()));
    let mut out = Vec::new();
    for (id, what) in wanted {
        let name = what.name();
        let Some(loc) = locs.iter().find(|l| l.id == id) else {
            return Err(format!("its {name} item's bytes are not located"));
        };
        if loc.data_ref != 0 {
            return Err(format!("its {name} item is kept in another file"));
        }
        let (from, room) = match (loc.method, idat) {
            (0, _) => (0, len),
            (1, Some(idat)) => idat,
            (1, None) => return Err(format!("its {name} item's bytes are missing")),
            _ => return Err(format!("its {name} item is built from other items")),
        };
        let mut pieces = Vec::new();
        let mut total = 0u64;
        for &(offset, length) in &loc.extents {
            let start = loc.base.checked_add(offset);
            let start = start.filter(|&s| s <= room);
            let Some(start) = start else {
                return Err(format!("its {name} item lies past the end of the file"));
            };
            let length = if length == 0 { room - start } else { length };
            if length > room - start {
                return Err(format!("its {name} item lies past the end of the file"));
            }
            total += length;
            if total > MAX_ITEM {
                return Err(format!("its {name} item is too large to read"));
            }
            pieces.push((from + start, length));
        }
        let data = read_pieces(r, &pieces)?;
        let logical = match what {
            What::Exif => {
                let at = data.get(0..4).map(be32).map(|o| u64::from(o) + 4);
                let Some(at) = at.filter(|&a| a <= data.len() as u64) else {
                    return Err("its EXIF item is cut short".into());
                };
                let n = data.len() as u64 - at;
                super::tiff::gps_patches(&mut Cursor::new(&data), at, n)?
            }
            What::Xmp => super::xmp::location_patches(&data)?,
        };
        out.extend(map_patches(&pieces, &logical));
    }
    Ok(out)
}

fn read_pieces<R: Read + Seek>(r: &mut R, pieces: &[(u64, u64)]) -> Result<Vec<u8>, String> {
    let mut data = Vec::new();
    for &(at, n) in pieces {
        let from = data.len();
        data.resize(from + n as usize, 0);
        r.seek(SeekFrom::Start(at))
            .and_then(|_| r.read_exact(&mut data[from..]))
            .map_err(|e| format!("it could not be read: {e}"))?;
    }
    Ok(data)
}

/// The Exif and XMP items an `iinf` lists: (item ID, what).
fn parse_iinf(buf: &[u8], base: u64, h: &Head) -> Result<Vec<(u32, What)>, String> {
    let inner = body(base, h);
    let version = buf.get(inner.start).copied();
    let skip = match version {
        Some(0) => 6,
        Some(_) => 8,
        None => return Err(broken(h.at, "is cut short")),
    };
    if inner.len() < skip {
        return Err(broken(h.at, "is cut short"));
    }
    let mut out = Vec::new();
    for infe in children(buf, base, inner.start + skip..inner.end)? {
        if infe.kind != *b"infe" {
            continue;
        }
        let b = &buf[body(base, &infe)];
        let cut = || broken(infe.at, "is cut short");
        let version = *b.first().ok_or_else(cut)?;
        let mut at = 4;
        let id_size = if version == 3 { 4 } else { 2 };
        let id = take(b, &mut at, id_size).ok_or_else(cut)? as u32;
        take(b, &mut at, 2).ok_or_else(cut)?; // protection index
        let kind = if version >= 2 {
            let k = b.get(at..at + 4).ok_or_else(cut)?;
            at += 4;
            k
        } else {
            b"mime"
        };
        let _name = cstring(b, &mut at);
        let what = match kind {
            b"Exif" => Some(What::Exif),
            b"mime" if cstring(b, &mut at) == b"application/rdf+xml" => Some(What::Xmp),
            _ => None,
        };
        if let Some(what) = what {
            if what == What::Xmp && !cstring(b, &mut at).is_empty() {
                return Err("its XMP item is compressed".into());
            }
            out.push((id, what));
        }
    }
    Ok(out)
}

/// A NUL-terminated string at `*at` (to the end when there is no NUL), the cursor moved past it.
fn cstring<'a>(b: &'a [u8], at: &mut usize) -> &'a [u8] {
    let rest = b.get(*at..).unwrap_or_default();
    let n = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
    *at += (n + 1).min(rest.len());
    &rest[..n]
}

/// An `iloc` box, versions 0 to 2.
fn parse_iloc(buf: &[u8], base: u64, h: &Head) -> Result<Vec<Loc>, String> {
    let b = &buf[body(base, h)];
    let cut = || broken(h.at, "is cut short");
    let version = *b.first().ok_or_else(cut)?;
    if version > 2 {
        return Err(broken(h.at, "is of a version this cannot read"));
    }
    let mut at = 4;
    let sizes = take(b, &mut at, 1).ok_or_else(cut)?;
    let more = take(b, &mut at, 1).ok_or_else(cut)?;
    let (offset_size, length_size) = ((sizes >> 4) as usize, (sizes & 15) as usize);
    let base_size = (more >> 4) as usize;
    let index_size = if version == 0 {
        0
    } else {
        (more & 15) as usize
    };
    if [offset_size, length_size, base_size, index_size]
        .iter()
        .any(|s| ![0, 4, 8].contains(s))
    {
        return Err(broken(h.at, "gives a field size other than 0, 4 or 8"));
    }
    let wide = if version < 2 { 2 } else { 4 };
    let count = take(b, &mut at, wide).ok_or_else(cut)?;
    let mut out = Vec::new();
    let mut extents_seen = 0usize;
    for _ in 0..count {
        let id = take(b, &mut at, wide).ok_or_else(cut)? as u32;
        let method = if version == 0 {
            0
        } else {
            take(b, &mut at, 2).ok_or_else(cut)? & 15
        };
        let data_ref = take(b, &mut at, 2).ok_or_else(cut)?;
        let item_base = take(b, &mut at, base_size).ok_or_else(cut)?;
        let n = take(b, &mut at, 2).ok_or_else(cut)?;
        let mut extents = Vec::new();
        for _ in 0..n {
            extents_seen += 1;
            if extents_seen > MAX_EXTENTS {
                return Err(broken(h.at, "lists too many extents"));
            }
            take(b, &mut at, index_size).ok_or_else(cut)?;
            let offset = take(b, &mut at, offset_size).ok_or_else(cut)?;
            let length = take(b, &mut at, length_size).ok_or_else(cut)?;
            extents.push((offset, length));
        }
        out.push(Loc {
            id,
            method,
            data_ref,
            base: item_base,
            extents,
        });
    }
    Ok(out)
}
