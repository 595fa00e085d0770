//! The app keeps every change (issue "Never lose a change", app part 2): a lock with a save
//! that fails writes a recovery file, merged at the next unlock; a manual lock asks first;
//! sync conflict copies are offered at unlock; the trash page restores and purges; "Merge
//! another vault…" merges a file with its own password.
//!
//! The failing save: the vault file is swapped for a folder of the same name, which no
//! process (root included) can read as a file, while the folder around it stays writable.

mod gui_support;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::Duration;
use egui_kittest::kittest::Queryable;
use gui_support::{Gui, PASSWORD, fast_kdf, sample_vault, start};
use keyward::store::{VaultFile, find_recovery, recovery_path};
use keyward::vault::{Credential, Entry};

/// Makes the vault's next save fail: the file becomes a folder. Returns its bytes.
fn break_the_vault_file(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).expect("read the vault");
    fs::remove_file(path).expect("remove the vault");
    fs::create_dir(path).expect("a folder in its place");
    bytes
}

fn mend_the_vault_file(path: &Path, bytes: &[u8]) {
    fs::remove_dir(path).expect("remove the folder");
    fs::write(path, bytes).expect("the vault back");
}

/// Deletes `name` through the detail panel (to the trash): a change to save.
fn delete_in_app(gui: &mut Gui, name: &str) {
    gui.select(name);
    gui.click("Delete…");
    gui.click("Delete key");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("meta").permissions().mode() & 0o777
}

/// The sample vault unlocked with the app's clock past the real time: the store stamps
/// `modified_at` with the real time, the app dates a deletion with its own clock, and a
/// two-way merge compares the two.
fn unlocked_after_real_time() -> Gui {
    let mut gui = Gui::locked();
    gui.clock
        .advance(chrono::Utc::now() - start() + Duration::days(1));
    gui.unlock(PASSWORD);
    assert!(!gui.app().is_locked());
    gui
}

#[test]
fn an_idle_lock_with_a_failing_save_keeps_the_change_and_the_next_unlock_merges_it() {
    let mut gui = unlocked_after_real_time();
    let bytes = break_the_vault_file(&gui.path);
    delete_in_app(&mut gui, "github-ci");
    assert!(
        gui.app().status_text().starts_with("Not saved"),
        "{}",
        gui.app().status_text()
    );
    assert!(gui.app().has_unsaved_changes());
    // The idle lock does not ask: it locks, and keeps the change.
    gui.advance(Duration::minutes(6));
    assert!(gui.app().is_locked());
    assert!(!gui.app().holds_secrets());
    let recovery = recovery_path(&gui.path);
    assert_eq!(find_recovery(&gui.path), vec![recovery.clone()]);
    #[cfg(unix)]
    assert_eq!(mode(&recovery), 0o600);
    let status = gui.app().status_text().to_owned();
    assert!(
        status.contains("recovery") && status.contains("next unlock"),
        "{status}"
    );
    // The recovery file is a vault file with the vault's password, holding the change.
    let (_, kept) = VaultFile::open(&recovery, PASSWORD.into()).expect("opens");
    assert!(kept.get("github-ci").is_none());
    assert!(kept.trashed("github-ci").is_some());

    mend_the_vault_file(&gui.path, &bytes);
    assert!(
        gui.vault_on_disk().get("github-ci").is_some(),
        "not on disk yet"
    );
    gui.unlock(PASSWORD);
    assert!(gui.has_label_containing("Unsaved changes from"));
    gui.click("Merge recovered changes");
    assert_eq!(
        gui.app().status_text(),
        "Recovered changes merged and saved"
    );
    assert!(
        !recovery.exists(),
        "the recovery file is removed once saved"
    );
    let on_disk = gui.vault_on_disk();
    assert!(on_disk.get("github-ci").is_none());
    let trashed = on_disk.trashed("github-ci").expect("in the trash on disk");
    assert_eq!(
        trashed.entry.credential.primary_secret().expose(),
        "ghp_TOKEN_123"
    );
    assert!(on_disk.get("binance-bot").is_some());
    gui.click("Close");
    assert!(!gui.app().has_unsaved_changes());
    assert!(
        !gui.has_label("github-ci"),
        "the table shows the merged vault"
    );
}

#[test]
fn a_manual_lock_with_an_unsaved_change_asks_first() {
    let mut gui = Gui::unlocked();
    let bytes = break_the_vault_file(&gui.path);
    delete_in_app(&mut gui, "kraken-read");
    gui.click("Lock");
    assert!(!gui.app().is_locked(), "it asks first");
    assert!(gui.has_label("Save failed: lock anyway?"));
    assert!(find_recovery(&gui.path).is_empty(), "nothing written yet");
    gui.click("Cancel");
    assert!(!gui.app().is_locked());
    assert!(gui.app().has_unsaved_changes(), "the change is still there");
    // Ctrl+L asks as well; "Lock anyway" locks and keeps the change.
    gui.harness
        .key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::L);
    gui.settle();
    assert!(gui.has_label("Save failed: lock anyway?"));
    gui.click("Lock anyway");
    assert!(gui.app().is_locked());
    let recovery = recovery_path(&gui.path);
    let (_, kept) = VaultFile::open(&recovery, PASSWORD.into()).expect("recovery opens");
    assert!(kept.trashed("kraken-read").is_some());
    // Discard at the next unlock deletes it unmerged.
    mend_the_vault_file(&gui.path, &bytes);
    gui.unlock(PASSWORD);
    gui.click("Discard");
    assert!(!recovery.exists());
    assert!(gui.vault_on_disk().get("kraken-read").is_some());
}

#[test]
fn a_lock_whose_save_succeeds_on_retry_writes_no_recovery_file() {
    let mut gui = Gui::unlocked();
    let bytes = break_the_vault_file(&gui.path);
    delete_in_app(&mut gui, "kraken-read");
    assert!(gui.app().has_unsaved_changes());
    // The disk is fine again before the lock: the retry at lock time saves the change.
    mend_the_vault_file(&gui.path, &bytes);
    gui.click("Lock");
    assert!(gui.app().is_locked());
    assert_eq!(gui.app().status_text(), "Locked");
    assert!(find_recovery(&gui.path).is_empty());
    assert!(gui.vault_on_disk().trashed("kraken-read").is_some());
}

/// A copy of the vault with one more key, as another machine would have saved it: under the
/// key (and salt) it opened the vault with, as every save keeps them.
fn write_copy(path: &Path, extra: &str, secret: &str) {
    let (mut file, mut vault) = VaultFile::open(path, PASSWORD.into()).expect("open");
    vault
        .add(Entry::new(
            extra,
            Credential::Token {
                token: secret.into(),
            },
            start(),
        ))
        .expect("add");
    let copy = path.with_file_name("vault.sync-conflict-20261201-101530-LAPTOP1.keyward");
    let bytes = file.encrypt(&vault).expect("seal");
    std::fs::write(&copy, bytes).expect("copy");
}

fn copy_path(gui: &Gui) -> PathBuf {
    gui.path
        .with_file_name("vault.sync-conflict-20261201-101530-LAPTOP1.keyward")
}

#[test]
fn conflict_copies_are_offered_at_unlock_merged_and_removed() {
    let mut gui = Gui::locked();
    write_copy(&gui.path, "from-laptop", "tok-laptop-1");
    gui.unlock(PASSWORD);
    assert!(gui.has_label_containing("1 copy from another device"));
    gui.click("Merge copies");
    assert!(!copy_path(&gui).exists(), "the merged copy is removed");
    assert!(
        gui.app()
            .status_text()
            .contains("merged, saved and removed"),
        "{}",
        gui.app().status_text()
    );
    assert!(gui.has_label_containing("added: from-laptop"));
    let on_disk = gui.vault_on_disk();
    let added = on_disk.get("from-laptop").expect("merged");
    assert_eq!(added.credential.primary_secret().expose(), "tok-laptop-1");
    assert_eq!(on_disk.entries.len(), 4);
    gui.click("Close");
    assert!(gui.has_label("from-laptop"), "the table shows it");
}

#[test]
fn not_now_leaves_the_copies_and_the_next_unlock_offers_them_again() {
    let mut gui = Gui::locked();
    write_copy(&gui.path, "from-laptop", "tok-laptop-1");
    gui.unlock(PASSWORD);
    gui.click("Not now");
    assert!(copy_path(&gui).exists());
    assert!(gui.vault_on_disk().get("from-laptop").is_none());
    gui.click("Lock");
    gui.unlock(PASSWORD);
    assert!(gui.has_label_containing("1 copy from another device"));
}

#[test]
fn the_trash_page_restores_and_deletes_for_good() {
    let mut vault = sample_vault();
    vault
        .delete_to_trash("github-ci", start() - Duration::days(2))
        .expect("trash");
    vault
        .delete_to_trash("kraken-read", start() - Duration::days(1))
        .expect("trash");
    let mut gui = Gui::unlocked_on(&vault);
    gui.click("Trash (2)");
    assert!(gui.has_label("github-ci") && gui.has_label("kraken-read"));
    assert!(
        gui.has_label(
            &(start() - Duration::days(1))
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        )
    );
    // Newest first: the first Restore is kraken-read's.
    gui.harness
        .query_all_by_label("Restore")
        .next()
        .expect("a Restore button")
        .click();
    gui.settle();
    assert!(gui.has_label("Trash (1)") || gui.has_label_containing("Trash (1)"));
    let on_disk = gui.vault_on_disk();
    let restored = on_disk.get("kraken-read").expect("restored on disk");
    assert_eq!(restored.credential.primary_secret().expose(), "krk-secret");
    gui.click("Delete forever…");
    assert!(gui.has_label("Delete 'github-ci' for good?"));
    gui.click("Cancel");
    assert!(
        gui.vault_on_disk().trashed("github-ci").is_some(),
        "cancel keeps it"
    );
    gui.click("Delete forever…");
    gui.click("Delete for good");
    assert!(gui.has_label("The trash is empty."));
    let on_disk = gui.vault_on_disk();
    assert!(on_disk.trash.is_empty());
    assert_eq!(
        on_disk.tombstones.len(),
        1,
        "a tombstone, so no merge brings it back"
    );
    gui.click("Back to the keys");
    assert!(gui.has_label("kraken-read"));
}

#[test]
fn merge_another_vault_tries_the_vaults_password_then_the_one_typed() {
    let mut gui = Gui::unlocked();
    // Another machine's copy, under another password: binance-bot rotated, one key added.
    let (_, mut other) = VaultFile::open(&gui.path, PASSWORD.into()).expect("open");
    other.get_mut("binance-bot").expect("binance").rotate(
        "bnc-ROTATED-on-laptop".into(),
        None,
        start() + Duration::days(1),
    );
    other
        .add(Entry::new(
            "laptop-only",
            Credential::Token {
                token: "tok-laptop-only".into(),
            },
            start(),
        ))
        .expect("add");
    let other_path = gui.path.with_file_name("laptop.keyward");
    let other_password = "laptop-password-quartz-88";
    VaultFile::create(&other_path, other_password.into(), fast_kdf(), &other).expect("create");

    gui.click("Merge another vault…");
    gui.type_into("Vault file", other_path.to_str().expect("utf-8"));
    gui.click("Merge");
    assert!(
        gui.has_label_containing("This vault's password does not open"),
        "{}",
        gui.app().status_text()
    );
    assert!(gui.vault_on_disk().get("laptop-only").is_none());
    gui.type_into("Its master password", other_password);
    gui.click("Merge");
    let status = gui.app().status_text().to_owned();
    assert!(status.contains("1 added, 1 changed, "), "{status}");
    assert!(status.ends_with("in conflict; saved"), "{status}");
    assert!(gui.has_label_containing("added: laptop-only"));
    // Two-way (no common base is known): where the copies differ, the newer wins and the
    // difference is listed; the losing secret is kept in the history.
    assert!(gui.has_label_containing("conflict in 'binance-bot'"));
    let on_disk = gui.vault_on_disk();
    assert!(on_disk.get("laptop-only").is_some());
    let binance = on_disk.get("binance-bot").expect("binance");
    assert_eq!(
        binance.credential.primary_secret().expose(),
        "bnc-ROTATED-on-laptop"
    );
    assert!(
        binance
            .history
            .iter()
            .any(|h| h.value.expose() == gui_support::BINANCE_SECRET)
    );
    assert!(other_path.exists(), "the other vault is left as it is");
    gui.click("Close");
    assert!(gui.has_label("laptop-only"));
    // Merging the vault itself is refused.
    gui.click("Merge another vault…");
    gui.type_into("Vault file", gui.path.clone().to_str().expect("utf-8"));
    gui.click("Merge");
    assert!(gui.has_label("That is this vault; choose another copy."));
}
