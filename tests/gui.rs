//! GUI flows of the desktop app (issue 3), headless through egui_kittest: the tests click and
//! type what a user would, finding widgets by their AccessKit labels. Time is a manual clock
//! and the clipboard a fake, so countdowns and idle locks run instantly.

mod gui_support;

use chrono::Duration;
use eframe::egui;
use egui_kittest::kittest::{NodeT as _, Queryable};

use gui_support::*;
use keyward::store::VaultFile;
use keyward::vault::{Credential, Entry, Vault};

#[test]
fn first_run_creates_a_vault_with_a_strength_meter() {
    let mut gui = Gui::first_run();
    assert!(
        gui.has_label("Create vault"),
        "first run shows the create screen"
    );
    gui.type_into("Master password", "password");
    assert!(gui.has_label_containing("Strength: very weak"));
    assert!(
        gui.harness
            .get_by_label("Create vault")
            .accesskit_node()
            .is_disabled(),
        "a weak password cannot create a vault"
    );
    // Start again with a strong one.
    gui.clear_field("Master password");
    gui.type_into("Master password", PASSWORD);
    assert!(
        gui.has_label_containing("Strength: very strong")
            || gui.has_label_containing("Strength: strong")
    );
    gui.type_into("Repeat password", "not the same");
    assert!(gui.has_label("The two passwords differ."));
    gui.clear_field("Repeat password");
    gui.type_into("Repeat password", PASSWORD);
    gui.click("Create vault");
    assert!(!gui.app().is_locked(), "{}", gui.app().status_text());
    assert!(gui.has_label_containing("No keys yet"));
    assert!(gui.vault_on_disk().entries.is_empty());
}

#[test]
fn wrong_password_then_right_one() {
    let mut gui = Gui::locked();
    gui.unlock("not-the-password");
    assert!(gui.app().is_locked());
    assert!(gui.has_label("Wrong password (or the file is damaged). Try again."));
    assert_eq!(
        gui.field("Master password").value().as_deref(),
        Some(""),
        "the field is cleared"
    );
    assert!(!gui.app().holds_secrets());
    gui.unlock(PASSWORD);
    assert!(!gui.app().is_locked());
    assert!(
        gui.app()
            .status_text()
            .contains("Rotation overdue: binance-bot"),
        "unlocking names what is due: {}",
        gui.app().status_text()
    );
    for name in ["binance-bot", "github-ci", "kraken-read"] {
        assert!(gui.has_label(name), "{name} is in the table");
    }
}

#[test]
fn add_a_key_through_the_form() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "okx-grid");
    gui.type_into("Provider", "okx");
    gui.type_into("API key", "OKX-ID-1");
    gui.type_into("Secret", "okx-s3cret");
    gui.type_into("Passphrase", "okx-pass");
    gui.click("withdraw");
    gui.click("Add allowed IP");
    gui.type_into("Allowed IP 1", "203.0.113.9");
    gui.type_into("Expires", "2026-12-31");
    gui.click("Save key");
    assert!(!gui.has_label("Save key"), "the dialog closed");
    assert!(gui.has_label("okx-grid"), "the new key is in the table");
    assert_eq!(gui.app().status_text(), "Saved");
    let vault = gui.vault_on_disk();
    let entry = vault.get("okx-grid").expect("saved to disk");
    assert_eq!(entry.provider, "okx");
    assert_eq!(entry.credential.key_id(), "OKX-ID-1");
    assert_eq!(entry.credential.primary_secret().expose(), "okx-s3cret");
    assert_eq!(entry.ip_whitelist[0].to_string(), "203.0.113.9");
    assert!(entry.permissions.iter().any(|p| p.as_str() == "withdraw"));
    assert!(entry.expires_at.is_some());
}

#[test]
fn an_invalid_cidr_is_rejected_with_a_message() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "bad-ip");
    gui.type_into("Secret", "s");
    gui.click("Add allowed IP");
    gui.type_into("Allowed IP 1", "10.0.0.5/24");
    assert!(gui.has_label_containing("host bits are set"));
    assert!(
        gui.harness
            .get_by_label("Save key")
            .accesskit_node()
            .is_disabled(),
        "cannot save with an invalid rule"
    );
    gui.click("Add allowed IP");
    gui.type_into("Allowed IP 2", "10.0.0.0/33");
    assert!(gui.has_label_containing("at most /32"));
    gui.harness.key_press(egui::Key::Escape);
    gui.settle();
    assert!(gui.has_label("Discard changes?"), "Esc asks first");
    gui.click("Discard");
    assert!(!gui.has_label("Save key"), "Discard closes the dialog");
    assert!(gui.vault_on_disk().get("bad-ip").is_none());
}

#[test]
fn filter_by_search_and_by_sidebar() {
    let mut gui = Gui::unlocked();
    assert!(gui.has_label("All keys (3)"));
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    gui.harness.run_ok();
    assert!(
        gui.field("Search").is_focused(),
        "Ctrl+F focuses the search box"
    );
    gui.type_into("Search", "BIN");
    assert_eq!(gui.app().visible_entry_names(), vec!["binance-bot"]);
    assert!(!gui.has_label("github-ci"));
    gui.click("Clear search");
    assert_eq!(gui.app().visible_entry_names().len(), 3);
    // binance-bot: withdraw from any IP and 120 days old.
    gui.click("Needs attention (1)");
    assert_eq!(gui.app().visible_entry_names(), vec!["binance-bot"]);
    gui.click("#ci (1)");
    assert_eq!(gui.app().visible_entry_names(), vec!["github-ci"]);
    gui.click("Unrestricted IP (1)");
    assert_eq!(gui.app().visible_entry_names(), vec!["binance-bot"]);
    gui.click("All keys (3)");
    assert_eq!(gui.app().visible_entry_names().len(), 3);
}

#[test]
fn sort_by_rotation_age() {
    let mut gui = Gui::unlocked();
    let names = ["binance-bot", "github-ci", "kraken-read"];
    assert_eq!(order(&gui, &names), names, "by name at first");
    gui.click("Rotation age");
    assert_eq!(
        order(&gui, &names),
        ["binance-bot", "kraken-read", "github-ci"],
        "oldest secret first"
    );
    gui.click_containing("Rotation age");
    assert_eq!(
        order(&gui, &names),
        ["github-ci", "kraken-read", "binance-bot"],
        "newest first after a second click"
    );
}

#[test]
fn reveal_and_mask_again() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    assert!(gui.has_label("BNC-KEY-1"), "the public key id shows");
    assert!(!gui.has_label(BINANCE_SECRET), "the secret is masked");
    gui.click("Reveal secret");
    assert!(gui.has_label(BINANCE_SECRET));
    gui.click("Hide secret");
    assert!(!gui.has_label(BINANCE_SECRET), "masked again by the button");
    gui.click("Reveal secret");
    assert!(gui.has_label(BINANCE_SECRET));
    gui.advance(Duration::seconds(5));
    assert!(
        gui.has_label(BINANCE_SECRET),
        "still shown within the reveal time"
    );
    gui.advance(Duration::seconds(6));
    assert!(!gui.has_label(BINANCE_SECRET), "masked again after 10 s");
}

#[test]
fn copy_shows_a_countdown_then_clears() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    gui.click("Copy secret");
    assert_eq!(gui.clipboard.contents().as_deref(), Some(BINANCE_SECRET));
    assert!(
        gui.clipboard.marked_secret(),
        "copied with the do-not-record hints"
    );
    assert!(gui.has_label_containing("clears in 20 s"));
    gui.advance(Duration::seconds(5));
    assert!(gui.has_label_containing("clears in 15 s"));
    gui.advance(Duration::seconds(15));
    assert_eq!(gui.clipboard.contents(), None, "cleared after 20 s");
    assert_eq!(gui.app().status_text(), "Clipboard cleared");
    assert!(!gui.has_label_containing("clears in"));
}

#[test]
fn clear_now_button_and_ctrl_c() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::C);
    gui.settle();
    assert_eq!(gui.clipboard.contents().as_deref(), Some("ghp_TOKEN_123"));
    gui.click("Clear now");
    assert_eq!(gui.clipboard.contents(), None);
}

#[test]
fn the_clear_is_skipped_when_the_clipboard_changed() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    gui.click("Copy secret");
    gui.clipboard.set_by_other_program("a shopping list");
    gui.advance(Duration::seconds(21));
    assert_eq!(
        gui.clipboard.contents().as_deref(),
        Some("a shopping list"),
        "someone else's copy is left alone"
    );
    assert!(gui.app().status_text().contains("left alone"));
}

fn assert_locked_and_clean(gui: &Gui) {
    assert!(gui.app().is_locked());
    assert!(
        !gui.app().holds_secrets(),
        "no decrypted data or typed secret remains"
    );
    assert!(gui.has_label("Master password"), "the unlock screen shows");
    assert!(!gui.has_label_containing(BINANCE_SECRET));
    assert!(!gui.has_label("binance-bot"));
    assert_eq!(gui.clipboard.contents(), None, "the clipboard was cleared");
}

#[test]
fn ctrl_l_locks_and_forgets() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    gui.click("Reveal secret");
    gui.click("Copy secret");
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    gui.settle();
    assert_locked_and_clean(&gui);
    gui.unlock(PASSWORD);
    assert!(!gui.app().is_locked(), "unlocks again");
}

#[test]
fn the_lock_button_locks() {
    let mut gui = Gui::unlocked();
    gui.click("Lock");
    assert_locked_and_clean(&gui);
    assert_eq!(gui.app().status_text(), "Locked");
}

#[test]
fn idle_timeout_locks() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    gui.click("Reveal secret");
    gui.advance(Duration::minutes(4));
    assert!(!gui.app().is_locked(), "4 minutes idle: still open");
    // Input resets the idle timer.
    gui.field("Search").hover();
    gui.harness.step();
    gui.advance(Duration::minutes(4));
    assert!(!gui.app().is_locked(), "input reset the timer");
    gui.advance(Duration::seconds(61));
    assert_locked_and_clean(&gui);
    assert!(gui.app().status_text().contains("without input"));
}

#[test]
fn rotate_keeps_the_old_secret_in_history() {
    let mut gui = Gui::unlocked();
    gui.select("kraken-read");
    gui.click("Rotate…");
    gui.type_into("New secret", "krk-secret-2");
    gui.click("Rotate");
    let vault = gui.vault_on_disk();
    let entry = vault.get("kraken-read").expect("entry");
    assert_eq!(entry.credential.primary_secret().expose(), "krk-secret-2");
    assert_eq!(entry.history[0].value.expose(), "krk-secret");
    assert_eq!(entry.rotated_at, Some(start()));
    assert!(gui.has_label("Copy previous secret 1"));
}

#[test]
fn compromise_revoke_duplicate_and_delete() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.click("Mark compromised…");
    gui.type_into("What happened", "pushed to a public repo");
    gui.click("Mark compromised");
    assert!(
        gui.has_label("Disable the key at the provider"),
        "the checklist shows"
    );
    gui.click("Disable the key at the provider");
    gui.click("Duplicate");
    assert!(gui.has_label("github-ci (copy)"));
    gui.click("Delete…");
    gui.click("Cancel");
    assert!(gui.has_label("github-ci (copy)"), "cancel keeps it");
    gui.click("Delete…");
    gui.click("Delete key");
    assert!(!gui.has_label("github-ci (copy)"));
    gui.select("kraken-read");
    gui.click("Revoke…");
    gui.click("Revoke key");
    let vault = gui.vault_on_disk();
    let github = vault.get("github-ci").expect("github");
    assert_eq!(github.status.as_str(), "compromised");
    let incident = github.incident.as_ref().expect("incident");
    assert_eq!(incident.reason, "pushed to a public repo");
    assert!(incident.checklist[0].done_at.is_some());
    assert!(vault.get("github-ci (copy)").is_none());
    assert_eq!(
        vault.get("kraken-read").expect("kraken").status.as_str(),
        "revoked"
    );
}

#[test]
fn settings_are_saved_in_the_vault() {
    let mut gui = Gui::unlocked();
    gui.click("Settings");
    gui.harness
        .get_by_label("Idle lock (minutes)")
        .set_value_accesskit(15.0);
    gui.settle();
    assert_eq!(
        gui.vault_on_disk().settings.idle_lock_minutes,
        15,
        "a setting applies (and is saved) at once"
    );
    gui.click("Back to keys");
    gui.advance(Duration::minutes(10));
    assert!(!gui.app().is_locked(), "the new idle time applies");
}

/// What eframe would write to its storage file, recorded in memory.
#[derive(Default)]
struct RecordedStorage(std::collections::BTreeMap<String, String>);

impl eframe::Storage for RecordedStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn nothing_secret_is_persisted() {
    // A session that types the master password, reveals a secret and copies it.
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    gui.click("Reveal secret");
    assert!(gui.has_label(BINANCE_SECRET));
    gui.click("Copy secret");
    assert_eq!(gui.clipboard.contents().as_deref(), Some(BINANCE_SECRET));
    // eframe persists what the app's `save` writes, and egui's memory (where text fields
    // keep their undo history) only when the app allows it.
    assert!(
        !eframe::App::persist_egui_memory(gui.app()),
        "egui's memory is never written"
    );
    let mut storage = RecordedStorage::default();
    eframe::App::save(gui.harness.state_mut(), &mut storage);
    let persisted = storage.0.values().cloned().collect::<Vec<_>>().join("\n");
    assert!(!persisted.is_empty(), "the preferences are written");
    assert!(!persisted.contains(PASSWORD));
    assert!(!persisted.contains(BINANCE_SECRET));
    assert!(!persisted.contains("ghp_TOKEN_123"));
    assert!(
        persisted.contains("vault.keyward"),
        "the last vault path is remembered"
    );
    let back: keyward::app::AppPrefs =
        eframe::get_value(&storage, eframe::APP_KEY).expect("the preferences read back");
    assert_eq!(&back, gui.app().prefs());
}

#[test]
fn many_keys_are_virtualized_and_an_idle_window_stops_repainting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vault.keyward");
    let mut vault = Vault::default();
    for i in 0..20_000 {
        let mut e = Entry::new(
            format!("key-{i:05}"),
            Credential::Token {
                token: format!("tok-{i}").into(),
            },
            start() - day(i64::from(i % 200)),
        );
        e.provider = ["binance", "github", "okx"][i as usize % 3].into();
        vault.entries.push(e);
    }
    VaultFile::create(&path, PASSWORD.into(), fast_kdf(), &vault).expect("create");
    let mut gui = Gui::on(dir, path);
    gui.unlock(PASSWORD);
    assert!(gui.has_label("All keys (20000)"));
    assert!(gui.has_label("key-00000"));
    assert!(!gui.has_label("key-19999"), "rows off screen are not built");
    let rows = gui.harness.query_all_by_label_contains("key-").count();
    assert!(rows < 100, "only the visible rows exist ({rows})");
    gui.type_into("Search", "key-1999");
    assert_eq!(
        gui.app().visible_entry_names().len(),
        10,
        "key-19990 to key-19999"
    );
    // Nothing changes: the app asks for no immediate repaint, so the harness settles at once.
    let steps = gui.harness.run_ok().expect("settles");
    assert!(
        steps <= 2,
        "an idle window keeps repainting ({steps} frames)"
    );
}

#[test]
fn the_key_derivation_strength_and_theme_can_be_changed() {
    let mut gui = Gui::unlocked();
    gui.click("Settings");
    gui.click("Strength");
    gui.click("Light: 19 MiB, 2 passes (old or small machines)");
    // The password is not kept after unlocking: a change of strength asks for it.
    gui.type_into("Current master password", PASSWORD);
    gui.click("Change master password");
    let (file, _) = VaultFile::open(&gui.path, PASSWORD.into()).expect("opens");
    assert_eq!(file.kdf().memory_kib, 19 * 1024);
    assert_eq!(file.kdf().iterations, 2);
    gui.click("Light");
    assert_eq!(gui.app().prefs().theme, keyward::app::ThemeChoice::Light);
    gui.click("Dark");
    assert_eq!(gui.app().prefs().theme, keyward::app::ThemeChoice::Dark);
}

#[test]
fn ctrl_n_opens_the_form() {
    let mut gui = Gui::unlocked();
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    gui.settle();
    assert!(gui.has_label("Add key"));
    assert!(gui.has_label("Save key"));
}
