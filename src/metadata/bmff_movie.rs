//! A movie's location, in boxes read into memory (`moov`, a top-level `udta`, `meta` or XMP
//! `uuid`): QuickTime's and Android's `udta/©xyz` and 3GPP's `udta/loci` become `free` boxes of
//! zeros; Apple's `meta` keys (`com.apple.quicktime.location.*`) lose their `ilst` items (turned
//! `free`) and their names (a same-length neutral name); iTunes-style
//! `ilst/©xyz` items become `free`; XMP packets (`uuid` boxes, `udta/XMP_`) are blanked by
//! [`super::xmp`]. The same in every `trak`. Nothing is moved: every box keeps its size.

use std::ops::Range;

use super::Patch;
use super::bmff_box::{Head, MAX_DEPTH, be32, body, broken, children};

/// The UUID of a `uuid` box that holds an XMP packet.
pub const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];

/// `©xyz`: an ISO 6709 location string.
const XYZ: [u8; 4] = [0xA9, b'x', b'y', b'z'];

/// Canon's metadata box in a CR3's `moov`.
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];

/// What a location key's name starts with.
const LOCATION_KEY: &[u8] = b"com.apple.quicktime.location";

/// What a location key is renamed to, padded with `x` to its length.
const NEUTRAL_KEY: &[u8] = b"com.wixup.removed.";

/// The patches for the boxes in `buf`, which holds whole boxes read from file offset `base`.
pub fn walk(buf: &[u8], base: u64) -> Result<Vec<Patch>, String> {
    let mut out = Vec::new();
    container(buf, base, 0..buf.len(), *b"file", 0, &mut out)?;
    Ok(out)
}

fn container(
    buf: &[u8],
    base: u64,
    range: Range<usize>,
    parent: [u8; 4],
    depth: usize,
    out: &mut Vec<Patch>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(broken(base + range.start as u64, "nests too deep"));
    }
    for h in children(buf, base, range)? {
        let inner = body(base, &h);
        match &h.kind {
            b"moov" | b"trak" | b"udta" | b"mdia" | b"minf" | b"stbl" => {
                container(buf, base, inner, h.kind, depth + 1, out)?
            }
            b"stsd" => timed_location(buf, base, inner)?,
            b"meta" => meta(buf, base, &h, out)?,
            b"uuid" if buf[inner.clone()].starts_with(&XMP_UUID) => {
                xmp(buf, base, inner.start + 16..inner.end, out)?
            }
            // Canon's CR3: its metadata box holds the GPS IFD as a TIFF structure of its own
            // (`CMT4`), which goes whole.
            b"uuid" if buf[inner.clone()].starts_with(&CANON_UUID) => {
                for b in children(buf, base, inner.start + 16..inner.end)? {
                    if b.kind == *b"CMT4" {
                        free(&b, out);
                    }
                }
            }
            b"cmov" => return Err("its movie header is compressed".into()),
            // A dashcam's index of GPS blocks kept among the frames.
            b"gps " => {
                return Err(
                    "its GPS log lies among the frames, where Wixup cannot remove it".into(),
                );
            }
            b"XMP_" if parent == *b"udta" => xmp(buf, base, inner, out)?,
            k if parent == *b"udta" && (*k == XYZ || k == b"loci") => free(&h, out),
            _ => {}
        }
    }
    Ok(())
}

/// Refuses a track whose samples carry a position per frame (GoPro's `gpmd`, DJI's `djmd`,
/// Google's `camm`, Sony's `rtmd`, Apple's timed metadata `mebx` with a location key): those bytes lie in `mdat`
/// among the frames, where no same-length overwrite can find them all. `stsd` (a FullBox, then
/// an entry count) lists the sample entries.
fn timed_location(buf: &[u8], base: u64, stsd: Range<usize>) -> Result<(), String> {
    let entries = stsd.start.saturating_add(8).min(stsd.end)..stsd.end;
    for entry in children(buf, base, entries)? {
        let kind = String::from_utf8_lossy(&entry.kind).into_owned();
        let per_frame = match &entry.kind {
            b"gpmd" | b"djmd" | b"camm" | b"rtmd" => true,
            // After the sample entry's 8 bytes: a `keys` box whose entries hold `keyd` boxes
            // (a namespace, then the key's name).
            b"mebx" => {
                let inner = body(base, &entry);
                let boxes = inner.start.saturating_add(8).min(inner.end)..inner.end;
                mebx_has_location(buf, base, boxes)?
            }
            _ => false,
        };
        if per_frame {
            return Err(format!(
                "its {kind} track records the position frame by frame, which Wixup cannot remove"
            ));
        }
    }
    Ok(())
}

/// Whether a `mebx` sample entry's key table names a location key.
fn mebx_has_location(buf: &[u8], base: u64, range: Range<usize>) -> Result<bool, String> {
    for table in children(buf, base, range)? {
        if table.kind != *b"keys" {
            continue;
        }
        for key in children(buf, base, body(base, &table))? {
            for d in children(buf, base, body(base, &key))? {
                let value = &buf[body(base, &d)];
                if d.kind == *b"keyd" && value.get(4..).is_some_and(|v| v.starts_with(LOCATION_KEY))
                {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// `h` turned into a `free` box of zeros, its size kept.
fn free(h: &Head, out: &mut Vec<Patch>) {
    out.push(Patch::new(h.at + 4, b"free".to_vec()));
    out.push(Patch::zeros(h.body_at(), h.body_len() as usize));
}

fn xmp(buf: &[u8], base: u64, range: Range<usize>, out: &mut Vec<Patch>) -> Result<(), String> {
    if range.is_empty() {
        return Ok(());
    }
    let at = base + range.start as u64;
    let patches = super::xmp::location_patches(&buf[range])?;
    out.extend(patches.into_iter().map(|p| Patch::new(p.at + at, p.bytes)));
    Ok(())
}

/// A key of a `keys` box: its name and the file offset of the name.
struct Key {
    name: Vec<u8>,
    at: u64,
}

impl Key {
    fn is_location(&self) -> bool {
        self.name.starts_with(LOCATION_KEY)
    }
}

/// A `meta` box: QuickTime's (no version, `hdlr` first) or ISO's (a FullBox). Its `keys` and
/// `ilst` are looked at; a HEIF's items are [`super::bmff_heif`]'s.
fn meta(buf: &[u8], base: u64, h: &Head, out: &mut Vec<Patch>) -> Result<(), String> {
    let inner = body(base, h);
    let full = buf.get(inner.start + 4..inner.start + 8) != Some(b"hdlr".as_slice());
    let start = inner.start + if full { 4 } else { 0 };
    if start > inner.end {
        return Ok(()); // empty: nothing in it
    }
    let kids = children(buf, base, start..inner.end)?;
    let mut keys = Vec::new();
    for k in kids.iter().filter(|k| k.kind == *b"keys") {
        keys = parse_keys(buf, base, k)?;
    }
    for k in kids.iter().filter(|k| k.kind == *b"ilst") {
        ilst(buf, base, k, &keys, out)?;
    }
    for key in keys.iter().filter(|k| k.is_location()) {
        let mut name = NEUTRAL_KEY.to_vec();
        name.resize(key.name.len().max(NEUTRAL_KEY.len()), b'x');
        name.truncate(key.name.len());
        out.push(Patch::new(key.at, name));
    }
    Ok(())
}

/// A `keys` box: version and flags, a count, then (size, namespace, name) entries.
fn parse_keys(buf: &[u8], base: u64, h: &Head) -> Result<Vec<Key>, String> {
    let inner = body(base, h);
    let b = &buf[inner.clone()];
    if b.len() < 8 {
        return Err(broken(h.at, "is cut short"));
    }
    let count = be32(&b[4..8]) as usize;
    let mut at = 8;
    let mut keys = Vec::new();
    for _ in 0..count {
        let size = b.get(at..at + 4).map(be32).unwrap_or(0) as usize;
        if size < 8 || b.len() - at < size {
            return Err(broken(h.at, "lists a key that runs past its end"));
        }
        keys.push(Key {
            name: b[at + 8..at + size].to_vec(),
            at: base + (inner.start + at + 8) as u64,
        });
        at += size;
    }
    Ok(keys)
}

/// An `ilst` box: items typed by a key's 1-based index (or, iTunes-style, by a four-character
/// code), each holding `data` boxes (type, locale, then the value).
fn ilst(buf: &[u8], base: u64, h: &Head, keys: &[Key], out: &mut Vec<Patch>) -> Result<(), String> {
    for item in children(buf, base, body(base, h))? {
        if item.kind == XYZ {
            free(&item, out);
            continue;
        }
        let index = be32(&item.kind) as usize;
        let is_location = index >= 1 && keys.get(index - 1).is_some_and(Key::is_location);
        if is_location {
            // The item goes whole: its value zeroed alone left an empty tag under the key's
            // neutral name (exiftool listed `Keys:WixupRemoved…`), and an index of 0 makes
            // ffmpeg warn; a `free` item is skipped by both.
            children(buf, base, body(base, &item))?;
            free(&item, out);
        }
    }
    Ok(())
}
