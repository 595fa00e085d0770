//! The KeePass importers against KeePassXC's own test databases (tests/testdata/transfer/
//! keepassxc, passwords from KeePassXC's tests), compared with what `keepassxc-cli export -f
//! csv` shows for the same files; bad files refused with PRODUCT §5's exit codes and the
//! vault left byte-for-byte unchanged.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{TimeZone, Utc};
use common::{Sandbox, have_keepassxc};
use keyward::secret::{SecretBytes, SecretString};
use keyward::transfer::{self, ExportOptions, Format, ImportOptions, TransferError};
use keyward::vault::{Credential, CustomField, Entry, Field, Vault};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/keepassxc")
        .join(name)
}

/// (database, password, key file) as KeePassXC's tests open them.
const DATABASES: [(&str, Option<&str>, Option<&str>); 12] = [
    ("Format300.kdbx", Some("a"), None),
    ("Format400.kdbx", Some("t"), None),
    ("Compressed.kdbx", Some(""), None),
    ("ProtectedStrings.kdbx", Some("masterpw"), None),
    ("NonAscii.kdbx", Some("Δöض"), None),
    ("NewDatabase.kdbx", Some("a"), None),
    ("FileKeyXml.kdbx", None, Some("FileKeyXml.key")),
    ("FileKeyXmlV2.kdbx", None, Some("FileKeyXmlV2.keyx")),
    ("FileKeyBinary.kdbx", None, Some("FileKeyBinary.key")),
    ("FileKeyHex.kdbx", None, Some("FileKeyHex.key")),
    ("FileKeyHashed.kdbx", None, Some("FileKeyHashed.key")),
    (
        "KeyFileProtected.kdbx",
        Some("a"),
        Some("KeyFileProtected.key"),
    ),
];

fn options(password: Option<&str>, key_file: Option<&str>) -> ImportOptions {
    ImportOptions {
        // No password with a key file: the empty password stands for "key file only".
        password: Some(SecretString::from(password.unwrap_or(""))),
        key_file: key_file.map(|k| SecretBytes::new(std::fs::read(data(k)).expect("key file"))),
        ..ImportOptions::default()
    }
}

fn import(
    file: &str,
    password: Option<&str>,
    key_file: Option<&str>,
) -> Result<Vec<Entry>, TransferError> {
    let bytes = std::fs::read(data(file)).expect("fixture");
    let format = if file.ends_with(".xml") {
        Format::KeepassXml
    } else {
        Format::Kdbx
    };
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("now");
    transfer::import(
        &bytes,
        &data(file),
        format,
        &options(password, key_file),
        now,
    )
    .map(|i| i.entries)
}

/// One row of `keepassxc-cli export -f csv`: group, title, username, password, URL, notes,
/// TOTP, created.
type Row = [String; 8];

fn keepassxc_rows(file: &str, password: Option<&str>, key_file: Option<&str>) -> Vec<Row> {
    let mut cmd = Command::new("keepassxc-cli");
    cmd.args(["export", "-q", "-f", "csv"]);
    if let Some(k) = key_file {
        cmd.arg("-k").arg(data(k));
    }
    if password.is_none() {
        cmd.arg("--no-password");
    }
    cmd.arg(data(file))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("keepassxc-cli");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{}", password.unwrap_or(""));
    }
    let out = child.wait_with_output().expect("keepassxc-cli output");
    assert!(
        out.status.success(),
        "keepassxc-cli export {file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let mut rows: Vec<Row> = reader
        .records()
        .map(|r| {
            let r = r.expect("csv row");
            let col = |i: usize| r.get(i).unwrap_or_default().to_owned();
            [
                col(0),
                col(1),
                col(2),
                col(3),
                col(4),
                col(5),
                col(6),
                col(9),
            ]
        })
        .collect();
    rows.sort();
    rows
}

/// Our import in the same shape: the group comes back as a tag (the path below the root).
fn our_rows(entries: &[Entry], root: &str) -> Vec<Row> {
    let mut rows: Vec<Row> = entries
        .iter()
        .map(|e| {
            // These databases have no KeePass tags: a tag is the group path.
            let group = match e.tags.as_slice() {
                [] => root.to_owned(),
                [path] => format!("{root}/{path}"),
                more => panic!("{}: unexpected tags {more:?}", e.name),
            };
            [
                group,
                e.name.to_string(),
                e.credential
                    .field(Field::Key)
                    .map(|v| v.expose().to_owned())
                    .unwrap_or_default(),
                e.credential.primary_secret().expose().to_owned(),
                e.url.clone(),
                e.notes.clone(),
                e.custom_fields
                    .iter()
                    .find(|f| f.name == keyward::vault::TOTP_FIELD)
                    .map(|f| f.value.expose().to_owned())
                    .unwrap_or_default(),
                e.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ]
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn keepassxc_test_databases_import_as_keepassxc_cli_shows_them() {
    let compare = have_keepassxc("keepassxc_test_databases_import_as_keepassxc_cli_shows_them");
    for (file, password, key_file) in DATABASES {
        let entries = import(file, password, key_file)
            .unwrap_or_else(|e| panic!("{file} did not import: {e}"));
        // The FileKey* databases hold no entries: opening them proves the key file's form.
        assert_eq!(entries.is_empty(), file.starts_with("FileKey"), "{file}");
        if compare {
            let theirs = keepassxc_rows(file, password, key_file);
            let root = theirs
                .iter()
                .map(|r| r[0].split('/').next().unwrap_or_default().to_owned())
                .min()
                .unwrap_or_default();
            assert_eq!(our_rows(&entries, &root), theirs, "{file}");
        }
    }
}

#[test]
fn groups_below_the_root_become_a_tag_holding_their_path() {
    let entries = import("NewDatabase.kdbx", Some("a"), None).expect("import");
    let sub = entries
        .iter()
        .find(|e| e.name == "Subgroup Entry")
        .expect("Subgroup Entry");
    assert_eq!(sub.tags, vec!["Homebanking/Subgroup".to_owned()]);
    let top = entries
        .iter()
        .find(|e| e.name == "Sample Entry")
        .expect("Sample Entry");
    assert!(top.tags.is_empty(), "{:?}", top.tags);
    // KeePassXC's NewDatabase.xml (another database) nests groups two deep.
    let xml = import("NewDatabase.xml", None, None).expect("xml import");
    let names: Vec<&str> = xml.iter().map(|e| e.name.as_str()).collect();
    // Its recycle bin's entry is left out.
    assert_eq!(names, ["Sample Entry 1", "Sample Entry 2", "Subsub Entry"]);
    let sub = xml
        .iter()
        .find(|e| e.name == "Subsub Entry")
        .expect("Subsub Entry");
    assert_eq!(sub.tags, vec!["Windows/Subsub".to_owned()]);
}

#[test]
fn keepass_1_reads_as_keepassxc_reads_it_without_its_meta_info_records() {
    // TestKeePass1Reader::testBasic's expectations for basic.kdb.
    let entries = import("basic.kdb", Some("masterpw"), None).expect("basic.kdb");
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.contains("Meta-Info")),
        "Meta-Info records imported: {names:?}"
    );
    let test = entries
        .iter()
        .find(|e| e.name == "Test entry")
        .expect("Test entry");
    assert_eq!(
        test.credential.field(Field::Key).map(|v| v.expose()),
        Some("I")
    );
    assert_eq!(test.credential.primary_secret().expose(), "secretpassword");
    assert_eq!(test.url, "http://example.com/");
    assert_eq!(test.notes, "Lorem ipsum\ndolor sit amet");
    assert_eq!(test.tags, vec!["Internet".to_owned()]);
    assert_eq!(
        test.expires_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        Some("2012-05-09 10:32".to_owned())
    );
    // Dates come from the file, not from the moment of the import.
    assert!(test.created_at.format("%Y").to_string().as_str() < "2026");
    // The entry with no title, no password and no expiry.
    let empty = entries
        .iter()
        .find(|e| e.tags == ["Internet"] && e.name != "Test entry")
        .expect("the empty entry");
    assert_eq!(empty.expires_at, None);
    assert!(entries.iter().any(|e| e.tags == ["eMail"]));
    assert!(
        entries
            .iter()
            // KeePass 1 keeps auto-type settings as notes lines, which stay notes here.
            .any(|e| e.tags == ["Internet/Subgroup 1"] && e.notes.ends_with("last line")),
        "{:?}",
        entries
            .iter()
            .map(|e| (&e.name, &e.tags))
            .collect::<Vec<_>>()
    );
    // KeePass 1 key files (TestKeePass1Reader::testFileKey, testCompositeKey).
    import("FileKeyHex.kdb", None, Some("FileKeyHex.key")).expect("key file only");
    import(
        "CompositeKey.kdb",
        Some("mypassword"),
        Some("FileKeyHex.key"),
    )
    .expect("both");
    assert!(matches!(
        import("CompositeKey.kdb", Some("mypassword"), None),
        Err(TransferError::WrongPassword { .. })
    ));
    // Its attachment is reported, not silently dropped.
    let bytes = std::fs::read(data("basic.kdb")).expect("fixture");
    let report = transfer::import(
        &bytes,
        &data("basic.kdb"),
        Format::Kdbx,
        &options(Some("masterpw"), None),
        Utc::now(),
    )
    .expect("import")
    .report;
    assert!(
        report.lines().iter().any(|l| l.contains("attachment")),
        "{:?}",
        report.lines()
    );
}

#[test]
fn broken_files_are_refused_as_keepassxc_refuses_them() {
    let damaged = |r: Result<Vec<Entry>, TransferError>, says: &str| match r {
        Err(e @ TransferError::Damaged { .. }) => {
            assert!(e.to_string().contains(says), "{e}");
        }
        Err(e) => panic!("not damaged: {e}"),
        Ok(_) => panic!("imported"),
    };
    damaged(
        import("BrokenHeaderHash.kdbx", Some(""), None),
        "header hash",
    );
    match import(
        "FileKeyXmlV2HashFail.kdbx",
        None,
        Some("FileKeyXmlV2HashFail.keyx"),
    ) {
        Err(e @ TransferError::KeyFile(_)) => assert!(e.to_string().contains("checksum"), "{e}"),
        other => panic!("bad checksum accepted: {:?}", other.map(|e| e.len())),
    }
    match import("FileKeyXml.kdbx", None, Some("FileKeyBinary.key")) {
        Err(TransferError::WrongPassword { .. }) => {}
        other => panic!("wrong key file accepted: {:?}", other.map(|e| e.len())),
    }
    for xml in ["BrokenNoRootGroup.xml", "BrokenTwoRoots.xml"] {
        match import(xml, None, None) {
            Err(e @ TransferError::Malformed { .. }) => {
                assert!(e.to_string().contains("<Root>"), "{xml}: {e}")
            }
            other => panic!("{xml} accepted: {:?}", other.map(|e| e.len())),
        }
    }
}

/// A copy of KDBX 4 `file` whose key derivation asks for hours of work: AES-KDF rounds (`R`)
/// or Argon2 passes (`I`), 8-byte values of the header's variant dictionary, set to 10⁹.
fn with_slow_kdf(file: &str) -> Vec<u8> {
    let mut bytes = std::fs::read(data(file)).expect("fixture");
    for name in [b'R', b'I'] {
        // Variant dictionary item: type 0x05 (UInt64), name length 1, the name, value length 8.
        let pattern = [0x05, 1, 0, 0, 0, name, 8, 0, 0, 0];
        if let Some(at) = bytes.windows(pattern.len()).position(|w| w == pattern) {
            let at = at + pattern.len();
            bytes[at..at + 8].copy_from_slice(&1_000_000_000u64.to_le_bytes());
            return bytes;
        }
    }
    panic!("{file} has no AES-KDF rounds or Argon2 passes in its header");
}

#[test]
fn bad_files_exit_with_the_spec_codes_and_leave_the_vault_unchanged() {
    let sandbox = Sandbox::with_vault();
    sandbox.add("existing", "keep-me", &[]);
    let before = sandbox.vault_bytes();
    let new_db = std::fs::read(data("NewDatabase.kdbx")).expect("fixture");
    std::fs::write(sandbox.path("truncated.kdbx"), &new_db[..new_db.len() / 2]).expect("write");
    std::fs::write(sandbox.path("slow.kdbx"), with_slow_kdf("Format400.kdbx")).expect("write");
    // KDBX 4 with one byte changed in its last data block (the empty end block is 36 bytes).
    let mut flipped = std::fs::read(data("Format400.kdbx")).expect("fixture");
    let at = flipped.len() - 50;
    flipped[at] ^= 1;
    std::fs::write(sandbox.path("flipped.kdbx"), &flipped).expect("write");
    std::fs::write(
        sandbox.path("malformed.xml"),
        "<KeePassFile><Root><Group><Entry></Group></Root></KeePassFile>",
    )
    .expect("write");
    let fixture = |name: &str| data(name).to_string_lossy().into_owned();
    let local = |name: &str| sandbox.path(name).to_string_lossy().into_owned();
    let cases: Vec<(Vec<String>, &str, i32, &str)> = vec![
        (
            vec![fixture("BrokenHeaderHash.kdbx")],
            "\n",
            3,
            "header hash",
        ),
        (
            vec![
                fixture("FileKeyXml.kdbx"),
                "--import-key-file".into(),
                fixture("FileKeyHex.key"),
            ],
            "\n",
            3,
            "wrong password",
        ),
        (
            vec![
                fixture("FileKeyXmlV2HashFail.kdbx"),
                "--import-key-file".into(),
                fixture("FileKeyXmlV2HashFail.keyx"),
            ],
            "\n",
            3,
            "checksum",
        ),
        (vec![local("truncated.kdbx")], "a\n", 3, "truncated"),
        (vec![local("flipped.kdbx")], "t\n", 3, "HMAC"),
        (vec![local("slow.kdbx")], "t\n", 3, "--allow-slow-kdf"),
        (
            vec![fixture("basic.kdb")],
            "not-masterpw\n",
            3,
            "wrong password",
        ),
    ];
    for (args, stdin, code, says) in cases {
        let mut all = vec!["import", "--format", "kdbx"];
        all.extend(args.iter().map(String::as_str));
        let run = sandbox.run_pw(&all, Some(stdin));
        run.expect_code(code).stderr_has(says).no_panic();
        assert_eq!(sandbox.vault_bytes(), before, "{args:?} changed the vault");
    }
    for xml in [fixture("BrokenNoRootGroup.xml"), local("malformed.xml")] {
        let run = sandbox.run_pw(&["import", "--format", "keepass-xml", &xml], None);
        run.expect_code(2).no_panic();
        assert_eq!(sandbox.vault_bytes(), before, "{xml} changed the vault");
    }
}

#[test]
fn key_file_databases_import_through_the_cli() {
    let sandbox = Sandbox::with_vault();
    let path = |name: &str| data(name).to_string_lossy().into_owned();
    let (db, key) = (path("KeyFileProtected.kdbx"), path("KeyFileProtected.key"));
    sandbox
        .run_pw(
            &["import", "--format", "kdbx", &db, "--import-key-file", &key],
            Some("a\n"),
        )
        .ok()
        .no_panic();
    assert_eq!(sandbox.names(), ["entry1", "entry2"]);
    assert_eq!(sandbox.get("entry1", "secret"), "password\n");
    // Key file only (an empty password line): it opens, and holds no keys.
    let (db, key) = (path("FileKeyXmlV2.kdbx"), path("FileKeyXmlV2.keyx"));
    sandbox
        .run_pw(
            &["import", "--format", "kdbx", &db, "--import-key-file", &key],
            Some("\n"),
        )
        .ok()
        .stderr_has("holds no keys");
}

fn tagged_vault() -> Vault {
    let now = Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("date");
    let mut vault = Vault::default();
    let mut e = Entry::new(
        "tagged",
        Credential::Token {
            token: "tok".into(),
        },
        now,
    );
    e.set_tags(["a,b", "c;d", "plain", "Exchanges/Spot"]);
    e.url = "https://api.example.com/v2?a=1&b=<2>".into();
    e.custom_fields = thin_vec::thin_vec![
        CustomField::totp("JBSWY3DPEHPK3PXP", "tagged"),
        CustomField::new("Account <id> & region", "eu-west, 42", false),
        CustomField::new("Webhook secret", "whsec;\"x\"", true),
    ];
    vault.add(e).expect("add");
    vault
}

#[test]
fn url_custom_fields_totp_and_tags_with_commas_survive_kdbx_and_xml_round_trips() {
    let vault = tagged_vault();
    let now = Utc::now();
    for format in [Format::Kdbx, Format::KeepassXml] {
        let exported = transfer::export(
            &vault,
            format,
            &ExportOptions {
                password: Some("pw".into()),
                ..ExportOptions::default()
            },
        )
        .expect("export");
        let lines = exported.report.lines();
        assert!(
            lines.iter().any(|w| w.contains("splits tags")),
            "{format}: {lines:?}"
        );
        let back = transfer::import(
            exported.bytes.expose(),
            Path::new("t"),
            format,
            &ImportOptions {
                password: Some("pw".into()),
                ..ImportOptions::default()
            },
            now,
        )
        .expect("import");
        let (ours, theirs) = (&vault.entries[0], &back.entries[0]);
        assert_eq!(theirs.tags, ours.tags, "{format}");
        assert_eq!(theirs.url, ours.url, "{format}");
        assert_eq!(theirs.custom_fields, ours.custom_fields, "{format}");
    }
}

#[test]
fn kdbx_export_with_a_new_key_file_opens_in_keepassxc() {
    let sandbox = Sandbox::with_vault();
    sandbox.add("deploy", "s3cret-token", &[]);
    let out = sandbox.path("keys.kdbx").to_string_lossy().into_owned();
    let key = sandbox.path("keys.keyx").to_string_lossy().into_owned();
    sandbox
        .run_pw(
            &[
                "export",
                "--format",
                "kdbx",
                "--out",
                &out,
                "--export-key-file",
                &key,
            ],
            Some("\n"),
        )
        .ok()
        .stderr_has("new key file")
        .leaks_none(&["s3cret-token"]);
    // keyward reads it back with the key file alone.
    let again = Sandbox::with_vault();
    again
        .run_pw(
            &[
                "import",
                "--format",
                "kdbx",
                &out,
                "--import-key-file",
                &key,
            ],
            Some("\n"),
        )
        .ok();
    assert_eq!(again.get("deploy", "secret"), "s3cret-token\n");
    if have_keepassxc("kdbx_export_with_a_new_key_file_opens_in_keepassxc") {
        let listed = Command::new("keepassxc-cli")
            .args(["ls", "-q", "--no-password", "-k", &key, &out])
            .stdin(Stdio::null())
            .output()
            .expect("keepassxc-cli");
        assert!(
            String::from_utf8_lossy(&listed.stdout).contains("deploy"),
            "{}",
            String::from_utf8_lossy(&listed.stderr)
        );
    }
}
