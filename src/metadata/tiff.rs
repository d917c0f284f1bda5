//! EXIF's TIFF structure (in a JPEG's APP1, a PNG's eXIf, a HEIF item, or a TIFF/DNG/RAW file
//! itself): the GPS IFD taken out of the IFD that points at it.
//!
//! The pointer entry (tag 0x8825) leaves its IFD in place: the entries after it move up 12
//! bytes, the count drops, the next-IFD offset follows the last entry and the freed 12 bytes are
//! zeroed; the GPS IFD and every value it points at are zeroed. Nothing else moves, so every
//! other offset in the file stays right.

use std::io::{Read, Seek, SeekFrom};

use super::Patch;

const GPS_POINTER: u16 = 0x8825;
const EXIF_POINTER: u16 = 0x8769;
const XMP_PACKET: u16 = 700;
/// How many IFDs a chain may hold before the walk gives up (a multi-page TIFF has one per page).
const MAX_IFDS: usize = 1024;
/// The largest XMP packet read from a TIFF file.
const MAX_XMP: u64 = 64 << 20;

/// The patches that take the location out of the file read from `r` (`len` bytes): a TIFF file,
/// or a RAW built on its structure (DNG, CR2, NEF, ARW, ORF, RW2…): its GPS IFD, and the
/// location properties of the XMP packet its first IFD may hold (tag 700).
pub fn find<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Patch>, String> {
    let walk = walk(r, 0, len, "its TIFF structure")?;
    let mut patches = walk.patches;
    if let Some((at, n)) = walk.xmp {
        if n > MAX_XMP {
            return Err("its XMP packet is larger than 64 MiB".into());
        }
        let packet =
            read_at(r, at, n as usize).map_err(|e| format!("it could not be read: {e}"))?;
        for p in super::xmp::location_patches(&packet)? {
            patches.push(Patch::new(at + p.at, p.bytes));
        }
    }
    Ok(patches)
}

/// The largest GPS value zeroed (a processing method or area name may be a few KiB).
const MAX_GPS_VALUE: u64 = 64 * 1024;

/// The patches that take the GPS IFD out of the TIFF structure (EXIF's) whose header is at file
/// offset `base`, with `len` bytes available from there: the GPS pointer removed from the IFD
/// that holds it (the entries after it moved up, the count lowered), the GPS IFD and its values
/// zeroed. Empty when there is no GPS IFD.
pub fn gps_patches<R: Read + Seek>(r: &mut R, base: u64, len: u64) -> Result<Vec<Patch>, String> {
    Ok(walk(r, base, len, "its EXIF block")?.patches)
}

/// What a walk of one TIFF structure found.
struct Walked {
    patches: Vec<Patch>,
    /// The first IFD's XMP packet: absolute offset and length.
    xmp: Option<(u64, u64)>,
}

fn walk<R: Read + Seek>(
    r: &mut R,
    base: u64,
    len: u64,
    what: &'static str,
) -> Result<Walked, String> {
    let (mut t, first) = Tiff::open(r, base, len, what)?;
    let mut out = Walked {
        patches: Vec::new(),
        xmp: None,
    };
    let mut seen = Vec::new();
    let mut next = first;
    let mut sub_ifds = Vec::new();
    while next != 0 {
        if seen.contains(&next) {
            break; // a loop: every IFD on it was walked already
        }
        if seen.len() >= MAX_IFDS {
            return Err(format!("{what} holds more than {MAX_IFDS} IFDs"));
        }
        seen.push(next);
        let ifd = t.ifd(next)?;
        if seen.len() == 1
            && let Some(i) = ifd.entries.iter().position(|e| e.tag == XMP_PACKET)
        {
            let n = ifd.entries[i].size().unwrap_or(0);
            if n > 0 {
                out.xmp = Some((base + t.data_at(&ifd, i, n)?, n));
            }
        }
        sub_ifds.extend(
            ifd.entries
                .iter()
                .filter(|e| e.tag == EXIF_POINTER)
                .map(|e| t.u32(&e.raw)),
        );
        t.take_gps(&ifd, &mut out.patches)?;
        next = ifd.next;
    }
    // The Exif IFD: a GPS pointer there is against the standard, yet some writers put it there.
    for off in sub_ifds {
        if off != 0 && !seen.contains(&off) {
            seen.push(off);
            let ifd = t.ifd(off)?;
            t.take_gps(&ifd, &mut out.patches)?;
        }
    }
    Ok(out)
}

/// One IFD entry: tag, type, count and the 4 bytes of value or offset, as stored.
struct Entry {
    tag: u16,
    typ: u16,
    count: u32,
    raw: [u8; 4],
}

impl Entry {
    /// How many bytes the entry's value takes, when its type is known.
    fn size(&self) -> Option<u64> {
        let unit: u64 = match self.typ {
            1 | 2 | 6 | 7 => 1,
            3 | 8 => 2,
            4 | 9 | 11 | 13 => 4,
            5 | 10 | 12 => 8,
            _ => return None,
        };
        Some(unit * u64::from(self.count))
    }
}

struct Ifd {
    /// Offset from the TIFF header.
    off: u64,
    entries: Vec<Entry>,
    /// The IFD's bytes as stored: count, entries and, when the data holds them, the 4 bytes of
    /// the next IFD's offset.
    bytes: Vec<u8>,
    next: u64,
}

struct Tiff<'a, R> {
    r: &'a mut R,
    base: u64,
    len: u64,
    le: bool,
    what: &'static str,
}

impl<'a, R: Read + Seek> Tiff<'a, R> {
    /// The structure whose header is at `base`, and its first IFD's offset.
    fn open(r: &'a mut R, base: u64, len: u64, what: &'static str) -> Result<(Self, u64), String> {
        let mut t = Tiff {
            r,
            base,
            len,
            le: true,
            what,
        };
        let head = t.bytes(0, 8)?;
        t.le = match &head[..2] {
            b"II" => true,
            b"MM" => false,
            _ => return Err(format!("{what} does not start with a TIFF header")),
        };
        match t.u16(&head[2..4]) {
            // TIFF; Olympus ORF ("RO", "RS"); Panasonic RW2.
            42 | 0x4F52 | 0x5352 | 0x0055 => {}
            43 => return Err("its BigTIFF structure is not supported".into()),
            _ => return Err(format!("{what} does not start with a TIFF header")),
        }
        let first = t.u32(&head[4..8]);
        Ok((t, first))
    }

    fn u16(&self, b: &[u8]) -> u16 {
        let b = [b[0], b[1]];
        if self.le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }
    }

    fn u32(&self, b: &[u8]) -> u64 {
        let b = [b[0], b[1], b[2], b[3]];
        u64::from(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn cut_short(&self) -> String {
        format!("{} is cut short", self.what)
    }

    /// `n` bytes at `off` from the header, all within the structure.
    fn bytes(&mut self, off: u64, n: u64) -> Result<Vec<u8>, String> {
        if off.checked_add(n).is_none_or(|end| end > self.len) {
            return Err(self.cut_short());
        }
        read_at(self.r, self.base + off, n as usize).map_err(|_| self.cut_short())
    }

    fn ifd(&mut self, off: u64) -> Result<Ifd, String> {
        let head = self.bytes(off, 2)?;
        let count = u64::from(self.u16(&head));
        let body = 2 + 12 * count;
        // The next IFD's offset may be missing at the very end of the data: read as none.
        let with_next = off + body + 4 <= self.len;
        let bytes = self.bytes(off, if with_next { body + 4 } else { body })?;
        let entries = bytes[2..body as usize]
            .chunks_exact(12)
            .map(|e| Entry {
                tag: self.u16(&e[0..2]),
                typ: self.u16(&e[2..4]),
                count: self.u32(&e[4..8]) as u32,
                raw: [e[8], e[9], e[10], e[11]],
            })
            .collect();
        let next = if with_next {
            self.u32(&bytes[body as usize..])
        } else {
            0
        };
        Ok(Ifd {
            off,
            entries,
            bytes,
            next,
        })
    }

    /// Where entry `i`'s `n` bytes of value lie, from the header: in the entry itself, or at
    /// the offset it holds (checked to lie within the structure).
    fn data_at(&self, ifd: &Ifd, i: usize, n: u64) -> Result<u64, String> {
        if n <= 4 {
            return Ok(ifd.off + 2 + 12 * i as u64 + 8);
        }
        let at = self.u32(&ifd.entries[i].raw);
        if at + n > self.len {
            return Err(self.cut_short());
        }
        Ok(at)
    }

    /// Takes the GPS pointers out of `ifd` (rewritten in place) and zeroes the IFDs they point
    /// at with their values.
    fn take_gps(&mut self, ifd: &Ifd, out: &mut Vec<Patch>) -> Result<(), String> {
        let gps: Vec<u64> = ifd
            .entries
            .iter()
            .filter(|e| e.tag == GPS_POINTER)
            .map(|e| self.u32(&e.raw))
            .collect();
        if gps.is_empty() {
            return Ok(());
        }
        for &g in &gps {
            // An offset into the header points at no GPS data: only the pointer goes.
            if g >= 8 {
                self.zero_gps_ifd(g, out)?;
            }
        }
        // The IFD again, without the pointers: same length, the freed bytes zeroed.
        let count = ifd.entries.len() - gps.len();
        let mut bytes = Vec::with_capacity(ifd.bytes.len());
        let c = count as u16;
        bytes.extend(if self.le {
            c.to_le_bytes()
        } else {
            c.to_be_bytes()
        });
        for (i, e) in ifd.entries.iter().enumerate() {
            if e.tag != GPS_POINTER {
                bytes.extend(&ifd.bytes[2 + 12 * i..2 + 12 * (i + 1)]);
            }
        }
        let body = 2 + 12 * ifd.entries.len();
        bytes.extend(&ifd.bytes[body..]);
        if ifd.bytes.len() == body {
            bytes.extend([0; 4]); // no next IFD was stored: say so
        }
        bytes.resize(ifd.bytes.len(), 0);
        out.push(Patch::new(self.base + ifd.off, bytes));
        Ok(())
    }

    /// Zeroes the GPS IFD at `off` (count, entries, next offset) and its out-of-line values.
    fn zero_gps_ifd(&mut self, off: u64, out: &mut Vec<Patch>) -> Result<(), String> {
        let ifd = self.ifd(off)?;
        for (i, e) in ifd.entries.iter().enumerate() {
            let n = e.size().ok_or_else(|| {
                format!(
                    "{} has a GPS entry of an unknown type ({})",
                    self.what, e.typ
                )
            })?;
            // GPS values are a few rationals and short strings; one as large as the file is a
            // trap (the zeros would be held for the whole upload), not a position.
            if n > MAX_GPS_VALUE {
                return Err(format!("{} has a GPS value of {n} bytes", self.what));
            }
            if n > 4 {
                let at = self.data_at(&ifd, i, n)?;
                out.push(Patch::zeros(self.base + at, n as usize));
            }
        }
        out.push(Patch::zeros(self.base + off, ifd.bytes.len()));
        Ok(())
    }
}

/// `n` bytes at file offset `at`.
pub(crate) fn read_at<R: Read + Seek>(r: &mut R, at: u64, n: usize) -> std::io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(at))?;
    let mut buf = vec![0; n];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests;
