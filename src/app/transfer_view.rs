//! The Export and Import dialogs (PRODUCT §8). The formats, their warnings, the clash rules
//! and the dry-run plan are [`crate::transfer`]'s, as for `keyward export` and `import`;
//! reading, encrypting and writing files run on worker threads (`tasks.rs`), and an import
//! is stored through the app's normal save.

use std::path::PathBuf;

use eframe::egui;
use egui::{RichText, Ui};

use super::command::{Command, FilePick};
use super::jobs::{Job, PickJob};
use super::widgets::{SecretBuffer, display_path, labelled_password};
use crate::transfer::{
    self, ClashRule, Format, ImportAction, ImportPlan, TransferError, plan_import,
};
use crate::vault::{Entry, Vault};

/// A label and a path field, with a "Choose…" button that opens a file dialog.
pub(crate) fn path_row(ui: &mut Ui, label: &str, path: &mut String, picking: bool) -> bool {
    let mut choose = false;
    ui.horizontal(|ui| {
        let label = ui.label(label);
        ui.add(
            egui::TextEdit::singleline(path)
                .hint_text("a file path, or Choose…")
                .desired_width(330.0),
        )
        .labelled_by(label.id);
        choose = ui
            .add_enabled(!picking, egui::Button::new("Choose…"))
            .clicked();
    });
    choose
}

/// The user-facing words for a transfer error.
pub(crate) fn error_text(e: &TransferError) -> String {
    match e {
        TransferError::Exists { path } => format!(
            "{} already exists; tick \"Replace the existing file\" to overwrite it",
            display_path(path)
        ),
        other => other.to_string(),
    }
}

/// What a finished export hands back: the file written and the number of keys, or why not.
pub(crate) type ExportDone = Result<(PathBuf, usize), String>;

/// The Export dialog's state.
pub(crate) struct ExportState {
    pub format: Format,
    pub path: String,
    pub password: SecretBuffer,
    pub repeat: SecretBuffer,
    pub overwrite: bool,
    pub pick: Option<PickJob>,
    pub job: Option<Job<ExportDone>>,
    /// The warnings for `format`, computed when the format changes.
    pub warnings: Option<(Format, Vec<String>)>,
    pub error: Option<String>,
}

impl ExportState {
    pub fn new() -> Self {
        ExportState {
            format: Format::Kdbx,
            path: String::new(),
            password: SecretBuffer::default(),
            repeat: SecretBuffer::default(),
            overwrite: false,
            pick: None,
            job: None,
            warnings: None,
            error: None,
        }
    }

    /// True while the file dialog or the export runs.
    pub fn is_busy(&self) -> bool {
        self.pick.is_some() || self.job.is_some()
    }

    /// Why the export cannot start yet.
    pub fn refusal(&self, exists: bool) -> Option<&'static str> {
        if self.path.trim().is_empty() {
            Some("Choose the file to write.")
        } else if exists && !self.overwrite {
            Some("The file exists: tick \"Replace the existing file\" to overwrite it.")
        } else if self.format == Format::Kdbx && self.password.is_empty() {
            Some("Choose a password for the exported kdbx.")
        } else if self.format == Format::Kdbx && self.password.expose() != self.repeat.expose() {
            Some("The two export passwords differ.")
        } else {
            None
        }
    }
}

/// Draws the Export dialog. Returns true when it should close.
pub(crate) fn export_dialog(
    ctx: &egui::Context,
    state: &mut ExportState,
    vault: &Vault,
    commands: &mut Vec<Command>,
) -> bool {
    let mut close = false;
    if state
        .warnings
        .as_ref()
        .is_none_or(|(f, _)| *f != state.format)
    {
        state.warnings = Some((
            state.format,
            transfer::export_report(vault, state.format).lines(),
        ));
    }
    let busy = state.is_busy();
    let response = egui::Modal::new(egui::Id::unique("export-dialog")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading("Export keys");
        ui.label(format!(
            "Writes all {} key(s) for another password manager.",
            vault.entries.len()
        ));
        ui.add_enabled_ui(!busy, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Format");
                for format in Format::ALL.into_iter().filter(|f| f.can_export()) {
                    ui.radio_value(&mut state.format, format, format.as_str());
                }
            });
            if path_row(ui, "Export file", &mut state.path, state.pick.is_some()) {
                commands.push(Command::PickFile(FilePick::ExportTo(state.format)));
            }
            let exists = !state.path.trim().is_empty()
                && std::fs::symlink_metadata(state.path.trim()).is_ok();
            if exists {
                ui.checkbox(&mut state.overwrite, "Replace the existing file");
            }
            if state.format == Format::Kdbx {
                labelled_password(ui, "Export password", &mut state.password, 300.0);
                labelled_password(ui, "Repeat export password", &mut state.repeat, 300.0);
            }
            if let Some((_, warnings)) = &state.warnings {
                ui.add_space(4.0);
                for warning in warnings {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {warning}"));
                }
            }
            ui.add_space(4.0);
            let refusal = state.refusal(exists);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(refusal.is_none(), egui::Button::new("Export"))
                    .clicked()
                {
                    commands.push(Command::StartExport);
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            if let Some(why) = refusal {
                ui.label(RichText::new(why).weak());
            }
        });
        if busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Exporting…");
            });
        }
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    });
    (close || response.should_close()) && !state.is_busy()
}

/// A file read for import: its entries, ready to be planned into the vault.
pub(crate) struct ReadFile {
    pub path: PathBuf,
    pub entries: Vec<Entry>,
    pub notices: Vec<String>,
}

/// The Import dialog's state.
pub(crate) struct ImportState {
    pub format: Format,
    pub path: String,
    pub password: SecretBuffer,
    /// The csv column mapping, `COLUMN=FIELD` pairs separated by commas.
    pub columns: String,
    pub rule: ClashRule,
    pub pick: Option<PickJob>,
    pub job: Option<Job<Result<ReadFile, String>>>,
    pub read: Option<ReadFile>,
    /// The dry run of `read` into the vault under `rule`.
    pub plan: Option<(ClashRule, ImportPlan)>,
    pub error: Option<String>,
}

impl ImportState {
    pub fn new() -> Self {
        ImportState {
            format: Format::KeepassXml,
            path: String::new(),
            password: SecretBuffer::default(),
            columns: String::new(),
            rule: ClashRule::Refuse,
            pick: None,
            job: None,
            read: None,
            plan: None,
            error: None,
        }
    }

    /// True while the file dialog or the reading runs.
    pub fn is_busy(&self) -> bool {
        self.pick.is_some() || self.job.is_some()
    }

    /// Forgets the file read (its format, path or password changed).
    pub fn forget(&mut self) {
        self.read = None;
        self.plan = None;
        self.error = None;
    }
}

/// Draws the Import dialog. Returns true when it should close.
pub(crate) fn import_dialog(
    ctx: &egui::Context,
    state: &mut ImportState,
    vault: &Vault,
    commands: &mut Vec<Command>,
) -> bool {
    let mut close = false;
    if let Some(read) = &state.read
        && state
            .plan
            .as_ref()
            .is_none_or(|(rule, _)| *rule != state.rule)
    {
        match plan_import(vault, read.entries.clone(), state.rule) {
            Ok(plan) => state.plan = Some((state.rule, plan)),
            Err(e) => {
                state.error = Some(format!("Nothing imported: {e}"));
                state.read = None;
                state.plan = None;
            }
        }
    }
    let busy = state.is_busy();
    let response = egui::Modal::new(egui::Id::unique("import-dialog")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading("Import keys");
        let mut changed = false;
        ui.add_enabled_ui(!busy, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("Format");
                for format in Format::ALL {
                    changed |= ui
                        .radio_value(&mut state.format, format, format.as_str())
                        .changed();
                }
            });
            if path_row(ui, "Import file", &mut state.path, state.pick.is_some()) {
                commands.push(Command::PickFile(FilePick::ImportFrom));
            }
            if state.format == Format::Kdbx {
                changed |=
                    labelled_password(ui, "File password", &mut state.password, 300.0).changed();
            }
            if state.format == Format::Csv {
                ui.horizontal(|ui| {
                    let label = ui.label("Column mapping");
                    changed |= ui
                        .add(
                            egui::TextEdit::singleline(&mut state.columns)
                                .hint_text("Title=name, Key=key, Secret=secret")
                                .desired_width(330.0),
                        )
                        .labelled_by(label.id)
                        .changed();
                });
            }
            ui.horizontal(|ui| {
                ui.label("When a name is taken");
                for (rule, text) in [
                    (ClashRule::Refuse, "Ask me"),
                    (ClashRule::Skip, "Skip it"),
                    (ClashRule::Rename, "Import renamed"),
                    (ClashRule::Replace, "Replace mine"),
                ] {
                    ui.radio_value(&mut state.rule, rule, text);
                }
            });
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(
                        !state.path.trim().is_empty(),
                        egui::Button::new("Preview import"),
                    )
                    .on_hover_text("Read the file and show what would change; nothing is saved")
                    .clicked()
                {
                    commands.push(Command::PreviewImport);
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if changed {
            state.forget();
        }
        if busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the file…");
            });
        }
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if let (Some(read), Some((rule, plan))) = (&state.read, &state.plan) {
            ui.separator();
            preview_ui(ui, read, plan);
            let clashes = plan.clashes();
            let adds = plan.summary().stored();
            if clashes.is_empty() {
                let text = format!("Import {adds} key(s)");
                if ui
                    .add_enabled(adds > 0, egui::Button::new("Import"))
                    .on_hover_text(text)
                    .clicked()
                {
                    commands.push(Command::ApplyImport {
                        entries: read.entries.clone(),
                        rule: *rule,
                        source: display_path(&read.path),
                    });
                }
            } else {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{} name(s) already taken: {}. Choose what to do with them above.",
                        clashes.len(),
                        clashes.join(", ")
                    ),
                );
            }
        }
    });
    (close || response.should_close()) && !state.is_busy()
}

/// The dry-run table: what happens to each entry of the file.
fn preview_ui(ui: &mut Ui, read: &ReadFile, plan: &ImportPlan) {
    ui.label(RichText::new(plan.summary().to_string()).strong());
    for notice in &read.notices {
        ui.label(RichText::new(format!("Note: {notice}")).weak());
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    egui::ScrollArea::vertical()
        .max_height(240.0)
        .id_salt("import-preview")
        .show_rows(ui, row_height, plan.entries.len(), |ui, range| {
            egui::Grid::new("import-preview-grid")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for planned in plan.entries.get(range).unwrap_or_default() {
                        let action = planned.action.to_string();
                        let color = match planned.action {
                            ImportAction::Add | ImportAction::Rename { .. } => {
                                ui.visuals().text_color()
                            }
                            ImportAction::Replace | ImportAction::Clash => {
                                ui.visuals().warn_fg_color
                            }
                            ImportAction::Skip => ui.visuals().weak_text_color(),
                        };
                        ui.colored_label(color, action);
                        ui.label(planned.entry.name.as_str());
                        match &planned.action {
                            ImportAction::Rename { from } => {
                                ui.label(RichText::new(format!("(was {from})")).weak())
                            }
                            _ => ui.label(
                                RichText::new(planned.entry.credential.kind().as_str()).weak(),
                            ),
                        };
                        ui.end_row();
                    }
                });
        });
}
