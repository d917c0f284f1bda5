//! Wix-shaped file ids: `<6hex>_<32hex>~mv2.<ext>` for images, `<6hex>_<32hex>.<ext>` for
//! other files. The first part is the same for every file of a site (Wix's is the site
//! owner's), the second is random; the extension comes from the name, else the MIME type.

use sha1::Digest as _;

use super::store::random_hex;

/// A new file id for a file of `site_id` named `name` of type `mime`.
pub(super) fn mint_file_id(site_id: &str, name: Option<&str>, mime: &str) -> String {
    let site = hex::encode(sha1::Sha1::digest(site_id.as_bytes()));
    let ext = name
        .and_then(extension_of)
        .or_else(|| extension_for_mime(mime));
    format!(
        "{}_{}{}{}",
        &site[..6],
        random_hex(16),
        if mime.starts_with("image/") {
            "~mv2"
        } else {
            ""
        },
        ext.map(|e| format!(".{e}")).unwrap_or_default()
    )
}

/// A name's extension, lowercase, when it is short and plain.
pub(super) fn extension_of(name: &str) -> Option<String> {
    std::path::Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The usual extension of a MIME type.
pub(super) fn extension_for_mime(mime: &str) -> Option<String> {
    let mime = mime.split(';').next().unwrap_or("").trim();
    let preferred = match mime {
        "image/jpeg" => Some("jpg"),
        "image/svg+xml" => Some("svg"),
        "video/quicktime" => Some("mov"),
        "text/plain" => Some("txt"),
        _ => None,
    };
    preferred.map(str::to_string).or_else(|| {
        mime_guess::get_mime_extensions_str(mime)
            .and_then(|e| e.first())
            .map(|e| e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_wix_ids() {
        let a = mint_file_id("site", Some("Beach.JPG"), "image/jpeg");
        let b = mint_file_id("site", None, "image/png");
        let pdf = mint_file_id("site", Some("report"), "application/pdf");
        let (prefix, rest) = a.split_once('_').unwrap();
        assert_eq!(prefix.len(), 6);
        assert!(rest.ends_with("~mv2.jpg"), "{a}");
        assert_eq!(rest.len(), 32 + "~mv2.jpg".len());
        assert!(b.starts_with(prefix) && b.ends_with("~mv2.png"), "{b}");
        assert_ne!(a[7..39], b[7..39]);
        assert!(pdf.ends_with(".pdf") && !pdf.contains("~mv2"), "{pdf}");
        assert_ne!(
            mint_file_id("other-site", None, "image/png")[..6],
            a[..6],
            "the first part names the site"
        );
    }
}
