//! The dialogs over the main window: which one is open ([`Dialog`]), what a request opens,
//! and drawing it. The editor's and the transfer dialogs' contents are their views'; the
//! rotate, mark-compromised and confirm dialogs are small enough to live here.

use eframe::egui;
use uuid::Uuid;

use super::command::{Command, Confirm, DialogRequest};
use super::entry_form::EditorState;
use super::widgets::{SecretBuffer, labelled_password, labelled_text};
use super::{editor, sync_view, transfer_view};
use crate::secret::SecretString;
use crate::vault::providers::Providers;
use crate::vault::{CredentialKind, NewParts, Vault};

/// A dialog over the main window.
pub(crate) enum Dialog {
    Editor(Box<EditorState>),
    Rotate(RotateState),
    Compromise {
        id: Uuid,
        reason: String,
    },
    Confirm(Confirm),
    Export(Box<transfer_view::ExportState>),
    Import(Box<transfer_view::ImportState>),
    /// The change could not be saved: lock anyway (into a recovery file)? Holds why.
    ConfirmLock(String),
    /// What the unlock found beside the vault: recovery files, sync conflict copies.
    Offers(Box<sync_view::Offers>),
    /// "Merge another vault…".
    MergeOther(Box<sync_view::MergeOtherState>),
    /// Delete this trashed key for good?
    ConfirmPurge(String),
}

impl Dialog {
    /// True while the dialog waits for a worker thread (a file dialog, an export, a read).
    pub fn is_busy(&self) -> bool {
        match self {
            Dialog::Editor(state) => state.is_busy(),
            Dialog::Export(state) => state.is_busy(),
            Dialog::Import(state) => state.is_busy(),
            Dialog::MergeOther(state) => state.pick.is_some(),
            _ => false,
        }
    }
}

/// The rotate dialog: the new secret, and the other parts the key's kind has (key id,
/// passphrase, public key); a part left empty stays as it is.
pub(crate) struct RotateState {
    pub id: Uuid,
    pub secret: SecretBuffer,
    pub key_id: String,
    pub passphrase: SecretBuffer,
    pub public_key: String,
    /// Why the last Rotate was refused.
    pub error: Option<String>,
}

impl RotateState {
    /// The parts typed so far, copied (the fields keep their text until the dialog closes).
    fn parts(&self, kind: CredentialKind) -> NewParts {
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        NewParts {
            secret: SecretString::from(self.secret.expose()),
            key_id: given(&self.key_id).filter(|_| kind != CredentialKind::Token),
            passphrase: (kind == CredentialKind::SharedSecret && !self.passphrase.is_empty())
                .then(|| SecretString::from(self.passphrase.expose())),
            public_key: given(&self.public_key).filter(|_| kind == CredentialKind::KeyPair),
        }
    }
}

/// The dialog `request` opens, in its starting state.
pub(crate) fn open(request: DialogRequest) -> Dialog {
    match request {
        DialogRequest::Rotate(id) => Dialog::Rotate(RotateState {
            id,
            secret: SecretBuffer::default(),
            key_id: String::new(),
            passphrase: SecretBuffer::default(),
            public_key: String::new(),
            error: None,
        }),
        DialogRequest::Compromise { id, reason } => Dialog::Compromise { id, reason },
        DialogRequest::Confirm(c) => Dialog::Confirm(c),
        DialogRequest::Export => Dialog::Export(Box::new(transfer_view::ExportState::new())),
        DialogRequest::Import => Dialog::Import(Box::new(transfer_view::ImportState::new())),
    }
}

/// Draws the open dialog, if any. Esc closes it.
pub(crate) fn dialog_ui(
    ctx: &egui::Context,
    dialog: &mut Dialog,
    vault: &Vault,
    providers: &Providers,
    commands: &mut Vec<Command>,
) {
    let mut close = false;
    match dialog {
        sync @ (Dialog::ConfirmLock(_)
        | Dialog::Offers(_)
        | Dialog::MergeOther(_)
        | Dialog::ConfirmPurge(_)) => {
            close = sync_view::dialog_ui(ctx, sync, commands);
        }
        Dialog::Editor(state) => {
            close = editor::editor_dialog(ctx, state, providers, commands);
        }
        Dialog::Export(state) => {
            close = transfer_view::export_dialog(ctx, state, vault, commands);
        }
        Dialog::Import(state) => {
            close = transfer_view::import_dialog(ctx, state, vault, commands);
        }
        Dialog::Rotate(state) => {
            let Some(entry) = vault.by_id(state.id) else {
                commands.push(Command::CloseDialog);
                return;
            };
            let response = egui::Modal::new(egui::Id::unique("rotate-dialog")).show(ctx, |ui| {
                ui.set_width(420.0);
                ui.heading(format!("Rotate '{}'", entry.name));
                ui.label(
                    "Create the new key at the provider first, then paste its new parts here. \
                     A part left empty stays as it is; the replaced ones move to the history \
                     together.",
                );
                let kind = entry.credential.kind();
                let title = match kind {
                    CredentialKind::KeyPair => "New private key",
                    CredentialKind::Token => "New token",
                    CredentialKind::SharedSecret => "New secret",
                };
                if kind != CredentialKind::Token {
                    let hint = format!("now {}", entry.credential.key_id());
                    labelled_text(ui, "New key id", &mut state.key_id, &hint, 380.0);
                }
                labelled_password(ui, title, &mut state.secret, 380.0);
                if kind == CredentialKind::SharedSecret {
                    labelled_password(ui, "New passphrase", &mut state.passphrase, 380.0);
                }
                if kind == CredentialKind::KeyPair {
                    labelled_text(ui, "New public key", &mut state.public_key, "PEM", 380.0);
                }
                if let Some(error) = &state.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!state.secret.is_empty(), egui::Button::new("Rotate"))
                        .clicked()
                    {
                        commands.push(Command::Rotate {
                            id: state.id,
                            parts: state.parts(kind),
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
            let Some(entry) = vault.by_id(id) else {
                commands.push(Command::CloseDialog);
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
                    labelled_text(
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
                    "This moves the key, with its secrets and history, to the vault's trash; \
                     Trash in the sidebar brings it back.",
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
            let Some(entry) = vault.by_id(id) else {
                commands.push(Command::CloseDialog);
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
        commands.push(Command::CloseDialog);
    }
}
