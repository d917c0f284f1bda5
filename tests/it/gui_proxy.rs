//! Settings → Advanced → Proxy in the window: a manual proxy with a user and password carries
//! Test connection and then the uploads; a refusal by the proxy is said as the proxy's; the
//! password goes to the key store, never to `settings.json`.

use egui_kittest::kittest::Queryable as _;
use wixup::redact::ApiKey;
use wixup::sandbox;
use wixup::settings::{ConnectionKind, SecretStore, Settings};

use super::proxy::site_behind_a_name;
use super::support::gui::{
    done, drop_files, open_settings, options, runtime, until, until_saved, until_shown, window,
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
    Settings {
        connection: ConnectionKind::WixSite,
        site_id: sandbox::DEFAULT_SITE_ID.into(),
        api_base: base,
        ..Settings::default()
    }
    .save(&data)
    .unwrap();
    let secrets = SecretStore::File(data.join("api-key"));
    secrets.set(&ApiKey::new(sandbox::DEFAULT_API_KEY)).unwrap();
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
