//! End-to-end tests of `scan` (issue 6): a generated tree with secrets planted at known
//! places — plain text, a hidden file, a `.gitignore`d folder, a binary file, a PEM key with
//! other line endings, files deleted in later git commits of two repositories — must give
//! exactly the expected hits for every combination of flags, and never print a secret.
//!
//! Needs the `git` command (Debian package `git`) to build the test repositories.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, Sandbox};
use serde_json::Value;

const S1: &str = "sk_live_51HqLyjWDarjtT1zdp7dc"; // binance-bot secret
const S2: &str = "okx-secret-4f0b6a1c9e2d"; // okx secret
const P1: &str = "pass-phrase-Okx-2024"; // okx passphrase
const T: &str = "ghp_R4nd0mT0k3nV4lu3xyz"; // github-ci token
const TINY: &str = "abc123"; // too short to search

/// What a hit is, independent of output format:
/// (source, repository-relative-or-tree-relative path, line, column, entry, field, commit).
type Key = (String, String, u64, u64, String, String, String);

/// The flags a planted secret needs to be reported.
#[derive(Clone, Copy, Default)]
struct Needs {
    hidden: bool,
    no_ignore: bool,
    binary: bool,
    git: bool,
}

struct Planted {
    needs: Needs,
    key: Key,
}

struct Fixture {
    sandbox: Sandbox,
    tree: PathBuf,
    planted: Vec<Planted>,
    secrets: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn write(path: &Path, content: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

/// The 1-based line and byte column of `needle` in `text` (first occurrence).
fn place(text: &[u8], needle: &str) -> (u64, u64) {
    let at = text
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("planted text");
    let before = &text[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, (at - line_start) as u64 + 1)
}

fn key(source: &str, path: &str, at: (u64, u64), entry: &str, field: &str, commit: &str) -> Key {
    (
        source.into(),
        path.into(),
        at.0,
        at.1,
        entry.into(),
        field.into(),
        commit.into(),
    )
}

fn fixture() -> Fixture {
    let s = Sandbox::with_vault();
    s.add("binance-bot", S1, &["--provider", "binance"]);
    let run = s.run_pw(
        &["add", "okx", "--secret-stdin", "--passphrase-stdin"],
        Some(&format!("{S2}\n{P1}\n")),
    );
    run.ok();
    s.add("github-ci", T, &["--kind", "token"]);
    s.add("tiny", TINY, &[]);
    s.run_pw(&["keygen", "ed-bot", "--alg", "ed25519"], None)
        .ok();
    let pem = s.get("ed-bot", "private-key");
    let pem = pem.trim_end().to_owned();

    let tree = s.path("tree");
    let mut planted = Vec::new();
    let mut plant = |needs: Needs, k: Key| planted.push(Planted { needs, key: k });
    let always = Needs::default();

    // Plain text: two secrets of one file, one too short to be searched.
    let plain = format!(
        "# settings\nbinance_secret = \"{S1}\"\nokx = {{ passphrase: '{P1}' }}\ntiny = {TINY}\n"
    );
    write(&tree.join("plain.txt"), plain.as_bytes());
    let p = plain.as_bytes();
    plant(
        always,
        key(
            "file",
            "plain.txt",
            place(p, S1),
            "binance-bot",
            "secret",
            "",
        ),
    );
    plant(
        always,
        key("file", "plain.txt", place(p, P1), "okx", "passphrase", ""),
    );

    // A PEM key as stored, and with CRLF line endings (found by its lines: one hit).
    write(&tree.join("keys/id.pem"), format!("{pem}\n").as_bytes());
    plant(
        always,
        key("file", "keys/id.pem", (1, 1), "ed-bot", "private-key", ""),
    );
    let crlf = format!("{}\r\n", pem.replace('\n', "\r\n"));
    write(&tree.join("keys/id-crlf.pem"), crlf.as_bytes());
    plant(
        always,
        key(
            "file",
            "keys/id-crlf.pem",
            (2, 1),
            "ed-bot",
            "private-key",
            "",
        ),
    );

    // A hidden file.
    let dotenv = format!("GITHUB_TOKEN={T}\n");
    write(&tree.join(".env"), dotenv.as_bytes());
    let hidden = Needs {
        hidden: true,
        ..always
    };
    plant(
        hidden,
        key(
            "file",
            ".env",
            place(dotenv.as_bytes(), T),
            "github-ci",
            "secret",
            "",
        ),
    );

    // A nested .gitignored folder.
    write(&tree.join("app/.gitignore"), b"cache/\n");
    let dump = format!("dump\n\n   okx: {S2}\n");
    write(&tree.join("app/cache/dump.txt"), dump.as_bytes());
    let ignored = Needs {
        no_ignore: true,
        ..always
    };
    plant(
        ignored,
        key(
            "file",
            "app/cache/dump.txt",
            place(dump.as_bytes(), S2),
            "okx",
            "secret",
            "",
        ),
    );

    // A binary file.
    let mut bin = b"\x7fELF\x00\x01\x02\x03binary ".to_vec();
    bin.extend_from_slice(S1.as_bytes());
    bin.extend_from_slice(b"\x00\xff");
    write(&tree.join("data.bin"), &bin);
    let binary = Needs {
        binary: true,
        ..always
    };
    plant(
        binary,
        key(
            "file",
            "data.bin",
            place(&bin, S1),
            "binance-bot",
            "secret",
            "",
        ),
    );

    // The outer repository: plain.txt, data.bin, app/.gitignore and old.env committed;
    // old.env deleted in the next commit.
    let old = format!("# old config\nBINANCE_SECRET={S1}\n");
    write(&tree.join("old.env"), old.as_bytes());
    git(&tree, &["init", "-q", "-b", "main", "."]);
    git(
        &tree,
        &["add", "plain.txt", "data.bin", "app/.gitignore", "old.env"],
    );
    git(&tree, &["commit", "-q", "-m", "first"]);
    let c1 = git(&tree, &["rev-parse", "HEAD"]);
    git(&tree, &["rm", "-q", "old.env"]);
    git(&tree, &["commit", "-q", "-m", "remove old.env"]);
    let c2 = git(&tree, &["rev-parse", "HEAD"]);
    let in_git = Needs {
        git: true,
        ..always
    };
    let in_git_binary = Needs {
        git: true,
        binary: true,
        ..always
    };
    // plain.txt and data.bin are in both commits: either may be named (checked below).
    plant(
        in_git,
        key(
            "git",
            "plain.txt",
            place(p, S1),
            "binance-bot",
            "secret",
            "c1|c2",
        ),
    );
    plant(
        in_git,
        key(
            "git",
            "plain.txt",
            place(p, P1),
            "okx",
            "passphrase",
            "c1|c2",
        ),
    );
    plant(
        in_git_binary,
        key(
            "git",
            "data.bin",
            place(&bin, S1),
            "binance-bot",
            "secret",
            "c1|c2",
        ),
    );
    plant(
        in_git,
        key(
            "git",
            "old.env",
            place(old.as_bytes(), S1),
            "binance-bot",
            "secret",
            &c1,
        ),
    );

    // A second repository inside the tree, on a branch that is not checked out.
    let nested = tree.join("vendor/lib");
    std::fs::create_dir_all(&nested).expect("mkdir");
    git(&nested, &["init", "-q", "-b", "main", "."]);
    write(&nested.join("README"), b"lib\n");
    git(&nested, &["add", "README"]);
    git(&nested, &["commit", "-q", "-m", "readme"]);
    git(&nested, &["checkout", "-q", "-b", "feature"]);
    let creds = format!("token: {T}\n");
    write(&nested.join("conf/creds.txt"), creds.as_bytes());
    git(&nested, &["add", "conf/creds.txt"]);
    git(&nested, &["commit", "-q", "-m", "creds"]);
    let n1 = git(&nested, &["rev-parse", "HEAD"]);
    git(&nested, &["rm", "-q", "conf/creds.txt"]);
    git(&nested, &["commit", "-q", "-m", "oops"]);
    git(&nested, &["checkout", "-q", "main"]);
    plant(
        in_git,
        key(
            "git",
            "vendor/lib!conf/creds.txt",
            place(creds.as_bytes(), T),
            "github-ci",
            "secret",
            &n1,
        ),
    );

    // The "c1|c2" placeholders.
    for p in &mut planted {
        if p.key.6 == "c1|c2" {
            p.key.6 = format!("{c1}|{c2}");
        }
    }
    let mut secrets: Vec<String> = [S1, S2, P1, T, TINY].map(str::to_owned).to_vec();
    secrets.extend(
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::to_owned),
    );
    Fixture {
        sandbox: s,
        tree,
        planted,
        secrets,
    }
}

impl Fixture {
    fn scan(&self, flags: &[&str]) -> Run {
        let tree = self.tree.to_str().expect("utf-8 path");
        let mut args = vec!["scan", tree];
        args.extend_from_slice(flags);
        let run = self.sandbox.run_pw(&args, None);
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        run.leaks_none(&secrets);
        run
    }

    fn relative(&self, path: &str) -> String {
        Path::new(path)
            .strip_prefix(&self.tree)
            .unwrap_or_else(|_| panic!("{path} is outside the tree"))
            .to_string_lossy()
            .into_owned()
    }

    /// The hits of a `--json` run, as keys; git hits name their repository before a `!`
    /// when it is not the tree itself.
    fn hits(&self, run: &Run) -> BTreeSet<Key> {
        let json = run.json();
        let hits = json["hits"].as_array().expect("hits array");
        let text = |v: &Value| v.as_str().expect("string").to_owned();
        hits.iter()
            .map(|h| {
                let source = text(&h["source"]);
                let (path, commit) = if source == "git" {
                    let repo = self.relative(&text(&h["repository"]));
                    let path = text(&h["path"]);
                    let path = if repo.is_empty() {
                        path
                    } else {
                        format!("{repo}!{path}")
                    };
                    (path, text(&h["commit"]))
                } else {
                    (self.relative(&text(&h["path"])), String::new())
                };
                (
                    source,
                    path,
                    h["line"].as_u64().expect("line"),
                    h["column"].as_u64().expect("column"),
                    text(&h["entry"]),
                    text(&h["field"]),
                    commit,
                )
            })
            .collect()
    }

    /// The planted secrets `flags` should report; a commit written "a|b" accepts either.
    fn expected(&self, needs: Needs) -> Vec<&Key> {
        self.planted
            .iter()
            .filter(|p| {
                (!p.needs.hidden || needs.hidden)
                    && (!p.needs.no_ignore || needs.no_ignore)
                    && (!p.needs.binary || needs.binary)
                    && (!p.needs.git || needs.git)
            })
            .map(|p| &p.key)
            .collect()
    }
}

fn matches(found: &Key, wanted: &Key) -> bool {
    let commit_ok = wanted.6.split('|').any(|c| c == found.6);
    found.0 == wanted.0
        && found.1 == wanted.1
        && found.2 == wanted.2
        && found.3 == wanted.3
        && found.4 == wanted.4
        && found.5 == wanted.5
        && commit_ok
}

#[test]
fn every_flag_combination_gives_exactly_the_planted_hits() {
    let f = fixture();
    for bits in 0..16u8 {
        let needs = Needs {
            hidden: bits & 1 != 0,
            no_ignore: bits & 2 != 0,
            binary: bits & 4 != 0,
            git: bits & 8 != 0,
        };
        let mut flags = vec!["--json"];
        for (on, flag) in [
            (needs.hidden, "--hidden"),
            (needs.no_ignore, "--no-ignore"),
            (needs.binary, "--binary"),
            (needs.git, "--git"),
        ] {
            if on {
                flags.push(flag);
            }
        }
        let run = f.scan(&flags);
        run.expect_code(1);
        let found = f.hits(&run);
        let wanted = f.expected(needs);
        assert_eq!(
            found.len(),
            wanted.len(),
            "{flags:?}: found {found:#?}\nwanted {wanted:#?}"
        );
        for w in &wanted {
            assert!(
                found.iter().any(|h| matches(h, w)),
                "{flags:?}: missing {w:?}; found {found:#?}"
            );
        }
        let json = run.json();
        assert_eq!(
            json["not_searched_too_short"],
            serde_json::json!([{"entry": "tiny", "field": "secret"}]),
            "{flags:?}"
        );
        // Binary files holding a secret are counted when not listed.
        let skipped = json["binary_files_skipped"].as_u64().expect("count");
        let expected_skipped = match (needs.binary, needs.git) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        assert_eq!(skipped, expected_skipped, "{flags:?}");
        if needs.git {
            assert_eq!(json["git_repositories"].as_array().map(Vec::len), Some(2));
        }
    }
}

#[test]
fn plain_output_names_places_and_keys_but_no_secret() {
    let f = fixture();
    let run = f.scan(&["--hidden"]);
    run.expect_code(1);
    let tree = f.tree.display().to_string();
    let lines: Vec<&str> = run.stdout.lines().collect();
    let wanted = f.expected(Needs {
        hidden: true,
        ..Needs::default()
    });
    assert_eq!(lines.len(), wanted.len(), "{}", run.stdout);
    for (_, path, line, column, entry, field, _) in wanted {
        let text = format!("{tree}/{path}:{line}:{column}: {field} of '{entry}'");
        assert!(
            lines.contains(&text.as_str()),
            "missing {text}: {}",
            run.stdout
        );
    }
    run.stderr_has("not searched")
        .stderr_has("secret of 'tiny'");
    run.stderr_has("1 binary file");

    let run = f.scan(&["--git"]);
    run.expect_code(1);
    assert!(
        run.stdout.contains("old.env:2:16: secret of 'binance-bot'")
            && run.stdout.contains("(git "),
        "{}",
        run.stdout
    );
}

#[test]
fn several_paths_and_single_files() {
    let f = fixture();
    let plain = f.tree.join("plain.txt");
    let app = f.tree.join("app");
    let run = f.sandbox.run_pw(
        &[
            "scan",
            "--json",
            "--no-ignore",
            plain.to_str().expect("path"),
            app.to_str().expect("path"),
        ],
        None,
    );
    run.expect_code(1);
    let found = f.hits(&run);
    let paths: BTreeSet<&str> = found.iter().map(|k| k.1.as_str()).collect();
    assert_eq!(
        paths,
        BTreeSet::from(["plain.txt", "app/cache/dump.txt"]),
        "{found:?}"
    );
    assert_eq!(found.len(), 3);
}

#[test]
fn a_clean_tree_exits_0_and_bad_paths_are_usage_errors() {
    let s = Sandbox::with_vault();
    s.add("k", S1, &[]);
    let clean = s.path("clean");
    write(
        &clean.join("a.txt"),
        b"nothing to see: sk_live_51HqLyjWDarjtT1zd (truncated)\n",
    );
    let run = s.run_pw(&["scan", "--json", clean.to_str().expect("path")], None);
    run.ok().leaks_none(&[S1]);
    assert_eq!(run.json()["hits"], serde_json::json!([]));
    assert_eq!(run.json()["files_scanned"], 1);
    s.run_pw(&["scan", clean.to_str().expect("path")], None)
        .ok()
        .stderr_has("no stored secret found");
    let missing = s.path("missing");
    s.run_pw(&["scan", missing.to_str().expect("path")], None)
        .expect_code(2)
        .stderr_has("no such file");
    s.run_pw(&["scan"], None).expect_code(2);
}
