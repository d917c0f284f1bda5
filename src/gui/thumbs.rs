//! Row thumbnails, decoded and downscaled off the UI thread.
//!
//! A row asks for its thumbnail each frame it is visible ([`Thumbs::get`]); the first ask starts a
//! blocking task (at most two at once) that reads the file, applies its EXIF orientation and
//! shrinks it to 96 px. Finished files use the server's thumbnail, fetched once and cached on
//! disk. The UI thread only turns finished pixels into textures, in `logic`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{ColorImage, TextureHandle, TextureOptions};
use tokio::sync::{Semaphore, mpsc};

use crate::engine::JobId;

/// Pixels on the long side; rows show them at 48 points, so this is sharp at 2× scaling.
const SIZE: u32 = 96;
/// Textures kept at most (about 36 KiB each); the least recently shown go first. Only visible
/// rows ask, so scrolling through 10,000 finished files never holds 10,000 textures.
const KEEP: usize = 600;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A preview of the local file.
    Local(JobId),
    /// The server's thumbnail of the finished file.
    Remote(String),
}

/// Where a thumbnail comes from.
pub enum Source {
    /// A local file, decoded with its EXIF orientation.
    File(PathBuf),
    /// The server's thumbnail URL: fetched once into the disk cache (named by the URL's MD5),
    /// then decoded from there.
    Url(String),
}

enum Slot {
    Loading,
    Ready(TextureHandle),
    /// Not an image, or unreadable: the row shows an icon.
    Missing,
}

pub struct Thumbs {
    runtime: tokio::runtime::Handle,
    http: reqwest::Client,
    cache_dir: PathBuf,
    /// Each slot with the frame it was last asked for.
    slots: HashMap<Key, (Slot, u64)>,
    frame: u64,
    tx: mpsc::UnboundedSender<(Key, Option<ColorImage>)>,
    rx: mpsc::UnboundedReceiver<(Key, Option<ColorImage>)>,
    permits: Arc<Semaphore>,
    ctx: egui::Context,
}

impl Thumbs {
    pub fn new(ctx: egui::Context, runtime: tokio::runtime::Handle, cache_dir: PathBuf) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Thumbs {
            runtime,
            http: client(&crate::net::Network::default()),
            cache_dir,
            slots: HashMap::new(),
            frame: 0,
            tx,
            rx,
            permits: Arc::new(Semaphore::new(2)),
            ctx,
        }
    }

    /// Server thumbnails come through the proxy the connection uses (loopback never).
    pub fn set_proxy(&mut self, proxy: &crate::net::Network) {
        self.http = client(proxy);
    }

    /// The texture if it is ready; otherwise starts loading it (once) and returns `None`.
    pub fn get(&mut self, key: Key, source: impl FnOnce() -> Source) -> Option<&TextureHandle> {
        let frame = self.frame;
        match self.slots.get_mut(&key) {
            Some((_, used)) => *used = frame,
            None => {
                self.slots.insert(key.clone(), (Slot::Loading, frame));
                self.spawn(key.clone(), source());
            }
        }
        match self.slots.get(&key) {
            Some((Slot::Ready(t), _)) => Some(t),
            _ => None,
        }
    }

    /// Turns decoded thumbnails into textures, and lets go of the least recently shown ones.
    /// Called from `logic`, never blocks.
    pub fn poll(&mut self) {
        self.frame += 1;
        if self.slots.len() > KEEP {
            let mut by_age: Vec<(u64, Key)> = self
                .slots
                .iter()
                .filter(|(_, (s, _))| !matches!(s, Slot::Loading))
                .map(|(k, (_, used))| (*used, k.clone()))
                .collect();
            by_age.sort_unstable_by_key(|(used, _)| *used);
            let excess = self.slots.len() - KEEP * 3 / 4;
            for (_, k) in by_age.into_iter().take(excess) {
                self.slots.remove(&k);
            }
        }
        while let Ok((key, image)) = self.rx.try_recv() {
            let slot = match image {
                Some(img) => Slot::Ready(self.ctx.load_texture(
                    format!("thumb-{key:?}"),
                    img,
                    TextureOptions::LINEAR,
                )),
                None => Slot::Missing,
            };
            // A job forgotten while its preview decoded gets no texture.
            if let Some((s, _)) = self.slots.get_mut(&key) {
                *s = slot;
            }
        }
    }

    /// Previews still being read, fetched or decoded.
    pub fn loading(&self) -> usize {
        self.slots
            .values()
            .filter(|(s, _)| matches!(s, Slot::Loading))
            .count()
    }

    /// Drops the textures of jobs that left the queue.
    pub fn forget(&mut self, id: JobId) {
        self.slots.remove(&Key::Local(id));
    }

    fn spawn(&self, key: Key, source: Source) {
        let tx = self.tx.clone();
        let permits = self.permits.clone();
        let http = self.http.clone();
        let cache_dir = self.cache_dir.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            let bytes_or_path = match source {
                Source::File(p) => Ok(p),
                Source::Url(url) => fetch_cached(&http, &cache_dir, &url).await,
            };
            let image = match bytes_or_path {
                Ok(path) => tokio::task::spawn_blocking(move || decode(&path))
                    .await
                    .ok()
                    .flatten(),
                Err(e) => {
                    tracing::debug!(error = %e, "thumbnail not fetched");
                    None
                }
            };
            let _ = tx.send((key, image));
            ctx.request_repaint();
        });
    }
}

/// Fetches `url` into the cache (once) and returns the cached file.
fn client(proxy: &crate::net::Network) -> reqwest::Client {
    proxy
        .apply(crate::trust::Uses::Rest, reqwest::Client::builder())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

async fn fetch_cached(http: &reqwest::Client, dir: &Path, url: &str) -> Result<PathBuf, String> {
    use md5::Digest as _;
    let name = hex::encode(md5::Md5::digest(url.as_bytes()));
    let path = dir.join(name);
    if tokio::fs::metadata(&path).await.is_ok() {
        return Ok(path);
    }
    let resp = http
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| e.without_url().to_string())?;
    // A thumbnail is small: a server that sends more is not read past the bound.
    const MAX_THUMBNAIL_BYTES: u64 = 16 << 20;
    let mut resp = resp;
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_THUMBNAIL_BYTES)
    {
        return Err("the thumbnail is larger than 16 MiB".into());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if (bytes.len() + chunk.len()) as u64 > MAX_THUMBNAIL_BYTES {
            return Err("the thumbnail is larger than 16 MiB".into());
        }
        bytes.extend_from_slice(&chunk);
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| e.to_string())?;
    let tmp = path.with_extension(format!("{:016x}.part", fastrand::u64(..)));
    tokio::fs::write(&tmp, &bytes)
        .await
        .map_err(|e| e.to_string())?;
    tokio::fs::rename(&tmp, &path)
        .await
        .map_err(|e| e.to_string())?;
    Ok(path)
}

/// Reads an image within the preview budget, turns it upright per its EXIF orientation, and
/// shrinks it. `None` (the row shows its file-type icon) for what is not an image, and for an
/// image too large to preview, refused from its header before anything is allocated.
pub fn decode(path: &Path) -> Option<ColorImage> {
    let img = match crate::imaging::decode(path, crate::imaging::Budget::PREVIEW) {
        Ok(img) => img,
        Err(e) => {
            tracing::debug!(error = %e, "no preview");
            return None;
        }
    };
    // Shrink only: a small image stays as it is.
    let small = if img.width() > SIZE || img.height() > SIZE {
        img.thumbnail(SIZE, SIZE).to_rgba8()
    } else {
        img.to_rgba8()
    };
    let size = [small.width() as usize, small.height() as usize];
    Some(ColorImage::from_rgba_unmultiplied(size, small.as_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_shrink_only_and_a_bounded_number_of_textures_is_kept() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        // A 40×20 image: a preview is at most 96 px on its long side and keeps the aspect.
        let path = dir.path().join("wide.png");
        image::RgbaImage::from_pixel(40, 20, image::Rgba([9, 9, 9, 255]))
            .save(&path)
            .expect("png");
        let img = decode(&path).expect("decodes");
        assert_eq!(img.size, [40, 20]);

        let ctx = egui::Context::default();
        let mut t = Thumbs::new(ctx, rt.handle().clone(), dir.path().join("cache"));
        let ask = |t: &mut Thumbs, ids: std::ops::Range<u64>| {
            for i in ids {
                t.get(Key::Local(JobId(i)), || Source::File(path.clone()));
                t.poll();
            }
        };
        let settle = |t: &mut Thumbs| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while t.slots.values().any(|(s, _)| matches!(s, Slot::Loading)) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "decoding never finished"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
                t.poll();
            }
            t.poll();
        };
        // As many as are kept, all decoded: nothing is let go.
        ask(&mut t, 0..KEEP as u64);
        settle(&mut t);
        assert_eq!(t.slots.len(), KEEP);
        // The second half is shown again, then 200 more arrive: the least recently shown go.
        ask(&mut t, KEEP as u64 / 2..KEEP as u64);
        let n = KEEP as u64 + 200;
        ask(&mut t, KEEP as u64..n);
        settle(&mut t);
        assert!(t.slots.len() <= KEEP, "{} textures kept", t.slots.len());
        assert!(t.slots.contains_key(&Key::Local(JobId(n - 1))));
        assert!(t.slots.contains_key(&Key::Local(JobId(KEEP as u64 - 1))));
        assert!(!t.slots.contains_key(&Key::Local(JobId(0))));
        // A job that leaves the queue while its preview decodes gets no texture.
        t.get(Key::Local(JobId(n)), || Source::File(path.clone()));
        t.forget(JobId(n));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while t.rx.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "decoding never finished"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        t.poll();
        assert!(!t.slots.contains_key(&Key::Local(JobId(n))));
    }

    #[test]
    fn a_decompression_bomb_gets_no_preview_texture_quickly() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let bomb = dir.path().join("bomb.gif");
        std::fs::write(&bomb, crate::imaging::tests::gif_bomb(16_384, 16_384)).expect("write");
        let started = std::time::Instant::now();
        assert!(decode(&bomb).is_none(), "a 16,384² GIF is not previewed");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));

        let mut t = Thumbs::new(
            egui::Context::default(),
            rt.handle().clone(),
            dir.path().join("cache"),
        );
        let key = Key::Local(JobId(1));
        assert!(t.get(key.clone(), || Source::File(bomb.clone())).is_none());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while matches!(t.slots.get(&key), Some((Slot::Loading, _))) {
            assert!(std::time::Instant::now() < deadline, "never settled");
            std::thread::sleep(std::time::Duration::from_millis(5));
            t.poll();
        }
        assert!(matches!(t.slots.get(&key), Some((Slot::Missing, _))));
        assert!(
            t.get(key, || Source::File(bomb.clone())).is_none(),
            "no texture: the icon"
        );
    }
}
