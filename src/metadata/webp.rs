//! WebP: the RIFF chunks after the `WEBP` form type: `EXIF` (TIFF, maybe after `Exif\0\0`)
//! loses its GPS IFD and `XMP ` its location properties, in place. RIFF has no checksums, so
//! nothing else changes; image data (`VP8 `, `VP8L`, `ANMF`…) is seeked over.

use std::io::{Read, Seek, SeekFrom};

use super::{Patch, tiff, xmp};

/// The largest XMP packet read into memory.
const MAX_XMP: u64 = 16 << 20;
const CUT: &str = "its WebP chunks are cut short";

/// The patches that take the location out of the file read from `r` (`len` bytes).
pub fn find<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Patch>, String> {
    let mut head = [0u8; 12];
    read_exact(r, &mut head)?;
    if &head[..4] != b"RIFF" || &head[8..] != b"WEBP" {
        return Err("its RIFF header is wrong".into());
    }
    let riff_end = 8 + u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
    if riff_end > len {
        return Err(CUT.into());
    }
    let mut patches = Vec::new();
    let mut at = 12u64;
    while at < riff_end {
        if at + 8 > riff_end {
            return Err(CUT.into());
        }
        r.seek(SeekFrom::Start(at)).map_err(read_err)?;
        let mut chunk = [0u8; 8];
        read_exact(r, &mut chunk)?;
        let size = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        let data_at = at + 8;
        if data_at + size > riff_end {
            return Err(CUT.into());
        }
        match &chunk[..4] {
            b"EXIF" => {
                let mut magic = [0u8; 6];
                let skip = if size >= 6 {
                    read_exact(r, &mut magic)?;
                    if &magic == b"Exif\0\0" { 6 } else { 0 }
                } else {
                    0
                };
                patches.extend(tiff::gps_patches(r, data_at + skip, size - skip)?);
            }
            b"XMP " => {
                if size > MAX_XMP {
                    return Err("its XMP packet is larger than 16 MiB".into());
                }
                let mut packet = vec![0u8; size as usize];
                read_exact(r, &mut packet)?;
                for p in xmp::location_patches(&packet)? {
                    patches.push(Patch::new(data_at + p.at, p.bytes));
                }
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        at = data_at + size + (size & 1);
    }
    Ok(patches)
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
mod tests {
    use std::io::Cursor;

    use super::find;
    use crate::metadata::testing::{self, s};
    use crate::metadata::{Redactions, tiff};

    /// A little-endian TIFF: IFD0 with a GPS pointer to a GPS IFD holding GPSLatitudeRef "N".
    fn tiff_with_gps() -> Vec<u8> {
        let mut t = b"II*\0\x08\0\0\0\x01\0".to_vec();
        t.extend([0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0]);
        t.extend(0u32.to_le_bytes());
        t.extend(1u16.to_le_bytes());
        t.extend([1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
        t.extend(0u32.to_le_bytes());
        t
    }

    fn webp(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        for (kind, data) in chunks {
            body.extend(kind.as_slice());
            body.extend((data.len() as u32).to_le_bytes());
            body.extend(data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        }
        [&b"RIFF"[..], &(body.len() as u32).to_le_bytes(), &body].concat()
    }

    fn find_in(bytes: &[u8]) -> Result<Vec<crate::metadata::Patch>, String> {
        find(&mut Cursor::new(bytes), bytes.len() as u64)
    }

    #[test]
    fn exif_with_or_without_its_header_and_xmp_lose_their_location() {
        let xmp = "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' exif:GPSLatitude='1' exif:Flash='0'/></rdf:RDF></x:xmpmeta>";
        for header in [&b""[..], b"Exif\0\0"] {
            let exif = [header, &tiff_with_gps()].concat();
            let file = webp(&[
                (b"VP8 ", vec![1, 2, 3]), // odd: padded
                (b"EXIF", exif.clone()),
                (b"XMP ", xmp.as_bytes().to_vec()),
            ]);
            let patches = find_in(&file).expect("walks");
            let mut out = file.clone();
            Redactions::new(patches, file.len() as u64)
                .expect("within")
                .apply(0, &mut out);
            assert_eq!(find_in(&out), Ok(vec![]));
            let exif_at = 12 + 12 + 8 + header.len();
            let tiff_len = exif.len() - header.len();
            let mut c = Cursor::new(&out[..]);
            assert_eq!(
                tiff::gps_patches(&mut c, exif_at as u64, tiff_len as u64),
                Ok(vec![])
            );
            let text = String::from_utf8_lossy(&out[out.len() - xmp.len()..]).into_owned();
            assert!(
                !text.contains("GPS") && text.contains("exif:Flash='0'"),
                "{text}"
            );
            for n in 0..file.len() {
                assert!(find_in(&file[..n]).is_err(), "cut at {n}");
            }
        }
    }

    /// A WebP ImageMagick writes with EXIF and XMP GPS added by exiftool.
    #[test]
    fn a_webp_real_tools_write_loses_only_its_location() {
        if !(testing::tool("convert") & testing::tool("exiftool")) {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.webp");
        testing::run("convert", &["-size", "64x48", "gradient:", s(&path)]);
        testing::run(
            "exiftool",
            &[
                "-q",
                "-overwrite_original",
                "-GPSLatitude=51.5",
                "-GPSLatitudeRef=N",
                "-GPSLongitude=0.12",
                "-GPSLongitudeRef=W",
                "-Make=Canon",
                "-XMP-exif:GPSLatitude=51.5",
                "-XMP-dc:Title=Tower",
                s(&path),
            ],
        );
        let before = testing::tags(&path);
        let (out, n) = testing::redacted_copy(&path);
        assert!(n > 0);
        testing::assert_only_location_gone(&before, &testing::tags(&out));
        assert!(before.contains_key("XMP-dc:Title") && before.contains_key("IFD0:Make"));
        let pixels = |p: &std::path::Path| image::open(p).expect("decodes").to_rgba8().into_raw();
        assert_eq!(pixels(&path), pixels(&out));
    }
}
