//! The import graph of `src/` and `core/src/` runs one way.
//!
//! * **Between top-level modules**: every `crate::m` a module's files name is in a lower layer
//!   of [`SRC_LAYERS`] / [`CORE_LAYERS`] (modules of one layer do not import each other).
//! * **Between the files of one module**: no circles. A file's `super::x` / `crate::m::x` is an
//!   edge to the sibling file `x`, to the file a `pub use` in `mod.rs` re-exports `x` from, or
//!   to `mod.rs` itself for an item defined there; `mod.rs`'s own re-exports are its façade,
//!   not imports.
//!
//! A new module must be given a layer here; a backward import or a circle fails with the file
//! that makes it. Plain text analysis (comments stripped): no build needed, and no parser
//! dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `src/`, lowest layer first: helpers with no mr2 imports; data; models and their
/// predictions; objectives; evaluation; the trainer; bounds from trained models; what a finished
/// run writes; the experiment grids; benchmarks (which time experiment presets).
const SRC_LAYERS: &[&[&str]] = &[
    &["tensor", "settings", "report"],
    &["data"],
    &["model"],
    &["loss"],
    &["eval"],
    &["train"],
    &["bounds"],
    &["outputs"],
    &["experiments"],
    &["bench"],
];

/// `core/src/`: error handling and plain numerics; the paper's objects; the claim engine and
/// registry; the catalogue that prints them.
const CORE_LAYERS: &[&[&str]] = &[
    &["error", "tolerance", "search", "stats"],
    &["cli", "limits", "theory"],
    &["claims"],
    &["catalogue"],
];

/// Source text without `//` comments (doc comments name paths freely) and string literals.
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                kept.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The first path segment after every `prefix::` in `text`, including each item of a
/// `prefix::{a, b::c, …}` group.
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let pat = format!("{prefix}::");
    let mut rest = text;
    while let Some(i) = rest.find(&pat) {
        let boundary = rest[..i]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after = &rest[i + pat.len()..];
        if boundary {
            if let Some(group) = after.strip_prefix('{') {
                // Top-level items of the (possibly nested) group.
                let (mut depth, mut start) = (0usize, 0usize);
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            out.insert(ident(&group[start..j]));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.insert(ident(&group[start..j]));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
            } else {
                out.insert(ident(after));
            }
        }
        rest = after;
    }
    out.remove("");
    out
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable source directory") {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            out.extend(rs_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// A crate's top-level modules (files and directories of `root`, except `lib.rs` and `bin/`),
/// each with its files.
fn top_modules(root: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(root).expect("crate source directory") {
        let p = e.expect("entry").path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "bin" || name == "main" {
            continue;
        }
        let files = if p.is_dir() { rs_files(&p) } else { vec![p] };
        out.insert(name, files);
    }
    out
}

/// Every import of a lower-or-equal-but-different layer, as "file: a → b" lines; a module
/// missing from `layers` is reported too.
fn backward_imports(modules: &BTreeMap<String, Vec<String>>, layers: &[&[&str]]) -> Vec<String> {
    let layer_of = |m: &str| layers.iter().position(|l| l.contains(&m));
    let mut bad = Vec::new();
    for (m, files) in modules {
        let Some(lm) = layer_of(m) else {
            bad.push(format!(
                "module `{m}` has no layer: add it to the layer list"
            ));
            continue;
        };
        for text in files {
            for dep in names_after(&code(text), "crate") {
                if dep == *m || !modules.contains_key(&dep) {
                    continue;
                }
                match layer_of(&dep) {
                    Some(ld) if ld < lm => {}
                    _ => bad.push(format!("{m} → {dep}")),
                }
            }
        }
    }
    bad.sort();
    bad.dedup();
    bad
}

/// The file-level edges inside one module directory (`files`: file stem → text; `mod` is
/// `mod.rs`), resolved as the module docs say.
fn file_edges(module: &str, files: &BTreeMap<String, String>) -> BTreeSet<(String, String)> {
    let modrs = files.get("mod").map(|t| code(t)).unwrap_or_default();
    // `pub use x::{A, B};` / `pub use x::A;` in mod.rs: A and B live in x.
    let mut reexported: BTreeMap<String, String> = BTreeMap::new();
    let mut facade = String::new();
    let mut body = String::new();
    for stmt in modrs.split_inclusive(';') {
        let s = stmt.trim_start();
        if let Some(rest) = s.strip_prefix("pub use ") {
            let rest = rest.trim_start_matches("self::");
            let file: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            for n in names_after(rest, &file) {
                reexported.insert(n, file.clone());
            }
            facade.push_str(stmt);
        } else {
            body.push_str(stmt);
        }
    }
    let defined_in_mod = |n: &str| {
        [
            "fn ", "struct ", "enum ", "trait ", "type ", "const ", "static ",
        ]
        .iter()
        .any(|k| body.contains(&format!("{k}{n}")))
    };
    let resolve = |n: &str| -> Option<String> {
        if files.contains_key(n) && n != "mod" {
            Some(n.to_string())
        } else if let Some(f) = reexported.get(n) {
            Some(f.clone())
        } else if defined_in_mod(n) {
            Some("mod".to_string())
        } else {
            None
        }
    };
    let mut edges = BTreeSet::new();
    for (name, text) in files {
        if name == "mod" {
            // mod.rs's own code (not its `mod x;` lines or re-exports) using a sibling.
            for n in files.keys().filter(|n| *n != "mod") {
                let decl = format!("mod {n};");
                let used = body.replace(&decl, "").contains(&format!("{n}::"));
                if used {
                    edges.insert(("mod".to_string(), n.clone()));
                }
            }
            continue;
        }
        let t = code(text);
        let mut names = names_after(&t, "super");
        names.extend(names_after(&t, &format!("crate::{module}")));
        for n in names {
            if let Some(to) = resolve(&n) {
                if to != *name {
                    edges.insert((name.clone(), to));
                }
            }
        }
    }
    edges
}

/// The edges that lie on a circle.
fn on_circles(edges: &BTreeSet<(String, String)>) -> Vec<(String, String)> {
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(x) = stack.pop() {
            if x == to {
                return true;
            }
            if seen.insert(x.clone()) {
                stack.extend(edges.iter().filter(|e| e.0 == x).map(|e| e.1.clone()));
            }
        }
        false
    };
    edges
        .iter()
        .filter(|(a, b)| reaches(b, a))
        .cloned()
        .collect()
}

/// The files of each directory module of `root` (recursively), keyed by stem.
fn module_dirs(root: &Path) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root).expect("source directory") {
        let p = e.expect("entry").path();
        if !p.is_dir() || p.file_name().is_some_and(|n| n == "bin") {
            continue;
        }
        let mut files = BTreeMap::new();
        for f in std::fs::read_dir(&p).expect("module directory") {
            let f = f.expect("entry").path();
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            if f.is_dir() {
                if let Ok(t) = std::fs::read_to_string(f.join("mod.rs")) {
                    files.insert(stem, t);
                }
            } else if f.extension().is_some_and(|x| x == "rs") {
                files.insert(stem, std::fs::read_to_string(&f).expect("readable"));
            }
        }
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, files));
        out.extend(module_dirs(&p));
    }
    out
}

fn crate_report(root: &Path, layers: &[&[&str]]) -> Vec<String> {
    let shown = root
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(root)
        .display()
        .to_string();
    let modules: BTreeMap<String, Vec<String>> = top_modules(root)
        .into_iter()
        .map(|(m, files)| {
            let texts = files
                .iter()
                .map(|f| std::fs::read_to_string(f).expect("readable source"))
                .collect();
            (m, texts)
        })
        .collect();
    let mut bad: Vec<String> = backward_imports(&modules, layers)
        .into_iter()
        .map(|e| format!("{shown}: backward import {e}"))
        .collect();
    for (module, files) in module_dirs(root) {
        for (a, b) in on_circles(&file_edges(&module, &files)) {
            bad.push(format!("{shown}/{module}: circle through {a} → {b}"));
        }
    }
    bad
}

#[test]
fn imports_run_one_way() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut bad = crate_report(&here.join("src"), SRC_LAYERS);
    bad.extend(crate_report(&here.join("core/src"), CORE_LAYERS));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The checker sees what it must: a backward import, a group import, a circle through a
/// re-export, and none where the code is only a comment.
#[test]
fn the_checker_finds_backward_imports_and_circles() {
    let layers: &[&[&str]] = &[&["low"], &["high"]];
    let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect()
    };
    let ok = m(&[("low", "fn f() {}"), ("high", "use crate::low::f;")]);
    assert!(backward_imports(&ok, layers).is_empty());
    let back = m(&[("low", "use crate::{high::g, other};"), ("high", "")]);
    assert_eq!(backward_imports(&back, layers), ["low → high"]);
    let comment = m(&[
        ("low", "// crate::high::g\nlet s = \"crate::high\";"),
        ("high", ""),
    ]);
    assert!(backward_imports(&comment, layers).is_empty());
    let unknown = m(&[("low", ""), ("high", ""), ("new", "")]);
    assert_eq!(backward_imports(&unknown, layers).len(), 1);

    let files = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    // a → b directly, b → a through mod.rs's re-export of A: a circle.
    let circle = files(&[
        ("mod", "mod a;\nmod b;\npub use a::{A, B2};\n"),
        ("a", "use super::b::helper;\npub struct A;"),
        ("b", "use super::A;\npub fn helper() {}"),
    ]);
    let c = on_circles(&file_edges("m", &circle));
    assert_eq!(c.len(), 2, "{c:?}");
    // The same with the helper moved into a: one way.
    let fixed = files(&[
        ("mod", "mod a;\nmod b;\npub use a::A;\n"),
        ("a", "pub struct A; pub fn helper() {}"),
        ("b", "use super::A;\nuse super::a::helper;"),
    ]);
    assert!(on_circles(&file_edges("m", &fixed)).is_empty());
    // mod.rs code using a file that uses an item defined in mod.rs.
    let through_mod = files(&[
        ("mod", "mod a;\npub struct Plan;\nfn run() { a::go(); }"),
        ("a", "use crate::m::Plan;\npub fn go() {}"),
    ]);
    assert_eq!(on_circles(&file_edges("m", &through_mod)).len(), 2);
}

/// `cargo run` and `cargo test` resolve the same features for every crate both build (so a
/// fresh clone compiles burn once for the two commands): the dependency tree without dev-
/// dependencies against the one with them, crate by crate. A dev-dependency that turns on a
/// feature of a shared crate (proptest did, for regex-syntax under burn-core) fails here,
/// naming the crate and both feature sets.
#[test]
fn run_and_test_resolve_the_same_features() {
    let tree = |edges: &[&str]| -> BTreeMap<String, String> {
        let out = std::process::Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["tree", "--workspace", "--offline", "--prefix", "none"])
            .args(["--format", "{p}|{f}"])
            .args(edges)
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let l = l.trim_end_matches(" (*)").trim_end_matches(" (proc-macro)");
                let (p, f) = l.split_once('|')?;
                Some((p.to_string(), f.to_string()))
            })
            .collect()
    };
    let run = tree(&["--edges", "no-dev"]);
    let test = tree(&[]);
    // A crate built only for the host under `cargo run` (a build or proc-macro dependency)
    // but for the target under `cargo test` gets another profile, and so do the crates
    // above it (fnv did, through proptest's rusty-fork, and burn was compiled twice).
    let run_target = tree(&["--edges", "normal,no-proc-macro"]);
    let test_target = tree(&["--edges", "normal,dev,no-proc-macro"]);
    let moved: Vec<&String> = run
        .keys()
        .filter(|p| !run_target.contains_key(*p) && test_target.contains_key(*p))
        .collect();
    assert!(run_target.len() > 100 && run_target.len() < run.len());
    assert!(
        moved.is_empty(),
        "built for the host only under `cargo run`, for the target under `cargo test`: {moved:?}"
    );
    let differ: Vec<String> = run
        .iter()
        .filter_map(|(p, f)| {
            let g = test.get(p)?;
            (g != f).then(|| format!("{p}: `cargo run` [{f}], `cargo test` [{g}]"))
        })
        .collect();
    assert!(run.len() > 100, "a dependency tree of {} crates", run.len());
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// Lines of logic a source file may hold (non-blank, non-comment lines before its
/// `#[cfg(test)]` module): ~400 is the size at which a file asks to be split by concern; the
/// check leaves a margin so that a small addition does not force a split mid-change.
const LOGIC_LINES: usize = 450;

fn logic_lines(text: &str) -> usize {
    let body = text.split("#[cfg(test)]").next().unwrap_or("");
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

#[test]
fn no_logic_file_outgrows_its_room() {
    assert_eq!(
        logic_lines("// doc\n\nfn a() {}\n#[cfg(test)]\nmod t {}\n"),
        1
    );
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut big = Vec::new();
    for dir in ["src", "core/src", "kernels/src", "experiments"] {
        for f in rs_files(&here.join(dir)) {
            let n = logic_lines(&std::fs::read_to_string(&f).expect("readable source"));
            if n > LOGIC_LINES {
                big.push(format!(
                    "{}: {n} lines of logic",
                    f.strip_prefix(here).unwrap().display()
                ));
            }
        }
    }
    assert!(big.is_empty(), "split by concern:\n{}", big.join("\n"));
}

/// The statements of `text` (comments and attributes removed) that are not a `mod` declaration
/// or a `use` / `pub use` re-export: what a façade `mod.rs` must not hold.
fn facade_violations(text: &str) -> Vec<String> {
    let body: String = code(text)
        .lines()
        .filter(|l| !l.trim_start().starts_with("#["))
        .collect::<Vec<_>>()
        .join("\n");
    body.split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .filter(|s| {
            let s = s
                .strip_prefix("pub(crate) ")
                .or_else(|| s.strip_prefix("pub "))
                .unwrap_or(s);
            !(s.starts_with("mod ") || s.starts_with("use "))
        })
        .collect()
}

/// The directory modules whose `mod.rs` only declares its files and re-exports them (shared
/// types live in their own file, e.g. `loss/batch.rs`, `experiments/plan.rs`).
const FACADES: &[&str] = &[
    "src/loss/mod.rs",
    "src/loss/mr2/mod.rs",
    "src/experiments/mod.rs",
    "src/train/mod.rs",
    "src/bounds/mod.rs",
    "src/report/mod.rs",
];

#[test]
fn facade_modules_only_declare_and_reexport() {
    // The checker itself: a definition in a mod.rs is found, declarations are not.
    assert_eq!(
        facade_violations("//! doc\nmod a;\npub use a::{B,\n  C};\n#[cfg(test)]\nmod t;\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        facade_violations("mod a;\npub struct Plan { x: u8 }\nconst N: usize = 3;"),
        ["pub struct Plan { x: u8 } const N: usize = 3"]
    );
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in FACADES {
        let text = std::fs::read_to_string(here.join(f)).expect("readable mod.rs");
        let bad = facade_violations(&text);
        assert!(
            bad.is_empty(),
            "{f} holds more than declarations and re-exports: {bad:?}"
        );
    }
}
