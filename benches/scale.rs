//! Scale benchmark: what a big batch costs, and what it leaves behind, measured on what the user
//! runs. `wixup serve` on loopback; `wixup upload --json` of a folder of small text files (made on
//! tmpfs), each command its own process under GNU time. In the same run:
//!
//! - a fresh data dir: `wixup upload` of one file (the baseline);
//! - the batch: peak RSS, wall time, the time to its first finished file (a file finishes after
//!   it started sending, so this bounds the start from above), the journal's size after;
//! - the same data dir afterwards: `wixup upload` of one file, its peak RSS and wall time against
//!   the fresh data dir's.
//!
//! Prints the figures and the ratios the goals are stated in; asserts nothing (a failed upload
//! fails the run).
//!
//! ```text
//! cargo bench --bench scale -- [--files 10000] [--size 1024] [--wixup PATH]
//! ```
//! Loopback only. Files and data dirs live in `/dev/shm` unless `WIXUP_BENCH_DIR` names another
//! place.

#[path = "common.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use common::Spawned;

type R<T> = Result<T, String>;

/// The scale benchmark: `cargo bench --bench scale -- [--files N] [--size BYTES]`.
#[derive(clap::Parser)]
struct Args {
    /// Files in the batch.
    #[arg(long, default_value_t = 10_000)]
    files: usize,
    /// Bytes per file.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// The wixup binary (default: the one cargo built for this benchmark).
    #[arg(long)]
    wixup: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One command's cost, from GNU time, and when its first stdout line came.
struct Run {
    secs: f64,
    rss_mib: f64,
    first_line: Option<Duration>,
    lines: usize,
}

fn main() -> ExitCode {
    let args = <Args as clap::Parser>::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale benchmark: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> R<()> {
    let wixup = args
        .wixup
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_wixup")));
    let base = common::bench_dir();
    let dir = tempfile::Builder::new()
        .prefix("wixup-scale-")
        .tempdir_in(&base)
        .map_err(|e| format!("{}: {e}", base.display()))?;
    let batch = dir.path().join("batch");
    let made = Instant::now();
    make_files(&batch, args.files, args.size)?;
    println!(
        "Scale benchmark: {} files of {} bytes, made in {:.1} s under {}",
        args.files,
        args.size,
        made.elapsed().as_secs_f64(),
        base.display()
    );
    let mut serve = Spawned::start(
        Command::new(&wixup)
            .args(["serve", "--profile", "wix", "--addr", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.path().join("sandbox"))
            .stdin(Stdio::null()),
    )?;
    let one = |name: &str, data: &str| -> R<Run> {
        let file = dir.path().join(name);
        std::fs::write(&file, format!("{name}: one more small file\n"))
            .map_err(|e| e.to_string())?;
        upload(
            &wixup,
            &serve.url,
            &dir.path().join(data),
            &file,
            dir.path(),
        )
    };
    let fresh = one("fresh.txt", "fresh-data")?;
    let big = upload(
        &wixup,
        &serve.url,
        &dir.path().join("data"),
        &batch,
        dir.path(),
    )?;
    if big.lines != args.files {
        return Err(format!(
            "{} of {} files reported finished",
            big.lines, args.files
        ));
    }
    let journal = std::fs::metadata(dir.path().join("data/journal.jsonl"))
        .map(|m| m.len())
        .unwrap_or(0);
    let history = std::fs::metadata(dir.path().join("data/history.jsonl"))
        .map(|m| m.len())
        .unwrap_or(0);
    let after = one("after.txt", "data")?;
    serve.stop();

    let mib = 1024.0 * 1024.0;
    let first = big.first_line.unwrap_or_default().as_secs_f64();
    println!();
    println!("| measure | value | goal |");
    println!("| --- | --- | --- |");
    println!(
        "| batch: wall | {:.1} s ({:.0} files/s) | |",
        big.secs,
        args.files as f64 / big.secs
    );
    println!(
        "| batch: peak RSS | {:.1} MiB ({:.1} KiB per file) | {} |",
        big.rss_mib,
        big.rss_mib * 1024.0 / args.files as f64,
        if args.files >= 100_000 {
            "≤ 600 MiB for 100,000"
        } else {
            "≤ 100 MiB for 10,000"
        }
    );
    println!("| batch: first file finished | {first:.2} s | started within 2 s |");
    println!(
        "| journal after | {journal} bytes ({:.3} MiB) | ≤ 1 MiB |",
        journal as f64 / mib
    );
    println!(
        "| history after | {:.1} MiB ({:.0} bytes per file) | one line per file |",
        history as f64 / mib,
        history as f64 / args.files as f64
    );
    println!(
        "| one file, fresh data dir | {:.1} MiB, {:.0} ms | baseline |",
        fresh.rss_mib,
        fresh.secs * 1000.0
    );
    println!(
        "| one file after the batch | {:.1} MiB = {:.2}x fresh, {:.0} ms = {:+.0} ms | ≤ 1.25x RSS, start-up ≤ +100 ms |",
        after.rss_mib,
        after.rss_mib / fresh.rss_mib,
        after.secs * 1000.0,
        (after.secs - fresh.secs) * 1000.0
    );
    Ok(())
}

/// `n` text files of `size` bytes: a line naming each, then filler (text, so that no file can
/// sniff as an image format and be refused).
fn make_files(dir: &Path, n: usize, size: usize) -> R<()> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for i in 0..n {
        let mut text = format!("wixup scale benchmark, file {i}\n").into_bytes();
        text.resize(size.max(text.len()), b'.');
        if let Some(last) = text.last_mut() {
            *last = b'\n';
        }
        let path = dir.join(format!("f{i:06}.txt"));
        let mut f = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(&text).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `wixup upload --json PATH` with its own data dir, under GNU time.
fn upload(wixup: &Path, api: &str, data: &Path, path: &Path, dir: &Path) -> R<Run> {
    let stats = dir.join("time.txt");
    // Its line per file goes here; shown when the run fails.
    let errors = dir.join("stderr.txt");
    let said = || {
        let text = std::fs::read_to_string(&errors).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    let started = Instant::now();
    let mut cmd = Command::new("/usr/bin/time");
    // What the caller's environment says of a real site, a proxy or TLS stays out of it.
    for var in [
        "WIX_API_KEY",
        "WIX_SITE_ID",
        "WIXUP_HTTP",
        "WIXUP_CA_FILE",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    // Its own process group: a failed run kills wixup, not only GNU time.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .args(["-f", "%e %M", "-o"])
        .arg(&stats)
        .arg(wixup)
        .args(["upload", "--json"])
        .arg(path)
        .env("WIXUP_DATA_DIR", data)
        .env("WIXUP_API_BASE", api)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&errors).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
    let mut first_line = None;
    let mut lines = 0;
    let out = child.stdout.take().ok_or("no stdout")?;
    for line in BufReader::new(out).lines() {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                kill_group(&mut child);
                return Err(format!("reading wixup's output: {e}"));
            }
        };
        first_line.get_or_insert_with(|| started.elapsed());
        if !line.contains("\"verified\":true") {
            kill_group(&mut child);
            return Err(format!(
                "a file did not end verified: {line}; wixup said:\n{}",
                said()
            ));
        }
        lines += 1;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!(
            "wixup upload {} failed ({status}); it said:\n{}",
            path.display(),
            said()
        ));
    }
    let text = std::fs::read_to_string(&stats).map_err(|e| e.to_string())?;
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let [secs, rss_kib] = f[..] else {
        return Err(format!("cannot read GNU time output {text:?}"));
    };
    Ok(Run {
        secs,
        rss_mib: rss_kib / 1024.0,
        first_line,
        lines,
    })
}

/// Kills GNU time and the wixup it runs (their process group), and reaps GNU time.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg(format!("-{}", child.id()))
        .status();
    let _ = child.wait();
}
