//! The detail panel of the selected key: every part with copy buttons, masked secrets with a
//! timed reveal, the test signature, permissions, IP lists, dates, incident checklist and
//! history. Its actions push commands; the dialogs they open are `dialogs.rs`'s.

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::{RichText, Ui};
use uuid::Uuid;

use super::command::{Command, Confirm, DialogRequest};
use super::signature::{self, SignaturePanel};
use super::widgets::{
    badge, date, exposure_color, field_noun, field_title, plural, relative_days, rotation_bar,
    urgency_color,
};
use crate::vault::exposure::{self, PermissionRisk};
use crate::vault::policy::{self, Urgency};
use crate::vault::providers::Providers;
use crate::vault::{Entry, Field, FieldValue, Status, VaultSettings};

/// A secret shown in clear until a deadline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Reveal {
    pub id: Uuid,
    pub what: Revealed,
    pub until: DateTime<Utc>,
}

/// Which secret of the key is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Revealed {
    /// A secret part of the credential.
    Part(Field),
    /// The protected custom field at this index of the key's custom fields.
    Custom(usize),
}

/// What the detail panel shows, besides the key itself.
pub(crate) struct DetailContext<'a> {
    pub settings: &'a VaultSettings,
    pub providers: &'a Providers,
    /// The secret shown in clear, if any (of any key).
    pub reveal: Option<Reveal>,
    /// The vault's change count (the test signature re-reads its defaults when it moves).
    pub changes: u64,
    pub now: DateTime<Utc>,
}

const MASK: &str = "••••••••••••";

/// Where the detail panel goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Placement {
    /// Beside the table, at most `max` wide (what the table's narrowest columns leave).
    Right { max: f32 },
    /// Under the table: the window is too narrow for the panel beside it.
    Below,
}

/// The narrowest the panel is beside the table.
pub(crate) const MIN_WIDTH: f32 = 300.0;

/// Draws the detail panel for `entry` where `placement` says.
pub(crate) fn detail_panel(
    ui: &mut Ui,
    placement: Placement,
    entry: &Entry,
    context: &DetailContext<'_>,
    signature: &mut SignaturePanel,
    commands: &mut Vec<Command>,
) {
    let DetailContext {
        settings,
        providers,
        reveal,
        changes,
        now,
    } = *context;
    let panel = match placement {
        Placement::Right { max } => egui::Panel::right("detail")
            .default_size(380.0_f32.min(max))
            .min_size(MIN_WIDTH)
            .max_size(max.max(MIN_WIDTH)),
        Placement::Below => {
            // The table above keeps a few rows.
            let height = ui.available_height();
            egui::Panel::bottom("detail-below")
                .default_size(height * 0.5)
                .min_size(160.0)
                .max_size((height - 150.0).max(160.0))
        }
    };
    panel.show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.add_space(6.0);
            ui.heading(entry.name.as_str());
            ui.horizontal_wrapped(|ui| {
                if !entry.provider.is_empty() {
                    ui.label(entry.provider.as_str());
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
            actions(ui, entry, commands);
            ui.separator();
            credential(ui, entry, reveal, now, commands);
            url_and_fields(ui, entry, reveal, now, commands);
            signature::signature_ui(ui, signature, entry, providers, changes, commands);
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
                match providers.find(&entry.provider) {
                    Some(preset) if !preset.key_page.is_empty() => {
                        ui.horizontal_wrapped(|ui| {
                            ui.label("Key page:");
                            ui.hyperlink_to(format!("{} API keys", preset.name), &preset.key_page)
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
                        let mut also = Vec::new();
                        if let Some(key_id) = &item.key_id {
                            also.push(format!("key id {key_id}"));
                        }
                        if item.passphrase.is_some() {
                            also.push("passphrase".to_owned());
                        }
                        if item.public_key.is_some() {
                            also.push("public key".to_owned());
                        }
                        let also = if also.is_empty() {
                            String::new()
                        } else {
                            format!(" (with its {})", also.join(", "))
                        };
                        ui.label(format!(
                            "{} {} – {}{also}",
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

/// The URL (a link) and the custom fields: plain values shown, protected ones masked (with a
/// timed reveal, as the credential's secrets); each with a copy button.
fn url_and_fields(
    ui: &mut Ui,
    entry: &Entry,
    reveal: Option<Reveal>,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    if !entry.url.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("URL").weak());
            ui.hyperlink_to(&entry.url, &entry.url);
        });
    }
    for (index, field) in entry.custom_fields.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(field.name.as_str()).weak());
            let shown = reveal
                .filter(|r| r.id == entry.id && r.what == Revealed::Custom(index))
                .map(|r| seconds_left(r.until, now));
            if field.protected && shown.is_none() {
                ui.label(MASK).on_hover_text("Protected: reveal or copy it");
                if ui
                    .small_button(format!("Reveal field {}", field.name))
                    .clicked()
                {
                    commands.push(Command::RevealCustomField {
                        id: entry.id,
                        name: field.name.to_string(),
                    });
                }
            } else if let Some(left) = shown.filter(|_| field.protected) {
                ui.label(RichText::new(field.value.expose()).monospace());
                if ui
                    .small_button(format!("Hide field {}", field.name))
                    .on_hover_text(format!("Masks again by itself in {left} s"))
                    .clicked()
                {
                    commands.push(Command::Hide);
                }
                countdown(ui, left);
            } else {
                ui.label(field.value.expose());
            }
            if ui
                .small_button(format!("Copy field {}", field.name))
                .on_hover_text("Copy; the clipboard is cleared after a while")
                .clicked()
            {
                commands.push(Command::CopyCustomField {
                    id: entry.id,
                    name: field.name.to_string(),
                });
            }
        });
    }
}

fn actions(ui: &mut Ui, entry: &Entry, commands: &mut Vec<Command>) {
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        if ui.button("Edit").clicked() {
            commands.push(Command::EditEntry(entry.id));
        }
        if ui.button("Rotate…").clicked() {
            commands.push(Command::OpenDialog(DialogRequest::Rotate(entry.id)));
        }
        if entry.status != Status::Compromised && ui.button("Mark compromised…").clicked() {
            commands.push(Command::OpenDialog(DialogRequest::Compromise {
                id: entry.id,
                reason: String::new(),
            }));
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

/// Whole seconds left until `until`, rounded up (10 s right after a 10 s reveal).
fn seconds_left(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    ((until - now).num_milliseconds().max(0) + 999) / 1000
}

/// The seconds left before a revealed value is masked again, beside its Hide button.
fn countdown(ui: &mut Ui, left: i64) {
    ui.label(
        RichText::new(format!("masked again in {left} s"))
            .weak()
            .small(),
    );
}

fn credential(
    ui: &mut Ui,
    entry: &Entry,
    reveal: Option<Reveal>,
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
            ui.label(RichText::new(title).weak());
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
                let shown =
                    reveal.is_some_and(|r| r.id == entry.id && r.what == Revealed::Part(field));
                if shown {
                    let left = reveal.map(|r| seconds_left(r.until, now)).unwrap_or(0);
                    if ui
                        .small_button(format!("Hide {}", field_noun(field)))
                        .on_hover_text(format!("Masks again by itself in {left} s"))
                        .clicked()
                    {
                        commands.push(Command::Hide);
                    }
                    countdown(ui, left);
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
                if reveal.is_some_and(|r| r.id == entry.id && r.what == Revealed::Part(field)) {
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
            let (color, text) = match exposure::permission_risk(p) {
                PermissionRisk::MovesFunds => {
                    (ui.visuals().error_fg_color, p.as_str().to_uppercase())
                }
                PermissionRisk::Trades => (ui.visuals().warn_fg_color, p.as_str().to_owned()),
                PermissionRisk::Other => (ui.visuals().text_color(), p.as_str().to_owned()),
            };
            badge(ui, &text, color);
        }
    });
}

fn ip_lists(ui: &mut Ui, entry: &Entry) {
    ui.add_space(4.0);
    ui.label(RichText::new("IP whitelist").strong());
    if let (Some(severity), Some(note)) = (
        exposure::unrestricted_severity(entry),
        exposure::unrestricted_note(entry),
    ) {
        ui.colored_label(
            exposure_color(ui, severity),
            format!("Unrestricted ({note}). Add the addresses that use it."),
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

fn dates(ui: &mut Ui, entry: &Entry, settings: &VaultSettings, now: DateTime<Utc>) {
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
            let text = format!("Rotation: {age} of {}", plural(i64::from(period), "day"));
            rotation_bar(ui, fraction, color, &text);
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
            ui.label(format!(
                "Secret age {}; no rotation policy",
                plural(age, "day")
            ));
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
