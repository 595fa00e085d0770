//! The key editor at ordinary window sizes (issue 12 item 6, "no widget overlaps another"),
//! read from the widgets' bounds in the accessibility tree: for the Binance, Kraken, OKX and
//! GitHub presets and a key pair, at 800×600 and at 1280×800, no two interactive widgets of
//! the dialog overlap, none lies outside the dialog (nor under its scroll bar), the dialog
//! lies inside the window, and it keeps its place and size as messages come and go.

mod gui_support;

use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::kittest::{AccessKitNode, NodeT as _, Queryable, by};
use gui_support::*;

const INTERACTIVE: [Role; 8] = [
    Role::Button,
    Role::CheckBox,
    Role::RadioButton,
    Role::TextInput,
    Role::PasswordInput,
    Role::MultilineTextInput,
    Role::ComboBox,
    Role::ScrollBar,
];

/// The open dialog's bounds (egui's area of the top modal).
fn dialog_rect(gui: &Gui) -> egui::Rect {
    gui.harness
        .ctx
        .memory(|m| m.top_modal_layer().and_then(|layer| m.area_rect(layer.id)))
        .expect("a dialog is open")
}

/// One interactive widget of the dialog: its label, role, bounds, and whether it is in the
/// form's scroll area.
#[derive(Debug)]
struct Widget {
    name: String,
    rect: egui::Rect,
    scrolled: bool,
}

/// The interactive widgets inside the open dialog, as far as they are shown: a widget of the
/// scroll area is cut to the part in view (and left out when none is).
fn dialog_widgets(gui: &Gui) -> (Vec<Widget>, Option<egui::Rect>) {
    let nodes: Vec<_> = gui
        .harness
        .query_all(by())
        .filter(|n| INTERACTIVE.contains(&n.accesskit_node().role()))
        .filter(|n| in_dialog(n.accesskit_node()))
        .collect();
    // The form's scroll bar marks the part of the scroll area in view (its track is the
    // viewport's height; it floats at the viewport's right edge).
    let bar = nodes
        .iter()
        .find(|n| n.accesskit_node().role() == Role::ScrollBar);
    let viewport = bar.map(|b| b.rect());
    let scroll_parent = bar.and_then(|b| b.accesskit_node().parent().map(|p| p.id()));
    let mut out = Vec::new();
    for n in &nodes {
        let node = n.accesskit_node();
        let scrolled = node.role() != Role::ScrollBar
            && scroll_parent.is_some_and(|id| {
                let mut current = node.parent();
                while let Some(p) = current {
                    if p.id() == id {
                        return true;
                    }
                    current = p.parent();
                }
                false
            });
        let mut rect = n.rect();
        if let (true, Some(view)) = (scrolled, viewport) {
            let top = rect.top().max(view.top());
            let bottom = rect.bottom().min(view.bottom());
            if bottom <= top {
                continue;
            }
            rect = egui::Rect::from_x_y_ranges(rect.x_range(), top..=bottom);
        }
        out.push(Widget {
            name: format!("{:?} {:?}", node.role(), node.label().unwrap_or_default()),
            rect,
            scrolled,
        });
    }
    (out, viewport)
}

fn in_dialog(node: AccessKitNode<'_>) -> bool {
    let mut current = node.parent();
    while let Some(n) = current {
        if n.role() == Role::Dialog {
            return true;
        }
        current = n.parent();
    }
    false
}

/// Every way the dialog's widgets break the layout, as sentences.
fn layout_faults(gui: &Gui, window: egui::Vec2) -> Vec<String> {
    let dialog = dialog_rect(gui);
    let mut faults = Vec::new();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, window);
    if !screen.contains_rect(dialog) {
        faults.push(format!(
            "the dialog {dialog:?} lies outside the window {screen:?}"
        ));
    }
    let (widgets, viewport) = dialog_widgets(gui);
    for (i, a) in widgets.iter().enumerate() {
        let inside = dialog.shrink(1.0);
        if a.rect.left() < inside.left() || a.rect.right() > inside.right() {
            faults.push(format!(
                "{} {:?} sticks out of the dialog {dialog:?}",
                a.name, a.rect
            ));
        }
        if let (true, Some(view)) = (a.scrolled, viewport)
            && a.rect.right() > view.left()
        {
            faults.push(format!(
                "{} {:?} runs under the scroll bar {view:?}",
                a.name, a.rect
            ));
        }
        for b in &widgets[i + 1..] {
            let overlap = a.rect.intersect(b.rect);
            if overlap.is_positive() && overlap.area() >= 1.0 {
                faults.push(format!(
                    "{} {:?} overlaps {} {:?}",
                    a.name, a.rect, b.name, b.rect
                ));
            }
        }
    }
    faults
}

/// Each field's placeholder, as the editor writes it.
const HINTS: [(&str, &str); 13] = [
    ("Name", "unique, e.g. binance-bot-prod"),
    ("Provider", "binance, github, …"),
    ("URL", "where the key is used or managed"),
    ("API key", "key id from the provider"),
    ("Permissions", "other permissions, comma separated"),
    ("Allowed IP 1", "203.0.113.7 or 203.0.113.0/24"),
    ("Tags", "comma separated"),
    ("Purpose", "what this key is for"),
    ("Created", "YYYY-MM-DD or empty"),
    ("Expires", "YYYY-MM-DD or empty"),
    ("Last used", "YYYY-MM-DD or empty"),
    ("Rotate every (days)", "empty: vault default"),
    ("Field 1 name", "name"),
];

/// The fields whose placeholder is wider than the field (cut off), as sentences.
fn cut_hints(gui: &Gui) -> Vec<String> {
    let ctx = &gui.harness.ctx;
    let font = egui::TextStyle::Body.resolve(&ctx.global_style());
    let mut faults = Vec::new();
    for (label, hint) in HINTS {
        let Some(field) = gui
            .harness
            .query_by(|n| n.role() == Role::TextInput && n.label().as_deref() == Some(label))
        else {
            continue;
        };
        let text = ctx.fonts_mut(|f| {
            f.layout_no_wrap(hint.to_owned(), font.clone(), egui::Color32::WHITE)
                .size()
                .x
        });
        // The text edit's inner margin, 4 points on each side.
        let room = field.rect().width() - 8.0;
        if text > room {
            faults.push(format!(
                "the {label} field is {room} wide inside, its placeholder {hint:?} {text}"
            ));
        }
    }
    faults
}

/// Opens "New key" and makes it the form of `preset` ("key pair" chooses that kind), with an
/// allowed IP and a custom field row, so that every kind of row shows.
fn open_editor(gui: &mut Gui, preset: &str) {
    gui.click("New key");
    if preset == "key pair" {
        gui.harness
            .get_by(|n| {
                n.role() == Role::ComboBox && n.label().as_deref() == Some("Credential kind")
            })
            .click();
        gui.settle();
        gui.click("Key pair (Ed25519, RSA)");
    } else {
        gui.type_into("Provider", preset);
    }
    // Through AccessKit: a click at a button scrolled out of view would land beside the dialog.
    for button in ["Add allowed IP", "Add field"] {
        gui.node(button).click_accesskit();
        gui.settle();
    }
    assert!(!gui.has_label("Discard changes?"), "the form is still open");
}

/// Scrolls the form down by `by` points (a mouse wheel over it).
fn scroll_form(gui: &mut Gui, by: f32) {
    let dialog = dialog_rect(gui);
    gui.harness.hover_at(dialog.center());
    gui.harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, -by),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
    gui.settle();
}

const PRESETS: [&str; 5] = ["binance", "kraken", "okx", "github", "key pair"];
const SIZES: [(f32, f32); 2] = [(800.0, 600.0), (1280.0, 800.0)];

#[test]
fn no_widget_of_the_editor_overlaps_another_or_leaves_the_dialog() {
    let mut faults = Vec::new();
    for (w, h) in SIZES {
        let window = egui::vec2(w, h);
        for preset in PRESETS {
            let mut gui = Gui::unlocked_sized(window);
            open_editor(&mut gui, preset);
            for fault in cut_hints(&gui) {
                faults.push(format!("{w}×{h} {preset}: {fault}"));
            }
            // The whole form, a screen at a time.
            for step in 0..6 {
                for fault in layout_faults(&gui, window) {
                    faults.push(format!("{w}×{h} {preset} (scrolled {step}): {fault}"));
                }
                scroll_form(&mut gui, 200.0);
            }
        }
    }
    assert!(
        faults.is_empty(),
        "{} faults:\n{}",
        faults.len(),
        faults.join("\n")
    );
}

#[test]
fn the_editor_keeps_its_place_and_size_as_messages_come_and_go() {
    for (w, h) in SIZES {
        let mut gui = Gui::unlocked_sized(egui::vec2(w, h));
        open_editor(&mut gui, "okx");
        let before = dialog_rect(&gui);
        // A save with nothing filled in: every problem shows.
        gui.click("Save key");
        assert!(gui.has_label("Fix the fields marked in red to save."));
        let with_messages = dialog_rect(&gui);
        assert_eq!(before, with_messages, "{w}×{h}: the messages came");
        gui.type_into("Name", "okx-grid");
        gui.type_into("Allowed IP 1", "not an address");
        let after = dialog_rect(&gui);
        assert_eq!(before, after, "{w}×{h}: the messages changed");
    }
}
