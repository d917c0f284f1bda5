//! ISO-BMFF box headers, every size checked against the box's parent: read from the file by
//! seeking (the top level, where `mdat` is only stepped over) or from a box read into memory
//! (`moov`, `meta`). A box that runs past its parent, or says it is smaller than its own header,
//! is an error, never a panic or a guess.

use std::ops::Range;

/// How deep boxes may nest before the structure is called broken.
pub const MAX_DEPTH: usize = 16;
/// How many boxes one parent may hold before the structure is called broken.
pub const MAX_CHILDREN: usize = 200_000;

/// A box's header: its type, where it starts, how long its header is, and its whole size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub kind: [u8; 4],
    pub at: u64,
    pub header: u64,
    pub size: u64,
}

impl Head {
    /// Where its body (after the size, type and any 64-bit size) starts.
    pub fn body_at(&self) -> u64 {
        self.at + self.header
    }

    pub fn body_len(&self) -> u64 {
        self.size - self.header
    }

    pub fn end(&self) -> u64 {
        self.at + self.size
    }
}

/// The header of the box at `at` whose first bytes are `b` (up to 16 of them: fewer only near
/// `end`, its parent's end). A size of 0 means "to the parent's end"; 1 means a 64-bit size.
pub fn head(b: &[u8], at: u64, end: u64) -> Result<Head, String> {
    let room = end.saturating_sub(at);
    if room < 8 || b.len() < 8 {
        return Err(broken(at, "is cut short"));
    }
    let kind = [b[4], b[5], b[6], b[7]];
    let (size, header) = match be32(&b[0..4]) {
        0 => (room, 8),
        1 => {
            let Some(large) = b.get(8..16) else {
                return Err(broken(at, "is cut short"));
            };
            (be64(large), 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header {
        return Err(broken(at, "says it is smaller than its header"));
    }
    if size > room {
        return Err(broken(at, "runs past the end of what holds it"));
    }
    Ok(Head {
        kind,
        at,
        header,
        size,
    })
}

/// The boxes in `buf[range]`, `buf` holding the file's bytes from offset `base`; their offsets
/// are the file's. Fewer than 8 bytes left at the end (QuickTime ends some lists with a 32-bit
/// zero) are no box.
pub fn children(buf: &[u8], base: u64, range: Range<usize>) -> Result<Vec<Head>, String> {
    let end = base + range.end as u64;
    let mut at = range.start;
    let mut out = Vec::new();
    while range.end - at >= 8 {
        if out.len() >= MAX_CHILDREN {
            return Err(broken(base + at as u64, "is one of too many boxes"));
        }
        let h = head(&buf[at..range.end.min(at + 16)], base + at as u64, end)?;
        at += h.size as usize;
        out.push(h);
    }
    Ok(out)
}

/// Where `h`'s body lies in a buffer that holds the file from offset `base`.
pub fn body(base: u64, h: &Head) -> Range<usize> {
    let from = (h.body_at() - base) as usize;
    from..(h.end() - base) as usize
}

/// The clause for a box at `at` that `what`.
pub fn broken(at: u64, what: &str) -> String {
    format!("its box structure is broken (the box at byte {at} {what})")
}

/// The big-endian number in `b`'s first 4 bytes (`b` has at least 4).
pub fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The big-endian number in `b`'s first 8 bytes (`b` has at least 8).
pub fn be64(b: &[u8]) -> u64 {
    b[..8].iter().fold(0, |v, &x| (v << 8) | u64::from(x))
}

/// A big-endian unsigned number of `n` bytes (0, 2, 4 or 8) at `*at` in `b`, the cursor moved
/// past it; `None` when `b` ends first.
pub fn take(b: &[u8], at: &mut usize, n: usize) -> Option<u64> {
    let s = b.get(*at..at.checked_add(n)?)?;
    *at += n;
    Some(s.iter().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_against_the_parent() {
        assert_eq!(
            head(b"\0\0\0\x10free", 0, 16).unwrap(),
            Head {
                kind: *b"free",
                at: 0,
                header: 8,
                size: 16
            }
        );
        // Size 0: to the parent's end. Size 1: the 64-bit size after the type.
        assert_eq!(head(b"\0\0\0\0mdat", 100, 1000).unwrap().size, 900);
        let large = b"\0\0\0\x01mdat\0\0\0\0\0\0\x01\0";
        let h = head(large, 8, 8 + 256).unwrap();
        assert_eq!((h.header, h.size, h.body_at()), (16, 256, 24));
        assert!(head(large, 8, 8 + 255).unwrap_err().contains("runs past"));
        assert!(
            head(b"\0\0\0\x04free", 0, 100)
                .unwrap_err()
                .contains("smaller")
        );
        assert!(
            head(b"\0\0\0\x01mdat\0\0", 0, 100)
                .unwrap_err()
                .contains("cut short")
        );
        assert!(head(b"\0\0\0\x08free", 0, 7).is_err());
    }

    #[test]
    fn children_walk_to_the_end_and_stop_at_a_broken_one() {
        let mut buf = Vec::new();
        buf.extend(b"\0\0\0\x0afree\x01\x02");
        buf.extend(b"\0\0\0\x08skip");
        buf.extend(b"\0\0\0\0"); // QuickTime's terminator: no box
        let kids = children(&buf, 1000, 0..buf.len()).unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!((kids[1].kind, kids[1].at), (*b"skip", 1010));
        assert_eq!(body(1000, &kids[0]), 8..10);
        let mut broken = buf[..18].to_vec();
        broken.extend(b"\0\0\0\x20oops");
        assert!(children(&broken, 0, 0..broken.len()).is_err());
    }

    #[test]
    fn take_reads_sized_numbers_and_stops_at_the_end() {
        let b = [1, 2, 3, 4, 5, 6, 7];
        let mut at = 0;
        assert_eq!(take(&b, &mut at, 0), Some(0));
        assert_eq!(take(&b, &mut at, 2), Some(0x0102));
        assert_eq!(take(&b, &mut at, 4), Some(0x0304_0506));
        assert_eq!(take(&b, &mut at, 2), None);
        assert_eq!(at, 6);
    }
}
