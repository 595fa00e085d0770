//! The Bitwarden JSON importer against bitwarden/clients' current importer spec data
//! (tests/testdata/transfer/bitwarden-clients: `libs/importer/src/importers/spec-data/
//! bitwarden-json/` and the JSON documents of `bitwarden-password-protected-importer.spec.ts`,
//! GPL-3.0; see its README), asserting what Bitwarden's specs expect, in keyward's terms.
//! tests/transfer_bitwarden_spec.rs covers the older bitwarden/jslib copies.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use keyward::transfer::{self, Format, ImportOptions, Outcome};
use keyward::vault::{Credential, Entry};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/bitwarden-clients")
        .join(name)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0)
        .single()
        .expect("date")
}

fn try_import(name: &str) -> Result<transfer::Imported, String> {
    let path = testdata(name);
    let bytes = std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?;
    transfer::import(
        &bytes,
        &path,
        Format::BitwardenJson,
        &ImportOptions::default(),
        now(),
    )
    .map_err(|e| e.to_string())
}

fn import(name: &str) -> transfer::Imported {
    try_import(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The custom field named exactly `name`: (value, protected).
fn field<'e>(entry: &'e Entry, name: &str) -> (&'e str, bool) {
    entry
        .custom_fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| (f.value.expose(), f.protected))
        .unwrap_or_else(|| {
            let names: Vec<&str> = entry
                .custom_fields
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            panic!("{}: no field {name:?} in {names:?}", entry.name)
        })
}

/// `emptyUnencryptedExport`: Bitwarden's spec imports it successfully, with nothing in it.
#[test]
fn the_empty_unencrypted_export_imports_nothing() {
    let imported = import("unencrypted-empty.json");
    assert!(imported.entries.is_empty());
}

/// `unencryptedExportWithCipherKey` (PM-39380): an unencrypted export whose item still carries
/// a per-cipher `key`. Bitwarden's spec: success, one cipher, the key dropped.
#[test]
fn an_unencrypted_export_with_a_per_cipher_key_imports_its_one_login() {
    let imported = import("unencrypted-with-cipher-key.json");
    assert_eq!(imported.entries.len(), 1);
    let login = &imported.entries[0];
    assert_eq!(login.name, "login");
    assert_eq!(login.credential.key_id(), "username");
    assert_eq!(login.credential.primary_secret().expose(), "password");
    assert_eq!(login.url, "github.com");
    assert_eq!(login.notes.trim(), "note");
    assert!(
        login
            .custom_fields
            .iter()
            .all(|f| !f.value.expose().starts_with("2.8jY+")),
        "the cipher key is no field: {:?}",
        login.custom_fields
    );
    assert_eq!(
        login.created_at,
        Utc.with_ymd_and_hms(2026, 6, 23, 16, 55, 7)
            .single()
            .expect("date")
            + chrono::Duration::milliseconds(333)
    );
}

/// The account-encrypted export of the spec's SSH key test (`exportWithMalformedSshKey`):
/// Bitwarden decrypts it with the account's key; keyward has no account, so it refuses the
/// file and says how to export one it can read, without quoting the file.
#[test]
fn an_account_encrypted_export_is_refused_with_what_to_do() {
    let err = try_import("account-encrypted-malformed-ssh-key.json")
        .err()
        .unwrap_or_default();
    assert!(err.contains("encrypted"), "{err}");
    assert!(err.contains("unencrypted JSON"), "says what to do: {err}");
    assert!(
        !err.contains("2.iv|"),
        "no file content in the error: {err}"
    );
}

/// The `expected` (decrypted) vault of `account-encrypted-v1.json.ts`, as an unencrypted
/// export: the login keeps everything Bitwarden's spec expects of it, the SSH key becomes a
/// key pair, and the six items keyward holds no kind for are left out by name and counted.
#[test]
fn the_decrypted_account_export_keeps_the_login_and_ssh_key_and_reports_the_rest() {
    let imported = import("account-encrypted-v1-expected.json");
    let names: Vec<&str> = imported.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Bitwarden", "My SSH key"]);

    let login = &imported.entries[0];
    assert_eq!(login.credential.key_id(), "test@bitwarden.com");
    assert_eq!(login.credential.primary_secret().expose(), "asdfasdfasdf");
    assert_eq!(login.notes.trim(), "My note");
    assert_eq!(login.url, "https://vault.bitwarden.com");
    assert_eq!(field(login, "URL 2"), ("https://bitwarden.com", false));
    let totp = login
        .custom_fields
        .iter()
        .find(|f| f.value.expose() == "otpauth://totp/test?secret=JBSWY3DPEHPK3PXP")
        .unwrap_or_else(|| panic!("the TOTP is kept: {:?}", login.custom_fields));
    assert!(totp.protected, "the TOTP seed is protected");
    // Fields of type 0 (text), 1 (hidden) and 2 (boolean); the linked one (3) points at the
    // login's own parts and is reported instead.
    assert_eq!(field(login, "Text"), ("A", false));
    assert_eq!(field(login, "Hidden"), ("B", true));
    assert_eq!(field(login, "Boolean (true)"), ("true", false));
    assert_eq!(field(login, "Boolean (false)"), ("false", false));
    assert!(login.custom_fields.iter().all(|f| f.name != "Linked"));
    assert_eq!(login.tags, ["Important"], "the folder is a tag");
    assert_eq!(
        login.created_at,
        Utc.with_ymd_and_hms(2024, 1, 30, 11, 23, 54)
            .single()
            .expect("date")
            + chrono::Duration::milliseconds(416)
    );
    let report = &imported.report;
    for dropped in [
        "password history",
        "passkey",
        "favorite mark",
        "master password re-prompt",
        // The second URI's rule (match 3); the first has none.
        "URI match rule",
    ] {
        assert_eq!(
            report.entries_with(Outcome::Dropped, dropped),
            1,
            "{dropped} is reported: {:?}",
            report.lines()
        );
    }
    assert!(
        report.lines().iter().any(|l| l.contains("Linked")),
        "{:?}",
        report.lines()
    );

    let ssh = &imported.entries[1];
    let Credential::KeyPair {
        private_key,
        public_key,
        ..
    } = &ssh.credential
    else {
        panic!("an SSH key item is a key pair: {:?}", ssh.credential.kind());
    };
    assert!(
        private_key
            .expose()
            .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU")
    );
    assert_eq!(
        public_key,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOhqIUIXVYu1rG+sb2GE7TtB7KzC4/uScpLax02sOshf"
    );

    // The six other items, each counted by its own kind (Bitwarden's types 2–4 and 6–8).
    let notes = report.notes().join("\n");
    assert!(notes.contains("left out 6 Bitwarden item(s)"), "{notes}");
    for kind in [
        "secure note",
        "card",
        "identity",
        "bank account",
        "driver's license",
        "passport",
    ] {
        assert!(notes.contains(&format!("1 {kind}(s)")), "{notes}");
    }
    assert!(!notes.contains("unknown type"), "{notes}");
}
