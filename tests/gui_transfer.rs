//! GUI flows of issue 5 through egui_kittest: the Export dialog (format, warning, file,
//! overwrite confirmation, kdbx password twice) and the Import dialog (dry-run preview, clash
//! rule, import saved through the app's normal save). The file dialog is bypassed by typing
//! the path into the field it fills.

// Unix file modes, signals and /proc: these run on Linux and macOS. The Windows build is
// tested end to end under Wine by scripts/wine-cli.sh.
#![cfg(unix)]

mod gui_support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use egui_kittest::kittest::{NodeT as _, Queryable};

use gui_support::*;
use keyward::transfer::{self, Format, ImportOptions};

/// The KeePassXC fixture, kept in the repository (source and how it was made: its README).
fn fixture_xml() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/keepassxc-2.7.4/api-keys.xml");
    path.exists().then(|| path.display().to_string())
}

/// Name → (key id, primary secret) of every entry.
fn keys_of(entries: &[keyward::vault::Entry]) -> BTreeMap<String, (String, String)> {
    entries
        .iter()
        .map(|e| {
            (
                e.name.to_string(),
                (
                    e.credential.key_id().to_owned(),
                    e.credential.primary_secret().expose().to_owned(),
                ),
            )
        })
        .collect()
}

fn export_through_the_dialog(format: Format) {
    let mut gui = Gui::unlocked();
    let out = gui
        .path
        .with_file_name(format!("export.{}", format.as_str()));
    gui.click("Export…");
    gui.click(format.as_str());
    assert!(
        gui.has_label_containing("PLAINTEXT"),
        "the warning says the file is plaintext"
    );
    gui.type_into("Export file", &out.display().to_string());
    gui.click("Export");
    assert!(
        gui.app().status_text().starts_with("Exported 3 key(s)"),
        "{}",
        gui.app().status_text()
    );
    assert!(!gui.has_label("Export file"), "the dialog closed");
    let mode = std::fs::metadata(&out)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{format}: readable only by the owner");
    let bytes = std::fs::read(&out).expect("read back");
    let imported = transfer::import(&bytes, &out, format, &ImportOptions::default(), start())
        .expect("the library reads the export");
    assert_eq!(
        keys_of(&imported.entries),
        keys_of(&gui.vault_on_disk().entries),
        "{format}: the same keys come back"
    );
}

#[test]
fn export_to_keepass_xml_writes_a_private_file_that_imports_back() {
    export_through_the_dialog(Format::KeepassXml);
}

#[test]
fn export_to_bitwarden_json_writes_a_private_file_that_imports_back() {
    export_through_the_dialog(Format::BitwardenJson);
}

#[test]
fn export_names_what_the_format_cannot_carry_and_never_overwrites_silently() {
    let mut gui = Gui::unlocked();
    let out = gui.path.with_file_name("keys.csv");
    std::fs::write(&out, "someone else's file").expect("write");
    gui.click("Export…");
    gui.click("keepassxc-csv");
    let warning = transfer::export_report(&gui.vault_on_disk(), Format::KeepassxcCsv).lines();
    for text in &warning {
        assert!(
            gui.has_label(&format!("Warning: {text}")),
            "the library's warning is shown: {text}"
        );
    }
    gui.type_into("Export file", &out.display().to_string());
    assert!(
        gui.harness
            .get_by_label("Export")
            .accesskit_node()
            .is_disabled(),
        "an existing file is not replaced without confirmation"
    );
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "someone else's file"
    );
    gui.click("Replace the existing file");
    gui.click("Export");
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(
        text.starts_with("\"Group\",\"Title\""),
        "replaced: {text:.40}"
    );
}

#[test]
fn a_kdbx_export_asks_for_its_password_twice() {
    let mut gui = Gui::unlocked();
    let out = gui.path.with_file_name("keys.kdbx");
    gui.click("Export…");
    gui.click("kdbx");
    gui.type_into("Export file", &out.display().to_string());
    assert!(gui.has_label("Choose a password for the exported kdbx."));
    gui.type_into("Export password", "export-pass-1");
    gui.type_into("Repeat export password", "export-pass-2");
    assert!(gui.has_label("The two export passwords differ."));
    assert!(
        gui.harness
            .get_by_label("Export")
            .accesskit_node()
            .is_disabled()
    );
    assert!(!out.exists());
    assert!(
        !gui.has_label_containing("export-pass"),
        "never shown in clear"
    );
}

#[test]
fn import_of_keepassxc_xml_previews_three_rows_then_adds_them() {
    let Some(fixture) = fixture_xml() else {
        panic!(
            "the KeePassXC fixture tests/testdata/transfer/keepassxc-2.7.4/api-keys.xml is missing"
        );
    };
    let mut gui = Gui::unlocked();
    gui.click("Import…");
    gui.click("keepass-xml");
    gui.type_into("Import file", &fixture);
    gui.click("Preview import");
    assert_eq!(
        gui.harness.query_all_by_label("add").count(),
        3,
        "one preview row per entry"
    );
    assert!(gui.has_label("3 new, 0 renamed, 0 replaced, 0 skipped"));
    assert!(gui.has_label("Binance main"));
    assert_eq!(
        gui.vault_on_disk().entries.len(),
        3,
        "a preview changes nothing"
    );
    gui.click("Import");
    assert!(!gui.has_label("Preview import"), "the dialog closed");
    assert_eq!(gui.app().status_text(), "Saved");
    let vault = gui.vault_on_disk();
    assert_eq!(vault.entries.len(), 6, "saved through the normal save");
    let binance = vault.get("Binance main").expect("imported");
    assert!(binance.credential.key_id().starts_with("vmPUZE6m"));
    assert!(
        binance
            .credential
            .primary_secret()
            .expose()
            .starts_with("NhqPtmdS")
    );
    assert!(gui.has_label("All keys (6)"));

    // The same file again: every name clashes, and the rule decides.
    gui.click("Import…");
    gui.click("keepass-xml");
    gui.type_into("Import file", &fixture);
    gui.click("Preview import");
    assert_eq!(gui.harness.query_all_by_label("clash").count(), 3);
    assert!(gui.has_label_containing("3 name(s) already taken"));
    assert!(
        gui.harness.query_all_by_label("Import").next().is_none(),
        "nothing to import until a rule is chosen"
    );
    gui.click("Import renamed");
    assert_eq!(gui.harness.query_all_by_label("rename").count(), 3);
    gui.click("Import");
    let vault = gui.vault_on_disk();
    assert_eq!(vault.entries.len(), 9);
    assert!(vault.get("Binance main (copy)").is_some());
}

#[test]
fn a_bad_import_file_is_reported_and_changes_nothing() {
    let mut gui = Gui::unlocked();
    let bad = gui.path.with_file_name("broken.json");
    std::fs::write(&bad, "{\"items\": [").expect("write");
    gui.click("Import…");
    gui.click("bitwarden-json");
    gui.type_into("Import file", &bad.display().to_string());
    gui.click("Preview import");
    assert!(gui.has_label_containing("Nothing imported:"));
    assert!(gui.has_label_containing("is not valid bitwarden-json"));
    assert!(gui.harness.query_all_by_label("Import").next().is_none());
    assert_eq!(gui.vault_on_disk().entries.len(), 3);
}
