//! The app as careful users expect it (issue 12, items 9–14): the search and the detail
//! panel, shortcuts, settings, audit advice, notifications and the About window, clicked
//! headless through egui_kittest.

mod gui_support;

use eframe::egui;
use egui_kittest::kittest::Queryable;

use gui_support::*;
use keyward::vault::Vault;

/// The sample vault with notes, a purpose and a denied address on the keys.
fn noted_vault() -> Vault {
    let mut vault = sample_vault();
    for entry in &mut vault.entries {
        match entry.name.as_str() {
            "binance-bot" => entry.notes = "Ask Dana before rotating".into(),
            "kraken-read" => {
                entry.purpose = "Portfolio tracker".into();
                entry.ip_blacklist = thin_vec::thin_vec!["192.0.2.66".parse().expect("rule")];
            }
            _ => {}
        }
    }
    vault
}

#[test]
fn search_matches_ip_rules_purpose_and_notes() {
    let mut gui = Gui::unlocked_on(&noted_vault());
    for (needle, expected) in [
        ("203.0.113", "github-ci"),
        ("192.0.2.66", "kraken-read"),
        ("portfolio", "kraken-read"),
        ("dana", "binance-bot"),
    ] {
        gui.clear_field("Search");
        gui.type_into("Search", needle);
        assert_eq!(gui.app().visible_entry_names(), vec![expected], "{needle}");
    }
    gui.clear_field("Search");
    gui.type_into("Search", BINANCE_SECRET);
    assert!(
        gui.app().visible_entry_names().is_empty(),
        "a secret is not searched"
    );
}

#[test]
fn the_detail_panel_closes_when_the_filter_hides_its_key() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    assert!(gui.has_label("BNC-KEY-1"), "the detail panel shows");
    gui.type_into("Search", "github");
    assert_eq!(gui.app().visible_entry_names(), vec!["github-ci"]);
    assert!(
        !gui.has_label("BNC-KEY-1"),
        "the panel of a key the search hides closes"
    );
    gui.click("Clear search");
    gui.select("kraken-read");
    assert!(gui.has_label("KRK"));
    gui.click("#ci (1)");
    assert!(!gui.has_label("KRK"), "and so does a sidebar filter");
}

#[test]
fn escape_clears_the_search() {
    let mut gui = Gui::unlocked();
    gui.type_into("Search", "kraken");
    assert_eq!(gui.app().visible_entry_names(), vec!["kraken-read"]);
    gui.harness.key_press(egui::Key::Escape);
    gui.harness.run_ok();
    assert_eq!(gui.app().visible_entry_names().len(), 3);
    assert!(!gui.has_label("Clear search"), "the search box is empty");
}

#[test]
fn sort_and_filter_survive_lock_and_unlock_but_not_the_search() {
    let mut gui = Gui::unlocked();
    gui.click("Unrestricted IP (1)");
    gui.click("Rotation age");
    gui.type_into("Search", "bin");
    assert_eq!(gui.app().visible_entry_names(), vec!["binance-bot"]);
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
    gui.settle();
    assert!(gui.app().is_locked());
    gui.unlock(PASSWORD);
    assert!(!gui.app().is_locked());
    assert_eq!(
        gui.app().visible_entry_names(),
        vec!["binance-bot"],
        "the sidebar filter is kept"
    );
    assert!(
        !gui.has_label("Clear search"),
        "the search text is not kept"
    );
    gui.click("All keys (3)");
    assert_eq!(
        gui.app().visible_entry_names(),
        vec!["binance-bot", "kraken-read", "github-ci"],
        "the sort (oldest secret first) is kept"
    );
}

#[test]
fn a_setting_applies_at_once_and_the_idle_lock_says_1_minute() {
    let mut gui = Gui::unlocked();
    gui.click("Settings");
    gui.harness
        .get_by_label("Idle lock (minutes)")
        .set_value_accesskit(1.0);
    gui.settle();
    assert!(!gui.has_label("Save settings"), "no button to forget");
    assert_eq!(gui.vault_on_disk().settings.idle_lock_minutes, 1);
    // Leaving through the top bar keeps it too.
    gui.click("Reminders");
    assert_eq!(gui.vault_on_disk().settings.idle_lock_minutes, 1);
    gui.advance(chrono::Duration::seconds(61));
    gui.settle();
    assert!(gui.app().is_locked(), "the new idle time applies");
    assert_eq!(
        gui.app().status_text(),
        "Locked after 1 minute without input"
    );
}
