//! End-to-end tests of the command line (PRODUCT §5, issue 2): the real binary, run in a
//! temporary folder against a vault made with fast KDF settings.

// Unix file modes, signals and /proc: these run on Linux and macOS. The Windows build is
// tested end to end under Wine by scripts/wine-cli.sh.
#![cfg(unix)]

mod common;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use common::{PASSWORD, Sandbox, keyward_command, mode, run_command, without_clock};

fn date(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a date string: {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

fn day(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{text}T00:00:00Z"))
        .expect("test date")
        .with_timezone(&Utc)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_owned()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Round trips

#[test]
fn add_reflects_every_option_in_show_json() {
    let s = Sandbox::with_vault();
    let args = [
        "add",
        "binance-bot",
        "--secret-stdin",
        "--passphrase-stdin",
        "--kind",
        "shared-secret",
        "--provider",
        "binance",
        "--key-id",
        "KID-123",
        "--env",
        "test",
        "--tag",
        "trading",
        "--tag",
        "bot",
        "--purpose",
        "market making",
        "--permission",
        "Trade",
        "--permission",
        "read",
        "--allow",
        "10.0.0.0/8",
        "--allow",
        "2001:db8::/32",
        "--deny",
        "203.0.113.7",
        "--expires",
        "2030-01-02",
        "--rotate-every",
        "30",
        "--created",
        "2024-01-01",
        "--rotated",
        "2025-06-01T12:00:00+02:00",
        "--last-used",
        "2025-07-01",
        "--notes",
        "first line\nsecond line",
    ];
    s.run_pw(&args, Some("S3CRET-hmac\nPASS-phrase\n"))
        .ok()
        .leaks_none(&["S3CRET-hmac", "PASS-phrase"]);

    let e = s.show("binance-bot");
    assert_eq!(e["name"], "binance-bot");
    assert_eq!(e["provider"], "binance");
    assert_eq!(e["kind"], "shared-secret");
    assert_eq!(e["environment"], "test");
    assert_eq!(e["status"], "active");
    assert_eq!(e["key_id"], "KID-123");
    assert_eq!(e["purpose"], "market making");
    assert_eq!(e["notes"], "first line\nsecond line");
    assert_eq!(strings(&e["tags"]), ["bot", "trading"]);
    assert_eq!(strings(&e["permissions"]), ["read", "trade"]);
    assert_eq!(strings(&e["ip_whitelist"]), ["10.0.0.0/8", "2001:db8::/32"]);
    assert_eq!(strings(&e["ip_blacklist"]), ["203.0.113.7"]);
    assert_eq!(strings(&e["parts"]), ["key", "secret", "passphrase"]);
    assert_eq!(date(&e["created_at"]), day("2024-01-01"));
    assert_eq!(
        date(&e["rotated_at"]),
        day("2025-06-01") + Duration::hours(10),
        "an RFC 3339 offset is converted to UTC"
    );
    assert_eq!(date(&e["expires_at"]), day("2030-01-02"));
    assert_eq!(date(&e["last_used_at"]), day("2025-07-01"));
    assert_eq!(e["rotate_every_days"], 30);
    assert_eq!(e["history_count"], 0);
    assert_eq!(s.get("binance-bot", "secret"), "S3CRET-hmac\n");
    assert_eq!(s.get("binance-bot", "passphrase"), "PASS-phrase\n");
    assert_eq!(s.get("binance-bot", "key"), "KID-123\n");

    // `list --json` prints the same object inside an array.
    let list = s.list();
    assert_eq!(list.len(), 1);
    assert_eq!(without_clock(&list[0]), without_clock(&e));
}

#[test]
fn add_with_defaults_and_never_expiring() {
    let s = Sandbox::with_vault();
    let before = Utc::now();
    s.add("plain", "tok-1", &["--kind", "token", "--expires", "never"]);
    let after = Utc::now();
    let e = s.show("plain");
    assert_eq!(e["kind"], "token");
    assert_eq!(e["environment"], "prod", "the default environment");
    assert_eq!(e["provider"], "");
    assert_eq!(e["expires_at"], Value::Null, "never is null");
    assert_eq!(e["rotated_at"], Value::Null);
    assert_eq!(e["last_used_at"], Value::Null);
    assert_eq!(e["rotate_every_days"], 90, "the vault default applies");
    assert_eq!(e["rotation_age_days"], 0);
    let created = date(&e["created_at"]);
    assert!(
        before <= created && created <= after,
        "created now: {created}"
    );
    assert_eq!(strings(&e["tags"]), Vec::<String>::new());
    assert_eq!(strings(&e["ip_whitelist"]), Vec::<String>::new());
    assert_eq!(strings(&e["parts"]), ["secret"]);
}

#[test]
fn list_json_has_the_documented_fields() {
    let s = Sandbox::with_vault();
    let rotated = Utc::now() - Duration::days(40) - Duration::hours(1);
    let rotated_text = rotated.to_rfc3339();
    s.add(
        "aged",
        "sec-aged",
        &[
            "--provider",
            "kraken",
            "--rotated",
            &rotated_text,
            "--created",
            "2020-02-29",
            "--expires",
            "2031-12-31",
            "--allow",
            "198.51.100.0/24",
            "--permission",
            "withdraw",
            "--tag",
            "x",
        ],
    );
    s.add("created-only", "sec-created", &["--kind", "token"]);
    let never_rotated_created = Utc::now() - Duration::days(7) - Duration::hours(1);
    s.add(
        "week-old",
        "sec-week",
        &[
            "--created",
            &never_rotated_created.to_rfc3339(),
            "--rotate-every",
            "0",
        ],
    );

    let list = s.list();
    let names: Vec<&str> = list
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["aged", "created-only", "week-old"],
        "insertion order"
    );
    for e in &list {
        for field in ["name", "provider", "kind", "environment", "status"] {
            assert!(e[field].is_string(), "{field} is a string in {e}");
        }
        for field in ["tags", "permissions", "ip_whitelist", "ip_blacklist"] {
            let items = e[field]
                .as_array()
                .unwrap_or_else(|| panic!("{field} in {e}"));
            assert!(items.iter().all(Value::is_string), "{field} holds strings");
        }
        assert!(e["created_at"].is_string(), "created_at in {e}");
        for field in ["rotated_at", "expires_at"] {
            assert!(
                e[field].is_string() || e[field].is_null(),
                "{field} is a date or null in {e}"
            );
        }
        assert!(
            e["rotate_every_days"].is_u64() || e["rotate_every_days"].is_null(),
            "rotate_every_days in {e}"
        );
        assert!(e["rotation_age_days"].is_i64(), "rotation_age_days in {e}");
    }
    let aged = &list[0];
    assert_eq!(aged["provider"], "kraken");
    assert_eq!(aged["rotation_age_days"], 40, "age counts from --rotated");
    assert_eq!(date(&aged["rotated_at"]).timestamp(), rotated.timestamp());
    assert_eq!(date(&aged["created_at"]), day("2020-02-29"));
    assert_eq!(date(&aged["expires_at"]), day("2031-12-31"));
    assert_eq!(strings(&aged["ip_whitelist"]), ["198.51.100.0/24"]);
    assert_eq!(strings(&aged["permissions"]), ["withdraw"]);
    assert_eq!(aged["rotate_every_days"], 90);
    assert_eq!(list[1]["expires_at"], Value::Null);
    assert_eq!(list[1]["rotation_age_days"], 0);
    assert_eq!(
        list[2]["rotation_age_days"], 7,
        "without a rotation, age counts from creation"
    );
    assert_eq!(
        list[2]["rotate_every_days"],
        Value::Null,
        "0 means no policy"
    );

    // The plain table names every key and none of the secrets.
    let table = s.run_pw(&["list"], None);
    table
        .ok()
        .leaks_none(&["sec-aged", "sec-created", "sec-week"]);
    for name in ["aged", "created-only", "week-old"] {
        assert!(table.stdout.contains(name), "{name} in {}", table.stdout);
    }
}

#[test]
fn list_search_uses_the_apps_rule_ip_rules_and_notes_included() {
    let s = Sandbox::with_vault();
    s.add("okx-bot", "sec-okx-hidden", &["--allow", "203.0.113.0/24"]);
    s.add("kraken-read", "sec-kraken", &["--tag", "readonly"]);
    let names = |args: &[&str]| -> Vec<String> {
        let out = s.run_pw(args, None);
        let out = out.ok();
        let list: Vec<Value> = serde_json::from_str(&out.stdout).expect("json");
        list.iter()
            .map(|e| e["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert_eq!(
        names(&["list", "--json", "--search", "203.0.113"]),
        ["okx-bot"]
    );
    assert_eq!(
        names(&["list", "--json", "--search", "READONLY"]),
        ["kraken-read"]
    );
    assert_eq!(
        names(&["list", "--json", "--search", "sec-okx"]),
        Vec::<String>::new(),
        "a secret is never searched"
    );
    let table = s.run_pw(&["list", "--search", "kraken"], None);
    let table = table.ok();
    assert!(table.stdout.contains("kraken-read"), "{}", table.stdout);
    assert!(!table.stdout.contains("okx-bot"), "{}", table.stdout);
}

#[test]
fn list_of_an_empty_vault_is_an_empty_array() {
    let s = Sandbox::with_vault();
    assert_eq!(s.list(), Vec::<Value>::new());
}

#[test]
fn edit_changes_every_option() {
    let s = Sandbox::with_vault();
    s.add(
        "k",
        "sec-k",
        &[
            "--provider",
            "okx",
            "--tag",
            "a",
            "--tag",
            "b",
            "--permission",
            "read",
            "--permission",
            "trade",
            "--allow",
            "10.0.0.1",
            "--deny",
            "10.0.0.2",
            "--expires",
            "2029-01-01",
        ],
    );
    let run = s.run_pw(
        &[
            "edit",
            "k",
            "--provider",
            "kucoin",
            "--key-id",
            "NEWKID",
            "--env",
            "other",
            "--tag",
            "c",
            "--purpose",
            "hedging",
            "--permission",
            "withdraw",
            "--allow",
            "192.0.2.0/24",
            "--deny",
            "::1",
            "--expires",
            "2030-06-30",
            "--rotate-every",
            "45",
            "--created",
            "2023-03-03",
            "--rotated",
            "2024-04-04",
            "--last-used",
            "2024-05-05",
            "--notes",
            "edited",
        ],
        None,
    );
    run.ok().leaks_none(&["sec-k"]);
    let e = s.show("k");
    assert_eq!(e["provider"], "kucoin");
    assert_eq!(e["key_id"], "NEWKID");
    assert_eq!(e["environment"], "other");
    assert_eq!(strings(&e["tags"]), ["a", "b", "c"], "--tag adds");
    assert_eq!(e["purpose"], "hedging");
    assert_eq!(strings(&e["permissions"]), ["read", "trade", "withdraw"]);
    assert_eq!(strings(&e["ip_whitelist"]), ["10.0.0.1", "192.0.2.0/24"]);
    assert_eq!(strings(&e["ip_blacklist"]), ["10.0.0.2", "::1"]);
    assert_eq!(date(&e["expires_at"]), day("2030-06-30"));
    assert_eq!(e["rotate_every_days"], 45);
    assert_eq!(date(&e["created_at"]), day("2023-03-03"));
    assert_eq!(date(&e["rotated_at"]), day("2024-04-04"));
    assert_eq!(date(&e["last_used_at"]), day("2024-05-05"));
    assert_eq!(e["notes"], "edited");
    assert_eq!(s.get("k", "secret"), "sec-k\n", "edit keeps the secret");

    // Clearing and removing.
    s.run_pw(
        &[
            "edit",
            "k",
            "--clear-allow",
            "--allow",
            "2001:db8::/48",
            "--clear-deny",
            "--expires",
            "never",
            "--untag",
            "a",
            "--remove-permission",
            "TRADE",
            "--default-rotation",
            "--last-used",
            "never",
        ],
        None,
    )
    .ok();
    let e = s.show("k");
    assert_eq!(strings(&e["ip_whitelist"]), ["2001:db8::/48"]);
    assert_eq!(strings(&e["ip_blacklist"]), Vec::<String>::new());
    assert_eq!(e["expires_at"], Value::Null);
    assert_eq!(e["last_used_at"], Value::Null);
    assert_eq!(strings(&e["tags"]), ["b", "c"]);
    assert_eq!(strings(&e["permissions"]), ["read", "withdraw"]);
    assert_eq!(e["rotate_every_days"], 90, "back to the vault default");

    s.run_pw(
        &[
            "edit",
            "k",
            "--clear-tags",
            "--clear-permissions",
            "--clear-allow",
        ],
        None,
    )
    .ok();
    let e = s.show("k");
    assert_eq!(strings(&e["tags"]), Vec::<String>::new());
    assert_eq!(strings(&e["permissions"]), Vec::<String>::new());
    assert_eq!(strings(&e["ip_whitelist"]), Vec::<String>::new());

    // Rename keeps everything else.
    let before = without_clock(&s.show("k"));
    s.run_pw(&["edit", "k", "--rename", "k2"], None).ok();
    let mut renamed = without_clock(&s.show("k2"));
    assert_eq!(renamed["name"], "k2");
    renamed["name"] = json!("k");
    assert_eq!(renamed, before);
    s.run_pw(&["show", "k"], None)
        .expect_code(5)
        .stderr_has("no key named 'k'");
    assert_eq!(s.get("k2", "secret"), "sec-k\n");
}

#[test]
fn edit_refuses_a_rename_onto_another_key() {
    let s = Sandbox::with_vault();
    s.add("a", "sec-a", &[]);
    s.add("b", "sec-b", &[]);
    let bytes = s.vault_bytes();
    s.run_pw(&["edit", "a", "--rename", "b"], None)
        .expect_code(5)
        .stderr_has("already exists")
        .leaks_none(&["sec-a", "sec-b"]);
    assert_eq!(s.vault_bytes(), bytes, "nothing saved");
    assert_eq!(s.names(), ["a", "b"]);
}

#[test]
fn get_prints_exactly_each_field() {
    let s = Sandbox::with_vault();
    s.run_pw(
        &[
            "add",
            "hmac",
            "--secret-stdin",
            "--passphrase-stdin",
            "--key-id",
            "AKID",
        ],
        Some("hmac-secret value\npass phrase\n"),
    )
    .ok();
    let private = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA\n-----END PRIVATE KEY-----";
    let public = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----";
    let public_file = s.write_file("pub.pem", &format!("{public}\n"));
    let public_path = public_file.to_str().expect("utf-8 path");
    s.run_pw(
        &[
            "add",
            "pair",
            "--kind",
            "key-pair",
            "--secret-stdin",
            "--key-id",
            "PAIR-ID",
            "--public-key-file",
            public_path,
        ],
        Some(&format!("{private}\n")),
    )
    .ok()
    .leaks_none(&["MC4CAQAwBQYDK2VwBCIEIA"]);
    s.add("tok", "ghp_tokenvalue", &["--kind", "token"]);

    assert_eq!(s.get("hmac", "key"), "AKID\n");
    assert_eq!(s.get("hmac", "secret"), "hmac-secret value\n");
    assert_eq!(s.get("hmac", "passphrase"), "pass phrase\n");
    assert_eq!(s.get("pair", "key"), "PAIR-ID\n");
    assert_eq!(s.get("pair", "private-key"), format!("{private}\n"));
    assert_eq!(s.get("pair", "public-key"), format!("{public}\n"));
    assert_eq!(s.get("tok", "secret"), "ghp_tokenvalue\n");
    let default_field = s.run_pw(&["get", "tok"], None);
    assert_eq!(
        default_field.ok().stdout,
        "ghp_tokenvalue\n",
        "secret by default"
    );

    // The key pair's private key is masked by show.
    s.run_pw(&["show", "pair"], None)
        .ok()
        .leaks_none(&["MC4CAQAwBQYDK2VwBCIEIA"]);
    let pair = s.show("pair");
    assert_eq!(
        strings(&pair["parts"]),
        ["key", "private-key", "public-key"]
    );

    // A part the key does not have: an error, nothing on stdout.
    let missing = s.run_pw(&["get", "tok", "--field", "passphrase"], None);
    missing.expect_code(5).stderr_has("has no passphrase");
    assert_eq!(missing.stdout, "");
    // An unknown field is a usage error.
    let unknown = s.run_pw(&["get", "tok", "--field", "pin"], None);
    unknown.expect_code(2).stderr_has("unknown field 'pin'");
    assert_eq!(unknown.stdout, "");
}

#[test]
fn rotate_moves_the_old_secret_to_history() {
    let s = Sandbox::with_vault();
    s.add(
        "k",
        "old-secret",
        &["--rotated", "2020-01-01", "--key-id", "KID"],
    );
    let before = Utc::now();
    s.run_pw(&["rotate", "k"], Some("new-secret\n"))
        .ok()
        .leaks_none(&["old-secret", "new-secret"]);
    let after = Utc::now();
    let e = s.show("k");
    let rotated = date(&e["rotated_at"]);
    assert!(
        before <= rotated && rotated <= after,
        "rotated now: {rotated}"
    );
    assert_eq!(e["history_count"], 1);
    assert_eq!(e["rotation_age_days"], 0);
    assert_eq!(e["key_id"], "KID", "the key id is kept");
    assert_eq!(s.get("k", "secret"), "new-secret\n");

    // Password from stdin, then the new secret on the next line.
    run_command(
        s.command(&["rotate", "k"]),
        Some(&format!("{PASSWORD}\nnewer\n")),
    )
    .ok();
    assert_eq!(s.get("k", "secret"), "newer\n");
    assert_eq!(s.show("k")["history_count"], 2);

    // The same secret again, or nothing: refused, nothing changes.
    let bytes = s.vault_bytes();
    s.run_pw(&["rotate", "k"], Some("newer\n"))
        .expect_code(2)
        .stderr_has("same as the current")
        .leaks_none(&["newer"]);
    s.run_pw(&["rotate", "k"], Some("\n"))
        .expect_code(2)
        .stderr_has("empty");
    s.run_pw(&["rotate", "k"], None)
        .expect_code(2)
        .stderr_has("stdin ended");
    assert_eq!(s.vault_bytes(), bytes);
    s.run_pw(&["rotate", "nope"], Some("x\n"))
        .expect_code(5)
        .stderr_has("no key named 'nope'");
}

#[test]
fn rotate_a_key_pair_replaces_the_private_and_public_key() {
    let s = Sandbox::with_vault();
    let old_pub = s.write_file("old.pem", "OLD-PUBLIC\n");
    let new_pub = s.write_file("new.pem", "NEW-PUBLIC\n");
    s.run_pw(
        &[
            "add",
            "pair",
            "--kind",
            "key-pair",
            "--secret-stdin",
            "--public-key-file",
            old_pub.to_str().expect("path"),
        ],
        Some("OLD-PRIVATE\nline 2\n"),
    )
    .ok();
    assert_eq!(s.get("pair", "private-key"), "OLD-PRIVATE\nline 2\n");
    s.run_pw(
        &[
            "rotate",
            "pair",
            "--public-key-file",
            new_pub.to_str().expect("path"),
        ],
        Some("NEW-PRIVATE\nline 2\n"),
    )
    .ok()
    .leaks_none(&["OLD-PRIVATE", "NEW-PRIVATE"]);
    assert_eq!(s.get("pair", "private-key"), "NEW-PRIVATE\nline 2\n");
    assert_eq!(s.get("pair", "public-key"), "NEW-PUBLIC\n");
    assert_eq!(s.show("pair")["history_count"], 1);
}

#[test]
fn compromised_and_revoke_set_the_status() {
    let s = Sandbox::with_vault();
    s.add("leaked", "sec-leaked", &[]);
    s.add("retired", "sec-retired", &[]);
    s.run_pw(
        &[
            "compromised",
            "leaked",
            "--reason",
            "pushed to a public repo",
        ],
        None,
    )
    .ok()
    .stderr_has("compromised")
    .leaks_none(&["sec-leaked"]);
    s.run_pw(&["revoke", "retired"], None).ok();
    assert_eq!(s.show("leaked")["status"], "compromised");
    assert_eq!(s.show("retired")["status"], "revoked");
    let details = s.run_pw(&["show", "leaked"], None);
    details.ok().leaks_none(&["sec-leaked"]);
    assert!(
        details.stdout.contains("pushed to a public repo")
            && details.stdout.contains("Disable the key at the provider"),
        "the incident and its checklist are shown: {}",
        details.stdout
    );
    s.run_pw(&["revoke", "leaked"], None).ok();
    assert_eq!(s.show("leaked")["status"], "revoked");
    for cmd in ["revoke", "compromised"] {
        s.run_pw(&[cmd, "ghost"], None)
            .expect_code(5)
            .stderr_has("no key named 'ghost'");
    }
}

#[test]
fn passwd_changes_the_password_and_keeps_the_content() {
    let s = Sandbox::with_vault();
    s.add("a", "sec-a", &["--tag", "t", "--allow", "1.2.3.4"]);
    s.run_pw(
        &["add", "b", "--secret-stdin", "--passphrase-stdin"],
        Some("sec-b\npp-b\n"),
    )
    .ok();
    let before: Vec<Value> = s.list().iter().map(without_clock).collect();

    // Old password then new password, one per line of stdin.
    let mut args = vec!["passwd"];
    args.extend(common::FAST_KDF);
    run_command(
        s.command(&args),
        Some(&format!("{PASSWORD}\nsecond password\n")),
    )
    .ok()
    .leaks_none(&[PASSWORD, "second password"]);

    s.run_pw(&["list"], None)
        .expect_code(3)
        .stderr_has("wrong password");
    let new_file = s.write_file("new.txt", "second password\n");
    let with_new = |args: &[&str]| {
        let mut cmd = s.command(args);
        cmd.arg("--password-file").arg(&new_file);
        run_command(cmd, None)
    };
    let listed = with_new(&["list", "--json"]);
    listed.ok();
    let after: Vec<Value> = match listed.json() {
        Value::Array(items) => items.iter().map(without_clock).collect(),
        other => panic!("not an array: {other}"),
    };
    assert_eq!(after, before, "the content is kept");
    assert_eq!(
        with_new(&["get", "b", "--field", "passphrase"]).ok().stdout,
        "pp-b\n"
    );
    assert_eq!(with_new(&["get", "a"]).ok().stdout, "sec-a\n");

    // And back, the new password from --new-password-file.
    let mut args = vec!["passwd", "--new-password-file"];
    let pw_file = s.password_file.to_str().expect("path").to_owned();
    args.push(&pw_file);
    args.extend(common::FAST_KDF);
    with_new(&args).ok();
    with_new(&["list"]).expect_code(3);
    assert_eq!(s.get("a", "secret"), "sec-a\n");
    assert_eq!(mode(&s.vault), 0o600);
}

/// Changing the master password is what a user does when the old one may have leaked; a
/// backup beside the vault that still opens with the old password defeats it.
#[test]
fn passwd_leaves_nothing_that_opens_with_the_old_password() {
    let s = Sandbox::with_vault();
    s.add("a", "sec-a", &[]);
    s.add("b", "sec-b", &[]);
    let new_file = s.write_file("new.txt", "second password\n");
    let mut args = vec!["passwd", "--new-password-file"];
    let new_path = new_file.to_str().expect("path").to_owned();
    args.push(&new_path);
    args.extend(common::FAST_KDF);
    s.run_pw(&args, None).ok();
    s.run_pw(&["list"], None).expect_code(3);
    if s.backup().exists() {
        let mut cmd = keyward_command();
        cmd.arg("--vault")
            .arg(s.backup())
            .arg("--password-file")
            .arg(&s.password_file)
            .args(["get", "a"]);
        let run = run_command(cmd, None);
        assert_ne!(
            run.code,
            Some(0),
            "the backup {} still opens with the old password and prints the secret: {run:#?}",
            s.backup().display()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Password sources

#[test]
fn password_file_flag_comes_before_the_environment_variable() {
    let s = Sandbox::with_vault();
    let wrong = s.write_file("wrong.txt", "not it\n");
    let mut cmd = s.command_pw(&["list", "--json"]);
    cmd.env("KEYWARD_PASSWORD_FILE", &wrong);
    run_command(cmd, None).ok();

    let mut cmd = s.command(&["list", "--json"]);
    cmd.arg("--password-file").arg(&wrong);
    cmd.env("KEYWARD_PASSWORD_FILE", &s.password_file);
    run_command(cmd, None).expect_code(3);
}

#[test]
fn password_file_variable_comes_before_the_password_command() {
    let s = Sandbox::with_vault();
    let mut cmd = s.command(&["list", "--json"]);
    cmd.env("KEYWARD_PASSWORD_FILE", &s.password_file)
        .env("KEYWARD_PASSWORD_COMMAND", "printf wrong");
    run_command(cmd, None).ok();

    let wrong = s.write_file("wrong.txt", "wrong\n");
    let mut cmd = s.command(&["list", "--json"]);
    cmd.env("KEYWARD_PASSWORD_FILE", &wrong)
        .env("KEYWARD_PASSWORD_COMMAND", format!("printf '{PASSWORD}'"));
    run_command(cmd, None).expect_code(3);
}

#[test]
fn password_command_comes_before_stdin() {
    let s = Sandbox::with_vault();
    // With the command set, the first stdin line is the secret, not the password.
    let mut cmd = s.command(&["add", "k", "--secret-stdin"]);
    cmd.env("KEYWARD_PASSWORD_COMMAND", format!("printf '{PASSWORD}'"));
    run_command(cmd, Some("first-line-secret\n")).ok();
    assert_eq!(s.get("k", "secret"), "first-line-secret\n");

    let mut cmd = s.command(&["list", "--json"]);
    cmd.env("KEYWARD_PASSWORD_COMMAND", "printf wrong");
    run_command(cmd, Some(&format!("{PASSWORD}\n"))).expect_code(3);

    // A command that fails is an error that says so, not a wrong password.
    let mut cmd = s.command(&["list", "--json"]);
    cmd.env("KEYWARD_PASSWORD_COMMAND", "exit 7");
    let run = run_command(cmd, Some(&format!("{PASSWORD}\n")));
    run.no_panic().stderr_has("KEYWARD_PASSWORD_COMMAND");
    assert_ne!(run.code, Some(0));
    assert_eq!(run.stdout, "");
}

#[test]
fn password_from_the_first_line_of_stdin() {
    let s = Sandbox::new();
    let mut args = vec!["init"];
    args.extend(common::FAST_KDF);
    s.run(&args, Some(&format!("{PASSWORD}\n"))).ok();
    s.run(
        &["add", "k", "--secret-stdin", "--passphrase-stdin"],
        Some(&format!("{PASSWORD}\nline-two-secret\r\nline-three-pass\n")),
    )
    .ok()
    .leaks_none(&[PASSWORD, "line-two-secret", "line-three-pass"]);
    assert_eq!(
        s.get("k", "secret"),
        "line-two-secret\n",
        "CRLF is stripped"
    );
    assert_eq!(s.get("k", "passphrase"), "line-three-pass\n");
    let listed = s.run(&["list", "--json"], Some(&format!("{PASSWORD}\n")));
    assert_eq!(listed.ok().json()[0]["name"], "k");
    // The environment variable for the file works on its own too.
    let mut cmd = s.command(&["get", "k"]);
    cmd.env("KEYWARD_PASSWORD_FILE", &s.password_file);
    assert_eq!(run_command(cmd, None).ok().stdout, "line-two-secret\n");
    // No source at all: a usage error that says where the password was expected.
    s.run(&["list"], None)
        .expect_code(2)
        .stderr_has("master password");
}

#[test]
fn init_takes_the_new_password_from_the_password_command() {
    let s = Sandbox::new();
    let mut args = vec!["init"];
    args.extend(common::FAST_KDF);
    let mut cmd = s.command(&args);
    cmd.env("KEYWARD_PASSWORD_COMMAND", format!("printf '{PASSWORD}'"));
    run_command(cmd, None).ok();
    s.add("k", "sec-k", &[]);
    assert_eq!(
        s.names(),
        ["k"],
        "the command's password opens the new vault"
    );
}

#[test]
fn the_vault_path_comes_from_keyward_vault() {
    let s = Sandbox::with_vault();
    s.add("k", "sec-k", &[]);
    let mut cmd = keyward_command();
    cmd.env("KEYWARD_VAULT", &s.vault)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["list", "--json"]);
    let run = run_command(cmd, None);
    assert_eq!(run.ok().json()[0]["name"], "k");
    // --vault wins over the variable.
    let other = s.path("other.keyward");
    let mut cmd = keyward_command();
    cmd.env("KEYWARD_VAULT", &s.vault)
        .arg("--vault")
        .arg(&other)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["list", "--json"]);
    run_command(cmd, None)
        .expect_code(5)
        .stderr_has("keyward init");
}

// ---------------------------------------------------------------------------------------
// Exit codes

#[test]
fn usage_errors_exit_2_before_asking_for_anything() {
    let s = Sandbox::with_vault();
    s.add("k", "sec-k", &[]);
    let bytes = s.vault_bytes();
    let cases: &[(&[&str], &str)] = &[
        (&["add", "n", "--allow", "10.0.0.0/33"], "at most /32"),
        (&["add", "n", "--deny", "2001:db8::/129"], "at most /128"),
        (&["add", "n", "--allow", "10.0.0.5/24"], "host bits"),
        (
            &["add", "n", "--allow", "example.com"],
            "not an ipv4/ipv6 address",
        ),
        (&["edit", "k", "--allow", "300.1.1.1"], "'300.1.1.1'"),
        (&["add", "n", "--expires", "2030-13-01"], "--expires"),
        (&["add", "n", "--created", "yesterday"], "not a date"),
        (&["edit", "k", "--rotated", "2023-02-29"], "--rotated"),
        (
            &["add", "n", "--kind", "password"],
            "unknown kind 'password'",
        ),
        (&["add", "n", "--env", "staging-2"], "unknown environment"),
        (&["get", "k", "--field", "pin"], "unknown field"),
        (
            &["add", "n", "--kind", "token", "--passphrase-stdin"],
            "passphrase",
        ),
        (&["add", "n", "--rotate-every", "monthly"], "invalid value"),
        (&["add", "n", "--bogus"], "unexpected argument '--bogus'"),
        (&["add"], "required"),
        (&["frobnicate"], "unrecognized subcommand"),
        (
            &["edit", "k", "--rotate-every", "3", "--default-rotation"],
            "cannot be used with",
        ),
        (
            &["init", "--kdf-memory-mib", "0"],
            "invalid key derivation setting",
        ),
    ];
    for (args, message) in cases {
        // No password source and stdin closed: the error comes before any password is read.
        let run = s.run(args, None);
        assert_eq!(
            run.code,
            Some(2),
            "{args:?} should be a usage error: {run:#?}"
        );
        run.stderr_has(message).leaks_none(&["sec-k"]);
        assert_eq!(run.stdout, "", "{args:?} printed data");
    }
    assert_eq!(s.vault_bytes(), bytes, "no usage error changed the vault");
}

/// A key name is command-line input like an IP rule or a date: a bad one is a usage error
/// (exit 2, docs/CLI.md), found before the password is asked for.
#[test]
fn an_invalid_key_name_is_a_usage_error() {
    let s = Sandbox::with_vault();
    s.add("k", "sec-k", &[]);
    let bytes = s.vault_bytes();
    for args in [
        vec!["add", " padded "],
        vec!["add", ""],
        vec!["add", "tab\there"],
        vec!["edit", "k", "--rename", ""],
        vec!["edit", "k", "--rename", "new\nline"],
    ] {
        let run = s.run(&args, None);
        run.no_panic().stderr_has("invalid key name");
        assert_eq!(run.code, Some(2), "{args:?}: {run:#?}");
    }
    assert_eq!(s.vault_bytes(), bytes);
}

#[test]
fn wrong_password_exits_3_and_changes_nothing() {
    let s = Sandbox::with_vault();
    s.add("k", "sec-k", &[]);
    let bytes = s.vault_bytes();
    let wrong = s.write_file("wrong.txt", "Correct horse battery staple\n");
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "k"],
        vec!["get", "k"],
        vec!["add", "n", "--secret-stdin"],
        vec!["edit", "k", "--notes", "x"],
        vec!["rotate", "k"],
        vec!["revoke", "k"],
        vec!["compromised", "k"],
        vec!["passwd"],
    ] {
        let mut cmd = s.command(&args);
        cmd.arg("--password-file").arg(&wrong);
        let run = run_command(cmd, Some("some-new-secret\nother\n"));
        run.expect_code(3)
            .stderr_has("wrong password")
            .leaks_none(&["sec-k", "some-new-secret"]);
        assert_eq!(run.stdout, "", "{args:?}");
    }
    assert_eq!(s.vault_bytes(), bytes);
}

#[test]
fn missing_key_exits_5() {
    let s = Sandbox::with_vault();
    s.add("k", "sec-k", &[]);
    for args in [
        vec!["show", "ghost"],
        vec!["show", "ghost", "--json"],
        vec!["get", "ghost"],
        vec!["edit", "ghost", "--notes", "x"],
        vec!["rotate", "ghost"],
        vec!["revoke", "ghost"],
        vec!["compromised", "ghost"],
        vec!["show", "K"],
    ] {
        let run = s.run_pw(&args, Some("new\n"));
        run.expect_code(5)
            .stderr_has("no key named")
            .leaks_none(&["sec-k"]);
        assert_eq!(run.stdout, "", "{args:?}");
    }
}

#[test]
fn missing_vault_exits_5_and_says_to_run_init() {
    let s = Sandbox::new();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "k"],
        vec!["get", "k"],
        vec!["add", "k", "--secret-stdin"],
        vec!["edit", "k", "--notes", "x"],
        vec!["rotate", "k"],
        vec!["revoke", "k"],
        vec!["passwd"],
    ] {
        let run = s.run_pw(&args, Some("secret-x\nnew-pw\n"));
        run.expect_code(5)
            .stderr_has("keyward init")
            .leaks_none(&["secret-x"]);
        assert_eq!(run.stdout, "");
        assert!(!s.vault.exists(), "{args:?} created a vault");
    }
}

/// Without a password source, a missing vault must still be reported as missing (exit 5,
/// "run init"), not as a missing password: on a terminal the user would otherwise be asked
/// for the master password of a vault that does not exist.
#[test]
fn missing_vault_is_reported_before_asking_for_a_password() {
    let s = Sandbox::new();
    for args in [
        vec!["list"],
        vec!["show", "k"],
        vec!["add", "k", "--secret-stdin"],
    ] {
        s.run(&args, None).expect_code(5).stderr_has("keyward init");
    }
}

#[test]
fn init_refuses_to_overwrite_a_vault() {
    let s = Sandbox::with_vault();
    s.add("k", "sec-k", &[]);
    let bytes = s.vault_bytes();
    let mut args = vec!["init"];
    args.extend(common::FAST_KDF);
    let run = s.run_pw(&args, None);
    run.no_panic().stderr_has("already exists");
    assert_eq!(run.code, Some(5));
    assert_eq!(s.vault_bytes(), bytes);
    assert_eq!(s.names(), ["k"]);

    // An empty new password is refused and creates nothing.
    let fresh = Sandbox::new();
    fresh
        .run(&args, Some("\n"))
        .expect_code(2)
        .stderr_has("must not be empty");
    assert!(!fresh.vault.exists());
}

#[test]
fn a_duplicate_add_is_refused_without_echoing_the_secret() {
    let s = Sandbox::with_vault();
    s.add("k", "first-secret", &[]);
    let bytes = s.vault_bytes();
    s.run_pw(&["add", "k", "--secret-stdin"], Some("second-secret\n"))
        .expect_code(5)
        .stderr_has("already exists")
        .leaks_none(&["first-secret", "second-secret"]);
    assert_eq!(s.vault_bytes(), bytes);
    assert_eq!(s.get("k", "secret"), "first-secret\n");
}

// ---------------------------------------------------------------------------------------
// Secrets

#[test]
fn secrets_never_appear_in_listings_or_errors() {
    let s = Sandbox::with_vault();
    let secrets = [
        "hmac-SECRET-0001",
        "pass-PHRASE-0002",
        "tok-TOKEN-0003",
        "PRIV-KEY-0004",
    ];
    s.run_pw(
        &[
            "add",
            "hmac",
            "--secret-stdin",
            "--passphrase-stdin",
            "--key-id",
            "PUBLIC-ID",
        ],
        Some(&format!("{}\n{}\n", secrets[0], secrets[1])),
    )
    .ok()
    .leaks_none(&secrets);
    s.add("tok", secrets[2], &["--kind", "token"]);
    s.run_pw(
        &["add", "pair", "--kind", "key-pair", "--secret-stdin"],
        Some(&format!("{}\n", secrets[3])),
    )
    .ok()
    .leaks_none(&secrets);

    let runs = [
        s.run_pw(&["list"], None),
        s.run_pw(&["list", "--json"], None),
        s.run_pw(&["show", "hmac"], None),
        s.run_pw(&["show", "hmac", "--json"], None),
        s.run_pw(&["show", "tok"], None),
        s.run_pw(&["show", "pair", "--json"], None),
    ];
    for run in &runs {
        run.ok().leaks_none(&secrets);
    }
    assert!(
        runs[2].stdout.contains("PUBLIC-ID"),
        "the key id is not secret"
    );

    // Errors with secrets on stdin: duplicate, bad option, wrong kind option, missing key,
    // wrong password, same-secret rotation.
    let wrong = s.write_file("wrong.txt", "nope\n");
    let failures = [
        s.run_pw(
            &["add", "tok", "--secret-stdin"],
            Some(&format!("{}\n", secrets[2])),
        ),
        s.run_pw(
            &["add", "new", "--secret-stdin", "--allow", "1.2.3.4/40"],
            Some(&format!("{}\n", secrets[0])),
        ),
        s.run_pw(
            &[
                "add",
                "new",
                "--kind",
                "token",
                "--secret-stdin",
                "--key-id",
                "x",
            ],
            Some(&format!("{}\n", secrets[2])),
        ),
        s.run_pw(&["rotate", "ghost"], Some(&format!("{}\n", secrets[0]))),
        s.run_pw(&["rotate", "tok"], Some(&format!("{}\n", secrets[2]))),
        s.run_pw(&["get", "tok", "--field", "private-key"], None),
        {
            let mut cmd = s.command(&["add", "x", "--secret-stdin"]);
            cmd.arg("--password-file").arg(&wrong);
            run_command(cmd, Some(&format!("{}\n", secrets[1])))
        },
    ];
    for run in &failures {
        assert_ne!(run.code, Some(0), "should fail: {run:#?}");
        assert!(!run.stderr.is_empty(), "an error message: {run:#?}");
        run.leaks_none(&secrets);
        assert_eq!(run.stdout, "");
    }

    // Nor in the file itself.
    let bytes = s.vault_bytes();
    for secret in secrets.iter().chain(["PUBLIC-ID", "hmac"].iter()) {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is stored in clear in the vault file"
        );
    }
}

#[test]
fn secrets_are_never_taken_from_arguments() {
    let s = Sandbox::with_vault();
    let help = s.run(&["add", "--help"], None);
    help.ok();
    for option in [
        "--secret <",
        "--token <",
        "--passphrase <",
        "--password <",
        "--private-key <",
    ] {
        assert!(!help.stdout.contains(option), "add takes {option} on argv");
    }
    let bytes = s.vault_bytes();
    for args in [
        vec!["add", "k", "--secret", "argv-secret"],
        vec!["add", "k", "--token", "argv-secret"],
        vec!["add", "k", "--passphrase", "argv-secret"],
        vec!["add", "k", "--password", "argv-secret"],
        vec!["add", "k", "argv-secret"],
        vec!["rotate", "k", "argv-secret"],
        vec!["rotate", "k", "--secret", "argv-secret"],
    ] {
        s.run_pw(&args, Some("stdin-secret\n")).expect_code(2);
    }
    assert_eq!(s.vault_bytes(), bytes, "nothing was added from argv");

    // Without --secret-stdin and without a terminal, add asks for nothing and refuses.
    s.run_pw(&["add", "k"], Some("piped\n"))
        .expect_code(2)
        .stderr_has("--secret-stdin")
        .leaks_none(&["piped"]);
    assert_eq!(s.vault_bytes(), bytes);
}

#[cfg(unix)]
#[test]
fn vault_backup_and_lock_are_private() {
    let s = Sandbox::with_vault();
    assert_eq!(mode(&s.vault), 0o600, "a new vault");
    s.add("a", "sec-a", &[]);
    s.add("b", "sec-b", &[]);
    assert!(s.backup().exists(), "a save keeps the previous version");
    assert_eq!(mode(&s.vault), 0o600);
    assert_eq!(mode(&s.backup()), 0o600);
    s.run_pw(&["rotate", "a"], Some("sec-a2\n")).ok();
    assert_eq!(mode(&s.vault), 0o600);
    assert_eq!(mode(&s.backup()), 0o600);
    let mut lock = s.vault.as_os_str().to_owned();
    lock.push(".lock");
    assert_eq!(mode(std::path::Path::new(&lock)), 0o600);

    // The backup is the previous version: it opens and lacks only the last change.
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(s.backup())
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["get", "a"]);
    assert_eq!(run_command(cmd, None).ok().stdout, "sec-a\n");
    assert!(s.temp_files().is_empty(), "left-over: {:?}", s.temp_files());
}

#[test]
fn init_can_calibrate_the_passes_to_a_target_time() {
    let s = Sandbox::new();
    let r = s.run_pw(
        &[
            "init",
            "--kdf-memory-mib",
            "1",
            "--kdf-parallelism",
            "1",
            "--kdf-target-ms",
            "20",
        ],
        None,
    );
    r.ok().stderr_has("m=1 MiB").stderr_has("p=1");
    assert!(s.list().is_empty(), "the calibrated vault opens");
    // a target and an explicit pass count contradict each other
    let other = Sandbox::new();
    other
        .run_pw(
            &["init", "--kdf-target-ms", "20", "--kdf-iterations", "2"],
            None,
        )
        .expect_code(2);
    assert!(!other.vault.exists());
}

#[test]
fn copy_without_a_display_says_so_and_leaks_nothing() {
    let s = Sandbox::with_vault();
    s.add("k", "copy-me-0123456789", &[]);
    let mut cmd = s.command_pw(&["copy", "k", "--clear-after", "1"]);
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let r = common::run_command(cmd, None);
    r.expect_code(5)
        .stderr_has("cannot use the clipboard")
        .leaks_none(&["copy-me-0123456789"]);
    s.run_pw(&["copy", "k", "--field", "passphrase"], None)
        .expect_code(5)
        .stderr_has("has no passphrase");
    s.run_pw(&["copy", "k", "--clear-after", "0"], None)
        .expect_code(2);
}
