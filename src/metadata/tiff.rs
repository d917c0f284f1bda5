//! PLACEHOLDER: written by the tiff helper.

use std::io::{Read, Seek};

use super::Patch;

/// The patches that take the location out of the file read from `r` (`len` bytes).
pub fn find<R: Read + Seek>(_r: &mut R, _len: u64) -> Result<Vec<Patch>, String> {
    Err("PLACEHOLDER".into())
}

/// The patches that take the GPS IFD out of the TIFF structure (EXIF's) whose header is at file
/// offset `base`, with `len` bytes available from there: the GPS pointer removed from the IFD
/// that holds it (the entries after it moved up, the count lowered), the GPS IFD and its values
/// zeroed. Empty when there is no GPS IFD.
pub fn gps_patches<R: Read + Seek>(
    _r: &mut R,
    _base: u64,
    _len: u64,
) -> Result<Vec<Patch>, String> {
    Err("PLACEHOLDER".into())
}
