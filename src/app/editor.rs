//! The add/edit dialog: draws the form of [`EditorState`], marks each field's problem as
//! the user types, and pushes the built entry. The form's rules are `entry_form.rs`'s.

use eframe::egui;
use egui::{RichText, Ui};

use super::command::Command;
use super::editor_fields::{
    DatePresets, custom_field_rows, date_row, entered, ip_rows, keygen_row, problem, secret_row,
    text_row, touched,
};
use super::entry_form::{EditorState, Problems, STANDARD_PERMISSIONS};
use super::shortcuts::{self, Action};
use crate::vault::providers::{Provider, Providers};
use crate::vault::{CredentialKind, Environment};

/// The editor's width where the window has room: the label column and the widest row.
const DIALOG_WIDTH: f32 = 640.0;

/// Draws the editor dialog. Returns true when it should close: Cancel, Esc, a click beside
/// it or the window's close button, at once for an unchanged form, after "Discard changes?"
/// for a changed one. Esc while a drop-down is open closes only the drop-down. Save, Ctrl+Enter
/// and Enter in a single-line field save; a problem shows once its field was touched or a
/// save was tried.
pub(crate) fn editor_dialog(
    ctx: &egui::Context,
    state: &mut EditorState,
    providers: &Providers,
    commands: &mut Vec<Command>,
) -> bool {
    let mut cancel = false;
    // Esc with a date picker's calendar open closes only the calendar (which reads it).
    let escape_for_picker =
        state.date_picker_open && ctx.input(|i| i.key_pressed(egui::Key::Escape));
    // Taken before the form sees it: Ctrl+Enter in Notes saves, it adds no line.
    let mut save =
        !state.confirm_discard && ctx.input_mut(|i| shortcuts::consume(i, Action::SaveForm));
    let problems = state.shown_problems();
    let title = if state.is_new {
        "Add key".to_owned()
    } else {
        format!("Edit '{}'", state.base.name)
    };
    let max_height = ctx.content_rect().height() * 0.8;
    let response = egui::Modal::new(egui::Id::unique("editor-dialog")).show(ctx, |ui| {
        // As wide as the widest row (a date with its presets, a secret with its toggle), and
        // never wider than the window.
        ui.set_width((ctx.content_rect().width() - 48.0).clamp(360.0, DIALOG_WIDTH));
        ui.heading(&title);
        ui.add_space(4.0);
        // A fixed height: the dialog keeps its place and size as messages come and go; the
        // form scrolls inside it.
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .min_scrolled_height(max_height - 100.0)
            .max_height(max_height - 100.0)
            .show(ui, |ui| form(ui, state, &problems, providers, commands));
        ui.separator();
        // One line, always there, so that the buttons stay where they are.
        match &state.error {
            Some(error) => ui.colored_label(ui.visuals().error_fg_color, error),
            None if problems.any() => {
                ui.label(RichText::new("Fix the fields marked in red to save.").weak())
            }
            None => ui.label(" "),
        };
        ui.horizontal(|ui| {
            save |= ui
                .add_enabled(!problems.any(), egui::Button::new("Save key"))
                .on_disabled_hover_text("Fix the fields marked in red first")
                .on_hover_text(shortcuts::hint(Action::SaveForm))
                .clicked();
            if ui.button("Cancel").clicked() {
                cancel = true;
            }
        });
    });
    let submit = std::mem::take(&mut state.submit);
    if (save || submit) && !state.confirm_discard {
        match state.build(providers) {
            Some(entry) => commands.push(Command::SaveEntry {
                entry: Box::new(entry),
                is_new: state.is_new,
            }),
            // Every problem shows now, not only those of fields already touched.
            None => {
                state.attempted = true;
                ctx.request_repaint();
            }
        }
    }
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
    if cancel || (!escape_for_picker && response.should_close()) {
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
    let mut submit = false;
    let mut picker_open = false;
    egui::Grid::new("editor-grid")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let name = text_row(
                ui,
                "Name",
                &mut state.name,
                "unique, e.g. binance-bot-prod",
                360.0,
                &mut submit,
            );
            // A new form starts with the cursor in its Name field.
            if state.focus_name {
                name.request_focus();
                state.focus_name = false;
            }
            state.touched.name |= touched(&name);
            ui.end_row();
            if problems.name.is_some() {
                ui.label("");
                problem(ui, &problems.name);
                ui.end_row();
            }
            let label = ui.label("Provider");
            ui.horizontal(|ui| {
                let typed = ui
                    .add(
                        egui::TextEdit::singleline(&mut state.provider)
                            .hint_text("binance, github, …")
                            .desired_width(200.0),
                    )
                    .labelled_by(label.id);
                submit |= entered(&typed);
                if typed.changed() {
                    state.typed_provider(providers);
                }
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
            text_row(
                ui,
                "URL",
                &mut state.url,
                "where the key is used or managed",
                360.0,
                &mut submit,
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
            let kind_before = state.kind;
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
            state.kind_by_hand |= state.kind != kind_before;
            ui.end_row();
            credential_rows(ui, state, preset.as_ref(), commands, &mut submit);
            if problems.secret.is_some() {
                ui.label("");
                problem(ui, &problems.secret);
                ui.end_row();
            }
            permission_rows(ui, state, preset.as_ref(), &mut submit);
            state.touched.whitelist |= ip_rows(
                ui,
                "IP whitelist",
                "Allowed IP",
                "allowed IP",
                &mut state.whitelist,
                &problems.whitelist,
                &mut submit,
            );
            state.touched.blacklist |= ip_rows(
                ui,
                "IP blacklist",
                "Blocked IP",
                "blocked IP",
                &mut state.blacklist,
                &problems.blacklist,
                &mut submit,
            );
            text_row(
                ui,
                "Tags",
                &mut state.tags,
                "comma separated",
                360.0,
                &mut submit,
            );
            ui.end_row();
            text_row(
                ui,
                "Purpose",
                &mut state.purpose,
                "what this key is for",
                360.0,
                &mut submit,
            );
            ui.end_row();
            state.touched.created |= date_row(
                ui,
                "Created",
                &mut state.created,
                &problems.created,
                state.today,
                DatePresets::Back,
                &mut submit,
                &mut picker_open,
            );
            state.touched.expires |= date_row(
                ui,
                "Expires",
                &mut state.expires,
                &problems.expires,
                state.today,
                DatePresets::Ahead,
                &mut submit,
                &mut picker_open,
            );
            state.touched.last_used |= date_row(
                ui,
                "Last used",
                &mut state.last_used,
                &problems.last_used,
                state.today,
                DatePresets::None,
                &mut submit,
                &mut picker_open,
            );
            let days = text_row(
                ui,
                "Rotate every (days)",
                &mut state.rotate_days,
                "empty: vault default",
                160.0,
                &mut submit,
            );
            state.touched.rotate_days |= touched(&days);
            ui.end_row();
            if problems.rotate_days.is_some() {
                ui.label("");
                problem(ui, &problems.rotate_days);
                ui.end_row();
            }
            state.touched.custom_fields |= custom_field_rows(
                ui,
                &mut state.fields,
                &mut state.focus_new_field,
                &problems.custom_fields,
                &mut submit,
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
    state.submit |= submit;
    state.date_picker_open = picker_open;
}

/// The rows of the credential's parts, as its kind has them.
fn credential_rows(
    ui: &mut Ui,
    state: &mut EditorState,
    preset: Option<&Provider>,
    commands: &mut Vec<Command>,
    submit: &mut bool,
) {
    match state.kind {
        CredentialKind::SharedSecret => {
            text_row(
                ui,
                "API key",
                &mut state.key_id,
                "public key id",
                360.0,
                submit,
            );
            ui.end_row();
            state.touched.secret |= secret_row(ui, "Secret", &mut state.secret, false, submit);
            ui.end_row();
            // Shown for providers that use one, unknown providers, and a passphrase
            // already typed.
            if preset.is_none_or(|p| p.needs_passphrase) || !state.passphrase.is_empty() {
                secret_row(ui, "Passphrase", &mut state.passphrase, false, submit);
                ui.end_row();
            }
        }
        CredentialKind::KeyPair => {
            text_row(
                ui,
                "API key",
                &mut state.key_id,
                "key id from the provider",
                360.0,
                submit,
            );
            ui.end_row();
            if state.is_new {
                keygen_row(ui, state, commands);
                ui.end_row();
            }
            state.touched.secret |=
                secret_row(ui, "Private key", &mut state.private_key, true, submit);
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
            state.touched.secret |= secret_row(ui, "Token", &mut state.secret, false, submit);
            ui.end_row();
        }
    }
}

/// The standard permissions, the provider's own as suggestions, then a field for others on a
/// line of its own (so that nothing wraps under it).
fn permission_rows(
    ui: &mut Ui,
    state: &mut EditorState,
    preset: Option<&Provider>,
    submit: &mut bool,
) {
    let label = ui.label("Permissions");
    ui.vertical(|ui| {
        ui.set_max_width(420.0);
        ui.horizontal_wrapped(|ui| {
            // A preset's own permissions only (a GitHub token has no trade or withdraw), and
            // any standard one already ticked.
            for (i, name) in STANDARD_PERMISSIONS.iter().enumerate() {
                if state.shows_standard(preset, i) {
                    let mut on = state.standard[i];
                    if ui.checkbox(&mut on, *name).changed() {
                        state.standard[i] = on;
                        state.permissions_by_hand = true;
                    }
                }
            }
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
                    state.permissions_by_hand = true;
                }
            }
        });
        let other = ui
            .add(
                egui::TextEdit::singleline(&mut state.custom_permissions)
                    .hint_text("other permissions, comma separated")
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
        *submit |= entered(&other);
        state.permissions_by_hand |= other.changed();
    });
    ui.end_row();
}

fn kind_text(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::SharedSecret => "Key + secret (HMAC)",
        CredentialKind::KeyPair => "Key pair (Ed25519, RSA)",
        CredentialKind::Token => "Bearer token",
    }
}
