//! The sandbox's records on disk: one small JSON file per token, upload, file and folder, written
//! atomically when it changes and deleted when it is gone, so the work per request is
//! proportional to what the request changed, not to how much the sandbox holds.
//!
//! Loading reads every record; one that does not parse is set aside (renamed to
//! `NAME.unreadable-UNIX.json` beside it, with a warning naming it) and the others still load.
//! The single `state.json` of earlier versions is imported once, then set aside the same way.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::{
    Dirs, FileRec, FolderRec, Key, Phase, RECORD_KINDS, State, TokenRec, UploadRec,
};

/// A record could not be saved.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot save the sandbox record {}: {source}; check that its data dir is writable and has room",
    path.display()
)]
pub struct SaveError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// A token record: the token is the map key in memory, so it is stored inside the record.
#[derive(Serialize, Deserialize)]
struct TokenFile {
    token: String,
    #[serde(flatten)]
    rec: TokenRec,
}

/// The bytes of the record `key` as it stands, or `None` when it is gone.
fn encode(state: &State, key: &Key) -> serde_json::Result<Option<Vec<u8>>> {
    match key {
        Key::Folder(id) => state.folders.get(id).map(serde_json::to_vec).transpose(),
        Key::File(id) => state.files.get(id).map(serde_json::to_vec).transpose(),
        Key::Upload(id) => state.uploads.get(id).map(serde_json::to_vec).transpose(),
        Key::Token(t) => state
            .tokens
            .get(t)
            .map(|rec| {
                serde_json::to_vec(&TokenFile {
                    token: t.clone(),
                    rec: rec.clone(),
                })
            })
            .transpose(),
    }
}

/// Writes (or deletes) every record marked dirty. Blocking: run it on the blocking pool.
/// `save_lock` keeps two saves from racing on one record; each writes what the state holds
/// when it gets there, so the last save always leaves the latest state on disk. A key that
/// could not be written stays dirty for the next save.
pub(crate) fn flush(
    state: &std::sync::Mutex<State>,
    save_lock: &std::sync::Mutex<()>,
    dirs: &Dirs,
) -> Result<(), SaveError> {
    let _serial = save_lock.lock().unwrap_or_else(|p| p.into_inner());
    let with = |f: &mut dyn FnMut(&mut State)| {
        let mut g = state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g);
    };
    let mut keys = Default::default();
    with(&mut |s| keys = std::mem::take(&mut s.dirty));
    let mut keys = keys.into_iter();
    while let Some(key) = keys.next() {
        let path = dirs.record(&key);
        let mut bytes = Ok(None);
        with(&mut |s| bytes = encode(s, &key));
        let result = match bytes {
            Ok(Some(b)) => crate::fs::write_atomic(&path, &b),
            Ok(None) => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Err(source) = result {
            with(&mut |s| {
                s.dirty.insert(key.clone());
                s.dirty.extend(keys.by_ref());
            });
            return Err(SaveError { path, source });
        }
    }
    Ok(())
}

/// Renames an unreadable `NAME.json` to `NAME.unreadable-UNIX.json` and says so.
fn set_aside(path: &Path, why: &dyn std::fmt::Display) {
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".json").to_string())
        .unwrap_or_default();
    let aside = path.with_file_name(format!(
        "{stem}.unreadable-{}.json",
        super::store::now_unix()
    ));
    match std::fs::rename(path, &aside) {
        Ok(()) => tracing::warn!(
            "sandbox: {} could not be read ({why}); set it aside as {} and started without it",
            path.display(),
            aside.display()
        ),
        Err(e) => tracing::warn!(
            "sandbox: {} could not be read ({why}) nor set aside ({e}); started without it",
            path.display()
        ),
    }
}

/// A set-aside or temporary file, never loaded.
fn is_record_name(name: &str) -> bool {
    name.ends_with(".json") && !name.contains(".unreadable-")
}

/// Reads every record of one kind, with the name it is stored under (`NAME.json`); unreadable
/// ones are set aside.
fn read_kind<T: serde::de::DeserializeOwned>(
    dirs: &Dirs,
    kind: &str,
) -> std::io::Result<Vec<(String, T)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dirs.records(kind))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".tmp") {
            // A write that never got renamed into place: the record before it still stands.
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let Some(stem) = name.strip_suffix(".json").filter(|_| is_record_name(&name)) else {
            continue;
        };
        match std::fs::read(&path) {
            Ok(b) => match serde_json::from_slice(&b) {
                Ok(r) => out.push((stem.to_string(), r)),
                Err(e) => set_aside(&path, &e),
            },
            Err(e) => tracing::warn!(
                "sandbox: cannot read {} ({e}); started without it",
                path.display()
            ),
        }
    }
    Ok(out)
}

/// Imports the `state.json` of earlier versions: what no record holds yet is taken and marked
/// dirty (records win: they are newer). True when there was one to import; one that does not
/// parse is set aside.
fn import_legacy(dirs: &Dirs, state: &mut State) -> bool {
    let path = dirs.legacy_state();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
        Err(e) => {
            set_aside(&path, &e);
            return false;
        }
    };
    let old: State = match serde_json::from_slice(&bytes) {
        Ok(s) => s,
        Err(e) => {
            set_aside(&path, &e);
            return false;
        }
    };
    for (id, f) in old.folders {
        if !state.folders.contains_key(&id) {
            state.folders.insert(id.clone(), f);
            state.touch(Key::Folder(id));
        }
    }
    for (id, f) in old.files {
        if !state.files.contains_key(&id) {
            state.files.insert(id.clone(), f);
            state.touch(Key::File(id));
        }
    }
    for (id, mut u) in old.uploads {
        if !state.uploads.contains_key(&id) {
            u.metadata.remove("token");
            state.uploads.insert(id.clone(), u);
            state.touch(Key::Upload(id));
        }
    }
    for (t, rec) in old.tokens {
        if !state.tokens.contains_key(&t) {
            state.tokens.insert(t.clone(), rec);
            state.touch(Key::Token(t));
        }
    }
    state.seq = state.seq.max(old.seq);
    true
}

/// Loads every record (and a `state.json` of earlier versions), drops uploads no token leads
/// to any more (with their bytes), and re-reads each receiving upload's offset from its bytes.
pub(crate) fn load(dirs: &Dirs) -> std::io::Result<State> {
    let mut state = State::default();
    for (_, f) in read_kind::<FolderRec>(dirs, RECORD_KINDS[0])? {
        state.folders.insert(f.id.clone(), f);
    }
    for (_, f) in read_kind::<FileRec>(dirs, RECORD_KINDS[1])? {
        state.seq = state.seq.max(f.seq);
        state.files.insert(f.id.clone(), f);
    }
    for (id, u) in read_kind::<UploadRec>(dirs, RECORD_KINDS[2])? {
        state.uploads.insert(id, u);
    }
    for (_, t) in read_kind::<TokenFile>(dirs, RECORD_KINDS[3])? {
        state.tokens.insert(t.token, t.rec);
    }
    let legacy = import_legacy(dirs, &mut state);
    collect_garbage(dirs, &mut state);
    for id in super::import_record::fail_interrupted(&mut state) {
        let _ = std::fs::remove_file(
            dirs.root
                .join("files")
                .join(super::import_record::partial_name(&id)),
        );
    }
    for (id, u) in state.uploads.iter_mut() {
        u.offset = match u.phase {
            Phase::Receiving => std::fs::metadata(dirs.upload(id))
                .map(|m| m.len())
                .unwrap_or(0)
                .min(u.length),
            _ => u.length,
        };
    }
    if state.dirty.is_empty() && !legacy {
        return Ok(state);
    }
    // Write what the import and the clean-up changed; only then is the old file moved away.
    let state = std::sync::Mutex::new(state);
    match flush(&state, &std::sync::Mutex::new(()), dirs) {
        Ok(()) if legacy => set_aside_imported(dirs),
        Ok(()) => {}
        Err(e) => tracing::warn!("sandbox: {e}; it is tried again on the next change"),
    }
    Ok(state.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// Moves an imported `state.json` to `state.imported-UNIX.json`.
fn set_aside_imported(dirs: &Dirs) {
    let path = dirs.legacy_state();
    let aside = path.with_file_name(format!("state.imported-{}.json", super::store::now_unix()));
    if let Err(e) = std::fs::rename(&path, &aside) {
        tracing::warn!("sandbox: cannot set aside {} ({e})", path.display());
    }
}

/// Drops an upload whose token is gone or has moved on to another upload (one live upload per
/// token), or a finalized one past its expiry, and deletes bytes no upload record owns.
fn collect_garbage(dirs: &Dirs, state: &mut State) {
    let now = super::store::now_unix();
    let stale: Vec<String> = state
        .uploads
        .iter()
        .filter(|(id, u)| {
            let current = state
                .tokens
                .get(&u.token)
                .is_some_and(|t| t.upload_id.as_deref() == Some(id.as_str()));
            let finished_and_expired =
                matches!(u.phase, Phase::Finalized { .. }) && u.expires_unix <= now;
            !current || finished_and_expired
        })
        .map(|(id, _)| id.clone())
        .collect();
    for id in stale {
        if let Some(u) = state.uploads.remove(&id)
            && matches!(u.phase, Phase::Receiving)
        {
            let _ = std::fs::remove_file(dirs.upload(&id));
        }
        state.touch(Key::Upload(id));
    }
    let Ok(entries) = std::fs::read_dir(dirs.root.join("uploads")) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".bin")
            && !state.uploads.contains_key(id)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
