//! End to end: `keyward export` / `keyward import` run as a process, checked against the real
//! `keepassxc-cli` (Debian package `keepassxc`). Without it these tests fail under CI
//! (`CI=true`) and skip with a printed reason elsewhere.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{TimeZone, Utc};
use keyward::secret::SecretString;
use keyward::store::{KdfParams, VaultFile};
use keyward::vault::{Credential, Entry, Field, Vault};

const MASTER: &str = "master-pw";
const EXPORT_PW: &str = "export pw, with \"quotes\" ünd spaces";
const FIXTURES: &str = "tests/testdata/transfer/keepassxc-2.7.4";

const BINANCE_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const BINANCE_SECRET: &str = "s3cr\"et,with;specials<&>'\\ and, commas";
const OKX_NAME: &str = "OKX bot, \"grid\" strategy";
const OKX_PASSPHRASE: &str = "correct,horse;\"battery\" Straße 東京 🔑";
const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----";
const PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----";

fn long_token() -> String {
    let mut t = String::from("ghp_");
    while t.len() < 20_000 {
        t.push_str("R8xk2Jd9Lq0vTz7WmN3bYc5Fp1Hs6Ue4Ga2K");
    }
    t
}

/// A vault holding the awkward values the issue lists; 2 of its keys have expired.
fn awkward_vault() -> Vault {
    let at = |y, m, d| {
        Utc.with_ymd_and_hms(y, m, d, 10, 0, 0)
            .single()
            .expect("date")
    };
    let mut v = Vault::default();
    let mut binance = Entry::new(
        "Binance main",
        Credential::SharedSecret {
            key_id: BINANCE_KEY.into(),
            secret: BINANCE_SECRET.into(),
            passphrase: None,
        },
        at(2026, 1, 10),
    );
    binance.provider = "binance".into();
    binance.set_tags(["prod", "trading"]);
    binance.set_permissions(["read", "trade"]);
    binance.ip_whitelist = thin_vec::thin_vec![
        "203.0.113.10".parse().expect("ip"),
        "198.51.100.0/24".parse().expect("net"),
    ];
    binance.expires_at = Some(at(2099, 1, 10));
    binance.notes = "line one, \"quoted\"\nline two: Straße".into();
    let mut okx = Entry::new(
        OKX_NAME,
        Credential::SharedSecret {
            key_id: "8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b".into(),
            secret: "A1B2C3D4E5F60718293A4B5C6D7E8F90".into(),
            passphrase: Some(OKX_PASSPHRASE.into()),
        },
        at(2025, 11, 2),
    );
    okx.purpose = "grid bot\nsecond line of purpose".into();
    let coinbase = Entry::new(
        "Coinbase CDP",
        Credential::KeyPair {
            key_id: "organizations/abc/apiKeys/def".into(),
            private_key: PEM.into(),
            public_key: PUBLIC_PEM.into(),
        },
        at(2026, 2, 1),
    );
    let mut github = Entry::new(
        "GitHub deploy token",
        Credential::Token {
            token: long_token().into(),
        },
        at(2024, 3, 15),
    );
    github.expires_at = Some(at(2026, 3, 15));
    let mut old = Entry::new(
        "Old expired",
        Credential::Token {
            token: "tok_old".into(),
        },
        at(2019, 1, 1),
    );
    old.expires_at = Some(at(2020, 1, 1));
    for e in [binance, okx, coinbase, github, old] {
        v.add(e).expect("add");
    }
    v
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new(vault: &Vault) -> Env {
        let env = Env {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::write(env.path("master"), format!("{MASTER}\n")).expect("pw file");
        std::fs::write(env.path("export-pw"), format!("{EXPORT_PW}\n")).expect("pw file");
        let kdf = KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        VaultFile::create(&env.vault(), SecretString::from(MASTER), kdf, vault).expect("vault");
        env
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn vault(&self) -> PathBuf {
        self.path("vault.keyward")
    }

    fn keyward(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
            .args(args)
            .env("KEYWARD_VAULT", self.vault())
            .env("KEYWARD_PASSWORD_FILE", self.path("master"))
            .env_remove("KEYWARD_PASSWORD_COMMAND")
            .env_remove("KEYWARD_EXPORT_PASSWORD_FILE")
            .env_remove("KEYWARD_IMPORT_PASSWORD_FILE")
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run keyward");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("stdin");
        }
        child.wait_with_output().expect("wait")
    }

    fn open(&self) -> Vault {
        VaultFile::open(&self.vault(), SecretString::from(MASTER))
            .expect("open vault")
            .1
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// True when `keepassxc-cli` can run. Under CI a missing tool is a failure, not a skip.
/// Runs `keepassxc-cli` with the database password on stdin.
fn kpx(args: &[&str], password: &str) -> Output {
    let mut child = Command::new("keepassxc-cli")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run keepassxc-cli");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(format!("{password}\n").as_bytes())
            .expect("stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "keepassxc-cli {args:?} failed: {}",
        stderr(&out)
    );
    out
}

/// `show -a ATTRIBUTE` prints the exact value and a newline.
fn kpx_attribute(db: &Path, password: &str, entry: &str, attribute: &str) -> String {
    let db = db.to_string_lossy();
    let out = kpx(&["show", "-q", "-a", attribute, &db, entry], password);
    let text = stdout(&out);
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

/// Checks a KeePassXC database against [`awkward_vault`].
fn check_in_keepassxc(db: &Path, password: &str) {
    let dbs = db.to_string_lossy();
    let listing = stdout(&kpx(&["ls", "-R", "-q", &dbs], password));
    let vault = awkward_vault();
    for e in &vault.entries {
        assert!(
            listing.lines().any(|l| l.trim() == e.name),
            "{} not listed:\n{listing}",
            e.name
        );
    }
    let show = |entry: &str, attr: &str| kpx_attribute(db, password, entry, attr);
    assert_eq!(show("Binance main", "API Key"), BINANCE_KEY);
    assert_eq!(show("Binance main", "API Secret"), BINANCE_SECRET);
    assert_eq!(show("Binance main", "UserName"), BINANCE_KEY);
    assert_eq!(show("Binance main", "Password"), BINANCE_SECRET);
    let notes = show("Binance main", "Notes");
    for line in [
        "Provider: binance",
        "Permissions: read, trade",
        "IP whitelist: 203.0.113.10, 198.51.100.0/24",
        "line one, \"quoted\"\nline two: Straße",
    ] {
        assert!(notes.contains(line), "notes lack {line:?}:\n{notes}");
    }
    assert_eq!(show(OKX_NAME, "Passphrase"), OKX_PASSPHRASE);
    assert_eq!(show("Coinbase CDP", "Private Key"), PEM);
    assert_eq!(show("Coinbase CDP", "Public Key"), PUBLIC_PEM);
    assert_eq!(show("GitHub deploy token", "Password"), long_token());
    let info = stdout(&kpx(&["db-info", "-q", &dbs], password));
    assert!(info.contains("Number of entries: 5"), "db-info:\n{info}");
    assert!(
        info.contains("Number of expired entries: 2"),
        "db-info:\n{info}"
    );
}

/// `keyward export --format kdbx --out keys.kdbx` with the export password of `Env`.
fn export_kdbx(env: &Env) -> Output {
    env.keyward(
        &[
            "export",
            "--format",
            "kdbx",
            "--out",
            "keys.kdbx",
            "--export-password-file",
            "export-pw",
        ],
        "",
    )
}

#[test]
fn kdbx_export_opens_in_keepassxc_with_every_value() {
    if !common::have_keepassxc("kdbx_export_opens_in_keepassxc_with_every_value") {
        return;
    }
    let env = Env::new(&awkward_vault());
    let out = export_kdbx(&env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning:"), "{}", stderr(&out));
    let db = env.path("keys.kdbx");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    check_in_keepassxc(&db, EXPORT_PW);
    let info = stdout(&kpx(&["db-info", "-q", &db.to_string_lossy()], EXPORT_PW));
    assert!(info.contains("Cipher: ChaCha20"), "{info}");
    assert!(
        info.contains("KDF: Argon2id (3 rounds, 65536 KB)"),
        "{info}"
    );
}

#[test]
fn kdbx_export_password_from_stdin_after_the_master_password() {
    if !common::have_keepassxc("kdbx_export_password_from_stdin_after_the_master_password") {
        return;
    }
    let env = Env::new(&awkward_vault());
    std::fs::remove_file(env.path("master")).expect("rm");
    let out = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(["export", "--format", "kdbx", "--out", "stdin.kdbx"])
        .env("KEYWARD_VAULT", env.vault())
        .env_remove("KEYWARD_PASSWORD_FILE")
        .env_remove("KEYWARD_PASSWORD_COMMAND")
        .env_remove("KEYWARD_EXPORT_PASSWORD_FILE")
        .current_dir(env.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            if let Some(mut i) = c.stdin.take() {
                i.write_all(format!("{MASTER}\nstdin-export-pw\n").as_bytes())?;
            }
            c.wait_with_output()
        })
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let listing = stdout(&kpx(
        &["ls", "-q", &env.path("stdin.kdbx").to_string_lossy()],
        "stdin-export-pw",
    ));
    assert!(listing.contains("Binance main"), "{listing}");
}

#[test]
fn keepass_xml_export_imports_into_keepassxc_with_the_same_values() {
    if !common::have_keepassxc("keepass_xml_export_imports_into_keepassxc_with_the_same_values") {
        return;
    }
    let env = Env::new(&awkward_vault());
    let out = env.keyward(
        &["export", "--format", "keepass-xml", "--out", "keys.xml"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("PLAINTEXT"), "{}", stderr(&out));
    let xml = env.path("keys.xml");
    let db = env.path("from-xml.kdbx");
    let mut child = Command::new("keepassxc-cli")
        .args(["import", "-q", "-p"])
        .arg(&xml)
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keepassxc-cli import");
    if let Some(mut i) = child.stdin.take() {
        i.write_all(b"xml-pw\nxml-pw\n").expect("stdin");
    }
    let imported = child.wait_with_output().expect("wait");
    assert!(imported.status.success(), "import: {}", stderr(&imported));
    check_in_keepassxc(&db, "xml-pw");
}

#[test]
fn fixtures_import_through_the_cli() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let cases = [
        ("kdbx", "api-keys.kdbx"),
        ("keepass-xml", "api-keys.xml"),
        ("keepassxc-csv", "api-keys.csv"),
    ];
    for (format, file) in cases {
        let env = Env::new(&Vault::default());
        std::fs::write(env.path("fixture-pw"), "fixture-password\n").expect("pw");
        let path = fixtures.join(file).to_string_lossy().into_owned();
        let mut args = vec!["import", "--format", format, path.as_str()];
        if format == "kdbx" {
            args.extend(["--import-password-file", "fixture-pw"]);
        }
        let out = env.keyward(&args, "");
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let v = env.open();
        assert_eq!(v.entries.len(), 3, "{file}");
        let binance = v.get("Binance main").expect("Binance main");
        assert_eq!(
            binance.credential.field(Field::Key).map(|f| f.expose()),
            Some(BINANCE_KEY)
        );
        assert!(
            binance
                .credential
                .primary_secret()
                .expose()
                .starts_with("NhqPtmdS")
        );
        if format != "keepassxc-csv" {
            assert_eq!(
                v.get(OKX_NAME)
                    .and_then(|e| e.credential.field(Field::Passphrase))
                    .map(|p| p.expose()),
                Some("correct,horse;\"battery\"")
            );
            // Its KeePass tags, and its group ("Exchanges") as a tag (issue 10: groups become
            // tags holding the group path).
            assert_eq!(binance.tags, vec!["Exchanges", "prod", "trading"]);
            assert!(
                v.get("GitHub deploy token")
                    .and_then(|e| e.expires_at)
                    .is_some()
            );
        }
    }
}

#[test]
fn bad_files_fail_with_the_spec_exit_code_and_leave_the_vault_untouched() {
    let env = Env::new(&awkward_vault());
    std::fs::write(env.path("wrong-pw"), "not-the-password\n").expect("pw");
    let before = std::fs::read(env.vault()).expect("vault bytes");
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/transfer");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES);
    let cases: [(&str, PathBuf, i32, &str); 10] = [
        ("kdbx", fixtures.join("api-keys.kdbx"), 3, "wrong password"),
        ("kdbx", testdata.join("missing.kdbx"), 2, "cannot read"),
        (
            "kdbx",
            testdata.join("api-keys-truncated.kdbx"),
            3,
            "api-keys-truncated.kdbx",
        ),
        (
            "kdbx",
            testdata.join("not-a-database.kdbx"),
            3,
            "not a KeePass database",
        ),
        (
            "keepassxc-csv",
            testdata.join("keepassxc-open-quote.csv"),
            2,
            "never closed",
        ),
        (
            "bitwarden-json",
            testdata.join("bitwarden-truncated.json"),
            2,
            "truncated",
        ),
        (
            "bitwarden-json",
            testdata.join("bitwarden-wrong-type.json"),
            2,
            "line 1",
        ),
        (
            "keepass-xml",
            testdata.join("keepass-truncated.xml"),
            2,
            "truncated",
        ),
        (
            "keepass-xml",
            testdata.join("keepass-mismatched.xml"),
            2,
            "line 2",
        ),
        ("dotenv", testdata.join("missing.env"), 2, "cannot read"),
    ];
    for (format, path, code, says) in cases {
        let p = path.to_string_lossy().into_owned();
        let mut args = vec![
            "import",
            "--format",
            format,
            p.as_str(),
            "--on-clash",
            "rename",
        ];
        if format == "kdbx" {
            args.extend(["--import-password-file", "wrong-pw"]);
        }
        let out = env.keyward(&args, "");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{p}: {err}");
        assert!(err.contains(says), "{p}: {err}");
        for secret in [
            "TRUNCATED-SECRET",
            "WRONG-TYPE-SECRET",
            "MISMATCH-SECRET",
            "vmPUZE",
        ] {
            assert!(!err.contains(secret), "{p}: quotes a value: {err}");
        }
        assert_eq!(
            std::fs::read(env.vault()).expect("vault bytes"),
            before,
            "{p}: the vault changed"
        );
    }
}

#[test]
fn a_kdbx_failing_its_hmac_imports_nothing_and_leaves_the_vault_untouched() {
    // keyward's export writes one HMAC block: it is read as it is decrypted, so entries are
    // parsed before its HMAC is compared at the end; none may reach the vault.
    let env = Env::new(&awkward_vault());
    let out = export_kdbx(&env);
    assert!(out.status.success(), "{}", stderr(&out));
    let good = std::fs::read(env.path("keys.kdbx")).expect("export");
    let before = std::fs::read(env.vault()).expect("vault bytes");
    // Near the end of the block (past every entry) and near its start (the parse fails).
    for at in [good.len() - 100, good.len() / 2] {
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        std::fs::write(env.path("bad.kdbx"), &bad).expect("write");
        let out = env.keyward(
            &[
                "import",
                "--format",
                "kdbx",
                "bad.kdbx",
                "--on-clash",
                "rename",
                "--import-password-file",
                "export-pw",
            ],
            "",
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "byte {at}: {err}");
        assert!(err.contains("HMAC"), "byte {at}: {err}");
        assert!(stdout(&out).is_empty(), "byte {at}: a plan was shown");
        assert_eq!(
            std::fs::read(env.vault()).expect("vault bytes"),
            before,
            "byte {at}: the vault changed"
        );
    }
    // The intact file imports (so the flips above are what was refused).
    let out = env.keyward(
        &[
            "import",
            "--format",
            "kdbx",
            "keys.kdbx",
            "--on-clash",
            "rename",
            "--import-password-file",
            "export-pw",
            "--dry-run",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn clashes_dry_run_and_rules() {
    let env = Env::new(&awkward_vault());
    let out = env.keyward(
        &["export", "--format", "bitwarden-json", "--out", "bw.json"],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let before = std::fs::read(env.vault()).expect("vault");

    // Default: refuse, list the clashes, exit 2, vault untouched.
    let out = env.keyward(&["import", "--format", "bitwarden-json", "bw.json"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("5 name(s) already taken"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(env.vault()).expect("vault"), before);

    // Dry run with a rule: the plan on stdout, the vault untouched.
    let out = env.keyward(
        &[
            "import",
            "--format",
            "bitwarden-json",
            "bw.json",
            "--dry-run",
            "--on-clash",
            "rename",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("rename   Binance main -> Binance main (copy)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(env.vault()).expect("vault"), before);

    let out = env.keyward(
        &[
            "import",
            "--format",
            "bitwarden-json",
            "bw.json",
            "--on-clash",
            "skip",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.open().entries.len(), 5);

    let out = env.keyward(
        &[
            "import",
            "--format",
            "bitwarden-json",
            "bw.json",
            "--on-clash",
            "rename",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = env.open();
    assert_eq!(v.entries.len(), 10);
    assert_eq!(
        v.get("Binance main (copy)")
            .map(|e| e.credential.primary_secret().expose().to_owned()),
        Some(BINANCE_SECRET.to_owned())
    );
    assert_eq!(
        v.get("OKX bot, \"grid\" strategy (copy)")
            .map(|e| e.purpose.clone()),
        Some("grid bot\nsecond line of purpose".to_owned())
    );

    let out = env.keyward(
        &[
            "import",
            "--format",
            "bitwarden-json",
            "bw.json",
            "--on-clash",
            "replace",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.open().entries.len(), 10);
}

#[test]
fn exports_refuse_to_overwrite_and_warn_about_what_is_lost() {
    let env = Env::new(&awkward_vault());
    std::fs::write(env.path("taken.csv"), "keep me").expect("write");
    let out = env.keyward(
        &["export", "--format", "keepassxc-csv", "--out", "taken.csv"],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(env.path("taken.csv")).expect("read"),
        b"keep me"
    );

    let out = env.keyward(
        &[
            "export",
            "--format",
            "keepassxc-csv",
            "--out",
            "taken.csv",
            "--force",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("PLAINTEXT"), "{err}");
    // passphrases and public keys are named as not exported, with the keys that lose them
    assert!(
        err.contains(
            "passphrase: not exported: the format has no custom fields (1 entry: 'OKX bot"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "public-key: not exported: the format has no custom fields (1 entry: 'Coinbase CDP')"
        ),
        "{err}"
    );
    let csv = std::fs::read_to_string(env.path("taken.csv")).expect("csv");
    assert!(csv.starts_with(
        "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n"
    ));

    for (format, file) in [("1password-csv", "1p.csv"), ("bitwarden-json", "bw.json")] {
        let out = env.keyward(&["export", "--format", format, "--out", file], "");
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert!(stderr(&out).contains("PLAINTEXT"), "{format}");
    }
    let out = env.keyward(&["export", "--format", "dotenv", "--out", "x.env"], "");
    assert_eq!(out.status.code(), Some(2), "dotenv is import-only");
    assert!(!env.path("x.env").exists());
    let out = env.keyward(&["export", "--format", "kdbx", "--out", "nopw.kdbx"], "");
    assert_eq!(out.status.code(), Some(2), "no export password on stdin");
    assert!(!env.path("nopw.kdbx").exists());
}

#[test]
fn dotenv_and_mapped_csv_through_the_cli() {
    let env = Env::new(&Vault::default());
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/transfer");
    let dotenv = testdata.join("sample.env").to_string_lossy().into_owned();
    let out = env.keyward(&["import", "--format", "dotenv", &dotenv], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = testdata.join("mapped.csv").to_string_lossy().into_owned();
    let out = env.keyward(
        &[
            "import",
            "--format",
            "csv",
            &csv,
            "--map",
            "Label=name",
            "--map",
            "Exchange=provider",
            "--map",
            "Key ID=key",
            "--map",
            "Secret Key=secret",
            "--map",
            "Whitelist=allow",
            "--map",
            "Valid Until=expires",
            "--map",
            "Comment=notes",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v = env.open();
    assert_eq!(v.entries.len(), 5);
    assert_eq!(
        v.get("GITHUB_TOKEN")
            .map(|e| e.credential.primary_secret().expose().to_owned()),
        Some("ghp_env_token_123".to_owned())
    );
    assert_eq!(v.get("binance-bot").map(|e| e.ip_whitelist.len()), Some(2));
    let out = env.keyward(
        &["import", "--format", "csv", &csv, "--map", "Nope=name"],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
