//! Same-length overwrites applied to a file's bytes as they are read: how a location leaves a
//! photo or a video without a copy of the file and without moving a byte. Every reader of a file
//! that is sent (the streamed tus body, a one-PUT's snapshot, the checksum and the MD5 of what
//! was sent) applies the same [`Redactions`], so the server gets, and is verified against, the
//! redacted bytes, and a resumed upload sends again exactly what it sent before.

use std::sync::Arc;

/// One overwrite: the bytes at `at` are replaced by `bytes` (as many as there are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub at: u64,
    pub bytes: Vec<u8>,
}

impl Patch {
    pub fn new(at: u64, bytes: Vec<u8>) -> Self {
        Patch { at, bytes }
    }

    /// `len` zero bytes at `at`.
    pub fn zeros(at: u64, len: usize) -> Self {
        Patch {
            at,
            bytes: vec![0; len],
        }
    }

    fn end(&self) -> u64 {
        self.at + self.bytes.len() as u64
    }
}

/// The overwrites of one file: sorted, none overlapping, none empty. Cheap to clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redactions(Arc<[Patch]>);

impl Redactions {
    /// No overwrite: the file goes as it is.
    pub fn none() -> Self {
        Self::default()
    }

    /// The overwrites of a file of `len` bytes. Overlapping patches are merged (the later one in
    /// `patches` wins where they overlap); one reaching past `len` is refused, since the file
    /// read is not the one the patches were made for.
    pub fn new(mut patches: Vec<Patch>, len: u64) -> Result<Self, String> {
        patches.retain(|p| !p.bytes.is_empty());
        if let Some(p) = patches.iter().find(|p| p.end() > len) {
            return Err(format!(
                "an overwrite at byte {} of {} reaches past the file's end ({len} bytes)",
                p.at,
                p.bytes.len()
            ));
        }
        // Stable sort by start, then fold overlaps into one patch, the later patch's bytes
        // laid over the earlier one's.
        let mut order: Vec<usize> = (0..patches.len()).collect();
        order.sort_by_key(|&i| patches[i].at);
        let mut merged: Vec<(Patch, Vec<usize>)> = Vec::new();
        for i in order {
            let p = &patches[i];
            match merged.last_mut() {
                Some((last, members)) if p.at < last.end() => {
                    let end = last.end().max(p.end());
                    last.bytes.resize((end - last.at) as usize, 0);
                    members.push(i);
                }
                _ => merged.push((p.clone(), vec![i])),
            }
        }
        let out = merged
            .into_iter()
            .map(|(mut span, mut members)| {
                // Lay each member over the span in the order given.
                members.sort_unstable();
                for i in members {
                    let p = &patches[i];
                    let from = (p.at - span.at) as usize;
                    span.bytes[from..from + p.bytes.len()].copy_from_slice(&p.bytes);
                }
                span
            })
            .collect::<Vec<_>>();
        Ok(Redactions(out.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The patches, sorted by offset.
    pub fn patches(&self) -> &[Patch] {
        &self.0
    }

    /// How many bytes are overwritten in all.
    pub fn bytes(&self) -> u64 {
        self.0.iter().map(|p| p.bytes.len() as u64).sum()
    }

    /// A short fingerprint of the overwrites (MD5 of their offsets and bytes), kept with an upload
    /// begun with them; `None` when there are none.
    pub fn mark(&self) -> Option<String> {
        use md5::Digest as _;
        if self.0.is_empty() {
            return None;
        }
        let mut h = md5::Md5::new();
        for p in self.0.iter() {
            h.update(p.at.to_be_bytes());
            h.update((p.bytes.len() as u64).to_be_bytes());
            h.update(&p.bytes);
        }
        Some(hex::encode(h.finalize()))
    }

    /// Overwrites `buf`, which holds the file's bytes from offset `at`, where patches fall in it.
    pub fn apply(&self, at: u64, buf: &mut [u8]) {
        if self.0.is_empty() || buf.is_empty() {
            return;
        }
        let end = at + buf.len() as u64;
        // First patch ending after `at`.
        let first = self.0.partition_point(|p| p.end() <= at);
        for p in self.0[first..].iter().take_while(|p| p.at < end) {
            let from = p.at.max(at);
            let to = p.end().min(end);
            let src = &p.bytes[(from - p.at) as usize..(to - p.at) as usize];
            buf[(from - at) as usize..(to - at) as usize].copy_from_slice(src);
        }
    }
}

/// Where the bytes of a logical buffer assembled from pieces of a file lie: `(file offset,
/// length)` in order. Extended XMP split over JPEG segments, a HEIF item in several extents,
/// a hex-encoded profile: the finder works on the assembled bytes and maps its patches back.
pub fn map_patches(pieces: &[(u64, u64)], logical: &[Patch]) -> Vec<Patch> {
    let mut out = Vec::new();
    for p in logical {
        let mut at = p.at;
        let mut rest = &p.bytes[..];
        let mut base = 0u64;
        for &(file_at, len) in pieces {
            if rest.is_empty() {
                break;
            }
            if at < base + len {
                let skip = at - base;
                let take = ((len - skip) as usize).min(rest.len());
                out.push(Patch::new(file_at + skip, rest[..take].to_vec()));
                rest = &rest[take..];
                at += take as u64;
            }
            base += len;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Vec<u8> {
        (0..100u8).collect()
    }

    #[test]
    fn apply_overwrites_only_what_falls_in_the_buffer() {
        let r = Redactions::new(
            vec![Patch::new(10, vec![0xAA; 5]), Patch::new(98, vec![0xBB; 2])],
            100,
        )
        .unwrap();
        let mut whole = file();
        r.apply(0, &mut whole);
        assert_eq!(&whole[8..17], &[8, 9, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 15, 16]);
        assert_eq!(&whole[97..], &[97, 0xBB, 0xBB]);
        // Read in pieces that cut the patches: the same bytes.
        for step in [1usize, 3, 7, 12, 64] {
            let mut pieced = Vec::new();
            for (i, chunk) in file().chunks(step).enumerate() {
                let mut c = chunk.to_vec();
                r.apply((i * step) as u64, &mut c);
                pieced.extend(c);
            }
            assert_eq!(pieced, whole, "step {step}");
        }
        assert_eq!(r.bytes(), 7);
    }

    #[test]
    fn overlaps_merge_with_the_later_patch_on_top_and_the_end_is_checked() {
        let r = Redactions::new(
            vec![
                Patch::new(20, vec![1; 10]),
                Patch::new(25, vec![2; 10]),
                Patch::new(5, vec![]),
            ],
            100,
        )
        .unwrap();
        assert_eq!(r.patches().len(), 1);
        assert_eq!(r.patches()[0].at, 20);
        assert_eq!(
            r.patches()[0].bytes,
            [vec![1; 5], vec![2; 10]].concat(),
            "the later patch wins where they overlap"
        );
        assert!(Redactions::new(vec![Patch::new(95, vec![0; 6])], 100).is_err());
        assert!(Redactions::new(vec![Patch::new(94, vec![0; 6])], 100).is_ok());
        assert!(Redactions::none().is_empty());
        assert_eq!(Redactions::none().mark(), None);
        let a = Redactions::new(vec![Patch::zeros(3, 2)], 10).unwrap();
        let b = Redactions::new(vec![Patch::zeros(4, 2)], 10).unwrap();
        assert!(a.mark().is_some() && a.mark() != b.mark());
    }

    #[test]
    fn patches_of_an_assembled_buffer_map_back_to_its_pieces() {
        // Logical bytes 0..4 at file 100..104, 4..10 at file 200..206.
        let pieces = [(100, 4), (200, 6)];
        let mapped = map_patches(&pieces, &[Patch::new(2, vec![7, 8, 9, 10])]);
        assert_eq!(
            mapped,
            vec![Patch::new(102, vec![7, 8]), Patch::new(200, vec![9, 10])]
        );
        assert!(map_patches(&pieces, &[Patch::new(10, vec![1])]).is_empty());
    }
}
