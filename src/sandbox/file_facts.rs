//! What finalize reads off a stored file for its record: the MD5 (Wix's `hash`). What the
//! file is and its size come from `processing.rs`.

use std::io::Read;
use std::path::Path;

use md5::Digest as _;

/// The MD5 of a file, as lowercase hex.
pub(super) fn md5_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = md5::Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_stored_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = dir.path().join("abc.txt");
        std::fs::write(&text, b"abc").expect("write");
        assert_eq!(
            md5_file(&text).expect("md5"),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert!(md5_file(&dir.path().join("missing")).is_err());
    }
}
