//! Upload benchmark: Wixup's tus client (default settings) against two raw single streamed PATCHes
//! (after a creation POST; both timed, as every client has to create the upload) and the official
//! tus-js-client, through the sandbox and through `@tus/server` (FileStore), in one run,
//! alternating. The raw PATCHes are `curl -T` and the same request on Wixup's own HTTP stack
//! (reqwest on tokio, fed 256 KiB blocks by a reading thread): the first includes the HTTP stack
//! in the comparison, the second isolates what the tus client itself costs. Each client is its
//! own process, measured by `/usr/bin/time` (wall time, user+sys CPU, peak RSS). Prints medians
//! and the ratios the targets are stated in; it asserts nothing (timings belong in numbers, not in
//! pass/fail).
//!
//! ```text
//! cargo bench --bench upload -- [--size-mib 1024] [--rounds 3] [--sparse-gib 4]
//! ```
//! Needs `npm ci` in tests/interop, curl and GNU time. Loopback only. Files and server storage
//! live in `/dev/shm` (tmpfs) unless `WIXUP_BENCH_DIR` names another place; that needs about
//! 2 GiB plus the sparse file's size.

#[path = "common.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use common::Spawned;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Server {
    Sandbox,
    TusNode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Client {
    /// Default settings (checksums when the server offers them).
    Wixup,
    /// The same with `--no-checksum`: the streaming path alone.
    WixupNoChecksum,
    /// `curl -T`: one PATCH from a blocking, single-threaded C client.
    RawPatch,
    /// One streamed PATCH with reqwest, Wixup's HTTP stack (this binary, `--raw-reqwest-patch`).
    RawReqwest,
    TusJs,
}

struct Sample {
    secs: f64,
    cpu_secs: f64,
    rss_kib: u64,
}

/// The upload benchmark: `cargo bench --bench upload -- [--size-mib N] [--rounds N] [--sparse-gib N]`.
#[derive(clap::Parser)]
struct Args {
    /// Size of the file every client uploads, in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// Rounds per (server, client) pair; the median is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Size of the sparse file of the memory check, in GiB.
    #[arg(long, default_value_t = 4)]
    sparse_gib: u64,
    /// Runs one streamed PATCH with reqwest and prints the upload URL (the baseline client, run
    /// by the benchmark itself as a child process).
    #[arg(long, num_args = 3, value_names = ["ENDPOINT", "FILE", "METADATA"])]
    raw_reqwest_patch: Option<Vec<String>>,
    /// The `wixup` binary to measure (default: the one this `cargo bench` built), so two builds
    /// can be compared by the same harness on the same machine.
    #[arg(long)]
    wixup: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() -> ExitCode {
    let args = <Args as clap::Parser>::parse();
    if let Some([endpoint, file, metadata]) = args.raw_reqwest_patch.as_deref() {
        return match raw_reqwest_patch(endpoint, Path::new(file), metadata) {
            Ok(url) => {
                println!("{url}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("raw reqwest PATCH: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark error: {e}");
            ExitCode::FAILURE
        }
    }
}

type R<T> = Result<T, String>;

fn run(args: Args) -> R<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let interop = root.join("tests/interop");
    if !interop.join("node_modules").is_dir() {
        return Err(format!("run `npm ci` in {} first", interop.display()));
    }
    let base = common::bench_dir();
    let dir = tempfile::tempdir_in(&base).map_err(|e| e.to_string())?;
    let size = args.size_mib << 20;
    let data = dir.path().join("bench.bin");
    write_random(&data, size)?;
    let sparse = dir.path().join("sparse.bin");
    std::fs::File::create(&sparse)
        .and_then(|f| f.set_len(args.sparse_gib << 30))
        .map_err(|e| e.to_string())?;

    let wixup = args
        .wixup
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wixup")));
    // `tus-full`: the rows with and without checksums measure what they say (the `wix`
    // profile offers none).
    let mut sandbox = Spawned::start(
        Command::new(&wixup)
            .args([
                "serve",
                "--profile",
                "tus-full",
                "--addr",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir.path().join("sandbox")),
    )?;
    let sandbox_base = sandbox.url.clone();
    let sandbox_endpoint = format!("{sandbox_base}/upload/tus");
    let mut node = Spawned::start(
        Command::new("node")
            .arg(interop.join("tus-server.mjs"))
            .arg(dir.path().join("node-store")),
    )?;
    let node_endpoint = node.url.clone();

    println!(
        "Upload benchmark: {} MiB random file, {} rounds, loopback, alternating contenders",
        args.size_mib, args.rounds
    );
    println!("files and server storage in {}", base.display());
    let mut samples: BTreeMap<(Server, Client), Vec<Sample>> = BTreeMap::new();
    let clients = [
        Client::Wixup,
        Client::WixupNoChecksum,
        Client::RawPatch,
        Client::RawReqwest,
        Client::TusJs,
    ];
    for round in 0..args.rounds {
        for server in [Server::Sandbox, Server::TusNode] {
            for k in 0..clients.len() {
                let client = clients[(k + round) % clients.len()];
                let endpoint = match server {
                    Server::Sandbox => &sandbox_endpoint,
                    Server::TusNode => &node_endpoint,
                };
                let token = match server {
                    Server::Sandbox => Some(sandbox_token(&sandbox_base, size)?),
                    Server::TusNode => None,
                };
                let (s, url) = upload(
                    client,
                    endpoint,
                    &data,
                    size,
                    token.as_deref(),
                    &wixup,
                    &interop,
                    dir.path(),
                )?;
                verify_and_delete(&url, size)?;
                eprintln!(
                    "  round {round} {server:?} {client:?}: {:.0} MiB/s, {:.2} CPU-s, {:.1} MiB RSS",
                    size as f64 / (1 << 20) as f64 / s.secs,
                    s.cpu_secs,
                    s.rss_kib as f64 / 1024.0
                );
                samples.entry((server, client)).or_default().push(s);
            }
        }
    }
    // Memory is flat in the file size: the same client on a much larger (sparse) file.
    let token = sandbox_token(&sandbox_base, args.sparse_gib << 30)?;
    let (big, url) = upload(
        Client::Wixup,
        &sandbox_endpoint,
        &sparse,
        args.sparse_gib << 30,
        Some(&token),
        &wixup,
        &interop,
        dir.path(),
    )?;
    verify_and_delete(&url, args.sparse_gib << 30)?;
    sandbox.stop();
    node.stop();
    report(&samples, &big, &args);
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn report(samples: &BTreeMap<(Server, Client), Vec<Sample>>, big: &Sample, args: &Args) {
    let mib = args.size_mib as f64;
    let mut med: BTreeMap<(Server, Client), (f64, f64, f64)> = BTreeMap::new();
    println!();
    println!("| server | client | median MiB/s | median client CPU-s | median peak RSS MiB |");
    println!("| --- | --- | --- | --- | --- |");
    for ((server, client), v) in samples {
        let mut tp: Vec<f64> = v.iter().map(|s| mib / s.secs).collect();
        let mut cpu: Vec<f64> = v.iter().map(|s| s.cpu_secs).collect();
        let mut rss: Vec<f64> = v.iter().map(|s| s.rss_kib as f64 / 1024.0).collect();
        let m = (median(&mut tp), median(&mut cpu), median(&mut rss));
        println!(
            "| {server:?} | {client:?} | {:.0} | {:.2} | {:.1} |",
            m.0, m.1, m.2
        );
        med.insert((*server, *client), m);
    }
    println!();
    let get = |s, c| {
        med.get(&(s, c))
            .copied()
            .unwrap_or((f64::NAN, f64::NAN, f64::NAN))
    };
    for server in [Server::Sandbox, Server::TusNode] {
        let (w, js) = (get(server, Client::Wixup), get(server, Client::TusJs));
        let of_medians = |client, base| get(server, client).0 / get(server, base).0;
        // Each round runs every contender within seconds of the others, so a per-round ratio
        // cancels the machine's slow drift (the servers and tmpfs get slower or faster over
        // minutes); the median of those ratios is the verdict, the ratio of medians is shown too.
        let paired = |client, base| -> f64 {
            let (Some(a), Some(b)) = (samples.get(&(server, client)), samples.get(&(server, base)))
            else {
                return f64::NAN;
            };
            let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| y.secs / x.secs).collect();
            median(&mut r)
        };
        // The target's baseline is the raw PATCH on the same HTTP stack: the ratio then measures
        // what the tus client adds (creation, chunking, checksums, read-ahead, progress). The
        // curl ratio also includes reqwest/tokio against a blocking C client, shown beside it.
        let tp = paired(Client::Wixup, Client::RawReqwest);
        println!(
            "{server:?}: Wixup/raw PATCH (reqwest, same HTTP stack) throughput = {tp:.2}x, median of per-round ratios (ratio of medians {:.2}x) (target >= 0.95) {}",
            of_medians(Client::Wixup, Client::RawReqwest),
            mark(tp >= 0.95)
        );
        println!(
            "{server:?}: Wixup/raw PATCH (curl -T) throughput = {:.2}x per round ({:.2}x of medians); raw reqwest/raw curl = {:.2}x per round",
            paired(Client::Wixup, Client::RawPatch),
            of_medians(Client::Wixup, Client::RawPatch),
            paired(Client::RawReqwest, Client::RawPatch),
        );
        let cpu = w.1 / js.1;
        println!(
            "{server:?}: Wixup/tus-js-client CPU = {cpu:.2}x (target <= 0.50) {}",
            mark(cpu <= 0.5)
        );
        println!(
            "{server:?}: Wixup peak RSS = {:.1} MiB (target < 40) {}",
            w.2,
            mark(w.2 < 40.0)
        );
        println!(
            "{server:?}: without checksums, Wixup/raw PATCH throughput = {:.2}x (reqwest) and {:.2}x (curl) per round, CPU {:.2} s",
            paired(Client::WixupNoChecksum, Client::RawReqwest),
            paired(Client::WixupNoChecksum, Client::RawPatch),
            get(server, Client::WixupNoChecksum).1
        );
    }
    let raw_sandbox = get(Server::Sandbox, Client::RawPatch).0;
    let raw_node = get(Server::TusNode, Client::RawPatch).0;
    println!(
        "raw PATCH: sandbox {raw_sandbox:.0} MiB/s vs @tus/server {raw_node:.0} MiB/s = {:.2}x (sandbox should beat ~500 MiB/s) {}",
        raw_sandbox / raw_node,
        mark(raw_sandbox > 500.0)
    );
    let big_rss = big.rss_kib as f64 / 1024.0;
    let small_rss = get(Server::Sandbox, Client::Wixup).2;
    println!(
        "Wixup peak RSS: {} MiB file {small_rss:.1} MiB, {} GiB sparse file {big_rss:.1} MiB ({:.0} MiB/s) = {:.2}x (flat: about 1x) {}",
        args.size_mib,
        args.sparse_gib,
        (args.sparse_gib << 10) as f64 / big.secs,
        big_rss / small_rss,
        mark(big_rss < 40.0 && big_rss / small_rss < 1.25)
    );
}

fn mark(ok: bool) -> &'static str {
    if ok { "[met]" } else { "[MISSED]" }
}

#[allow(clippy::too_many_arguments)]
fn upload(
    client: Client,
    endpoint: &str,
    file: &Path,
    size: u64,
    token: Option<&str>,
    wixup: &Path,
    interop: &Path,
    dir: &Path,
) -> R<(Sample, String)> {
    let mut meta = vec![
        ("filename", "bench.bin".to_string()),
        ("contentType", "application/octet-stream".to_string()),
    ];
    if let Some(t) = token {
        meta.push(("token", t.to_string()));
    }
    // The `Upload-Metadata` header the raw PATCHes send.
    let metadata = meta
        .iter()
        .map(|(k, v)| format!("{k} {}", b64(v)))
        .collect::<Vec<_>>()
        .join(",");
    let mut cmd;
    match client {
        Client::Wixup | Client::WixupNoChecksum => {
            cmd = Command::new(wixup);
            cmd.args(["tus-upload", "--endpoint", endpoint]);
            if client == Client::WixupNoChecksum {
                cmd.arg("--no-checksum");
            }
            for (k, v) in &meta {
                cmd.arg("--metadata").arg(format!("{k}={v}"));
            }
            cmd.arg(file);
        }
        Client::TusJs => {
            cmd = Command::new("node");
            cmd.arg(interop.join("tus-js-upload.mjs"))
                .arg(endpoint)
                .arg(file);
            for (k, v) in &meta {
                cmd.arg(format!("{k}={v}"));
            }
        }
        Client::RawReqwest => {
            cmd = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
            cmd.arg("--raw-reqwest-patch")
                .arg(endpoint)
                .arg(file)
                .arg(&metadata);
        }
        Client::RawPatch => {
            // Creation and one streamed PATCH, both timed, as every client has to create the
            // upload too: a shell running two curls.
            let script = r#"set -e
loc=$(curl -sS --fail -D - -o /dev/null -X POST "$ENDPOINT" -H 'Tus-Resumable: 1.0.0' \
  -H "Upload-Length: $SIZE" -H "Upload-Metadata: $META" | tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
case "$loc" in /*) loc="$ORIGIN$loc" ;; esac
curl -sS --fail -X PATCH -T "$FILE" -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' \
  -H 'Content-Type: application/offset+octet-stream' -H 'Expect:' -o /dev/null "$loc"
echo "$loc""#;
            let origin = reqwest::Url::parse(endpoint)
                .map(|u| u.origin().ascii_serialization())
                .map_err(|e| e.to_string())?;
            cmd = Command::new("sh");
            cmd.arg("-c")
                .arg(script)
                .env("ENDPOINT", endpoint)
                .env("ORIGIN", origin)
                .env("SIZE", size.to_string())
                .env("META", &metadata)
                .env("FILE", file);
        }
    }
    let (sample, stdout) = timed(cmd, dir)?;
    let url = stdout.lines().last().unwrap_or("").trim().to_string();
    Ok((sample, url))
}

/// The raw baseline on Wixup's own HTTP stack: a creation POST, then the whole file in one PATCH
/// with an explicit `Content-Length`, its body fed by a thread reading the file in 256 KiB blocks
/// through a channel of 8. No chunking, checksum, retry, progress or journal: the ratio against it
/// is what the tus client itself adds. Of the plain ways to stream a file with reqwest this one
/// measured strongest across both servers (0.91–1.03× curl); `tokio::fs::File` through a
/// `ReaderStream` reached 0.6× curl on the sandbox and reading inside the body's poll 0.75× on
/// `@tus/server`, baselines too weak to judge against.
fn raw_reqwest_patch(endpoint: &str, file: &Path, metadata: &str) -> R<String> {
    use std::io::Read;
    let len = std::fs::metadata(file).map_err(|e| e.to_string())?.len();
    let mut source = std::fs::File::open(file).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let err = |e: reqwest::Error| e.to_string();
        let client = reqwest::Client::new();
        let created = client
            .post(endpoint)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", len)
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(err)?;
        let location = created
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("creation answered without a Location")?;
        let url = reqwest::Url::parse(endpoint)
            .and_then(|base| base.join(location))
            .map_err(|e| e.to_string())?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(8);
        std::thread::spawn(move || {
            loop {
                let mut block = vec![0; 256 << 10];
                let item = match source.read(&mut block) {
                    Ok(0) => break,
                    Ok(n) => {
                        block.truncate(n);
                        Ok(bytes::Bytes::from(block))
                    }
                    Err(e) => Err(e),
                };
                let failed = item.is_err();
                if tx.blocking_send(item).is_err() || failed {
                    break;
                }
            }
        });
        let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        client
            .patch(url.clone())
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "0")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/offset+octet-stream",
            )
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(err)?;
        Ok(url.to_string())
    })
}

/// Runs a command under GNU time; returns its sample and stdout.
fn timed(cmd: Command, dir: &Path) -> R<(Sample, String)> {
    let stats = dir.join("time.txt");
    let mut t = Command::new("/usr/bin/time");
    t.args(["-f", "%e %U %S %M", "-o"])
        .arg(&stats)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    let out = t
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    if !out.status.success() {
        return Err(format!("{:?} failed ({})", cmd.get_program(), out.status));
    }
    let text = std::fs::read_to_string(&stats).map_err(|e| e.to_string())?;
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if f.len() < 4 {
        return Err(format!("cannot read GNU time output {text:?}"));
    }
    Ok((
        Sample {
            secs: f[0].max(0.01),
            cpu_secs: f[1] + f[2],
            rss_kib: f[3] as u64,
        },
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Checks the server holds every byte (HEAD), then frees the space (termination).
fn verify_and_delete(url: &str, size: u64) -> R<()> {
    let out = Command::new("curl")
        .args(["-sS", "-I", "-H", "Tus-Resumable: 1.0.0", url])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    let offset = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("upload-offset:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    if offset != size.to_string() {
        return Err(format!(
            "{url}: the server holds {offset:?} bytes, not {size}"
        ));
    }
    let _ = Command::new("curl")
        .args(["-sS", "-X", "DELETE", "-H", "Tus-Resumable: 1.0.0", url])
        .output();
    Ok(())
}

/// An upload token from the sandbox's REST API.
fn sandbox_token(base: &str, size: u64) -> R<String> {
    let body = format!(
        r#"{{"mimeType":"application/octet-stream","fileName":"bench.bin","sizeInBytes":"{size}"}}"#
    );
    let out = Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "-X",
            "POST",
            &format!("{base}/site-media/v1/files/generate-resumable-upload-url"),
        ])
        .args([
            "-H",
            &format!("Authorization: {}", wixup::sandbox::DEFAULT_API_KEY),
        ])
        .args([
            "-H",
            &format!("wix-site-id: {}", wixup::sandbox::DEFAULT_SITE_ID),
        ])
        .args(["-H", "Content-Type: application/json", "-d", &body])
        .output()
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("token: {e}"))?;
    v["uploadToken"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "no uploadToken".into())
}

fn write_random(path: &Path, size: u64) -> R<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| e.to_string())?);
    let mut rng = fastrand::Rng::with_seed(42);
    let mut block = vec![0u8; 8 << 20];
    let mut left = size;
    while left > 0 {
        rng.fill(&mut block);
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).map_err(|e| e.to_string())?;
        left -= n as u64;
    }
    f.flush().map_err(|e| e.to_string())
}
