//! A part of a file read as a whole one: a motion photo's video after its JPEG is walked by the
//! ISO-BMFF finder as if it were a file of its own.

use std::io::{Read, Seek};

/// A part of a file read as a whole one (a motion photo's video after its JPEG): offsets are the
/// part's own, and it ends where the part does.
pub struct Window<'a, R> {
    r: &'a mut R,
    start: u64,
    len: u64,
    pos: u64,
}

impl<'a, R: Read + Seek> Window<'a, R> {
    pub fn new(r: &'a mut R, start: u64, len: u64) -> Self {
        Window {
            r,
            start,
            len,
            pos: 0,
        }
    }
}

impl<R: Read + Seek> Read for Window<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        self.r
            .seek(std::io::SeekFrom::Start(self.start + self.pos))?;
        let got = self.r.read(&mut buf[..n])?;
        self.pos += got as u64;
        Ok(got)
    }
}

impl<R: Read + Seek> Seek for Window<'_, R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| std::io::Error::other("a seek before the start"))?;
        Ok(self.pos)
    }
}
