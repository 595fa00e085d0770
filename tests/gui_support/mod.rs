//! The harness shared by the GUI tests: the app on a temporary vault with a manual clock, a
//! fake clipboard and a fast KDF, and helpers that find widgets by their AccessKit labels.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

use keyward::app::{AppOptions, AppPrefs, KeywardApp, ManualClock};
use keyward::clipboard::FakeClipboard;
use keyward::store::{KdfParams, VaultFile};
use keyward::vault::{Credential, Entry, Vault};

pub const PASSWORD: &str = "plaid-otter-quantum-harbor-71";
pub const BINANCE_SECRET: &str = "bnc-SECRET-9f8e7d6c5b4a";

pub fn fast_kdf() -> KdfParams {
    KdfParams::from_mib(1, 1, 1).expect("test KDF parameters")
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("date")
}

pub fn day(n: i64) -> Duration {
    Duration::days(n)
}

/// A vault with three keys of different ages and risks.
pub fn sample_vault() -> Vault {
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
    github.ip_whitelist = thin_vec::thin_vec!["203.0.113.0/24".parse().expect("rule")];
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
    kraken.ip_whitelist = thin_vec::thin_vec!["198.51.100.7".parse().expect("rule")];
    vault.add(kraken).expect("add");
    vault
}

pub struct Gui {
    pub harness: Harness<'static, KeywardApp>,
    pub clock: ManualClock,
    pub clipboard: FakeClipboard,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Gui {
    /// The app on a vault file that does not exist yet.
    pub fn first_run() -> Gui {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.keyward");
        Self::on(dir, path)
    }

    /// The app on the sample vault, still locked.
    pub fn locked() -> Gui {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.keyward");
        VaultFile::create(&path, PASSWORD.into(), fast_kdf(), &sample_vault()).expect("create");
        Self::on(dir, path)
    }

    /// The app on `vault`, still locked.
    pub fn locked_on(vault: &Vault) -> Gui {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.keyward");
        VaultFile::create(&path, PASSWORD.into(), fast_kdf(), vault).expect("create");
        Self::on(dir, path)
    }

    /// The app on `vault`, unlocked.
    pub fn unlocked_on(vault: &Vault) -> Gui {
        let mut gui = Self::locked_on(vault);
        gui.unlock(PASSWORD);
        assert!(!gui.app().is_locked(), "{}", gui.app().status_text());
        gui
    }

    /// The checkbox labelled `label` is ticked.
    pub fn is_ticked(&self, label: &str) -> bool {
        self.node(label).accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
    }

    /// The app on the sample vault, unlocked.
    pub fn unlocked() -> Gui {
        let mut gui = Self::locked();
        gui.unlock(PASSWORD);
        assert!(!gui.app().is_locked(), "{}", gui.app().status_text());
        gui
    }

    pub fn on(dir: tempfile::TempDir, path: PathBuf) -> Gui {
        Self::on_sized(dir, path, egui::vec2(1400.0, 900.0))
    }

    /// The app on the sample vault, unlocked, in a window of `size`.
    pub fn unlocked_sized(size: egui::Vec2) -> Gui {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.keyward");
        VaultFile::create(&path, PASSWORD.into(), fast_kdf(), &sample_vault()).expect("create");
        let mut gui = Self::on_sized(dir, path, size);
        gui.unlock(PASSWORD);
        assert!(!gui.app().is_locked(), "{}", gui.app().status_text());
        gui
    }

    pub fn on_sized(dir: tempfile::TempDir, path: PathBuf, size: egui::Vec2) -> Gui {
        let clock = ManualClock::new(start());
        let clipboard = FakeClipboard::new();
        let options = AppOptions {
            vault_path: path.clone(),
            clock: Arc::new(clock.clone()),
            clipboard: Box::new(clipboard.clone()),
            new_vault_kdf: Some(fast_kdf()),
        };
        let harness = Harness::builder()
            .with_size(size)
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

    pub fn app(&self) -> &KeywardApp {
        self.harness.state()
    }

    /// Runs frames until no worker thread is busy and the UI is still. The limit is time, not
    /// frames: a loaded machine decrypts a 20k-key vault slowly.
    pub fn settle(&mut self) {
        let deadline = std::time::Instant::now() + StdDuration::from_secs(120);
        while std::time::Instant::now() < deadline {
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
    pub fn field(&self, label: &str) -> egui_kittest::Node<'_> {
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
    pub fn node<'a>(&'a self, label: &'a str) -> egui_kittest::Node<'a> {
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

    pub fn type_into(&mut self, label: &str, text: &str) {
        self.field(label).focus();
        self.harness.step();
        self.field(label).type_text(text);
        self.harness.run_ok();
    }

    /// Empties a text field (select all, delete).
    pub fn clear_field(&mut self, label: &str) {
        self.field(label).focus();
        self.harness.step();
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.harness.key_press(egui::Key::Backspace);
        self.harness.run_ok();
    }

    pub fn click(&mut self, label: &str) {
        self.node(label).click();
        self.settle();
    }

    pub fn click_containing(&mut self, label: &str) {
        self.harness.get_by_label_contains(label).click();
        self.settle();
    }

    pub fn unlock(&mut self, password: &str) {
        self.type_into("Master password", password);
        self.harness.key_press(egui::Key::Enter);
        self.settle();
    }

    pub fn has_label(&self, label: &str) -> bool {
        self.harness.query_all_by_label(label).next().is_some()
    }

    pub fn has_label_containing(&self, label: &str) -> bool {
        self.harness
            .query_all_by_label_contains(label)
            .next()
            .is_some()
    }

    pub fn select(&mut self, name: &str) {
        self.click(name);
    }

    pub fn advance(&mut self, by: Duration) {
        self.clock.advance(by);
        self.harness.step();
        self.harness.run_ok();
    }

    pub fn vault_on_disk(&self) -> Vault {
        VaultFile::open(&self.path, PASSWORD.into())
            .expect("the vault file opens with the password")
            .1
    }

    /// The vertical position of a widget, to check the order of table rows.
    pub fn top_of(&self, label: &str) -> f32 {
        self.node(label).rect().top()
    }
}

pub fn order(gui: &Gui, names: &[&str]) -> Vec<String> {
    let mut rows: Vec<(f32, String)> = names
        .iter()
        .map(|n| (gui.top_of(n), (*n).to_owned()))
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, n)| n).collect()
}
