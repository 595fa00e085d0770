//! The layout at ordinary window sizes (issue 12 item 3), read from the widgets' bounds in
//! the accessibility tree: at 800×600 the top bar folds into "More…" and no two of its
//! widgets overlap; at 1280×800 with a key's detail panel open every column header of the
//! table lies inside the window (and inside the table's part of it).

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
fn at_1920_by_1080_nothing_folds_and_the_headers_fit() {
    let mut gui = Gui::unlocked_sized(egui::vec2(1920.0, 1080.0));
    gui.select("github-ci");
    assert!(!gui.has_label("More…"));
    let panel_left = button_rect(&gui, "Rotate…").left();
    assert_headers_inside(&gui, panel_left);
}
