//! Shared test helpers: a sandbox on port 0, random files, engine configs with zero delays, a
//! bounded event collector, and a TCP proxy that cuts connections. In submodules: bounded waits
//! (`wait`), the window under egui_kittest (`gui`), the sandbox as a saved Wix site (`site`), exit-code assertions (`exit`), base64 and
//! SHA-256 (`encode`), a test run again in a child process (`child`), raw uploads to the sandbox (`raw_upload`), the shared testdata and the programs CI must have (`required`).

#![allow(dead_code)]

pub mod child;
mod encode;
mod exit;
#[cfg(feature = "gui")]
pub mod gui;
mod journal;
pub mod proxy;
mod raw_upload;
pub mod real_files;
pub mod relay;
mod required;
mod site;
mod wait;

pub use encode::{b64, sha256_file, sha256_hex};
pub use exit::{exits_failing, exits_with};
pub use journal::{append_record, journal_path, journal_table};
pub use raw_upload::{put_upload, settled, tus_upload};
pub use required::{shared_testdata, tools};
pub use wait::{
    poll_until, poll_until_blocking, stays_still, stays_still_blocking, wait_until,
    wait_until_async, wait_until_blocking,
};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::UnboundedReceiver;
use wixup::engine::{self, EngineConfig, EngineHandle, Event, JobError, JobId, JobResult};
use wixup::retry::RetryPolicy;
use wixup::sandbox::{self, SandboxConfig, SandboxHandle};

/// A temp dir with a sandbox in it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub sandbox: SandboxHandle,
}

impl Env {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A sandbox playing `profile`.
    pub async fn start_as(profile: sandbox::Profile) -> Self {
        Self::start_with(|c| c.profile = profile).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut SandboxConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let sandbox = start_sandbox(&dir.path().join("sandbox"), tweak).await;
        Self { dir, sandbox }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn base(&self) -> reqwest::Url {
        self.sandbox.local_url()
    }

    /// Slows every PATCH by `ms`, so an upload lasts long enough to pause, kill or edit it.
    pub fn slow_patches(&self, ms: u64) {
        self.sandbox.faults.add(
            sandbox::Rule::nth(
                Some(axum::http::Method::PATCH),
                "",
                1,
                sandbox::FaultKind::Latency(Duration::from_millis(ms)),
            )
            .times(u64::MAX / 2),
        );
    }

    /// [`Env::engine_config`] with every file sent resumably (tus), however small: for tests
    /// about the resumable flow (creation, PATCH, finalize).
    pub fn tus_engine_config(&self, data_dir: &str) -> EngineConfig {
        let mut c = self.engine_config(data_dir);
        c.one_put_below = 0;
        c
    }

    /// [`Env::engine_config`] with small fixed chunks, for tus uploads that take a while (so
    /// every file goes resumably, however small: these tests are about tus).
    pub fn slow_engine_config(&self, data_dir: &str) -> EngineConfig {
        let mut c = self.tus_engine_config(data_dir);
        c.tus.chunk_size = wixup::tus::ChunkSize::Fixed(256 * 1024);
        c
    }

    pub fn stat(&self, which: fn(&sandbox::Stats) -> &AtomicU64) -> u64 {
        which(&self.sandbox.stats).load(Ordering::SeqCst)
    }

    /// Waits until the sandbox handles nothing: every request it was sent has landed, and every
    /// finalize or one-PUT they started (those go on when their client is gone) has ended.
    pub async fn sandbox_idle(&self) {
        wait_until(
            "the sandbox to finish what it was sent",
            Duration::from_secs(20),
            || self.stat(|s| &s.requests_in_flight) == 0,
        )
        .await;
    }

    /// An engine config for this sandbox with zero retry delays and fast polling.
    pub fn engine_config(&self, data_dir: &str) -> EngineConfig {
        let mut c = EngineConfig::new(
            self.path(data_dir),
            self.base(),
            wixup::config::sandbox_credentials(),
        );
        c.tus.retry = RetryPolicy::immediate(6);
        c.tus.idle_timeout = Duration::from_secs(5);
        c.tus.creation_with_upload_max_bytes = 64 * 1024;
        c.api_retry = RetryPolicy::immediate(6);
        c.poll_delays = vec![Duration::from_millis(10)];
        c.poll_timeout = Duration::from_secs(20);
        c
    }
}

/// Defines a test once and runs it against each sandbox profile, as `NAME::wix` and
/// `NAME::tus_full`; the body sees the profile under the name given:
/// `each_profile! { #[tokio::test] async fn name(profile) { Env::start_as(profile) ... } }`.
macro_rules! each_profile {
    ($(#[$attr:meta])* async fn $name:ident($profile:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$attr])*
            async fn wix() {
                let $profile = wixup::sandbox::Profile::Wix;
                $body
            }
            $(#[$attr])*
            async fn tus_full() {
                let $profile = wixup::sandbox::Profile::TusFull;
                $body
            }
        }
    };
    ($(#[$attr:meta])* fn $name:ident($profile:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$attr])*
            fn wix() {
                let $profile = wixup::sandbox::Profile::Wix;
                $body
            }
            $(#[$attr])*
            fn tus_full() {
                let $profile = wixup::sandbox::Profile::TusFull;
                $body
            }
        }
    };
}
pub(crate) use each_profile;

/// A sandbox tweak: the `tus-full` profile, every tus extension (for tests of the optional
/// paths and of the sandbox's own mechanics).
pub fn tus_full(c: &mut SandboxConfig) {
    c.profile = sandbox::Profile::TusFull;
}

pub async fn start_sandbox(dir: &Path, tweak: impl FnOnce(&mut SandboxConfig)) -> SandboxHandle {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut cfg = SandboxConfig::new(dir.to_path_buf());
    cfg.processing_delay = Duration::from_millis(20);
    tweak(&mut cfg);
    sandbox::start(listener, cfg).await.expect("sandbox")
}

/// A file of `size` pseudo-random bytes (seeded, so failures reproduce).
pub fn random_file(dir: &Path, name: &str, size: usize) -> PathBuf {
    // Seeded by the whole name and the size: two files never share bytes by accident, so a
    // test that swaps them sees it.
    let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut rng = fastrand::Rng::with_seed(seed ^ size as u64);
    let mut data = vec![0u8; size];
    rng.fill(&mut data);
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, &data).expect("write");
    p
}

/// GETs a URL (loopback only) and returns status and body.
pub async fn get(url: &str) -> (u16, Vec<u8>) {
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "tests only talk to loopback: {url}"
    );
    let r = reqwest::get(url).await.expect("GET");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

/// How a job ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done(JobResult),
    Failed(JobError),
}

impl Outcome {
    pub fn done(&self) -> &JobResult {
        match self {
            Outcome::Done(r) => r,
            Outcome::Failed(e) => panic!("expected done, got failure: {e:?}"),
        }
    }

    pub fn failed(&self) -> &JobError {
        match self {
            Outcome::Failed(e) => e,
            Outcome::Done(r) => panic!("expected a failure, got done: {r:?}"),
        }
    }
}

/// Everything seen on an engine's event stream, and helpers that wait with a bound.
pub struct Events {
    pub rx: UnboundedReceiver<Event>,
    pub seen: Vec<Event>,
    pub outcomes: HashMap<JobId, Outcome>,
    pub added: Vec<JobId>,
}

impl Events {
    pub fn new(rx: UnboundedReceiver<Event>) -> Self {
        Self {
            rx,
            seen: Vec::new(),
            outcomes: HashMap::new(),
            added: Vec::new(),
        }
    }

    async fn next(&mut self, deadline: tokio::time::Instant) -> Option<Event> {
        let ev = tokio::time::timeout_at(deadline, self.rx.recv())
            .await
            .ok()??;
        match &ev {
            Event::Finished { id, result } => {
                self.outcomes.insert(*id, Outcome::Done(result.clone()));
            }
            Event::Failed { id, error } => {
                self.outcomes.insert(*id, Outcome::Failed(error.clone()));
            }
            Event::FilesAdded { added, .. } => self.added.extend(added.iter().copied()),
            _ => {}
        }
        self.seen.push(ev.clone());
        Some(ev)
    }

    /// Waits (at most `secs`) until `pred` holds for an event; returns it.
    pub async fn wait_for(&mut self, secs: u64, mut pred: impl FnMut(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            match self.next(deadline).await {
                Some(ev) if pred(&ev) => return ev,
                Some(_) => {}
                None => panic!(
                    "timed out after {secs} s waiting for an event; saw {:#?}",
                    self.seen.iter().rev().take(8).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Waits until the server acknowledged at least `bytes` of some job.
    pub async fn wait_acknowledged(&mut self, bytes: u64) {
        self.wait_for(30, |e| {
            matches!(e, Event::Progress { acknowledged_bytes, .. } if *acknowledged_bytes >= bytes)
        })
        .await;
    }

    /// Waits until some job enters `state`.
    pub async fn wait_state(&mut self, state: engine::JobState) {
        self.wait_for(
            10,
            |e| matches!(e, Event::StateChanged { state: s, .. } if *s == state),
        )
        .await;
    }

    /// Waits for the answer to an `AddFiles`.
    pub async fn added(&mut self) -> (Vec<JobId>, Vec<(PathBuf, JobId)>, Vec<(PathBuf, String)>) {
        match self
            .wait_for(30, |e| matches!(e, Event::FilesAdded { .. }))
            .await
        {
            Event::FilesAdded {
                added,
                duplicates,
                rejected,
                ..
            } => (added, duplicates, rejected),
            _ => unreachable!(),
        }
    }

    /// Waits until every job in `ids` finished (done or failed).
    pub async fn finish(&mut self, ids: &[JobId], secs: u64) -> Vec<Outcome> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !ids.iter().all(|id| self.outcomes.contains_key(id)) {
            if self.next(deadline).await.is_none() {
                panic!(
                    "timed out after {secs} s; outcomes so far: {:?}",
                    self.outcomes
                );
            }
        }
        ids.iter().map(|id| self.outcomes[id].clone()).collect()
    }
}

/// Starts an engine and queues `paths` with the default choices (location removed, duplicates
/// skipped); returns the handle, the events and the added ids.
pub async fn start_and_add(
    config: EngineConfig,
    paths: Vec<PathBuf>,
) -> (EngineHandle, Events, Vec<JobId>) {
    start_and_add_with(config, paths, Default::default()).await
}

/// [`start_and_add`] with the choices the files are queued with.
pub async fn start_and_add_with(
    config: EngineConfig,
    paths: Vec<PathBuf>,
    options: engine::JobOptions,
) -> (EngineHandle, Events, Vec<JobId>) {
    let (handle, rx) = engine::start(config, None).expect("engine starts");
    let mut events = Events::new(rx);
    handle.send(engine::Command::AddFiles {
        request: 1,
        paths,
        destination: Default::default(),
        options,
    });
    let (added, _, _) = events.added().await;
    (handle, events, added)
}

/// A TCP proxy on 127.0.0.1:0 that forwards to `target` and cuts each connection after a random
/// number of bytes (between `min_cut` and `max_cut`, client to server), for the first `cuts`
/// connections; later ones pass through.
pub struct ChaosProxy {
    pub addr: std::net::SocketAddr,
    pub cuts_done: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ChaosProxy {
    pub async fn start(
        target: std::net::SocketAddr,
        seed: u64,
        min_cut: u64,
        max_cut: u64,
        cuts: u64,
    ) -> Self {
        Self::start_on(
            "127.0.0.1:0".parse().expect("addr"),
            target,
            seed,
            min_cut,
            max_cut,
            cuts,
        )
        .await
    }

    pub async fn start_on(
        bind: std::net::SocketAddr,
        target: std::net::SocketAddr,
        seed: u64,
        min_cut: u64,
        max_cut: u64,
        cuts: u64,
    ) -> Self {
        let listener = TcpListener::bind(bind).await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let cuts_done = Arc::new(AtomicU64::new(0));
        let budget = Arc::new(AtomicU64::new(cuts));
        let done = cuts_done.clone();
        let task = tokio::spawn(async move {
            let rng = Arc::new(std::sync::Mutex::new(fastrand::Rng::with_seed(seed)));
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(target).await else {
                    continue;
                };
                let cut = {
                    let mut r = rng.lock().expect("rng");
                    // Cut every connection at a random byte, while the budget lasts.
                    let at = r.u64(min_cut..=max_cut);
                    let take = budget
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
                        .is_ok();
                    take.then_some(at)
                };
                let done = done.clone();
                tokio::spawn(pipe(client, server, cut, done));
            }
        });
        Self {
            addr,
            cuts_done,
            task,
        }
    }
}

async fn pipe(client: TcpStream, server: TcpStream, cut: Option<u64>, done: Arc<AtomicU64>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut moved = 0u64;
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let mut n = n as u64;
            if let Some(limit) = cut
                && moved + n >= limit
            {
                n = limit - moved;
                let _ = sw.write_all(&buf[..n as usize]).await;
                done.fetch_add(1, Ordering::SeqCst);
                return; // cut: both directions close
            }
            if sw.write_all(&buf[..n as usize]).await.is_err() {
                return;
            }
            moved += n;
        }
    };
    let down = async {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

/// A JPEG whose stored pixels are `w`×`h` (left half red, right half blue) with the given EXIF
/// orientation, so a correct viewer shows orientation 6 as a portrait with red on top.
pub fn oriented_jpeg(path: &Path, w: u32, h: u32, orientation: u16) {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    let o = orientation.to_le_bytes();
    let tiff = [
        0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, // little-endian TIFF, IFD at 8
        0x01, 0x00, // one entry
        0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, o[0], o[1], 0x00, 0x00, // Orientation
        0x00, 0x00, 0x00, 0x00, // no next IFD
    ];
    enc.set_exif_metadata(tiff.to_vec()).expect("exif");
    enc.write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("encode");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, out).expect("write");
}

#[test]
fn random_files_differ_by_name_even_at_the_same_size_and_name_length() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = std::fs::read(random_file(dir.path(), "a.bin", 4096)).expect("a");
    let b = std::fs::read(random_file(dir.path(), "b.bin", 4096)).expect("b");
    assert_ne!(a, b);
}

/// A fresh upload URL and token from the sandbox's generate-resumable-upload-url, over raw HTTP:
/// (tus endpoint, token).
pub async fn sandbox_token(base: &reqwest::Url, size_bytes: Option<u64>) -> (String, String) {
    let mut body = serde_json::json!({"mimeType": "text/plain", "fileName": "a.txt"});
    if let Some(n) = size_bytes {
        body["sizeInBytes"] = n.to_string().into();
    }
    let r: serde_json::Value = reqwest::Client::new()
        .post(
            base.join("/site-media/v1/files/generate-resumable-upload-url")
                .expect("url"),
        )
        .header("Authorization", sandbox::DEFAULT_API_KEY)
        .header("wix-site-id", sandbox::DEFAULT_SITE_ID)
        .json(&body)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    (
        r["uploadUrl"].as_str().expect("url").into(),
        r["uploadToken"].as_str().expect("token").into(),
    )
}
