//! `wixup serve --profile wix` behind the link: started, asked for its counters and upload
//! tokens straight (not over the link), killed on drop.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::R;

/// `wixup serve --profile wix` behind the link; killed on drop.
pub struct Sandbox {
    child: Child,
    pub addr: std::net::SocketAddr,
    /// `http`, or `https` under `--tls`.
    scheme: &'static str,
    /// Under `--tls`: the CA the sandbox made, which clients trust.
    pub ca_file: Option<std::path::PathBuf>,
    /// Trusts `ca_file`.
    pub http: reqwest::Client,
}

impl Sandbox {
    /// `rate_limit`: (calls, seconds) for `--rate-limit`.
    pub fn start(
        wixup: &Path,
        data: &Path,
        public: &str,
        rate_limit: Option<(u64, u64)>,
        tls: bool,
    ) -> R<Self> {
        let mut cmd = Command::new(wixup);
        cmd.args([
            "serve",
            "--profile",
            "wix",
            "--addr",
            "127.0.0.1:0",
            "--public-url",
            public,
        ]);
        if tls {
            cmd.arg("--tls");
        }
        if let Some((n, secs)) = rate_limit {
            cmd.arg("--rate-limit")
                .arg(format!("{}/min", n * 60 / secs.max(1)));
        }
        let mut child = cmd
            .arg("--data-dir")
            .arg(data)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        let mut line = String::new();
        let read =
            std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line);
        let scheme = if tls { "https" } else { "http" };
        let addr = read.ok().and_then(|_| {
            line.trim()
                .strip_prefix(&format!("listening on {scheme}://"))?
                .parse()
                .ok()
        });
        let ca_file = tls.then(|| wixup::sandbox::ca_file(data));
        let mut http = reqwest::Client::builder().no_proxy();
        if let Some(ca) = &ca_file {
            let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string())?;
            http = http.tls_certs_merge(certs);
        }
        let http = http.build().map_err(|e| e.to_string())?;
        match addr {
            Some(addr) => Ok(Self {
                child,
                addr,
                scheme,
                ca_file,
                http,
            }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "the sandbox said {line:?}, not `listening on {scheme}://ADDR`"
                ))
            }
        }
    }

    /// `GET /_sandbox/stats`, straight to the sandbox (not over the link).
    pub async fn stats(&self) -> R<serde_json::Value> {
        let url = format!("{}://{}/_sandbox/stats", self.scheme, self.addr);
        let r = self
            .http
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        r.and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("sandbox stats: {e}"))?
            .json()
            .await
            .map_err(|e| format!("sandbox stats: {e}"))
    }

    /// An upload token for the raw PATCH (asked straight from the sandbox, untimed).
    pub async fn token(&self, size: u64) -> R<String> {
        let url = format!(
            "{}://{}/site-media/v1/files/generate-resumable-upload-url",
            self.scheme, self.addr
        );
        let body = serde_json::json!({
            "mimeType": "application/octet-stream",
            "fileName": "whole.bin",
            "sizeInBytes": size.to_string(),
            "uploadProtocol": "TUS",
        });
        let v: serde_json::Value = self
            .http
            .post(url)
            .header("Authorization", wixup::sandbox::DEFAULT_API_KEY)
            .header("wix-site-id", wixup::sandbox::DEFAULT_SITE_ID)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("upload token: {e}"))?
            .json()
            .await
            .map_err(|e| format!("upload token: {e}"))?;
        v["uploadToken"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "no uploadToken".into())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
