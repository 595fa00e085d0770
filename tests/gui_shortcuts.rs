//! The keyboard shortcuts (issue 12, item 12): copy the selected key's parts without the
//! mouse, only when no text field has the keyboard; F1 and "?" list every shortcut.

mod gui_support;

use eframe::egui;
use egui::{Key, Modifiers};

use gui_support::*;
use keyward::vault::{Credential, Entry, Vault};

const OKX_PASSPHRASE: &str = "okx-PASS-4455";

fn vault_with_okx() -> Vault {
    let mut vault = sample_vault();
    let mut okx = Entry::new(
        "okx-grid",
        Credential::SharedSecret {
            key_id: "OKX-KEY-7".into(),
            secret: "okx-SECRET-1122".into(),
            passphrase: Some(OKX_PASSPHRASE.into()),
        },
        start(),
    );
    okx.provider = "okx".into();
    vault.add(okx).expect("add");
    vault
}

fn press(gui: &mut Gui, modifiers: Modifiers, key: Key) {
    gui.harness.key_press_modifiers(modifiers, key);
    gui.settle();
}

#[test]
fn ctrl_b_ctrl_c_and_ctrl_shift_c_copy_the_selected_keys_parts() {
    let mut gui = Gui::unlocked_on(&vault_with_okx());
    gui.select("okx-grid");
    press(&mut gui, Modifiers::COMMAND, Key::B);
    assert_eq!(gui.clipboard.contents().as_deref(), Some("OKX-KEY-7"));
    press(&mut gui, Modifiers::COMMAND, Key::C);
    assert_eq!(gui.clipboard.contents().as_deref(), Some("okx-SECRET-1122"));
    press(&mut gui, Modifiers::COMMAND | Modifiers::SHIFT, Key::C);
    assert_eq!(gui.clipboard.contents().as_deref(), Some(OKX_PASSPHRASE));

    gui.select("binance-bot");
    press(&mut gui, Modifiers::COMMAND | Modifiers::SHIFT, Key::C);
    assert_eq!(
        gui.clipboard.contents().as_deref(),
        Some(OKX_PASSPHRASE),
        "a key without a passphrase copies nothing"
    );
    assert!(
        gui.app().status_text().contains("has no passphrase"),
        "{}",
        gui.app().status_text()
    );
}

#[test]
fn the_keys_shortcuts_leave_a_focused_text_field_alone() {
    let mut gui = Gui::unlocked_on(&vault_with_okx());
    gui.select("okx-grid");
    gui.field("Search").focus();
    gui.harness.step();
    press(&mut gui, Modifiers::COMMAND, Key::C);
    press(&mut gui, Modifiers::COMMAND, Key::B);
    assert_eq!(
        gui.clipboard.contents(),
        None,
        "copy in a text field is the field's own"
    );
}

#[test]
fn f1_and_the_question_mark_show_every_shortcut_and_about() {
    let mut gui = Gui::unlocked();
    assert!(!gui.has_label("Copy the passphrase"));
    press(&mut gui, Modifiers::NONE, Key::F1);
    for text in [
        "Ctrl+B",
        "Copy the key id",
        "Ctrl+Shift+C",
        "Copy the passphrase",
        "Ctrl+Enter",
        "F1",
    ] {
        assert!(gui.has_label(text), "{text} in the shortcuts window");
    }
    press(&mut gui, Modifiers::NONE, Key::Escape);
    assert!(!gui.has_label("Copy the passphrase"), "Esc closes it");

    gui.click("?");
    assert!(
        gui.has_label("Copy the passphrase"),
        "the ? button opens it"
    );
    gui.click("About");
    let version = format!("keyward {}", env!("CARGO_PKG_VERSION"));
    assert!(gui.has_label(&version), "{version}");
    let path = gui.path.display().to_string();
    assert!(gui.has_label(&path), "the vault's path {path}");
    gui.click("Close");
    assert!(!gui.has_label(&version));
}
