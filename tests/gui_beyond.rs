//! GUI flows of issue 6 through egui_kittest: a key pair generated in the editor (its public
//! key shown and copied from the detail panel), the "Test signature" panel, and the leak
//! scan view with "Mark compromised" from a hit.

mod gui_support;

use egui_kittest::kittest::{NodeT as _, Queryable};

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
    let form = all_text(&gui);
    assert!(
        form.contains("BEGIN PUBLIC KEY"),
        "the public key is in the form"
    );
    assert!(
        !form.contains("BEGIN PRIVATE KEY"),
        "the generated private key is masked in the form"
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

const BINANCE_DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const BINANCE_DOC_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
const BINANCE_DOC_SIGNATURE: &str =
    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

/// A vault holding Binance's documented example key.
fn binance_doc_vault() -> keyward::vault::Vault {
    let mut vault = keyward::vault::Vault::default();
    let mut entry = keyward::vault::Entry::new(
        "binance-doc",
        Credential::SharedSecret {
            key_id: "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A".into(),
            secret: BINANCE_DOC_SECRET.into(),
            passphrase: None,
        },
        start(),
    );
    entry.provider = "binance".into();
    vault.add(entry).expect("add");
    vault
}

#[test]
fn test_signature_panel_gives_binances_published_hmac() {
    let mut gui = Gui::unlocked_on(&binance_doc_vault());
    gui.select("binance-doc");
    gui.click("Test signature");
    assert!(
        gui.has_label_containing("with the Binance preset"),
        "the defaults come from the preset"
    );
    gui.type_into("Payload", BINANCE_DOC_PAYLOAD);
    gui.click("Sign");
    assert!(
        gui.has_label("hmac-sha256 signature (hex) of the 110-byte payload:"),
        "Binance signs shared secrets with HMAC-SHA256 in hex"
    );
    assert!(
        gui.has_label(BINANCE_DOC_SIGNATURE),
        "the published signature"
    );
    assert!(
        !gui.has_label_containing(BINANCE_DOC_SECRET),
        "the secret stays masked"
    );
    gui.click("Copy signature");
    assert_eq!(
        gui.clipboard.contents().as_deref(),
        Some(BINANCE_DOC_SIGNATURE)
    );
    // Another algorithm: the old signature goes, the new one is HMAC-SHA512.
    choose(&mut gui, "Algorithm", "hmac-sha512");
    assert!(
        !gui.has_label(BINANCE_DOC_SIGNATURE),
        "a stale signature is not shown"
    );
    gui.click("Sign");
    let expected = keys::SignatureEncoding::Hex.encode(
        &keys::sign(
            &binance_doc_vault().entries[0].credential,
            SignatureAlgorithm::HmacSha512,
            BINANCE_DOC_PAYLOAD.as_bytes(),
        )
        .expect("sign"),
    );
    assert!(
        gui.has_label(&expected),
        "HMAC-SHA512 as the library makes it"
    );
}

#[test]
fn test_signature_of_a_key_pair_defaults_to_its_own_algorithm_and_verifies() {
    let pair = keys::generate(keys::KeyAlgorithm::Ed25519).expect("generate");
    let mut vault = keyward::vault::Vault::default();
    let mut entry = keyward::vault::Entry::new(
        "binance-ed",
        Credential::KeyPair {
            key_id: "ED-1".into(),
            private_key: pair.private_key,
            public_key: pair.public_key.clone(),
        },
        start(),
    );
    entry.provider = "binance".into();
    vault.add(entry).expect("add");
    let mut gui = Gui::unlocked_on(&vault);
    gui.select("binance-ed");
    gui.click("Test signature");
    gui.type_into("Payload", "timestamp=1");
    gui.click("Sign");
    assert!(gui.has_label("ed25519 signature (base64) of the 11-byte payload:"));
    gui.click("Copy signature");
    let text = gui.clipboard.contents().expect("copied");
    use base64::Engine as _;
    use ed25519_dalek::Verifier as _;
    use ed25519_dalek::pkcs8::DecodePublicKey as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64");
    let signature = ed25519_dalek::Signature::from_slice(&bytes).expect("64 bytes");
    ed25519_dalek::VerifyingKey::from_public_key_pem(&pair.public_key)
        .expect("public key")
        .verify(b"timestamp=1", &signature)
        .expect("verifies with the public key");
}

/// Every label and value in the window, to check that no secret is shown.
fn all_text(gui: &Gui) -> String {
    gui.harness
        .query_all_by(|_| true)
        .map(|n| {
            let node = n.accesskit_node();
            format!(
                "{} {}\n",
                node.label().unwrap_or_default(),
                node.value().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn scan_a_folder_finds_a_planted_secret_and_marks_its_key_compromised() {
    let mut gui = Gui::unlocked();
    let tree = tempfile::tempdir().expect("temp dir");
    let bot = tree.path().join("bot");
    std::fs::create_dir(&bot).expect("mkdir");
    std::fs::write(
        bot.join("config.py"),
        format!("# settings\nAPI_KEY = \"BNC-KEY-1\"\nSECRET = \"{BINANCE_SECRET}\"\n"),
    )
    .expect("write");
    std::fs::write(bot.join("README.md"), "nothing to see\n").expect("write");
    std::fs::write(tree.path().join(".env"), format!("S={BINANCE_SECRET}\n")).expect("write");

    gui.click("Scan a folder…");
    gui.type_into("Folder to scan", &tree.path().display().to_string());
    gui.click("Scan");
    assert!(
        gui.app()
            .status_text()
            .contains("1 place(s) hold a stored secret"),
        "{}",
        gui.app().status_text()
    );
    let place = format!("bot{}config.py:3:11", std::path::MAIN_SEPARATOR);
    assert!(gui.has_label(&place), "the hit's path:line:column");
    assert!(gui.has_label("binance-bot"), "the hit names the key");
    assert!(gui.has_label_containing("2 file(s)"), "the counters");
    let text = all_text(&gui);
    assert!(
        !text.contains(BINANCE_SECRET),
        "no secret on screen:\n{text}"
    );
    assert!(!gui.app().status_text().contains(BINANCE_SECRET));

    // "Mark compromised…" goes through the normal dialog, its reason filled in.
    gui.click("Mark compromised…");
    assert_eq!(
        gui.field("What happened").value().as_deref(),
        Some(format!("Found in plain text at {place}").as_str())
    );
    gui.click("Mark compromised");
    assert!(
        gui.app()
            .status_text()
            .starts_with("Marked 'binance-bot' compromised")
            || gui.app().status_text() == "Saved",
        "{}",
        gui.app().status_text()
    );
    let vault = gui.vault_on_disk();
    let entry = vault.get("binance-bot").expect("entry");
    assert_eq!(entry.status, keyward::vault::Status::Compromised);
    assert!(
        entry
            .incident
            .as_ref()
            .is_some_and(|i| i.reason.contains("config.py:3:11")),
        "the reason says where it was found"
    );
    assert!(
        !gui.has_label("Mark compromised…"),
        "a compromised key's hit says so instead"
    );
    assert!(gui.has_label("compromised"));

    // Hidden files too: the .env file is found as well.
    gui.click("Hidden files and folders");
    gui.click("Scan");
    assert!(
        gui.app()
            .status_text()
            .contains("2 place(s) hold a stored secret"),
        "{}",
        gui.app().status_text()
    );
    assert!(gui.has_label(".env:1:3"));

    // The key's name opens it in the key list.
    gui.harness
        .query_all_by_label("binance-bot")
        .next()
        .expect("link")
        .click();
    gui.settle();
    assert!(
        gui.has_label("Test signature"),
        "the detail panel of the key shows"
    );
    assert!(gui.has_label("Copy secret"));

    // Locking forgets the scan: folder, options and results.
    gui.click("Lock");
    gui.unlock(PASSWORD);
    gui.click("Scan a folder…");
    assert_eq!(gui.field("Folder to scan").value().as_deref(), Some(""));
    assert!(!gui.has_label(".env:1:3"), "no results after a lock");
    assert!(!gui.is_ticked("Hidden files and folders"));
}

#[test]
fn scan_of_a_missing_folder_says_so() {
    let mut gui = Gui::unlocked();
    gui.click("Scan a folder…");
    gui.type_into("Folder to scan", "/no/such/folder/here");
    gui.click("Scan");
    assert!(gui.has_label("No such file or folder: /no/such/folder/here"));
}

#[test]
fn an_rsa_2048_key_pair_from_the_editor_signs_with_rsa_sha256() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "bybit-rsa");
    choose(&mut gui, "Credential kind", "Key pair (Ed25519, RSA)");
    gui.click("rsa-2048");
    gui.click("Generate key pair");
    assert!(gui.has_label_containing("Generated an rsa-2048 key pair"));
    gui.click("Save key");
    let vault = gui.vault_on_disk();
    let entry = vault.get("bybit-rsa").expect("saved");
    let Credential::KeyPair { public_key, .. } = &entry.credential else {
        panic!("a key pair");
    };

    gui.click("Test signature");
    gui.type_into("Payload", "api_key=X&timestamp=1");
    gui.click("Sign");
    assert!(gui.has_label("rsa-sha256 signature (base64) of the 21-byte payload:"));
    // The panel is long for an RSA key: bring the button into view first.
    gui.node("Copy signature").scroll_to_me();
    gui.settle();
    gui.click("Copy signature");
    let text = gui.clipboard.contents().expect("copied");
    use base64::Engine as _;
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::signature::Verifier as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64");
    let public = rsa::PublicKey::from_public_key_pem(public_key).expect("SPKI PEM");
    let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public);
    let signature = rsa::pkcs1v15::Signature::try_from(bytes.as_slice()).expect("signature");
    verifier
        .verify(b"api_key=X&timestamp=1", &signature)
        .expect("verifies with the saved public key");
}

/// Runs git in `dir` with a fixed identity and no user configuration.
fn git(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn scan_with_git_history_finds_a_secret_deleted_from_the_files() {
    let mut gui = Gui::unlocked();
    let tree = tempfile::tempdir().expect("temp dir");
    let repo = tree.path().join("bot");
    std::fs::create_dir(&repo).expect("mkdir");
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("keys.txt"), format!("{BINANCE_SECRET}\n")).expect("write");
    git(&repo, &["add", "keys.txt"]);
    git(&repo, &["commit", "-q", "-m", "add keys"]);
    git(&repo, &["rm", "-q", "keys.txt"]);
    git(&repo, &["commit", "-q", "-m", "remove keys"]);

    gui.click("Scan a folder…");
    gui.type_into("Folder to scan", &tree.path().display().to_string());
    gui.click("Scan");
    assert!(
        gui.app()
            .status_text()
            .starts_with("Scan finished: no stored secret found"),
        "{}",
        gui.app().status_text()
    );
    gui.click("Git history");
    gui.click("Scan");
    assert!(
        gui.app()
            .status_text()
            .contains("1 place(s) hold a stored secret"),
        "{}",
        gui.app().status_text()
    );
    assert!(gui.has_label_containing("keys.txt:1:1 in git history of bot (commit "));
    assert!(gui.has_label("binance-bot"));
    assert!(!all_text(&gui).contains(BINANCE_SECRET));
}
