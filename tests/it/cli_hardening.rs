//! The CLI against odd files and a broken journal: names that are not UTF-8, unreadable files,
//! journal entries a newer Wixup wrote, chunk sizes that make no sense.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::cli::{json_lines, run, wixup};
use super::support::{
    Env, append_record, exits_with, get, journal_table, poll_until, random_file, wait_until,
};

/// `caf\xe9.txt`: a Latin-1 name from an old USB stick, not UTF-8.
#[cfg(unix)]
fn latin1_file(dir: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStringExt as _;
    let p = dir.join(std::ffi::OsString::from_vec(b"caf\xe9.txt".to_vec()));
    std::fs::write(&p, b"a file whose name is not UTF-8\n").expect("write");
    p
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_is_not_utf8_uploads_and_round_trips_through_journal_and_history() {
    use std::os::unix::ffi::OsStrExt as _;
    let env = Env::start().await;
    let odd = latin1_file(env.dir.path());
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json"]).arg(&odd);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], "done");
    assert_eq!(lines[0]["verified"], true);
    assert!(
        lines[0]["path"]
            .as_str()
            .expect("path")
            .ends_with("caf\u{fffd}.txt"),
        "a lossy rendering in JSON: {}",
        lines[0]["path"]
    );
    // The history holds the exact bytes of the path.
    let history = wixup::history::load(&env.path("data")).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].path.as_os_str().as_bytes(),
        odd.as_os_str().as_bytes()
    );
    // The journal keeps what is left to do: a finished file lives in the history alone (the
    // journal's round trip of such a path is the next test's, through a kill -9 and resume).
    let (_j, loaded) = wixup::engine::journal::Journal::open(&env.path("data")).expect("journal");
    assert!(loaded.set_aside.is_none());
    assert!(loaded.jobs.is_empty(), "{:?}", loaded.jobs);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_batch_with_a_non_utf8_name_then_resume_finishes_both() {
    let env = Env::start().await;
    let size = 60usize << 20;
    let big = random_file(env.dir.path(), "big.bin", size);
    let odd = latin1_file(env.dir.path());
    env.slow_patches(60);
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json", "--chunk-size", "1MiB"])
        .arg(&odd)
        .arg(&big)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    wait_until("upload did not start", Duration::from_secs(60), || {
        if env.stat(|s| &s.bytes_received) >= 4 << 20 {
            return true;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "wixup ended before it was killed (a panic?)"
        );
        false
    })
    .await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    assert!(
        env.path("data").join("journal.jsonl").exists(),
        "the journal was written"
    );
    env.sandbox.faults.clear();
    let mut c = wixup(&env, "data");
    c.args(["resume", "--json"]);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    let big_line = lines
        .iter()
        .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with("big.bin")))
        .expect("the big file finished on resume");
    assert_eq!(big_line["verified"], true);
    let url = big_line["url"].as_str().expect("url");
    let (status, body) = get(url).await;
    assert_eq!(status, 200);
    assert!(
        body == std::fs::read(&big).expect("read"),
        "served bytes identical"
    );
    let files = env
        .wix_client(Default::default())
        .list_files(None, None, 10)
        .await
        .expect("files");
    let mut names: Vec<_> = files
        .items
        .iter()
        .filter_map(|f| f.display_name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["big.bin", "caf\u{fffd}.txt"], "the site holds both");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_entry_from_a_newer_wixup_is_kept_aside_and_the_rest_resume() {
    let env = Env::start().await;
    // Above the creation-with-upload size, so every byte goes through the slowed PATCHes and
    // the kill lands mid-upload.
    let a = random_file(env.dir.path(), "a.bin", 8 << 20);
    let b = random_file(env.dir.path(), "b.bin", 8 << 20);
    env.slow_patches(200);
    // Two jobs in the journal, interrupted mid-upload.
    let mut c = wixup(&env, "data");
    c.args(["upload", "--chunk-size", "256KiB"])
        .arg(&a)
        .arg(&b)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    wait_until("upload did not start", Duration::from_secs(30), || {
        env.stat(|s| &s.bytes_received) >= 1 << 20
    })
    .await;
    child.kill().expect("kill -9");
    let _ = child.wait();
    env.sandbox.faults.clear();
    // A newer Wixup wrote a state this one does not know into one entry.
    let data = env.path("data");
    let (_, mut jobs) = journal_table(&data);
    assert_eq!(jobs.len(), 2);
    jobs[1]["state"] = "teleporting".into();
    append_record(&data, &serde_json::json!({ "job": jobs[1] }));

    let mut c = wixup(&env, "data");
    c.args(["resume", "--json"]);
    let out = run(c).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    exits_with(&out, 1);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "the readable entry resumed");
    assert_eq!(lines[0]["status"], "done", "{}", lines[0]);
    assert!(
        stderr.contains("1 journal entry could not be read"),
        "says so: {stderr}"
    );
    let aside: Vec<_> = std::fs::read_dir(env.path("data"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("journal.entries-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the bad entry is kept beside the journal");
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(aside[0].path()).expect("read")).expect("json");
    assert_eq!(kept[0]["state"], "teleporting");
    // With nothing else left, resume says the set-aside entry was not resumed: not "all done".
    append_record(&data, &serde_json::json!({ "job": kept[0] }));
    let mut c = wixup(&env, "data");
    c.arg("resume");
    let out = run(c).await;
    exits_with(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("every upload in the journal has finished"),
        "{stderr}"
    );
    assert!(stderr.contains("could not be read"), "{stderr}");
}

/// `wixup` as an unprivileged user: root reads any file whatever its mode, so as root the
/// command runs under `setpriv` with the uid and gid of `nobody`.
#[cfg(unix)]
fn unprivileged(env: &Env, data: &Path) -> std::process::Command {
    use std::os::unix::fs::PermissionsExt as _;
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let mut c = if root {
        // Everything on the way to the file and the data dir must be reachable by nobody.
        std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::fs::create_dir_all(data).expect("mkdir");
        std::os::unix::fs::chown(data, Some(65534), Some(65534)).expect("chown");
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_wixup"));
        c
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_wixup"))
    };
    c.env("WIXUP_DATA_DIR", data)
        .env("WIXUP_API_BASE", env.base().as_str())
        .env("HOME", data)
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_SITE_ID")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_file_fails_at_once_naming_it_and_nothing_is_created() {
    use std::os::unix::fs::PermissionsExt as _;
    let env = Env::start().await;
    let secret = random_file(env.dir.path(), "secret.bin", 6 << 20);
    let fine = random_file(env.dir.path(), "fine.bin", 1 << 20);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    std::fs::set_permissions(&fine, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut c = unprivileged(&env, &env.path("data"));
    c.args(["upload", "--json"]).arg(&secret).arg(&fine);
    let started = std::time::Instant::now();
    let out = run(c).await;
    let took = started.elapsed();
    exits_with(&out, 1);
    let lines = json_lines(&out);
    let bad = lines
        .iter()
        .find(|l| {
            l["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("secret.bin"))
        })
        .expect("a line for the unreadable file");
    assert_eq!(bad["status"], "failed");
    let msg = bad["error"].as_str().expect("error");
    assert!(msg.contains("permission denied"), "{msg}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("secret.bin") && stderr.contains("permission denied"),
        "the message names the file: {stderr}"
    );
    assert!(
        lines.iter().any(
            |l| l["path"].as_str().is_some_and(|p| p.ends_with("fine.bin"))
                && l["status"] == "done"
        ),
        "the readable file still uploads"
    );
    // Not a minute of retries that blame the connection (a generous bound, not a benchmark).
    assert!(took < Duration::from_secs(15), "took {took:?}");
    // Only the readable file reached the server.
    assert_eq!(env.stat(|s| &s.bytes_received), 1 << 20);
    assert_eq!(env.stat(|s| &s.files_created), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_sizes_below_256_kib_are_refused_and_others_rounded_to_whole_units() {
    let env = Env::start().await;
    // Above the one-PUT threshold: sent with tus, in chunks.
    let file = random_file(env.dir.path(), "c.bin", 11 << 20);
    // Small, so that a Wixup that took the size would end quickly (in one creation request).
    let small = random_file(env.dir.path(), "small.bin", 4 << 10);
    let mut c = wixup(&env, "data");
    c.args(["upload", "--chunk-size", "1"]).arg(&small);
    let out = run(c).await;
    exits_with(&out, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("at least 256 KiB"), "{stderr}");
    assert_eq!(env.stat(|s| &s.bytes_received), 0, "nothing sent");

    // 1,000,000 bytes becomes 1 MiB: an 11 MiB file goes in 11 PATCHes, not 12.
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json", "--chunk-size", "1000000"])
        .arg(&file);
    let out = run(c).await;
    exits_with(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rounded to 1.0 MiB"),
        "the rounding is said: {stderr}"
    );
    assert_eq!(env.stat(|s| &s.patch_requests), 11);
    assert_eq!(json_lines(&out)[0]["verified"], true);
}

/// Whether a thread of process `pid` is blocked writing to a full pipe (Linux: its wait channel
/// is `pipe_write`, or `anon_pipe_write` in newer kernels).
#[cfg(target_os = "linux")]
fn blocked_writing_to_a_pipe(pid: u32) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    threads.filter_map(Result::ok).any(|t| {
        std::fs::read_to_string(t.path().join("wchan"))
            .is_ok_and(|w| w.trim_end().ends_with("pipe_write"))
    })
}

/// Ctrl+C while the reporter is busy (here: stuck writing JSON lines to a full pipe) is kept
/// and honoured once it can be, not lost with the loop turn it arrived in. (Linux only: the
/// test sees the reporter blocked on the pipe through /proc.)
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ctrl_c_while_an_event_is_handled_is_not_missed() {
    use std::io::Read as _;
    let env = Env::start().await;
    let count = 200;
    // Long names make long JSON lines: the first hundred-odd fill the pipe's 64 KiB.
    let files: Vec<PathBuf> = (0..count)
        .map(|i| {
            random_file(
                env.dir.path(),
                &format!("{}-{i:03}.txt", "n".repeat(150)),
                512,
            )
        })
        .collect();
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json", "--parallel", "16"])
        .args(&files)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn");
    // Every file reaches the site while nobody reads stdout, so the reporter is blocked on a
    // write with events still queued.
    wait_until("uploads did not finish", Duration::from_secs(60), || {
        env.stat(|s| &s.files_created) >= count
    })
    .await;
    wait_until(
        "the reporter to block on the full pipe",
        Duration::from_secs(30),
        || blocked_writing_to_a_pipe(child.id()),
    )
    .await;
    assert!(child.try_wait().expect("wait").is_none(), "still reporting");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    // Now read: the reporter goes on, and must see the Ctrl+C that came meanwhile.
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = stdout.read_to_end(&mut all);
        all
    });
    let stopped = poll_until(Duration::from_secs(30), || child.try_wait().expect("wait")).await;
    let Some(status) = stopped else {
        let _ = child.kill();
        panic!("wixup did not stop after Ctrl+C");
    };
    let _ = reader.join();
    // Stopped by the Ctrl+C (130), not run to the end.
    exits_with(&status, 130);
}
