//! The shape the crate map in `src/lib.rs` promises, checked on the source itself: no import
//! cycle between files, dependencies pointing the one way the map draws, egui confined to the
//! window, no file past about 400 lines.
//!
//! Every `src/` file is parsed with `syn`. An edge `a -> b` means a non-test item in file `a`
//! names something defined in file `b`, through a `use` or a path (`crate::…`, `super::…`,
//! `self::…`, a child module's name, or a name a `use` brought in). A name re-exported by a
//! facade (`pub use child::Thing` in a `mod.rs`) counts as the file that defines it, as the
//! compiler resolves it; a `mod.rs` that only declares and re-exports is no hub.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Longest a source file may grow (the "about 400 lines", tests inside it included).
const MAX_LINES: usize = 400;

type ModPath = Vec<String>;

struct SourceFile {
    path: PathBuf,
    /// True for `mod.rs` and `lib.rs`: `self` is the folder's module.
    text: String,
    ast: syn::File,
}

struct Crate {
    files: BTreeMap<ModPath, SourceFile>,
    /// Per module: the names its top-level `use`s bring in, as absolute paths.
    aliases: HashMap<ModPath, HashMap<String, ModPath>>,
}

fn module_path(src: &Path, file: &Path) -> Option<ModPath> {
    let rel = file.strip_prefix(src).ok()?.with_extension("");
    let mut parts: ModPath = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.last().map(String::as_str) {
        Some("main") if parts.len() == 1 => return None, // the binary, not the library
        Some("lib") if parts.len() == 1 => parts.clear(),
        Some("mod") => {
            parts.pop();
        }
        _ => {}
    }
    Some(parts)
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

fn load(src: &Path) -> Crate {
    let mut files = BTreeMap::new();
    for entry in walk(src) {
        let Some(m) = module_path(src, &entry) else {
            continue;
        };
        let text = std::fs::read_to_string(&entry).expect("read source");
        let ast = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", entry.display()));
        files.insert(
            m,
            SourceFile {
                path: entry,
                text,
                ast,
            },
        );
    }
    let mut krate = Crate {
        files,
        aliases: HashMap::new(),
    };
    let mut aliases = HashMap::new();
    for (m, f) in &krate.files {
        let mut names = HashMap::new();
        for item in &f.ast.items {
            if let syn::Item::Use(u) = item
                && !is_test_only(&u.attrs)
            {
                for (name, path) in use_leaves(&krate, m, &u.tree, &aliases_none()) {
                    names.insert(name, path);
                }
            }
        }
        aliases.insert(m.clone(), names);
    }
    krate.aliases = aliases;
    krate
}

fn aliases_none() -> HashMap<String, ModPath> {
    HashMap::new()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

impl Crate {
    fn is_child(&self, m: &ModPath, name: &str) -> bool {
        let mut c = m.clone();
        c.push(name.to_string());
        self.files.contains_key(&c)
    }

    /// The absolute path a path written in module `m` starts from, or `None` for another crate.
    fn absolute(
        &self,
        m: &ModPath,
        segs: &[String],
        local: &HashMap<String, ModPath>,
    ) -> Option<ModPath> {
        let (first, rest) = segs.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => m.clone(),
            "super" => m[..m.len().checked_sub(1)?].to_vec(),
            name if self.is_child(m, name) => {
                let mut c = m.clone();
                c.push(name.to_string());
                c
            }
            name => local
                .get(name)
                .or_else(|| self.aliases.get(m).and_then(|a| a.get(name)))?
                .clone(),
        };
        let mut rest = rest;
        while let Some((s, r)) = rest.split_first() {
            if s == "super" {
                base.pop();
                rest = r;
            } else {
                break;
            }
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file that defines what `path` names, following re-exports.
    fn defining_file(&self, path: &ModPath) -> ModPath {
        let mut path = path.clone();
        for _ in 0..16 {
            let n = (0..=path.len())
                .rev()
                .find(|&n| self.files.contains_key(&path[..n]))
                .unwrap_or(0);
            let file = path[..n].to_vec();
            let Some(next) = path.get(n) else {
                return file;
            };
            match self.aliases.get(&file).and_then(|a| a.get(next)) {
                Some(target) if target != &path[..=n] => {
                    let mut p = target.clone();
                    p.extend(path[n + 1..].iter().cloned());
                    path = p;
                }
                _ => return file,
            }
        }
        path
    }
}

/// Every name a `use` tree brings in, with the absolute path it stands for.
fn use_leaves(
    krate: &Crate,
    m: &ModPath,
    tree: &syn::UseTree,
    local: &HashMap<String, ModPath>,
) -> Vec<(String, ModPath)> {
    fn go(
        krate: &Crate,
        m: &ModPath,
        tree: &syn::UseTree,
        prefix: &mut Vec<String>,
        local: &HashMap<String, ModPath>,
        out: &mut Vec<(String, ModPath)>,
    ) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                go(krate, m, &p.tree, prefix, local, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let full = full(prefix, &name);
                if let Some(abs) = krate.absolute(m, &full, local) {
                    let bound = if name == "self" {
                        prefix.last().cloned().unwrap_or_default()
                    } else {
                        name
                    };
                    out.push((bound, abs));
                }
            }
            syn::UseTree::Rename(r) => {
                let full = full(prefix, &r.ident.to_string());
                if let Some(abs) = krate.absolute(m, &full, local) {
                    out.push((r.rename.to_string(), abs));
                }
            }
            syn::UseTree::Glob(_) => {
                if let Some(abs) = krate.absolute(m, prefix, local) {
                    out.push(("*".into(), abs));
                }
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    go(krate, m, t, prefix, local, out);
                }
            }
        }
    }
    fn full(prefix: &[String], name: &str) -> Vec<String> {
        let mut v = prefix.to_vec();
        if name != "self" {
            v.push(name.to_string());
        }
        v
    }
    let mut out = Vec::new();
    go(krate, m, tree, &mut Vec::new(), local, &mut out);
    out
}

/// Collects the files one file's non-test code refers to.
struct Refs<'a> {
    krate: &'a Crate,
    module: &'a ModPath,
    out: BTreeSet<ModPath>,
}

impl Refs<'_> {
    fn add(&mut self, abs: ModPath) {
        let f = self.krate.defining_file(&abs);
        if &f != self.module {
            self.out.insert(f);
        }
    }
}

impl<'ast> Visit<'ast> for Refs<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        let attrs = match i {
            syn::Item::Mod(x) => &x.attrs,
            syn::Item::Fn(x) => &x.attrs,
            syn::Item::Impl(x) => &x.attrs,
            syn::Item::Use(x) => &x.attrs,
            syn::Item::Struct(x) => &x.attrs,
            syn::Item::Enum(x) => &x.attrs,
            syn::Item::Const(x) => &x.attrs,
            syn::Item::Static(x) => &x.attrs,
            syn::Item::Trait(x) => &x.attrs,
            syn::Item::Type(x) => &x.attrs,
            syn::Item::Macro(x) => &x.attrs,
            _ => return syn::visit::visit_item(self, i),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, i);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        for (name, abs) in use_leaves(self.krate, self.module, &u.tree, &HashMap::new()) {
            let _ = name;
            self.add(abs);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        // A bare single name is a local item or a prelude type, unless a `use` brought it in,
        // and then the `use` already counted.
        if segs.len() > 1
            && let Some(abs) = self.krate.absolute(self.module, &segs, &HashMap::new())
        {
            self.add(abs);
        }
        syn::visit::visit_path(self, p);
    }
}

fn graph(krate: &Crate) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    krate
        .files
        .iter()
        .map(|(m, f)| {
            let mut r = Refs {
                krate,
                module: m,
                out: BTreeSet::new(),
            };
            r.visit_file(&f.ast);
            (m.clone(), r.out)
        })
        .collect()
}

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("/")
    }
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(g: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct T<'a> {
        g: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: HashMap<&'a ModPath, usize>,
        low: HashMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a ModPath) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let Some((w, _)) = t.g.get_key_value(w) else {
                continue;
            };
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_import_cycle_between_files() {
    let krate = load(&src_dir());
    let g = graph(&krate);
    let found = cycles(&g);
    let mut report = String::new();
    for comp in &found {
        report.push_str(&format!(
            "\ncycle: {}\n",
            comp.iter().map(name).collect::<Vec<_>>().join(", ")
        ));
        for a in comp {
            for b in &g[a] {
                if comp.contains(b) {
                    report.push_str(&format!("    {} -> {}\n", name(a), name(b)));
                }
            }
        }
    }
    assert!(found.is_empty(), "files that import each other:{report}");
}

/// What a low helper (atomic writes, the streamed file body) never imports.
const LOW_HELPER_MUST_NOT_REACH: &[&str] = &[
    "engine",
    "tus",
    "wix_media",
    "sandbox",
    "gui",
    "cli",
    "settings",
];

/// The directions `src/lib.rs` draws: front ends over the engine over the clients; the sandbox
/// and the clients share no code (they meet only over HTTP); low helpers import no feature.
#[test]
fn dependencies_point_the_way_the_map_says() {
    let krate = load(&src_dir());
    let g = graph(&krate);
    let top = |m: &ModPath| m.first().cloned().unwrap_or_default();
    // (from, must not reach)
    let forbidden: &[(&str, &[&str])] = &[
        ("engine", &["gui", "cli", "sandbox", "settings"]),
        (
            "tus",
            &[
                "engine",
                "wix_media",
                "gui",
                "cli",
                "sandbox",
                "settings",
                "config",
            ],
        ),
        (
            "wix_media",
            &[
                "engine", "tus", "gui", "cli", "sandbox", "settings", "config",
            ],
        ),
        (
            "sandbox",
            &[
                "engine",
                "tus",
                "wix_media",
                "gui",
                "cli",
                "settings",
                "config",
            ],
        ),
        ("cli", &["gui"]),
        (
            "retry",
            &["engine", "tus", "wix_media", "sandbox", "gui", "cli"],
        ),
        ("fs", LOW_HELPER_MUST_NOT_REACH),
        ("file_stream", LOW_HELPER_MUST_NOT_REACH),
        (
            "imaging",
            &["engine", "tus", "wix_media", "sandbox", "gui", "cli"],
        ),
    ];
    let mut wrong = Vec::new();
    for (a, targets) in &g {
        for b in targets {
            for (from, banned) in forbidden {
                if top(a) == *from && banned.contains(&top(b).as_str()) {
                    wrong.push(format!("{} -> {}", name(a), name(b)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "edges against the map: {wrong:#?}");
}

#[test]
fn egui_appears_only_in_the_window() {
    let mut wrong = Vec::new();
    for f in walk(&src_dir()) {
        let rel = f.strip_prefix(src_dir()).expect("under src");
        if rel.starts_with("gui") || rel == Path::new("main.rs") || rel == Path::new("lib.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        for krate in ["egui::", "eframe::", "rfd::", "poll_promise::"] {
            if text.contains(krate) {
                wrong.push(format!("{} uses {krate}", rel.display()));
            }
        }
    }
    assert!(wrong.is_empty(), "UI crates outside src/gui: {wrong:#?}");
}

#[test]
fn no_source_file_is_longer_than_about_400_lines() {
    let krate = load(&src_dir());
    let mut long: Vec<String> = krate
        .files
        .values()
        .map(|f| (f.path.clone(), f.text.lines().count()))
        .chain(std::iter::once({
            let main = src_dir().join("main.rs");
            let n = std::fs::read_to_string(&main)
                .expect("main")
                .lines()
                .count();
            (main, n)
        }))
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(p, n)| format!("{}: {n} lines", p.display()))
        .collect();
    long.sort();
    assert!(long.is_empty(), "split these along a seam: {long:#?}");
}

/// The checker itself, on a crate small enough to read: it must see a cycle through `super::`,
/// a child's name and a `use` alias, and must not see one through a facade's re-export.
#[test]
fn the_checker_sees_cycles_and_sees_through_facades() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    let write = |p: &str, t: &str| {
        let p = src.join(p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, t).expect("write");
    };
    write("lib.rs", "pub mod a;\npub mod b;\npub mod f;\n");
    // a -> b through a use alias; b -> a through a full path: a cycle.
    write("a.rs", "use crate::b;\npub fn one() { b::two(); }\n");
    write(
        "b.rs",
        "pub fn two() { crate::a::one(); }\n#[cfg(test)]\nmod tests { use crate::f::x::X; }\n",
    );
    // A facade: f re-exports x's and y's items; y uses x through the facade. No cycle.
    write("f/mod.rs", "mod x;\nmod y;\npub use x::X;\npub use y::Y;\n");
    write("f/x.rs", "pub struct X;\n");
    write("f/y.rs", "pub struct Y(super::X);\n");
    let krate = load(src);
    let g = graph(&krate);
    let v = |s: &str| -> ModPath { s.split('/').map(String::from).collect() };
    assert_eq!(cycles(&g), vec![vec![v("a"), v("b")]], "graph: {g:?}");
    assert!(g[&v("f/y")].contains(&v("f/x")), "seen through the facade");
    assert!(!g[&v("f/y")].contains(&v("f")), "the facade is no hub");
    assert!(!g[&v("b")].contains(&v("f/x")), "test-only code is skipped");
}
