//! Where the two profiles differ, named: one [`Quirks`] built from the [`Profile`](super::Profile)
//! when the sandbox opens (`Profile::quirks`), read by name wherever a handler behaves one way or
//! the other. Each field says what Wix does and how sure we are of it, with the markers of
//! `../shared/wix-api-field.md`: **confirmed** (Wix's docs or code, or two or more independent
//! clients), **inferred**, **unknown**. Where Wix's behaviour is unknown, the `wix` profile takes
//! the narrower side, so a client that works against it does not lean on what Wix may not have.

/// What the sandbox does where Wix and a full tus server part ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    /// The tus extension `creation-with-upload` is offered: a creation may carry the first
    /// bytes. Otherwise a creation with a body is refused (400). Wix: **unknown**; no public
    /// client sends data with the creation.
    pub offers_creation_with_upload: bool,
    /// `termination` is offered: DELETE removes an upload. Otherwise DELETE answers 405.
    /// Wix: **unknown**; no public client terminates.
    pub offers_termination: bool,
    /// `checksum` (and `checksum-trailer` when the configuration allows it) is offered, with
    /// `Tus-Checksum-Algorithm`. Otherwise a PATCH with `Upload-Checksum` or a `Trailer` is
    /// refused (400). Wix: **unknown**; no public client sends a checksum.
    pub offers_checksum: bool,
    /// `expiration` is offered: creation, HEAD and PATCH answers carry `Upload-Expires`.
    /// Wix: **unknown** (resumable tokens live about 7 days, **inferred**, but no answer is known
    /// to say so). Uploads expire after `upload_ttl` either way.
    pub offers_expiration: bool,
    /// OPTIONS announces `Tus-Max-Size`. Wix: **unknown**, so a client must not count on
    /// knowing the limit before it creates an upload.
    pub announces_max_size: bool,
    /// Every second creation answers with a `Location` relative to the creation URL
    /// (`tus/ID`), the others with an absolute one. Wix: **unknown** which of the two it
    /// sends; clients resolve it against the upload URL, so both are served.
    pub relative_location_every_other: bool,
    /// An upload token (finalize) or one-PUT upload URL that already made its file is refused
    /// with Wix's generic 429 `RESOURCE_EXHAUSTED` when used again; otherwise the repeat is
    /// answered with the same file. Wix: **inferred** (the token is called one-time, and the
    /// 429 covers "a previously used one-time token").
    pub one_time_tokens: bool,
    /// Tokens and upload URLs have Wix's sizes: a resumable token of about 3.3 KB (so
    /// `Upload-Metadata` is about 4.4 KB) and a one-PUT URL of about 2.8 KB; otherwise short.
    /// Wix: **confirmed** (its sample token is 3,219 characters).
    pub jwt_sized_tokens: bool,
    /// The file id is fixed when the upload URL is handed out (Wix keeps it in the token) and
    /// the finalize makes the file under it; otherwise the id is chosen at finalize.
    /// Wix: **confirmed**.
    pub file_id_fixed_at_generate: bool,
    /// A file still PENDING has `hash: ""` and `media: null` (the MD5 and the media facts come
    /// with READY); otherwise they are there from the start. Wix: **confirmed**.
    pub pending_files_have_empty_hash_and_null_media: bool,
    /// A FAILED import says why in `failureReason`, a sandbox addition. Wix documents no such
    /// field (**unknown**), so the `wix` profile gives none.
    pub failure_reason: bool,
}

impl Quirks {
    /// Wix as far as public evidence shows.
    pub const WIX: Quirks = Quirks {
        offers_creation_with_upload: false,
        offers_termination: false,
        offers_checksum: false,
        offers_expiration: false,
        announces_max_size: false,
        relative_location_every_other: true,
        one_time_tokens: true,
        jwt_sized_tokens: true,
        file_id_fixed_at_generate: true,
        pending_files_have_empty_hash_and_null_media: true,
        failure_reason: false,
    };

    /// Everything the sandbox's tus server has, and the gentler answers.
    pub const TUS_FULL: Quirks = Quirks {
        offers_creation_with_upload: true,
        offers_termination: true,
        offers_checksum: true,
        offers_expiration: true,
        announces_max_size: true,
        relative_location_every_other: false,
        one_time_tokens: false,
        jwt_sized_tokens: false,
        file_id_fixed_at_generate: false,
        pending_files_have_empty_hash_and_null_media: false,
        failure_reason: true,
    };

    /// `Tus-Extension` for OPTIONS, in the usual order; `checksum_trailer` is the
    /// configuration's choice (it only counts when checksums are offered).
    pub fn tus_extensions(&self, checksum_trailer: bool) -> String {
        [
            ("creation", true),
            ("creation-with-upload", self.offers_creation_with_upload),
            ("termination", self.offers_termination),
            ("checksum", self.offers_checksum),
            ("checksum-trailer", self.offers_checksum && checksum_trailer),
            ("expiration", self.offers_expiration),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_list_what_each_profile_offers() {
        assert_eq!(Quirks::WIX.tus_extensions(true), "creation");
        assert_eq!(
            Quirks::TUS_FULL.tus_extensions(true),
            "creation,creation-with-upload,termination,checksum,checksum-trailer,expiration"
        );
        assert_eq!(
            Quirks::TUS_FULL.tus_extensions(false),
            "creation,creation-with-upload,termination,checksum,expiration"
        );
    }
}
