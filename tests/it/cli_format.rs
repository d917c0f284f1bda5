//! `wixup upload --format urls|markdown|html|csv`: when the run ends, the finished files as one
//! block on stdout, in the order given (files found already on the site included, files that
//! failed left out); everything else stays on stderr.

use super::cli::{run, wixup};
use super::support::{Env, exits_with, oriented_jpeg, random_file};
use wixup::history;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_prints_the_batch_as_one_block_in_the_order_given() {
    let env = Env::start().await;
    let dir = env.path("files");
    std::fs::create_dir_all(&dir).unwrap();
    let zebra = dir.join("zebra.jpg");
    oriented_jpeg(&zebra, 64, 48, 1);
    let apple = dir.join("apple, red.jpg");
    oriented_jpeg(&apple, 40, 30, 1);
    let notes = random_file(&dir, "notes.bin", 20_000);

    // CSV, with a file that is not there: it fails (exit 1) and is left out of the block.
    let mut c = wixup(&env, "data");
    c.args(["upload", "--format", "csv"])
        .arg(&zebra)
        .arg(dir.join("missing.jpg"));
    let out = run(c).await;
    exits_with(&out, 1);
    let first = history::load(&env.path("data")).unwrap();
    assert_eq!(first.len(), 1);
    let z = &first[0];
    let url = z.url.clone().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "name,url,id,size,uri\r\nzebra.jpg,{url},{id},{size},wix:image://v1/{id}/zebra.jpg#originWidth=64&originHeight=48\r\n",
            id = z.file_id,
            size = std::fs::metadata(&zebra).unwrap().len(),
        )
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.jpg"));

    // Markdown, in the order given (not sorted); zebra is found on the site, with its URL.
    let mut c = wixup(&env, "data");
    c.args(["upload", "--format", "markdown"])
        .arg(&zebra)
        .arg(&apple)
        .arg(&notes);
    let out = run(c).await;
    exits_with(&out, 0);
    let all = history::load(&env.path("data")).unwrap();
    let url_of = |name: &str| {
        let e = all.iter().find(|e| e.name == name);
        e.and_then(|e| e.url.clone()).unwrap()
    };
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!(
            "![zebra.jpg]({url})\n![apple, red.jpg]({})\n[notes.bin]({})\n",
            url_of("apple, red.jpg"),
            url_of("notes.bin"),
        )
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already on your site"));

    // URLs, one per line: exactly what the site serves.
    let mut c = wixup(&env, "data");
    c.args(["upload", "--no-dedupe", "--format", "urls"])
        .arg(&notes);
    let out = run(c).await;
    exits_with(&out, 0);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let line = stdout.strip_suffix('\n').unwrap();
    assert!(!line.contains('\n'), "{stdout:?}");
    let (status, body) = super::support::get(line).await;
    assert_eq!(status, 200);
    assert_eq!(body, std::fs::read(&notes).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format_and_json_do_not_mix_and_unknown_formats_are_named() {
    let env = Env::start().await;
    std::fs::create_dir_all(env.path("files")).unwrap();
    let file = random_file(&env.path("files"), "a.bin", 100);
    let mut c = wixup(&env, "data");
    c.args(["upload", "--json", "--format", "html"]).arg(&file);
    let out = run(c).await;
    exits_with(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    assert!(out.stdout.is_empty());

    let mut c = wixup(&env, "data");
    c.args(["upload", "--format", "yaml"]).arg(&file);
    let out = run(c).await;
    exits_with(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("urls, markdown, html, csv"), "{err}");
    // Nothing was sent.
    assert_eq!(env.stat(|s| &s.bytes_received), 0);
}
