//! The key editor as a careful user meets it (issue 12), through egui_kittest: closing a form
//! with changes asks first, Esc on an open drop-down closes only the drop-down.

mod gui_support;

use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable};
use gui_support::*;

const DISCARD: &str = "Discard changes?";

fn escape(gui: &mut Gui) {
    gui.harness.key_press(egui::Key::Escape);
    gui.settle();
}

fn editor_open(gui: &Gui) -> bool {
    gui.has_label("Save key")
}

/// Clicks the combo box labelled `label` (its label is a separate widget).
fn open_combo(gui: &mut Gui, label: &str) {
    gui.harness
        .get_by(|n| n.role() == Role::ComboBox && n.label().as_deref() == Some(label))
        .click();
    gui.settle();
}

#[test]
fn escape_on_a_filled_in_new_key_asks_before_discarding() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "okx-grid");
    gui.type_into("Secret", "okx-s3cret");
    escape(&mut gui);
    assert!(gui.has_label(DISCARD), "Esc asks first");
    assert!(editor_open(&gui), "the form is still there");

    gui.click("Keep editing");
    assert!(!gui.has_label(DISCARD));
    assert!(editor_open(&gui));
    assert_eq!(
        gui.field("Name").accesskit_node().value().as_deref(),
        Some("okx-grid"),
        "nothing typed was lost"
    );

    // Cancel asks too; Esc on the question means keep editing.
    gui.click("Cancel");
    assert!(gui.has_label(DISCARD), "Cancel asks first");
    escape(&mut gui);
    assert!(
        !gui.has_label(DISCARD),
        "Esc on the question keeps the form"
    );
    assert!(editor_open(&gui));

    gui.click("Cancel");
    gui.click("Discard");
    assert!(!editor_open(&gui), "Discard closes the form");
    assert!(!gui.has_label(DISCARD));
    assert!(!gui.has_label("okx-grid"), "nothing was added");
    assert!(gui.vault_on_disk().get("okx-grid").is_none());
}

#[test]
fn an_unchanged_form_closes_at_once() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    escape(&mut gui);
    assert!(!editor_open(&gui), "an empty new form closes on Esc");
    assert!(!gui.has_label(DISCARD));

    // Typed and removed again: no change left to lose.
    gui.click("New key");
    gui.type_into("Name", "x");
    gui.clear_field("Name");
    gui.click("Cancel");
    assert!(!gui.has_label(DISCARD), "the form is as it was opened");
    assert!(!editor_open(&gui));
}

#[test]
fn escape_on_the_open_kind_drop_down_closes_only_the_drop_down() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "gh-token");
    open_combo(&mut gui, "Credential kind");
    assert!(gui.has_label("Bearer token"), "the drop-down is open");
    escape(&mut gui);
    assert!(!gui.has_label("Bearer token"), "Esc closed the drop-down");
    assert!(editor_open(&gui), "the form stays");
    assert!(!gui.has_label(DISCARD), "and nothing asks to discard it");

    // The next Esc is for the form: it asks, the name still typed.
    escape(&mut gui);
    assert!(gui.has_label(DISCARD));
}

#[test]
fn escape_on_an_open_drop_down_of_an_unchanged_form_keeps_the_form() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    open_combo(&mut gui, "Credential kind");
    assert!(gui.has_label("Bearer token"));
    escape(&mut gui);
    assert!(editor_open(&gui), "Esc was for the drop-down, not the form");
    escape(&mut gui);
    assert!(!editor_open(&gui));
}

#[test]
fn editing_an_existing_key_asks_before_discarding_a_change() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.click("Edit");
    assert!(editor_open(&gui));
    escape(&mut gui);
    assert!(!editor_open(&gui), "an unchanged edit closes at once");

    gui.click("Edit");
    gui.type_into("URL", "https://github.com/settings/tokens");
    escape(&mut gui);
    assert!(gui.has_label(DISCARD), "a changed edit asks");
    gui.click("Discard");
    assert!(!editor_open(&gui));
    let vault = gui.vault_on_disk();
    assert_eq!(vault.get("github-ci").expect("still there").url, "");
    assert!(
        !gui.app().has_unsaved_changes(),
        "nothing changed in the session"
    );
}

#[test]
fn the_windows_close_button_asks_about_a_changed_form() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "kraken-bot");
    gui.harness
        .input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    gui.settle();
    assert!(gui.has_label(DISCARD), "closing the window asks first");
    assert!(editor_open(&gui));
    gui.click("Keep editing");
    assert_eq!(
        gui.field("Name").accesskit_node().value().as_deref(),
        Some("kraken-bot")
    );
}

/// The text field that has the keyboard focus, by its label.
fn focused_field(gui: &Gui) -> Option<String> {
    gui.harness
        .query_all(egui_kittest::kittest::by())
        .find(|n| n.is_focused())
        .and_then(|n| n.accesskit_node().label())
}

#[test]
fn the_name_field_has_the_focus_after_ctrl_n_and_after_new_key() {
    let mut gui = Gui::unlocked();
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    gui.settle();
    assert!(editor_open(&gui));
    assert_eq!(focused_field(&gui).as_deref(), Some("Name"));
    // Typing goes straight into it.
    gui.harness
        .input_mut()
        .events
        .push(egui::Event::Text("typed-at-once".into()));
    gui.settle();
    assert_eq!(
        gui.field("Name").accesskit_node().value().as_deref(),
        Some("typed-at-once")
    );
    gui.click("Cancel");
    gui.click("Discard");

    gui.click("New key");
    assert_eq!(focused_field(&gui).as_deref(), Some("Name"));
}

#[test]
fn ctrl_enter_saves_and_enter_in_a_single_line_field_saves() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "okx-main");
    gui.type_into("Secret", "okx-s3cret");
    gui.field("Notes").focus();
    gui.harness.step();
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    gui.settle();
    assert!(!editor_open(&gui), "Ctrl+Enter saved, even from the notes");
    let vault = gui.vault_on_disk();
    assert_eq!(
        vault.get("okx-main").expect("saved").notes,
        "",
        "no newline added"
    );

    gui.click("New key");
    gui.type_into("Name", "okx-second");
    gui.type_into("Secret", "okx-s3cret-2");
    gui.harness.key_press(egui::Key::Enter);
    gui.settle();
    assert!(!editor_open(&gui), "Enter in the Secret field saved");
    assert!(gui.vault_on_disk().get("okx-second").is_some());
}

#[test]
fn problems_show_after_a_field_is_touched_or_on_a_save_attempt() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    assert!(
        !gui.has_label("The secret is empty."),
        "a blank form is not a page of errors"
    );
    assert!(!gui.has_label_containing("Fix the fields"));
    gui.type_into("Name", "gh");
    assert!(
        !gui.has_label("The secret is empty."),
        "the secret is not touched yet"
    );

    // Enter in the name field tries to save: nothing saved, every problem shows.
    gui.field("Name").focus();
    gui.harness.step();
    gui.harness.key_press(egui::Key::Enter);
    gui.settle();
    assert!(editor_open(&gui), "nothing to save yet");
    assert!(
        gui.has_label("The secret is empty."),
        "the save attempt shows it"
    );
    assert!(gui.has_label_containing("Fix the fields marked in red"));
    assert!(gui.vault_on_disk().get("gh").is_none());

    // A fresh form: touching the secret field (typing then deleting) shows its problem.
    gui.click("Cancel");
    gui.click("Discard");
    gui.click("New key");
    gui.type_into("Secret", "x");
    gui.clear_field("Secret");
    assert!(gui.has_label("The secret is empty."));
    assert!(
        !gui.has_label_containing("invalid key name"),
        "the untouched name shows no problem"
    );
}

#[test]
fn the_dialog_keeps_its_place_and_size_as_messages_come_and_go() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    let heading = gui.harness.get_by_label("Add key").rect();
    let save = gui.node("Save key").rect();
    gui.click("Save key");
    assert!(gui.has_label("The secret is empty."), "problems show");
    assert!(gui.has_label_containing("invalid key name"));
    assert_eq!(gui.harness.get_by_label("Add key").rect(), heading);
    assert_eq!(gui.node("Save key").rect(), save);
    gui.type_into("Name", "steady");
    gui.type_into("Secret", "s");
    assert!(!gui.has_label("The secret is empty."), "and go");
    assert_eq!(gui.harness.get_by_label("Add key").rect(), heading);
    assert_eq!(gui.node("Save key").rect(), save);
}

fn value_of(gui: &Gui, label: &str) -> String {
    gui.field(label)
        .accesskit_node()
        .value()
        .map(|v| v.to_string())
        .unwrap_or_default()
}

fn role_of(gui: &Gui, label: &str) -> Role {
    gui.field(label).accesskit_node().role()
}

#[test]
fn a_secret_field_shows_and_hides_what_is_typed() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Secret", "bnc-typed");
    assert_eq!(
        role_of(&gui, "Secret"),
        Role::PasswordInput,
        "masked at first"
    );
    gui.click("Show secret");
    assert_eq!(role_of(&gui, "Secret"), Role::TextInput, "shown");
    assert_eq!(value_of(&gui, "Secret"), "bnc-typed");
    assert_eq!(
        role_of(&gui, "Passphrase"),
        Role::PasswordInput,
        "one field at a time"
    );
    gui.click("Hide secret");
    assert_eq!(role_of(&gui, "Secret"), Role::PasswordInput, "masked again");
}

#[test]
fn expires_has_presets_counted_from_today() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Name", "kraken-bot");
    gui.type_into("Secret", "krk");
    for days in [30, 90, 365] {
        gui.node(&format!("+{days} days")).scroll_to_me();
        gui.settle();
        gui.click(&format!("+{days} days"));
        let want = (start() + day(days)).format("%Y-%m-%d").to_string();
        assert_eq!(value_of(&gui, "Expires"), want);
    }
    gui.click("Save key");
    let vault = gui.vault_on_disk();
    let saved = vault.get("kraken-bot").expect("saved");
    assert_eq!(
        saved.expires_at.map(|d| d.date_naive()),
        Some((start() + day(365)).date_naive())
    );
}

#[test]
fn the_date_picker_writes_the_day_it_picks_into_the_field() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.click("Edit");
    gui.type_into("Expires", "2026-04-10");
    // Created shows its own day, Expires the typed one: each picker reads its field.
    assert!(gui.has_label("2026-04-10"));
    gui.harness.get_by_label("2026-04-10").scroll_to_me();
    gui.settle();
    gui.harness.get_by_label("2026-04-10").click();
    gui.settle();
    // The calendar shows April 2026: pick the 20th, then Save.
    gui.harness.get_by_label("20").click();
    gui.settle();
    gui.harness.get_by_label("Save").click();
    gui.settle();
    assert_eq!(value_of(&gui, "Expires"), "2026-04-20");
    gui.click("Save key");
    let vault = gui.vault_on_disk();
    let saved = vault.get("github-ci").expect("saved");
    assert_eq!(
        saved.expires_at.map(|d| d.format("%Y-%m-%d").to_string()),
        Some("2026-04-20".to_owned())
    );
}

/// The credential kind the form shows (the combo box's value).
fn kind_shown(gui: &Gui) -> String {
    gui.harness
        .get_by(|n| n.role() == Role::ComboBox && n.label().as_deref() == Some("Credential kind"))
        .accesskit_node()
        .value()
        .map(|v| v.to_string())
        .unwrap_or_default()
}

#[test]
fn typing_a_preset_name_applies_it_as_choosing_it_does() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.click("trade");
    gui.clear_field("Name");
    gui.type_into("Provider", "GitHub");
    assert_eq!(kind_shown(&gui), "Bearer token");
    assert!(
        gui.harness.query_by_label("Token").is_some(),
        "the part is labelled Token"
    );
    assert!(gui.harness.query_by_label("Secret").is_none());
    // "trade" was ticked by hand: it stays; withdraw and read are no GitHub permissions.
    assert!(gui.is_ticked("trade"));
    assert!(!gui.has_label("withdraw"));
    assert!(
        gui.has_label("repo"),
        "GitHub's own permissions are offered"
    );

    // Without any hand change the preset's permissions rule too.
    let mut gui = Gui::unlocked();
    gui.click("New key");
    gui.type_into("Provider", "github");
    assert!(!gui.has_label("trade") && !gui.has_label("withdraw"));
    gui.type_into("Name", "gh-ci");
    gui.type_into("Token", "ghp_typed");
    gui.click("Save key");
    let vault = gui.vault_on_disk();
    let saved = vault.get("gh-ci").expect("saved");
    assert_eq!(saved.provider, "github");
    assert_eq!(
        saved.credential.kind(),
        keyward::vault::CredentialKind::Token
    );
}

#[test]
fn a_kind_chosen_by_hand_stays_when_a_preset_name_is_typed() {
    let mut gui = Gui::unlocked();
    gui.click("New key");
    open_combo(&mut gui, "Credential kind");
    gui.click("Key pair (Ed25519, RSA)");
    gui.type_into("Provider", "github");
    assert_eq!(
        kind_shown(&gui),
        "Key pair (Ed25519, RSA)",
        "the hand choice wins"
    );
}

#[test]
fn created_has_presets_back_from_today() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.click("Edit");
    for days in [30, 90, 365] {
        gui.harness
            .get_by_label(&format!("-{days} days"))
            .scroll_to_me();
        gui.settle();
        gui.click(&format!("-{days} days"));
        let want = (start() - day(days)).format("%Y-%m-%d").to_string();
        assert_eq!(value_of(&gui, "Created"), want);
    }
    gui.click("Save key");
    let saved = gui.vault_on_disk();
    let saved = saved.get("github-ci").expect("saved");
    assert_eq!(
        saved.created_at.date_naive(),
        (start() - day(365)).date_naive()
    );
}

#[test]
fn escape_with_the_calendar_open_closes_only_the_calendar() {
    let mut gui = Gui::unlocked();
    gui.select("github-ci");
    gui.click("Edit");
    gui.type_into("Expires", "2026-04-10");
    gui.harness.get_by_label("2026-04-10").scroll_to_me();
    gui.settle();
    gui.harness.get_by_label("2026-04-10").click();
    gui.settle();
    assert!(gui.has_label("20"), "the calendar shows");
    gui.harness.key_press(egui::Key::Escape);
    gui.settle();
    assert!(!gui.has_label("20"), "Esc closed the calendar");
    assert!(
        gui.has_label("Save key") && !gui.has_label("Discard changes?"),
        "and only the calendar: the editor stays, nothing asked"
    );
    assert_eq!(value_of(&gui, "Expires"), "2026-04-10");
    gui.harness.key_press(egui::Key::Escape);
    gui.settle();
    assert!(
        gui.has_label("Discard changes?"),
        "the next Esc is the editor's"
    );
}

#[test]
fn a_revealed_secret_shows_its_countdown() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    gui.click("Reveal secret");
    assert!(gui.has_label("masked again in 10 s"));
    gui.advance(chrono::Duration::seconds(4));
    assert!(gui.has_label("masked again in 6 s"));
    gui.advance(chrono::Duration::seconds(7));
    assert!(!gui.has_label_containing("masked again in"));
}
