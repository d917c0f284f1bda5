//! A job's id and where it stands, with the transitions the engine allows.

use serde::{Deserialize, Serialize};

/// Identifies a job within one data dir (never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId(pub u64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a job stands. Transitions are checked by [`JobState::can_become`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a free upload slot.
    Queued,
    /// Getting a tus endpoint from Wix, creating the tus upload, sending bytes (retries included).
    Uploading,
    /// Stopped by the person; keeps its upload URL and continues from the server's offset.
    Paused,
    /// All bytes are on the server; the finalize request is under way.
    Finalizing,
    /// Finalized; waiting for Wix to report the file READY.
    Processing,
    /// READY on the site.
    Done,
    /// Stopped by an error that retries could not fix; Retry starts it again.
    Failed,
    /// Cancelled by the person; the server-side upload was terminated.
    Cancelled,
}

impl JobState {
    /// Done, failed or cancelled: nothing more happens without a command.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }

    /// A worker is (or should be) running for it.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            JobState::Uploading | JobState::Finalizing | JobState::Processing
        )
    }

    /// The transitions the engine allows.
    pub fn can_become(self, to: JobState) -> bool {
        use JobState::*;
        match (self, to) {
            (a, b) if a == b => false,
            // Done: the same bytes were found on the site already (nothing sent).
            (Queued, Uploading | Paused | Cancelled | Failed | Done) => true,
            (Uploading, Queued | Paused | Finalizing | Processing | Failed | Cancelled) => true,
            (Paused, Queued | Cancelled) => true,
            (Finalizing, Processing | Queued | Uploading | Failed | Done) => true,
            (Processing, Queued | Done | Failed) => true,
            (Failed, Queued | Cancelled) => true,
            (Cancelled, Queued) => true,
            (Done, _) => false,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JobState::*;

    #[test]
    fn transitions() {
        assert!(Queued.can_become(Uploading));
        assert!(Uploading.can_become(Paused));
        assert!(Paused.can_become(Queued));
        assert!(Failed.can_become(Queued));
        assert!(
            !Done.can_become(Queued),
            "finished uploads are never redone"
        );
        assert!(!Paused.can_become(Done));
        assert!(!Queued.can_become(Queued));
        assert!(Done.is_finished() && Failed.is_finished() && Cancelled.is_finished());
        assert!(Uploading.is_active() && !Paused.is_active());
    }
}
