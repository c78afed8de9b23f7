//! README.md and docs/*.md: every relative link resolves to a file of the repository, every
//! `#anchor` to a heading of its target, and README stays a front door (at most 320 lines; the
//! long sections live in docs/); README's claims table is what the verdict rule gives on the
//! committed results.

use std::path::{Path, PathBuf};

/// GitHub's heading anchor: lower case; letters, digits, `-` and `_` kept; spaces become `-`;
/// everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                Some(c.to_lowercase().collect::<String>())
            } else if c == ' ' {
                Some("-".into())
            } else {
                None
            }
        })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for l in markdown.lines() {
        if l.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && l.starts_with('#') {
            out.push(slug(l.trim_start_matches('#')));
        }
    }
    out
}

/// Targets of `[text](target)` and `![alt](target)` outside code blocks and code spans.
fn links(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for l in markdown.lines() {
        if l.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        // Drop code spans.
        let text: String = l.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            if let Some(j) = after.find(')') {
                out.push(after[..j].to_string());
            }
            rest = after;
        }
    }
    out
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<PathBuf> {
    let mut v = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    v.extend(docs);
    v
}

/// The broken links of `page` (relative to its directory).
fn broken(page: &Path, markdown: &str) -> Vec<String> {
    let dir = page.parent().expect("a page in a directory");
    let mut bad = Vec::new();
    for target in links(markdown) {
        if target.starts_with("http://") || target.starts_with("https://") {
            continue;
        }
        let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let path = if file.is_empty() {
            page.to_path_buf()
        } else {
            dir.join(file)
        };
        if !path.exists() {
            bad.push(format!("{target}: no such file"));
            continue;
        }
        if !anchor.is_empty() && path.extension().is_some_and(|x| x == "md") {
            let text = if file.is_empty() {
                markdown.to_string()
            } else {
                std::fs::read_to_string(&path).expect("readable page")
            };
            if !anchors(&text).iter().any(|a| a == anchor) {
                bad.push(format!("{target}: no heading with that anchor"));
            }
        }
    }
    bad
}

#[test]
fn every_link_resolves() {
    let mut bad = Vec::new();
    let mut n = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("readable page");
        n += links(&text).len();
        for b in broken(&page, &text) {
            bad.push(format!(
                "{}: {b}",
                page.strip_prefix(repo()).unwrap_or(&page).display()
            ));
        }
    }
    assert!(n > 20, "only {n} links found: the link parser is broken");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn readme_is_a_front_door() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 320,
        "README.md has {lines} lines; move long sections to docs/"
    );
    // It links every page of docs/.
    for page in pages().iter().skip(1) {
        let name = page.file_name().unwrap().to_string_lossy();
        assert!(
            readme.contains(&format!("(docs/{name}")),
            "README.md does not link docs/{name}"
        );
    }
}

/// The checker itself: anchors, code spans and missing files.
#[test]
fn the_link_checker_finds_broken_links() {
    assert_eq!(
        slug("What the theory suite found"),
        "what-the-theory-suite-found"
    );
    assert_eq!(slug("Speed (`bench`)"), "speed-bench");
    assert_eq!(slug("CIFAR-10 (JPEG copy)"), "cifar-10-jpeg-copy");
    let page = repo().join("README.md");
    let md = "# Top\n[a](#top) [b](#nope) [c](no-such.md) [g](README.md#layout)\n\
              `[d](code-span.md)`\n```\n[e](in-code.md)\n```\n![f](docs/img/none.png)\n";
    let bad = broken(&page, md);
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(
        bad[0].contains("#nope") && bad[1].contains("no-such.md") && bad[2].contains("none.png")
    );
}

/// The `@NAME@` markers a page is drafted with (upper-case letters, digits, `_` between two
/// `@`) in `markdown`.
fn placeholders(markdown: &str) -> Vec<String> {
    let b = markdown.as_bytes();
    let mut out = Vec::new();
    for (i, _) in markdown.match_indices('@') {
        let name = b[i + 1..]
            .iter()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
            .count();
        if name > 0 && b.get(i + 1 + name) == Some(&b'@') {
            out.push(markdown[i..i + name + 2].to_string());
        }
    }
    out
}

/// No page is published with a draft's `@NAME@` marker left in it (docs/results.md once was).
#[test]
fn no_page_keeps_a_draft_placeholder() {
    assert_eq!(
        placeholders("user@x.org a @ROW@ b @TWIN1@ c user@EXAMPLE.org"),
        ["@ROW@", "@TWIN1@"]
    );
    assert!(placeholders("mail a@b.org or c@d.org; @x@").is_empty());
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("readable page");
        let left = placeholders(&text);
        assert!(left.is_empty(), "{}: {left:?}", page.display());
    }
}

const BEGIN: &str =
    "<!-- experiment-claims:begin (generated: MR2_UPDATE_README=1 cargo test --test docs) -->";
const END: &str = "<!-- experiment-claims:end -->";

/// README's table of the paper's experimental claims is exactly what
/// `mr2::experiments::claims::claims_table` gives on the committed `results/*/results.json`:
/// no verdict in it is typed by hand. `MR2_UPDATE_README=1` rewrites it instead of failing.
#[test]
fn readme_claims_table_is_what_the_rule_gives_on_the_committed_results() {
    let path = repo().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let table = mr2::experiments::claims::claims_table(&repo()).expect("committed results");
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("README.md lacks the claims table markers {BEGIN} … {END}");
    };
    let current = &readme[b + BEGIN.len()..e];
    let want = format!("\n{table}");
    if current != want {
        if std::env::var_os("MR2_UPDATE_README").is_some() {
            let new = format!("{}{BEGIN}{want}{}", &readme[..b], &readme[e..]);
            std::fs::write(&path, new).expect("README.md written");
            return;
        }
        panic!(
            "README's claims table differs from the committed results under the verdict rule; \
             run MR2_UPDATE_README=1 cargo test --test docs\n--- README\n{current}\n--- generated\n{want}"
        );
    }
    // Every row carries a verdict word of the rule or the printed-ℓ_s̄ finding.
    for line in table.lines().skip(2) {
        assert!(
            [
                "reproduced",
                "smaller than claimed",
                "contradicted",
                "inconclusive at n",
                "not a test of the claim"
            ]
            .iter()
            .any(|w| line.contains(w)),
            "{line}"
        );
    }
}

/// Every stored verdict in `results/*/results.json` (against the printed and the scaled
/// claim) is what the rule gives on the stored interval.
#[test]
fn every_stored_verdict_follows_the_rule() {
    let n = mr2::experiments::claims::check_stored_verdicts(&repo()).expect("stored verdicts");
    assert!(n >= 40, "only {n} stored verdicts checked");
}
