//! Static URLs answer as a CDN does: byte ranges (206 with Content-Range, 416 when nothing of
//! the range is in the file), a strong ETag with If-None-Match → 304 and If-Range, and
//! Last-Modified.

use super::support::{Env, put_upload, settled, tus_upload};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_urls_answer_ranges_etags_and_last_modified() {
    let env = Env::start().await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let len = bytes.len() as u64;
    let (s1, a) = tus_upload(&env.base(), "clip.mp4", "video/mp4", &bytes).await;
    let (s2, b) = put_upload(&env.base(), "clip2.bin", "application/octet-stream", &bytes).await;
    assert_eq!((s1, s2), (200, 200), "{a} {b}");
    let c = reqwest::Client::new();
    for answer in [a, b] {
        let f = settled(&env.base(), answer["file"]["id"].as_str().expect("id")).await;
        let url = f["url"].as_str().expect("url");
        let whole = c.get(url).send().await.expect("get");
        assert_eq!(whole.status(), 200);
        let h = whole.headers().clone();
        assert_eq!(h["accept-ranges"], "bytes");
        assert_eq!(h["content-length"], len.to_string().as_str());
        let etag = h["etag"].to_str().expect("etag").to_string();
        assert_eq!(etag, format!("\"{}\"", f["hash"].as_str().expect("hash")));
        let modified = h["last-modified"].to_str().expect("last-modified");
        assert!(httpdate::parse_http_date(modified).is_ok(), "{modified}");
        assert_eq!(
            whole.bytes().await.expect("body").as_ref(),
            bytes.as_slice()
        );

        let n = bytes.len();
        for (range, start, end) in [
            ("bytes=0-99", 0, 99),
            ("bytes=299990-", n - 10, n - 1),
            ("bytes=-7", n - 7, n - 1),
            ("bytes=100-999999", 100, n - 1),
        ] {
            let r = c
                .get(url)
                .header("Range", range)
                .send()
                .await
                .expect("range");
            assert_eq!(r.status(), 206, "{range}");
            let cr = r.headers()["content-range"]
                .to_str()
                .expect("content-range")
                .to_string();
            assert_eq!(cr, format!("bytes {start}-{end}/{n}"), "{range}");
            assert_eq!(
                r.headers()["content-length"],
                (end - start + 1).to_string().as_str()
            );
            let got = r.bytes().await.expect("body");
            assert_eq!(got.as_ref(), &bytes[start..=end], "{range}");
        }
        for range in [format!("bytes={n}-"), "bytes=-0".to_string()] {
            let r = c
                .get(url)
                .header("Range", &range)
                .send()
                .await
                .expect("range");
            assert_eq!(r.status(), 416, "{range}");
            assert_eq!(
                r.headers()["content-range"],
                format!("bytes */{n}").as_str()
            );
        }
        let r = c
            .get(url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("inm");
        assert_eq!(r.status(), 304);
        assert!(r.bytes().await.expect("body").is_empty());
        let r = c
            .get(url)
            .header("If-None-Match", "\"other\"")
            .send()
            .await
            .expect("inm");
        assert_eq!(r.status(), 200);
        // A range of another version of the file: the whole file instead.
        let r = c
            .get(url)
            .header("Range", "bytes=0-9")
            .header("If-Range", "\"other\"")
            .send()
            .await
            .expect("if-range");
        assert_eq!(r.status(), 200);
        let r = c
            .get(url)
            .header("Range", "bytes=0-9")
            .header("If-Range", &etag)
            .send()
            .await
            .expect("if-range");
        assert_eq!(r.status(), 206);
    }
}
