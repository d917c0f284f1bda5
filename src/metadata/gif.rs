//! GIF: the blocks walked as a decoder walks them (header, screen descriptor and colour table,
//! then extensions and images, each a chain of sub-blocks) to the `XMP DataXMP` application
//! extension, whose packet is blanked in place by [`super::xmp`]. The packet is stored raw,
//! followed by XMP's 258-byte "magic trailer" (0x01, 0xFF down to 0x00, then the terminator), so
//! that a decoder reading the raw bytes as sub-blocks always lands on the terminator: blanking
//! bytes with spaces keeps it so.

use std::io::{Read, Seek, SeekFrom};

use super::{Patch, xmp};

const BROKEN: &str = "its GIF structure is cut short";
const XMP_APP: &[u8; 11] = b"XMP DataXMP";
/// The magic trailer after the packet, the terminator included.
const TRAILER: u64 = 258;
/// The largest XMP packet read into memory.
const MAX_PACKET: u64 = 16 << 20;

/// The patches that take the location out of the GIF read from `r` (`len` bytes).
pub fn find<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Patch>, String> {
    let mut head = [0u8; 13];
    read_at(r, 0, &mut head)?;
    let mut at = 13 + table(head[10]);
    let mut out = Vec::new();
    while at < len {
        let mut kind = [0u8; 2];
        read_at(r, at, &mut kind[..1])?;
        match kind[0] {
            // The trailer: nothing after it is read.
            0x3B => break,
            0x21 => {
                read_at(r, at, &mut kind)?;
                let body = at + 2;
                let end = skip_sub_blocks(r, body, len)?;
                if kind[1] == 0xFF {
                    let mut app = [0u8; 12];
                    if end - body >= 12 {
                        read_at(r, body, &mut app)?;
                    }
                    if app[0] == 11 && &app[1..] == XMP_APP {
                        out.extend(xmp_patches(r, body + 12, end)?);
                    }
                }
                at = end;
            }
            0x2C => {
                let mut desc = [0u8; 10];
                read_at(r, at, &mut desc)?;
                // Descriptor, local colour table, LZW code size, then the data's sub-blocks.
                let data = at + 10 + table(desc[9]) + 1;
                at = skip_sub_blocks(r, data, len)?;
            }
            // Bytes a decoder stops at: nothing after them is shown or read.
            _ => break,
        }
    }
    Ok(out)
}

/// The size of the colour table a packed byte announces.
fn table(packed: u8) -> u64 {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 7) + 1)
    }
}

/// Just past the terminator of the sub-blocks starting at `at`.
fn skip_sub_blocks<R: Read + Seek>(r: &mut R, mut at: u64, len: u64) -> Result<u64, String> {
    loop {
        if at >= len {
            return Err(BROKEN.into());
        }
        let mut size = [0u8; 1];
        read_at(r, at, &mut size)?;
        at += 1 + u64::from(size[0]);
        if size[0] == 0 {
            return Ok(at);
        }
    }
}

/// The packet between `start` and the magic trailer that ends at `end`, blanked.
fn xmp_patches<R: Read + Seek>(r: &mut R, start: u64, end: u64) -> Result<Vec<Patch>, String> {
    const UNREADABLE: &str = "its XMP block could not be read";
    let packet_end = end
        .checked_sub(TRAILER)
        .filter(|e| *e >= start)
        .ok_or(UNREADABLE)?;
    let mut trailer = [0u8; 3];
    read_at(r, packet_end, &mut trailer)?;
    if trailer != [0x01, 0xFF, 0xFE] || packet_end - start > MAX_PACKET {
        return Err(UNREADABLE.into());
    }
    let mut packet = vec![0u8; (packet_end - start) as usize];
    read_at(r, start, &mut packet)?;
    Ok(xmp::location_patches(&packet)?
        .into_iter()
        .map(|p| Patch::new(start + p.at, p.bytes))
        .collect())
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> Result<(), String> {
    r.seek(SeekFrom::Start(at)).map_err(|_| BROKEN)?;
    r.read_exact(buf).map_err(|_| BROKEN.into())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;
    use crate::metadata::testing::{redacted_copy, run, s, tags, tool};

    /// A 1×1 GIF with `ext` (whole extension blocks) before its image.
    fn gif(ext: &[u8]) -> Vec<u8> {
        let mut g = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
        g.extend(ext);
        g.extend(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b");
        g
    }

    fn xmp_ext(packet: &[u8]) -> Vec<u8> {
        let mut e = b"\x21\xff\x0bXMP DataXMP".to_vec();
        e.extend(packet);
        e.push(0x01);
        e.extend((0..=255u8).rev());
        e.push(0);
        e
    }

    #[test]
    fn the_xmp_packet_is_blanked_and_the_gif_still_walks() {
        let packet = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='51,30N' exif:FNumber='2'/></rdf:RDF></x:xmpmeta>";
        let comment = b"\x21\xfe\x05hello\x00";
        let file = gif(&[&comment[..], &xmp_ext(packet)].concat());
        let patches = find(&mut Cursor::new(&file), file.len() as u64).unwrap();
        assert_eq!(patches.len(), 1);
        let mut out = file.clone();
        for p in patches {
            out[p.at as usize..p.at as usize + p.bytes.len()].copy_from_slice(&p.bytes);
        }
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("GPS") && text.contains("FNumber"), "{text}");
        // A decoder still reads it to the end, the same picture.
        let a = image::load_from_memory(&file).unwrap().to_rgba8();
        let b = image::load_from_memory(&out).unwrap().to_rgba8();
        assert_eq!(a, b);
        // Without XMP: nothing to do; cut anywhere: never a panic.
        let plain = gif(comment);
        assert_eq!(
            find(&mut Cursor::new(&plain), plain.len() as u64),
            Ok(vec![])
        );
        for cut in 0..file.len() {
            let _ = find(&mut Cursor::new(&file[..cut]), cut as u64);
        }
    }

    /// ImageMagick's GIF with an XMP location exiftool wrote: exiftool finds none after.
    #[test]
    fn a_gif_exiftool_gave_an_xmp_location_loses_it() {
        if !tool("convert") || !tool("exiftool") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("anim.gif");
        run(
            "convert",
            &["-size", "32x24", "gradient:red-blue", s(&path)],
        );
        let args = ["-q", "-overwrite_original", "-XMP-exif:GPSLatitude=48.85 N"];
        run(
            "exiftool",
            &[&args[..], &["-XMP-dc:Title=Loop", s(&path)]].concat(),
        );
        let before = tags(&path);
        assert!(before.keys().any(|k| k.contains("GPS")), "{before:?}");
        let (redacted, n) = redacted_copy(&path);
        assert!(n > 0);
        let after = tags(&redacted);
        assert!(!after.keys().any(|k| k.contains("GPS")), "{after:?}");
        assert_eq!(after.get("XMP-dc:Title"), before.get("XMP-dc:Title"));
        let a = image::open(&path).unwrap().to_rgba8();
        let b = image::open(&redacted).unwrap().to_rgba8();
        assert_eq!(a, b);
    }
}
