//! What the benchmarks that run whole commands share (`upload`, `scale`): where their files go,
//! and a server process that says `listening on URL` first.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// tmpfs by default (`WIXUP_BENCH_DIR` names another place): disk writeback would otherwise
/// stall later runs at random, and the numbers would measure the page cache.
pub fn bench_dir() -> PathBuf {
    std::env::var_os("WIXUP_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let shm = PathBuf::from("/dev/shm");
            if shm.is_dir() {
                shm
            } else {
                std::env::temp_dir()
            }
        })
}

/// A server started from `cmd`, its URL read from its first line; killed on drop.
pub struct Spawned {
    child: Child,
    pub url: String,
}

impl Spawned {
    pub fn start(cmd: &mut Command) -> Result<Self, String> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
        let mut line = String::new();
        let read = child
            .stdout
            .take()
            .ok_or_else(|| "no stdout".to_string())
            .and_then(|out| {
                std::io::BufReader::new(out)
                    .read_line(&mut line)
                    .map_err(|e| e.to_string())
            });
        match read.map(|_| line.trim().strip_prefix("listening on ")) {
            Ok(Some(url)) => Ok(Self {
                url: url.to_string(),
                child,
            }),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                Err(match other {
                    Err(e) => e,
                    _ => format!("unexpected first line {line:?}"),
                })
            }
        }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop();
    }
}
