//! The app's rotate dialog asks for every part that changes (issue 12 item 2): the new key
//! id, secret and passphrase of an OKX key, the new public key of a key pair; the old parts
//! go to the history together.

mod gui_support;

use gui_support::*;
use keyward::vault::{Credential, Entry, Field, Vault};

fn vault() -> Vault {
    let mut vault = Vault::default();
    let mut okx = Entry::new(
        "okx-hedge",
        Credential::SharedSecret {
            key_id: "OKX-OLD-KID".into(),
            secret: "okx-old-secret".into(),
            passphrase: Some("okx-old-pass".into()),
        },
        start() - day(100),
    );
    okx.provider = "okx".into();
    vault.add(okx).expect("add");
    let pair = Entry::new(
        "ssh-deploy",
        Credential::KeyPair {
            key_id: "KP-1".into(),
            private_key: "PRIV-OLD".into(),
            public_key: "PUB-OLD".into(),
        },
        start() - day(50),
    );
    vault.add(pair).expect("add");
    vault
}

fn part(vault: &Vault, name: &str, field: Field) -> Option<String> {
    let entry = vault.get(name).expect("entry");
    entry.credential.field(field).map(|v| v.expose().to_owned())
}

#[test]
fn rotating_an_okx_key_takes_the_key_id_secret_and_passphrase() {
    let mut gui = Gui::unlocked_on(&vault());
    gui.select("okx-hedge");
    gui.click("Rotate…");
    assert!(
        !gui.has_label("New public key"),
        "a shared secret has no public key"
    );
    gui.type_into("New key id", "OKX-NEW-KID");
    gui.type_into("New secret", "okx-new-secret");
    gui.type_into("New passphrase", "okx-new-pass");
    gui.click("Rotate");
    assert!(!gui.has_label("New passphrase"), "the dialog closed");

    let disk = gui.vault_on_disk();
    assert_eq!(
        part(&disk, "okx-hedge", Field::Key).as_deref(),
        Some("OKX-NEW-KID")
    );
    assert_eq!(
        part(&disk, "okx-hedge", Field::Secret).as_deref(),
        Some("okx-new-secret")
    );
    assert_eq!(
        part(&disk, "okx-hedge", Field::Passphrase).as_deref(),
        Some("okx-new-pass")
    );
    let entry = disk.get("okx-hedge").expect("entry");
    assert_eq!(entry.history.len(), 1, "one history record per rotation");
    let record = &entry.history[0];
    assert_eq!(record.value.expose(), "okx-old-secret");
    assert_eq!(record.key_id.as_deref(), Some("OKX-OLD-KID"));
    assert_eq!(
        record.passphrase.as_ref().map(|p| p.expose()),
        Some("okx-old-pass")
    );
    assert_eq!(entry.rotated_at, Some(start()));
    assert!(
        gui.has_label_containing("(with its key id OKX-OLD-KID, passphrase)"),
        "the detail panel says which parts the record holds"
    );
}

#[test]
fn a_key_pair_rotation_asks_for_the_public_key_and_no_passphrase() {
    let mut gui = Gui::unlocked_on(&vault());
    gui.select("ssh-deploy");
    gui.click("Rotate…");
    assert!(!gui.has_label("New passphrase"));
    gui.type_into("New private key", "PRIV-NEW");
    gui.type_into("New public key", "PUB-NEW");
    gui.click("Rotate");
    let disk = gui.vault_on_disk();
    assert_eq!(
        part(&disk, "ssh-deploy", Field::PublicKey).as_deref(),
        Some("PUB-NEW")
    );
    assert_eq!(
        part(&disk, "ssh-deploy", Field::Key).as_deref(),
        Some("KP-1"),
        "an empty key id field keeps the key id"
    );
    let record = &disk.get("ssh-deploy").expect("entry").history[0];
    assert_eq!(record.value.expose(), "PRIV-OLD");
    assert_eq!(record.public_key.as_deref(), Some("PUB-OLD"));
    assert_eq!(record.key_id, None);
}

#[test]
fn a_refused_rotation_says_why_and_keeps_what_was_typed() {
    let mut gui = Gui::unlocked_on(&vault());
    gui.select("okx-hedge");
    gui.click("Rotate…");
    gui.type_into("New key id", "OKX-NEW-KID");
    gui.type_into("New secret", "okx-old-secret");
    gui.click("Rotate");
    assert!(gui.has_label("The new secret is the same as the current one; nothing changed."));
    assert_eq!(
        gui.field("New key id").value().as_deref(),
        Some("OKX-NEW-KID"),
        "the typed key id is kept"
    );
    let disk = gui.vault_on_disk();
    assert!(disk.get("okx-hedge").expect("entry").history.is_empty());
    assert_eq!(
        part(&disk, "okx-hedge", Field::Key).as_deref(),
        Some("OKX-OLD-KID")
    );
}
