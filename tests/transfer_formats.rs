//! The Bitwarden, 1Password, dotenv and csv importers against other projects' own test data
//! (tests/testdata/transfer/pass-import, …/dotenv: sources and licences in their READMEs),
//! the exports' shapes (Bitwarden SSH key items, 1Password 8 header, formula guard), and bad
//! files through the real binary leaving the vault byte for byte unchanged.

mod common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use keyward::transfer::{self, ColumnMap, ExportOptions, Format, ImportOptions, Outcome};
use keyward::vault::{Credential, CustomField, Entry, TOTP_FIELD, Vault};
use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer")
        .join(name)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("date")
}

fn import_with(name: &str, format: Format, columns: Vec<ColumnMap>) -> transfer::Imported {
    let path = testdata(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    transfer::import(
        &bytes,
        &path,
        format,
        &ImportOptions {
            columns,
            ..ImportOptions::default()
        },
        now(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn import(name: &str, format: Format) -> transfer::Imported {
    import_with(name, format, Vec::new())
}

/// What pass-import's reference says of an entry, in keyward's terms.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Expected {
    name: String,
    key_id: String,
    secret: String,
    url: String,
    notes: String,
}

fn expected(reference: &str, skip: &[&str]) -> Vec<(Expected, Option<String>)> {
    let text = std::fs::read_to_string(testdata(reference)).expect("reference");
    let items: Vec<Value> = serde_json::from_str(&text).expect("reference JSON");
    let s = |item: &Value, key: &str| item[key].as_str().unwrap_or_default().to_owned();
    let mut out: Vec<(Expected, Option<String>)> = items
        .iter()
        .filter(|item| !skip.contains(&item["title"].as_str().unwrap_or_default()))
        .map(|item| {
            (
                Expected {
                    name: s(item, "title"),
                    key_id: s(item, "login"),
                    secret: s(item, "password"),
                    url: s(item, "url"),
                    notes: s(item, "comments"),
                },
                item["group"].as_str().map(str::to_owned),
            )
        })
        .collect();
    out.sort();
    out
}

fn got(entries: &[Entry]) -> Vec<(Expected, Vec<String>)> {
    let mut out: Vec<(Expected, Vec<String>)> = entries
        .iter()
        .map(|e| {
            (
                Expected {
                    name: e.name.to_string(),
                    key_id: e.credential.key_id().to_owned(),
                    secret: e.credential.primary_secret().expose().to_owned(),
                    url: e.url.clone(),
                    notes: e.notes.clone(),
                },
                e.tags.iter().map(|t| t.to_string()).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every expected entry is imported with its fields; the group is a tag when `groups`.
fn assert_matches_reference(file: &str, entries: &[Entry], skip: &[&str], groups: bool) {
    let want = expected("pass-import/main.expected.json", skip);
    let have = got(entries);
    assert_eq!(
        want.iter().map(|(e, _)| e).collect::<Vec<_>>(),
        have.iter().map(|(e, _)| e).collect::<Vec<_>>(),
        "{file}: the entries pass-import's main.yml lists"
    );
    if groups {
        for ((w, group), (_, tags)) in want.iter().zip(&have) {
            if let Some(group) = group {
                assert!(tags.contains(group), "{file}: {} is tagged {group}", w.name);
            }
        }
    }
}

fn report_text(imported: &transfer::Imported) -> String {
    imported.report.lines().join("\n")
}

#[test]
fn bitwarden_personal_and_organization_exports_match_pass_imports_reference() {
    for file in [
        "pass-import/bitwarden.json",
        "pass-import/bitwarden-org.json",
    ] {
        let imported = import(file, Format::BitwardenJson);
        // Two items are secure notes: keyward keeps keys, and says what it left out.
        assert_matches_reference(file, &imported.entries, &["empty entry", "note"], true);
        let report = report_text(&imported);
        assert!(
            report.contains(
                "left out 2 Bitwarden item(s) that are not logins or SSH keys: 2 secure note(s)"
            ),
            "{file}: {report}"
        );
        assert!(
            report.contains("secret: empty in the file: imported without one")
                && report.contains("(1 entry: 'empty password')"),
            "{file}: {report}"
        );
        let aib = imported
            .entries
            .iter()
            .find(|e| e.name == "aib")
            .expect("aib");
        let fields: Vec<(&str, &str, bool)> = aib
            .custom_fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.expose(), f.protected))
            .collect();
        assert_eq!(
            fields,
            [("pin", "462916", false), ("oldpin", "489019", false)],
            "{file}: text fields (type 0) kept"
        );
    }
}

#[test]
fn bitwarden_totp_uris_field_types_and_other_items_are_carried_or_reported() {
    let imported = import("pass-import/bitwarden-other.json", Format::BitwardenJson);
    let report = report_text(&imported);
    assert!(
        report.contains("left out 3 Bitwarden item(s) that are not logins or SSH keys: 1 secure note(s), 1 card(s), 1 identity(s)"),
        "{report}"
    );
    let names: Vec<&str> = imported.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["aib", "Some note only item", "test-item"]);
    let totp = |e: &Entry| {
        e.custom_fields
            .iter()
            .find(|f| f.name == TOTP_FIELD)
            .map(|f| (f.value.expose().to_owned(), f.protected))
    };
    let aib = &imported.entries[0];
    assert_eq!(
        totp(aib),
        Some((
            "otpauth://totp/aib?secret=S3K3TPI5MYA2M67V".to_owned(),
            true
        ))
    );
    assert_eq!(aib.tags, ["Bank"]);
    let note_only = &imported.entries[1];
    assert_eq!(note_only.notes, "Hello World!");
    assert!(note_only.credential.primary_secret().is_empty());
    assert!(
        report.contains(
            "favorite mark: not imported (2 entries: 'Some note only item', 'test-item')"
        ),
        "{report}"
    );
    let item = &imported.entries[2];
    assert_eq!(item.url, "https://test-uri-1");
    assert_eq!(item.credential.key_id(), "username");
    assert_eq!(item.credential.primary_secret().expose(), "password");
    assert_eq!(item.tags, ["Emails"]);
    let fields: Vec<(&str, &str, bool)> = item
        .custom_fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.expose(), f.protected))
        .collect();
    assert_eq!(
        fields,
        [
            (TOTP_FIELD, "otpauth://totp/test-item?secret=1019", true),
            ("my text field", "a value", false),
            ("my hidden field", "another value", true),
            ("a boolean field which is off", "false", false),
            ("a boolean field which is on", "true", false),
            ("URL 2", "https://test-uri-2", false),
        ]
    );
    assert_eq!(
        imported.report.entries_with(
            Outcome::Changed,
            "custom field 'a boolean field which is on'"
        ),
        1,
        "{report}"
    );
}

#[test]
fn bitwarden_null_collection_ids_and_ssh_key_items_import() {
    let json = r#"{"encrypted":false,"collections":[{"id":"c1","organizationId":"o","name":"Infra"}],
      "items":[
        {"id":"1","organizationId":"o","folderId":null,"type":1,"name":"deploy","notes":null,
         "favorite":false,"login":{"uris":null,"username":"ci","password":"tok","totp":null},
         "collectionIds":[null],"fields":null},
        {"id":"2","organizationId":"o","folderId":null,"type":5,"name":"signer","notes":null,
         "sshKey":{"privateKey":"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----",
                   "publicKey":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKWZWTn3gXjd0hLlZKxjHcl5Q8ChT93nmNyq9kgP757Y",
                   "keyFingerprint":"SHA256:jLQq0WpHa/cbpsZaGPlimIK0X/fi4SW2DGWPfk9IyiE"},
         "collectionIds":["c1",null]}
      ]}"#;
    let imported = transfer::import(
        json.as_bytes(),
        Path::new("org.json"),
        Format::BitwardenJson,
        &ImportOptions::default(),
        now(),
    )
    .expect("[null] collection ids are a real shape");
    assert_eq!(imported.entries.len(), 2);
    assert!(imported.entries[0].tags.is_empty());
    let signer = &imported.entries[1];
    assert_eq!(signer.tags, ["Infra"]);
    match &signer.credential {
        Credential::KeyPair {
            private_key,
            public_key,
            ..
        } => {
            assert!(
                private_key
                    .expose()
                    .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----")
            );
            assert!(public_key.starts_with("ssh-ed25519 AAAA"));
        }
        other => panic!("an SSH key item is a key pair, not {:?}", other.kind()),
    }
}

fn key_pair_vault() -> Vault {
    let pem = std::fs::read_to_string(testdata("openssh/ed25519.pem")).expect("pem");
    let mut e = Entry::new(
        "cdp-signer",
        Credential::KeyPair {
            key_id: "organizations/1/apiKeys/2".into(),
            private_key: "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----".into(),
            public_key: pem.trim().to_owned(),
        },
        now(),
    );
    e.url = "https://portal.cdp.coinbase.com/".into();
    e.set_tags(["infra, eu", "signing"]);
    e.custom_fields = thin_vec::thin_vec![
        CustomField::totp("JBSWY3DPEHPK3PXP", "cdp-signer"),
        CustomField::new("Region", "=HYPERLINK(\"http://x\")", false),
        CustomField::new("Recovery", "rc-1", true),
    ];
    let long = Entry::new(
        "long-token",
        Credential::Token {
            token: "t".repeat(700).into(),
        },
        now(),
    );
    let mut v = Vault::default();
    v.add(e).expect("add");
    v.add(long).expect("add");
    v
}

fn export(vault: &Vault, format: Format) -> (String, String) {
    let exported = transfer::export(
        vault,
        format,
        &ExportOptions {
            password: None,
            key_file: None,
        },
    )
    .unwrap_or_else(|e| panic!("{format}: {e}"));
    (
        String::from_utf8(exported.bytes.expose().to_vec()).expect("utf-8"),
        exported.report.lines().join("\n"),
    )
}

fn reimport(text: &str, format: Format) -> Vec<Entry> {
    transfer::import(
        text.as_bytes(),
        Path::new("back"),
        format,
        &ImportOptions::default(),
        now(),
    )
    .unwrap_or_else(|e| panic!("{format}: {e}"))
    .entries
}

#[test]
fn bitwarden_export_writes_ssh_key_items_and_names_what_its_server_refuses() {
    let vault = key_pair_vault();
    let (text, report) = export(&vault, Format::BitwardenJson);
    let json: Value = serde_json::from_str(&text).expect("json");
    let item = &json["items"][0];
    assert_eq!(item["type"], 5, "a key pair is an SSH key item");
    assert!(item.get("login").is_none());
    let fingerprint = std::fs::read_to_string(testdata("openssh/ed25519.fingerprint")).expect("fp");
    assert_eq!(item["sshKey"]["keyFingerprint"], fingerprint.trim());
    let line = std::fs::read_to_string(testdata("openssh/ed25519.pub")).expect("pub");
    assert_eq!(item["sshKey"]["publicKey"], line.trim());
    let token = &json["items"][1];
    assert_eq!(token["type"], 1);
    assert!(
        report
            .contains("password: too long for Bitwarden's server (1000 characters once encrypted"),
        "{report}"
    );
    assert!(report.contains("(1 entry: 'long-token')"), "{report}");
    // and back: every part, the URL, custom fields, TOTP and tags (commas too)
    let back = reimport(&text, Format::BitwardenJson);
    for (want, got) in vault.entries.iter().zip(&back) {
        assert_eq!(got.credential, want.credential, "{}", want.name);
        assert_eq!(got.url, want.url);
        assert_eq!(got.custom_fields, want.custom_fields);
        assert_eq!(got.tags, want.tags);
    }
}

#[test]
fn onepassword_exports_of_every_version_are_read_by_header_never_by_position() {
    // 1Password 8 and 4 carry no group; 1Password 6/7 name it in Type.
    for (file, groups) in [
        ("pass-import/1password8.csv", false),
        ("pass-import/1password4.csv", false),
        ("pass-import/1password.csv", true),
    ] {
        let imported = import(file, Format::OnePasswordCsv);
        assert_matches_reference(file, &imported.entries, &[], groups);
        assert!(
            imported
                .entries
                .iter()
                .all(|e| e.name != "Title" && e.name != "title"),
            "{file}: the header row is no key"
        );
    }
    let headerless = "Bank,https://bank.example,wendy,pw\n";
    let err = transfer::import(
        headerless.as_bytes(),
        Path::new("x.csv"),
        Format::OnePasswordCsv,
        &ImportOptions::default(),
        now(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(err.contains("not a 1Password header"), "{err}");
    assert!(!err.contains("wendy"), "{err}");
    // Windows/Mac 1Password 7 headers in capitals, columns in another order, Tags kept.
    let seven = "UUID,TITLE,PASSWORD,USERNAME,URL,NOTES,TAGS\nabc,GitHub,ghp_1,me,https://github.com,n,\"ci,deploy\"\n";
    let e = &reimport(seven, Format::OnePasswordCsv)[0];
    assert_eq!(e.name, "GitHub");
    assert_eq!(e.credential.primary_secret().expose(), "ghp_1");
    assert_eq!(e.credential.key_id(), "me");
    assert_eq!(e.tags, ["ci", "deploy"]);
    assert!(
        e.custom_fields.is_empty(),
        "UUID is 1Password's id, no field"
    );
}

#[test]
fn onepassword_export_uses_the_1password_8_header_and_guards_formulas() {
    let vault = key_pair_vault();
    let (text, report) = export(&vault, Format::OnePasswordCsv);
    assert!(
        text.starts_with("\"Title\",\"Url\",\"Username\",\"Password\",\"OTPAuth\",\"Favorite\",\"Archived\",\"Tags\",\"Notes\",\"passphrase\",\"private key\",\"public key\",\"Region\",\"Recovery\"\n"),
        "{text}"
    );
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "formula guarded: {text}"
    );
    assert!(text.contains("\"'-----BEGIN PRIVATE KEY-----"), "{text}");
    assert!(report.contains("Region: starts with = + - @"), "{report}");
    assert!(
        report.contains("Private Key: starts with = + - @"),
        "{report}"
    );
    let back = reimport(&text, Format::OnePasswordCsv);
    for (want, got) in vault.entries.iter().zip(&back) {
        assert_eq!(got.credential, want.credential, "{}", want.name);
        assert_eq!(got.url, want.url);
        assert_eq!(got.tags, want.tags, "tags with commas come back whole");
        assert_eq!(
            got.notes, want.notes,
            "the guard is removed on the way back"
        );
        let fields: Vec<(&str, &str)> = got
            .custom_fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.expose()))
            .collect();
        let wanted: Vec<(&str, &str)> = want
            .custom_fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.expose()))
            .collect();
        assert_eq!(fields, wanted);
    }
}

/// The values dotenv's tests/test-parse.js and test-parse-multiline.js assert.
const DOTENV_BASIC: [(&str, &str); 40] = [
    ("BASIC", "basic"),
    ("AFTER_LINE", "after_line"),
    ("EMPTY", ""),
    ("EMPTY_SINGLE_QUOTES", ""),
    ("EMPTY_DOUBLE_QUOTES", ""),
    ("EMPTY_BACKTICKS", ""),
    ("SINGLE_QUOTES", "single_quotes"),
    ("SINGLE_QUOTES_SPACED", "    single quotes    "),
    ("DOUBLE_QUOTES", "double_quotes"),
    ("DOUBLE_QUOTES_SPACED", "    double quotes    "),
    (
        "DOUBLE_QUOTES_INSIDE_SINGLE",
        "double \"quotes\" work inside single quotes",
    ),
    (
        "DOUBLE_QUOTES_WITH_NO_SPACE_BRACKET",
        "{ port: $MONGOLAB_PORT}",
    ),
    (
        "SINGLE_QUOTES_INSIDE_DOUBLE",
        "single 'quotes' work inside double quotes",
    ),
    (
        "BACKTICKS_INSIDE_SINGLE",
        "`backticks` work inside single quotes",
    ),
    (
        "BACKTICKS_INSIDE_DOUBLE",
        "`backticks` work inside double quotes",
    ),
    ("BACKTICKS", "backticks"),
    ("BACKTICKS_SPACED", "    backticks    "),
    (
        "DOUBLE_QUOTES_INSIDE_BACKTICKS",
        "double \"quotes\" work inside backticks",
    ),
    (
        "SINGLE_QUOTES_INSIDE_BACKTICKS",
        "single 'quotes' work inside backticks",
    ),
    (
        "DOUBLE_AND_SINGLE_QUOTES_INSIDE_BACKTICKS",
        "double \"quotes\" and single 'quotes' work inside backticks",
    ),
    ("EXPAND_NEWLINES", "expand\nnew\nlines"),
    ("DONT_EXPAND_UNQUOTED", "dontexpand\\nnewlines"),
    ("DONT_EXPAND_SQUOTED", "dontexpand\\nnewlines"),
    ("INLINE_COMMENTS", "inline comments"),
    (
        "INLINE_COMMENTS_SINGLE_QUOTES",
        "inline comments outside of #singlequotes",
    ),
    (
        "INLINE_COMMENTS_DOUBLE_QUOTES",
        "inline comments outside of #doublequotes",
    ),
    (
        "INLINE_COMMENTS_BACKTICKS",
        "inline comments outside of #backticks",
    ),
    ("INLINE_COMMENTS_SPACE", "inline comments start with a"),
    ("EQUAL_SIGNS", "equals=="),
    ("RETAIN_INNER_QUOTES", "{\"foo\": \"bar\"}"),
    ("RETAIN_INNER_QUOTES_AS_STRING", "{\"foo\": \"bar\"}"),
    ("RETAIN_INNER_QUOTES_AS_BACKTICKS", "{\"foo\": \"bar's\"}"),
    ("TRIM_SPACE_FROM_UNQUOTED", "some spaced out string"),
    ("USERNAME", "therealnerdybeast@example.tld"),
    ("SPACED_KEY", "parsed"),
    ("EXPORT_IS_DECLARED", "parsed"),
    ("EXPORT_IS_DECLARED_WITH_SPACING", "parsed"),
    ("EXPORT_IS_DECLARED_WITH_SOME_VALUE", "some_value"),
    ("EXPORT_IS_DECLARED_WITH_SOME_VALUE_SPACED", "some_value"),
    (
        "EXPORT_IS_DECLARED_WITH_SOME_VALUE_AND_SPACING",
        "some_value",
    ),
];

fn dotenv_values(file: &str) -> Vec<(String, String)> {
    import(file, Format::Dotenv)
        .entries
        .iter()
        .map(|e| {
            (
                e.name.to_string(),
                e.credential.primary_secret().expose().to_owned(),
            )
        })
        .collect()
}

#[test]
fn dotenv_reads_dotenvs_own_test_files_as_dotenv_does() {
    let got = dotenv_values("dotenv/basic.env");
    for (name, value) in DOTENV_BASIC {
        let found = got.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(found, Some(value), "{name}");
    }
    assert!(
        got.iter().all(|(n, _)| n != "COMMENTS"),
        "commented lines are skipped"
    );
    assert_eq!(got.len(), DOTENV_BASIC.len());

    let multi = dotenv_values("dotenv/multiline.env");
    let get = |name: &str| {
        multi
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert_eq!(get("MULTI_DOUBLE_QUOTED"), "THIS\nIS\nA\nMULTILINE\nSTRING");
    assert_eq!(get("MULTI_SINGLE_QUOTED"), "THIS\nIS\nA\nMULTILINE\nSTRING");
    assert_eq!(
        get("MULTI_BACKTICKED"),
        "THIS\nIS\nA\n\"MULTILINE'S\"\nSTRING"
    );
    let pem = get("MULTI_PEM_DOUBLE_QUOTED");
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMIIBIjAN"));
    assert!(pem.ends_with("u4QuUoobAgMBAAE=\n-----END PUBLIC KEY-----"));

    let bom = dotenv_values("dotenv/bom.env");
    assert_eq!(bom.first().map(|(n, _)| n.as_str()), Some("BASIC"));

    for (text, want) in [
        ("SERVER=localhost\rPASSWORD=password\rDB=tests\r", "tests"),
        (
            "SERVER=localhost\r\nPASSWORD=password\r\nDB=tests\r\n",
            "tests",
        ),
    ] {
        let entries = reimport(text, Format::Dotenv);
        assert_eq!(entries.len(), 3, "{text:?}");
        assert_eq!(entries[2].credential.primary_secret().expose(), want);
    }
}

#[test]
fn generic_csv_maps_only_what_is_mapped_or_documented_and_reports_the_rest() {
    // Bitwarden's CSV has a `type` column ("login"): not a key kind, so no --map type=ignore.
    let maps = transfer::parse_column_maps(&[
        "login_username=key".into(),
        "login_password=secret".into(),
        "login_uri=url".into(),
        "folder=tags".into(),
    ])
    .expect("maps");
    let imported = import_with("pass-import/bitwarden.csv", Format::Csv, maps);
    assert_eq!(imported.entries.len(), 14);
    let aib = imported
        .entries
        .iter()
        .find(|e| e.name == "aib")
        .expect("aib");
    assert_eq!(aib.credential.key_id(), "dpbx@fner.ws");
    assert_eq!(aib.url, "https://onlinebanking.aib.ie");
    assert_eq!(aib.tags, ["Bank"]);
    let report = report_text(&imported);
    assert!(report.contains("column 'type' (not mapped"), "{report}");
    assert!(report.contains("column 'fields' (not mapped"), "{report}");
}

#[test]
fn bad_files_leave_the_vault_byte_for_byte_unchanged_with_exit_2() {
    let sandbox = common::Sandbox::with_vault();
    sandbox.add("existing", "s3cret-value", &[]);
    let before = std::fs::read(&sandbox.vault).expect("vault");
    let cases = [
        (
            "bad.env",
            "dotenv",
            "GOOD=1\nTOKEN=\"s3cr3t-unclosed\n",
            "line 2",
        ),
        (
            "garbage.env",
            "dotenv",
            "GOOD=1\nthis is no variable\n",
            "line 2",
        ),
        (
            "headerless.csv",
            "1password-csv",
            "Bank,https://b,wendy,pw\n",
            "not a 1Password header",
        ),
        (
            "bw.json",
            "bitwarden-json",
            "{\"encrypted\":false,\"items\":[{\"type\":1,",
            "truncated",
        ),
    ];
    for (name, format, content, says) in cases {
        let file = sandbox.write_file(name, content);
        let file = file.to_string_lossy().into_owned();
        let run = sandbox.run_pw(&["import", "--format", format, file.as_str()], None);
        run.expect_code(2)
            .stderr_has(says)
            .leaks_none(&["s3cr3t-unclosed", "wendy"]);
        assert_eq!(
            std::fs::read(&sandbox.vault).expect("vault"),
            before,
            "{name}: the vault is unchanged"
        );
    }
}

#[test]
fn show_masks_protected_fields_and_get_reads_them_by_name() {
    let sandbox = common::Sandbox::with_vault();
    let file = testdata("pass-import/bitwarden-other.json");
    let file = file.to_string_lossy().into_owned();
    sandbox
        .run_pw(
            &["import", "--format", "bitwarden-json", file.as_str()],
            None,
        )
        .ok();
    let show = sandbox.run_pw(&["show", "test-item"], None);
    show.ok().leaks_none(&["another value", "otpauth://"]);
    assert!(
        show.stdout.contains("https://test-uri-1"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("a value"), "a plain field is shown");
    assert!(
        show.stdout
            .contains("•••••••• (protected; `keyward get --field 'field:my hidden field'`)"),
        "{}",
        show.stdout
    );
    let json = sandbox.run_pw(&["show", "test-item", "--json"], None);
    json.ok().leaks_none(&["another value"]);
    assert_eq!(json.json()["url"], "https://test-uri-1");
    let get = sandbox.run_pw(
        &["get", "test-item", "--field", "field:My Hidden Field"],
        None,
    );
    get.ok();
    assert_eq!(get.stdout, "another value\n");
    sandbox
        .run_pw(&["get", "test-item", "--field", "field:nope"], None)
        .expect_code(5)
        .stderr_has("has no custom field 'nope'");
}
