//! What the sandbox makes of each type Wix accepts, told by the bytes (never the name or the
//! declared type): READY with Wix's `mediaType` and an image's size, renditions where a bounded
//! decoder reads the image and a clear 4xx where none does (HEIC/AVIF); JPEG XL refused with
//! 406 and nothing of it kept; a file that fails processing keeps no bytes and is not served.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::support::{Env, get, put_upload, settled, tools, tus_upload};

/// Runs `program args…` in `dir` to make `name`; its bytes.
fn made(dir: &Path, name: &str, program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .arg(name)
        .current_dir(dir)
        .output()
        .expect("run the tool");
    assert!(out.status.success(), "{program} {args:?} {name}: {out:?}");
    std::fs::read(dir.join(name)).expect("made")
}

/// The files of the sandbox's store (`files/`) and of its unfinished uploads (`uploads/`).
fn stored(env: &Env) -> Vec<PathBuf> {
    ["files", "uploads"]
        .iter()
        .flat_map(|d| std::fs::read_dir(env.path("sandbox").join(d)).expect("store dir"))
        .map(|e| e.expect("entry").path())
        .collect()
}

/// Uploads `bytes` resumably (`tus`) or by one PUT, declared as a type that says nothing,
/// and returns the file once processed.
async fn upload(env: &Env, tus: bool, name: &str, bytes: &[u8]) -> Value {
    let mime = "application/octet-stream";
    let (status, a) = if tus {
        tus_upload(&env.base(), name, mime, bytes).await
    } else {
        put_upload(&env.base(), name, mime, bytes).await
    };
    assert_eq!(status, 200, "{name}: {a}");
    settled(&env.base(), a["file"]["id"].as_str().expect("id")).await
}

/// A file, its bytes, its mediaType, its size, and whether a rendition of it decodes.
type Case = (
    &'static str,
    Vec<u8>,
    &'static str,
    Option<(u64, u64)>,
    bool,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_wix_accepts_is_ready_with_its_media_type_and_size() {
    if !tools(
        &["convert", "ffmpeg"],
        "imagemagick (with HEIC/AVIF), ffmpeg",
    ) {
        return;
    }
    let env = Env::start().await;
    let dir = env.dir.path();
    let image = ["-size", "64x48", "gradient:"];
    let video = [
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x48:rate=10",
        "-t",
        "1",
    ];
    let audio = [
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=0.3",
    ];
    let mut cases: Vec<Case> = Vec::new();
    for name in ["x.heic", "x.avif"] {
        cases.push((
            name,
            made(dir, name, "convert", &image),
            "IMAGE",
            Some((64, 48)),
            false,
        ));
    }
    for name in ["x.tif", "x.bmp", "x.png"] {
        cases.push((
            name,
            made(dir, name, "convert", &image),
            "IMAGE",
            Some((64, 48)),
            true,
        ));
    }
    for name in ["x.mp4", "x.mov"] {
        cases.push((
            name,
            made(dir, name, "ffmpeg", &video),
            "VIDEO",
            None,
            false,
        ));
    }
    cases.push((
        "x.wav",
        made(dir, "x.wav", "ffmpeg", &audio),
        "AUDIO",
        None,
        false,
    ));
    cases.push((
        "x.pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(),
        "DOCUMENT",
        None,
        false,
    ));
    let empty_zip = [b"PK\x05\x06".as_slice(), &[0u8; 18]].concat();
    cases.push(("x.zip", empty_zip, "ARCHIVE", None, false));
    let c = reqwest::Client::new();
    for (i, (name, bytes, media_type, size, renders)) in cases.iter().enumerate() {
        // Named as nothing they are: the bytes say what each is.
        let shown = format!("upload-{i}.bin");
        let f = upload(&env, i % 2 == 0, &shown, bytes).await;
        assert_eq!(f["operationStatus"], "READY", "{name}: {f}");
        assert_eq!(f["mediaType"], *media_type, "{name}: {f}");
        let (status, served) = get(f["url"].as_str().expect("url")).await;
        assert_eq!(
            (status, &served),
            (200, bytes),
            "{name}: the original as sent"
        );
        let Some((w, h)) = size else { continue };
        let img = &f["media"]["image"]["image"];
        assert_eq!(
            (img["width"].as_u64(), img["height"].as_u64()),
            (Some(*w), Some(*h)),
            "{name}"
        );
        let thumb = f["thumbnailUrl"]
            .as_str()
            .expect("an image has a thumbnailUrl");
        let r = c.get(thumb).send().await.expect("thumbnail");
        let status = r.status().as_u16();
        let body = r.bytes().await.expect("body");
        if *renders {
            assert_eq!(status, 200, "{name}: {}", String::from_utf8_lossy(&body));
            let t = image::load_from_memory(&body).expect("the rendition decodes");
            assert!(t.width() <= 64 && t.height() <= 48, "{name}");
        } else {
            assert_eq!(status, 422, "{name}");
            let e: Value = serde_json::from_slice(&body).expect("a Wix error body");
            assert_eq!(
                e["details"]["applicationError"]["code"],
                "RENDITION_NOT_SUPPORTED"
            );
            assert!(
                e["message"].as_str().expect("message").contains("image/"),
                "{e}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpeg_xl_is_refused_with_406_by_content_on_both_paths_and_nothing_is_kept() {
    let env = Env::start().await;
    let codestream = [&[0xFF, 0x0A, 0xFA, 0x1F][..], &[7u8; 4000]].concat();
    let container = [
        &b"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14ftypjxl "[..],
        &[7u8; 4000],
    ]
    .concat();
    for (bytes, tus) in [
        (&codestream, true),
        (&container, false),
        (&codestream, false),
        (&container, true),
    ] {
        // Declared a JPEG by name and type: the bytes decide.
        let (status, a) = if tus {
            tus_upload(&env.base(), "photo.jpg", "image/jpeg", bytes).await
        } else {
            put_upload(&env.base(), "photo.jpg", "image/jpeg", bytes).await
        };
        assert_eq!(status, 406, "tus {tus}: {a}");
        assert!(
            a["message"].as_str().expect("message").contains("JPEG XL"),
            "{a}"
        );
        assert!(stored(&env).is_empty(), "nothing kept: {:?}", stored(&env));
    }
    assert_eq!(env.stat(|s| &s.refused_by_content), 4);
    assert_eq!(env.stat(|s| &s.files_created), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_fails_processing_keeps_no_bytes_and_its_url_answers_404() {
    let env = Env::start().await;
    // An image by its declared type whose bytes are no image: processing fails.
    for tus in [true, false] {
        let bytes = b"not a png at all, with a location in it: 51.5N 0.12W".to_vec();
        let (status, a) = if tus {
            tus_upload(&env.base(), "broken.png", "image/png", &bytes).await
        } else {
            put_upload(&env.base(), "broken.png", "image/png", &bytes).await
        };
        assert_eq!(status, 200, "{a}");
        let id = a["file"]["id"].as_str().expect("id");
        let f = settled(&env.base(), id).await;
        assert_eq!(f["operationStatus"], "FAILED", "{f}");
        let (code, body) = get(f["url"].as_str().expect("url")).await;
        assert_eq!(code, 404, "tus {tus}: {}", String::from_utf8_lossy(&body));
        assert!(!String::from_utf8_lossy(&body).contains("51.5N"));
        assert!(stored(&env).is_empty(), "no copy kept: {:?}", stored(&env));
    }
}
