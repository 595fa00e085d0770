//! Issue 9's rules that the app and the CLI once answered differently, checked end to end on
//! the CLI side: each answer here comes from the one library function the app calls too.

mod common;

use chrono::{DateTime, Utc};
use serde_json::Value;

use common::{FAST_KDF, PASSWORD, Sandbox};
use keyward::secret::SecretString;
use keyward::store::{KdfParams, PasswordStrength, VaultFile};
use keyward::vault::{Credential, Entry, Vault};

fn date(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

fn fast_kdf() -> KdfParams {
    KdfParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    }
}

/// A sandbox whose vault was written by the library directly (as an older keyward would
/// have left it), with `entries`.
fn sandbox_holding(vault: &Vault) -> Sandbox {
    let s = Sandbox::new();
    VaultFile::create(&s.vault, SecretString::from(PASSWORD), fast_kdf(), vault)
        .expect("write the vault");
    s
}

fn token(name: &str, provider: &str) -> Entry {
    let mut e = Entry::new(
        name,
        Credential::Token {
            token: format!("tok-{name}").into(),
        },
        Utc::now(),
    );
    e.provider = provider.into();
    e
}

// Rule 1 -------------------------------------------------------------------------------

#[test]
fn a_futures_key_without_a_whitelist_is_high_risk_in_show_and_audit() {
    let s = Sandbox::with_vault();
    s.add("bot", "futures-secret-0123", &["--permission", "futures"]);
    s.add("reader", "read-secret-0123", &["--permission", "read"]);
    let show = s.run_pw(&["show", "bot"], None);
    show.ok();
    assert!(
        show.stdout
            .contains("high risk: a leaked key can trade from anywhere"),
        "{show:#?}"
    );
    let reader = s.run_pw(&["show", "reader"], None);
    assert!(
        reader
            .ok()
            .stdout
            .contains("(none: unrestricted; a leaked key works from any address)"),
        "{reader:#?}"
    );
    let audit = s.run_pw(&["audit", "--json"], None);
    audit.expect_code(1);
    let findings = audit.json();
    let bot: Vec<&Value> = findings
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["name"] == "bot")
        .collect();
    assert!(
        bot.iter()
            .any(|f| f["code"] == "trade_without_ip_whitelist" && f["severity"] == "high"),
        "{findings:#}"
    );
}

// Rule 2 -------------------------------------------------------------------------------

#[test]
fn an_edit_naming_the_stored_day_keeps_the_stored_time() {
    let s = Sandbox::with_vault();
    s.add(
        "k",
        "date-secret-0123",
        &[
            "--created",
            "2026-01-05T15:30:00Z",
            "--expires",
            "2027-02-01T08:15:00+01:00",
        ],
    );
    let shown = s.show("k");
    assert_eq!(
        date(&shown["created_at"]).to_rfc3339(),
        "2026-01-05T15:30:00+00:00"
    );
    assert_eq!(
        date(&shown["expires_at"]).to_rfc3339(),
        "2027-02-01T07:15:00+00:00"
    );

    s.run_pw(
        &[
            "edit",
            "k",
            "--created",
            "2026-01-05",
            "--expires",
            "2027-02-01",
        ],
        None,
    )
    .ok();
    let same = s.show("k");
    assert_eq!(
        same["created_at"], shown["created_at"],
        "same day: time kept"
    );
    assert_eq!(
        same["expires_at"], shown["expires_at"],
        "same day: time kept"
    );

    s.run_pw(&["edit", "k", "--created", "2026-01-06"], None)
        .ok();
    assert_eq!(
        date(&s.show("k")["created_at"]).to_rfc3339(),
        "2026-01-06T00:00:00+00:00",
        "another day: midnight UTC"
    );
    s.run_pw(&["edit", "k", "--expires", "01/02/2027"], None)
        .expect_code(2)
        .stderr_has("YYYY-MM-DD or RFC 3339");
}

// Rule 3 -------------------------------------------------------------------------------

#[test]
fn provider_names_are_stored_as_the_preset_id_whatever_the_case() {
    let s = Sandbox::with_vault();
    s.add("a", "prov-secret-a-0123", &["--provider", "Binance"]);
    s.add("b", "prov-secret-b-0123", &["--provider", "binance"]);
    s.add("c", "prov-secret-c-0123", &["--provider", " Acme Corp "]);
    let providers: Vec<Value> = s.list().iter().map(|e| e["provider"].clone()).collect();
    assert_eq!(providers, vec!["binance", "binance", "acme corp"]);
}

#[test]
fn a_stored_vault_gets_canonical_provider_names_on_load() {
    let mut vault = Vault::default();
    vault.add(token("old", "Binance")).expect("add");
    vault.add(token("new", "binance")).expect("add");
    vault.add(token("gh", "GitHub")).expect("add");
    let s = sandbox_holding(&vault);
    let providers: Vec<Value> = s.list().iter().map(|e| e["provider"].clone()).collect();
    assert_eq!(providers, vec!["binance", "binance", "github"]);
}

// Rule 4 -------------------------------------------------------------------------------

#[test]
fn init_and_passwd_warn_about_a_weak_password_and_a_weak_kdf_but_go_ahead() {
    let s = Sandbox::new();
    let weak = s.write_file("weak.txt", "a\n");
    let weak_arg = weak.to_string_lossy().into_owned();
    let mut args = vec!["init", "--new-password-file", weak_arg.as_str()];
    args.extend(FAST_KDF);
    let run = s.run(&args, None);
    let advice = PasswordStrength::of("a").advice();
    assert!(!advice.is_empty());
    run.ok()
        .stderr_has("weak")
        .stderr_has(&advice)
        .stderr_has("weaker than the default")
        .leaks_none(&[]);
    assert!(s.vault.exists(), "a warning, not a refusal");

    // The strong test password draws no password warning, only the KDF one.
    let mut args = vec!["passwd"];
    args.extend(FAST_KDF);
    let mut cmd = s.command(&args);
    cmd.arg("--password-file")
        .arg(&weak)
        .arg("--new-password-file")
        .arg(&s.password_file);
    let run = common::run_command(cmd, None);
    run.ok().stderr_has("weaker than the default");
    assert!(!run.stderr.contains("password is weak"), "{run:#?}");

    // Back to the weak one: passwd warns as init does.
    let mut cmd = s.command(&args);
    cmd.arg("--password-file")
        .arg(&s.password_file)
        .arg("--new-password-file")
        .arg(&weak);
    common::run_command(cmd, None)
        .ok()
        .stderr_has("master password is weak")
        .stderr_has(&advice);
}

// Rule 5 -------------------------------------------------------------------------------

#[test]
fn the_import_summary_counts_clashes_apart_from_skips() {
    let s = Sandbox::with_vault();
    s.add("TAKEN", "taken-secret-0123", &[]);
    let env = s.write_file("keys.env", "TAKEN=one\nFRESH=two\n");
    let env = env.to_string_lossy().into_owned();
    let refuse = s.run_pw(&["import", "--format", "dotenv", &env, "--dry-run"], None);
    refuse
        .expect_code(2)
        .stderr_has("1 name(s) already taken: TAKEN");
    s.run_pw(
        &[
            "import",
            "--format",
            "dotenv",
            &env,
            "--dry-run",
            "--on-clash",
            "skip",
        ],
        None,
    )
    .ok()
    .stderr_has("Dry run: 1 new, 0 renamed, 0 replaced, 1 skipped;");
    s.run_pw(
        &["import", "--format", "dotenv", &env, "--on-clash", "rename"],
        None,
    )
    .ok()
    .stderr_has("1 new, 1 renamed, 0 replaced, 0 skipped.");
}

// Rule 6 -------------------------------------------------------------------------------

#[test]
fn kdf_presets_are_the_library_presets() {
    let s = Sandbox::new();
    let run = s.run_pw(&["init", "--kdf-preset", "light"], None);
    run.ok()
        .stderr_has("Argon2id m=19 MiB, t=2, p=1")
        .stderr_has("weaker than the default");
    let other = Sandbox::new();
    other
        .run_pw(&["init", "--kdf-preset", "medium"], None)
        .expect_code(2)
        .stderr_has("light, standard or strong");
    other
        .run_pw(
            &["init", "--kdf-preset", "light", "--kdf-iterations", "2"],
            None,
        )
        .expect_code(2);
    assert!(!other.vault.exists());
}

// Rule 7 -------------------------------------------------------------------------------

#[test]
fn a_zero_second_clipboard_clear_is_refused_from_the_flag_and_from_the_vault() {
    let s = Sandbox::with_vault();
    s.add("k", "clip-secret-0123", &[]);
    s.run_pw(&["copy", "k", "--clear-after", "0"], None)
        .expect_code(2)
        .stderr_has("at least 1 second")
        .leaks_none(&["clip-secret-0123"]);

    let mut vault = Vault::default();
    vault.settings.clipboard_seconds = 0;
    vault.add(token("t", "")).expect("add");
    let zero = sandbox_holding(&vault);
    zero.run_pw(&["copy", "t"], None)
        .expect_code(2)
        .stderr_has("at least 1 second")
        .leaks_none(&["tok-t"]);
}
