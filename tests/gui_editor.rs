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
