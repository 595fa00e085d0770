//! The conflict dialog: after a merge with another program's change (a save or the look at
//! the file), each field that both sides changed, with both values (secrets masked) and a
//! choice per field between this machine's value and the other's. The merge kept the newer
//! one; "Apply" makes the chosen values current (`Command::ResolveConflicts`, carried out by
//! the library's `resolve_conflict`), "Keep as merged" closes it.

use eframe::egui;

use super::command::Command;
use crate::vault::merge::{Conflict, Side};

/// The conflicts waiting for the user, and the side chosen for each.
pub(crate) struct ConflictState {
    pub rows: Vec<ConflictRow>,
}

/// One field both sides changed.
pub(crate) struct ConflictRow {
    pub conflict: Conflict,
    /// Starts as the side the merge kept.
    pub choice: Side,
}

impl ConflictState {
    /// Adds `conflicts` (a later merge's) to the list, each field once: a later report of the
    /// same field replaces the earlier one.
    pub fn add(state: &mut Option<ConflictState>, conflicts: Vec<Conflict>) {
        if conflicts.is_empty() {
            return;
        }
        let rows = &mut state
            .get_or_insert_with(|| ConflictState { rows: Vec::new() })
            .rows;
        for conflict in conflicts {
            rows.retain(|r| {
                !(r.conflict.entry_id == conflict.entry_id
                    && r.conflict.field == conflict.field
                    && r.conflict.custom == conflict.custom)
            });
            rows.push(ConflictRow {
                choice: conflict.kept,
                conflict,
            });
        }
    }
}

/// Draws the dialog; the radio buttons change the choices in place.
pub(crate) fn conflict_dialog(
    ctx: &egui::Context,
    state: &mut ConflictState,
    commands: &mut Vec<Command>,
) {
    let response = egui::Modal::new(egui::Id::unique("conflict-dialog")).show(ctx, |ui| {
        ui.set_width(620.0);
        ui.heading("Changed here and by another program");
        ui.label(
            "These fields were changed on this machine and in the file on disk, to different \
             values. The newer value is kept for now; choose per field. A secret you do not \
             choose stays in the key's history.",
        );
        ui.add_space(6.0);
        egui::ScrollArea::vertical()
            .max_height(360.0)
            .show(ui, |ui| {
                egui::Grid::new("conflict-rows")
                    .num_columns(4)
                    .striped(true)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        ui.strong("Key");
                        ui.strong("Field");
                        ui.strong("This machine");
                        ui.strong("Other");
                        ui.end_row();
                        for row in &mut state.rows {
                            conflict_row(ui, row);
                        }
                    });
            });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui
                .button("Apply")
                .on_hover_text("Make the chosen values current and save")
                .clicked()
            {
                commands.push(Command::ResolveConflicts);
            }
            if ui
                .button("Keep as merged")
                .on_hover_text("Keep the newer values the merge chose")
                .clicked()
            {
                commands.push(Command::KeepMerged);
            }
        });
    });
    if response.should_close() {
        commands.push(Command::KeepMerged);
    }
}

fn conflict_row(ui: &mut egui::Ui, row: &mut ConflictRow) {
    let c = &row.conflict;
    ui.label(&c.entry);
    ui.label(c.field_label());
    for (side, value, title) in [
        (Side::Ours, &c.ours, "This machine"),
        (Side::Theirs, &c.theirs, "Other"),
    ] {
        ui.horizontal(|ui| {
            ui.radio_value(&mut row.choice, side, title);
            let text = if side == c.kept {
                format!("{value} (newer)")
            } else {
                value.to_string()
            };
            ui.label(text);
        });
    }
    ui.end_row();
}
