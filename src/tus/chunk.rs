//! How big each PATCH is: about ten seconds of data at the measured speed, so a fast link
//! makes few requests (each ends with a round trip in which the link sits idle: at 60 ms, 2 %
//! of ten seconds) and a slow one has little to resend.

use std::time::Duration;

/// Chunks are multiples of this (Google Cloud Storage's resumable unit, which Wix's upload
/// service appears to sit on).
pub const CHUNK_ALIGN: u64 = 256 * 1024;
/// The adaptive chunk size never goes below this (unless a proxy's 413 forces it)...
pub const MIN_ADAPTIVE_CHUNK: u64 = 8 * 1024 * 1024;
/// ...nor above this.
pub const MAX_CHUNK: u64 = 1024 * 1024 * 1024;
/// One PATCH should carry about this much transfer time.
pub const CHUNK_TARGET: Duration = Duration::from_secs(10);

/// How big each PATCH is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChunkSize {
    /// About [`CHUNK_TARGET`] of transfer at the measured speed, 8 MiB to 1 GiB.
    #[default]
    Adaptive,
    /// Exactly this many bytes (the last chunk may be shorter).
    Fixed(u64),
}

/// Decides the size of the next PATCH from the speed measured on the previous ones.
#[derive(Debug, Clone)]
pub struct ChunkSizer {
    mode: ChunkSize,
    current: u64,
    /// Lowered by each 413 (a proxy's body limit); never raised again for this upload.
    ceiling: u64,
    /// Bytes per second of the last PATCH that said something about the link.
    speed: Option<f64>,
}

impl ChunkSizer {
    pub fn new(mode: ChunkSize) -> Self {
        let current = match mode {
            ChunkSize::Adaptive => MIN_ADAPTIVE_CHUNK,
            // Whole units, so every non-final PATCH suits a GCS-backed server.
            ChunkSize::Fixed(n) => (n / CHUNK_ALIGN).max(1) * CHUNK_ALIGN,
        };
        Self {
            mode,
            current,
            ceiling: u64::MAX,
            speed: None,
        }
    }

    /// Starts from a speed measured earlier on the same endpoint (bytes per second), so the
    /// second file of a queue does not begin at the minimum again.
    pub fn with_speed(mode: ChunkSize, bytes_per_sec: Option<f64>) -> Self {
        let mut s = Self::new(mode);
        if let (ChunkSize::Adaptive, Some(bps)) = (mode, bytes_per_sec) {
            s.current = Self::for_speed(bps);
        }
        s
    }

    /// The measured speed (bytes per second) of the last PATCH large enough to tell.
    pub fn speed(&self) -> Option<f64> {
        self.speed
    }

    fn for_speed(bytes_per_sec: f64) -> u64 {
        let want = (bytes_per_sec * CHUNK_TARGET.as_secs_f64()) as u64;
        (want / CHUNK_ALIGN * CHUNK_ALIGN).clamp(MIN_ADAPTIVE_CHUNK, MAX_CHUNK)
    }

    /// The size of the next PATCH.
    pub fn next(&self) -> u64 {
        self.current.min(self.ceiling)
    }

    /// Records that `bytes` went through in `elapsed`.
    pub fn observe(&mut self, bytes: u64, elapsed: Duration) {
        if bytes < 1024 * 1024 {
            return; // a tail chunk says little about the link
        }
        let bps = bytes as f64 / elapsed.as_secs_f64().max(1e-3);
        self.speed = Some(bps);
        if self.mode == ChunkSize::Adaptive {
            self.current = Self::for_speed(bps);
        }
    }

    /// A 413 on PATCH: halve the chunk. Returns false when it cannot get any smaller.
    pub fn halve(&mut self) -> bool {
        let now = self.next();
        if now <= CHUNK_ALIGN {
            return false;
        }
        let half = (now / 2 / CHUNK_ALIGN * CHUNK_ALIGN).max(CHUNK_ALIGN);
        self.ceiling = half;
        self.current = self.current.min(half);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_chunks_carry_about_ten_seconds() {
        let mut s = ChunkSizer::new(ChunkSize::Adaptive);
        assert_eq!(s.next(), 8 << 20);
        // 10 MiB/s (about 84 Mbit/s) -> 100 MiB
        s.observe(10 << 20, Duration::from_secs(1));
        assert_eq!(s.next(), 100 << 20);
        assert_eq!(s.next() % CHUNK_ALIGN, 0);
        // a slow link never goes below 8 MiB
        s.observe(2 << 20, Duration::from_secs(10));
        assert_eq!(s.next(), 8 << 20);
        // a very fast one never above 1 GiB
        s.observe(900 << 20, Duration::from_millis(100));
        assert_eq!(s.next(), 1 << 30);
        // tiny tail chunks are ignored
        s.observe(1000, Duration::from_secs(5));
        assert_eq!(s.next(), 1 << 30);
    }

    #[test]
    fn a_known_speed_sets_the_first_chunk() {
        let s = ChunkSizer::with_speed(ChunkSize::Adaptive, Some(50.0 * 1024.0 * 1024.0));
        assert_eq!(s.next(), 500 << 20);
        let fixed = ChunkSizer::with_speed(ChunkSize::Fixed(1 << 20), Some(1e9));
        assert_eq!(fixed.next(), 1 << 20, "a fixed size stays fixed");
        assert_eq!(
            ChunkSizer::with_speed(ChunkSize::Adaptive, None).next(),
            8 << 20
        );
    }

    #[test]
    fn a_413_halves_the_chunk_for_good() {
        let mut s = ChunkSizer::new(ChunkSize::Fixed(8 << 20));
        assert!(s.halve());
        assert_eq!(s.next(), 4 << 20);
        let mut a = ChunkSizer::new(ChunkSize::Adaptive);
        assert!(a.halve());
        a.observe(500 << 20, Duration::from_secs(1));
        assert_eq!(a.next(), 4 << 20, "the ceiling holds");
        let mut tiny = ChunkSizer::new(ChunkSize::Fixed(CHUNK_ALIGN));
        assert!(!tiny.halve());
    }
}
