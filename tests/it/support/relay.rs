//! A link that can go away: a TCP relay on loopback in front of the sandbox. Down, its port is
//! closed (new connections are refused, as with Wi-Fi off) and every connection through it is
//! cut; up again, it listens on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Relay {
    pub addr: SocketAddr,
    target: SocketAddr,
    /// The accept loop and the connections, while up.
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    /// A relay to `target`, up.
    pub async fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let relay = Relay {
            addr: listener.local_addr().expect("addr"),
            target,
            tasks: Arc::default(),
        };
        relay.serve(listener);
        relay
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn serve(&self, listener: TcpListener) {
        let (tasks, target) = (self.tasks.clone(), self.target);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(conn);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// The link goes away: the port closes and every connection through it is cut (all done
    /// when this returns).
    pub async fn down(&self) {
        let tasks: Vec<_> = self.tasks.lock().unwrap().drain(..).collect();
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
    }

    /// The link is back, on the same port.
    pub async fn up(&self) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("bind the same port again");
        self.serve(listener);
    }
}
