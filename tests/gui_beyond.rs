//! GUI flows of issue 6 through egui_kittest: a key pair generated in the editor (its public
//! key shown and copied from the detail panel), the "Test signature" panel, and the leak
//! scan view with "Mark compromised" from a hit.

mod gui_support;

use egui_kittest::kittest::Queryable;

use gui_support::*;
use keyward::keys::{self, PrivateKey, SignatureAlgorithm};
use keyward::vault::Credential;

/// Picks `item` in the combo box labelled `combo`.
fn choose(gui: &mut Gui, combo: &str, item: &str) {
    for _ in 0..3 {
        if gui.has_label(item) {
            break;
        }
        gui.harness.get_by_label(combo).click();
        gui.settle();
    }
    gui.harness.get_by_label(item).click();
    gui.settle();
}

#[test]
fn generate_an_ed25519_key_pair_in_the_editor_and_copy_its_public_key() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "binance-ed25519");
    gui.type_into("Provider", "binance");
    choose(&mut gui, "Credential kind", "Key pair (Ed25519, RSA)");
    gui.click("ed25519");
    gui.click("Generate key pair");
    assert!(
        gui.has_label_containing("Generated an ed25519 key pair"),
        "the editor says what it made"
    );
    let shown = gui
        .field("Public key")
        .value()
        .expect("the public key field has text");
    assert!(shown.starts_with("-----BEGIN PUBLIC KEY-----"), "{shown}");
    gui.click("Save key");
    assert!(!gui.has_label("Save key"), "the dialog closed");
    assert_eq!(gui.app().status_text(), "Saved");

    let vault = gui.vault_on_disk();
    let entry = vault.get("binance-ed25519").expect("saved to disk");
    let Credential::KeyPair {
        private_key,
        public_key,
        ..
    } = &entry.credential
    else {
        panic!("a key pair: {:?}", entry.credential.kind());
    };
    assert!(
        private_key
            .expose()
            .starts_with("-----BEGIN PRIVATE KEY-----"),
        "PKCS#8 PEM"
    );
    let private = PrivateKey::from_pem(private_key).expect("the private key parses");
    assert_eq!(private.algorithm(), SignatureAlgorithm::Ed25519);
    assert_eq!(
        &private.public_key_pem().expect("derive the public key"),
        public_key,
        "the saved public key belongs to the saved private key"
    );
    // And a signature made with the private key verifies with the saved public key.
    use ed25519_dalek::Verifier as _;
    use ed25519_dalek::pkcs8::DecodePublicKey as _;
    let verifying =
        ed25519_dalek::VerifyingKey::from_public_key_pem(public_key).expect("SPKI PEM parses");
    let signature = keys::sign(&entry.credential, SignatureAlgorithm::Ed25519, b"payload")
        .expect("sign with the stored key");
    let signature = ed25519_dalek::Signature::from_slice(&signature).expect("64 bytes");
    verifying
        .verify(b"payload", &signature)
        .expect("the signature verifies with the public key");

    // The detail panel shows the public key and copies it; the private key stays masked.
    assert!(
        gui.has_label(public_key),
        "the PEM is shown in the detail panel"
    );
    assert!(
        !gui.has_label_containing("BEGIN PRIVATE KEY"),
        "the private key is masked"
    );
    gui.click("Copy public key");
    assert_eq!(
        gui.clipboard.contents().as_deref(),
        Some(public_key.as_str())
    );
    assert!(
        gui.app()
            .status_text()
            .contains("public key of binance-ed25519"),
        "{}",
        gui.app().status_text()
    );
}
