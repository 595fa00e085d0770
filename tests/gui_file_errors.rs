//! Issue 12 item 4, in part: a failed export says why in a sentence (the folder that does
//! not exist, never a bare "(os error 2)"), and the export password fields keep their text,
//! so fixing the path and pressing Export again writes the file.

mod gui_support;

use egui_kittest::kittest::{NodeT as _, Queryable};
use gui_support::*;
use keyward::transfer::{self, Format, ImportOptions};

#[test]
fn a_failed_export_names_the_missing_folder_and_keeps_the_passwords() {
    let mut gui = Gui::unlocked();
    let missing = gui.path.with_file_name("no-such-folder");
    let bad = missing.join("keys.kdbx");
    gui.click("Export…");
    gui.click("kdbx");
    gui.type_into("Export file", &bad.display().to_string());
    gui.type_into("Export password", "export-pass-1");
    gui.type_into("Repeat export password", "export-pass-1");
    gui.click("Export");
    let sentence = format!("the folder {} does not exist", missing.display());
    assert!(
        gui.has_label_containing(&sentence),
        "the error names the folder: {sentence}"
    );
    assert!(!gui.has_label_containing("os error"), "no bare OS error");
    assert!(
        !gui.has_label("Choose a password for the exported kdbx."),
        "the password fields kept their text"
    );
    assert!(
        !gui.harness
            .get_by_label("Export")
            .accesskit_node()
            .is_disabled(),
        "Export can be pressed again at once"
    );

    let good = gui.path.with_file_name("keys.kdbx");
    gui.clear_field("Export file");
    gui.type_into("Export file", &good.display().to_string());
    gui.click("Export");
    assert!(
        gui.app().status_text().starts_with("Exported 3 key(s)"),
        "{}",
        gui.app().status_text()
    );
    let bytes = std::fs::read(&good).expect("written");
    let options = ImportOptions {
        password: Some("export-pass-1".into()),
        ..ImportOptions::default()
    };
    let back = transfer::import(&bytes, &good, Format::Kdbx, &options, start())
        .expect("the kept password locks the export");
    assert_eq!(back.entries.len(), 3);
}
