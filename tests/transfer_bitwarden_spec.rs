//! The importers against Bitwarden's own importer spec data (tests/testdata/transfer/
//! bitwarden-importer: bitwarden/jslib `common/spec/importers/testData`, GPL-3.0; see its
//! README), asserting what Bitwarden's specs expect, in keyward's terms: 1Password 7 CSV for
//! Windows and Mac (identity, credit card and mixed exports), Bitwarden JSON (empty, and
//! password protected: refused, as Bitwarden's importer asks for the password) and the
//! KeePass 2 XML of its KeePass spec.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use keyward::transfer::{self, Format, ImportOptions};
use keyward::vault::Entry;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/bitwarden-importer")
        .join(name)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("date")
}

fn try_import(name: &str, format: Format) -> Result<transfer::Imported, String> {
    let path = testdata(name);
    let bytes = std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?;
    transfer::import(&bytes, &path, format, &ImportOptions::default(), now())
        .map_err(|e| e.to_string())
}

fn import(name: &str, format: Format) -> Vec<Entry> {
    try_import(name, format)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .entries
}

/// The value of the custom field named exactly `name`.
fn field<'e>(entry: &'e Entry, name: &str) -> &'e str {
    entry
        .custom_fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.expose())
        .unwrap_or_else(|| {
            let names: Vec<&str> = entry
                .custom_fields
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            panic!("{}: no field {name:?} in {names:?}", entry.name)
        })
}

fn names(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.name.as_str()).collect()
}

/// Bitwarden's `expectIdentity` for the Windows export: first name, initial, last name,
/// username, company, phone, email and the address field.
fn expect_windows_identity(e: &Entry) {
    assert_eq!(e.name, "Identity Item");
    for (name, value) in [
        ("NAME 1: FIRST NAME", "first name"),
        ("NAME 2: INITIAL", "mi"),
        ("NAME 3: LAST NAME", "last name"),
        ("INTERNET 1: USERNAME", "userNam3"),
        ("NAME 6: COMPANY", "bitwarden"),
        ("ADDRESS 2: DEFAULT PHONE", "8005555555"),
        ("INTERNET 2: EMAIL", "email@bitwarden.com"),
        ("ADDRESS 1: ADDRESS", "address city state zip us"),
    ] {
        assert_eq!(field(e, name), value, "{name}");
    }
    assert!(e.notes.contains("It’s you! 🖐 Select Edit"), "{}", e.notes);
    assert!(e.tags.iter().any(|t| t == "Starter Kit"), "{:?}", e.tags);
    // Section headings hold titles, not values; 1Password's id and fill settings are no
    // fields (as Bitwarden ignores them).
    for gone in [
        "SECTION 1: NAME",
        "SECTION 2: ADDRESS",
        "UUID",
        "SCOPE",
        "AUTOSUBMIT",
    ] {
        assert!(
            e.custom_fields.iter().all(|f| f.name != gone),
            "{gone} is no field"
        );
    }
    assert!(
        e.custom_fields
            .iter()
            .all(|f| f.value.expose() != "Identification")
    );
}

/// Bitwarden's `expectCreditCard`: number, code, cardholder and expiry.
fn expect_windows_card(e: &Entry) {
    assert_eq!(e.name, "test card");
    assert_eq!(field(e, "2: NUMBER"), "4111111111111111");
    assert_eq!(field(e, "3: VERIFICATION NUMBER"), "111");
    assert_eq!(field(e, "1: CARDHOLDER NAME"), "test");
    assert_eq!(field(e, "4: EXPIRY DATE"), "1/3/1970 12:23 AM");
    assert!(
        e.custom_fields
            .iter()
            .filter(|f| f.name.contains("NUMBER"))
            .all(|f| f.protected),
        "the card number is protected"
    );
}

#[test]
fn onepassword_7_windows_identity_and_card_as_bitwardens_spec_expects() {
    let identity = import("onepassword7-win-identity.csv", Format::OnePasswordCsv);
    assert_eq!(names(&identity), ["Identity Item"]);
    expect_windows_identity(&identity[0]);
    let card = import("onepassword7-win-credit-card.csv", Format::OnePasswordCsv);
    assert_eq!(names(&card), ["test card"]);
    expect_windows_card(&card[0]);
}

#[test]
fn onepassword_7_windows_multiple_items_as_bitwardens_spec_expects() {
    let entries = import(
        "onepassword7-win-multiple-items.csv",
        Format::OnePasswordCsv,
    );
    assert_eq!(
        names(&entries),
        [
            "1Password Account",
            "Identity Item",
            "test card",
            "🎉 Welcome to 1Password!"
        ],
        "four items, the header row none of them"
    );
    let login = &entries[0];
    assert_eq!(login.credential.key_id(), "email@bitwarden.com");
    assert_eq!(
        login.credential.primary_secret().expose(),
        "the account's password"
    );
    assert_eq!(login.url, "https://my.1password.com");
    assert!(
        login.custom_fields.iter().all(|f| f.name != "URLS"),
        "URLS repeats the URL"
    );
    assert_eq!(
        field(login, "WXHDKEQREE3TH6QRFCPFPSD3AE 1: SECRET KEY"),
        "the account's secret key"
    );
    expect_windows_identity(&entries[1]);
    expect_windows_card(&entries[2]);
    assert_eq!(
        field(&entries[3], "O26UWJJTXRAANG3ONYYOUUJHDM 5: CONTACT US"),
        "https://support.1password.com/contact-us/"
    );
}

/// Bitwarden's Mac `expectIdentity`: the same parts, the address (three lines) in a field.
fn expect_mac_identity(e: &Entry) {
    assert_eq!(e.name, "Identity Item");
    for (name, value) in [
        ("first name(firstname)", "first name"),
        ("initial(initial)", "mi"),
        ("last name(lastname)", "last name"),
        ("username(username)", "userNam3"),
        ("company(company)", "bitwarden"),
        ("default phone(defphone)", "8005555555"),
        ("email(email)", "email@bitwarden.com"),
        ("address(address)", "address\ncity state zip\nUnited States"),
    ] {
        assert_eq!(field(e, name), value, "{name}");
    }
    assert_eq!(e.credential.key_id(), "userNam3");
    assert_eq!(
        e.tags,
        ["Identity", "Starter Kit"],
        "the Mac tag list `{{( \"Starter Kit\" )}}` read as one tag, and the category"
    );
    assert_eq!(
        e.created_at,
        Utc.timestamp_opt(1_606_923_754, 0).single().expect("time"),
        "Created Date is Unix seconds"
    );
    assert!(
        e.custom_fields
            .iter()
            .all(|f| f.name != "Created Date" && f.name != "Modified Date")
    );
}

fn expect_mac_card(e: &Entry) {
    assert_eq!(e.name, "test card");
    assert_eq!(field(e, "number(ccnum)"), "4111111111111111");
    assert_eq!(field(e, "verification number(cvv)"), "111");
    assert_eq!(field(e, "cardholder name(cardholder)"), "test");
    assert_eq!(field(e, "expiry date(expiry)"), "01/2030");
    assert_eq!(
        e.tags,
        ["Credit Card"],
        "an empty Mac tag list `{{( )}}` holds no tag"
    );
}

#[test]
fn onepassword_7_mac_identity_and_card_as_bitwardens_spec_expects() {
    let identity = import("onepassword7-mac-identity.csv", Format::OnePasswordCsv);
    assert_eq!(names(&identity), ["Identity Item"]);
    expect_mac_identity(&identity[0]);
    let card = import("onepassword7-mac-credit-card.csv", Format::OnePasswordCsv);
    assert_eq!(names(&card), ["test card"]);
    expect_mac_card(&card[0]);
}

#[test]
fn onepassword_7_mac_multiple_items_as_bitwardens_spec_expects() {
    // The quoted tag lists hold `\"`-escaped quotes across lines: read as CSV doubles them,
    // one row would become several and the header row's neighbours garbled.
    let entries = import(
        "onepassword7-mac-multiple-items.csv",
        Format::OnePasswordCsv,
    );
    assert_eq!(
        names(&entries),
        [
            "🎉 Welcome to 1Password!",
            "Identity Item",
            "test card",
            "1Password Account"
        ]
    );
    assert_eq!(
        entries[0].notes.trim(),
        "Follow these steps to get started."
    );
    expect_mac_identity(&entries[1]);
    expect_mac_card(&entries[2]);
    let login = &entries[3];
    assert_eq!(login.credential.key_id(), "email@bitwarden.com");
    assert_eq!(
        login.credential.primary_secret().expose(),
        "the account's password"
    );
    assert_eq!(login.url, "https://my.1password.com");
}

#[test]
fn bitwarden_json_spec_data_empty_imports_nothing_and_password_protected_is_refused() {
    let empty = try_import("bitwarden-empty.json", Format::BitwardenJson)
        .unwrap_or_else(|e| panic!("an empty export is valid: {e}"));
    assert!(empty.entries.is_empty());
    // Bitwarden's spec: a password-protected export fails, asking for the password.
    let err = try_import("bitwarden-password-protected.json", Format::BitwardenJson)
        .err()
        .unwrap_or_default();
    assert!(
        err.contains("encrypted") || err.contains("password"),
        "{err}"
    );
    assert!(
        !err.contains("sZs4Jc1HW9rhABzRRYR"),
        "no file content in the error: {err}"
    );
}

#[test]
fn keepass_2_xml_of_bitwardens_spec_keeps_entry_attributes_notes_and_group() {
    let entries = import("keepass2.xml", Format::KeepassXml);
    assert_eq!(names(&entries), ["Google"], "history entries are no keys");
    let google = &entries[0];
    assert_eq!(google.credential.key_id(), "googleuser");
    assert_eq!(google.credential.primary_secret().expose(), "googpass");
    assert_eq!(google.url, "google.com");
    assert_eq!(google.notes.trim_end(), "This is a note!!!\n\nline1\nline2");
    assert_eq!(field(google, "attr1"), "att1value\n\nline1\nline2");
    assert_eq!(field(google, "att2"), "att2value");
    assert!(
        google.tags.iter().any(|t| t.contains("Folder2")),
        "the group path is a tag: {:?}",
        google.tags
    );
}
