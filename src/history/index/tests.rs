use super::*;

fn entry(site: &str, name: &str, size: u64, removed: bool, checked: bool) -> HistoryEntry {
    HistoryEntry {
        file_id: format!("{name}-{size}-{removed}-{checked}"),
        size_bytes: size,
        site: Some(site.into()),
        source_md5: Some("00".into()),
        source_size: Some(size),
        location_removed: removed,
        location_checked: checked,
        location_rules: LOCATION_RULES,
        ..HistoryEntry::example(name, 0)
    }
}

/// An index of these entries (oldest first) as a later start reads them from the history.
fn loaded(entries: &[HistoryEntry]) -> (tempfile::TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    crate::history::append_all(dir.path(), entries).unwrap();
    let index = Index::load(dir.path(), "s".into()).unwrap();
    (dir, index)
}

fn ids(c: Candidates) -> Vec<String> {
    c.read().into_iter().map(|e| e.file_id).collect()
}

#[test]
fn candidates_match_size_name_site_and_the_location_choice() {
    let (_dir, ix) = loaded(&[
        entry("s", "b.jpg", 10, false, true),
        entry("other", "a.jpg", 10, false, true),
        entry("s", "a.jpg", 10, false, false),
        entry("s", "a.jpg", 10, true, true),
    ]);
    // Removing: only what was sent with removal on.
    assert_eq!(
        ids(ix.candidates(10, "a.jpg", true)),
        ["a.jpg-10-true-true"]
    );
    // Keeping: only what was sent with its location.
    assert_eq!(
        ids(ix.candidates(10, "a.jpg", false)),
        ["a.jpg-10-false-false"]
    );
    assert!(ix.candidates(11, "a.jpg", true).is_empty());
    assert!(ix.candidates(10, "c.jpg", false).is_empty());
}

/// A video sent with its location, and a HEIC an older version "checked" (it knew JPEG,
/// PNG and WebP only, and sent the HEIC's location): neither answers for a file queued to
/// lose its location. Before, every video and every older check counted, and the file
/// ended "already on your site" with its location served there.
#[test]
fn a_video_sent_with_its_location_or_an_older_check_does_not_answer_for_removal() {
    let mut mov = entry("s", "v.mov", 10, false, false);
    mov.mime_type = "video/quicktime".into();
    let mut old = entry("s", "p.heic", 10, false, true);
    old.mime_type = "image/heic".into();
    old.location_rules = 0;
    let mut checked = entry("s", "p.heic", 10, false, true);
    checked.file_id = "checked-now".into();
    let (_dir, ix) = loaded(&[checked, old, mov]);
    assert!(ix.candidates(10, "v.mov", true).is_empty());
    assert_eq!(ids(ix.candidates(10, "p.heic", true)), ["checked-now"]);
    assert_eq!(ids(ix.candidates(10, "v.mov", false)).len(), 1);
}

/// Uploads read from the file and those finished since come newest first; lines that do not
/// read (one cut short) are skipped, and a line replaced since it was indexed is not taken for
/// the upload it was.
#[test]
fn loaded_and_added_uploads_come_newest_first_and_lines_are_confirmed_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = entry("s", "a.jpg", 10, false, false);
    first.file_id = "first".into();
    crate::history::append(dir.path(), &first).unwrap();
    let path = crate::history::path(dir.path());
    let mut cut = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut cut, br#"{"name":"a.jpg","size_by"#).unwrap();
    let mut second = first.clone();
    second.file_id = "second".into();
    crate::history::append(dir.path(), &second).unwrap();
    let mut ix = Index::load(dir.path(), "s".into()).unwrap();
    let mut third = first.clone();
    third.file_id = "third".into();
    ix.add(third);
    assert_eq!(
        ids(ix.candidates(10, "a.jpg", false)),
        ["third", "second", "first"]
    );
    // The history is replaced by one whose first line is another file's.
    let mut other = entry("s", "z.jpg", 10, false, false);
    other.file_id = "other".into();
    std::fs::remove_file(&path).unwrap();
    crate::history::append_all(dir.path(), &[other.clone(), other.clone(), other]).unwrap();
    assert_eq!(ids(ix.candidates(10, "a.jpg", false)), ["third"]);
}

#[test]
fn a_missing_history_is_an_empty_index() {
    let dir = tempfile::tempdir().unwrap();
    let ix = Index::load(dir.path(), "s".into()).unwrap();
    assert!(ix.candidates(1, "a.jpg", false).is_empty());
}
