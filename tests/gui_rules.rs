//! Issue 9's rules that the app and the CLI once answered differently, on the app side: each
//! answer shown here comes from the library function `keyward` calls too (tests/rules_cli.rs
//! checks the CLI's).

mod gui_support;

use chrono::{DateTime, TimeZone, Utc};
use egui_kittest::kittest::{NodeT as _, Queryable};

use gui_support::*;
use keyward::clipboard::clear_delay;
use keyward::store::{KdfPreset, PasswordStrength};
use keyward::vault::exposure;
use keyward::vault::{Credential, Entry, Vault};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test date")
        .with_timezone(&Utc)
}

fn token(name: &str, provider: &str) -> Entry {
    let created = Utc
        .with_ymd_and_hms(2026, 2, 1, 0, 0, 0)
        .single()
        .expect("date");
    let mut e = Entry::new(
        name,
        Credential::Token {
            token: format!("tok-{name}-0123456789").into(),
        },
        created,
    );
    e.provider = provider.into();
    e
}

fn vault_of(entries: Vec<Entry>) -> Vault {
    let mut v = Vault::default();
    for e in entries {
        v.add(e).expect("add");
    }
    v
}

// Rule 1 -------------------------------------------------------------------------------

#[test]
fn a_futures_key_without_a_whitelist_is_high_risk_in_the_detail_view() {
    let mut bot = token("futures-bot", "bybit");
    bot.set_permissions(["read", "futures"]);
    let mut gui = Gui::unlocked_on(&vault_of(vec![bot.clone()]));
    gui.select("futures-bot");
    let note = exposure::unrestricted_note(&bot).expect("no whitelist");
    assert_eq!(note, "high risk: a leaked key can trade from anywhere");
    assert!(
        gui.has_label_containing(note),
        "the detail view says what the audit and `keyward show` say"
    );
}

// Rule 2 -------------------------------------------------------------------------------

#[test]
fn saving_the_editor_unchanged_keeps_stored_times_and_rfc3339_is_accepted() {
    let mut k = token("dated", "");
    k.created_at = utc("2026-01-05T15:30:00Z");
    k.expires_at = Some(utc("2027-02-01T07:15:00Z"));
    let mut gui = Gui::unlocked_on(&vault_of(vec![k]));
    gui.select("dated");
    gui.click("Edit");
    gui.type_into("Purpose", "a plain edit");
    gui.click("Save key");
    let saved = gui.vault_on_disk();
    let e = saved.get("dated").expect("saved");
    assert_eq!(e.purpose, "a plain edit");
    assert_eq!(e.created_at, utc("2026-01-05T15:30:00Z"), "time kept");
    assert_eq!(e.expires_at, Some(utc("2027-02-01T07:15:00Z")), "time kept");

    gui.click("Edit");
    gui.clear_field("Expires");
    gui.type_into("Expires", "2027-03-01T10:00:00+02:00");
    gui.click("Save key");
    let e = gui.vault_on_disk();
    assert_eq!(
        e.get("dated").and_then(|e| e.expires_at),
        Some(utc("2027-03-01T08:00:00Z")),
        "the editor reads RFC 3339 as the CLI does"
    );
}

// Rule 3 -------------------------------------------------------------------------------

#[test]
fn binance_in_any_case_is_one_provider_in_the_sidebar() {
    let gui = Gui::unlocked_on(&vault_of(vec![
        token("a", "Binance"),
        token("b", "binance"),
        token("c", "BINANCE "),
    ]));
    assert!(
        gui.has_label("Binance (3)"),
        "one row, the preset's display name"
    );
    assert!(!gui.has_label("binance (2)") && !gui.has_label("Binance (1)"));
}

#[test]
fn the_editor_stores_the_preset_id() {
    let mut gui = Gui::unlocked_on(&Vault::default());
    gui.click("New key");
    gui.type_into("Name", "gh");
    gui.type_into("Provider", "GitHub");
    // The typed preset made it a token (issue 12, item 8).
    gui.type_into("Token", "ghp_some_token_value");
    gui.click("Save key");
    let vault = gui.vault_on_disk();
    assert_eq!(vault.get("gh").map(|e| e.provider.as_str()), Some("github"));
}

// Rule 4 -------------------------------------------------------------------------------

#[test]
fn the_create_screen_refuses_what_the_policy_calls_weak_with_its_advice() {
    let mut gui = Gui::first_run();
    gui.type_into("Master password", "a");
    let weak = PasswordStrength::of("a");
    assert!(!weak.is_strong_enough());
    assert!(gui.has_label_containing(&format!("Strength: {}", weak.words())));
    for advice in weak.warning.iter().chain(&weak.suggestions) {
        assert!(gui.has_label_containing(advice), "shows {advice:?}");
    }
    gui.type_into("Repeat password", "a");
    assert!(gui.has_label("Choose a stronger password (see the advice above)."));
    assert!(!gui.path.exists());
}

// Rule 5 -------------------------------------------------------------------------------

#[test]
fn the_import_preview_counts_a_clash_as_taken_not_skipped() {
    let mut gui = Gui::unlocked_on(&vault_of(vec![token("TAKEN", "")]));
    let env = gui.path.with_file_name("keys.env");
    std::fs::write(&env, "TAKEN=one\nFRESH=two\n").expect("write env");
    gui.click("Import…");
    gui.click("dotenv");
    gui.type_into("Import file", &env.display().to_string());
    gui.click("Preview import");
    assert!(
        gui.has_label("1 new, 0 renamed, 0 replaced, 0 skipped, 1 name(s) taken"),
        "the library's summary, as `keyward import` prints it"
    );
    gui.click("Skip it");
    assert!(gui.has_label("1 new, 0 renamed, 0 replaced, 1 skipped"));
}

// Rule 6 -------------------------------------------------------------------------------

#[test]
fn the_create_screen_offers_the_library_kdf_presets() {
    let mut gui = Gui::first_run();
    let combo = "Key derivation strength";
    assert_eq!(
        gui.harness
            .get_by_label(combo)
            .accesskit_node()
            .value()
            .as_deref(),
        Some(KdfPreset::Standard.label()),
        "the default"
    );
    gui.click(combo);
    for preset in KdfPreset::ALL {
        assert!(gui.has_label(preset.label()), "{preset:?} is offered");
    }
    assert!(!gui.has_label_containing("weaker than the default"));
    gui.click(KdfPreset::Light.label());
    assert!(
        gui.has_label_containing("weaker than the default"),
        "Light draws the warning `keyward init --kdf-preset light` prints"
    );
}

#[test]
fn settings_warn_about_the_weak_test_kdf_as_passwd_does() {
    let mut gui = Gui::unlocked_on(&Vault::default());
    gui.click("Settings");
    let warning = keyward::store::strength::kdf_warning(fast_kdf()).expect("1 MiB, 1 pass");
    assert!(gui.has_label_containing(&warning[1..]), "{warning}");
}

// Rule 7 -------------------------------------------------------------------------------

#[test]
fn a_zero_second_clipboard_setting_copies_nothing_and_says_why() {
    let mut vault = vault_of(vec![token("k", "")]);
    vault.settings.clipboard_seconds = 0;
    let mut gui = Gui::unlocked_on(&vault);
    gui.select("k");
    gui.click("Copy secret");
    let why = clear_delay(0).expect_err("zero is refused").to_string();
    assert!(
        gui.app().status_text().contains(&why),
        "{}",
        gui.app().status_text()
    );
    assert_eq!(gui.clipboard.contents(), None, "nothing was copied");
}
