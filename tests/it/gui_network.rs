//! How the window's uploads use the network. Settings → Advanced → Proxy: a manual proxy with a
//! user and password carries Test connection and then the uploads; a refusal by the proxy is
//! said as the proxy's; the password goes to the key store, never to `settings.json`. And
//! "Limit upload speed": saved while a file sends, it holds that file back at once (the status
//! bar says so), and lifting it lets the file finish. And Advanced → "Trusted CA file": a site
//! whose certificate only that CA vouches for is refused (said as such) until it is given, then
//! Test connection and uploads go through; a file that holds no certificate is refused at Save.

use egui_kittest::kittest::Queryable as _;
use wixup::redact::ApiKey;
use wixup::sandbox;
use wixup::settings::{ConnectionKind, SecretStore, Settings};

use super::proxy::site_behind_a_name;
use super::support::gui::{
    done, drop_files, open_settings, options, runtime, runtime_and_sandbox, site_options, state_of,
    until, until_saved, until_shown, window,
};
use super::support::proxy::ForwardProxy;
use super::support::random_file;

#[test]
fn a_proxy_chosen_in_settings_carries_test_connection_and_uploads_with_its_password() {
    let rt = runtime();
    let (env, base) = rt.block_on(site_behind_a_name());
    let proxy = rt.block_on(ForwardProxy::start(Some(("ana", "s3cret pw"))));
    let data = env.path("app");
    // A saved site whose API address only the proxy can reach.
    let secrets = saved_site(&data, base);
    let mut h = window(options(&rt, &data, secrets, None));

    open_settings(&mut h);
    h.get_by_label("Advanced").click();
    h.run_steps(2);
    h.get_by_label("Manual").click();
    h.run_steps(2);
    for (field, text) in [
        ("Proxy address", proxy.url()),
        ("Proxy user", "ana".into()),
        ("Proxy password", "not it".into()),
    ] {
        h.get_by_label(field).set_text_value_accesskit(&text);
        h.run_steps(2);
    }
    h.get_by_label("Test connection").click();
    until_shown(&mut h, "the proxy's refusal", 10, |h| {
        h.query_by_label_contains("the proxy refused the request (407")
            .is_some()
    });
    h.get_by_label("Proxy password")
        .set_text_value_accesskit("s3cret pw");
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    until_shown(&mut h, "Connected", 10, |h| {
        h.query_by_label_contains("✔ Connected.").is_some()
    });
    assert!(proxy.forwarded() > 0);

    h.get_by_label("Save").click();
    until_saved(&mut h, &data, "\"mode\": \"manual\"");
    let saved = std::fs::read_to_string(data.join("settings.json")).unwrap();
    assert!(!saved.contains("s3cret"), "{saved}");
    assert!(saved.contains("\"user\": \"ana\""), "{saved}");
    let kept = std::fs::read_to_string(data.join("proxy-password")).unwrap();
    assert_eq!(kept.trim(), "s3cret pw");

    // The window reconnected through the proxy: a drop goes through it.
    let before = proxy
        .counts
        .bytes_up
        .load(std::sync::atomic::Ordering::SeqCst);
    let photo = random_file(&env.path("in"), "photo.bin", 400_000);
    until(&mut h, "the reconnection", 10, |a| a.target().is_some());
    drop_files(&mut h, std::slice::from_ref(&photo));
    until(&mut h, "the upload through the proxy", 30, |a| {
        done(a, "photo.bin")
    });
    let after = proxy
        .counts
        .bytes_up
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(after - before >= 400_000, "{before} → {after}");
}

#[test]
fn a_speed_limit_saved_while_a_file_sends_holds_it_back_and_lifting_it_lets_it_finish() {
    let (rt, env) = runtime_and_sandbox();
    let data = env.path("app");
    let mut h = window(site_options(&rt, &env, &data, Some(256 << 10)));
    // Slow enough to be sending when the limit is saved.
    env.slow_patches(40);
    let video = random_file(&env.path("in"), "clip.mov", 30 << 20);
    drop_files(&mut h, std::slice::from_ref(&video));
    until(&mut h, "clip.mov sending", 20, |a| {
        a.queue().rows().first().is_some_and(|r| r.acknowledged > 0)
    });

    open_settings(&mut h);
    // At the end of Uploads: scrolled to, as a person does.
    h.get_by_label("Limit upload speed").scroll_to_me();
    h.run_steps(30);
    h.get_by_label("Limit upload speed").click();
    h.run_steps(2);
    h.get_by_label("Upload speed limit")
        .set_text_value_accesskit("100 KiB/s");
    h.run_steps(2);
    h.get_by_label("Save").click();
    until_saved(&mut h, &data, "\"limit_rate\": 102400");
    until_shown(&mut h, "the status bar saying the limit holds", 10, |h| {
        h.query_by_label_contains("limited to 100.0 KiB/s")
            .is_some()
    });
    assert_eq!(
        state_of(h.state(), "clip.mov"),
        Some(wixup::engine::JobState::Uploading)
    );

    // Lifted: the file goes on at the link's speed and finishes; the bar stops saying it.
    open_settings(&mut h);
    // At the end of Uploads: scrolled to, as a person does.
    h.get_by_label("Limit upload speed").scroll_to_me();
    h.run_steps(30);
    h.get_by_label("Limit upload speed").click();
    h.run_steps(2);
    h.get_by_label("Save").click();
    until_saved(&mut h, &data, "\"limit_rate\": null");
    env.sandbox.faults.clear();
    until(&mut h, "clip.mov to finish", 60, |a| done(a, "clip.mov"));
    h.run_steps(2);
    assert!(h.query_by_label_contains("limited to").is_none());
}

#[test]
fn a_trusted_ca_file_in_settings_lets_the_window_reach_a_site_only_it_vouches_for() {
    let rt = runtime();
    let env = rt.block_on(super::support::Env::start_with(|c| {
        c.tls = Some(sandbox::TlsSource::Generated)
    }));
    let ca = env
        .sandbox
        .ca_file
        .clone()
        .expect("the sandbox made its CA");
    let data = env.path("app");
    let secrets = saved_site(&data, env.base().to_string());
    let mut h = window(options(&rt, &data, secrets, None));

    open_settings(&mut h);
    h.get_by_label("Advanced").click();
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    until_shown(&mut h, "the certificate refused", 10, |h| {
        h.query_by_label_contains("does not trust").is_some()
    });
    // A file that is no certificate: Save says so by name and keeps the settings as they were.
    let bogus = env.path("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    h.get_by_label("Trusted CA file")
        .set_text_value_accesskit(&bogus.display().to_string());
    h.run_steps(2);
    h.get_by_label("Save").click();
    until_shown(&mut h, "the CA file refused", 10, |h| {
        h.query_by_label_contains("bogus.pem holds no certificate")
            .is_some()
    });
    let saved = std::fs::read_to_string(data.join("settings.json")).unwrap();
    assert!(!saved.contains("bogus"), "{saved}");

    h.get_by_label("Trusted CA file")
        .set_text_value_accesskit(&ca.display().to_string());
    h.run_steps(2);
    h.get_by_label("Test connection").click();
    until_shown(&mut h, "Connected", 10, |h| {
        h.query_by_label_contains("✔ Connected.").is_some()
    });
    h.get_by_label("Save").click();
    until_saved(&mut h, &data, "ca.pem");

    // The window reconnected trusting the CA: a drop reaches the site over HTTPS.
    let photo = random_file(&env.path("in"), "photo.bin", 400_000);
    until(&mut h, "the reconnection", 10, |a| a.target().is_some());
    drop_files(&mut h, std::slice::from_ref(&photo));
    until(&mut h, "the upload over HTTPS", 30, |a| {
        done(a, "photo.bin")
    });
    assert!(
        env.sandbox
            .stats
            .http2_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
    );
}

/// Settings in `data` naming a Wix site at `api_base` (the sandbox's id), its key in a file.
fn saved_site(data: &std::path::Path, api_base: String) -> SecretStore {
    Settings {
        connection: ConnectionKind::WixSite,
        site_id: sandbox::DEFAULT_SITE_ID.into(),
        api_base,
        ..Settings::default()
    }
    .save(data)
    .unwrap();
    let secrets = SecretStore::File(data.join("api-key"));
    secrets.set(&ApiKey::new(sandbox::DEFAULT_API_KEY)).unwrap();
    secrets
}
