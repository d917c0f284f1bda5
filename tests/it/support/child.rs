//! Running one test again in a child process of this test binary, in a world the test process
//! cannot give itself without disturbing the tests that run beside it: without root's power to
//! read any file, or with an environment of its own (no desktop bus, no `zenity` on the PATH).

use std::process::Command;

/// Set in the child; the test's body runs there.
const CHILD: &str = "WIXUP_TEST_IN_CHILD";

/// Whether this is the child [`in_child`] started.
pub fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs the test `module::name` (its path as `module_path!()` gives it) again in a child of this
/// binary, started by `program` with `args` before the binary (`setpriv …`, or `env`), with
/// `setup` applied to the command (its environment), and fails with its output if it fails.
pub fn in_child(
    module: &str,
    name: &str,
    program: &str,
    args: &[&str],
    setup: impl FnOnce(&mut Command),
) {
    // The harness names a test by its path below the crate.
    let module = module.split_once("::").map_or("", |(_, m)| m);
    let mut c = Command::new(program);
    c.args(args)
        .arg(std::env::current_exe().expect("the test binary"))
        .args(["--exact", &format!("{module}::{name}"), "--test-threads=1"])
        .arg("--nocapture")
        .env(CHILD, "1");
    setup(&mut c);
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{program} could not run the test in a child: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the test in a child process failed:\n{stdout}\n{stderr}"
    );
}

/// Whether this process reads files whatever their mode (root's `CAP_DAC_OVERRIDE` or
/// `CAP_DAC_READ_SEARCH` in its effective set).
pub fn reads_anything() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & 0b110 != 0)
}

/// Runs `body` (the test `module::name`) where file permissions bind: here when they do (not
/// root), else again in a child under `setpriv` without the two capabilities that let root
/// ignore them; a mode-000 file is then refused to it as to anyone, and its owner can still
/// `chmod` it back.
pub fn where_permissions_bind(module: &str, name: &str, body: impl FnOnce()) {
    if is_child() || !reads_anything() {
        body();
        return;
    }
    let drop = "-dac_override,-dac_read_search";
    in_child(
        module,
        name,
        "setpriv",
        &["--bounding-set", drop, "--inh-caps", drop],
        |_| {},
    );
}
