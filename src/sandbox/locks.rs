//! The sandbox's per-key locks. One writer per tus upload: a PATCH holds its upload's entry
//! while it writes, and a second PATCH to the same upload meanwhile gets 423. One finalize per
//! token: the callers behind it wait their turn. Either way an entry lives only while someone
//! holds or waits for it, so the maps never outgrow the requests in flight, however many ids
//! clients send.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// The uploads being written right now.
#[derive(Debug, Default, Clone)]
pub(crate) struct UploadLocks {
    held: Arc<Mutex<HashSet<String>>>,
}

/// Holds an upload until dropped.
#[derive(Debug)]
pub(crate) struct UploadGuard {
    held: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl UploadLocks {
    fn set(held: &Mutex<HashSet<String>>) -> MutexGuard<'_, HashSet<String>> {
        match held.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Takes the upload, or `None` when another request holds it.
    pub(crate) fn try_acquire(&self, id: &str) -> Option<UploadGuard> {
        let mut held = Self::set(&self.held);
        if !held.insert(id.to_string()) {
            return None;
        }
        Some(UploadGuard {
            held: self.held.clone(),
            id: id.to_string(),
        })
    }

    /// How many uploads are held (for `/_sandbox/stats` and tests).
    pub(crate) fn len(&self) -> usize {
        Self::set(&self.held).len()
    }
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        UploadLocks::set(&self.held).remove(&self.id);
    }
}

/// One lock per token with a finalize running or waiting.
#[derive(Debug, Default)]
pub(crate) struct FinalizeLocks {
    held: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl FinalizeLocks {
    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        match self.held.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The lock of `token`, made if nobody holds or waits for it; lock it, and give it back to
    /// [`FinalizeLocks::release`] once unlocked.
    pub(crate) fn entry(&self, token: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.map().entry(token.to_string()).or_default().clone()
    }

    /// Lets go of `lock` (unlocked); its entry goes when nobody else waits for it.
    pub(crate) fn release(&self, token: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut map = self.map();
        // Only the map and this caller hold it: nobody waits, so it can go.
        if Arc::strong_count(&lock) == 2 {
            map.remove(token);
        }
    }

    /// How many tokens have a finalize running or waiting.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_held_once_and_let_go_when_its_holder_drops() {
        let locks = UploadLocks::default();
        let a = locks.try_acquire("a").expect("free");
        assert!(
            locks.try_acquire("a").is_none(),
            "a second writer is refused"
        );
        let b = locks.try_acquire("b").expect("another upload is free");
        assert_eq!(locks.len(), 2);
        drop(a);
        assert_eq!(locks.len(), 1);
        let again = locks.try_acquire("a").expect("free again once dropped");
        drop((again, b));
        assert_eq!(locks.len(), 0, "no entry outlives its holder");
        for i in 0..10_000 {
            drop(locks.try_acquire(&format!("bogus-{i}")));
        }
        assert_eq!(locks.len(), 0);
    }

    #[tokio::test]
    async fn a_finalize_entry_stays_while_someone_waits_and_goes_after_the_last() {
        let locks = FinalizeLocks::default();
        let first = locks.entry("t");
        let guard = first.clone().lock_owned().await;
        let second = locks.entry("t");
        assert!(Arc::ptr_eq(&first, &second), "one lock per token");
        assert!(second.try_lock().is_err(), "the second caller waits");
        let other = locks.entry("u");
        assert_eq!(locks.len(), 2);
        drop(guard);
        locks.release("t", first);
        assert_eq!(locks.len(), 2, "kept: the second caller still needs it");
        locks.release("t", second);
        locks.release("u", other);
        assert_eq!(locks.len(), 0, "no entry outlives its callers");
    }
}
