//! Library-level proofs for `keyward::transfer`:
//! - round trips keyward → format → keyward keep every field each format can carry, over
//!   vaults from a small deterministic generator (awkward text included);
//! - the real KeePassXC 2.7.4 fixtures import to the entries their README lists;
//! - bitwarden-json follows Bitwarden's documented export schema, both ways;
//! - bad files give a clear error that names a position, never a value from the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use keyward::secret::SecretString;
use keyward::transfer::{self, ExportOptions, Format, ImportOptions, TransferError};
use keyward::vault::{
    Credential, CustomField, Entry, Environment, Field, Status, TOTP_FIELD, Vault,
};

const FIXTURES: &str = "tests/testdata/transfer/keepassxc-2.7.4";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(name)
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer")
        .join(name)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0)
        .single()
        .expect("date")
}

/// A tiny deterministic PRNG (SplitMix64), so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn date(&mut self) -> DateTime<Utc> {
        // Whole seconds: KeePass stores times to the second.
        let secs = 1_600_000_000 + (self.next() % 400_000_000) as i64;
        DateTime::from_timestamp(secs, 0).expect("in range")
    }
}

/// Awkward text: quotes, commas, semicolons, newlines, XML and CSV specials, non-ASCII,
/// label-like lines, leading and trailing spaces.
const TEXTS: &[&str] = &[
    "plain",
    "with \"double\" and 'single' quotes",
    "comma, separated; values",
    "two\nlines",
    "<xml> & entities &amp; </Value>",
    "Straße 東京 🔑 ñ",
    "Provider: not a label line\n\nthen text",
    "  padded  ",
    "back\\slash \\n literal",
    "tab\there",
    "ends with newline\n",
    "windows\r\nline ends\r",
    "\"",
];

fn text(rng: &mut Rng) -> String {
    let mut s = rng.pick(TEXTS).to_owned();
    if rng.chance(30) {
        s.push_str(rng.pick(TEXTS));
    }
    s
}

fn secret(rng: &mut Rng) -> SecretString {
    let base = match rng.below(5) {
        0 => "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j".to_owned(),
        1 => "s3cr\"et,with;specials<&>\\ and ünïcödé".to_owned(),
        2 => "x".repeat(10_000),
        3 => "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----".to_owned(),
        _ => text(rng),
    };
    SecretString::new(format!("{base}{}", rng.below(1000)))
}

/// A vault of `n` entries of every kind with every field set or not.
fn generate(seed: u64, n: usize) -> Vault {
    let mut rng = Rng(seed);
    let mut vault = Vault::default();
    for i in 0..n {
        let key_id = format!(
            "KEY-{}-{}",
            rng.below(100_000),
            rng.pick(&["a", "é", "\"q\""])
        );
        let credential = match rng.below(3) {
            0 => Credential::SharedSecret {
                key_id: key_id.into(),
                secret: secret(&mut rng),
                passphrase: rng.chance(50).then(|| secret(&mut rng)),
            },
            1 => Credential::KeyPair {
                key_id: key_id.into(),
                private_key: secret(&mut rng),
                public_key:
                    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----"
                        .to_owned(),
            },
            _ => Credential::Token {
                token: secret(&mut rng),
            },
        };
        let name = format!(
            "{} {i}",
            rng.pick(&[
                "Binance main",
                "OKX bot, \"grid\"",
                "東京 key",
                "a;b",
                "x&y<z>"
            ])
        );
        let mut e = Entry::new(name, credential, rng.date());
        e.provider = rng.pick(&["", "binance", "okx", "Coinbase CDP"]).into();
        e.environment = [Environment::Prod, Environment::Test, Environment::Other][rng.below(3)];
        e.purpose = if rng.chance(60) {
            text(&mut rng)
        } else {
            String::new()
        };
        e.notes = if rng.chance(70) {
            text(&mut rng)
        } else {
            String::new()
        };
        let tags: Vec<&str> = (0..rng.below(4))
            .map(|_| rng.pick(&["prod", "trading", "ci", "東京", "with space"]))
            .collect();
        e.set_tags(tags);
        let perms: Vec<&str> = (0..rng.below(4))
            .map(|_| rng.pick(&["read", "trade", "withdraw", "spot trade", "odd,perm"]))
            .collect();
        e.set_permissions(perms);
        for _ in 0..rng.below(3) {
            let rule = rng
                .pick(&["203.0.113.10", "198.51.100.0/24", "2001:db8::/32", "::1"])
                .parse()
                .expect("valid rule");
            if !e.ip_whitelist.contains(&rule) {
                e.ip_whitelist.push(rule);
            }
        }
        if rng.chance(30) {
            e.ip_blacklist.push("192.0.2.66".parse().expect("ip"));
        }
        e.rotated_at = rng.chance(50).then(|| rng.date());
        e.expires_at = rng.chance(60).then(|| rng.date());
        e.last_used_at = rng.chance(40).then(|| rng.date());
        e.rotate_every_days = [None, Some(0), Some(30), Some(90)][rng.below(4)];
        match rng.below(5) {
            0 => e.revoke(),
            1 => e.mark_compromised("leaked in a gist", rng.date()),
            _ => {}
        }
        if rng.chance(30) {
            e.rotate(secret(&mut rng), None, rng.date());
        }
        if rng.chance(60) {
            e.url = rng
                .pick(&[
                    "https://www.binance.com/en/my/settings/api-management",
                    "http://x/?a=1&b=\"2\"",
                ])
                .to_owned();
        }
        if rng.chance(50) {
            e.custom_fields
                .push(CustomField::totp("JBSWY3DPEHPK3PXP", &e.name));
        }
        for (name, protected) in [("Sub-account", false), ("Recovery, code", true)] {
            if rng.chance(50) {
                e.custom_fields
                    .push(CustomField::new(name, secret(&mut rng), protected));
            }
        }
        vault.add(e).expect("unique names");
    }
    vault
}

/// What survives any export: everything but identity, history and the incident record.
fn comparable(e: &Entry, format: Format) -> Entry {
    let mut e = e.clone();
    e.id = uuid::Uuid::nil();
    e.history.clear();
    e.incident = None;
    if format == Format::KeepassxcCsv {
        // No custom fields: passphrases and public keys cannot be carried.
        match &mut e.credential {
            Credential::SharedSecret { passphrase, .. } => *passphrase = None,
            Credential::KeyPair { public_key, .. } => public_key.clear(),
            Credential::Token { .. } => {}
        }
        // Protected custom fields (the TOTP has its column) stay out of the notes.
        e.custom_fields
            .retain(|f| !f.protected || f.name == TOTP_FIELD);
    }
    if format == Format::Kdbx {
        // The keepass crate keeps an entry's strings in a map: their order is not carried.
        e.custom_fields.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if format == Format::OnePasswordCsv {
        // 1Password CSV columns have no protected flag: they come back protected (reported).
        // Columns are shared by all rows: a key's own field order is not carried.
        for f in &mut e.custom_fields {
            f.protected = true;
        }
        e.custom_fields.sort_by(|a, b| a.name.cmp(&b.name));
    }
    e
}

fn export_import(vault: &Vault, format: Format) -> Vault {
    let password = Some(SecretString::from("export-pw"));
    let exported = transfer::export(
        vault,
        format,
        &ExportOptions {
            password: password.clone(),
            ..ExportOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("export {format}: {e}"));
    let imported = transfer::import(
        exported.bytes.expose(),
        Path::new("roundtrip"),
        format,
        &ImportOptions {
            password,
            ..ImportOptions::default()
        },
        now(),
    )
    .unwrap_or_else(|e| panic!("import {format}: {e}"));
    Vault {
        entries: imported.entries,
        ..Vault::default()
    }
}

fn by_name(vault: &Vault, format: Format) -> BTreeMap<String, Entry> {
    vault
        .entries
        .iter()
        .map(|e| (e.name.to_string(), comparable(e, format)))
        .collect()
}

#[test]
fn round_trips_keep_every_field_each_format_carries() {
    let formats = [
        Format::KeepassXml,
        Format::BitwardenJson,
        Format::KeepassxcCsv,
        Format::OnePasswordCsv,
        Format::Kdbx,
    ];
    for seed in 0..12u64 {
        let vault = generate(seed, 6);
        for format in formats {
            // KDBX runs Argon2id at 64 MiB: fewer seeds keep the test quick.
            if format == Format::Kdbx && seed % 4 != 0 {
                continue;
            }
            let back = export_import(&vault, format);
            let want = by_name(&vault, format);
            let got = by_name(&back, format);
            assert_eq!(
                want.keys().collect::<Vec<_>>(),
                got.keys().collect::<Vec<_>>(),
                "seed {seed}, {format}: names"
            );
            for (name, w) in &want {
                assert_eq!(
                    Some(w),
                    got.get(name),
                    "seed {seed}, {format}: entry {name:?}"
                );
            }
        }
    }
}

#[test]
fn keepassxc_fixtures_import_to_the_entries_the_readme_lists() {
    let cases = [
        (Format::Kdbx, "api-keys.kdbx"),
        (Format::KeepassXml, "api-keys.xml"),
        (Format::KeepassxcCsv, "api-keys.csv"),
    ];
    for (format, file) in cases {
        let bytes = std::fs::read(fixture(file)).expect("fixture");
        let imported = transfer::import(
            &bytes,
            &fixture(file),
            format,
            &ImportOptions {
                password: Some(SecretString::from("fixture-password")),
                ..ImportOptions::default()
            },
            now(),
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        let v = Vault {
            entries: imported.entries,
            ..Vault::default()
        };
        assert_eq!(v.entries.len(), 3, "{file}");
        let get = |name: &str, f: Field| {
            v.get(name)
                .and_then(|e| e.credential.field(f))
                .map(|x| x.expose().to_owned())
        };
        let binance = v.get("Binance main").expect("Binance main");
        assert_eq!(
            get("Binance main", Field::Key).as_deref(),
            Some("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A")
        );
        assert_eq!(
            get("Binance main", Field::Secret).as_deref(),
            Some("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
        );
        // Its notes are label lines: they become the IP whitelist and permissions.
        let ips: Vec<String> = binance
            .ip_whitelist
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ips, vec!["203.0.113.10", "198.51.100.0/24"], "{file}");
        let perms: Vec<&str> = binance.permissions.iter().map(|p| p.as_str()).collect();
        assert_eq!(perms, vec!["read", "spot trade"], "{file}");
        let okx = v.get("OKX bot, \"grid\" strategy").expect("OKX entry");
        assert_eq!(
            okx.notes,
            "Read + Trade, no withdraw. Straße, 東京 unicode check"
        );
        let github = v.get("GitHub deploy token").expect("GitHub entry");
        assert_eq!(
            github.credential.primary_secret().expose(),
            "ghp_R8xk2Jd9Lq0vTz7WmN3bYc5Fp1Hs6Ue4Ga2K"
        );
        if format == Format::KeepassxcCsv {
            // The CSV has no custom attributes and no expiry (README).
            assert_eq!(
                okx.credential.field(Field::Passphrase).map(|p| p.expose()),
                None
            );
            assert_eq!(binance.expires_at, None);
            continue;
        }
        assert_eq!(
            get("OKX bot, \"grid\" strategy", Field::Passphrase).as_deref(),
            Some("correct,horse;\"battery\"")
        );
        assert_eq!(
            binance.expires_at,
            Utc.with_ymd_and_hms(2027, 1, 10, 0, 0, 0).single(),
            "{file}"
        );
        // Its KeePass tags and its group "Exchanges" as a tag (issue 10: groups become tags).
        assert_eq!(binance.tags, vec!["Exchanges", "prod", "trading"], "{file}");
        assert_eq!(okx.expires_at, None, "{file}: Expires=False");
        assert_eq!(
            github.expires_at,
            Utc.with_ymd_and_hms(2026, 3, 15, 10, 0, 0).single(),
            "{file}"
        );
        assert!(github.expires_at < Some(now()), "expired");
    }
}

#[test]
fn bitwarden_export_matches_the_documented_schema() {
    let vault = generate(7, 8);
    let exported =
        transfer::export(&vault, Format::BitwardenJson, &ExportOptions::default()).expect("export");
    let json: serde_json::Value =
        serde_json::from_slice(exported.bytes.expose()).expect("valid JSON");
    assert_eq!(json["encrypted"], serde_json::json!(false));
    assert!(json["folders"].is_array());
    let items = json["items"].as_array().expect("items array");
    assert_eq!(items.len(), vault.entries.len());
    for (item, entry) in items.iter().zip(&vault.entries) {
        assert_eq!(item["type"], serde_json::json!(1), "login item");
        assert_eq!(item["name"], serde_json::json!(entry.name));
        assert!(item["id"].is_string() && item["notes"].is_string());
        assert!(item["favorite"].is_boolean() && item["reprompt"].is_number());
        let login = &item["login"];
        assert!(login["uris"].is_array());
        assert_eq!(
            login["password"],
            serde_json::json!(entry.credential.primary_secret().expose())
        );
        assert!(login["username"].is_string());
        for field in item["fields"].as_array().expect("fields array") {
            let name = field["name"].as_str().expect("field name");
            let kind = field["type"].as_u64().expect("field type");
            assert!(field["value"].is_string() && field.get("linkedId").is_some());
            let secret = matches!(
                name,
                "API Secret" | "Passphrase" | "Private Key" | "API Key"
            ) || entry
                .custom_fields
                .iter()
                .any(|f| f.name == name && f.protected);
            assert_eq!(kind, if secret { 1 } else { 0 }, "{name}: 1 = hidden");
        }
    }
}

#[test]
fn bitwarden_documented_fixture_imports() {
    let path = testdata("bitwarden-documented.json");
    let bytes = std::fs::read(&path).expect("fixture");
    let imported = transfer::import(
        &bytes,
        &path,
        Format::BitwardenJson,
        &ImportOptions::default(),
        now(),
    )
    .expect("import");
    assert!(
        imported
            .report
            .lines()
            .iter()
            .any(|n| n.contains("left out 1 Bitwarden item")),
        "the left-out note is reported: {:?}",
        imported.report.lines()
    );
    let v = Vault {
        entries: imported.entries,
        ..Vault::default()
    };
    assert_eq!(v.entries.len(), 2, "the secure note (type 2) is left out");
    let kraken = v.get("Kraken trading").expect("login item");
    let field = |f| kraken.credential.field(f).map(|x| x.expose().to_owned());
    assert_eq!(field(Field::Key).as_deref(), Some("KRAKEN-KEY-123"));
    assert_eq!(field(Field::Secret).as_deref(), Some("kr4k3n/s3cr3t+=="));
    assert_eq!(
        field(Field::Passphrase).as_deref(),
        Some("pa,ss \"phrase\"")
    );
    assert_eq!(kraken.ip_whitelist.len(), 1);
    let stripe = v.get("Stripe live").expect("token item");
    assert_eq!(
        stripe.credential.kind(),
        keyward::vault::CredentialKind::Token
    );
    assert_eq!(
        stripe.credential.primary_secret().expose(),
        "sk_live_51Hxé東京"
    );
}

#[test]
fn dotenv_and_mapped_csv_import() {
    let env = testdata("sample.env");
    let imported = transfer::import(
        &std::fs::read(&env).expect("env"),
        &env,
        Format::Dotenv,
        &ImportOptions::default(),
        now(),
    )
    .expect("dotenv");
    let tokens: Vec<(&str, &str)> = imported
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.credential.primary_secret().expose()))
        .collect();
    assert_eq!(
        tokens,
        vec![
            ("GITHUB_TOKEN", "ghp_env_token_123"),
            // as motdotla/dotenv reads it: only \n and \r expand in double quotes, \" stays
            ("OPENAI_API_KEY", "sk-proj-\\\"quoted\\\"\nsecond line"),
            ("STRIPE_KEY", "sk_test_$literal"),
        ]
    );
    let csv = testdata("mapped.csv");
    let columns = transfer::parse_column_maps(&[
        "Label=name".into(),
        "Exchange=provider".into(),
        "Key ID=key".into(),
        "Secret Key=secret".into(),
        "Whitelist=allow".into(),
        "Valid Until=expires".into(),
        "Comment=notes".into(),
    ])
    .expect("maps");
    let imported = transfer::import(
        &std::fs::read(&csv).expect("csv"),
        &csv,
        Format::Csv,
        &ImportOptions {
            password: None,
            columns,
            ..ImportOptions::default()
        },
        now(),
    )
    .expect("csv");
    let bot = &imported.entries[0];
    assert_eq!(bot.name, "binance-bot");
    assert_eq!(bot.provider, "binance");
    assert_eq!(bot.credential.primary_secret().expose(), "bin,secret \"q\"");
    assert_eq!(bot.ip_whitelist.len(), 2);
    assert_eq!(
        bot.expires_at,
        Utc.with_ymd_and_hms(2027, 5, 1, 0, 0, 0).single()
    );
    assert_eq!(bot.notes, "multi\nline");
    assert_eq!(imported.entries[1].status, Status::Active);
}

/// Every bad file gives the expected error kind, and its message holds no secret from it.
#[test]
fn bad_files_fail_clearly_without_quoting_values() {
    let cases: [(&str, Format, &str, &[&str]); 8] = [
        (
            "keepassxc-open-quote.csv",
            Format::KeepassxcCsv,
            "malformed",
            &["open quote never closed"],
        ),
        (
            "bitwarden-truncated.json",
            Format::BitwardenJson,
            "malformed",
            &["TRUNCATED-SECRET-VALUE"],
        ),
        (
            "bitwarden-wrong-type.json",
            Format::BitwardenJson,
            "malformed",
            &["WRONG-TYPE-SECRET", "login"],
        ),
        (
            "keepass-truncated.xml",
            Format::KeepassXml,
            "malformed",
            &["vmPUZE6m"],
        ),
        (
            "keepass-mismatched.xml",
            Format::KeepassXml,
            "malformed",
            &["MISMATCH-SECRET"],
        ),
        ("api-keys-truncated.kdbx", Format::Kdbx, "unreadable", &[]),
        ("not-a-database.kdbx", Format::Kdbx, "unreadable", &[]),
        ("api-keys.kdbx", Format::Kdbx, "wrong-password", &[]),
    ];
    for (file, format, expected, secrets) in cases {
        let path = if file == "api-keys.kdbx" {
            fixture(file)
        } else {
            testdata(file)
        };
        let bytes = std::fs::read(&path).expect("test file");
        let password = if file == "api-keys.kdbx" {
            "not-the-password"
        } else {
            "fixture-password"
        };
        let result = transfer::import(
            &bytes,
            &path,
            format,
            &ImportOptions {
                password: Some(SecretString::from(password)),
                ..ImportOptions::default()
            },
            now(),
        );
        let err = match result {
            Ok(_) => panic!("{file}: imported a bad file"),
            Err(e) => e,
        };
        let kind = match &err {
            TransferError::Malformed { .. } => "malformed",
            TransferError::Damaged { .. } => "unreadable",
            TransferError::WrongPassword { .. } => {
                if file == "api-keys.kdbx" {
                    "wrong-password"
                } else {
                    "unreadable"
                }
            }
            _ => "other",
        };
        assert_eq!(kind, expected, "{file}: {err}");
        let message = err.to_string();
        assert!(message.contains(file), "{file}: names the file: {message}");
        for secret in secrets {
            assert!(
                !message.contains(secret),
                "{file}: quotes a value: {message}"
            );
        }
    }
}

#[test]
fn plaintext_warnings_name_what_the_format_cannot_carry() {
    let vault = generate(3, 8);
    let warnings = transfer::export_report(&vault, Format::KeepassxcCsv)
        .lines()
        .join("\n");
    assert!(warnings.contains("PLAINTEXT"), "{warnings}");
    // passphrases and public keys are named, each with the count of keys that lose it
    for field in [Field::Passphrase, Field::PublicKey] {
        let n = vault
            .entries
            .iter()
            .filter(|e| e.credential.field(field).is_some())
            .count();
        assert!(n > 0, "the generated vault has a {field}");
        let noun = if n == 1 { "entry" } else { "entries" };
        let line = format!("{field}: not exported: the format has no custom fields ({n} {noun}");
        assert!(warnings.contains(&line), "{line} in {warnings}");
    }
    let kdbx = transfer::export_report(&vault, Format::Kdbx)
        .lines()
        .join("\n");
    assert!(!kdbx.contains("PLAINTEXT"), "{kdbx}");
    assert!(transfer::export(&vault, Format::Dotenv, &ExportOptions::default()).is_err());
}
