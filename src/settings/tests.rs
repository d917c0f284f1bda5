use super::*;

#[test]
fn problems_name_each_field() {
    let mut s = Settings {
        connection: ConnectionKind::WixSite,
        ..Settings::default()
    };
    let p = s.problems(false);
    assert!(p.iter().any(|m| m.contains("API key")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("site id")), "{p:?}");
    s.site_id = "not a guid".into();
    assert!(s.problems(true)[0].contains("does not look like a site id"));
    s.site_id = "1a2b3c4d-0000-4abc-8def-0123456789ab".into();
    assert!(s.problems(true).is_empty());
    s.folder_path = Some("photos".into());
    s.parallel = 0;
    s.chunk_size_bytes = Some(1000);
    assert_eq!(s.problems(true).len(), 3);
    assert!(Settings::default().problems(false).is_empty());
}

#[test]
fn the_file_keeps_its_names_and_says_which_file_is_wrong() {
    let dir = tempfile::tempdir().expect("tmp");
    // What earlier releases wrote: the chunk size without its unit in the name.
    std::fs::write(
        dir.path().join(FILE),
        r#"{"chunk_size": 1048576, "parallel": 5}"#,
    )
    .expect("write");
    let s = Settings::load(dir.path()).expect("load");
    assert_eq!((s.chunk_size_bytes, s.parallel), (Some(1 << 20), 5));
    assert!(
        !s.parallel_auto,
        "a number chosen before Auto existed stays chosen"
    );
    s.save(dir.path()).expect("save");
    let saved = std::fs::read_to_string(dir.path().join(FILE)).expect("read");
    assert!(saved.contains("\"chunk_size\": 1048576"), "{saved}");
    // The old default, and files that say so, adapt.
    std::fs::write(dir.path().join(FILE), r#"{"parallel": 3}"#).expect("write");
    assert!(Settings::load(dir.path()).expect("load").parallel_auto);
    std::fs::write(
        dir.path().join(FILE),
        r#"{"parallel": 5, "parallel_auto": true}"#,
    )
    .expect("write");
    assert!(Settings::load(dir.path()).expect("load").parallel_auto);

    std::fs::write(dir.path().join(FILE), "{ not json").expect("write");
    let e = Settings::load(dir.path()).expect_err("invalid");
    assert!(
        matches!(&e, SettingsError::Invalid { path, .. } if path.ends_with(FILE)),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("settings.json is not valid settings"),
        "{e}"
    );
    let missing = dir.path().join("none");
    assert_eq!(
        Settings::load(&missing).expect("defaults"),
        Settings::default()
    );
}

#[test]
fn the_key_file_round_trips_and_names_itself_when_unreadable() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = SecretStore::File(dir.path().join("api-key"));
    assert!(store.get().expect("none").is_none());
    let place = store.set(&crate::redact::ApiKey::new("k-1")).expect("set");
    assert_eq!(place, KeyPlace::File(dir.path().join("api-key")));
    assert!(
        place
            .to_string()
            .ends_with("(mode 0600; no keychain answered)")
    );
    assert_eq!(store.get().expect("get").expect("some").expose(), "k-1");
    // A folder where the file should be: reading fails, and the message names it.
    let odd = SecretStore::File(dir.path().to_path_buf());
    let e = odd.get().expect_err("a folder");
    assert!(matches!(e, SecretError::Read { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
}

#[test]
fn destination_prefers_the_path() {
    let s = Settings {
        folder_id: Some("f1".into()),
        folder_name: Some("Photos".into()),
        ..Settings::default()
    };
    assert_eq!(s.destination().folder_id.as_deref(), Some("f1"));
    assert_eq!(s.destination_label(), "Site Files / Photos");
    let s = Settings {
        folder_path: Some("/a/b".into()),
        ..s
    };
    assert_eq!(s.destination().folder_id, None);
    assert_eq!(s.destination_label(), "Site Files/a/b");
}
