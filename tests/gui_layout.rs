//! The layout at ordinary window sizes (issue 12 item 3), read from the widgets' bounds in
//! the accessibility tree: at 800×600 the top bar folds into "More…" and no two of its
//! widgets overlap; with a key's detail panel open every column header of the table lies
//! inside the window and the table's part of it: beside the panel at 1280×800, above it at
//! 800×600 (the panel yields); and at 800×600 the cells of the last column too, the widest
//! status included, whatever the table is sorted by (no sideways scroll).

mod gui_support;

use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable};
use gui_support::*;

const HEADERS: [&str; 8] = [
    "Name",
    "Provider",
    "Env",
    "Rotation age",
    "Expiry",
    "IP",
    "Permissions",
    "Status",
];

/// The bounds of the one button labelled `label` (a header, a toolbar button).
fn button_rect(gui: &Gui, label: &str) -> egui::Rect {
    let buttons: Vec<egui::Rect> = gui
        .harness
        .query_all_by_label(label)
        .filter(|n| n.accesskit_node().role() == Role::Button)
        .map(|n| n.rect())
        .collect();
    assert_eq!(
        buttons.len(),
        1,
        "one button labelled {label:?}: {buttons:?}"
    );
    buttons[0]
}

/// The top bar's widgets that are shown, with their bounds.
fn toolbar(gui: &Gui, labels: &[&str]) -> Vec<(String, egui::Rect)> {
    let mut out: Vec<(String, egui::Rect)> = labels
        .iter()
        .map(|l| ((*l).to_owned(), button_rect(gui, l)))
        .collect();
    out.push(("Search field".into(), gui.field("Search").rect()));
    out
}

fn assert_apart(widgets: &[(String, egui::Rect)], width: f32) {
    for (i, (a, ra)) in widgets.iter().enumerate() {
        assert!(
            ra.left() >= 0.0 && ra.right() <= width,
            "{a} at {ra:?} is inside the {width}-wide window"
        );
        for (b, rb) in &widgets[i + 1..] {
            assert!(
                !ra.intersects(*rb) || ra.intersect(*rb).area() < 1.0,
                "{a} {ra:?} overlaps {b} {rb:?}"
            );
        }
    }
}

/// One style for the top bar (issue 12 item 14): every button and the search box are one
/// height, centred on one line.
fn assert_one_height(widgets: &[(String, egui::Rect)]) {
    let (first, rect) = &widgets[0];
    for (name, other) in widgets {
        assert!(
            (other.height() - rect.height()).abs() < 0.5
                && (other.center().y - rect.center().y).abs() < 0.5,
            "{name} {other:?} is as high as {first} {rect:?}, on the same line"
        );
    }
}

fn assert_headers_inside(gui: &Gui, width: f32) {
    let rects: Vec<(String, egui::Rect)> = HEADERS
        .iter()
        .map(|h| ((*h).to_owned(), button_rect(gui, h)))
        .collect();
    for (name, rect) in &rects {
        assert!(
            rect.left() >= 0.0 && rect.right() <= width && rect.width() > 1.0,
            "the {name} header at {rect:?} lies inside the {width}-wide window"
        );
    }
    // The headers are laid out in order, one beside the other.
    for pair in rects.windows(2) {
        assert!(
            pair[0].1.right() <= pair[1].1.left() + 0.5,
            "{} {:?} ends before {} {:?} starts",
            pair[0].0,
            pair[0].1,
            pair[1].0,
            pair[1].1
        );
    }
}

#[test]
fn at_800_by_600_the_toolbar_folds_into_a_menu_and_nothing_overlaps() {
    let mut gui = Gui::unlocked_sized(egui::vec2(800.0, 600.0));
    assert!(gui.has_label("More…"), "the overflow menu is there");
    assert!(
        !gui.has_label("Import…") && !gui.has_label("Scan a folder…"),
        "the folded buttons are not drawn in the bar"
    );
    let bar = toolbar(&gui, &["?", "Lock", "More…", "New key"]);
    assert_apart(&bar, 800.0);
    assert_one_height(&bar);
    assert_headers_inside(&gui, 800.0);

    // The folded buttons are one click away and still work.
    gui.click("More…");
    for label in [
        "Reminders",
        "Audit",
        "Scan a folder…",
        "Export…",
        "Import…",
        "Settings",
    ] {
        assert!(gui.has_label(label), "{label} is in the menu");
    }
    gui.click("Audit");
    assert!(
        !gui.has_label("Import…"),
        "choosing an item closes the menu"
    );
    assert!(
        !gui.has_label("Name"),
        "the Audit page replaced the keys table"
    );
    assert!(gui.has_label("Audit"), "the Audit page's heading");
}

#[test]
fn at_1280_by_800_with_a_key_open_every_column_header_can_be_seen() {
    let mut gui = Gui::unlocked_sized(egui::vec2(1280.0, 800.0));
    gui.select("binance-bot");
    assert!(gui.has_label("Rotate…"), "the detail panel is open");
    let panel_left = button_rect(&gui, "Rotate…").left();
    assert_headers_inside(&gui, panel_left);
    // The full top bar fits at this width: nothing folded, nothing overlapping.
    assert!(!gui.has_label("More…"));
    let all = [
        "?",
        "Lock",
        "Settings",
        "Import…",
        "Export…",
        "Scan a folder…",
        "Audit",
        "Reminders",
        "New key",
    ];
    let bar = toolbar(&gui, &all);
    assert_apart(&bar, 1280.0);
    assert_one_height(&bar);
}

#[test]
fn at_800_by_600_the_detail_panel_yields_and_every_column_header_can_be_seen() {
    let mut gui = Gui::unlocked_sized(egui::vec2(800.0, 600.0));
    gui.select("binance-bot");
    assert!(gui.has_label("Rotate…"), "the detail panel is open");
    assert_headers_inside(&gui, 800.0);
    // The panel went under the table: the headers and the rows stay above it.
    let panel_top = button_rect(&gui, "Rotate…").top();
    let name = button_rect(&gui, "Name");
    assert!(
        name.bottom() < panel_top,
        "{name:?} above the panel at {panel_top}"
    );
    for row in ["binance-bot", "github-ci", "kraken-read"] {
        let rect = button_rect(&gui, row);
        assert!(
            rect.bottom() <= panel_top && rect.top() > name.bottom(),
            "the {row} row {rect:?} shows above the panel at {panel_top}"
        );
    }
    // Another key can be chosen with the panel open.
    gui.select("kraken-read");
    assert!(gui.has_label("KRK"), "kraken-read's panel");
}

#[test]
fn at_1920_by_1080_nothing_folds_and_the_headers_fit() {
    let mut gui = Gui::unlocked_sized(egui::vec2(1920.0, 1080.0));
    gui.select("github-ci");
    assert!(!gui.has_label("More…"));
    let panel_left = button_rect(&gui, "Rotate…").left();
    assert_headers_inside(&gui, panel_left);
}

#[test]
fn the_rotation_bar_never_covers_its_label() {
    // binance-bot's secret is 120 days old with a 90-day policy: a full bar.
    for key in ["binance-bot", "github-ci", "kraken-read"] {
        let mut gui = Gui::unlocked_sized(egui::vec2(1280.0, 800.0));
        gui.select(key);
        let bar = gui
            .harness
            .get_by(|n| n.role() == Role::ProgressIndicator)
            .rect();
        let label = gui
            .harness
            .get_by(|n| {
                n.role() == Role::Label
                    && (n.label().or_else(|| n.value()))
                        .is_some_and(|l| l.starts_with("Rotation: "))
            })
            .rect();
        assert!(bar.width() > 10.0, "{key}: the bar shows {bar:?}");
        assert!(
            !bar.intersects(label) || bar.intersect(label).area() < 1.0,
            "{key}: the bar {bar:?} covers its label {label:?}"
        );
    }
}

#[test]
fn every_row_shows_its_provider_monogram() {
    let gui = Gui::unlocked_sized(egui::vec2(1280.0, 800.0));
    for (row, provider) in [
        ("binance-bot", "Binance"),
        ("github-ci", "GitHub"),
        ("kraken-read", "Kraken"),
    ] {
        let name = button_rect(&gui, row);
        let monogram = gui
            .harness
            .get_by_label(&format!("{provider} monogram"))
            .rect();
        assert!(
            monogram.right() <= name.left() && (monogram.center().y - name.center().y).abs() < 2.0,
            "{provider}'s monogram {monogram:?} stands before {row} {name:?}"
        );
    }
}

/// The sample vault with kraken-read compromised: its Status cell shows the widest status.
fn with_a_compromised_key(size: egui::Vec2) -> Gui {
    let mut vault = sample_vault();
    let kraken = vault
        .entries
        .iter_mut()
        .find(|e| e.name == "kraken-read")
        .expect("kraken-read");
    kraken.status = keyward::vault::Status::Compromised;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vault.keyward");
    keyward::store::VaultFile::create(&path, PASSWORD.into(), fast_kdf(), &vault).expect("create");
    let mut gui = Gui::on_sized(dir, path, size);
    gui.unlock(PASSWORD);
    gui
}

/// Issue 12: at 800×600 in a real window the Status column was cut at the window's edge and
/// the table scrolled sideways, while the headers alone (checked above) still fitted. Every
/// cell of the last column, the widest status included, must lie inside the window.
#[test]
fn at_800_by_600_the_last_column_fits_without_a_sideways_scroll() {
    // Sorted by a column whose header is its widest part, the arrow needs room too.
    for (open, sort) in [
        (false, None),
        (true, None),
        (true, Some("Rotation age")),
        (false, Some("Permissions")),
        (true, Some("Provider")),
    ] {
        let mut gui = with_a_compromised_key(egui::vec2(800.0, 600.0));
        if let Some(header) = sort {
            gui.click(header);
        }
        if open {
            gui.select("binance-bot");
            assert!(gui.has_label("Rotate…"), "the detail panel is open");
        }
        assert_headers_inside(&gui, 800.0);
        let status = button_rect(&gui, "Status");
        let cells: Vec<egui::Rect> = gui
            .harness
            .query_all_by_label("compromised")
            .chain(gui.harness.query_all_by_label("active"))
            .filter(|n| n.accesskit_node().role() == Role::Label)
            .map(|n| n.rect())
            .filter(|r| (r.left() - status.left()).abs() < 1.0)
            .collect();
        assert!(cells.len() >= 3, "the Status cells of the rows: {cells:?}");
        for cell in cells {
            assert!(
                cell.right() <= 800.0,
                "a Status cell {cell:?} ends inside the 800-wide window (panel open: {open}, sorted by {sort:?})"
            );
        }
    }
}
