//! The trash page: the deleted keys with when they were deleted; Restore brings one back
//! with its secrets, "Delete forever…" (after asking) purges it, leaving only a tombstone.
//! The rules are [`crate::vault::trash`]'s.

use eframe::egui;
use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::command::{Command, Page, SyncCommand};
use crate::vault::TrashedEntry;

/// Draws the trash page.
pub(crate) fn trash_ui(ui: &mut egui::Ui, trash: &[TrashedEntry], commands: &mut Vec<Command>) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading(format!("Trash ({})", trash.len()));
            if ui.button("Back to the keys").clicked() {
                commands.push(Command::ShowPage(Page::Keys));
            }
        });
        ui.label("Deleted keys stay here with their secrets and history until deleted forever.");
        ui.add_space(6.0);
        if trash.is_empty() {
            ui.label(RichText::new("The trash is empty.").weak());
            return;
        }
        // Newest first.
        let mut rows: Vec<&TrashedEntry> = trash.iter().collect();
        rows.sort_by_key(|t| std::cmp::Reverse(t.deleted_at));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 10.0;
        TableBuilder::new(ui)
            .id_salt("trash-table")
            .striped(true)
            .column(Column::initial(200.0).at_least(80.0).clip(true))
            .column(Column::initial(110.0).clip(true))
            .column(Column::initial(150.0))
            .column(Column::remainder())
            .header(row_height, |mut header| {
                for title in ["Name", "Provider", "Deleted", ""] {
                    header.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let item = rows[row.index()];
                    let name = &item.entry.name;
                    row.col(|ui| {
                        ui.label(name.as_str());
                    });
                    row.col(|ui| {
                        ui.label(if item.entry.provider.is_empty() {
                            "-"
                        } else {
                            &item.entry.provider
                        });
                    });
                    row.col(|ui| {
                        ui.label(item.deleted_at.format("%Y-%m-%d %H:%M UTC").to_string());
                    });
                    row.col(|ui| {
                        ui.horizontal(|ui| {
                            if ui
                                .button("Restore")
                                .on_hover_text(format!("Bring '{name}' back with its secrets"))
                                .clicked()
                            {
                                commands
                                    .push(Command::Sync(SyncCommand::Restore(name.to_string())));
                            }
                            if ui.button("Delete forever…").clicked() {
                                commands.push(Command::Sync(SyncCommand::ConfirmPurge(
                                    name.to_string(),
                                )));
                            }
                        });
                    });
                });
            });
    });
}
