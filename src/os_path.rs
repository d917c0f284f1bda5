//! Paths in JSON, exactly. A path on Unix is bytes and need not be UTF-8 (`caf\xe9.txt` from an
//! old USB stick or a zip archive); serde's own `Path` impl refuses those, which once made one odd
//! name stop the journal and the history from being written at all.
//!
//! A UTF-8 path is written as a plain JSON string (what older journals hold, and what a person
//! reads); any other is written as `{"unix_bytes": "<base64>"}` (on Windows `{"wide": [u16…]}`),
//! and both read back to the identical path. Use it as `#[serde(with = "crate::os_path")]`.
//! For showing a path, use [`lossy`].

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Repr {
    Text(String),
    Raw(Raw),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unix_bytes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wide: Option<Vec<u16>>,
}

pub fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    match path.to_str() {
        Some(text) => Repr::Text(text.to_owned()).serialize(s),
        None => Repr::Raw(raw(path)).serialize(s),
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    match Repr::deserialize(d)? {
        Repr::Text(t) => Ok(PathBuf::from(t)),
        Repr::Raw(r) => from_raw(r).map_err(serde::de::Error::custom),
    }
}

#[cfg(unix)]
fn raw(path: &Path) -> Raw {
    use base64::Engine as _;
    use std::os::unix::ffi::OsStrExt as _;
    Raw {
        unix_bytes: Some(
            base64::engine::general_purpose::STANDARD.encode(path.as_os_str().as_bytes()),
        ),
        wide: None,
    }
}

#[cfg(windows)]
fn raw(path: &Path) -> Raw {
    use std::os::windows::ffi::OsStrExt as _;
    Raw {
        unix_bytes: None,
        wide: Some(path.as_os_str().encode_wide().collect()),
    }
}

#[cfg(unix)]
fn from_raw(r: Raw) -> Result<PathBuf, String> {
    use base64::Engine as _;
    use std::os::unix::ffi::OsStringExt as _;
    let b64 = r
        .unix_bytes
        .ok_or("this path was written on another operating system")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| format!("a path's bytes are not valid base64: {e}"))?;
    Ok(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(windows)]
fn from_raw(r: Raw) -> Result<PathBuf, String> {
    use std::os::windows::ffi::OsStringExt as _;
    let wide = r
        .wide
        .ok_or("this path was written on another operating system")?;
    Ok(PathBuf::from(std::ffi::OsString::from_wide(&wide)))
}

/// A path for people: invalid bytes become `�`, control characters (a newline, an escape
/// sequence in a hostile file name) become visible escapes, so a name can neither break a JSON
/// line's neighbour nor repaint a terminal.
pub fn lossy(path: &Path) -> String {
    crate::text::printable(&path.to_string_lossy()).into_owned()
}

/// The file name for people, like [`lossy`].
pub fn lossy_name(path: &Path) -> Cow<'static, str> {
    match path.file_name() {
        Some(n) => Cow::Owned(crate::text::printable(&n.to_string_lossy()).into_owned()),
        None => Cow::Borrowed("file"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Rec {
        #[serde(with = "super")]
        path: PathBuf,
    }

    #[test]
    fn utf8_paths_stay_plain_strings() {
        let r = Rec {
            path: PathBuf::from("/photos/café.jpg"),
        };
        let json = serde_json::to_string(&r).expect("encodes");
        assert_eq!(json, r#"{"path":"/photos/café.jpg"}"#);
        assert_eq!(serde_json::from_str::<Rec>(&json).expect("decodes"), r);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_round_trip_byte_for_byte() {
        use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
        let bytes = b"/stick/caf\xe9 \xff\x01.txt".to_vec();
        let r = Rec {
            path: PathBuf::from(std::ffi::OsString::from_vec(bytes.clone())),
        };
        let json = serde_json::to_string(&r).expect("encodes");
        assert!(json.contains("unix_bytes"), "{json}");
        let back: Rec = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back.path.as_os_str().as_bytes(), &bytes[..]);
        assert_eq!(lossy(&back.path), "/stick/caf\u{fffd} \u{fffd}\\u{1}.txt");
    }

    #[test]
    fn a_malformed_raw_path_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<Rec>(r#"{"path":{"unix_bytes":"%%%"}}"#).is_err());
        assert!(serde_json::from_str::<Rec>(r#"{"path":{"other":1}}"#).is_err());
    }
}
