//! A small web server on 127.0.0.1:0 that serves the links tests import: files with the
//! Content-Type they are given, 404 for anything else, and links that start and then stall.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Clone)]
enum Served {
    Bytes {
        content_type: String,
        body: Vec<u8>,
    },
    /// Sends these bytes, then nothing ever again.
    Stall {
        content_type: String,
        first: Vec<u8>,
    },
    /// Answers only once the gate opens.
    Held {
        content_type: String,
        body: Vec<u8>,
        gate: Arc<tokio::sync::Semaphore>,
    },
}

#[derive(Clone, Default)]
struct Shared {
    files: Arc<Mutex<HashMap<String, Served>>>,
    hits: Arc<AtomicU64>,
}

pub struct LinkServer {
    pub addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LinkServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(State(s): State<Shared>, Path(name): Path<String>) -> Response {
    s.hits.fetch_add(1, Ordering::SeqCst);
    let served = s.files.lock().expect("files").get(&name).cloned();
    match served {
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
        Some(Served::Bytes { content_type, body }) => {
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Some(Served::Held {
            content_type,
            body,
            gate,
        }) => {
            let _ = gate.acquire().await;
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Some(Served::Stall {
            content_type,
            first,
        }) => {
            use futures_util::StreamExt as _;
            let stream = futures_util::stream::once(async move {
                Ok::<_, std::io::Error>(bytes::Bytes::from(first))
            })
            .chain(futures_util::stream::pending());
            (
                [(header::CONTENT_TYPE, content_type)],
                Body::from_stream(stream),
            )
                .into_response()
        }
    }
}

impl LinkServer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind links");
        let addr = listener.local_addr().expect("addr");
        let shared = Shared::default();
        let app = axum::Router::new()
            .route("/{*name}", axum::routing::get(serve))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// The link of `name` (served or not).
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    /// Serves `body` as `content_type` at `name`; returns its link.
    pub fn serve(&self, name: &str, content_type: &str, body: Vec<u8>) -> String {
        self.put(
            name,
            Served::Bytes {
                content_type: content_type.into(),
                body,
            },
        )
    }

    /// A link that sends `first` and then stalls forever.
    pub fn stall(&self, name: &str, content_type: &str, first: Vec<u8>) -> String {
        self.put(
            name,
            Served::Stall {
                content_type: content_type.into(),
                first,
            },
        )
    }

    /// A link that answers with `body` only once the returned gate gets a permit.
    pub fn held(
        &self,
        name: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (String, Arc<tokio::sync::Semaphore>) {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let url = self.put(
            name,
            Served::Held {
                content_type: content_type.into(),
                body,
                gate: gate.clone(),
            },
        );
        (url, gate)
    }

    fn put(&self, name: &str, s: Served) -> String {
        self.shared
            .files
            .lock()
            .expect("files")
            .insert(name.to_string(), s);
        self.url(name)
    }

    /// Requests served so far.
    pub fn hits(&self) -> u64 {
        self.shared.hits.load(Ordering::SeqCst)
    }
}

/// The bytes of a small real JPEG (`w`×`h`).
pub fn jpeg_bytes(dir: &std::path::Path, w: u32, h: u32) -> Vec<u8> {
    let p = dir.join(format!("made-{w}x{h}.jpg"));
    super::support::oriented_jpeg(&p, w, h, 1);
    std::fs::read(p).expect("read jpeg")
}

/// The bytes of a small real PNG (`w`×`h`).
pub fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

pub fn md5_hex(b: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(b))
}

/// What a missing link's failure says: the sandbox's reason with `tus-full`; with `wix`, which
/// (like Wix) gives none, the client's own advice.
pub fn expected_failure(profile: wixup::sandbox::Profile) -> &'static str {
    match profile {
        wixup::sandbox::Profile::TusFull => "not found",
        wixup::sandbox::Profile::Wix => "could not import the link; check that it opens",
    }
}
