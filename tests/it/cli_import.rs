//! `wixup import` as a user runs it: links served on 127.0.0.1, JSON lines with `sourceUrl` and
//! `origin`, exit codes like `upload`, and more than 100 links sent to Wix in batches.

use super::cli::{json_lines, run, wixup};
use super::links::{LinkServer, jpeg_bytes, md5_hex, png_bytes};
use super::support::{Env, each_profile, exits_with, get};

each_profile! {
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_json_of_a_jpeg_a_png_and_a_missing_link(profile) {
    let env = Env::start_as(profile).await;
    let links = LinkServer::start().await;
    let jpeg = jpeg_bytes(env.dir.path(), 64, 48);
    let png = png_bytes(30, 20);
    let a = links.serve("photos/a.jpg", "image/jpeg", jpeg.clone());
    let b = links.serve("b.png", "image/png", png.clone());
    let missing = links.url("nope.jpg");
    let mut c = wixup(&env, "data");
    c.args(["import", "--json", &a, &b, &missing]);
    let out = run(c).await;
    exits_with(&out, 1);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (url, bytes) in [(&a, &jpeg), (&b, &png)] {
        let l = lines
            .iter()
            .find(|l| l["sourceUrl"] == **url)
            .unwrap_or_else(|| panic!("no line for {url}: {lines:?}"));
        assert_eq!(l["status"], "done", "{l}");
        assert_eq!(l["origin"], "import");
        assert!(l.get("path").is_none(), "sourceUrl instead of path: {l}");
        assert_eq!(l["hash"], md5_hex(bytes));
        assert_eq!(l["sizeInBytes"], bytes.len());
        let (code, served) = get(l["url"].as_str().expect("url")).await;
        assert_eq!(code, 200);
        assert_eq!(&served, bytes, "byte-identical at its URL");
        let (code, thumb) = get(l["thumbnailUrl"].as_str().expect("thumbnail")).await;
        assert_eq!(code, 200);
        image::load_from_memory(&thumb).expect("a real thumbnail");
    }
    let bad = lines
        .iter()
        .find(|l| l["sourceUrl"] == missing)
        .expect("a line for the missing link");
    assert_eq!(bad["status"], "failed");
    assert_eq!(bad["origin"], "import");
    assert!(bad["url"].is_null() && bad["id"].is_null());
    assert!(
        bad["error"]
            .as_str()
            .is_some_and(|e| e.contains(crate::it::links::expected_failure(profile))),
        "{bad}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("error: {missing}")),
        "the failure names the link: {stderr}"
    );

    // Not a link Wix can fetch: fails at once, naming it; no URL at all is a usage error.
    let mut c = wixup(&env, "data");
    c.args(["import", "--json", "ftp://127.0.0.1/a.jpg"]);
    let out = run(c).await;
    exits_with(&out, 1);
    let l = &json_lines(&out)[0];
    assert_eq!(l["sourceUrl"], "ftp://127.0.0.1/a.jpg");
    assert!(
        l["error"].as_str().is_some_and(|e| e.contains("http")),
        "{l}"
    );
    let mut c = wixup(&env, "data");
    c.arg("import");
    exits_with(&run(c).await, 2);
}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_100_links_go_to_wix_in_batches_of_100() {
    let env = Env::start().await;
    let links = LinkServer::start().await;
    let urls: Vec<String> = (0..150)
        .map(|i| links.serve(&format!("p{i}.png"), "image/png", png_bytes(2 + i % 7, 3)))
        .collect();
    let mut c = wixup(&env, "data");
    c.args(["import", "--json"]).args(&urls);
    let out = run(c).await;
    exits_with(&out, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 150);
    assert!(lines.iter().all(|l| l["status"] == "done"), "{lines:?}");
    let mut sources: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["sourceUrl"].as_str())
        .collect();
    sources.sort_unstable();
    let mut want: Vec<&str> = urls.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(sources, want, "one line per link");
    assert_eq!(env.stat(|s| &s.bulk_import_requests), 2, "100 + 50");
    assert_eq!(env.stat(|s| &s.import_requests), 0);
    assert_eq!(links.hits(), 150, "each link fetched once");
    let peak = env.stat(|s| &s.fetches_peak);
    assert!((1..=3).contains(&peak), "a few fetches at once, saw {peak}");
}
