//! The Audit view: every finding of [`crate::vault::audit::audit`], most severe first, with
//! why it matters and what to do, and a click-through to the key.

use eframe::egui;
use egui::{Align, Layout, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::command::Command;
use crate::vault::Vault;
use crate::vault::audit::{self, Finding};
use crate::vault::providers::Severity;

/// The colour of a severity.
fn severity_color(ui: &Ui, severity: Severity) -> egui::Color32 {
    match severity {
        Severity::Critical | Severity::High => ui.visuals().error_fg_color,
        Severity::Medium => ui.visuals().warn_fg_color,
        Severity::Low => ui.visuals().weak_text_color(),
    }
}

/// Draws the Audit view of `findings` (the audit's, most severe first) about `vault`.
pub(crate) fn audit_ui(
    ui: &mut Ui,
    findings: &[Finding],
    vault: &Vault,
    commands: &mut Vec<Command>,
) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("Audit");
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let attention = findings
            .iter()
            .filter(|f| audit::needs_attention(f))
            .count();
        ui.label(
            RichText::new(format!(
                "{} finding(s): {} critical, {} high, {} medium, {} low. {attention} need \
                 attention (medium or worse). Click a key to open it.",
                findings.len(),
                count(Severity::Critical),
                count(Severity::High),
                count(Severity::Medium),
                count(Severity::Low),
            ))
            .weak(),
        );
        ui.add_space(4.0);
        if findings.is_empty() {
            ui.label("No findings: every key passes the audit.");
            return;
        }
        let line = ui.text_style_height(&egui::TextStyle::Body);
        TableBuilder::new(ui)
            .id_salt("audit-table")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(Column::initial(70.0))
            .column(Column::initial(180.0).clip(true))
            .column(Column::remainder().clip(true))
            .header(22.0, |mut header| {
                for title in ["Severity", "Key", "Finding and fix"] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(line * 2.0 + 10.0, findings.len(), |mut row| {
                    let Some(finding) = findings.get(row.index()) else {
                        return;
                    };
                    let mut clicked = false;
                    row.col(|ui| {
                        ui.colored_label(
                            severity_color(ui, finding.severity),
                            RichText::new(finding.severity.as_str()).strong(),
                        );
                    });
                    row.col(|ui| {
                        clicked |= ui
                            .add(egui::Button::new(&finding.name).frame(false))
                            .on_hover_text("Open this key")
                            .clicked();
                    });
                    row.col(|ui| {
                        ui.vertical(|ui| {
                            ui.add(egui::Label::new(&finding.reason).truncate());
                            ui.add(
                                egui::Label::new(
                                    RichText::new(format!("Fix: {}", finding.app_fix())).weak(),
                                )
                                .truncate(),
                            );
                        });
                    });
                    if (clicked || row.response().clicked())
                        && let Some(entry) = vault.get(&finding.name)
                    {
                        commands.push(Command::ShowEntry(entry.id));
                    }
                });
            });
    });
}
