//! The tus checksum of a file range: computed before the request (the `Upload-Checksum` header)
//! or while the body streams (the trailer).

use md5::Digest as _;
use reqwest::header::{HeaderMap, HeaderValue};

use super::protocol::{self, ChecksumAlgorithm};
use crate::file_stream::{Trailer, fold_range};

pub(super) enum Hasher {
    Crc32(ChecksumAlgorithm, crc32fast::Hasher),
    Sha1(ChecksumAlgorithm, sha1::Sha1),
    Md5(ChecksumAlgorithm, md5::Md5),
}

impl Hasher {
    pub(super) fn new(a: ChecksumAlgorithm) -> Self {
        match a {
            ChecksumAlgorithm::Crc32 => Hasher::Crc32(a, crc32fast::Hasher::new()),
            ChecksumAlgorithm::Sha1 => Hasher::Sha1(a, sha1::Sha1::new()),
            ChecksumAlgorithm::Md5 => Hasher::Md5(a, md5::Md5::new()),
        }
    }

    fn digest(self) -> (ChecksumAlgorithm, Vec<u8>) {
        match self {
            Hasher::Crc32(a, h) => (a, h.finalize().to_be_bytes().to_vec()),
            Hasher::Sha1(a, h) => (a, h.finalize().to_vec()),
            Hasher::Md5(a, h) => (a, h.finalize().to_vec()),
        }
    }
}

impl Trailer for Hasher {
    fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Crc32(_, h) => h.update(b),
            Hasher::Sha1(_, h) => h.update(b),
            Hasher::Md5(_, h) => h.update(b),
        }
    }

    /// `Upload-Checksum` as a trailer.
    fn finish(self: Box<Self>) -> std::io::Result<HeaderMap> {
        let (alg, d) = self.digest();
        let v = HeaderValue::from_str(&protocol::checksum_header(alg, &d))
            .map_err(std::io::Error::other)?;
        let mut trailers = HeaderMap::new();
        trailers.insert("upload-checksum", v);
        Ok(trailers)
    }
}

/// Digest of a file range, for an `Upload-Checksum` header sent before the body (servers that
/// offer `checksum` without `checksum-trailer`). Runs on the blocking pool.
pub(super) async fn digest_range(
    path: std::path::PathBuf,
    redactions: crate::file_stream::Redactions,
    offset: u64,
    len: u64,
    alg: ChecksumAlgorithm,
) -> std::io::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut h = Hasher::new(alg);
        fold_range(&path, &redactions, offset, len, |b| h.update(b))?;
        Ok(h.digest().1)
    })
    .await
    .map_err(std::io::Error::other)?
}
