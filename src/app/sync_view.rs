//! The dialogs about keeping every change: "lock anyway?", what the unlock found beside the
//! vault (recovered changes, sync conflict copies), "Merge another vault…" and "delete for
//! good?". Drawing only: each button pushes a [`SyncCommand`].

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::RichText;

use super::command::{Command, FilePick, SyncCommand};
use super::dialogs::Dialog;
use super::jobs::PickJob;
use super::transfer_view::path_row;
use super::widgets::{SecretBuffer, display_path, labelled_password};

/// What the unlock found beside the vault, and what merging it gave.
pub(crate) struct Offers {
    /// Recovery files (changes a lock could not save).
    pub recovery: Vec<PathBuf>,
    /// When the newest of them was written.
    pub recovered_at: Option<DateTime<Utc>>,
    /// Sync conflict copies (Syncthing, Dropbox, Nextcloud).
    pub copies: Vec<PathBuf>,
    /// What the merges done so far brought, one line per fact.
    pub report: Vec<String>,
    pub error: Option<String>,
    /// A merge of these runs.
    pub merging: bool,
}

/// The "Merge another vault" dialog.
#[derive(Default)]
pub(crate) struct MergeOtherState {
    pub path: String,
    /// The other vault's password; empty: the vault's own.
    pub password: SecretBuffer,
    pub pick: Option<PickJob>,
    /// What the merge brought, one line per fact.
    pub report: Vec<String>,
    pub error: Option<String>,
    pub merging: bool,
}

/// Draws one of this file's dialogs. Returns true when it should close.
pub(crate) fn dialog_ui(
    ctx: &egui::Context,
    dialog: &mut Dialog,
    commands: &mut Vec<Command>,
) -> bool {
    match dialog {
        Dialog::ConfirmLock(why) => confirm_lock(ctx, why, commands),
        Dialog::Offers(offers) => offers_dialog(ctx, offers, commands),
        Dialog::MergeOther(state) => merge_other_dialog(ctx, state, commands),
        Dialog::ConfirmPurge(name) => confirm_purge(ctx, name, commands),
        _ => false,
    }
}

fn confirm_lock(ctx: &egui::Context, why: &str, commands: &mut Vec<Command>) -> bool {
    let mut close = false;
    let response = egui::Modal::new(egui::Id::unique("confirm-lock")).show(ctx, |ui| {
        ui.set_width(420.0);
        ui.heading("Save failed: lock anyway?");
        ui.label(format!("The last change could not be saved: {why}."));
        ui.label(
            "Locking keeps it in an encrypted recovery file beside the vault, offered for \
             merging at the next unlock.",
        );
        ui.horizontal(|ui| {
            if ui.button("Lock anyway").clicked() {
                commands.push(Command::Sync(SyncCommand::LockAnyway));
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    close || response.should_close()
}

fn offers_dialog(ctx: &egui::Context, offers: &Offers, commands: &mut Vec<Command>) -> bool {
    let mut close = false;
    let busy = offers.merging;
    let response = egui::Modal::new(egui::Id::unique("unlock-offers")).show(ctx, |ui| {
        ui.set_width(480.0);
        ui.heading("Changes to bring in");
        if !offers.recovery.is_empty() {
            let when = offers.recovered_at.map_or_else(
                || "an earlier session".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
            );
            ui.label(format!("Unsaved changes from {when} were recovered."));
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!busy, egui::Button::new("Merge recovered changes"))
                    .clicked()
                {
                    commands.push(Command::Sync(SyncCommand::MergeRecovery));
                }
                if ui
                    .add_enabled(!busy, egui::Button::new("Discard"))
                    .on_hover_text("Delete the recovery file without merging it")
                    .clicked()
                {
                    commands.push(Command::Sync(SyncCommand::DiscardRecovery));
                }
            });
            ui.add_space(6.0);
        }
        if !offers.copies.is_empty() {
            let n = offers.copies.len();
            let what = if n == 1 {
                "1 copy from another device".to_owned()
            } else {
                format!("{n} copies from other devices")
            };
            ui.label(format!("{what} (left by a sync tool):"));
            for copy in &offers.copies {
                let name = copy
                    .file_name()
                    .map_or_else(|| display_path(copy), |n| n.to_string_lossy().into_owned());
                ui.label(RichText::new(name).monospace().small());
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Merge copies"))
                .on_hover_text("Merge each copy into the vault, save, and remove the copies")
                .clicked()
            {
                commands.push(Command::Sync(SyncCommand::MergeCopies));
            }
            ui.add_space(6.0);
        }
        outcome(ui, busy, &offers.report, offers.error.as_deref());
        let done = offers.recovery.is_empty() && offers.copies.is_empty();
        let label = if done { "Close" } else { "Not now" };
        if ui.add_enabled(!busy, egui::Button::new(label)).clicked() {
            close = true;
        }
    });
    close || (!busy && response.should_close())
}

fn merge_other_dialog(
    ctx: &egui::Context,
    state: &mut MergeOtherState,
    commands: &mut Vec<Command>,
) -> bool {
    let mut close = false;
    let busy = state.merging || state.pick.is_some();
    let response = egui::Modal::new(egui::Id::unique("merge-other")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading("Merge another vault");
        ui.label(
            "Brings the keys and changes of another keyward vault file (a copy from another \
             machine, a backup) into this one. Nothing is lost: where both changed a key, the \
             newer value is kept and the other goes to the key's history.",
        );
        ui.add_enabled_ui(!busy, |ui| {
            if path_row(ui, "Vault file", &mut state.path, state.pick.is_some()) {
                commands.push(Command::PickFile(FilePick::MergeFrom));
            }
            labelled_password(ui, "Its master password", &mut state.password, 300.0)
                .on_hover_text("Leave empty to use this vault's password");
            ui.label(RichText::new("Empty: this vault's own password is tried.").weak());
        });
        outcome(ui, state.merging, &state.report, state.error.as_deref());
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, egui::Button::new("Merge")).clicked() {
                commands.push(Command::Sync(SyncCommand::MergeOther));
            }
            if ui.add_enabled(!busy, egui::Button::new("Close")).clicked() {
                close = true;
            }
        });
    });
    close || (!busy && response.should_close())
}

/// The spinner while a merge runs, what it brought, and its error.
fn outcome(ui: &mut egui::Ui, busy: bool, report: &[String], error: Option<&str>) {
    if busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Merging and saving…");
        });
    }
    for line in report {
        ui.label(line);
    }
    if let Some(error) = error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
}

fn confirm_purge(ctx: &egui::Context, name: &str, commands: &mut Vec<Command>) -> bool {
    let mut close = false;
    let response = egui::Modal::new(egui::Id::unique("confirm-purge")).show(ctx, |ui| {
        ui.set_width(400.0);
        ui.heading(format!("Delete '{name}' for good?"));
        ui.label(
            "Its secrets and history are gone for good; a merge with an older copy will not \
             bring it back.",
        );
        ui.horizontal(|ui| {
            if ui.button("Delete for good").clicked() {
                commands.push(Command::Sync(SyncCommand::Purge(name.to_owned())));
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    close || response.should_close()
}
