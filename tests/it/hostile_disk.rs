//! A data dir on a full disk, for real: a small tmpfs of the test's own (in a mount namespace,
//! `unshare -rm`, or mounted as root), filled to the last page. Finished uploads that the history
//! cannot take are said where the person looks, kept, and written once there is room.

use std::ffi::OsStr;
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::http::Method;
use wixup::sandbox::{FaultKind, Rule};

use super::support::{Env, exits_with, poll_until, random_file};

/// How this machine gives a test a small file system of its own.
#[derive(Debug, Clone, Copy)]
enum Disk {
    /// `unshare -rm`: a user and mount namespace, no privilege needed.
    UnshareUser,
    /// `unshare -m` as root.
    UnshareRoot,
    /// A plain `mount` as root (unmounted when the script ends).
    Mount,
}

fn disk() -> Disk {
    let unshare = |flag: &str| {
        Command::new("unshare")
            .args([flag, "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if unshare("-rm") {
        return Disk::UnshareUser;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root && unshare("-m") {
        return Disk::UnshareRoot;
    }
    assert!(
        root,
        "this test needs a small file system of its own: `unshare -rm` (unprivileged user \
         namespaces) does not work here and this is not root, so no tmpfs can be mounted; \
         enable user namespaces (sysctl kernel.unprivileged_userns_clone=1 or \
         user.max_user_namespaces) or run the tests as root"
    );
    Disk::Mount
}

/// Mounts a 256 KiB tmpfs on `$DATA`, lets a first `wixup resume` make the lock and the journal
/// there, fills every page that is left, then runs `wixup "$@"`; the history is copied to
/// `$OUT` when it ends (the tmpfs goes with the namespace).
const SCRIPT: &str = r#"set -e
mount -t tmpfs -o size=256k wixup-test "$DATA"
if [ -n "$UMOUNT" ]; then trap 'umount "$DATA"' EXIT; fi
"$WIXUP" resume >/dev/null
cat /dev/zero > "$DATA/filler" 2>/dev/null || true
set +e
"$WIXUP" "$@"
rc=$?
cp "$DATA/history.jsonl" "$OUT/history.jsonl" 2>/dev/null
exit $rc
"#;

/// `wixup ARGS` with its data dir (`env.path("data")`) on a full tmpfs; the sandbox is the
/// test's, elsewhere.
fn on_a_full_disk(env: &Env, args: &[&OsStr]) -> Command {
    let data = env.path("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::create_dir_all(env.path("out")).expect("mkdir");
    let mut c = match disk() {
        Disk::UnshareUser => {
            let mut c = Command::new("unshare");
            c.args(["-rm", "sh", "-c", SCRIPT, "sh"]);
            c
        }
        Disk::UnshareRoot => {
            let mut c = Command::new("unshare");
            c.args(["-m", "sh", "-c", SCRIPT, "sh"]);
            c
        }
        Disk::Mount => {
            let mut c = Command::new("sh");
            c.args(["-c", SCRIPT, "sh"]).env("UMOUNT", "1");
            c
        }
    };
    c.args(args)
        .env("WIXUP", env!("CARGO_BIN_EXE_wixup"))
        .env("DATA", &data)
        .env("OUT", env.path("out"))
        .env("WIXUP_DATA_DIR", &data)
        .env("WIXUP_API_BASE", env.base().as_str())
        .env_remove("WIX_API_KEY")
        .env_remove("WIX_SITE_ID")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// The names in the history the run left.
fn history_names(env: &Env) -> Vec<String> {
    let text = std::fs::read_to_string(env.path("out/history.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn os(p: &Path) -> &OsStr {
    p.as_os_str()
}

/// The history cannot be written while the disk is full: the CLI says so on stderr (naming the
/// file), keeps the entry, and once there is room again writes it, says so, and exits 0.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_on_a_full_disk_is_said_kept_and_written_once_there_is_room() {
    let env = Env::start().await;
    // One PUT: it finishes while the disk is full.
    let small = random_file(env.dir.path(), "small.bin", 20_000);
    // Resumable, held by the server until the test has made room.
    let big = random_file(env.dir.path(), "big.bin", 11 << 20);
    env.sandbox.faults.add(
        Rule::nth(
            Some(Method::PATCH),
            "",
            1,
            FaultKind::Status {
                status: 503,
                retry_after_secs: None,
            },
        )
        .times(u64::MAX / 2),
    );
    let upload = [
        OsStr::new("upload"),
        OsStr::new("--json"),
        os(&small),
        os(&big),
    ];
    let mut c = on_a_full_disk(&env, &upload);
    // Retries every 100 ms for a minute: room is made long before they run out.
    c.env("WIXUP_RETRY_DELAYS_MS", vec!["100"; 600].join(","));
    let mut child = c.spawn().expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = lines_tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let told = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(l) if l.contains("history.jsonl") && l.contains("tries again") => {
                    return Some(l);
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("join");
    let Some(told) = told else {
        let _ = child.kill();
        panic!(
            "no line said the history could not be written:\n{}",
            reader.join().unwrap_or_default()
        );
    };
    assert!(told.starts_with("warning: "), "{told}");
    assert!(told.contains("Free some space"), "says what to do: {told}");
    // Room again (through the namespace's view of the tmpfs), and the server takes the big file.
    let filler = Path::new("/proc")
        .join(child.id().to_string())
        .join("root")
        .join(env.path("data/filler").strip_prefix("/").expect("absolute"));
    std::fs::remove_file(&filler).expect("remove the filler");
    env.sandbox.faults.clear();
    let Some(status) =
        poll_until(Duration::from_secs(60), || child.try_wait().expect("wait")).await
    else {
        let _ = child.kill();
        panic!("wixup did not finish");
    };
    let stderr = reader.join().expect("stderr");
    exits_with(&status, 0);
    assert!(stderr.contains("is written again"), "{stderr}");
    let mut names = history_names(&env);
    names.sort();
    assert_eq!(names, ["big.bin", "small.bin"], "{stderr}");
}

/// The disk stays full: every file uploads, the history takes none of them, and the run says so
/// (how many, which file, what it means, what to do) and does not exit 0.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_on_a_disk_that_stays_full_is_said_and_the_run_is_not_all_well() {
    let env = Env::start().await;
    let files: Vec<_> = (0..20)
        .map(|i| random_file(env.dir.path(), &format!("f{i:02}.bin"), 2000))
        .collect();
    let mut args = vec![OsStr::new("upload"), OsStr::new("--json")];
    args.extend(files.iter().map(|f| os(f)));
    let c = on_a_full_disk(&env, &args);
    let out = tokio::task::spawn_blocking(move || {
        let mut c = c;
        c.output().expect("runs")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout.matches(r#""status":"done""#).count(),
        20,
        "every file uploads:\n{stdout}\n{stderr}"
    );
    exits_with(&out, 1);
    assert!(
        stderr.contains("20 finished uploads could not be added to the upload history")
            && stderr.contains("history.jsonl")
            && stderr.contains("sends them again")
            && stderr.contains("Free some space"),
        "{stderr}"
    );
    assert!(history_names(&env).is_empty());
}
