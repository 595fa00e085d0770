//! The status bar: what just happened (saved, or the error), save progress, and the
//! clipboard countdown with "Clear now".

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::{Align, Layout, RichText, Ui};

use super::commands::Command;
use super::{Screen, StatusLine};
use crate::clipboard::TimedClipboard;

/// Draws the status bar at the bottom of the window.
pub(crate) fn status_bar(
    ui: &mut Ui,
    status: &StatusLine,
    clipboard: &TimedClipboard,
    screen: &Screen,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    egui::Panel::bottom("status-bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            if let Screen::Main(session) = screen {
                if session.save_job.is_some() || session.reload_job.is_some() {
                    ui.spinner();
                }
                if session.save_error.is_some()
                    && session.save_job.is_none()
                    && ui.button("Retry save").clicked()
                {
                    commands.push(Command::RetrySave);
                }
            }
            let text = RichText::new(&status.text);
            if status.is_error {
                ui.colored_label(ui.visuals().error_fg_color, text);
            } else {
                ui.label(text);
            }
            if let Some(seconds) = clipboard.remaining_seconds(now) {
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui.button("Clear now").clicked() {
                        commands.push(Command::ClearClipboard);
                    }
                    let what = clipboard.label().unwrap_or("secret");
                    ui.label(format!("Clipboard ({what}) clears in {seconds} s"));
                });
            }
        });
    });
}
