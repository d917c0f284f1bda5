//! Tolerant DTOs for Wix's JSON: every field may be missing or null, `sizeInBytes` comes as a
//! string, and enums accept values this version does not know.

use serde::{Deserialize, Deserializer, Serialize};

/// A file in the Media Manager (REST shape: `id`, not `_id`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FileDescriptor {
    pub id: String,
    pub display_name: Option<String>,
    pub url: Option<String>,
    pub parent_folder_id: Option<String>,
    /// 32 hex characters; MD5 of the content as far as anyone can tell.
    pub hash: Option<String>,
    #[serde(
        deserialize_with = "lenient_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_in_bytes: Option<u64>,
    pub private: Option<bool>,
    pub media_type: Option<MediaType>,
    /// The type-specific part (`image`, `video`, …), kept as JSON: it varies a lot.
    pub media: Option<serde_json::Value>,
    pub operation_status: Option<OperationStatus>,
    pub thumbnail_url: Option<String>,
    pub labels: Option<Vec<String>>,
    pub created_date: Option<String>,
    pub updated_date: Option<String>,
    /// Why a FAILED file failed. Wix documents no such field; the sandbox sends it for imports
    /// whose link could not be fetched, and it is shown when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

impl FileDescriptor {
    /// Width and height of an image, from `media.image.image`.
    pub fn image_size(&self) -> Option<(u64, u64)> {
        let img = self.media.as_ref()?.get("image")?.get("image")?;
        let w = lenient_value_u64(img.get("width")?)?;
        let h = lenient_value_u64(img.get("height")?)?;
        Some((w, h))
    }

    pub fn is_ready(&self) -> bool {
        self.operation_status == Some(OperationStatus::Ready)
    }
}

/// A Media Manager folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Folder {
    pub id: String,
    pub display_name: Option<String>,
    pub parent_folder_id: Option<String>,
    pub created_date: Option<String>,
    pub updated_date: Option<String>,
}

/// One page of a listing, with the cursor of the next page when there is one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

macro_rules! tolerant_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum $name {
            $($variant,)*
            /// A value this version of Wixup does not know.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => $name::$variant,)*
                    _ => $name::Other(s),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($name::from)
            }
        }
    };
}

tolerant_enum!(
    /// `operationStatus`.
    OperationStatus { Pending = "PENDING", Ready = "READY", Failed = "FAILED" }
);

tolerant_enum!(
    /// `mediaType`.
    MediaType {
        Unknown = "UNKNOWN",
        Image = "IMAGE",
        Video = "VIDEO",
        Audio = "AUDIO",
        Document = "DOCUMENT",
        Vector = "VECTOR",
        Archive = "ARCHIVE",
        Model3d = "MODEL3D",
    }
);

fn lenient_value_u64(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Accepts `"15359"`, `15359`, `null` or junk (→ `None`).
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.as_ref().and_then(lenient_value_u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wix_example_and_tolerates_oddities() {
        let json = r#"{"id":"2acbb8_86~mv2.jpeg","displayName":"file.jpg","hash":"cf96","sizeInBytes":"15359",
          "mediaType":"IMAGE","operationStatus":"READY","media":{"image":{"image":{"width":370,"height":"226"}}},
          "labels":[],"state":"OK","brandNewField":{"x":1}}"#;
        let f: FileDescriptor = serde_json::from_str(json).expect("parses");
        assert_eq!(f.size_in_bytes, Some(15359));
        assert_eq!(f.media_type, Some(MediaType::Image));
        assert!(f.is_ready());
        assert_eq!(f.image_size(), Some((370, 226)));

        let odd: FileDescriptor = serde_json::from_str(
            r#"{"id":"x","sizeInBytes":null,"operationStatus":"QUANTUM","mediaType":"HOLOGRAM"}"#,
        )
        .expect("parses");
        assert_eq!(odd.size_in_bytes, None);
        assert_eq!(
            odd.operation_status,
            Some(OperationStatus::Other("QUANTUM".into()))
        );
        assert_eq!(odd.media_type, Some(MediaType::Other("HOLOGRAM".into())));
        let empty: FileDescriptor = serde_json::from_str("{}").expect("parses");
        assert_eq!(empty.id, "");
    }
}
