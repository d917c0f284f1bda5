//! A one-PUT's body: the whole file read once into memory (it is smaller than the one-PUT
//! threshold, 10 MB by default), found unchanged after the read, and hashed. What is sent, the
//! MD5 it is verified with and the file as queued are then one version: a file rewritten while
//! it was read is refused (add it again), never sent as a mix of two versions. A file rewritten
//! after the read goes up as it was when queued.

use std::io::Read as _;

use bytes::Bytes;
use md5::Digest as _;

use crate::tus::{self, FileSource};

/// The bytes of a file as queued, and their MD5 (hex).
pub(super) struct Snapshot {
    pub bytes: Bytes,
    pub md5: String,
}

/// Reads `file` whole, refusing one of `limit` bytes or more (only one-PUT bodies are held in
/// memory). [`tus::Error::FileChanged`] when its size, modification time or identity moved
/// since it was queued, before or during the read.
pub(super) async fn take(file: &FileSource, limit: u64) -> Result<Snapshot, tus::Error> {
    if file.len >= limit {
        return Err(tus::Error::Io(std::io::Error::other(format!(
            "internal: a {}-byte file is too big to send in one PUT",
            file.len
        ))));
    }
    let source = file.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<Snapshot, tus::Error> {
        let mut f = std::fs::File::open(&source.path)?;
        let mut bytes = Vec::with_capacity(source.len as usize);
        // One byte more than queued shows a file that grew.
        (&mut f).take(source.len + 1).read_to_end(&mut bytes)?;
        // The file read (the one opened, even if another took its name since) is still the one
        // queued: no write changed it before or while it was read.
        if bytes.len() as u64 != source.len || !source.is(&f.metadata()?) {
            return Err(tus::Error::FileChanged);
        }
        source.redactions.apply(0, &mut bytes);
        let md5 = hex::encode(md5::Md5::digest(&bytes));
        Ok(Snapshot {
            bytes: Bytes::from(bytes),
            md5,
        })
    });
    let snapshot = read
        .await
        .map_err(|e| tus::Error::Io(std::io::Error::other(e)))??;
    // The name still leads to it (not replaced by another file meanwhile).
    file.check_unchanged().await?;
    Ok(snapshot)
}
