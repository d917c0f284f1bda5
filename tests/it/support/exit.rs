//! How a `wixup` process ended, asserted with everything it printed in the failure message: an
//! unexpected exit code alone says nothing about why.

use std::process::{ExitStatus, Output};

/// A finished process: its exit status, and what it printed when that was captured.
pub trait Ended {
    fn status(&self) -> ExitStatus;
    /// Stdout and stderr, for a failure message.
    fn printed(&self) -> String;
}

impl Ended for Output {
    fn status(&self) -> ExitStatus {
        self.status
    }
    fn printed(&self) -> String {
        format!(
            "stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&self.stdout),
            String::from_utf8_lossy(&self.stderr)
        )
    }
}

impl Ended for ExitStatus {
    fn status(&self) -> ExitStatus {
        *self
    }
    fn printed(&self) -> String {
        "(output not captured)".into()
    }
}

/// Asserts that the process exited with `code` (a signal is no code, so never matches).
pub fn exits_with(ended: &impl Ended, code: i32) {
    let status = ended.status();
    assert_eq!(
        status.code(),
        Some(code),
        "expected exit code {code}, got {status}\n{}",
        ended.printed()
    );
}

/// Asserts that the process did not succeed: a non-zero exit code, or killed by a signal.
pub fn exits_failing(ended: &impl Ended) {
    let status = ended.status();
    assert!(
        !status.success(),
        "expected a failure, got {status}\n{}",
        ended.printed()
    );
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::process::ExitStatusExt as _;

    use super::*;

    fn output(raw_wait_status: i32, stderr: &str) -> Output {
        Output {
            status: ExitStatus::from_raw(raw_wait_status),
            stdout: b"some stdout".to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_code_must_match_exactly() {
        exits_with(&output(0, ""), 0);
        exits_with(&output(2 << 8, ""), 2);
        exits_failing(&output(1 << 8, ""));
        // Killed by SIGKILL: a failure, and no exit code at all.
        exits_failing(&ExitStatus::from_raw(9));
    }

    #[test]
    #[should_panic(expected = "stderr:\nerror: no such file")]
    fn a_wrong_code_shows_what_the_process_printed() {
        exits_with(&output(1 << 8, "error: no such file"), 0);
    }

    #[test]
    #[should_panic(expected = "got signal: 9")]
    fn a_signal_is_not_an_exit_code() {
        exits_with(&ExitStatus::from_raw(9), 0);
    }

    #[test]
    #[should_panic(expected = "expected a failure")]
    fn a_success_is_not_a_failure() {
        exits_failing(&output(0, ""));
    }
}
