//! One writer per tus upload: a PATCH holds its upload's entry while it writes, and a second
//! PATCH to the same upload meanwhile gets 423. An entry lives exactly as long as its holder,
//! so the set never outgrows the number of PATCHes in flight, however many ids clients send.

use std::collections::HashSet;
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
}
