//! Files Wix refuses by their content (JPEG XL, HTTP 406), refused before anything of them
//! is kept: on the tus path at the finalize (the upload and its bytes are removed), on the
//! one-PUT path before the received bytes become a file.

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use axum::response::Response;

use super::disk::DiskError;
use super::processing::{JPEG_XL_REFUSED, refused_file};
use super::reply::wix_error;
use super::state::AppState;
use super::store::Key;

/// What a finalize's client does after the sandbox failed to store something.
const AGAIN: &str = "finalize again";

/// Wix refuses some files by their content (JPEG XL) with 406 before keeping anything: the
/// upload and its bytes are removed, and the token has nothing uploaded with it any more.
pub(super) async fn refuse_by_content(
    app: &AppState,
    token: &str,
    upload_id: &str,
) -> Result<(), Response> {
    let bin = app.inner.dirs.upload(upload_id);
    let path = bin.clone();
    let refused = tokio::task::spawn_blocking(move || refused_file(&path))
        .await
        .unwrap_or(false);
    if !refused {
        return Ok(());
    }
    app.with(|s| {
        if s.uploads.remove(upload_id).is_some() {
            s.touch(Key::Upload(upload_id.to_string()));
        }
        if let Some(t) = s.tokens.get_mut(token)
            && t.upload_id.as_deref() == Some(upload_id)
        {
            t.upload_id = None;
            s.touch(Key::Token(token.to_string()));
        }
    });
    let _ = tokio::fs::remove_file(&bin).await;
    if let Err(e) = app.save().await {
        return Err(DiskError::from(e).wix_reply(AGAIN));
    }
    app.inner
        .stats
        .refused_by_content
        .fetch_add(1, Ordering::SeqCst);
    Err(not_acceptable())
}

/// Wix's answer to a file it refuses by its content.
pub(super) fn not_acceptable() -> Response {
    wix_error(
        StatusCode::NOT_ACCEPTABLE,
        "FILE_TYPE_NOT_SUPPORTED",
        JPEG_XL_REFUSED,
    )
}
