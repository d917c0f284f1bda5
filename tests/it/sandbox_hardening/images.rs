//! Decompression bombs, concurrent transforms, upscaling and the transform cache.

use std::time::Duration;

use super::super::support::Env;
use super::{ServeChild, gif_bomb, http, png_bomb, stats, upload_to};

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bombs_uploaded_to_serve_answer_their_thumbnail_quickly_within_400_mib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = ServeChild::start(&dir.path().join("sandbox"), &[], &[]).await;
    let gif = dir.path().join("bomb.gif");
    std::fs::write(&gif, gif_bomb(16_384, 16_384)).expect("write");
    let png = dir.path().join("bomb.png");
    std::fs::write(&png, png_bomb(50_000)).expect("write");
    let results = upload_to(&serve.base, &dir.path().join("data"), vec![gif, png]).await;
    let client = http();
    for r in &results {
        let thumb = r
            .thumbnail_url
            .as_deref()
            .expect("an image has a thumbnail URL");
        let started = std::time::Instant::now();
        // Ten seconds is a generous client timeout, not the measurement: memory is.
        let resp = client
            .get(thumb)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("the thumbnail answers within 10 s");
        assert_eq!(resp.status(), 422, "{thumb}");
        let body: serde_json::Value = resp.json().await.expect("a Wix error body");
        assert_eq!(
            body["details"]["applicationError"]["code"],
            "IMAGE_TOO_LARGE"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        // The original is still served as uploaded.
        let (status, _) = super::super::support::get(r.url.as_deref().expect("url")).await;
        assert_eq!(status, 200);
    }
    let peak = serve.peak_rss();
    assert!(
        peak < 400 * 1024 * 1024,
        "serve peaked at {} MiB",
        peak >> 20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_never_upscales_and_transforms_run_two_at_a_time() {
    let env = Env::start().await;
    let tiny = env.path("tiny.png");
    image::RgbImage::from_pixel(1, 1, image::Rgb([1, 2, 3]))
        .save(&tiny)
        .expect("png");
    let big = env.path("big.png");
    image::RgbImage::from_fn(1500, 1500, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .save(&big)
        .expect("png");
    let results = upload_to(&env.base(), &env.path("data"), vec![tiny, big]).await;
    let tiny_url = results[0].url.clone().expect("url");
    let (s, body) =
        super::super::support::get(&format!("{tiny_url}/v1/fill/w_5000,h_5000/x.png")).await;
    assert_eq!(s, 200);
    let img = image::load_from_memory(&body).expect("png");
    assert_eq!(
        (img.width(), img.height()),
        (1, 1),
        "a fill never scales up"
    );
    // Six different transforms of the same large image at once: at most two decode together.
    let big_url = results[1].url.clone().expect("url");
    let gets: Vec<_> = (0..6)
        .map(|i| {
            let u = format!("{big_url}/v1/fill/w_{},h_100/x.jpg", 100 + i);
            tokio::spawn(async move { super::super::support::get(&u).await.0 })
        })
        .collect();
    for g in gets {
        assert_eq!(g.await.expect("join"), 200);
    }
    let s = stats(&env).await;
    let peak = s["transformsPeak"].as_u64().expect("peak");
    assert!((1..=2).contains(&peak), "{peak} transforms decoded at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transform_cache_stays_within_its_bound() {
    let env = Env::start_with(|c| c.transform_cache_bytes = 40 * 1024).await;
    let photo = env.path("p.png");
    image::RgbImage::from_fn(300, 300, |x, y| {
        image::Rgb([x as u8, y as u8, (x ^ y) as u8])
    })
    .save(&photo)
    .expect("png");
    let results = upload_to(&env.base(), &env.path("data"), vec![photo]).await;
    let url = results[0].url.clone().expect("url");
    for w in 0..40 {
        let (s, _) =
            super::super::support::get(&format!("{url}/v1/fill/w_{},h_120/x.png", 100 + w)).await;
        assert_eq!(s, 200);
    }
    let cache = env.dir.path().join("sandbox").join("cache");
    let total: u64 = std::fs::read_dir(&cache)
        .expect("cache dir")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    let count = std::fs::read_dir(&cache).expect("cache dir").count();
    assert!(count > 0, "transforms are cached");
    assert!(
        total <= 40 * 1024,
        "the cache holds {total} bytes in {count} files"
    );
}
