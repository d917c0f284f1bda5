//! IPTC-IIM place names in a JPEG's APP13 (Photoshop's image resources): the city, sublocation,
//! province, country code and country that Lightroom and Photoshop fill in from the GPS position
//! are blanked in place with spaces, every other dataset and resource kept. The resources are
//! walked (`8BIM`, id, padded Pascal name, size, padded data); in the IPTC resource (0x0404) the
//! datasets (`0x1C`, record, number, size, data).

use super::Patch;

/// What the segment's data starts with.
pub const PHOTOSHOP_ID: &[u8] = b"Photoshop 3.0\0";

/// The IPTC-NAA resource.
const IPTC_RESOURCE: u16 = 0x0404;

/// Record 2's place datasets: city, sublocation, province/state, country code, country.
const PLACES: [u8; 5] = [90, 92, 95, 100, 101];

const UNREADABLE: &str = "its IPTC block could not be read";

/// Patches, at offsets within `block` (an APP13 segment's data after [`PHOTOSHOP_ID`]), that
/// blank its place names.
pub fn place_patches(block: &[u8]) -> Result<Vec<Patch>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 4 <= block.len() {
        if &block[at..at + 4] != b"8BIM" {
            // Other signatures (`PHUT`, `DCSR`…) hold no IPTC; their layout is the same.
            if !matches!(&block[at..at + 4], b"PHUT" | b"AgHg" | b"DCSR" | b"MeSa") {
                return Err(UNREADABLE.into());
            }
        }
        let id = block
            .get(at + 4..at + 6)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or(UNREADABLE)?;
        let name_len = usize::from(*block.get(at + 6).ok_or(UNREADABLE)?);
        // The name (a length byte, then its bytes) is padded to an even size.
        let mut p = at + 6 + (1 + name_len).next_multiple_of(2);
        let size = block
            .get(p..p + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or(UNREADABLE)?;
        p += 4;
        let data = block
            .get(p..p.checked_add(size).ok_or(UNREADABLE)?)
            .ok_or(UNREADABLE)?;
        if id == IPTC_RESOURCE {
            for (from, len) in places(data)? {
                out.push(Patch::new((p + from) as u64, vec![b' '; len]));
            }
        }
        at = p + size.next_multiple_of(2);
    }
    Ok(out)
}

/// The (offset, length) of each place dataset's value in an IPTC block.
fn places(data: &[u8]) -> Result<Vec<(usize, usize)>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        // Padding after the last dataset.
        if data[at] == 0 {
            break;
        }
        if data[at] != 0x1C || at + 5 > data.len() {
            return Err(UNREADABLE.into());
        }
        let (record, number) = (data[at + 1], data[at + 2]);
        let size = u16::from_be_bytes([data[at + 3], data[at + 4]]);
        if size & 0x8000 != 0 {
            // An extended size: only large binary datasets use it, never a place name.
            return Err("its IPTC block holds an extended dataset".into());
        }
        let size = usize::from(size);
        let value = at + 5;
        if value + size > data.len() {
            return Err(UNREADABLE.into());
        }
        if record == 2 && PLACES.contains(&number) {
            out.push((value, size));
        }
        at = value + size;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(record: u8, number: u8, value: &[u8]) -> Vec<u8> {
        let mut d = vec![0x1C, record, number];
        d.extend((value.len() as u16).to_be_bytes());
        d.extend(value);
        d
    }

    fn resource(id: u16, name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut r = b"8BIM".to_vec();
        r.extend(id.to_be_bytes());
        r.push(name.len() as u8);
        r.extend(name);
        if (1 + name.len()) % 2 == 1 {
            r.push(0);
        }
        r.extend((data.len() as u32).to_be_bytes());
        r.extend(data);
        if data.len() % 2 == 1 {
            r.push(0);
        }
        r
    }

    #[test]
    fn place_names_are_blanked_and_everything_else_stays() {
        let iptc = [
            dataset(1, 90, b"\x1b%G"),
            dataset(2, 5, b"Tower"),
            dataset(2, 90, b"Paris"),
            dataset(2, 92, b"Champ de Mars"),
            dataset(2, 101, b"France"),
            dataset(2, 120, b"A caption about Paris"),
        ]
        .concat();
        let block = [
            resource(0x040C, b"", b"thumb"),
            resource(IPTC_RESOURCE, b"x", &iptc),
            resource(0x0425, b"", &[7; 16]),
        ]
        .concat();
        let mut out = block.clone();
        for p in place_patches(&block).unwrap() {
            out[p.at as usize..p.at as usize + p.bytes.len()].copy_from_slice(&p.bytes);
        }
        let text = String::from_utf8_lossy(&out);
        for gone in ["Paris\x1c", "Champ de Mars", "France"] {
            assert!(!text.contains(gone), "{gone}: {text:?}");
        }
        for kept in ["Tower", "A caption about Paris", "thumb", "\x1b%G"] {
            assert!(text.contains(kept), "{kept}: {text:?}");
        }
        assert_eq!(out.len(), block.len());
    }

    #[test]
    fn broken_blocks_are_refused_and_never_panic() {
        let block = resource(IPTC_RESOURCE, b"", &dataset(2, 90, b"Paris"));
        for cut in 1..block.len() {
            let _ = place_patches(&block[..cut]);
        }
        assert!(place_patches(b"XXXX\0\0\0\0\0\0").is_err());
        let bad = resource(IPTC_RESOURCE, b"", &[0x1C, 2, 90, 0, 50, b'x']);
        assert!(place_patches(&bad).is_err());
        assert_eq!(place_patches(&[]), Ok(vec![]));
    }
}
