//! GUI flows of issue 4 through egui_kittest: the unlock banner, the Reminders view, the
//! Audit view's click-through, the incident checklist, the sidebar's attention count (which
//! must equal the audit's) and provider presets in the editor.

mod gui_support;

use std::collections::BTreeSet;

use eframe::egui;
use egui_kittest::kittest::Queryable;

use gui_support::*;
use keyward::vault::audit;
use keyward::vault::{Credential, Entry, Vault};

fn token(name: &str, value: &str, days_old: i64) -> Entry {
    Entry::new(
        name,
        Credential::Token {
            token: value.into(),
        },
        start() - day(days_old),
    )
}

/// The sample vault plus a key expiring in 5 days (no rotation policy) and a revoked one.
fn vault_with_dates() -> Vault {
    let mut vault = sample_vault();
    let mut stripe = token("stripe-live", "sk_live_1", 3);
    stripe.provider = "stripe".into();
    stripe.rotate_every_days = Some(0);
    stripe.expires_at = Some(start() + day(5));
    stripe.ip_whitelist = thin_vec::thin_vec!["198.51.100.9".parse().expect("rule")];
    vault.add(stripe).expect("add");
    let mut gone = token("old-revoked", "tok-old", 400);
    gone.revoke();
    vault.add(gone).expect("add");
    vault
}

#[test]
fn the_unlock_banner_names_an_overdue_key() {
    let mut gui = Gui::unlocked();
    assert!(
        gui.has_label("Rotation overdue (1): binance-bot"),
        "the banner names the overdue key"
    );
    assert!(
        gui.has_label("At risk (1): binance-bot"),
        "and the key at risk (withdraw from any IP)"
    );
    gui.click("Dismiss");
    assert!(!gui.has_label_containing("Rotation overdue (1)"));
    // Locking and unlocking shows it again.
    gui.click("Lock");
    gui.unlock(PASSWORD);
    assert!(gui.has_label("Rotation overdue (1): binance-bot"));
    gui.click("Open reminders");
    assert!(
        gui.has_label("Export calendar (.ics)…"),
        "the reminders show"
    );
}

#[test]
fn the_banner_lists_expiring_keys_and_nothing_when_all_is_well() {
    let gui = Gui::unlocked_on(&vault_with_dates());
    assert!(gui.has_label("Expiring soon (1): stripe-live"));
    assert!(
        gui.has_label("Rotation overdue (1): binance-bot"),
        "the revoked key is not named"
    );

    let mut calm = Vault::default();
    let mut fine = token("fine", "t", 1);
    fine.expires_at = Some(start() + day(300));
    fine.ip_whitelist = thin_vec::thin_vec!["203.0.113.1".parse().expect("rule")];
    calm.add(fine).expect("add");
    let gui = Gui::unlocked_on(&calm);
    assert!(!gui.has_label("Dismiss"), "no banner when nothing is due");
}

#[test]
fn the_reminders_view_is_sorted_by_date_and_opens_the_key() {
    let mut gui = Gui::unlocked_on(&vault_with_dates());
    gui.click("Reminders");
    // binance-bot: rotation due 30 days ago; stripe-live: expires in 5 days;
    // kraken-read: rotation due in 50 days; github-ci: in 80 days.
    let names = ["binance-bot", "stripe-live", "kraken-read", "github-ci"];
    assert_eq!(
        order(&gui, &names),
        names,
        "earliest first, the past on top"
    );
    assert!(gui.has_label("Rotation overdue"));
    assert!(gui.has_label("Expires"));
    assert!(gui.has_label("30 days ago"));
    assert!(gui.has_label("in 5 days"));
    assert!(
        !gui.has_label("old-revoked"),
        "revoked keys have no reminders"
    );
    gui.click("kraken-read");
    assert!(gui.has_label("KRK"), "the key's details show");
    assert!(
        !gui.has_label("Export calendar (.ics)…"),
        "back on the keys"
    );
}

#[test]
fn the_audit_view_lists_findings_and_clicks_through_to_the_entry() {
    let mut gui = Gui::unlocked();
    gui.click("Audit");
    assert!(gui.has_label("critical"), "the most severe finding shows");
    assert!(gui.has_label_containing("withdraw permission with no IP whitelist"));
    assert!(
        gui.has_label_containing("Fix: whitelist your servers' IPs"),
        "each finding says what to do"
    );
    let critical_top = gui
        .harness
        .query_all_by_label("critical")
        .map(|n| n.rect().top())
        .fold(f32::MAX, f32::min);
    let low_top = gui
        .harness
        .query_all_by_label("low")
        .map(|n| n.rect().top())
        .fold(f32::MAX, f32::min);
    assert!(critical_top < low_top, "most severe first");
    assert!(!gui.has_label("BNC-KEY-1"), "no key is open yet");
    gui.harness
        .query_all_by_label("binance-bot")
        .next()
        .expect("a finding about binance-bot")
        .click();
    gui.settle();
    assert!(gui.has_label("BNC-KEY-1"), "binance-bot's details show");
    assert!(gui.has_label("Reveal secret"));
}

#[test]
fn the_incident_checklist_links_the_key_page_and_ticks_persist_across_lock_and_unlock() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.click("Mark compromised…");
    gui.type_into("What happened", "token in a CI log");
    gui.click("Mark compromised");
    assert!(gui.has_label("GitHub API keys"), "the key page link shows");
    assert!(gui.has_label_containing("5 step(s) open"));
    gui.click("Disable the key at the provider");
    gui.click("Contact the provider");
    assert!(gui.has_label_containing("3 step(s) open"));
    assert!(gui.is_ticked("Disable the key at the provider"));
    let on_disk = gui.vault_on_disk();
    let steps = &on_disk
        .get("github-ci")
        .expect("entry")
        .incident
        .as_ref()
        .expect("incident")
        .checklist;
    assert!(
        steps[0].done_at.is_some() && steps[4].done_at.is_some(),
        "saved at once"
    );

    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    gui.settle();
    assert!(gui.app().is_locked());
    gui.unlock(PASSWORD);
    assert!(
        gui.has_label("Compromised (1): github-ci"),
        "the banner names it"
    );
    gui.select("github-ci");
    assert!(
        gui.is_ticked("Disable the key at the provider"),
        "still ticked"
    );
    assert!(gui.is_ticked("Contact the provider"));
    assert!(!gui.is_ticked("Review account activity since the last rotation"));
    // Untick one: saved too.
    gui.click("Contact the provider");
    let on_disk = gui.vault_on_disk();
    let steps = &on_disk
        .get("github-ci")
        .expect("entry")
        .incident
        .as_ref()
        .expect("incident")
        .checklist;
    assert!(steps[4].done_at.is_none());
}

#[test]
fn the_sidebar_attention_count_equals_the_audits() {
    let now = start();
    let mut vault = sample_vault();
    // Medium: expires in 3 days (whitelisted, fresh).
    let mut soon = token("expiring", "t-1", 5);
    soon.expires_at = Some(now + day(3));
    soon.ip_whitelist = thin_vec::thin_vec!["203.0.113.2".parse().expect("rule")];
    vault.add(soon).expect("add");
    // High: expired.
    let mut expired = token("expired", "t-2", 5);
    expired.expires_at = Some(now - day(1));
    expired.ip_whitelist = thin_vec::thin_vec!["203.0.113.3".parse().expect("rule")];
    vault.add(expired).expect("add");
    // High: the same secret in two keys (nothing else wrong with them).
    for name in ["twin-a", "twin-b"] {
        let mut twin = token(name, "shared-secret-value", 5);
        twin.expires_at = Some(now + day(200));
        twin.ip_whitelist = thin_vec::thin_vec!["203.0.113.4".parse().expect("rule")];
        vault.add(twin).expect("add");
    }
    // Low only: no expiry, no whitelist, read-only.
    vault.add(token("low-only", "t-3", 5)).expect("add");
    // Compromised with every step ticked: no longer flagged.
    let mut handled = token("handled", "t-4", 5);
    handled.ip_whitelist = thin_vec::thin_vec!["203.0.113.5".parse().expect("rule")];
    handled.expires_at = Some(now + day(200));
    handled.mark_compromised("leak", now - day(2));
    for step in &mut handled.incident.as_mut().expect("incident").checklist {
        step.done_at = Some(now - day(1));
    }
    vault.add(handled).expect("add");
    // Revoked with withdraw from anywhere: no longer works, not flagged.
    let mut revoked = token("revoked-withdraw", "t-5", 500);
    revoked.set_permissions(["withdraw"]);
    revoked.revoke();
    vault.add(revoked).expect("add");
    // A KuCoin trading key without a whitelist (provider rule).
    let mut kucoin = token("kucoin-bot", "t-6", 60);
    kucoin.provider = "kucoin".into();
    kucoin.set_permissions(["trade"]);
    vault.add(kucoin).expect("add");

    let (providers, _) = keyward::presets::load();
    let expected: BTreeSet<String> = audit::audit(&vault, &providers, now)
        .into_iter()
        .filter(audit::needs_attention)
        .map(|f| f.name)
        .collect();
    assert!(expected.contains("twin-a") && expected.contains("expiring"));
    assert!(!expected.contains("low-only") && !expected.contains("handled"));

    let mut gui = Gui::unlocked_on(&vault);
    let label = format!("Needs attention ({})", expected.len());
    assert!(gui.has_label(&label), "the sidebar shows {label}");
    gui.click(&label);
    let shown: BTreeSet<String> = gui.app().visible_entry_names().into_iter().collect();
    assert_eq!(shown, expected, "the filter shows exactly the audit's keys");
}

/// Opens the presets list and picks `name` (the first click on a list in a freshly opened
/// dialog can be taken by the dialog, so it clicks again until the list shows).
fn choose_preset(gui: &mut Gui, name: &str) {
    for _ in 0..3 {
        if gui.has_label(name) {
            break;
        }
        gui.harness.get_by_label("or a preset").click();
        gui.settle();
    }
    gui.harness.get_by_label(name).click();
    gui.settle();
}

#[test]
fn choosing_a_provider_preset_shapes_the_form() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    choose_preset(&mut gui, "OKX");
    assert_eq!(gui.field("Provider").value().as_deref(), Some("okx"));
    assert!(gui.has_label("Passphrase"), "OKX keys have a passphrase");
    choose_preset(&mut gui, "Coinbase");
    assert!(gui.has_label("Private key"), "Coinbase issues key pairs");
    choose_preset(&mut gui, "Binance");
    assert!(
        gui.has_label("Secret"),
        "Binance's first kind: key + secret"
    );
    assert!(
        !gui.has_label("Passphrase"),
        "Binance keys have no passphrase"
    );
    assert!(
        gui.has_label("margin"),
        "Binance's permission names are offered"
    );
    gui.type_into("Name", "binance-margin");
    gui.type_into("Secret", "s3cret");
    gui.click("margin");
    gui.click("Save key");
    let vault = gui.vault_on_disk();
    let entry = vault.get("binance-margin").expect("saved");
    assert_eq!(entry.provider, "binance");
    assert!(entry.permissions.iter().any(|p| p.as_str() == "margin"));
}

/// Issue 12 item 10: the app's advice says what to click; the CLI's (with its commands) is
/// for `keyward audit`.
#[test]
fn the_audit_view_says_what_to_click_not_which_command_to_run() {
    let mut gui = Gui::unlocked();
    gui.click("Audit");
    assert!(
        gui.has_label_containing("then click Rotate… in the key's panel"),
        "an overdue rotation says where to click"
    );
    assert!(
        gui.has_label_containing("click Edit and set Expires")
            || gui.has_label_containing("then Edit › Expires here"),
        "a missing expiry says where to click"
    );
    for command in ["`keyward", "keyward rotate", "keyward edit", "--expires"] {
        assert!(
            !gui.has_label_containing(command),
            "the app's audit names a CLI command: {command}"
        );
    }
}
