//! The contenders, each its own process under GNU time (wall time, CPU, peak RSS, and the
//! process's file-system output blocks): `wixup upload`, the Wix docs' flow with tus-js-client,
//! and one raw PATCH with curl. Every run is checked on the sandbox's counters before it counts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::R;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Contender {
    /// `wixup upload --json DIR` with default settings.
    Wixup,
    /// `tests/interop/wix-docs-flow.mjs`: generate, tus-js-client, finalize; 3 files at a time.
    TusJs,
    /// One tus creation, then one PATCH with every byte (curl).
    RawPatch,
    /// `wixup --http 1.1 upload --json DIR` (`--tls`: HTTP/1.1 for everything).
    WixupH1,
    /// `wixup --http 2 upload --json DIR` (`--tls`: HTTP/2 for everything).
    WixupH2,
}

impl Contender {
    pub const ALL: [Contender; 3] = [Contender::Wixup, Contender::TusJs, Contender::RawPatch];
    /// Over TLS (`--tls`): Wixup's default beside HTTP/1.1 and HTTP/2 for everything.
    pub const TLS: [Contender; 3] = [Contender::Wixup, Contender::WixupH1, Contender::WixupH2];

    pub fn label(self) -> &'static str {
        match self {
            Contender::Wixup => "wixup upload (defaults)",
            Contender::TusJs => "Wix docs' flow, tus-js-client, 3 at a time",
            Contender::RawPatch => "raw single PATCH (curl)",
            Contender::WixupH1 => "wixup upload --http 1.1",
            Contender::WixupH2 => "wixup upload --http 2",
        }
    }
}

/// One run of one contender.
#[derive(Clone, Debug)]
pub struct Sample {
    pub secs: f64,
    pub cpu_secs: f64,
    pub rss_kib: u64,
    /// Bytes the process wrote to the file system (`ru_oublock` × 512, page-granular: counted
    /// when a page is dirtied). Wixup's data dir is on a disk, so this is its journal, history and
    /// settings; tmpfs would count nothing.
    pub fs_written: u64,
    /// Sandbox counters after minus before: restRequests, patchRequests, finalizeRequests,
    /// uploadsCreated, plainPuts, rateLimited.
    pub requests: [u64; 6],
    /// The link's counters after minus before: connections, uplink bytes, downlink bytes.
    pub link: [u64; 3],
    /// CPU seconds the link (this process) spent during the run.
    pub link_cpu: f64,
    /// The raw PATCH request alone (curl's `time_total`: connect, body, answer).
    pub patch_secs: Option<f64>,
}

/// What a run needs to know.
pub struct Ctx<'a> {
    pub wixup: &'a Path,
    pub interop: &'a Path,
    /// The link's address, what clients get as API base.
    pub proxy: &'a str,
    /// Where this run may put its data dir and GNU time's output.
    pub scratch: &'a Path,
    /// The folder of files (Wixup, tus-js) and the same bytes in one file (raw PATCH).
    pub dir: &'a Path,
    pub whole: &'a Path,
    pub timeout: Duration,
    /// `--limit-rate` for Wixup, bytes a second.
    pub limit_rate: Option<u64>,
    /// Under `--tls`: the sandbox's CA, given to Wixup as `WIXUP_CA_FILE`.
    pub ca_file: Option<&'a Path>,
}

/// The command for a contender, and how many output lines (files) it must print.
pub fn command(c: Contender, ctx: &Ctx, token: Option<&str>) -> R<Command> {
    let mut cmd;
    match c {
        Contender::Wixup | Contender::WixupH1 | Contender::WixupH2 => {
            cmd = Command::new(ctx.wixup);
            if let Some(rate) = ctx.limit_rate {
                cmd.args(["--limit-rate", &rate.to_string()]);
            }
            match c {
                Contender::WixupH1 => cmd.args(["--http", "1.1"]),
                Contender::WixupH2 => cmd.args(["--http", "2"]),
                _ => cmd.env_remove("WIXUP_HTTP"),
            };
            match ctx.ca_file {
                Some(ca) => cmd.env("WIXUP_CA_FILE", ca),
                None => cmd.env_remove("WIXUP_CA_FILE"),
            };
            cmd.args(["upload", "--json"])
                .arg(ctx.dir)
                .env("WIXUP_API_BASE", ctx.proxy)
                .env("WIXUP_DATA_DIR", ctx.scratch.join("wixup-data"))
                .env_remove("WIX_API_KEY")
                .env_remove("WIX_SITE_ID")
                .env_remove("RUST_LOG");
        }
        Contender::TusJs => {
            cmd = Command::new("node");
            cmd.arg(ctx.interop.join("wix-docs-flow.mjs"))
                .arg(ctx.proxy)
                .arg(ctx.dir)
                .env("WIX_API_KEY", wixup::sandbox::DEFAULT_API_KEY)
                .env("WIX_SITE_ID", wixup::sandbox::DEFAULT_SITE_ID);
        }
        Contender::RawPatch => {
            let token = token.ok_or("the raw PATCH needs an upload token")?;
            let size = std::fs::metadata(ctx.whole)
                .map_err(|e| e.to_string())?
                .len();
            let meta = [
                ("filename", "whole.bin"),
                ("contentType", "application/octet-stream"),
                ("token", token),
            ]
            .iter()
            .map(|(k, v)| format!("{k} {}", b64(v)))
            .collect::<Vec<_>>()
            .join(",");
            // Creation and one PATCH with every byte, both timed: two curls. `Location` may be
            // absolute, origin-relative, or relative to the creation URL (the wix profile varies it).
            let script = r#"set -e
loc=$(curl -sS --fail -D - -o /dev/null -X POST "$ENDPOINT" -H 'Tus-Resumable: 1.0.0' \
  -H "Upload-Length: $SIZE" -H "Upload-Metadata: $META" | tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
case "$loc" in
  http://*|https://*) ;;
  /*) loc="$ORIGIN$loc" ;;
  *) loc="${ENDPOINT%/*}/$loc" ;;
esac
curl -sS --fail -X PATCH -T "$FILE" -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' \
  -H 'Content-Type: application/offset+octet-stream' -H 'Expect:' -o /dev/null \
  -w 'patch %{time_total}\n' "$loc""#;
            cmd = Command::new("sh");
            cmd.arg("-c")
                .arg(script)
                .env("ENDPOINT", format!("{}/upload/tus", ctx.proxy))
                .env("ORIGIN", ctx.proxy)
                .env("SIZE", size.to_string())
                .env("META", meta)
                .env("FILE", ctx.whole);
        }
    }
    Ok(cmd)
}

/// Runs `cmd` under GNU time in its own process group, killing the group at `timeout`.
/// Returns the sample's timing fields and stdout.
pub fn timed(cmd: Command, scratch: &Path, timeout: Duration) -> R<(Sample, String)> {
    use std::os::unix::process::CommandExt as _;
    let stats = scratch.join("time.txt");
    let out_path = scratch.join("stdout.txt");
    let err_path = scratch.join("stderr.txt");
    let file = |p: &PathBuf| std::fs::File::create(p).map_err(|e| e.to_string());
    let mut t = Command::new("/usr/bin/time");
    t.args(["-f", "%e %U %S %M %O", "-o"])
        .arg(&stats)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?)
        .process_group(0);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    let mut child = t
        .spawn()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break s,
            None if Instant::now() >= deadline => {
                // The group: GNU time and the contender under it (and its children).
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
                return Err(format!(
                    "{:?} did not finish within {timeout:?}",
                    cmd.get_program()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    if !status.success() {
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        let tail: String = stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
        return Err(format!(
            "{:?} failed ({status}); stderr ends: {tail}",
            cmd.get_program()
        ));
    }
    let text = std::fs::read_to_string(&stats).map_err(|e| e.to_string())?;
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if f.len() < 5 {
        return Err(format!("cannot read GNU time output {text:?}"));
    }
    Ok((
        Sample {
            secs: f[0].max(0.01),
            cpu_secs: f[1] + f[2],
            rss_kib: f[3] as u64,
            fs_written: f[4] as u64 * 512,
            requests: [0; 6],
            link: [0; 3],
            link_cpu: 0.0,
            patch_secs: stdout
                .lines()
                .find_map(|l| l.strip_prefix("patch ")?.trim().parse().ok()),
        },
        stdout,
    ))
}

/// Checks what a client printed: one JSON line per file, each with an id and no error.
pub fn check_lines(c: Contender, stdout: &str, files: usize) -> R<()> {
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{c:?}: output is not JSON lines: {e}"))?;
    if lines.len() != files {
        return Err(format!(
            "{c:?}: {} result lines for {files} files",
            lines.len()
        ));
    }
    match lines
        .iter()
        .find(|l| !l["error"].is_null() || l["id"].as_str().is_none_or(str::is_empty))
    {
        Some(bad) => Err(format!("{c:?}: a file did not upload: {bad}")),
        None => Ok(()),
    }
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}
