//! The master password and key file in the app (issue 12 item 5, issue 13 item 10): changed
//! from Settings with the create screen's meter and confirmation, then locked and unlocked
//! with the new password (the old one refused); a vault made with a key file unlocks only
//! with the key file named on the unlock screen.

mod gui_support;

use gui_support::*;
use keyward::store::{Credentials, KeyFile, VaultFile};

const NEW: &str = "walnut-cobalt-meridian-lantern-93";

#[test]
fn the_master_password_changes_in_settings_and_the_new_one_unlocks() {
    let mut gui = Gui::unlocked();
    gui.click("Settings");
    gui.type_into("Current master password", PASSWORD);
    gui.type_into("New master password", "password1");
    assert!(
        gui.has_label_containing("Strength: "),
        "the create screen's strength meter shows"
    );
    assert!(gui.has_label("Choose a stronger password (see the advice above)."));
    gui.clear_field("New master password");
    gui.type_into("New master password", NEW);
    gui.type_into("Repeat new password", "not the same");
    assert!(gui.has_label("The two passwords differ."));
    gui.clear_field("Repeat new password");
    gui.type_into("Repeat new password", NEW);
    gui.click("Change master password");
    assert!(
        gui.app()
            .status_text()
            .starts_with("Master password and key derivation changed"),
        "{}",
        gui.app().status_text()
    );
    gui.click("Lock");
    assert!(gui.app().is_locked());
    gui.unlock(PASSWORD);
    assert!(gui.app().is_locked(), "the old password is refused");
    assert!(gui.has_label_containing("Wrong password"));
    gui.clear_field("Master password");
    gui.unlock(NEW);
    assert!(!gui.app().is_locked(), "the new password unlocks");
    assert!(VaultFile::open(&gui.path, NEW.into()).is_ok());
}

#[test]
fn a_wrong_current_password_changes_nothing() {
    let mut gui = Gui::unlocked();
    gui.click("Settings");
    gui.type_into("Current master password", "not it");
    gui.type_into("New master password", NEW);
    gui.type_into("Repeat new password", NEW);
    gui.click("Change master password");
    assert!(
        gui.app()
            .status_text()
            .contains("current master password is wrong"),
        "{}",
        gui.app().status_text()
    );
    assert!(VaultFile::open(&gui.path, PASSWORD.into()).is_ok());
}

#[test]
fn a_vault_with_a_key_file_unlocks_with_the_key_file_field() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vault.keyward");
    let key_path = dir.path().join("vault.key");
    std::fs::write(&key_path, b"a key file of some random bytes 0123456789").expect("key file");
    let key_file = KeyFile::read(&key_path).expect("key file");
    VaultFile::create_with(
        &path,
        Credentials::new(PASSWORD.into(), Some(key_file)),
        fast_kdf(),
        &sample_vault(),
    )
    .expect("create");
    let mut gui = Gui::on(dir, path);
    gui.unlock(PASSWORD);
    assert!(gui.app().is_locked(), "no key file: refused");
    assert!(
        gui.has_label_containing("needs a key file"),
        "the error says a key file is needed"
    );
    gui.type_into("Key file", &key_path.display().to_string());
    gui.clear_field("Master password");
    gui.unlock(PASSWORD);
    assert!(!gui.app().is_locked(), "password and key file unlock");
}
