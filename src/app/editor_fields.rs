//! The editor's repeated rows: custom fields, the key pair generator, secret fields with a
//! show/hide toggle, dates, IP rules. Each returns whether the user touched it, so that its
//! problem shows only then (or after a save attempt); Enter in a single-line field asks to save.

use eframe::egui;
use egui::{Response, RichText, Ui};

use super::command::Command;
use super::entry_form::{EditorState, FieldRow};
use super::widgets::{SecretBuffer, labelled_text};
use crate::keys::KeyAlgorithm;
use crate::vault::DateInput;
use chrono::NaiveDate;

/// The user typed into the field (passing through it, as the focus given to Name at the
/// start does, is no touch).
pub(super) fn touched(response: &Response) -> bool {
    response.changed()
}

/// Enter left a single-line field: the user asks to save.
pub(super) fn entered(response: &Response) -> bool {
    response.lost_focus() && response.ctx.input(|i| i.key_pressed(egui::Key::Enter))
}

pub(super) fn problem(ui: &mut Ui, text: &Option<String>) {
    if let Some(text) = text {
        ui.colored_label(ui.visuals().error_fg_color, text);
    }
}

/// A label and a single-line text field; Enter in it sets `submit`. Returns whether it was
/// touched.
pub(super) fn text_row(
    ui: &mut Ui,
    title: &str,
    text: &mut String,
    hint: &str,
    width: f32,
    submit: &mut bool,
) -> Response {
    let response = labelled_text(ui, title, text, hint, width);
    *submit |= entered(&response);
    response
}

/// One row per custom field: name, value (masked when protected), the protected flag and a
/// remove button; then "Add field". The rule they break, if any, below them. Returns whether
/// a row was touched (typed, added or removed).
pub(super) fn custom_field_rows(
    ui: &mut Ui,
    rows: &mut Vec<FieldRow>,
    focus_new: &mut bool,
    problem_text: &Option<String>,
    submit: &mut bool,
) -> bool {
    ui.label("Custom fields");
    let mut remove = None;
    let mut touch = false;
    let count = rows.len();
    ui.vertical(|ui| {
        for (i, row) in rows.iter_mut().enumerate() {
            let n = i + 1;
            ui.horizontal(|ui| {
                let label = ui.label(format!("Field {n} name"));
                let name = ui
                    .add(
                        egui::TextEdit::singleline(&mut row.name)
                            .hint_text("name")
                            .desired_width(110.0),
                    )
                    .labelled_by(label.id);
                // A row just added is scrolled into view and takes the focus.
                if *focus_new && n == count {
                    name.scroll_to_me(None);
                    name.request_focus();
                    *focus_new = false;
                }
                let label = ui.label(format!("Field {n} value"));
                let value = ui
                    .add(
                        egui::TextEdit::singleline(&mut row.value)
                            .password(row.protected)
                            .desired_width(140.0),
                    )
                    .labelled_by(label.id);
                touch |= touched(&name) || touched(&value);
                *submit |= entered(&name) || entered(&value);
            });
            // Its flag and its remove button on a line of their own: on one line with the
            // name and value the row is wider than the dialog.
            ui.horizontal(|ui| {
                ui.checkbox(&mut row.protected, format!("Protect field {n}"))
                    .on_hover_text(
                        "A protected value is masked, never searched, kept out of notes",
                    );
                if ui.small_button(format!("Remove field {n}")).clicked() {
                    remove = Some(i);
                }
            });
        }
        if ui.small_button("Add field").clicked() {
            rows.push(FieldRow {
                name: String::new(),
                value: SecretBuffer::default(),
                protected: false,
            });
            *focus_new = true;
        }
        problem(ui, problem_text);
    });
    if let Some(i) = remove {
        rows.remove(i);
        touch = true;
    }
    ui.end_row();
    touch
}

/// The algorithm choice and the "Generate key pair" button of a new key pair.
pub(super) fn keygen_row(ui: &mut Ui, state: &mut EditorState, commands: &mut Vec<Command>) {
    let label = ui.label("Key pair algorithm");
    ui.vertical(|ui| {
        ui.horizontal(|ui| {
            for alg in [
                KeyAlgorithm::Ed25519,
                KeyAlgorithm::Rsa2048,
                KeyAlgorithm::Rsa4096,
            ] {
                ui.radio_value(&mut state.keygen_alg, alg, alg.as_str());
            }
            let busy = state.keygen.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Generate key pair"))
                .on_hover_text(
                    "Make a new key pair here; it fills the private and public key fields",
                )
                .clicked()
            {
                commands.push(Command::GenerateKeyPair(state.keygen_alg));
            }
            if busy {
                ui.spinner();
                ui.label(format!("Generating an {} key…", state.keygen_alg));
            }
        });
        match &state.keygen_note {
            Some(Ok(text)) => {
                ui.label(RichText::new(text).weak());
            }
            Some(Err(text)) => {
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
            None => {}
        }
    })
    .response
    .labelled_by(label.id);
}

/// A masked secret field with a "Show …"/"Hide …" toggle beside it. Whether it shows lives in
/// egui's per-frame memory (never written to disk; dropped on lock). Returns whether the
/// field was touched.
pub(super) fn secret_row(
    ui: &mut Ui,
    title: &str,
    buffer: &mut SecretBuffer,
    multiline: bool,
    submit: &mut bool,
) -> bool {
    let label = ui.label(title);
    let shown_id = egui::Id::unique(("editor-secret-shown", title));
    let mut shown = ui.data(|d| d.get_temp::<bool>(shown_id)).unwrap_or(false);
    let mut touch = false;
    let row = |ui: &mut Ui| {
        let edit = if multiline {
            egui::TextEdit::multiline(buffer).desired_rows(3)
        } else {
            egui::TextEdit::singleline(buffer)
        };
        let response = ui
            .add(edit.password(!shown).desired_width(360.0))
            .labelled_by(label.id);
        touch = touched(&response);
        if !multiline {
            *submit |= entered(&response);
        }
        let toggle = if shown {
            format!("Hide {}", title.to_lowercase())
        } else {
            format!("Show {}", title.to_lowercase())
        };
        if ui
            .small_button(toggle)
            .on_hover_text("Show or mask what is typed")
            .clicked()
        {
            shown = !shown;
        }
    };
    // A tall field hangs from the row's top: centred on it, it would reach into the row above.
    if multiline {
        ui.horizontal_top(row);
    } else {
        ui.horizontal(row);
    }
    ui.data_mut(|d| d.insert_temp(shown_id, shown));
    touch
}

/// Which quick dates a date field offers beside its picker.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DatePresets {
    None,
    /// "+30 days", "+90 days", "+365 days" from today (an expiry).
    Ahead,
    /// "-30 days", "-90 days", "-365 days": that long before today (a creation date).
    Back,
}

/// A date field with egui_extras' date picker beside it (and its [`DatePresets`], counted
/// from today), its problem under it. `picker_open` is set while its calendar shows. The text stays the one truth:
/// the picker shows the day [`DateInput`] reads from it and writes `YYYY-MM-DD` back, which
/// the same rule reads when saving. Returns whether it was touched.
#[allow(clippy::too_many_arguments)]
pub(super) fn date_row(
    ui: &mut Ui,
    title: &str,
    text: &mut String,
    error: &Option<String>,
    today: NaiveDate,
    presets: DatePresets,
    submit: &mut bool,
    picker_open: &mut bool,
) -> bool {
    let label = ui.label(title);
    let mut touch = false;
    ui.horizontal(|ui| {
        let response = ui
            .add(
                egui::TextEdit::singleline(text)
                    .hint_text("YYYY-MM-DD or empty")
                    .desired_width(170.0),
            )
            .labelled_by(label.id);
        touch |= touched(&response);
        *submit |= entered(&response);
        let shown = match DateInput::parse_optional(text) {
            Ok(Some(DateInput::Day(day))) => day,
            Ok(Some(DateInput::Instant(at))) => at.date_naive(),
            _ => today,
        };
        // The picker works on its own date type (jiff's civil date); both sides speak
        // YYYY-MM-DD, so the day goes across as that text.
        if let Ok(mut picked) = shown.format("%Y-%m-%d").to_string().parse() {
            let before = picked;
            ui.add(
                egui_extras::DatePickerButton::new(&mut picked)
                    .id_salt(title)
                    .show_icon(false)
                    .combo_boxes(false)
                    .calendar_week(false),
            )
            .on_hover_text(format!("Pick the {} date", title.to_lowercase()));
            // The calendar is an area of the id egui_extras' DatePickerButton makes from its salt.
            let layer =
                egui::LayerId::new(egui::Order::Foreground, ui.make_persistent_id(Some(title)));
            *picker_open |= ui.ctx().memory(|m| m.areas().is_visible(&layer));
            if picked != before {
                *text = picked.to_string();
                touch = true;
            }
        }
        let (sign, before) = match presets {
            DatePresets::None => (0, ""),
            DatePresets::Ahead => (1, "from today"),
            DatePresets::Back => (-1, "before today"),
        };
        if sign != 0 {
            for days in [30, 90, 365] {
                let label = if sign > 0 { "+" } else { "-" };
                if ui
                    .small_button(format!("{label}{days} days"))
                    .on_hover_text(format!("{days} days {before}"))
                    .clicked()
                {
                    *text = date_text(today + chrono::Duration::days(sign * days));
                    touch = true;
                }
            }
        }
    });
    ui.end_row();
    if error.is_some() {
        ui.label("");
        problem(ui, error);
        ui.end_row();
    }
    touch
}

fn date_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// One row per rule, each validated as typed, with add and remove buttons. Returns whether a
/// row was touched.
pub(super) fn ip_rows(
    ui: &mut Ui,
    title: &str,
    row_title: &str,
    row_noun: &str,
    rows: &mut Vec<String>,
    errors: &[Option<String>],
    submit: &mut bool,
) -> bool {
    ui.label(title);
    let mut remove = None;
    let mut touch = false;
    ui.vertical(|ui| {
        for (i, row) in rows.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let name = format!("{row_title} {}", i + 1);
                let label = ui.label(&name);
                let response = ui
                    .add(
                        egui::TextEdit::singleline(row)
                            .hint_text("203.0.113.7 or 203.0.113.0/24")
                            .desired_width(220.0),
                    )
                    .labelled_by(label.id);
                touch |= touched(&response);
                *submit |= entered(&response);
                if ui
                    .small_button(format!("Remove {row_noun} {}", i + 1))
                    .clicked()
                {
                    remove = Some(i);
                }
            });
            if let Some(Some(error)) = errors.get(i) {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
        }
        if ui.small_button(format!("Add {row_noun}")).clicked() {
            rows.push(String::new());
        }
    });
    if let Some(i) = remove {
        rows.remove(i);
    }
    ui.end_row();
    touch
}
