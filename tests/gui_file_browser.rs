//! The built-in file browser of issue 12 item 4, through egui_kittest: on a desktop without a
//! file chooser (no portal, no zenity) "Choose…" opens it; it says why, lists a folder,
//! goes into a folder and up, and the file picked fills the field the dialog asked for.
//! The detection itself is unit-tested in src/app/chooser.rs; the real window under Xvfb in
//! scripts/screenshots.sh.

#![cfg(unix)]

mod gui_support;

use egui_kittest::kittest::Queryable;

use gui_support::*;

const WHY: &str = "No file chooser is available on this desktop (no portal, no zenity); type a \
                   path or browse below.";

/// Folder `exports` beside the vault, with `keys.csv` in it.
fn exports_beside(gui: &Gui) -> std::path::PathBuf {
    let folder = gui.path.with_file_name("exports");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::write(folder.join("keys.csv"), "name,secret\n").expect("write");
    folder
}

fn field_value(gui: &Gui, label: &str) -> String {
    gui.field(label).value().unwrap_or_default()
}

#[test]
fn choose_opens_the_browser_which_goes_into_a_folder_and_up_and_fills_the_import_file() {
    let mut gui = Gui::unlocked();
    gui.harness.state_mut().use_built_in_file_browser();
    let exports = exports_beside(&gui);
    gui.click("Import…");
    gui.click("Choose…");
    assert!(gui.has_label(WHY), "the browser says why it shows");
    assert!(gui.has_label("Import keys from…"));
    // It opens in the vault's folder: the vault file and the folder are listed.
    assert!(gui.has_label("vault.keyward"));
    gui.click("exports/");
    assert!(gui.has_label("keys.csv"), "inside the folder");
    assert!(!gui.has_label("vault.keyward"));
    gui.click("Up");
    assert!(gui.has_label("vault.keyward"), "back up");
    gui.click("exports/");
    gui.click("keys.csv");
    let chosen = exports.join("keys.csv").display().to_string();
    assert_eq!(field_value(&gui, "Path"), chosen);
    gui.click("Choose");
    assert!(!gui.has_label(WHY), "the browser closed");
    assert_eq!(field_value(&gui, "Import file"), chosen);
    assert!(!gui.app().is_busy());
}

#[test]
fn a_path_that_is_not_there_is_a_sentence_and_cancel_leaves_the_field_alone() {
    let mut gui = Gui::unlocked();
    gui.harness.state_mut().use_built_in_file_browser();
    gui.click("Import…");
    gui.type_into("Import file", "typed-before");
    gui.click("Choose…");
    let missing = gui.path.with_file_name("no-such.csv");
    gui.clear_field("Path");
    gui.type_into("Path", &missing.display().to_string());
    gui.click("Choose");
    assert!(
        gui.has_label(&format!("There is no file at {}.", missing.display())),
        "a sentence, not an OS error"
    );
    assert!(gui.has_label(WHY), "still open");
    // The browser's Cancel, on the row of its Choose (the Import dialog below has one too).
    let row = gui.node("Choose").rect().center().y;
    gui.harness
        .query_all_by_label("Cancel")
        .find(|n| (n.rect().center().y - row).abs() < 2.0)
        .expect("the browser's Cancel")
        .click();
    gui.settle();
    assert!(!gui.has_label(WHY));
    assert_eq!(field_value(&gui, "Import file"), "typed-before");
    // Choose… works again after a cancel.
    gui.click("Choose…");
    assert!(gui.has_label(WHY));
}

#[test]
fn a_save_suggests_its_file_name_in_the_folder_shown() {
    let mut gui = Gui::unlocked();
    gui.harness.state_mut().use_built_in_file_browser();
    let exports = exports_beside(&gui);
    gui.click("Export…");
    gui.click("Choose…");
    gui.click("exports/");
    // The export's format (kdbx at first) names the file.
    let suggested = exports.join("keyward-export.kdbx").display().to_string();
    assert_eq!(field_value(&gui, "Path"), suggested);
    gui.click("Choose");
    assert_eq!(field_value(&gui, "Export file"), suggested);
}

#[test]
fn the_unlock_screen_key_file_is_chosen_in_the_browser() {
    let mut gui = Gui::locked();
    gui.harness.state_mut().use_built_in_file_browser();
    let exports = exports_beside(&gui);
    gui.click("Key file…");
    assert!(gui.has_label("Choose the vault's key file"));
    gui.click("exports/");
    gui.click("keys.csv");
    gui.click("Choose");
    assert_eq!(
        field_value(&gui, "Key file"),
        exports.join("keys.csv").display().to_string()
    );
}
