//! The emulated link: a TCP proxy on 127.0.0.1 that adds a one-way delay in each direction and
//! caps the uplink (client → server) at one rate shared by every connection.
//!
//! Each direction of a connection is a reader task and a writer task joined by a channel, a delay
//! line: every chunk carries the instant it may leave, and the writer sleeps until then. Release
//! times are absolute, so a late wake-up never slows what follows: the delay adds latency, not a
//! throughput limit. The uplink's chunks first cross one shared bottleneck, a virtual clock: a
//! chunk of `n` bytes occupies it for `n / rate` seconds after the previous reservation of any
//! connection ends. A reader holds at most `QUEUE` of link time reserved ahead of now (a shallow
//! router queue), then waits, so connections take turns chunk by chunk and TCP back-pressure
//! reaches the client. A new connection sends nothing for one round trip (the TCP handshake a
//! real path costs); after that, client TCP sees loopback: slow start, loss and receive windows
//! over the long path are not emulated (nor TLS).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How much link time one reader may hold reserved ahead of now.
const QUEUE: Duration = Duration::from_millis(10);
/// Chunks in flight per direction (a bound: the delay line holds rate × delay bytes).
const IN_FLIGHT: usize = 4096;

#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub one_way: Duration,
    /// Uplink rate in bytes per second.
    pub up_rate: f64,
}

impl Spec {
    pub fn rtt(&self) -> Duration {
        self.one_way * 2
    }

    /// Bytes per uplink read: about 1 ms of link time (4–64 KiB), so a chunk's store-and-forward
    /// time stays small against the delay.
    fn up_chunk(&self) -> usize {
        ((self.up_rate / 1000.0) as usize).clamp(4 << 10, 64 << 10)
    }
}

/// What crossed the link, for the report.
#[derive(Debug, Default)]
pub struct Counters {
    pub connections: AtomicU64,
    pub up_bytes: AtomicU64,
    pub down_bytes: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> [u64; 3] {
        [
            self.connections.load(Ordering::Relaxed),
            self.up_bytes.load(Ordering::Relaxed),
            self.down_bytes.load(Ordering::Relaxed),
        ]
    }
}

/// The shared uplink bottleneck as a virtual clock.
struct Bottleneck {
    rate: f64,
    free_at: Mutex<Instant>,
}

impl Bottleneck {
    /// Reserves the link for `n` bytes; returns when their last byte has crossed it.
    fn reserve(&self, n: usize) -> Instant {
        let now = Instant::now();
        let mut free_at = self.free_at.lock().unwrap_or_else(|p| p.into_inner());
        let end = (*free_at).max(now) + Duration::from_secs_f64(n as f64 / self.rate);
        *free_at = end;
        end
    }
}

/// Accepts connections on `listener` and forwards each to `upstream` through the link, until the
/// runtime stops.
pub async fn serve(
    listener: TcpListener,
    upstream: SocketAddr,
    spec: Spec,
    counters: Arc<Counters>,
) {
    let bottleneck = Arc::new(Bottleneck {
        rate: spec.up_rate,
        free_at: Mutex::new(Instant::now()),
    });
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        counters.connections.fetch_add(1, Ordering::Relaxed);
        let (bottleneck, counters) = (bottleneck.clone(), counters.clone());
        tokio::spawn(async move {
            let open = Instant::now() + spec.rtt();
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let (client_r, client_w) = client.into_split();
            let (server_r, server_w) = server.into_split();
            let (up_tx, up_rx) = mpsc::channel(IN_FLIGHT);
            let (down_tx, down_rx) = mpsc::channel(IN_FLIGHT);
            let up = Pump {
                open,
                one_way: spec.one_way,
                chunk: spec.up_chunk(),
                bottleneck: Some(bottleneck),
                counter: counters.clone(),
            };
            let down = Pump {
                open,
                one_way: spec.one_way,
                chunk: 64 << 10,
                bottleneck: None,
                counter: counters,
            };
            tokio::spawn(deliver(server_w, up_rx));
            tokio::spawn(deliver(client_w, down_rx));
            tokio::spawn(down.read(server_r, down_tx));
            up.read(client_r, up_tx).await;
        });
    }
}

/// One direction's reading side.
struct Pump {
    /// No byte leaves before this (the handshake's round trip).
    open: Instant,
    one_way: Duration,
    chunk: usize,
    /// The shared cap (uplink only).
    bottleneck: Option<Arc<Bottleneck>>,
    counter: Arc<Counters>,
}

impl Pump {
    async fn read(self, mut from: OwnedReadHalf, to: mpsc::Sender<(Instant, Bytes)>) {
        let mut buf = vec![0u8; self.chunk];
        tokio::time::sleep_until(self.open).await;
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let crossed = match &self.bottleneck {
                Some(b) => {
                    self.counter.up_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    b.reserve(n)
                }
                None => {
                    self.counter
                        .down_bytes
                        .fetch_add(n as u64, Ordering::Relaxed);
                    Instant::now()
                }
            };
            let chunk = Bytes::copy_from_slice(&buf[..n]);
            if to.send((crossed + self.one_way, chunk)).await.is_err() {
                break;
            }
            // Back-pressure: hold at most `QUEUE` of link time reserved ahead.
            if let Some(wait) = crossed.checked_sub(QUEUE)
                && wait > Instant::now()
            {
                tokio::time::sleep_until(wait).await;
            }
        }
    }
}

/// One direction's writing side: releases each chunk at its time, then passes the end on.
async fn deliver(mut to: OwnedWriteHalf, mut from: mpsc::Receiver<(Instant, Bytes)>) {
    while let Some((at, chunk)) = from.recv().await {
        tokio::time::sleep_until(at).await;
        if to.write_all(&chunk).await.is_err() {
            return;
        }
    }
    let _ = to.shutdown().await;
}
