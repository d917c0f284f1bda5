//! The encodings tests write by hand: base64 for tus `Upload-Metadata` values, and hex SHA-256
//! digests to compare stored bytes with the originals.

use std::path::Path;

use base64::Engine as _;
use sha2::Digest as _;

/// `text` in standard base64 with padding, as tus `Upload-Metadata` values are written.
pub fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The SHA-256 of the file at `path`, in lowercase hex.
pub fn sha256_file(path: &Path) -> String {
    sha256_hex(&std::fs::read(path).expect("read"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_the_padded_standard_alphabet() {
        assert_eq!(b64("a.txt"), "YS50eHQ=");
        assert_eq!(b64("??>"), "Pz8+");
        assert_eq!(b64(""), "");
    }

    #[test]
    fn sha256_is_lowercase_hex_of_the_bytes_and_of_the_file() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex(b"abc"), abc);
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("abc.txt");
        std::fs::write(&p, b"abc").expect("write");
        assert_eq!(sha256_file(&p), abc);
    }
}
