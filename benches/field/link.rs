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
//! over the long path are not emulated (TLS is end to end, through it).
//!
//! The link can go away ([`LinkState`]): silent (nothing crosses, in either direction, and new
//! connections go unanswered, as with Wi-Fi gone) or refusing (the port closes; the
//! connections open are cut). What was in flight is dropped, and when the link returns every
//! connection from before is cut, as a router that restarted would.

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

/// Whether the link is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Up,
    /// Nothing crosses, and new connections go unanswered.
    Silent,
    /// The port is closed and open connections are cut.
    Refusing,
}

/// The link's state, shared by its connections: the mode, and how many times it came back
/// (a connection from an earlier one is cut).
pub struct LinkState {
    mode: tokio::sync::watch::Sender<(Mode, u64)>,
}

impl Default for LinkState {
    fn default() -> Self {
        LinkState {
            mode: tokio::sync::watch::Sender::new((Mode::Up, 0)),
        }
    }
}

impl LinkState {
    /// The link goes away, or comes back (the connections from before it went are cut).
    pub fn set(&self, mode: Mode) {
        self.mode.send_modify(|(m, epoch)| {
            if mode == Mode::Up && *m != Mode::Up {
                *epoch += 1;
            }
            *m = mode;
        });
    }

    fn epoch(&self) -> u64 {
        self.mode.borrow().1
    }

    /// Returns once a connection opened in `epoch` is to be cut: the link refuses, or it went
    /// away and came back since.
    async fn cut(&self, epoch: u64) {
        let mut rx = self.mode.subscribe();
        loop {
            let (mode, now) = *rx.borrow_and_update();
            if mode == Mode::Refusing || now != epoch {
                return;
            }
            if rx.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }

    /// Waits while the link is gone; false when the connection opened in `epoch` must be cut
    /// (the link went away since, or is refusing).
    async fn pass(&self, epoch: u64) -> bool {
        let mut rx = self.mode.subscribe();
        loop {
            let (mode, now) = *rx.borrow_and_update();
            match mode {
                Mode::Up => return now == epoch,
                Mode::Refusing => return false,
                Mode::Silent => {}
            }
            if rx.changed().await.is_err() {
                return false;
            }
        }
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
    mut listener: TcpListener,
    upstream: SocketAddr,
    spec: Spec,
    counters: Arc<Counters>,
    state: Arc<LinkState>,
) {
    let bottleneck = Arc::new(Bottleneck {
        rate: spec.up_rate,
        free_at: Mutex::new(Instant::now()),
    });
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut changes = state.mode.subscribe();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a.ok(),
            _ = changes.changed() => None,
        };
        let mode = changes.borrow_and_update().0;
        if mode != Mode::Up {
            // Gone: the port closes (refusing), or a listener that never accepts takes its place
            // (silent: once its one-entry queue is full, the kernel drops new SYNs unanswered, so
            // connecting times out as on a dead network). Back: a fresh listener, where it was.
            drop(listener);
            let mut silent = None;
            while changes.borrow_and_update().0 != Mode::Up {
                if changes.borrow().0 == Mode::Silent && silent.is_none() {
                    silent = unanswering(addr);
                }
                if changes.changed().await.is_err() {
                    return;
                }
            }
            drop(silent);
            listener = loop {
                match TcpListener::bind(addr).await {
                    Ok(l) => break l,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            };
            continue;
        }
        let Some((client, _)) = accepted else {
            continue;
        };
        counters.connections.fetch_add(1, Ordering::Relaxed);
        let (bottleneck, counters) = (bottleneck.clone(), counters.clone());
        let epoch = state.epoch();
        let state = state.clone();
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
                state: state.clone(),
                epoch,
            };
            let down = Pump {
                open,
                one_way: spec.one_way,
                chunk: 64 << 10,
                bottleneck: None,
                counter: counters,
                state: state.clone(),
                epoch,
            };
            let a = tokio::spawn(deliver(server_w, up_rx, state.clone(), epoch));
            let b = tokio::spawn(deliver(client_w, down_rx, state.clone(), epoch));
            let c = tokio::spawn(down.read(server_r, down_tx));
            let aborts = [a.abort_handle(), b.abort_handle(), c.abort_handle()];
            tokio::select! {
                _ = async {
                    up.read(client_r, up_tx).await;
                    let _ = tokio::join!(a, b, c);
                } => {}
                // The link went away and came back, or refuses: both sockets close.
                () = state.cut(epoch) => {
                    for h in aborts {
                        h.abort();
                    }
                }
            }
        });
    }
}

/// A listener on `addr` with a queue of one that nobody accepts from, its queue filled by
/// connections of its own, so that the kernel leaves every client's SYN unanswered.
fn unanswering(addr: SocketAddr) -> Option<(TcpListener, Vec<std::net::TcpStream>)> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .ok()?;
    socket.set_reuseaddr(true).ok()?;
    socket.bind(addr).ok()?;
    let listener = socket.listen(1).ok()?;
    // The queue holds backlog + 1 handshakes: these take them, later ones time out.
    let fillers = (0..3)
        .filter_map(|_| std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)).ok())
        .collect();
    Some((listener, fillers))
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
    state: Arc<LinkState>,
    /// How many times the link had come back when this connection opened.
    epoch: u64,
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
            // Gone: what was read is lost, and the connection with it once the link is back.
            if !self.state.pass(self.epoch).await {
                break;
            }
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
async fn deliver(
    mut to: OwnedWriteHalf,
    mut from: mpsc::Receiver<(Instant, Bytes)>,
    state: Arc<LinkState>,
    epoch: u64,
) {
    while let Some((at, chunk)) = from.recv().await {
        tokio::time::sleep_until(at).await;
        // In flight when the link went: dropped, and the connection cut.
        if !state.pass(epoch).await {
            return;
        }
        if to.write_all(&chunk).await.is_err() {
            return;
        }
    }
    let _ = to.shutdown().await;
}
