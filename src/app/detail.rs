//! The detail panel of the selected key (every part with copy buttons, masked secrets with a
//! timed reveal, permissions, IP lists, dates, incident checklist, history) and the dialogs
//! its actions open (rotate, mark compromised, revoke, delete).

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::{RichText, Ui};
use uuid::Uuid;

use super::commands::Command;
use super::widgets::{SecretBuffer, badge, date, labelled_password, relative_days, urgency_color};
use super::{Session, editor, transfer};
use crate::vault::policy::{self, Urgency};
use crate::vault::{CredentialKind, Entry, Field, FieldValue, Status};

/// A dialog over the main window.
pub(crate) enum Dialog {
    Editor(Box<editor::EditorState>),
    Rotate(RotateState),
    Compromise { id: Uuid, reason: String },
    Confirm(Confirm),
    Export(Box<transfer::ExportState>),
    Import(Box<transfer::ImportState>),
}

impl Dialog {
    /// True while the dialog waits for a worker thread (a file dialog, an export, a read).
    pub fn is_busy(&self) -> bool {
        match self {
            Dialog::Editor(state) => state.is_busy(),
            Dialog::Export(state) => state.is_busy(),
            Dialog::Import(state) => state.is_busy(),
            _ => false,
        }
    }
}

/// An action that asks first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Confirm {
    Delete(Uuid),
    Revoke(Uuid),
}

/// The rotate dialog: the new secret (and public key for a key pair).
pub(crate) struct RotateState {
    pub id: Uuid,
    pub secret: SecretBuffer,
    pub public_key: String,
}

const MASK: &str = "••••••••••••";

/// The part's name inside a sentence ("Copy API key", "Reveal secret").
pub(crate) fn field_noun(field: Field) -> &'static str {
    match field {
        Field::Key => "API key",
        Field::Secret => "secret",
        Field::Passphrase => "passphrase",
        Field::PrivateKey => "private key",
        Field::PublicKey => "public key",
    }
}

fn field_title(field: Field) -> &'static str {
    match field {
        Field::Key => "API key",
        Field::Secret => "Secret",
        Field::Passphrase => "Passphrase",
        Field::PrivateKey => "Private key",
        Field::PublicKey => "Public key",
    }
}

/// Draws the right-hand panel for the key `id`.
pub(crate) fn detail_panel(
    ui: &mut Ui,
    session: &mut Session,
    id: Uuid,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    let Some(entry) = session.vault.by_id(id) else {
        return;
    };
    let settings = &session.vault.settings;
    let reveal = session.reveal;
    egui::Panel::right("detail")
        .default_size(380.0)
        .min_size(300.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.add_space(6.0);
                ui.heading(&entry.name);
                ui.horizontal_wrapped(|ui| {
                    if !entry.provider.is_empty() {
                        ui.label(&entry.provider);
                    }
                    badge(
                        ui,
                        entry.environment.as_str(),
                        ui.visuals().weak_text_color(),
                    );
                    let status_color = match entry.status {
                        Status::Active => egui::Color32::from_rgb(60, 160, 80),
                        Status::Revoked => ui.visuals().weak_text_color(),
                        Status::Compromised => ui.visuals().error_fg_color,
                    };
                    badge(ui, entry.status.as_str(), status_color);
                });
                if !entry.purpose.is_empty() {
                    ui.label(RichText::new(&entry.purpose).italics());
                }
                actions(
                    ui,
                    entry,
                    session.file.is_some() || session.save_job.is_some(),
                    commands,
                );
                ui.separator();
                credential(ui, entry, reveal, now, commands);
                super::signature::signature_ui(
                    ui,
                    &mut session.signature,
                    entry,
                    &session.providers,
                    session.changes,
                    commands,
                );
                ui.separator();
                permissions(ui, entry);
                ip_lists(ui, entry);
                ui.separator();
                dates(ui, entry, settings, now);
                if let Some(incident) = &entry.incident {
                    ui.separator();
                    ui.label(RichText::new("Incident").strong());
                    ui.label(format!(
                        "Reported {} ({}){}",
                        date(incident.reported_at),
                        relative_days(incident.reported_at, now),
                        if incident.reason.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", incident.reason)
                        }
                    ));
                    match session.providers.find(&entry.provider) {
                        Some(preset) if !preset.key_page.is_empty() => {
                            ui.horizontal_wrapped(|ui| {
                                ui.label("Key page:");
                                ui.hyperlink_to(
                                    format!("{} API keys", preset.name),
                                    &preset.key_page,
                                )
                                .on_hover_text(&preset.key_page);
                            });
                        }
                        _ => {
                            ui.label(
                                RichText::new(
                                    "No preset for this provider: disable the key on its website.",
                                )
                                .weak(),
                            );
                        }
                    }
                    let open = incident
                        .checklist
                        .iter()
                        .filter(|s| s.done_at.is_none())
                        .count();
                    ui.label(if open == 0 {
                        RichText::new("Every step done.").weak()
                    } else {
                        RichText::new(format!(
                            "{open} step(s) open: the key stays flagged until all are ticked or \
                             it is revoked."
                        ))
                        .color(ui.visuals().warn_fg_color)
                    });
                    for (i, step) in incident.checklist.iter().enumerate() {
                        let mut done = step.done_at.is_some();
                        if ui.checkbox(&mut done, &step.text).changed() {
                            commands.push(Command::TickChecklist {
                                id: entry.id,
                                item: i,
                                done,
                            });
                        }
                    }
                }
                if !entry.tags.is_empty() {
                    ui.separator();
                    ui.horizontal_wrapped(|ui| {
                        ui.label("Tags:");
                        for tag in &entry.tags {
                            badge(ui, &format!("#{tag}"), ui.visuals().hyperlink_color);
                        }
                    });
                }
                if !entry.notes.is_empty() {
                    ui.separator();
                    ui.label(RichText::new("Notes").strong());
                    ui.label(&entry.notes);
                }
                if !entry.history.is_empty() {
                    ui.separator();
                    ui.label(RichText::new("Previous secrets").strong());
                    for (i, item) in entry.history.iter().enumerate().rev() {
                        ui.horizontal(|ui| {
                            ui.label(format!(
                                "{} {} – {}",
                                field_title(item.field),
                                date(item.in_use_since),
                                date(item.replaced_at)
                            ));
                            if ui
                                .small_button(format!("Copy previous secret {}", i + 1))
                                .clicked()
                            {
                                commands.push(Command::CopyHistory {
                                    id: entry.id,
                                    index: i,
                                });
                            }
                        });
                    }
                }
            });
        });
}

fn actions(ui: &mut Ui, entry: &Entry, _ready: bool, commands: &mut Vec<Command>) {
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button("Edit").clicked() {
            commands.push(Command::EditEntry(entry.id));
        }
        if ui.button("Rotate…").clicked() {
            commands.push(Command::OpenDialog(DialogRequest::Rotate(entry.id)));
        }
        if entry.status != Status::Compromised && ui.button("Mark compromised…").clicked() {
            commands.push(Command::OpenDialog(DialogRequest::Compromise(entry.id)));
        }
        if entry.status != Status::Revoked && ui.button("Revoke…").clicked() {
            commands.push(Command::OpenDialog(DialogRequest::Confirm(
                Confirm::Revoke(entry.id),
            )));
        }
        if ui.button("Duplicate").clicked() {
            commands.push(Command::Duplicate(entry.id));
        }
        if ui.button("Delete…").clicked() {
            commands.push(Command::OpenDialog(DialogRequest::Confirm(
                Confirm::Delete(entry.id),
            )));
        }
    });
}

/// Which dialog to open (a command, so that opening one is applied in one place).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DialogRequest {
    Rotate(Uuid),
    Compromise(Uuid),
    Confirm(Confirm),
    Export,
    Import,
}

impl DialogRequest {
    /// The dialog's starting state.
    pub fn open(self) -> Dialog {
        match self {
            DialogRequest::Rotate(id) => Dialog::Rotate(RotateState {
                id,
                secret: SecretBuffer::default(),
                public_key: String::new(),
            }),
            DialogRequest::Compromise(id) => Dialog::Compromise {
                id,
                reason: String::new(),
            },
            DialogRequest::Confirm(c) => Dialog::Confirm(c),
            DialogRequest::Export => Dialog::Export(Box::new(transfer::ExportState::new())),
            DialogRequest::Import => Dialog::Import(Box::new(transfer::ImportState::new())),
        }
    }
}

fn credential(
    ui: &mut Ui,
    entry: &Entry,
    reveal: Option<super::Reveal>,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    ui.label(RichText::new(format!("Credential ({})", entry.credential.kind())).strong());
    for field in Field::ALL {
        let Some(value) = entry.credential.field(field) else {
            continue;
        };
        let title = field_title(field);
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new(title).weak());
            let _ = label;
            if ui
                .small_button(format!("Copy {}", field_noun(field)))
                .on_hover_text("Copy; the clipboard is cleared after a while")
                .clicked()
            {
                commands.push(Command::Copy {
                    id: entry.id,
                    field,
                });
            }
            if let FieldValue::Secret(_) = value {
                let shown = reveal.is_some_and(|r| r.id == entry.id && r.field == field);
                if shown {
                    let left = reveal
                        .map(|r| (r.until - now).num_seconds().max(0) + 1)
                        .unwrap_or(0);
                    if ui
                        .small_button(format!("Hide {}", field_noun(field)))
                        .on_hover_text(format!("Masks again by itself in {left} s"))
                        .clicked()
                    {
                        commands.push(Command::Hide);
                    }
                } else if ui
                    .small_button(format!("Reveal {}", field_noun(field)))
                    .clicked()
                {
                    commands.push(Command::Reveal {
                        id: entry.id,
                        field,
                    });
                }
            }
        });
        let text = match value {
            FieldValue::Public(text) => text.to_owned(),
            FieldValue::Secret(secret) => {
                if reveal.is_some_and(|r| r.id == entry.id && r.field == field) {
                    secret.expose().to_owned()
                } else {
                    MASK.to_owned()
                }
            }
        };
        ui.add(
            egui::Label::new(RichText::new(text).monospace())
                .wrap_mode(egui::TextWrapMode::Wrap)
                .selectable(matches!(value, FieldValue::Public(_))),
        );
        if field == Field::PublicKey && !value.expose().is_empty() {
            ui.label(
                RichText::new("PEM (SPKI), the form providers ask for: not secret.")
                    .weak()
                    .small(),
            );
        }
    }
}

fn permissions(ui: &mut Ui, entry: &Entry) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Permissions").strong());
        if entry.permissions.is_empty() {
            ui.label(RichText::new("none recorded").weak());
        }
        for p in &entry.permissions {
            let color = if p.moves_funds() {
                ui.visuals().error_fg_color
            } else if p.as_str() == crate::vault::Permission::TRADE {
                ui.visuals().warn_fg_color
            } else {
                ui.visuals().text_color()
            };
            let text = if p.moves_funds() {
                p.as_str().to_uppercase()
            } else {
                p.as_str().to_owned()
            };
            badge(ui, &text, color);
        }
    });
}

fn ip_lists(ui: &mut Ui, entry: &Entry) {
    ui.add_space(4.0);
    ui.label(RichText::new("IP whitelist").strong());
    if policy::is_unrestricted(entry) {
        let risky = entry
            .permissions
            .iter()
            .any(|p| p.moves_funds() || p.as_str() == crate::vault::Permission::TRADE);
        let color = if risky {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().warn_fg_color
        };
        ui.colored_label(
            color,
            "Unrestricted: the key works from any address. Add the addresses that use it.",
        );
    }
    for rule in &entry.ip_whitelist {
        ui.label(RichText::new(rule.to_string()).monospace());
    }
    if !entry.ip_blacklist.is_empty() {
        ui.label(RichText::new("IP blacklist").strong());
        for rule in &entry.ip_blacklist {
            ui.label(RichText::new(rule.to_string()).monospace());
        }
    }
}

fn dates(ui: &mut Ui, entry: &Entry, settings: &crate::vault::VaultSettings, now: DateTime<Utc>) {
    let line =
        |ui: &mut Ui, title: &str, at: Option<DateTime<Utc>>, color: Option<egui::Color32>| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(title).weak());
                match at {
                    Some(at) => {
                        let text = format!("{} ({})", date(at), relative_days(at, now));
                        match color {
                            Some(c) => ui.colored_label(c, text),
                            None => ui.label(text),
                        };
                    }
                    None => {
                        ui.label("never");
                    }
                }
            });
        };
    line(ui, "Created", Some(entry.created_at), None);
    line(ui, "Last rotated", entry.rotated_at, None);
    let age = policy::rotation_age_days(entry, now);
    let urgency = policy::rotation_urgency(entry, settings, now);
    match policy::rotation_period_days(entry, settings) {
        Some(period) => {
            let fraction = (age as f32 / period as f32).clamp(0.0, 1.0);
            let color = match urgency {
                Urgency::Fine => egui::Color32::from_rgb(60, 160, 80),
                other => urgency_color(ui, other),
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .fill(color)
                    .text(format!("Rotation: {age} of {period} days")),
            );
            if let Some(due) = policy::rotation_due_at(entry, settings) {
                line(
                    ui,
                    "Rotation due",
                    Some(due),
                    Some(urgency_color(ui, urgency)),
                );
            }
        }
        None => {
            ui.label(format!("Secret age {age} days; no rotation policy"));
        }
    }
    let expiry_color = policy::expiry_urgency(entry, settings, now).map(|u| urgency_color(ui, u));
    match entry.expires_at {
        Some(at) => line(ui, "Expires", Some(at), expiry_color),
        None => {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Expires").weak());
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "never (consider an expiry date)",
                );
            });
        }
    }
    line(ui, "Last used", entry.last_used_at, None);
}

/// Draws the open dialog, if any. Esc closes it.
pub(crate) fn dialogs_ui(
    ctx: &egui::Context,
    session: &mut Session,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    let Some(dialog) = &mut session.dialog else {
        return;
    };
    let mut close = false;
    match dialog {
        Dialog::Editor(state) => {
            close = editor::editor_dialog(ctx, state, &session.providers, now, commands);
        }
        Dialog::Export(state) => {
            close = transfer::export_dialog(ctx, state, &session.vault, commands);
        }
        Dialog::Import(state) => {
            close = transfer::import_dialog(ctx, state, &session.vault, now, commands);
        }
        Dialog::Rotate(state) => {
            let Some(entry) = session.vault.by_id(state.id) else {
                session.dialog = None;
                return;
            };
            let response = egui::Modal::new(egui::Id::unique("rotate-dialog")).show(ctx, |ui| {
                ui.set_width(420.0);
                ui.heading(format!("Rotate '{}'", entry.name));
                ui.label(
                    "Create the new key at the provider first, then paste its new secret here. \
                     The current one moves to the history.",
                );
                let kind = entry.credential.kind();
                let title = if kind == CredentialKind::KeyPair {
                    "New private key"
                } else {
                    "New secret"
                };
                let field = labelled_password(ui, title, &mut state.secret, 380.0);
                if kind == CredentialKind::KeyPair {
                    super::widgets::labelled_text(
                        ui,
                        "New public key",
                        &mut state.public_key,
                        "PEM",
                        380.0,
                    );
                }
                let _ = field;
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!state.secret.is_empty(), egui::Button::new("Rotate"))
                        .clicked()
                    {
                        let public_key = (kind == CredentialKind::KeyPair
                            && !state.public_key.trim().is_empty())
                        .then(|| state.public_key.trim().to_owned());
                        commands.push(Command::Rotate {
                            id: state.id,
                            secret: state.secret.take_secret(),
                            public_key,
                        });
                    }
                    if ui.button("Cancel").clicked() {
                        close = true;
                    }
                });
            });
            close |= response.should_close();
        }
        Dialog::Compromise { id, reason } => {
            let id = *id;
            let Some(entry) = session.vault.by_id(id) else {
                session.dialog = None;
                return;
            };
            let response =
                egui::Modal::new(egui::Id::unique("compromise-dialog")).show(ctx, |ui| {
                    ui.set_width(420.0);
                    ui.heading(format!("Mark '{}' compromised", entry.name));
                    ui.label(
                    "Records when and why, and opens the incident checklist: disable the key at \
                     the provider, rotate, review activity, keep evidence, contact the provider.",
                );
                    super::widgets::labelled_text(
                        ui,
                        "What happened",
                        reason,
                        "e.g. pasted in a public repo",
                        380.0,
                    );
                    ui.horizontal(|ui| {
                        if ui.button("Mark compromised").clicked() {
                            commands.push(Command::MarkCompromised {
                                id,
                                reason: reason.trim().to_owned(),
                            });
                        }
                        if ui.button("Cancel").clicked() {
                            close = true;
                        }
                    });
                });
            close |= response.should_close();
        }
        Dialog::Confirm(confirm) => {
            let confirm = *confirm;
            let (id, title, text, button) = match confirm {
                Confirm::Delete(id) => (
                    id,
                    "Delete",
                    "This removes the key and its history from the vault. The previous version \
                     of the file is kept as its .bak backup until the next save.",
                    "Delete key",
                ),
                Confirm::Revoke(id) => (
                    id,
                    "Revoke",
                    "Mark the key as revoked (disable it at the provider too). It stays in the \
                     vault for the record.",
                    "Revoke key",
                ),
            };
            let Some(entry) = session.vault.by_id(id) else {
                session.dialog = None;
                return;
            };
            let response = egui::Modal::new(egui::Id::unique("confirm-dialog")).show(ctx, |ui| {
                ui.set_width(380.0);
                ui.heading(format!("{title} '{}'?", entry.name));
                ui.label(text);
                ui.horizontal(|ui| {
                    if ui.button(button).clicked() {
                        commands.push(match confirm {
                            Confirm::Delete(id) => Command::Delete(id),
                            Confirm::Revoke(id) => Command::Revoke(id),
                        });
                    }
                    if ui.button("Cancel").clicked() {
                        close = true;
                    }
                });
            });
            close |= response.should_close();
        }
    }
    if close {
        let typed_passwords = matches!(session.dialog, Some(Dialog::Export(_) | Dialog::Import(_)));
        session.dialog = None;
        if typed_passwords {
            // The password fields' undo histories held what was typed.
            super::forget_widget_state(ctx);
        }
    }
}
