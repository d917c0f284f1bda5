//! Who watches a streamed body.

/// Watches the bytes of a streamed body. Every method has an empty default.
pub trait Observer: Send + Sync {
    /// Bytes up to `offset` were handed to the connection (may run ahead of the server).
    fn sent(&self, _offset: u64) {}
    /// Bytes read from the file at `offset`, as they are sent (for hashing on the fly). Called
    /// on the reader thread; cloning `bytes` is cheap and shares the buffer, which returns to the
    /// reader's pool once every clone is dropped, so an observer may hash it on another thread.
    fn data(&self, _offset: u64, _bytes: &bytes::Bytes) {}
}
