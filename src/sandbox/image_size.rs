//! The displayed size of the images the bounded decoder cannot read, from their structure:
//! HEIF/AVIF from the `ispe` property of the primary item (turned by its `irot`), TIFF from
//! IFD0's ImageWidth/ImageLength (turned by its Orientation). Bounded reads only: top-level
//! boxes are skipped by seeking, and only the `meta` box (at most [`MAX_META`]) is read.

use std::io::{Read, Seek, SeekFrom};

/// The largest `meta` box read into memory (an iPhone's is a few KiB).
const MAX_META: u64 = 4 << 20;
/// Top-level boxes looked through before giving up on finding `meta`.
const MAX_BOXES: usize = 64;

/// Width and height of a HEIF/AVIF file's primary item, as displayed.
pub(super) fn heif<R: Read + Seek>(r: &mut R, len: u64) -> Option<(u32, u32)> {
    let mut at = 0u64;
    for _ in 0..MAX_BOXES {
        let (kind, header, size) = box_header_at(r, at, len)?;
        if &kind == b"meta" {
            let body = size.checked_sub(header)?;
            if body > MAX_META {
                return None;
            }
            let mut meta = vec![0u8; usize::try_from(body).ok()?];
            r.read_exact(&mut meta).ok()?;
            return primary_size(meta.get(4..)?); // after version and flags
        }
        at = at.checked_add(size)?;
        if at >= len {
            return None;
        }
    }
    None
}

/// A box header at `at`: its type, header length and whole size (the reader is left at its body).
fn box_header_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> Option<([u8; 4], u64, u64)> {
    r.seek(SeekFrom::Start(at)).ok()?;
    let mut h = [0u8; 8];
    r.read_exact(&mut h).ok()?;
    let kind = [h[4], h[5], h[6], h[7]];
    let (header, size) = match u32::from_be_bytes([h[0], h[1], h[2], h[3]]) {
        0 => (8, len - at),
        1 => {
            let mut big = [0u8; 8];
            r.read_exact(&mut big).ok()?;
            (16, u64::from_be_bytes(big))
        }
        n => (8, u64::from(n)),
    };
    (size >= header && at.checked_add(size)? <= len).then_some((kind, header, size))
}

/// The boxes inside `data`: (type, body).
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let size = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, rest.len()),
            1 => (
                16,
                usize::try_from(u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)).ok()?,
            ),
            n => (8, n),
        };
        let body = rest.get(header..size)?;
        rest = &rest[size..];
        Some((kind, body))
    })
}

fn find<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| k == kind).map(|(_, b)| b)
}

fn be(data: &[u8], at: usize, n: usize) -> Option<u32> {
    let b = data.get(at..at + n)?;
    Some(b.iter().fold(0u32, |v, &x| (v << 8) | u32::from(x)))
}

/// The `ispe` of the primary item named by `pitm`, through `iprp`'s `ipma` and `ipco`.
fn primary_size(meta: &[u8]) -> Option<(u32, u32)> {
    let pitm = find(meta, b"pitm")?;
    let primary = if pitm.first()? == &0 {
        be(pitm, 4, 2)?
    } else {
        be(pitm, 4, 4)?
    };
    let iprp = find(meta, b"iprp")?;
    let props: Vec<([u8; 4], &[u8])> = boxes(find(iprp, b"ipco")?).collect();
    let (mut size, mut turned) = (None, false);
    for ipma in boxes(iprp).filter(|(k, _)| k == b"ipma").map(|(_, b)| b) {
        let (version, flags) = (*ipma.first()?, be(ipma, 1, 3)?);
        let (id_len, wide) = (if version < 1 { 2 } else { 4 }, flags & 1 == 1);
        let mut at = 8;
        for _ in 0..be(ipma, 4, 4)? {
            let item = be(ipma, at, id_len)?;
            let count = usize::from(*ipma.get(at + id_len)?);
            at += id_len + 1;
            for _ in 0..count {
                let index = if wide {
                    be(ipma, at, 2)? & 0x7fff
                } else {
                    be(ipma, at, 1)? & 0x7f
                } as usize;
                at += if wide { 2 } else { 1 };
                if item != primary || index == 0 {
                    continue;
                }
                match props.get(index - 1).map(|(k, b)| (k, *b)) {
                    Some((b"ispe", b)) => size = Some((be(b, 4, 4)?, be(b, 8, 4)?)),
                    Some((b"irot", b)) => turned = b.first()? & 1 == 1,
                    _ => {}
                }
            }
        }
    }
    let (w, h) = size.filter(|&(w, h)| w > 0 && h > 0)?;
    Some(if turned { (h, w) } else { (w, h) })
}

/// Width and height of a TIFF's first image, as displayed; `None` when IFD0 has no size.
pub(super) fn tiff<R: Read + Seek>(r: &mut R, len: u64) -> Option<(u32, u32)> {
    let mut head = [0u8; 8];
    r.seek(SeekFrom::Start(0)).ok()?;
    r.read_exact(&mut head).ok()?;
    let little = match &head[..2] {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |b: &[u8], at: usize| -> Option<u32> {
        let b: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(u32::from(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }))
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        let b: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let ifd = u64::from(u32_at(&head, 4)?);
    let mut count = [0u8; 2];
    r.seek(SeekFrom::Start(ifd)).ok()?;
    r.read_exact(&mut count).ok()?;
    let n = u16_at(&count, 0)? as usize;
    if ifd + 2 + n as u64 * 12 > len {
        return None;
    }
    let mut entries = vec![0u8; n * 12];
    r.read_exact(&mut entries).ok()?;
    let (mut w, mut h, mut orientation) = (None, None, 1);
    for e in entries.chunks_exact(12) {
        let value = match u16_at(e, 2)? {
            3 => u16_at(e, 8)?, // SHORT, left-justified in the value field
            4 => u32_at(e, 8)?, // LONG
            _ => continue,
        };
        match u16_at(e, 0)? {
            0x100 => w = Some(value),
            0x101 => h = Some(value),
            0x112 => orientation = value,
            _ => {}
        }
    }
    let (w, h) = (w.filter(|&v| v > 0)?, h.filter(|&v| v > 0)?);
    Some(if (5..=8).contains(&orientation) {
        (h, w)
    } else {
        (w, h)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    type Put16 = fn(u16) -> [u8; 2];
    type Put32 = fn(u32) -> [u8; 4];

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    fn full(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
        let mut b = vec![version, 0, 0, 0];
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    /// A HEIF whose item 2 is primary, 640×480 and turned 90°, beside a 64×64 thumbnail item 1.
    fn heif_bytes(rotated: bool) -> Vec<u8> {
        let ispe = |w: u32, h: u32| {
            let mut b = w.to_be_bytes().to_vec();
            b.extend_from_slice(&h.to_be_bytes());
            full(b"ispe", 0, &b)
        };
        let mut ipco = ispe(64, 64);
        ipco.extend(ispe(640, 480));
        ipco.extend(bx(b"irot", &[if rotated { 1 } else { 0 }]));
        // item 1 → property 1; item 2 → properties 2 and 3 (essential bit set on 2).
        let ipma_body = [0, 0, 0, 2, 0, 1, 1, 0x01, 0, 2, 2, 0x82, 0x03];
        let mut iprp = bx(b"ipco", &ipco);
        iprp.extend(full(b"ipma", 0, &ipma_body));
        let mut meta = full(b"hdlr", 0, &[0; 20]);
        meta.extend(full(b"pitm", 0, &[0, 2]));
        meta.extend(bx(b"iprp", &iprp));
        let mut file = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        file.extend(full(b"meta", 0, &meta[..]));
        file.extend(bx(b"mdat", &[0; 100]));
        file
    }

    #[test]
    fn heif_size_is_the_primary_items_ispe_turned_by_irot() {
        let plain = heif_bytes(false);
        assert_eq!(
            heif(&mut Cursor::new(&plain), plain.len() as u64),
            Some((640, 480))
        );
        let turned = heif_bytes(true);
        assert_eq!(
            heif(&mut Cursor::new(&turned), turned.len() as u64),
            Some((480, 640))
        );
        // Cut inside `meta`, or with no `meta` at all: no size.
        assert_eq!(heif(&mut Cursor::new(&plain[..40]), 40), None);
        let bare = bx(b"ftyp", b"heic\0\0\0\0");
        assert_eq!(heif(&mut Cursor::new(&bare), bare.len() as u64), None);
    }

    #[test]
    fn tiff_size_is_ifd0s_width_and_length_turned_by_orientation() {
        for little in [true, false] {
            for (orientation, want) in [(1u16, (300, 200)), (6, (200, 300))] {
                let (w16, w32): (Put16, Put32) = if little {
                    (u16::to_le_bytes, u32::to_le_bytes)
                } else {
                    (u16::to_be_bytes, u32::to_be_bytes)
                };
                let mut t = if little {
                    b"II".to_vec()
                } else {
                    b"MM".to_vec()
                };
                t.extend(w16(42));
                t.extend(w32(8));
                t.extend(w16(3));
                let mut entry = |tag: u16, kind: u16, value: [u8; 4]| {
                    t.extend(w16(tag));
                    t.extend(w16(kind));
                    t.extend(w32(1));
                    t.extend(value);
                };
                entry(0x100, 4, w32(300)); // LONG
                let [a, b] = w16(200);
                entry(0x101, 3, [a, b, 0, 0]); // SHORT
                let [a, b] = w16(orientation);
                entry(0x112, 3, [a, b, 0, 0]);
                t.extend(w32(0));
                assert_eq!(tiff(&mut Cursor::new(&t), t.len() as u64), Some(want));
                assert_eq!(tiff(&mut Cursor::new(&t[..20]), 20), None, "cut short");
            }
        }
    }
}
