//! The status bar: what just happened (saved, or the error), save progress, and the
//! clipboard countdown with "Clear now".

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::{Align, Layout, RichText, Ui};

use super::command::Command;
use crate::clipboard::TimedClipboard;

/// A line in the status bar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StatusLine {
    pub text: String,
    pub is_error: bool,
}

impl StatusLine {
    /// A message about something that went as asked.
    pub fn info(text: impl Into<String>) -> Self {
        StatusLine {
            text: text.into(),
            is_error: false,
        }
    }

    /// A message about something that failed, saying what to do.
    pub fn error(text: impl Into<String>) -> Self {
        StatusLine {
            text: text.into(),
            is_error: true,
        }
    }
}

/// How the vault's saving stands, as the status bar shows it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Saving {
    /// A save or a merge is running (a spinner).
    pub busy: bool,
    /// The last save failed and none is running ("Retry save").
    pub can_retry: bool,
}

/// Draws the status bar at the bottom of the window.
pub(crate) fn status_bar(
    ui: &mut Ui,
    status: &StatusLine,
    clipboard: &TimedClipboard,
    saving: Saving,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    egui::Panel::bottom("status-bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            if saving.busy {
                ui.spinner();
            }
            if saving.can_retry && ui.button("Retry save").clicked() {
                commands.push(Command::RetrySave);
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
