//! What an imported file's record says beyond an upload's: the descriptor while its link is
//! still being fetched (PENDING: `hash: ""`, `media: null`), the reason it FAILED, and the
//! imports a restart cut short. Records only: the fetching itself is `import_fetch.rs`'s.

use serde_json::{Value, json};

use super::store::{FileRec, Key, State, now_unix_ms};

/// The reason given to an import whose fetch a restart of the sandbox cut short.
pub(super) const INTERRUPTED: &str =
    "the sandbox stopped while it was fetching the link; import it again";

/// Adjusts the descriptor of an imported file: while fetching it has no hash and no media
/// (Wix's PENDING shape), and with `tus-full` a FAILED one carries the reason (`failureReason`,
/// a sandbox addition: Wix documents none, so the `wix` profile gives none either).
pub(super) fn overlay(d: &mut Value, f: &FileRec, with_reason: bool) {
    if f.fetching {
        d["hash"] = json!("");
        d["media"] = Value::Null;
        d["operationStatus"] = json!("PENDING");
    }
    if let Some(why) = f.failure.as_ref().filter(|_| with_reason) {
        d["failureReason"] = json!(why);
    }
}

/// Marks `f` FAILED now, for `why`.
pub(super) fn fail(f: &mut FileRec, why: &str) {
    f.fetching = false;
    f.failed = true;
    f.failure = Some(why.to_string());
    f.ready_unix_ms = now_unix_ms();
}

/// Imports still fetching when the sandbox stopped become FAILED (their partial bytes are
/// deleted by the caller's clean-up of `files/`): nothing will finish them.
pub(super) fn fail_interrupted(state: &mut State) -> Vec<String> {
    let cut: Vec<String> = state
        .files
        .values()
        .filter(|f| f.fetching)
        .map(|f| f.id.clone())
        .collect();
    for id in &cut {
        if let Some(f) = state.files.get_mut(id) {
            fail(f, INTERRUPTED);
            let url = f.source_url.as_deref().map(shown);
            tracing::warn!(file = %id, url = ?url, "sandbox: import cut short by a restart");
        }
        state.touch(Key::File(id.clone()));
    }
    cut
}

/// A link as the sandbox logs it: without a password or query (signed links carry
/// credentials there).
pub(super) fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default(),
            u.path()
        ),
        Err(_) => "(not a URL)".into(),
    }
}

/// Where an import's bytes go while they arrive (renamed to the file's own path when complete).
pub(super) fn partial_name(file_id: &str) -> String {
    format!("{file_id}.part")
}

/// `name` with the extension of `mime` added when it has none (Wix does this to displayName).
pub(super) fn with_extension(name: &str, mime: Option<&str>) -> String {
    let has_ext = std::path::Path::new(name)
        .extension()
        .is_some_and(|e| !e.is_empty());
    match mime.and_then(extension_for) {
        Some(ext) if !has_ext => format!("{name}.{ext}"),
        _ => name.to_string(),
    }
}

/// The usual extension of a MIME type.
pub(super) fn extension_for(mime: &str) -> Option<&'static str> {
    Some(match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "image/svg+xml" => "svg",
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "audio/mpeg" => "mp3",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => return mime_guess::get_mime_extensions_str(mime)?.first().copied(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(fetching: bool) -> FileRec {
        FileRec {
            id: "abc123_0~mv2.jpg".into(),
            display_name: "a.jpg".into(),
            mime_type: "image/jpeg".into(),
            parent_folder_id: "media-root".into(),
            size: 0,
            md5: String::new(),
            private: false,
            created_unix_ms: 1,
            ready_unix_ms: u64::MAX,
            dimensions: None,
            failed: false,
            seq: 1,
            source_url: Some("http://127.0.0.1:9/a.jpg".into()),
            fetching,
            failure: None,
            labels: Vec::new(),
        }
    }

    #[test]
    fn a_fetch_cut_short_is_failed_on_load_and_others_are_left_alone() {
        let mut s = State::default();
        let mut done = rec(false);
        done.id = "def456_1~mv2.jpg".into();
        s.files.insert(done.id.clone(), done);
        let cut = rec(true);
        s.files.insert(cut.id.clone(), cut);
        assert_eq!(fail_interrupted(&mut s), vec!["abc123_0~mv2.jpg"]);
        let f = &s.files["abc123_0~mv2.jpg"];
        assert!(f.failed && !f.fetching);
        assert_eq!(f.failure.as_deref(), Some(INTERRUPTED));
        assert!(!s.files["def456_1~mv2.jpg"].failed);
        assert!(s.dirty.contains(&Key::File("abc123_0~mv2.jpg".into())));
    }

    #[test]
    fn logged_links_lose_passwords_and_queries() {
        assert_eq!(
            shown("https://me:secret@example.com:8443/a/b.jpg?X-Amz-Signature=abc#f"),
            "https://example.com:8443/a/b.jpg"
        );
    }

    #[test]
    fn pending_imports_have_no_hash_or_media_and_failures_say_why() {
        let mut d = json!({"hash": "x", "media": {"image": {}}, "operationStatus": "READY"});
        overlay(&mut d, &rec(true), true);
        assert_eq!(d["hash"], "");
        assert!(d["media"].is_null());
        assert_eq!(d["operationStatus"], "PENDING");
        let mut f = rec(false);
        fail(&mut f, "the link answered 404 Not Found");
        let mut d = json!({"hash": "", "operationStatus": "FAILED"});
        overlay(&mut d, &f, true);
        assert_eq!(d["failureReason"], "the link answered 404 Not Found");
        // The wix profile gives no reason: Wix documents none.
        let mut d = json!({"hash": "", "operationStatus": "FAILED"});
        overlay(&mut d, &f, false);
        assert!(d.get("failureReason").is_none());
    }
}
