//! What a hostile tester found in the CLI: a FIFO where the data dir keeps a file, SIGHUP (the
//! terminal closed), uploads failed by a server error that `resume` said were finished.

use std::io::{BufRead as _, Read as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use axum::http::Method;
use wixup::sandbox::{FaultKind, Rule};

use super::cli::{json_lines, run, wixup};
use super::support::{Env, exits_with, get, poll_until, random_file};

/// Makes a FIFO at `path` with mkfifo(1), which CI has.
fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo(1) must be installed for this test");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Waits at most `within` for `child` to end, and what it printed; a child still running then
/// is killed and the test fails saying `what`.
async fn ended_within(mut child: Child, within: Duration, what: &str) -> Output {
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let Some(status) = poll_until(within, || child.try_wait().expect("wait")).await else {
        let _ = child.kill();
        let _ = child.wait();
        let err = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
        panic!("wixup still running after {within:?}: {what}\nstderr:\n{err}");
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// A FIFO (or any other file that is not a regular one) where the data dir keeps its journal,
/// lock, history or settings: the run ends at once, naming it, instead of waiting forever in
/// `open()` (where neither Ctrl+C nor SIGTERM reached it).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_in_the_data_dir_is_refused_at_once_naming_it() {
    let env = Env::start().await;
    let file = random_file(env.dir.path(), "a.bin", 1000);
    for name in [
        "journal.jsonl",
        "journal.json",
        "wixup.lock",
        "settings.json",
    ] {
        let data = format!("data-{name}");
        std::fs::create_dir_all(env.path(&data)).expect("mkdir");
        mkfifo(&env.path(&data).join(name));
        let mut c = wixup(&env, &data);
        if name == "settings.json" {
            // The settings choose the backend only when the environment does not.
            c.env_remove("WIXUP_API_BASE")
                .env("WIXUP_SANDBOX_PORT", "0");
        }
        c.args(["upload", "--json"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let what = format!("{name} is a FIFO");
        let out = ended_within(c.spawn().expect("spawn"), Duration::from_secs(20), &what).await;
        exits_with(&out, 1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{name} is a FIFO")) && stderr.contains("move it"),
            "names the file and says what to do: {stderr}"
        );
    }
    assert_eq!(env.stat(|s| &s.plain_puts), 0, "nothing was sent");

    // The history: the upload goes on, and the person reads why files already on the site
    // may not be recognized.
    let data = "data-history";
    std::fs::create_dir_all(env.path(data)).expect("mkdir");
    mkfifo(&env.path(data).join("history.jsonl"));
    let mut c = wixup(&env, data);
    c.args(["upload", "--json"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = "history.jsonl is a FIFO";
    let out = ended_within(c.spawn().expect("spawn"), Duration::from_secs(20), what).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: cannot read the upload history")
            && stderr.contains("history.jsonl is a FIFO"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r#""status":"done""#),
        "the file still uploads: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Uploaded, but not in the history: not all is well.
    assert!(
        stderr.contains("1 finished upload could not be added to the upload history"),
        "{stderr}"
    );
    exits_with(&out, 1);
}

/// SIGHUP (the terminal closed) stops `wixup upload` as SIGTERM does: what finished is printed
/// as the `--format` block, then "Stopped.", and the exit code is the same.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_stops_the_cli_as_sigterm_does_saying_what_finished() {
    let env = Env::start().await;
    let small = random_file(env.dir.path(), "small.bin", 20_000);
    // Resumable, in small slow chunks: still sending when the terminal closes.
    let big = random_file(env.dir.path(), "big.bin", 11 << 20);
    env.slow_patches(200);
    let mut c = wixup(&env, "data");
    c.args(["upload", "--format", "urls", "--chunk-size", "256KiB"])
        .arg(&small)
        .arg(&big)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let err_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = lines_tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let out_reader = std::thread::spawn(move || {
        let mut b = String::new();
        let _ = std::io::BufReader::new(stdout).read_to_string(&mut b);
        b
    });
    // The small file is reported finished; the big one is still sending.
    let finished = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(l) if l.contains('✓') && l.contains("small.bin") => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    })
    .await
    .expect("join");
    if !finished {
        let _ = child.kill();
        panic!("the small file was never reported finished");
    }
    assert!(child.try_wait().expect("wait").is_none(), "still uploading");
    let hup = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .expect("kill(1)");
    assert!(hup.success());
    let Some(status) =
        poll_until(Duration::from_secs(30), || child.try_wait().expect("wait")).await
    else {
        let _ = child.kill();
        panic!("wixup did not stop after SIGHUP");
    };
    let stderr = err_reader.join().expect("stderr");
    let stdout = out_reader.join().expect("stdout");
    // As after SIGTERM or Ctrl+C: 130, with the block and the word.
    exits_with(&status, 130);
    assert!(stderr.contains("Stopped."), "{stderr}");
    let urls: Vec<&str> = stdout.lines().collect();
    assert_eq!(urls.len(), 1, "the finished file only: {stdout:?}");
    let (code, body) = get(urls[0]).await;
    assert_eq!(code, 200);
    assert!(
        body == std::fs::read(&small).expect("read"),
        "small.bin's URL"
    );
}

/// Files that failed on a server error (500 to every PUT and PATCH, as a sandbox whose disk is
/// full answers): each message says what the server said; `wixup resume` retries them once the
/// server is well, and says how to go on for one whose file is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_failed_by_a_server_error_say_its_words_and_resume_retries_them() {
    let env = Env::start().await;
    let small = random_file(env.dir.path(), "small.bin", 30_000);
    let big = random_file(env.dir.path(), "big.bin", 11 << 20);
    let gone = random_file(env.dir.path(), "gone.bin", 20_000);
    for method in [Method::PUT, Method::PATCH] {
        env.sandbox.faults.add(
            Rule::nth(
                Some(method),
                "/upload/",
                1,
                FaultKind::Status {
                    status: 500,
                    retry_after_secs: None,
                },
            )
            .times(u64::MAX / 2),
        );
    }
    // Two quick retries instead of about 44 s of them.
    let fast = |mut c: Command| {
        c.env("WIXUP_RETRY_DELAYS_MS", "0,0");
        c
    };
    let mut c = fast(wixup(&env, "data"));
    c.args(["upload", "--json"])
        .arg(&small)
        .arg(&big)
        .arg(&gone);
    let out = run(c).await;
    exits_with(&out, 1);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for l in &lines {
        assert_eq!(l["status"], "failed", "{l}");
        let m = l["error"].as_str().expect("error");
        assert!(
            m.contains("500") && m.contains("injected fault"),
            "says what the server said: {m}"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`wixup resume`"),
        "says how to retry: {stderr}"
    );

    // The server is well again; one of the files was deleted meanwhile.
    env.sandbox.faults.clear();
    std::fs::remove_file(&gone).expect("rm");
    let mut c = fast(wixup(&env, "data"));
    c.args(["resume", "--json"]);
    let out = run(c).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("Nothing to resume"), "{stderr}");
    let lines = json_lines(&out);
    assert_eq!(
        lines.len(),
        2,
        "the two that can be retried: {lines:?}\n{stderr}"
    );
    for file in [&small, &big] {
        let l = lines
            .iter()
            .find(|l| l["path"].as_str() == file.to_str())
            .unwrap_or_else(|| panic!("a line for {}: {lines:?}", file.display()));
        assert_eq!(l["status"], "done", "{l}");
        assert_eq!(l["verified"], true, "{l}");
        let (code, body) = get(l["url"].as_str().expect("url")).await;
        assert_eq!(code, 200);
        assert!(
            body == std::fs::read(file).expect("read"),
            "{}",
            file.display()
        );
    }
    // The one whose file is gone is named, with what to do; it is not finished, so not 0.
    assert!(
        stderr.contains("gone.bin") && stderr.contains("no longer there"),
        "{stderr}"
    );
    exits_with(&out, 1);

    // Asked again: nothing is sent, and the gone file is still said, not "all finished".
    let created = env.stat(|s| &s.files_created);
    let mut c = fast(wixup(&env, "data"));
    c.arg("resume");
    let out = run(c).await;
    exits_with(&out, 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gone.bin") && !stderr.contains("every upload in the journal has finished"),
        "{stderr}"
    );
    assert_eq!(env.stat(|s| &s.files_created), created);
}
