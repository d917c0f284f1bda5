//! Photos and videos as phones, cameras and editors make them, each with a location, made by the
//! real tools (ImageMagick's `convert`, `exiftool`, `ffmpeg`), and read back with those tools:
//! the tags exiftool finds, the location among them, and the pixels a decoder gives.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::required;

/// One made file.
pub struct Made {
    pub path: PathBuf,
    /// What it stands for, for messages.
    pub label: &'static str,
    pub video: bool,
}

/// Whether `convert`, `exiftool` and `ffmpeg` run here (under WIXUP_REQUIRE_TOOLS: a missing
/// one fails the test).
pub fn tools_here() -> bool {
    required::tools(
        &["convert", "exiftool", "ffmpeg"],
        "imagemagick, libimage-exiftool-perl, ffmpeg",
    )
}

/// Runs a tool and fails the test, with its stderr, when it fails.
pub fn sh(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// EXIF GPS as a phone writes it, and tags that must survive its removal.
const EXIF_GPS: [&str; 9] = [
    "-GPSLatitude=48.8584",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=2.2945",
    "-GPSLongitudeRef=E",
    "-GPSAltitude=35",
    "-Make=Apple",
    "-Model=iPhone 15",
    "-Orientation#=6",
    "-DateTimeOriginal=2026:05:01 10:00:00",
];

fn exiftool(path: &Path, args: &[&str]) {
    sh(Command::new("exiftool")
        .args(["-q", "-overwrite_original"])
        .args(args)
        .arg(path));
}

fn picture(path: &Path) {
    sh(Command::new("convert")
        .args(["-size", "96x64", "gradient:red-blue", "-swirl", "90"])
        .arg(path));
}

fn video(path: &Path, extra: &[&str]) {
    sh(Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=96x64:rate=10")
        .args(["-t", "1", "-pix_fmt", "yuv420p"])
        .args(extra)
        .arg(path));
}

/// The nine files of issue 21: a phone's JPEG, a PNG, a JPEG saved without an extension, an
/// Android MP4, an iPhone MOV, HEIC, AVIF, TIFF, and a Lightroom export whose location is only in
/// XMP and IPTC (GPS and the place names filled in from it).
pub fn nine(dir: &Path) -> Vec<Made> {
    let made = |name: &str, label, video| Made {
        path: dir.join(name),
        label,
        video,
    };
    let files = vec![
        made("IMG_0001.jpg", "JPEG from a phone", false),
        made("screenshot.png", "PNG", false),
        made("IMG_0003", "JPEG without an extension", false),
        made("VID_20260501_100000.mp4", "MP4 from an Android phone", true),
        made("IMG_0005.MOV", "MOV from an iPhone", true),
        made("IMG_0006.HEIC", "HEIC", false),
        made("photo.avif", "AVIF", false),
        made("scan.tif", "TIFF", false),
        made(
            "lightroom.jpg",
            "JPEG with its location in XMP and IPTC (Lightroom)",
            false,
        ),
    ];
    for f in &files {
        match f.label {
            "MP4 from an Android phone" => {
                video(&f.path, &["-metadata", "title=Trip"]);
                // Android's ©xyz in moov/udta.
                exiftool(&f.path, &["-UserData:GPSCoordinates=48.8584, 2.2945, 35"]);
            }
            "MOV from an iPhone" => video(
                &f.path,
                &[
                    "-movflags",
                    "use_metadata_tags",
                    "-metadata",
                    "com.apple.quicktime.location.ISO6709=+48.8584+002.2945+035.000/",
                    "-metadata",
                    "com.apple.quicktime.make=Apple",
                    "-f",
                    "mov",
                ],
            ),
            "JPEG without an extension" => {
                let jpg = dir.join("IMG_0003.jpg");
                picture(&jpg);
                exiftool(&jpg, &EXIF_GPS);
                std::fs::rename(&jpg, &f.path).expect("rename");
            }
            "JPEG with its location in XMP and IPTC (Lightroom)" => {
                picture(&f.path);
                exiftool(
                    &f.path,
                    &[
                        "-XMP-exif:GPSLatitude=48.8584 N",
                        "-XMP-exif:GPSLongitude=2.2945 E",
                        "-XMP-photoshop:City=Paris",
                        "-XMP-photoshop:Country=France",
                        "-IPTC:City=Paris",
                        "-IPTC:Country-PrimaryLocationName=France",
                        "-IPTC:ObjectName=Tower",
                        "-XMP-dc:Title=Eiffel",
                        "-XMP-xmp:Rating=5",
                    ],
                );
            }
            _ => {
                picture(&f.path);
                exiftool(&f.path, &EXIF_GPS);
            }
        }
        assert!(
            !location_tags(&tags(&f.path)).is_empty(),
            "{} was made with a location",
            f.label
        );
    }
    files
}

/// Every tag exiftool reads in a file (`-G1 -a -ee -n`), by `Group:Name`, but those about the
/// file on disk and exiftool's own.
pub fn tags(path: &Path) -> Map<String, Value> {
    let out = sh(Command::new("exiftool")
        .args(["-j", "-G1", "-a", "-ee", "-n"])
        .arg(path));
    let v: Value = serde_json::from_slice(&out).expect("exiftool -j");
    let mut map = v[0].as_object().cloned().expect("one file");
    map.retain(|k, _| {
        !["SourceFile", "System:", "File:", "ExifTool:"]
            .iter()
            .any(|p| k.starts_with(p))
    });
    map
}

/// Place names Lightroom and Photoshop fill in from the position (IPTC and XMP).
const PLACE_TAGS: [&str; 9] = [
    "City",
    "Country",
    "Country-PrimaryLocationName",
    "Country-PrimaryLocationCode",
    "CountryCode",
    "Province-State",
    "State",
    "Sub-location",
    "Location",
];

/// The tags that tell where a file was made: a GPS tag, a location, a place name, with a value
/// that says something (one blanked to spaces says nothing).
pub fn location_tags(tags: &Map<String, Value>) -> Vec<String> {
    tags.iter()
        .filter(|(k, v)| {
            let name = k.rsplit(':').next().unwrap_or(k);
            let lower = k.to_ascii_lowercase();
            let telling =
                (lower.contains("gps") || lower.contains("location")) || PLACE_TAGS.contains(&name);
            let blank = v.as_str().is_some_and(|s| s.trim().is_empty());
            telling && !blank
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// The tags but the location (blanked or not) and those derived from others (Composite).
pub fn other_tags(tags: &Map<String, Value>) -> Map<String, Value> {
    tags.iter()
        .filter(|(k, _)| {
            let name = k.rsplit(':').next().unwrap_or(k);
            let lower = k.to_ascii_lowercase();
            let location =
                lower.contains("gps") || lower.contains("location") || PLACE_TAGS.contains(&name);
            !location && !k.starts_with("Composite:")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What a decoder makes of the file: a photo's RGB pixels, a video's per-frame MD5s.
pub fn decoded(path: &Path, video: bool) -> Vec<u8> {
    if video {
        sh(Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(path)
            .args(["-f", "framemd5", "-"]))
    } else {
        sh(Command::new("convert")
            .arg(path)
            .args(["-depth", "8", "rgb:-"]))
    }
}
