//! The app and another writer on one vault file (issue "Never lose a change"): what another
//! program writes shows in the open app within one look at the file, with no click; a save
//! merges it first; a field both sides changed opens the conflict dialog.

mod gui_support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::Duration;
use eframe::egui;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use gui_support::{BINANCE_SECRET, Gui, PASSWORD};
use keyward::store::VaultFile;
use keyward::vault::{Credential, Entry, Vault};

/// Another program (a second `VaultFile`, as the CLI opens it) changes the vault.
fn another_program(path: &Path, change: impl FnOnce(&mut Vault)) {
    let (mut file, mut vault) = VaultFile::open(path, PASSWORD.into()).expect("open");
    change(&mut vault);
    file.save(&mut vault).expect("the other program saves");
}

/// It adds `cli-added` and rotates `kraken-read`.
fn add_and_rotate(vault: &mut Vault) {
    let added = Entry::new(
        "cli-added",
        Credential::Token {
            token: "cli-TOKEN-1".into(),
        },
        gui_support::start(),
    );
    vault.add(added).expect("add");
    let kraken = vault
        .entries
        .iter_mut()
        .find(|e| e.name == "kraken-read")
        .expect("kraken");
    kraken.rotate("krk-ROTATED-BY-CLI".into(), None, gui_support::start());
}

/// Lets the app's clock reach its next look at the file, and the jobs finish.
fn wait_for_the_look(gui: &mut Gui) {
    gui.advance(Duration::seconds(2));
    gui.settle();
}

fn secret_of(vault: &Vault, name: &str) -> String {
    vault
        .get(name)
        .expect(name)
        .credential
        .primary_secret()
        .expose()
        .to_owned()
}

fn in_history(vault: &Vault, name: &str, secret: &str) -> bool {
    vault
        .get(name)
        .expect(name)
        .history
        .iter()
        .any(|h| h.value.expose() == secret)
}

#[test]
fn a_change_on_disk_shows_in_the_open_app_without_a_click() {
    let mut gui = Gui::unlocked();
    assert!(!gui.has_label("cli-added"));
    another_program(&gui.path, add_and_rotate);
    gui.settle();
    assert!(!gui.has_label("cli-added"), "not before the look is due");
    wait_for_the_look(&mut gui);
    assert!(gui.has_label("cli-added"), "the table shows the new key");
    assert!(
        gui.app()
            .visible_entry_names()
            .contains(&"cli-added".to_owned())
    );
    assert_eq!(
        gui.app().status_text(),
        "2 keys changed by another program were merged"
    );
    assert!(!gui.app().has_unsaved_changes());
    // The rotated key shows its new age, and its old secret is in the detail's history.
    gui.select("kraken-read");
    assert!(
        gui.has_label_containing("Previous secrets"),
        "history shown"
    );
}

#[test]
fn a_save_in_the_app_keeps_what_another_program_wrote() {
    let mut gui = Gui::unlocked();
    another_program(&gui.path, add_and_rotate);
    // Before the app looks at the file, it changes a key and saves.
    gui.select("github-ci");
    gui.click("Duplicate");
    assert!(
        gui.app()
            .status_text()
            .starts_with("Saved; 2 keys changed by another program were merged"),
        "{}",
        gui.app().status_text()
    );
    assert!(!gui.app().has_unsaved_changes());
    // Opened independently: both changes are in the file.
    let disk = gui.vault_on_disk();
    assert!(disk.get("github-ci (copy)").is_some(), "the app's change");
    assert!(disk.get("cli-added").is_some(), "the other program's key");
    assert_eq!(secret_of(&disk, "kraken-read"), "krk-ROTATED-BY-CLI");
    assert!(in_history(&disk, "kraken-read", "krk-secret"));
    assert_eq!(secret_of(&disk, "binance-bot"), BINANCE_SECRET);
    assert!(gui.has_label("cli-added"), "and the table shows it");
}

/// Runs the keyward binary on the vault with the test password in a file.
fn cli(path: &Path, args: &[&str], stdin: &str) {
    let dir = path.parent().expect("folder");
    let password_file = dir.join("password.txt");
    std::fs::write(&password_file, PASSWORD).expect("password file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyward"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("KEYWARD_") {
            cmd.env_remove(name);
        }
    }
    let mut child = cmd
        .arg("--vault")
        .arg(path)
        .arg("--password-file")
        .arg(&password_file)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keyward runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("keyward ends");
    assert!(
        out.status.success(),
        "keyward {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_cli_writes_while_the_app_is_open_and_the_app_shows_it() {
    let mut gui = Gui::unlocked();
    // The app holds no lock between saves: the CLI can write.
    cli(
        &gui.path,
        &["add", "from-cli", "--secret-stdin"],
        "cli-secret-42\n",
    );
    cli(&gui.path, &["rotate", "github-ci"], "ghp_FROM_CLI\n");
    wait_for_the_look(&mut gui);
    assert!(gui.has_label("from-cli"), "the CLI's key shows");
    assert_eq!(
        gui.app().status_text(),
        "2 keys changed by another program were merged"
    );
    // The app's next change is saved over a file that still holds the CLI's keys.
    gui.select("binance-bot");
    gui.click("Duplicate");
    let disk = gui.vault_on_disk();
    assert!(disk.get("binance-bot (copy)").is_some());
    assert_eq!(secret_of(&disk, "from-cli"), "cli-secret-42");
    assert_eq!(secret_of(&disk, "github-ci"), "ghp_FROM_CLI");
    assert!(in_history(&disk, "github-ci", "ghp_TOKEN_123"));
}

#[test]
fn a_field_both_sides_changed_opens_the_dialog_and_the_choice_is_saved() {
    let mut gui = Gui::unlocked();
    // Another program rotates kraken-read an hour before the app does.
    another_program(&gui.path, |vault| {
        let kraken = vault
            .entries
            .iter_mut()
            .find(|e| e.name == "kraken-read")
            .expect("kraken");
        kraken.rotate(
            "krk-OTHER".into(),
            None,
            gui_support::start() - Duration::hours(1),
        );
    });
    gui.select("kraken-read");
    gui.click("Rotate…");
    gui.type_into("New secret", "krk-THIS-MACHINE");
    gui.click("Rotate");
    // The save merged the file first and found both rotations.
    assert!(
        gui.has_label("Changed here and by another program"),
        "the conflict dialog"
    );
    assert!(gui.has_label("secret") && gui.has_label("rotated"));
    assert!(
        !gui.has_label_containing("krk-"),
        "both secrets are masked in the dialog"
    );
    let on_disk = gui.vault_on_disk();
    assert_eq!(
        secret_of(&on_disk, "kraken-read"),
        "krk-THIS-MACHINE",
        "newer kept"
    );
    assert!(in_history(&on_disk, "kraken-read", "krk-OTHER"));
    // Choose the other machine's value for both fields.
    let others: Vec<_> = gui
        .harness
        .query_all_by_label("Other")
        .filter(|n| n.accesskit_node().role() == egui::accesskit::Role::RadioButton)
        .collect();
    assert_eq!(others.len(), 2);
    for other in others {
        other.click();
    }
    gui.settle();
    gui.click("Apply");
    assert!(!gui.has_label("Changed here and by another program"));
    assert!(!gui.app().has_unsaved_changes(), "the choice was saved");
    let disk = gui.vault_on_disk();
    assert_eq!(secret_of(&disk, "kraken-read"), "krk-OTHER");
    assert!(in_history(&disk, "kraken-read", "krk-THIS-MACHINE"));
    assert!(in_history(&disk, "kraken-read", "krk-secret"));
    assert!(!in_history(&disk, "kraken-read", "krk-OTHER"));
    assert_eq!(
        disk.get("kraken-read").expect("kraken").rotated_at,
        Some(gui_support::start() - Duration::hours(1))
    );
}
