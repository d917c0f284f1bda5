//! The `wixup` binary as a user runs it: exit codes, --json lines, kill -9 then resume, the data
//! dir lock, `serve`, the embedded sandbox, and secrets kept out of every output.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use axum::http::Method;
use wixup::sandbox::{FaultKind, Rule};

use super::support::{
    Env, each_profile, exits_with, get, journal_table, oriented_jpeg, random_file, wait_until,
};

pub(super) fn wixup(env: &Env, data: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wixup"));
    c.env("WIXUP_DATA_DIR", env.path(data))
        .env("WIXUP_API_BASE", env.base().as_str())
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_SITE_ID")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

/// `wixup` with no backend configured, so it starts the sandbox itself on `port`.
fn embedded(dir: &Path, port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wixup"));
    c.env("WIXUP_DATA_DIR", dir.join("data"))
        .env("WIXUP_SANDBOX_PORT", port.to_string())
        .env_remove("WIXUP_API_BASE")
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_SITE_ID")
        .stdin(Stdio::null());
    c
}

pub(super) async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().expect("runs"))
        .await
        .expect("join")
}

/// Starts `wixup upload --chunk-size 1MiB FILE`, waits until the sandbox received `bytes`, then
/// kills it with SIGKILL, as a crash would.
pub(super) async fn upload_then_kill_9(env: &Env, file: &Path, bytes: u64) {
    let mut c = wixup(env, "data");
    c.args(["upload", "--json", "--chunk-size", "1MiB"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    wait_until("upload did not start", Duration::from_secs(30), || {
        env.stat(|s| &s.bytes_received) >= bytes
    })
    .await;
    child.kill().expect("kill -9");
    let _ = child.wait();
}

/// `wixup resume --json`, which must exit 0 with one verified file: its JSON line.
pub(super) async fn resume_one(env: &Env) -> serde_json::Value {
    let mut c = wixup(env, "data");
    c.args(["resume", "--json"]);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["verified"], true);
    lines[0].clone()
}

pub(super) fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?} ({e})")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_json_reports_each_file_and_bad_input_does_not_stop_the_rest() {
    let env = Env::start().await;
    let big = random_file(env.dir.path(), "big.bin", 6 << 20);
    let photo = env.path("photo.jpg");
    oriented_jpeg(&photo, 64, 48, 1);
    let missing = env.path("nope.png");
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"])
        .arg(&big)
        .arg(&photo)
        .arg(&missing);
    let out = run(c).await;
    // A failed file means exit 1.
    exits_with(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nope.png") && stderr.contains("not found"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    for l in &lines {
        for key in [
            "path",
            "id",
            "url",
            "thumbnailUrl",
            "sizeInBytes",
            "hash",
            "verified",
            "status",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
    }
    let by = |name: &str| {
        lines
            .iter()
            .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .expect(name)
            .clone()
    };
    let b = by("big.bin");
    assert_eq!(b["status"], "done");
    assert_eq!(b["verified"], true);
    assert_eq!(b["sizeInBytes"], 6 << 20);
    assert_eq!(b["private"], false, "a public file: its URL works");
    let (_, served) = get(b["url"].as_str().expect("url")).await;
    assert!(
        served == std::fs::read(&big).expect("read"),
        "served bytes are identical"
    );
    assert!(by("photo.jpg")["thumbnailUrl"].as_str().is_some());
    let m = by("nope.png");
    assert_eq!(m["status"], "failed");
    assert!(m["error"].as_str().expect("error").contains("not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    let env = Env::start().await;
    for args in [
        vec!["upload"],
        vec!["upload", "--chunk-size", "lots", "x"],
        vec!["upload", "--parallel", "0", "x"],
        // Above the Settings window's limit (the engine's too).
        vec!["upload", "--parallel", "17", "x"],
        vec!["upload", "--parallel", "some", "x"],
        vec!["frobnicate"],
    ] {
        let mut c = wixup(&env, "data");
        c.args(&args);
        let out = run(c).await;
        // Its stderr names the argument at fault.
        exits_with(&out, 2);
    }
    let mut c = wixup(&env, "data");
    c.arg("--help");
    let out = run(c).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("upload"));
}

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_resume_completes_and_resends_at_most_one_chunk(profile) {
    let env = Env::start_as(profile).await;
    let size: u64 = 12 << 20;
    let chunk: u64 = 1 << 20;
    let file = random_file(env.dir.path(), "k.bin", size as usize);
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::PATCH),
            "",
            1,
            FaultKind::Latency(Duration::from_millis(80)),
        )
        .times(1_000_000),
    );
    upload_then_kill_9(&env, &file, 3 * chunk).await;
    let before_resume = env.stat(|s| &s.bytes_received);
    assert!(before_resume < size);
    env.sandbox.faults.clear();
    let mut c = wixup(&env, "data");
    c.args(["resume", "--json"]);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["verified"], true);
    let total = env.stat(|s| &s.bytes_received);
    assert!(
        total <= size + chunk,
        "re-sent at most one chunk: received {total} for {size}"
    );
    assert_eq!(env.stat(|s| &s.files_created), 1);
    // Nothing left: resume again is a no-op.
    let mut c = wixup(&env, "data");
    c.arg("resume");
    let out = run(c).await;
    exits_with(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nothing to resume"));
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_wixup_on_the_same_data_dir_says_so() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "slow.bin", 11 << 20); // tus: above the one-PUT threshold
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::PATCH),
            "",
            1,
            FaultKind::Latency(Duration::from_millis(100)),
        )
        .times(1_000_000),
    );
    let mut c = wixup(&env, "data");
    c.args(["upload", "--chunk-size", "256KiB"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut first = c.spawn().expect("spawn");
    wait_until("the first upload's PATCH", Duration::from_secs(30), || {
        env.stat(|s| &s.patch_requests) > 0
    })
    .await;
    let mut c = wixup(&env, "data");
    c.arg("upload").arg(&file);
    let out = run(c).await;
    exits_with(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another Wixup") && stderr.contains(&first.id().to_string()),
        "{stderr}"
    );
    first.kill().expect("kill");
    let _ = first.wait();
    let (_, jobs) = journal_table(&env.path("data"));
    assert_eq!(jobs.len(), 1, "never corrupted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_appears_in_no_log_journal_or_error() {
    let canary = "IST.canary-key-never-print-me-0451";
    let env = Env::start_with(|c| {
        c.api_key = canary.into();
        c.site_id = "site-1".into();
    })
    .await;
    let file = random_file(env.dir.path(), "s.bin", 3 << 20);
    for (key, site, code) in [
        (canary, "site-1", 0),
        (canary, "wrong-site", 1),
        ("IST.canary-key-never-print-me-0452", "site-1", 1),
    ] {
        let mut c = wixup(&env, "data");
        c.env("WIX_API_KEY", key)
            .env("WIX_SITE_ID", site)
            .env("RUST_LOG", "trace");
        c.args(["upload", "--json"]).arg(&file);
        let out = run(c).await;
        exits_with(&out, code);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.len() > 1000, "trace logging was on");
        assert!(!all.contains("canary-key"), "the key leaked into output");
        let journal = std::fs::read_to_string(env.path("data/journal.jsonl")).expect("journal");
        assert!(
            !journal.contains("canary-key"),
            "the key leaked into the journal"
        );
        if code == 1 {
            assert!(all.contains("Manage Media Manager permission"), "{all}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_tokens_never_reach_the_logs() {
    let env = Env::start().await;
    // Above the one-PUT threshold: a tus upload, whose token the journal holds.
    let file = random_file(env.dir.path(), "t.bin", 11 << 20);
    env.slow_patches(100);
    let log = env.path("trace.log");
    let mut c = wixup(&env, "data");
    c.env("RUST_LOG", "trace")
        .args(["upload", "--chunk-size", "256KiB"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"));
    let mut child = c.spawn().expect("spawn");
    wait_until("upload did not start", Duration::from_secs(30), || {
        env.stat(|s| &s.bytes_received) >= 1 << 20
    })
    .await;
    // Killed mid-upload, so the journal still holds the session and its token.
    child.kill().expect("kill -9");
    let _ = child.wait();
    let (_, jobs) = journal_table(&env.path("data"));
    let tokens: Vec<String> = jobs
        .iter()
        .filter_map(|j| j["session"]["upload_token"].as_str().map(String::from))
        .collect();
    assert_eq!(
        tokens.len(),
        1,
        "the interrupted upload's token is in the journal"
    );
    let logs = std::fs::read_to_string(&log).expect("read log");
    assert!(logs.len() > 1000, "trace logging was on");
    for t in &tokens {
        assert!(t.len() >= 24, "a real token: {t}");
        let middle = &t[t.len() / 2 - 8..t.len() / 2 + 8];
        assert!(
            !logs.contains(middle),
            "part of an upload token reached the logs"
        );
    }
}

#[cfg(unix)] // sends SIGTERM with kill(1)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_its_address_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wixup"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut l = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut l)
            .expect("line");
        l
    })
    .await
    .expect("join");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("first line")
        .to_string();
    assert!(
        addr.starts_with("http://127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    let r = reqwest::Client::new()
        .request(Method::OPTIONS, format!("{addr}/upload/tus"))
        .send()
        .await
        .expect("up");
    assert_eq!(r.headers()["tus-version"], "1.0.0");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = tokio::task::spawn_blocking(move || child.wait().expect("wait"))
        .await
        .expect("join");
    // A clean exit on SIGTERM.
    exits_with(&status, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_the_cli_starts_the_sandbox_itself() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let file = random_file(dir.path(), "e.bin", 100_000);
    let mut c = embedded(dir.path(), port);
    c.args(["upload", "--json"]).arg(&file);
    let out = run(c).await;
    exits_with(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("local sandbox"));
    let lines = json_lines(&out);
    assert!(
        lines[0]["url"]
            .as_str()
            .expect("url")
            .starts_with(&format!("http://127.0.0.1:{port}/media/"))
    );
    assert!(
        Path::new(&dir.path().join("data/sandbox/records/files")).is_dir(),
        "sandbox storage under the data dir"
    );
}

#[cfg(unix)] // a FIFO made with mkfifo(1)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_private_and_non_regular_files() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "secret.bin", 4000);
    let fifo = env.path("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json", "--private", "--path", "/photos/2026"])
        .arg(&file)
        .arg(&fifo);
    let out = run(c).await;
    exits_with(&out, 1);
    let lines = json_lines(&out);
    let ok = lines
        .iter()
        .find(|l| l["status"] == "done")
        .expect("uploaded");
    let bad = lines
        .iter()
        .find(|l| l["status"] == "failed")
        .expect("fifo refused");
    assert!(
        bad["error"]
            .as_str()
            .expect("error")
            .contains("not a regular file"),
        "{bad}"
    );
    assert_eq!(
        get(ok["url"].as_str().expect("url")).await.0,
        403,
        "private files are not public"
    );
    assert_eq!(ok["private"], true, "the line says so: {ok}");
    let wix = env.wix_client(Default::default());
    let link = wix
        .generate_download_url(ok["id"].as_str().expect("id"), Duration::from_secs(600))
        .await
        .expect("a download URL");
    let (status, body) = get(link.url.as_str()).await;
    assert_eq!(status, 200);
    assert!(body == std::fs::read(&file).expect("file"), "its bytes");
    let root = wix.list_folders(None, None).await.expect("folders");
    let photos = root
        .items
        .iter()
        .find(|f| f.display_name.as_deref() == Some("photos"))
        .expect("created /photos");
    let sub = wix.list_folders(Some(&photos.id), None).await.expect("sub");
    let y2026 = &sub.items[0];
    assert_eq!(y2026.display_name.as_deref(), Some("2026"));
    let files = wix
        .list_files(Some(&y2026.id), None, 10)
        .await
        .expect("files");
    assert_eq!(files.items.len(), 1);
    assert_eq!(files.items[0].private, Some(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_sandbox_port_is_announced_and_another_is_used() {
    let dir = tempfile::tempdir().expect("tmp");
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = squatter.local_addr().expect("addr").port();
    let file = random_file(dir.path(), "p.bin", 1000);
    let mut c = embedded(dir.path(), port);
    c.args(["upload", "--json"]).arg(&file);
    let out = run(c).await;
    exits_with(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("port {port} is taken")),
        "{stderr}"
    );
    let url = json_lines(&out)[0]["url"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(!url.contains(&format!(":{port}/")), "{url}");
    drop(squatter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploading_an_interrupted_file_again_continues_it() {
    let env = Env::start().await;
    // Above the one-PUT threshold (10 MB): a resumable upload, continued from its offset.
    let size: u64 = 12 << 20;
    let chunk: u64 = 1 << 20;
    let file = random_file(env.dir.path(), "again.bin", size as usize);
    env.slow_patches(80);
    upload_then_kill_9(&env, &file, 2 * chunk).await;
    env.sandbox.faults.clear();
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"]).arg(&file);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["verified"], true);
    assert!(
        env.stat(|s| &s.bytes_received) <= size + chunk,
        "continued, not started over"
    );
    assert_eq!(env.stat(|s| &s.files_created), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_settings_choose_the_site_when_the_environment_does_not() {
    let env = Env::start().await;
    let data = env.path("data");
    // What the window's Settings save: the site (here the test sandbox as its API address),
    // and the key in the 0600 file (no keychain in tests).
    env.save_site(&data);
    let f = random_file(&env.path("in"), "saved.bin", 200_000);
    let mut c = embedded(env.dir.path(), 0);
    c.env("WIXUP_SECRET_STORE", "file")
        .args(["upload", "--json"])
        .arg(&f);
    let out = run(c).await;
    exits_with(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("local sandbox"), "{stderr}");
    let lines = json_lines(&out);
    let url = lines[0]["url"].as_str().expect("url");
    assert!(url.starts_with(env.base().as_str()), "{url}");
    assert_eq!(get(url).await.1, std::fs::read(&f).expect("read"));
    assert_eq!(env.stat(|s| &s.files_created), 1);

    // Settings that name a site but have no key: a clear error, not the sandbox.
    std::fs::remove_file(data.join("api-key")).expect("rm key");
    let mut c = embedded(env.dir.path(), 0);
    c.env("WIXUP_SECRET_STORE", "file")
        .args(["upload", "--json"])
        .arg(&f);
    let out = run(c).await;
    exits_with(&out, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no API key is saved"));
}
