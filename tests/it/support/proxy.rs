//! Proxies on loopback for the proxy tests: a real forward proxy (absolute-form requests for
//! http, CONNECT tunnels for https) that counts what goes through it and may ask for a user and
//! password, and a dead one that accepts connections and never answers.
//!
//! The forward proxy resolves names itself, as a real one does: `wix.test` (the name the tests
//! give the sandbox) is this computer, so the client never needs to resolve it, and every byte
//! stays on loopback.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The name the proxy tests give the sandbox: not loopback by its name, so requests to it go
/// through a proxy; the forward proxy takes it to 127.0.0.1.
pub const SITE_HOST: &str = "wix.test";

#[derive(Default)]
pub struct Counts {
    /// Requests forwarded (absolute-form) and tunnels opened (CONNECT).
    pub forwarded: AtomicU64,
    pub tunnels: AtomicU64,
    /// Bytes from the client to the server, through the proxy.
    pub bytes_up: AtomicU64,
    /// Requests refused with 407 (no or wrong credentials).
    pub refused: AtomicU64,
}

pub struct ForwardProxy {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ForwardProxy {
    /// A forward proxy; with `credentials`, every request must carry them (`Basic`).
    pub async fn start(credentials: Option<(&str, &str)>) -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let counts = Arc::new(Counts::default());
        let wanted = credentials.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        let c = counts.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (c, wanted) = (c.clone(), wanted.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &c, wanted.as_deref()).await;
                });
            }
        });
        ForwardProxy { addr, counts, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn forwarded(&self) -> u64 {
        self.counts.forwarded.load(Ordering::SeqCst) + self.counts.tunnels.load(Ordering::SeqCst)
    }
}

/// One client connection: one request forwarded (with `Connection: close`), or one tunnel.
async fn serve(
    mut client: TcpStream,
    counts: &Counts,
    wanted: Option<&str>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let rest = buf[head_end..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if let Some(wanted) = wanted
        && header("Proxy-Authorization") != Some(wanted)
    {
        counts.refused.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    let mut parts = request_line.split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(resolve(target)).await?;
        counts.tunnels.fetch_add(1, Ordering::SeqCst);
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        upstream.write_all(&rest).await?;
        let (up, _) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        counts
            .bytes_up
            .fetch_add(up + rest.len() as u64, Ordering::SeqCst);
        return Ok(());
    }
    // Absolute-form: http://host:port/path.
    let Some(after) = target.strip_prefix("http://") else {
        client
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let (authority, path) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    let mut upstream = TcpStream::connect(resolve(authority)).await?;
    counts.forwarded.fetch_add(1, Ordering::SeqCst);
    let mut out = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        let k_low = k.to_ascii_lowercase();
        if matches!(
            k_low.as_str(),
            "proxy-authorization" | "proxy-connection" | "connection" | "keep-alive"
        ) {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes()).await?;
    upstream.write_all(&rest).await?;
    let (up, _) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    counts
        .bytes_up
        .fetch_add(up + rest.len() as u64, Ordering::SeqCst);
    Ok(())
}

/// `host:port` as the proxy connects to it: [`SITE_HOST`] is this computer.
fn resolve(authority: &str) -> String {
    match authority.rsplit_once(':') {
        Some((host, port)) if host.eq_ignore_ascii_case(SITE_HOST) => format!("127.0.0.1:{port}"),
        Some(_) => authority.to_string(),
        None => format!("{authority}:80"),
    }
}

/// A proxy that accepts connections and never answers, as one whose machine is gone but whose
/// port still takes connections; counts them.
pub struct DeadProxy {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DeadProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DeadProxy {
    pub async fn start() -> DeadProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let connections = Arc::new(AtomicU64::new(0));
        let n = connections.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                n.fetch_add(1, Ordering::SeqCst);
                held.push(s);
            }
        });
        DeadProxy {
            addr,
            connections,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
