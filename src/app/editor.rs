//! The add/edit dialog: draws the form of [`EditorState`], marks each field's problem as
//! the user types, and pushes the built entry. The form's rules are `entry_form.rs`'s.

use eframe::egui;
use egui::{RichText, Ui};

use super::command::Command;
use super::entry_form::{EditorState, FieldRow, Problems, STANDARD_PERMISSIONS};
use super::widgets::{SecretBuffer, labelled_text};
use crate::keys::KeyAlgorithm;
use crate::vault::providers::Providers;
use crate::vault::{CredentialKind, Environment};

fn problem(ui: &mut Ui, text: &Option<String>) {
    if let Some(text) = text {
        ui.colored_label(ui.visuals().error_fg_color, text);
    }
}

/// Draws the editor dialog. Returns true when it should close: Cancel, Esc, a click beside
/// it or the window's close button, at once for an unchanged form, after "Discard changes?"
/// for a changed one. Esc while a drop-down is open closes only the drop-down.
pub(crate) fn editor_dialog(
    ctx: &egui::Context,
    state: &mut EditorState,
    providers: &Providers,
    commands: &mut Vec<Command>,
) -> bool {
    let mut cancel = false;
    let problems = state.problems();
    let title = if state.is_new {
        "Add key".to_owned()
    } else {
        format!("Edit '{}'", state.base.name)
    };
    let max_height = ctx.content_rect().height() * 0.8;
    let response = egui::Modal::new(egui::Id::unique("editor-dialog")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading(&title);
        ui.add_space(4.0);
        // A fixed height: the dialog keeps its place and size as messages come and go; the
        // form scrolls inside it.
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .min_scrolled_height(max_height - 80.0)
            .max_height(max_height - 80.0)
            .show(ui, |ui| form(ui, state, &problems, providers, commands));
        ui.separator();
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.horizontal(|ui| {
            let save = ui
                .add_enabled(!problems.any(), egui::Button::new("Save key"))
                .on_disabled_hover_text("Fix the fields marked in red first");
            if save.clicked()
                && let Some(entry) = state.build(providers)
            {
                commands.push(Command::SaveEntry {
                    entry: Box::new(entry),
                    is_new: state.is_new,
                });
            }
            if ui.button("Cancel").clicked() {
                cancel = true;
            }
            if problems.any() {
                ui.label(RichText::new("Fix the fields marked in red to save.").weak());
            }
        });
    });
    if state.confirm_discard {
        return discard_dialog(ctx, state);
    }
    // The window's close button: with changes, the window stays and the question shows.
    let window_close = ctx.input(|i| i.viewport().close_requested());
    if window_close && state.has_changes() {
        ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        state.confirm_discard = true;
        ctx.request_repaint();
        return false;
    }
    if cancel || response.should_close() {
        if state.has_changes() {
            state.confirm_discard = true;
            ctx.request_repaint();
            return false;
        }
        return true;
    }
    false
}

/// "Discard changes?" over the editor. Returns true when the user discards; Keep editing
/// (or Esc) goes back to the form as it was.
fn discard_dialog(ctx: &egui::Context, state: &mut EditorState) -> bool {
    let mut discard = false;
    let mut keep = false;
    let response = egui::Modal::new(egui::Id::unique("editor-discard")).show(ctx, |ui| {
        ui.set_width(340.0);
        ui.heading("Discard changes?");
        ui.label("The changes to this key have not been saved.");
        ui.horizontal(|ui| {
            if ui.button("Discard").clicked() {
                discard = true;
            }
            if ui.button("Keep editing").clicked() {
                keep = true;
            }
        });
    });
    if discard {
        return true;
    }
    if keep || response.should_close() {
        state.confirm_discard = false;
    }
    false
}

fn form(
    ui: &mut Ui,
    state: &mut EditorState,
    problems: &Problems,
    providers: &Providers,
    commands: &mut Vec<Command>,
) {
    let preset = providers.find(&state.provider).cloned();
    egui::Grid::new("editor-grid")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            labelled_text(
                ui,
                "Name",
                &mut state.name,
                "unique, e.g. binance-bot-prod",
                360.0,
            );
            ui.end_row();
            if problems.name.is_some() && !state.name.is_empty() {
                ui.label("");
                problem(ui, &problems.name);
                ui.end_row();
            }
            let label = ui.label("Provider");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut state.provider)
                        .hint_text("binance, github, …")
                        .desired_width(200.0),
                )
                .labelled_by(label.id);
                let presets = ui.label(RichText::new("or a preset").weak());
                let mut chosen = None;
                egui::ComboBox::from_id_salt("provider-presets")
                    .selected_text(preset.as_ref().map_or("Presets", |p| p.name.as_str()))
                    .show_ui(ui, |ui| {
                        for p in &providers.list {
                            let on = preset.as_ref().is_some_and(|q| q.id == p.id);
                            if ui.selectable_label(on, &p.name).clicked() {
                                chosen = Some(p);
                            }
                        }
                    })
                    .response
                    .labelled_by(presets.id);
                if let Some(p) = chosen {
                    state.apply_preset(p);
                }
            });
            ui.end_row();
            labelled_text(
                ui,
                "URL",
                &mut state.url,
                "where the key is used or managed",
                360.0,
            );
            ui.end_row();
            let label = ui.label("Environment");
            ui.horizontal(|ui| {
                for env in [Environment::Prod, Environment::Test, Environment::Other] {
                    ui.radio_value(&mut state.environment, env, env.as_str());
                }
            })
            .response
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Credential kind");
            egui::ComboBox::from_id_salt("credential-kind")
                .selected_text(kind_text(state.kind))
                .show_ui(ui, |ui| {
                    for kind in [
                        CredentialKind::SharedSecret,
                        CredentialKind::KeyPair,
                        CredentialKind::Token,
                    ] {
                        ui.selectable_value(&mut state.kind, kind, kind_text(kind));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            match state.kind {
                CredentialKind::SharedSecret => {
                    labelled_text(ui, "API key", &mut state.key_id, "public key id", 360.0);
                    ui.end_row();
                    secret_row(ui, "Secret", &mut state.secret, false);
                    ui.end_row();
                    // Shown for providers that use one, unknown providers, and a passphrase
                    // already typed.
                    if preset.as_ref().is_none_or(|p| p.needs_passphrase)
                        || !state.passphrase.is_empty()
                    {
                        secret_row(ui, "Passphrase", &mut state.passphrase, false);
                        ui.end_row();
                    }
                }
                CredentialKind::KeyPair => {
                    labelled_text(
                        ui,
                        "API key",
                        &mut state.key_id,
                        "key id from the provider",
                        360.0,
                    );
                    ui.end_row();
                    if state.is_new {
                        keygen_row(ui, state, commands);
                        ui.end_row();
                    }
                    secret_row(ui, "Private key", &mut state.private_key, true);
                    ui.end_row();
                    let label = ui.label("Public key");
                    ui.add(
                        egui::TextEdit::multiline(&mut state.public_key)
                            .hint_text("PEM")
                            .desired_rows(3)
                            .desired_width(360.0),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                }
                CredentialKind::Token => {
                    secret_row(ui, "Token", &mut state.secret, false);
                    ui.end_row();
                }
            }
            if problems.secret.is_some() {
                ui.label("");
                problem(ui, &problems.secret);
                ui.end_row();
            }
            let label = ui.label("Permissions");
            ui.horizontal_wrapped(|ui| {
                for (on, name) in state.standard.iter_mut().zip(STANDARD_PERMISSIONS) {
                    ui.checkbox(on, name);
                }
                // The provider's own permission names, as suggestions.
                let custom = state.custom_list();
                for name in preset
                    .iter()
                    .flat_map(|p| p.permissions.iter())
                    .filter(|p| !STANDARD_PERMISSIONS.contains(&p.as_str()))
                {
                    let mut on = custom.contains(name);
                    if ui
                        .checkbox(&mut on, name.as_str())
                        .on_hover_text("A permission this provider uses")
                        .changed()
                    {
                        state.set_custom(name, on);
                    }
                }
                ui.add(
                    egui::TextEdit::singleline(&mut state.custom_permissions)
                        .hint_text("other, comma separated")
                        .desired_width(150.0),
                )
                .labelled_by(label.id);
            });
            ui.end_row();
            ip_rows(
                ui,
                "IP whitelist",
                "Allowed IP",
                "allowed IP",
                &mut state.whitelist,
                &problems.whitelist,
            );
            ip_rows(
                ui,
                "IP blacklist",
                "Blocked IP",
                "blocked IP",
                &mut state.blacklist,
                &problems.blacklist,
            );
            labelled_text(ui, "Tags", &mut state.tags, "comma separated", 360.0);
            ui.end_row();
            labelled_text(
                ui,
                "Purpose",
                &mut state.purpose,
                "what this key is for",
                360.0,
            );
            ui.end_row();
            date_row(ui, "Created", &mut state.created, &problems.created);
            date_row(ui, "Expires", &mut state.expires, &problems.expires);
            date_row(ui, "Last used", &mut state.last_used, &problems.last_used);
            labelled_text(
                ui,
                "Rotate every (days)",
                &mut state.rotate_days,
                "empty: vault default",
                120.0,
            );
            ui.end_row();
            if problems.rotate_days.is_some() {
                ui.label("");
                problem(ui, &problems.rotate_days);
                ui.end_row();
            }
            custom_field_rows(
                ui,
                &mut state.fields,
                &mut state.focus_new_field,
                &problems.custom_fields,
            );
            let label = ui.label("Notes");
            ui.add(
                egui::TextEdit::multiline(&mut state.notes)
                    .desired_rows(3)
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
}

/// One row per custom field: name, value (masked when protected), the protected flag and a
/// remove button; then "Add field". The rule they break, if any, below them.
fn custom_field_rows(
    ui: &mut Ui,
    rows: &mut Vec<FieldRow>,
    focus_new: &mut bool,
    problem_text: &Option<String>,
) {
    ui.label("Custom fields");
    let mut remove = None;
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
                ui.add(
                    egui::TextEdit::singleline(&mut row.value)
                        .password(row.protected)
                        .desired_width(140.0),
                )
                .labelled_by(label.id);
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
    }
    ui.end_row();
}

fn kind_text(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::SharedSecret => "Key + secret (HMAC)",
        CredentialKind::KeyPair => "Key pair (Ed25519, RSA)",
        CredentialKind::Token => "Bearer token",
    }
}

/// The algorithm choice and the "Generate key pair" button of a new key pair.
fn keygen_row(ui: &mut Ui, state: &mut EditorState, commands: &mut Vec<Command>) {
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

fn secret_row(ui: &mut Ui, title: &str, buffer: &mut SecretBuffer, multiline: bool) {
    let label = ui.label(title);
    let edit = if multiline {
        egui::TextEdit::multiline(buffer).desired_rows(3)
    } else {
        egui::TextEdit::singleline(buffer)
    };
    ui.add(edit.password(true).desired_width(360.0))
        .labelled_by(label.id);
}

fn date_row(ui: &mut Ui, title: &str, text: &mut String, error: &Option<String>) {
    labelled_text(ui, title, text, "YYYY-MM-DD (empty: none)", 120.0);
    ui.end_row();
    if error.is_some() {
        ui.label("");
        problem(ui, error);
        ui.end_row();
    }
}

/// One row per rule, each validated as typed, with add and remove buttons.
fn ip_rows(
    ui: &mut Ui,
    title: &str,
    row_title: &str,
    row_noun: &str,
    rows: &mut Vec<String>,
    errors: &[Option<String>],
) {
    ui.label(title);
    let mut remove = None;
    ui.vertical(|ui| {
        for (i, row) in rows.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                let name = format!("{row_title} {}", i + 1);
                let label = ui.label(&name);
                ui.add(
                    egui::TextEdit::singleline(row)
                        .hint_text("203.0.113.7 or 203.0.113.0/24")
                        .desired_width(200.0),
                )
                .labelled_by(label.id);
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
}
