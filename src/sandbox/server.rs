//! The sandbox's server loop: each accepted connection runs in its own task under hyper with a
//! header-read timeout (which also closes HTTP/1.1 keep-alive connections left idle; an HTTP/2
//! one is pinged, and closed when its client stops answering), and shutdown is
//! graceful but bounded: stop accepting, let requests in flight finish for a while, then drop
//! whatever is left, so a client that never finishes its headers cannot hold the process open.
//!
//! Plain connections speak HTTP/1.1. Under `--tls` the handshake (bounded by the header
//! timeout) settles the protocol by ALPN: HTTP/2 when the client offers it, as Wix's servers
//! do, else HTTP/1.1.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::Listener as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use super::killable::KillableListener;

/// How long the server waits for clients.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    /// For a request's headers, counted from when the connection is ready for them: a new
    /// connection, or a kept-alive one after its last answer.
    pub header: Duration,
    /// For requests still running at shutdown.
    pub shutdown_grace: Duration,
}

pub(super) async fn run(
    listener: TcpListener,
    router: Router,
    timeouts: Timeouts,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut listener = KillableListener(listener);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .keep_alive(true);
    // HTTP/2 has no idle timeout in hyper: a connection stays until its client closes it, and
    // one whose client went away is found by unanswered pings.
    let mut h2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    h2.timer(TokioTimer::new())
        .keep_alive_interval(Some(timeouts.header))
        .keep_alive_timeout(timeouts.header);
    let graceful = GracefulShutdown::new();
    let mut conns = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            (stream, _) = listener.accept() => {
                let conn = stream.handle();
                let tower = TowerToHyperService::new(router.clone());
                let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                    // Handlers reach the connection's kill switch through this (fault rules).
                    req.extensions_mut().insert(ConnectInfo(conn.clone()));
                    hyper::service::Service::call(&tower, req)
                });
                match &tls {
                    None => {
                        let serving =
                            graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                        conns.spawn(async move {
                            if let Err(e) = serving.await {
                                tracing::debug!(error = %e, "sandbox: connection ended with an error");
                            }
                        });
                    }
                    Some(acceptor) => {
                        let handshake = acceptor.accept(stream);
                        let (http, h2, watcher) = (http.clone(), h2.clone(), graceful.watcher());
                        let limit = timeouts.header;
                        conns.spawn(async move {
                            let stream = match tokio::time::timeout(limit, handshake).await {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::debug!(error = %e, "sandbox: TLS handshake failed");
                                    return;
                                }
                                Err(_) => return,
                            };
                            let alpn_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                            let io = TokioIo::new(stream);
                            let ended = if alpn_h2 {
                                watcher.watch(h2.serve_connection(io, service)).await
                            } else {
                                watcher.watch(http.serve_connection(io, service)).await
                            };
                            if let Err(e) = ended {
                                tracing::debug!(error = %e, "sandbox: connection ended with an error");
                            }
                        });
                    }
                }
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    if tokio::time::timeout(timeouts.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!(
            connections = conns.len(),
            "sandbox: dropping connections still open after the shutdown grace period"
        );
    }
    conns.shutdown().await;
    Ok(())
}
