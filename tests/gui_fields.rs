//! GUI flows of issue 10's model through egui_kittest: a key's URL and custom fields typed in
//! the editor, saved, shown in the detail panel (protected values masked, copied through the
//! timed clipboard), edited again, refused when two share a name, and found by the search
//! (never by a protected value).

mod gui_support;

use egui_kittest::kittest::{NodeT as _, Queryable};

use eframe::egui;
use gui_support::*;
use keyward::vault::CustomField;

/// Clicks a widget of the editor after scrolling it into view (the form is taller than the
/// dialog), as a user scrolls before clicking.
fn click_in_view(gui: &mut Gui, label: &str) {
    gui.node(label).scroll_to_me();
    gui.settle();
    gui.click(label);
}

#[test]
fn url_and_custom_fields_are_typed_saved_shown_masked_and_copied() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.click("Edit");
    gui.type_into("URL", "https://github.com/acme/settings/tokens");
    gui.click("Add field");
    gui.type_into("Field 1 name", "Org");
    gui.type_into("Field 1 value", "acme-inc");
    gui.click("Add field");
    gui.type_into("Field 2 name", "Recovery code");
    gui.click("Protect field 2");
    gui.type_into("Field 2 value", "rc-5566-7788");
    assert_eq!(
        gui.field("Field 2 value").accesskit_node().role(),
        egui::accesskit::Role::PasswordInput,
        "a protected value is typed masked"
    );
    gui.click("Save key");
    assert!(!gui.has_label("Save key"), "the dialog closed");
    gui.settle();

    let saved = gui.vault_on_disk();
    let entry = saved.get("github-ci").expect("github-ci");
    assert_eq!(entry.url, "https://github.com/acme/settings/tokens");
    assert_eq!(
        entry.custom_fields,
        vec![
            CustomField::new("Org", "acme-inc", false),
            CustomField::new("Recovery code", "rc-5566-7788", true),
        ]
    );

    // The detail panel: the URL as a link, the plain value shown, the protected one masked.
    assert!(gui.has_label("https://github.com/acme/settings/tokens"));
    assert!(gui.has_label("acme-inc"));
    assert!(
        !gui.has_label_containing("rc-5566"),
        "a protected value is never drawn"
    );
    gui.click("Copy field Recovery code");
    assert_eq!(gui.clipboard.contents().as_deref(), Some("rc-5566-7788"));
    assert!(gui.has_label_containing("Copied the field Recovery code of github-ci"));
    gui.advance(chrono::Duration::seconds(21));
    assert_eq!(
        gui.clipboard.contents(),
        None,
        "cleared after the clipboard time"
    );

    // Edit again: the rows come back as saved; removing one removes it.
    gui.click("Edit");
    assert!(gui.is_ticked("Protect field 2"));
    gui.click("Remove field 1");
    gui.click("Save key");
    gui.settle();
    let entry = gui.vault_on_disk();
    let entry = entry.get("github-ci").expect("github-ci");
    assert_eq!(
        entry.custom_fields,
        vec![CustomField::new("Recovery code", "rc-5566-7788", true)]
    );
}

#[test]
fn two_fields_of_one_name_are_refused_with_the_vaults_words() {
    let mut gui = Gui::unlocked();
    gui.select("kraken-read");
    gui.click("Edit");
    click_in_view(&mut gui, "Add field");
    gui.type_into("Field 1 name", "Account");
    click_in_view(&mut gui, "Add field");
    gui.type_into("Field 2 name", "account");
    assert!(gui.has_label_containing("two custom fields are named 'account'"));
    assert!(
        gui.harness
            .get_by_label("Save key")
            .accesskit_node()
            .is_disabled(),
        "nothing is saved while the rule is broken"
    );
    click_in_view(&mut gui, "Remove field 2");
    assert!(!gui.has_label_containing("two custom fields"));
    click_in_view(&mut gui, "Add field");
    gui.type_into("Field 2 name", "API Key");
    assert!(gui.has_label_containing("'API Key' is the name of a standard part"));
}

#[test]
fn search_finds_url_and_plain_fields_but_never_a_protected_value() {
    let mut vault = sample_vault();
    let kraken = vault.get_mut("kraken-read").expect("kraken");
    kraken.url = "https://pro.kraken.com/app/settings/api".into();
    kraken.custom_fields = thin_vec::thin_vec![
        CustomField::new("Desk", "otc-desk", false),
        CustomField::new("Withdrawal PIN", "pin-90817", true),
    ];
    let mut gui = Gui::unlocked_on(&vault);
    for (needle, hits) in [
        ("pro.kraken", vec!["kraken-read"]),
        ("otc-desk", vec!["kraken-read"]),
        ("withdrawal pin", vec!["kraken-read"]),
        ("pin-90817", vec![]),
    ] {
        gui.type_into("Search", needle);
        assert_eq!(gui.app().visible_entry_names(), hits, "{needle}");
        gui.click("Clear search");
    }
}

#[test]
fn a_protected_field_is_revealed_for_the_reveal_time_then_masked_again() {
    let mut vault = sample_vault();
    let kraken = vault.get_mut("kraken-read").expect("kraken");
    kraken.custom_fields = thin_vec::thin_vec![
        CustomField::new("Desk", "otc-desk", false),
        CustomField::new("Withdrawal PIN", "pin-90817", true),
    ];
    let mut gui = Gui::unlocked_on(&vault);
    gui.select("kraken-read");
    assert!(gui.has_label("otc-desk"), "a plain value is shown");
    assert!(!gui.has_label("pin-90817"), "a protected value is masked");
    assert!(
        !gui.has_label("Reveal field Desk"),
        "a plain field has nothing to reveal"
    );
    gui.click("Reveal field Withdrawal PIN");
    assert!(gui.has_label("pin-90817"));
    gui.click("Hide field Withdrawal PIN");
    assert!(!gui.has_label("pin-90817"), "masked again by the button");
    gui.click("Reveal field Withdrawal PIN");
    gui.advance(chrono::Duration::seconds(5));
    assert!(
        gui.has_label("pin-90817"),
        "still shown within the reveal time"
    );
    gui.advance(chrono::Duration::seconds(6));
    assert!(!gui.has_label("pin-90817"), "masked again after 10 s");
    // Revealing a field masks the credential's secret, as one reveal at a time.
    gui.click("Reveal secret");
    gui.click("Reveal field Withdrawal PIN");
    assert!(gui.has_label("pin-90817"));
    assert!(
        !gui.has_label_containing("Hide secret"),
        "one reveal at a time"
    );
}
