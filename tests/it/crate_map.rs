//! The maps the crate's docs draw are true: `src/lib.rs`'s layout names every module (the
//! window's are in `src/gui/mod.rs`'s) and only files that exist, and every source path the
//! docs mention in backticks is there. A module added, moved or removed without its line in
//! the map fails here, so the map cannot go stale again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The lines of the first ```text block of a file's `//!` docs.
fn text_block(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("read");
    let docs = text
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(""));
    docs.skip_while(|l| l.trim() != "```text")
        .skip(1)
        .take_while(|l| l.trim() != "```")
        .map(str::to_string)
        .collect()
}

/// An entry of a map: a line that starts (after its indent) with a module name or file name and
/// then two spaces. Indent (two spaces a level) nests entries under the folder above.
fn entries(lines: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for l in lines {
        let indent = l.len() - l.trim_start().len();
        let rest = l.trim_start();
        let Some(end) = rest.find("  ") else { continue };
        let name = &rest[..end];
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_./".contains(c));
        if is_name && !rest.starts_with("  ") {
            out.push((indent / 2, name.to_string()));
        }
    }
    out
}

/// Every module file under `src/` (relative, with `/`), test-only files (a `tests` folder or
/// file) aside.
fn module_files(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        let rel = p
            .strip_prefix(base)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if p.is_dir() {
            module_files(&p, base, out);
        } else if rel.ends_with(".rs") && !rel.split('/').any(|c| c == "tests" || c == "tests.rs") {
            out.insert(rel);
        }
    }
}

/// The files `lib.rs`'s map names: `name.rs` as written, `name/` as `name/mod.rs`, `name` as
/// `name.rs` or `name/mod.rs`, each under the folders above it.
fn named_by_lib_map() -> (BTreeSet<String>, Vec<String>) {
    let src = src();
    let mut named = BTreeSet::new();
    let mut missing = Vec::new();
    let mut folders: Vec<String> = Vec::new();
    for (depth, name) in entries(&text_block(&src.join("lib.rs"))) {
        folders.truncate(depth);
        let prefix: String = folders.iter().map(|f| format!("{f}/")).collect();
        let (file, folder) = if let Some(dir) = name.strip_suffix('/') {
            (format!("{prefix}{dir}/mod.rs"), Some(dir.to_string()))
        } else if name.ends_with(".rs") {
            (format!("{prefix}{name}"), None)
        } else if src.join(format!("{prefix}{name}/mod.rs")).exists() {
            (format!("{prefix}{name}/mod.rs"), None)
        } else {
            (format!("{prefix}{name}.rs"), None)
        };
        if !src.join(&file).exists() {
            missing.push(format!("{name} (as {file})"));
        }
        named.insert(file);
        if let Some(dir) = folder {
            folders.push(dir);
        }
    }
    (named, missing)
}

#[test]
fn the_crate_map_names_every_module_and_only_files_that_exist() {
    let src = src();
    let (named, missing) = named_by_lib_map();
    assert!(
        missing.is_empty(),
        "src/lib.rs's map names files that are not there: {missing:#?}"
    );
    let mut all = BTreeSet::new();
    module_files(&src, &src, &mut all);
    let unnamed: Vec<&String> = all
        .iter()
        .filter(|f| *f != "lib.rs" && (!f.starts_with("gui/") || *f == "gui/mod.rs"))
        .filter(|f| !named.contains(*f))
        .collect();
    assert!(
        unnamed.is_empty(),
        "modules src/lib.rs's map does not name: {unnamed:#?}"
    );
}

#[test]
fn the_windows_map_names_every_file_of_the_window() {
    let gui = src().join("gui");
    let listed: BTreeSet<String> = entries(&text_block(&gui.join("mod.rs")))
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    let mut files = BTreeSet::new();
    for e in std::fs::read_dir(&gui).expect("read gui") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") && name != "mod.rs" {
            files.insert(name);
        }
    }
    let missing: Vec<_> = listed.difference(&files).collect();
    let unnamed: Vec<_> = files.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "gui/mod.rs's map names files that are not there: {missing:?}"
    );
    assert!(
        unnamed.is_empty(),
        "files gui/mod.rs's map does not name: {unnamed:?}"
    );
}

/// Every `path/like/this.rs` in backticks in a module's docs, relative to `src/`, exists.
#[test]
fn source_paths_the_docs_mention_exist() {
    let src = src();
    let mut all = BTreeSet::new();
    module_files(&src, &src, &mut all);
    let mut wrong = Vec::new();
    for file in all
        .iter()
        .filter(|f| f.ends_with("mod.rs") || *f == "lib.rs")
    {
        let text = std::fs::read_to_string(src.join(file)).expect("read");
        let docs: String = text
            .lines()
            .filter(|l| l.starts_with("//!"))
            .collect::<Vec<_>>()
            .join("\n");
        for (i, piece) in docs.split('`').enumerate() {
            let quoted = i % 2 == 1;
            let looks_like_path = piece.ends_with(".rs")
                && piece.contains('/')
                && !piece.contains(' ')
                && !piece.starts_with("tests/");
            if quoted && looks_like_path && !src.join(piece).exists() {
                wrong.push(format!("{file} mentions `{piece}`"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "paths the docs mention that are not there: {wrong:#?}"
    );
}

/// The map reader itself, on a small map: nesting by indent, folders, files and prose.
#[test]
fn the_map_reader_nests_by_indent_and_skips_prose() {
    let lines: Vec<String> = [
        "main.rs        thin",
        "front ends ─────",
        "engine/        the queue",
        "  job/         a job: state (id), file",
        "    state      its state",
        "                continued prose line",
        "  walk         folders into files",
        "units, size    two in one line is no entry",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let e = entries(&lines);
    let names: Vec<(usize, &str)> = e.iter().map(|(d, n)| (*d, n.as_str())).collect();
    assert_eq!(
        names,
        [
            (0, "main.rs"),
            (0, "engine/"),
            (1, "job/"),
            (2, "state"),
            (1, "walk")
        ]
    );
}
