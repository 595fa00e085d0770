//! GUI flows of the desktop app (issue 3), headless through egui_kittest: the tests click and
//! type what a user would, finding widgets by their AccessKit labels. Time is a manual clock
//! and the clipboard a fake, so countdowns and idle locks run instantly.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

use keyward::app::{AppOptions, AppPrefs, KeywardApp, ManualClock};
use keyward::clipboard::FakeClipboard;
use keyward::secret::SecretString;
use keyward::store::{KdfParams, VaultFile};
use keyward::vault::{Credential, Entry, Vault};

const PASSWORD: &str = "plaid-otter-quantum-harbor-71";
const BINANCE_SECRET: &str = "bnc-SECRET-9f8e7d6c5b4a";

fn fast_kdf() -> KdfParams {
    KdfParams::from_mib(1, 1, 1).expect("test KDF parameters")
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("date")
}

fn day(n: i64) -> Duration {
    Duration::days(n)
}

/// A vault with three keys of different ages and risks.
fn sample_vault() -> Vault {
    let now = start();
    let mut vault = Vault::default();
    let mut binance = Entry::new(
        "binance-bot",
        Credential::SharedSecret {
            key_id: "BNC-KEY-1".into(),
            secret: BINANCE_SECRET.into(),
            passphrase: None,
        },
        now - day(120),
    );
    binance.provider = "binance".into();
    binance.set_permissions(["read", "trade", "withdraw"]);
    binance.set_tags(["bot"]);
    vault.add(binance).expect("add");
    let mut github = Entry::new(
        "github-ci",
        Credential::Token {
            token: "ghp_TOKEN_123".into(),
        },
        now - day(10),
    );
    github.provider = "github".into();
    github.ip_whitelist = vec!["203.0.113.0/24".parse().expect("rule")];
    github.set_tags(["ci"]);
    vault.add(github).expect("add");
    let mut kraken = Entry::new(
        "kraken-read",
        Credential::SharedSecret {
            key_id: "KRK".into(),
            secret: "krk-secret".into(),
            passphrase: None,
        },
        now - day(40),
    );
    kraken.provider = "kraken".into();
    kraken.set_permissions(["read"]);
    kraken.ip_whitelist = vec!["198.51.100.7".parse().expect("rule")];
    vault.add(kraken).expect("add");
    vault
}

struct Gui {
    harness: Harness<'static, KeywardApp>,
    clock: ManualClock,
    clipboard: FakeClipboard,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Gui {
    /// The app on a vault file that does not exist yet.
    fn first_run() -> Gui {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.keyward");
        Self::on(dir, path)
    }

    /// The app on the sample vault, still locked.
    fn locked() -> Gui {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.keyward");
        VaultFile::create(&path, PASSWORD.into(), fast_kdf(), &sample_vault()).expect("create");
        Self::on(dir, path)
    }

    /// The app on the sample vault, unlocked.
    fn unlocked() -> Gui {
        let mut gui = Self::locked();
        gui.unlock(PASSWORD);
        assert!(!gui.app().is_locked(), "{}", gui.app().status_text());
        gui
    }

    fn on(dir: tempfile::TempDir, path: PathBuf) -> Gui {
        let clock = ManualClock::new(start());
        let clipboard = FakeClipboard::new();
        let options = AppOptions {
            vault_path: path.clone(),
            clock: Arc::new(clock.clone()),
            clipboard: Box::new(clipboard.clone()),
            new_vault_kdf: Some(fast_kdf()),
        };
        let harness = Harness::builder()
            .with_size(egui::vec2(1400.0, 900.0))
            .build_eframe(move |cc| KeywardApp::new(&cc.egui_ctx, AppPrefs::default(), options));
        let mut gui = Gui {
            harness,
            clock,
            clipboard,
            path,
            _dir: dir,
        };
        gui.settle();
        gui
    }

    fn app(&self) -> &KeywardApp {
        self.harness.state()
    }

    /// Runs frames until no worker thread is busy and the UI is still.
    fn settle(&mut self) {
        for _ in 0..1000 {
            self.harness.step();
            if !self.harness.state().is_busy() {
                self.harness.run_ok();
                if !self.harness.state().is_busy() {
                    return;
                }
            }
            std::thread::sleep(StdDuration::from_millis(5));
        }
        panic!("the app stayed busy");
    }

    /// The one text field labelled `label`.
    fn field(&self, label: &str) -> egui_kittest::Node<'_> {
        let label = label.to_owned();
        self.harness.get_by(move |n| {
            n.label().as_deref() == Some(label.as_str())
                && matches!(
                    n.role(),
                    Role::TextInput | Role::PasswordInput | Role::MultilineTextInput
                )
        })
    }

    /// The one widget labelled `label`; when the text also shows elsewhere (a heading),
    /// the one that can be clicked.
    fn node<'a>(&'a self, label: &'a str) -> egui_kittest::Node<'a> {
        let all: Vec<_> = self.harness.query_all_by_label(label).collect();
        if all.len() == 1 {
            return all[0];
        }
        let clickable: Vec<_> = all
            .into_iter()
            .filter(|n| {
                matches!(
                    n.accesskit_node().role(),
                    Role::Button | Role::CheckBox | Role::RadioButton
                )
            })
            .collect();
        assert_eq!(
            clickable.len(),
            1,
            "one clickable widget labelled {label:?}"
        );
        clickable[0]
    }

    fn type_into(&mut self, label: &str, text: &str) {
        self.field(label).focus();
        self.harness.step();
        self.field(label).type_text(text);
        self.harness.run_ok();
    }

    /// Empties a text field (select all, delete).
    fn clear_field(&mut self, label: &str) {
        self.field(label).focus();
        self.harness.step();
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.harness.key_press(egui::Key::Backspace);
        self.harness.run_ok();
    }

    fn click(&mut self, label: &str) {
        self.node(label).click();
        self.settle();
    }

    fn click_containing(&mut self, label: &str) {
        self.harness.get_by_label_contains(label).click();
        self.settle();
    }

    fn unlock(&mut self, password: &str) {
        self.type_into("Master password", password);
        self.harness.key_press(egui::Key::Enter);
        self.settle();
    }

    fn has_label(&self, label: &str) -> bool {
        self.harness.query_all_by_label(label).next().is_some()
    }

    fn has_label_containing(&self, label: &str) -> bool {
        self.harness
            .query_all_by_label_contains(label)
            .next()
            .is_some()
    }

    fn select(&mut self, name: &str) {
        self.click(name);
    }

    fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
        self.harness.step();
        self.harness.run_ok();
    }

    fn vault_on_disk(&self) -> Vault {
        VaultFile::open(&self.path, PASSWORD.into())
            .expect("the vault file opens with the password")
            .1
    }

    /// The vertical position of a widget, to check the order of table rows.
    fn top_of(&self, label: &str) -> f32 {
        self.node(label).rect().top()
    }
}

fn order(gui: &Gui, names: &[&str]) -> Vec<String> {
    let mut rows: Vec<(f32, String)> = names
        .iter()
        .map(|n| (gui.top_of(n), (*n).to_owned()))
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, n)| n).collect()
}

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
    assert!(!gui.has_label("Save key"), "Esc closes the dialog");
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
fn a_change_on_disk_is_never_overwritten_silently() {
    let mut gui = Gui::unlocked();
    // Another program changes the file.
    let (mut file, mut vault) =
        VaultFile::open(&gui.path, SecretString::from(PASSWORD)).expect("open");
    vault.remove("kraken-read").expect("remove");
    file.save(&vault).expect("save");
    drop(file);
    gui.select("github-ci");
    gui.click("Duplicate");
    assert!(
        gui.has_label("Reload from disk"),
        "the banner offers a reload"
    );
    assert!(
        gui.app().has_unsaved_changes(),
        "the change is kept in memory"
    );
    assert!(gui.vault_on_disk().get("github-ci (copy)").is_none());
    gui.click("Reload from disk");
    assert!(
        !gui.has_label("kraken-read"),
        "the other program's version shows"
    );
    assert!(!gui.app().has_unsaved_changes());
}

#[test]
fn settings_are_saved_in_the_vault() {
    let mut gui = Gui::unlocked();
    gui.click("Settings");
    gui.harness
        .get_by_label("Idle lock (minutes)")
        .set_value_accesskit(15.0);
    gui.settle();
    gui.click("Save settings");
    assert_eq!(gui.vault_on_disk().settings.idle_lock_minutes, 15);
    gui.click("Back to keys");
    gui.advance(Duration::minutes(10));
    assert!(!gui.app().is_locked(), "the new idle time applies");
}

#[test]
fn nothing_secret_is_persisted() {
    let gui = Gui::unlocked();
    let prefs = serde_json::to_string(gui.app().prefs()).expect("prefs serialise");
    assert!(!prefs.contains(PASSWORD));
    assert!(!prefs.contains(BINANCE_SECRET));
    assert!(
        prefs.contains("vault.keyward"),
        "the last vault path is remembered"
    );
    let _ = Path::new(&gui.path);
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
    gui.click("Re-encrypt");
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
