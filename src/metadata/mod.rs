//! What a file is and where its location hides, from its bytes: never from its name.
//!
//! ```text
//! sniff        the kind a file's first bytes start (JPEG, HEIC, MOV…) and its MIME type
//! tiff         EXIF's TIFF structure: the GPS IFD taken out of the IFD that points at it
//! xmp          an XMP packet's location properties (exif:GPS…) blanked in place
//! jpeg         segments, scans and the images after the first (MPF): every EXIF, XMP and IPTC block
//! iptc         APP13's IPTC place names (city, country…) blanked in place
//! png          chunks to IEND: eXIf, XMP and ImageMagick's raw profiles, CRCs mended
//! webp         RIFF chunks: EXIF and XMP
//! gif          blocks to the XMP application extension
//! bmff         ISO-BMFF boxes: the top level walked by seeking, mdat stepped over
//! bmff_box     box headers, every size checked against the parent
//! bmff_movie   MP4/MOV: udta ©xyz and loci, Apple's location keys, iTunes ©xyz, XMP boxes
//! bmff_heif    HEIF/HEIC/AVIF items (Exif, XMP) found through iinf and iloc
//! window       a part of a file read as a whole one (a motion photo's video)
//! ```
//!
//! A location is taken out by same-length overwrites ([`Redactions`]) applied to the bytes as
//! they are sent: no copy of the file, no byte moved, pixels and every other tag untouched. A
//! finder walks its container's structure with bounded reads, never searches the bytes for a
//! word, and fails (with a clause a sentence can hold) when it finds a location it cannot take
//! out, or a structure it cannot walk that might hold one.

pub mod bmff;
pub mod bmff_box;
pub mod bmff_heif;
pub mod bmff_movie;
pub mod gif;
pub mod iptc;
pub mod jpeg;
pub mod png;
pub mod sniff;
#[cfg(test)]
pub(crate) mod testing;
pub mod tiff;
pub mod webp;
pub mod window;
pub mod xmp;

use std::io::{Read, Seek};
use std::path::Path;

pub use crate::file_stream::{Patch, Redactions};
pub use sniff::{Container, HEAD_BYTES, Kind, content_type, read_head, sniff};

/// The overwrites that take the location out of the file at `path` (none when it holds none,
/// or its kind carries none). Blocking: run it off the async threads.
pub fn location_redactions(path: &Path) -> Result<(Option<Kind>, Redactions), String> {
    let head = read_head(path).map_err(|e| format!("it could not be read: {e}"))?;
    let Some(kind) = sniff(&head) else {
        return Ok((None, Redactions::none()));
    };
    let mut file = std::fs::File::open(path).map_err(|e| format!("it could not be read: {e}"))?;
    let len = file
        .metadata()
        .map_err(|e| format!("it could not be read: {e}"))?
        .len();
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, &mut file);
    let patches = find(&mut reader, len, kind)?;
    Ok((Some(kind), Redactions::new(patches, len)?))
}

/// The patches that take the location out of a `kind` file of `len` bytes read from `r`.
pub fn find<R: Read + Seek>(r: &mut R, len: u64, kind: Kind) -> Result<Vec<Patch>, String> {
    match kind.container() {
        Container::Jpeg => jpeg::find(r, len),
        Container::Png => png::find(r, len),
        Container::Webp => webp::find(r, len),
        Container::Gif => gif::find(r, len),
        Container::Tiff => tiff::find(r, len),
        Container::Bmff => bmff::find(r, len),
        Container::Plain => Ok(Vec::new()),
    }
}
