//! End to end: delete to the trash, merge of diverged copies and of sync conflict copies,
//! and no output file written over a vault (issue "Never lose a change").

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{FAST_KDF, PASSWORD, Run, Sandbox, keyward_command, run_command};
use keyward::store::VaultFile;
use keyward::vault::Vault;

/// Runs keyward on the vault at `vault` with the sandbox's password file.
fn on(s: &Sandbox, vault: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(vault)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(args);
    run_command(cmd, stdin)
}

fn open(path: &Path) -> Vault {
    VaultFile::open(path, PASSWORD.into()).expect("open").1
}

/// Every secret value the vault holds: current parts, history and trash.
fn all_secrets(v: &Vault) -> HashSet<String> {
    let mut out = HashSet::new();
    for e in v.entries.iter().chain(v.trash.iter().map(|t| &t.entry)) {
        for (_, s) in e.credential.secrets() {
            out.insert(s.expose().to_owned());
        }
        for h in &e.history {
            out.insert(h.value.expose().to_owned());
        }
    }
    out
}

#[test]
fn delete_goes_to_the_trash_and_comes_back() {
    let s = Sandbox::with_vault();
    s.add("github-ci", "ghp_first", &[]);
    s.run_pw(&["delete", "github-ci"], None)
        .ok()
        .stderr_has("trash --restore github-ci");
    assert!(s.list().is_empty());
    let listed = s.run_pw(&["trash", "--json"], None);
    listed.ok().leaks_none(&["ghp_first"]);
    assert_eq!(listed.json()[0]["name"], "github-ci");
    s.run_pw(&["trash", "--restore", "github-ci"], None).ok();
    assert_eq!(s.get("github-ci", "secret"), "ghp_first\n");
    // Purge: gone for good, a tombstone left, no name and no secret in the file's content.
    s.run_pw(&["delete", "github-ci"], None).ok();
    s.run_pw(&["trash", "--purge", "github-ci"], None).ok();
    let v = open(&s.vault);
    assert!(v.entries.is_empty() && v.trash.is_empty());
    assert_eq!(v.tombstones.len(), 1);
    s.run_pw(&["trash", "--restore", "github-ci"], None)
        .expect_code(5)
        .stderr_has("no key named 'github-ci' in the trash");
    s.run_pw(&["delete", "nope"], None)
        .expect_code(5)
        .stderr_has("no key named 'nope'");
}

#[test]
fn two_diverged_copies_merge_with_nothing_lost() {
    let s = Sandbox::with_vault();
    s.add("binance-bot", "S0", &["--key-id", "K0"]);
    s.add("github-ci", "ghp_0", &[]);
    s.add("old-key", "old-0", &[]);
    let other = s.path("laptop.keyward");
    std::fs::copy(&s.vault, &other).expect("copy");

    // This machine: rotate binance, delete old-key, add openai.
    s.run_pw(&["rotate", "binance-bot"], Some("S-desk\n")).ok();
    s.run_pw(&["delete", "old-key"], None).ok();
    s.add("openai", "sk-desk", &[]);
    // The laptop: rotate binance too, edit github, add stripe.
    on(&s, &other, &["rotate", "binance-bot"], Some("S-laptop\n")).ok();
    on(
        &s,
        &other,
        &["edit", "github-ci", "--notes", "from the laptop"],
        None,
    )
    .ok();
    on(
        &s,
        &other,
        &["add", "stripe", "--secret-stdin"],
        Some("sk_live_laptop\n"),
    )
    .ok();

    let before: HashSet<String> = all_secrets(&open(&s.vault))
        .union(&all_secrets(&open(&other)))
        .cloned()
        .collect();
    let dry = s.run_pw(&["merge", other.to_str().expect("utf8"), "--dry-run"], None);
    dry.ok()
        .stderr_has("added: stripe")
        .stderr_has("Dry run")
        .leaks_none(&["S-desk", "S-laptop", "sk_live_laptop", "ghp_0"]);
    let bytes = s.vault_bytes();
    assert_eq!(s.vault_bytes(), bytes, "a dry run changes nothing");

    s.run_pw(&["merge", other.to_str().expect("utf8")], None)
        .ok()
        .stderr_has("conflict in 'binance-bot' secret")
        .leaks_none(&["S-desk", "S-laptop", "sk_live_laptop", "S0"]);
    let merged = open(&s.vault);
    let names: HashSet<&str> = merged.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        HashSet::from(["binance-bot", "github-ci", "openai", "stripe"])
    );
    assert!(merged.trashed("old-key").is_some(), "the delete holds");
    assert_eq!(
        merged.get("github-ci").map(|e| e.notes.as_str()),
        Some("from the laptop")
    );
    // The laptop rotated last: its secret is current, the desk's is in the history.
    assert_eq!(s.get("binance-bot", "secret"), "S-laptop\n");
    let after = all_secrets(&merged);
    let missing: Vec<_> = before.difference(&after).collect();
    assert!(missing.is_empty(), "lost {missing:?}");
    assert!(other.exists(), "merging another vault leaves it alone");
}

#[test]
fn a_syncthing_conflict_copy_is_merged_and_removed() {
    let s = Sandbox::with_vault();
    s.add("kraken", "kr-0", &[]);
    let copy = s.path("vault.sync-conflict-20261201-101530-ABCDEFG.keyward");
    std::fs::copy(&s.vault, &copy).expect("copy");
    on(
        &s,
        &copy,
        &["add", "okx", "--secret-stdin"],
        Some("okx-remote\n"),
    )
    .ok();
    s.add("bybit", "by-local", &[]);
    s.run_pw(&["merge", "--conflicts", "--dry-run"], None)
        .ok()
        .stderr_has("added: okx");
    assert!(copy.exists());
    s.run_pw(&["merge", "--conflicts"], None)
        .ok()
        .stderr_has("Merged and removed");
    assert!(!copy.exists());
    assert_eq!(s.get("okx", "secret"), "okx-remote\n");
    assert_eq!(s.get("bybit", "secret"), "by-local\n");
    s.run_pw(&["merge", "--conflicts"], None)
        .ok()
        .stderr_has("nothing to merge");
}

#[test]
fn a_copy_with_another_password_stops_the_merge_before_any_change() {
    let s = Sandbox::with_vault();
    s.add("kraken", "kr-0", &[]);
    let copy = s.path("vault (conflicted copy 2026-12-01 101530).keyward");
    std::fs::copy(&s.vault, &copy).expect("copy");
    let new_pw = s.write_file("new-pw.txt", "another password entirely\n");
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(&copy)
        .arg("--password-file")
        .arg(&s.password_file)
        .arg("passwd")
        .args(FAST_KDF)
        .env("KEYWARD_NEW_PASSWORD_FILE", &new_pw);
    run_command(cmd, None).ok();
    let bytes = s.vault_bytes();
    s.run_pw(&["merge", "--conflicts"], None)
        .expect_code(3)
        .stderr_has("--other-password-file");
    assert_eq!(s.vault_bytes(), bytes);
    assert!(copy.exists());
    s.run_pw(
        &[
            "merge",
            "--conflicts",
            "--other-password-file",
            new_pw.to_str().expect("utf8"),
        ],
        None,
    )
    .ok();
    assert!(!copy.exists());
}

#[test]
fn no_output_file_is_written_over_a_vault() {
    let s = Sandbox::with_vault();
    s.add("kraken", "kr-0", &[]);
    let vault = s.vault.to_str().expect("utf8").to_owned();
    let bytes = s.vault_bytes();
    s.run_pw(&["reminders", "--ics", &vault], None)
        .expect_code(2)
        .stderr_has("is a keyward vault");
    s.run_pw(&["reminders", "--ics", &vault, "--force"], None)
        .expect_code(2)
        .stderr_has("is a keyward vault");
    s.run_pw(
        &[
            "export",
            "--format",
            "keepass-xml",
            "--out",
            &vault,
            "--force",
        ],
        None,
    )
    .expect_code(2)
    .stderr_has("is a keyward vault");
    assert_eq!(s.vault_bytes(), bytes);
    assert_eq!(s.get("kraken", "secret"), "kr-0\n", "the vault still opens");
    // An existing other file needs --force; then it is replaced.
    let ics = s.write_file("cal.ics", "old");
    let ics = ics.to_str().expect("utf8");
    s.run_pw(&["reminders", "--ics", ics], None)
        .expect_code(2)
        .stderr_has("--force");
    s.run_pw(&["reminders", "--ics", ics, "--force"], None).ok();
    assert!(
        std::fs::read_to_string(ics)
            .expect("ics")
            .starts_with("BEGIN:VCALENDAR")
    );
}

#[test]
fn merging_the_vault_with_itself_is_refused() {
    let s = Sandbox::with_vault();
    let vault = s.vault.to_str().expect("utf8").to_owned();
    s.run_pw(&["merge", &vault], None)
        .expect_code(2)
        .stderr_has("the vault itself");
}

#[test]
fn a_recovery_file_is_mentioned_on_open_and_merge_reads_it() {
    let s = Sandbox::with_vault();
    s.add("github-ci", "ghp_first", &[]);
    let before = s.run_pw(&["list"], None);
    assert!(
        !before.ok().stderr.contains("recovery"),
        "{}",
        before.stderr
    );
    // What the app writes when a change cannot be saved as it locks.
    let (file, mut unsaved) = VaultFile::open(&s.vault, PASSWORD.into()).expect("open");
    let mut added = unsaved.get("github-ci").expect("key").clone();
    added.id = uuid::Uuid::new_v4();
    added.name = "unsaved-key".into();
    unsaved.add(added).expect("add");
    let written = keyward::store::write_recovery(
        &s.vault,
        &keyward::store::Recovery {
            vault: &unsaved,
            base: Some(file.last_known()),
            key: file.key(),
        },
        chrono::Utc::now(),
    )
    .expect("recovery");
    let listed = s.run_pw(&["list"], None);
    listed.ok().stderr_has("could not save");
    let warning = listed
        .stderr
        .lines()
        .filter(|l| l.contains("recovery"))
        .count();
    assert_eq!(warning, 1, "one line: {}", listed.stderr);
    let other = written.to_str().expect("utf-8 path");
    s.run_pw(&["merge", other], None)
        .ok()
        .stderr_has("Merged and removed");
    assert!(open(&s.vault).get("unsaved-key").is_some());
    assert!(!written.exists(), "a merged recovery file is removed");
    let after = s.run_pw(&["list"], None);
    assert!(!after.ok().stderr.contains("recovery"), "{}", after.stderr);
}
