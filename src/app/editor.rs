//! The add/edit form: every field of an entry, validated as the user types (IP rules, dates,
//! name), with the secrets in zeroizing buffers.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use eframe::egui;
use egui::{RichText, Ui};

use super::commands::Command;
use super::jobs::{self, Job, Poll};
use super::widgets::{SecretBuffer, date, labelled_text};
use crate::keys::{self, GeneratedKeyPair, KeyAlgorithm};
use crate::secret::SecretString;
use crate::vault::providers::{Provider, Providers};
use crate::vault::{
    Credential, CredentialKind, Entry, Environment, IpRule, Permission, validate_name,
};

const STANDARD_PERMISSIONS: [&str; 4] = [
    Permission::READ,
    Permission::TRADE,
    Permission::WITHDRAW,
    Permission::TRANSFER,
];

/// The form's state: text as typed, parsed on save.
pub(crate) struct EditorState {
    is_new: bool,
    /// The entry being edited (or a blank one): keeps what the form does not show (id,
    /// history, incident, status, rotation date).
    base: Entry,
    name: String,
    provider: String,
    environment: Environment,
    kind: CredentialKind,
    key_id: String,
    secret: SecretBuffer,
    passphrase: SecretBuffer,
    private_key: SecretBuffer,
    public_key: String,
    standard: [bool; 4],
    custom_permissions: String,
    tags: String,
    purpose: String,
    notes: String,
    whitelist: Vec<String>,
    blacklist: Vec<String>,
    created: String,
    expires: String,
    last_used: String,
    rotate_days: String,
    /// The algorithm "Generate key pair" uses.
    keygen_alg: KeyAlgorithm,
    /// A key pair being generated (RSA-4096 takes seconds).
    keygen: Option<Job<Result<GeneratedKeyPair, String>>>,
    /// What the last generation did, or why it failed.
    keygen_note: Option<Result<String, String>>,
    /// An error from the vault when saving (e.g. the name is taken).
    pub error: Option<String>,
}

impl EditorState {
    /// A blank form for a new key created `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        let base = Entry::new("", Credential::empty(CredentialKind::SharedSecret), now);
        let mut state = Self::from_entry(&base);
        state.is_new = true;
        state
    }

    /// A form filled from `entry`.
    pub fn edit(entry: &Entry) -> Self {
        Self::from_entry(entry)
    }

    fn from_entry(entry: &Entry) -> Self {
        let (secret, passphrase, private_key, public_key) = match &entry.credential {
            Credential::SharedSecret {
                secret, passphrase, ..
            } => (
                SecretBuffer::from_secret(secret),
                passphrase
                    .as_ref()
                    .map(SecretBuffer::from_secret)
                    .unwrap_or_default(),
                SecretBuffer::default(),
                String::new(),
            ),
            Credential::KeyPair {
                private_key,
                public_key,
                ..
            } => (
                SecretBuffer::default(),
                SecretBuffer::default(),
                SecretBuffer::from_secret(private_key),
                public_key.clone(),
            ),
            Credential::Token { token } => (
                SecretBuffer::from_secret(token),
                SecretBuffer::default(),
                SecretBuffer::default(),
                String::new(),
            ),
        };
        let standard =
            STANDARD_PERMISSIONS.map(|p| entry.permissions.iter().any(|q| q.as_str() == p));
        let custom: Vec<&str> = entry
            .permissions
            .iter()
            .map(|p| p.as_str())
            .filter(|p| !STANDARD_PERMISSIONS.contains(p))
            .collect();
        EditorState {
            is_new: false,
            base: entry.clone(),
            name: entry.name.clone(),
            provider: entry.provider.clone(),
            environment: entry.environment,
            kind: entry.credential.kind(),
            key_id: entry.credential.key_id().to_owned(),
            secret,
            passphrase,
            private_key,
            public_key,
            standard,
            custom_permissions: custom.join(", "),
            tags: entry.tags.join(", "),
            purpose: entry.purpose.clone(),
            notes: entry.notes.clone(),
            whitelist: entry.ip_whitelist.iter().map(ToString::to_string).collect(),
            blacklist: entry.ip_blacklist.iter().map(ToString::to_string).collect(),
            created: date(entry.created_at),
            expires: entry.expires_at.map(date).unwrap_or_default(),
            last_used: entry.last_used_at.map(date).unwrap_or_default(),
            rotate_days: entry
                .rotate_every_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
            keygen_alg: KeyAlgorithm::Ed25519,
            keygen: None,
            keygen_note: None,
            error: None,
        }
    }

    /// True while a key pair is being generated.
    pub fn is_busy(&self) -> bool {
        self.keygen.is_some()
    }

    /// Starts generating a key pair on a worker thread.
    fn start_keygen(&mut self, ctx: &egui::Context) {
        if self.keygen.is_some() {
            return;
        }
        let alg = self.keygen_alg;
        self.keygen_note = None;
        self.keygen = Some(jobs::spawn(ctx, move || {
            keys::generate(alg).map_err(|e| e.to_string())
        }));
    }

    /// Fills the private and public key fields when the generation has finished.
    fn poll_keygen(&mut self) {
        let Some(job) = &self.keygen else {
            return;
        };
        let note = match job.poll() {
            Poll::Pending => return,
            Poll::Ready(Ok(pair)) => {
                self.private_key = SecretBuffer::from_secret(&pair.private_key);
                self.public_key = pair.public_key.clone();
                Ok(format!(
                    "Generated an {} key pair. Save the key, then upload the public key to \
                     the provider.",
                    self.keygen_alg
                ))
            }
            Poll::Ready(Err(e)) => Err(format!("No key pair generated: {e}")),
            Poll::Lost => Err("No key pair generated: the generator stopped".to_owned()),
        };
        self.keygen = None;
        self.keygen_note = Some(note);
    }
}

impl EditorState {
    /// Gives the form the preset's shape: its provider id, its first credential kind (the
    /// passphrase field and the permission suggestions follow from the provider).
    fn apply_preset(&mut self, preset: &Provider) {
        self.provider = preset.id.clone();
        if let Some(kind) = preset.kinds.first() {
            self.kind = *kind;
        }
    }

    /// The custom permissions typed, one name each.
    fn custom_list(&self) -> Vec<String> {
        self.custom_permissions
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// Adds or removes one custom permission.
    fn set_custom(&mut self, name: &str, on: bool) {
        let mut list = self.custom_list();
        list.retain(|p| p != name);
        if on {
            list.push(name.to_owned());
        }
        self.custom_permissions = list.join(", ");
    }
}

/// Parses "YYYY-MM-DD" (empty means none) as midnight UTC.
fn parse_date(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|dt| Utc.from_local_datetime(&dt).single())
        .map(Some)
        .ok_or_else(|| format!("'{text}' is not a date: use YYYY-MM-DD"))
}

fn parse_rules(rows: &[String]) -> (Vec<IpRule>, Vec<Option<String>>) {
    let mut rules = Vec::new();
    let errors = rows
        .iter()
        .map(|row| {
            if row.trim().is_empty() {
                return None;
            }
            match row.parse::<IpRule>() {
                Ok(rule) => {
                    rules.push(rule);
                    None
                }
                Err(e) => Some(e.to_string()),
            }
        })
        .collect();
    (rules, errors)
}

/// What is wrong with the form, field by field.
#[derive(Default)]
struct Problems {
    name: Option<String>,
    secret: Option<String>,
    whitelist: Vec<Option<String>>,
    blacklist: Vec<Option<String>>,
    created: Option<String>,
    expires: Option<String>,
    last_used: Option<String>,
    rotate_days: Option<String>,
}

impl Problems {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.secret.is_some()
            || self.whitelist.iter().any(Option::is_some)
            || self.blacklist.iter().any(Option::is_some)
            || self.created.is_some()
            || self.expires.is_some()
            || self.last_used.is_some()
            || self.rotate_days.is_some()
    }
}

impl EditorState {
    fn problems(&self) -> Problems {
        let primary_empty = match self.kind {
            CredentialKind::KeyPair => self.private_key.is_empty(),
            _ => self.secret.is_empty(),
        };
        Problems {
            name: validate_name(self.name.trim()).err().map(|e| e.to_string()),
            secret: primary_empty.then(|| "The secret is empty.".to_owned()),
            whitelist: parse_rules(&self.whitelist).1,
            blacklist: parse_rules(&self.blacklist).1,
            created: match parse_date(&self.created) {
                Ok(None) => Some("The creation date is required (YYYY-MM-DD).".to_owned()),
                other => other.err(),
            },
            expires: parse_date(&self.expires).err(),
            last_used: parse_date(&self.last_used).err(),
            rotate_days: (!self.rotate_days.trim().is_empty()
                && self.rotate_days.trim().parse::<u32>().is_err())
            .then(|| "A whole number of days (0 = no policy); empty = vault default".to_owned()),
        }
    }

    /// The entry the form describes, once it has no problems.
    fn build(&self) -> Option<Entry> {
        if self.problems().any() {
            return None;
        }
        let mut entry = self.base.clone();
        entry.name = self.name.trim().to_owned();
        entry.provider = self.provider.trim().to_lowercase();
        entry.environment = self.environment;
        let secret = |b: &SecretBuffer| SecretString::new(b.expose().to_owned());
        entry.credential = match self.kind {
            CredentialKind::SharedSecret => Credential::SharedSecret {
                key_id: self.key_id.trim().to_owned(),
                secret: secret(&self.secret),
                passphrase: (!self.passphrase.is_empty()).then(|| secret(&self.passphrase)),
            },
            CredentialKind::KeyPair => Credential::KeyPair {
                key_id: self.key_id.trim().to_owned(),
                private_key: secret(&self.private_key),
                public_key: self.public_key.trim().to_owned(),
            },
            CredentialKind::Token => Credential::Token {
                token: secret(&self.secret),
            },
        };
        let mut permissions: Vec<&str> = STANDARD_PERMISSIONS
            .iter()
            .zip(self.standard)
            .filter(|(_, on)| *on)
            .map(|(p, _)| *p)
            .collect();
        permissions.extend(self.custom_permissions.split(','));
        entry.set_permissions(permissions);
        entry.set_tags(self.tags.split(','));
        entry.purpose = self.purpose.trim().to_owned();
        entry.notes = self.notes.clone();
        entry.ip_whitelist = parse_rules(&self.whitelist).0;
        entry.ip_blacklist = parse_rules(&self.blacklist).0;
        entry.created_at = parse_date(&self.created).ok().flatten()?;
        entry.expires_at = parse_date(&self.expires).ok()?;
        entry.last_used_at = parse_date(&self.last_used).ok()?;
        entry.rotate_every_days = match self.rotate_days.trim() {
            "" => None,
            days => Some(days.parse().ok()?),
        };
        Some(entry)
    }
}

fn problem(ui: &mut Ui, text: &Option<String>) {
    if let Some(text) = text {
        ui.colored_label(ui.visuals().error_fg_color, text);
    }
}

/// Draws the editor dialog. Returns true when it should close (Cancel or Esc).
pub(crate) fn editor_dialog(
    ctx: &egui::Context,
    state: &mut EditorState,
    providers: &Providers,
    _now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) -> bool {
    let mut close = false;
    state.poll_keygen();
    let problems = state.problems();
    let title = if state.is_new {
        "Add key".to_owned()
    } else {
        format!("Edit '{}'", state.base.name)
    };
    let max_height = ctx.content_rect().height() * 0.8;
    egui::Modal::new(egui::Id::unique("editor-dialog")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading(&title);
        ui.add_space(4.0);
        egui::ScrollArea::vertical()
            .max_height(max_height - 80.0)
            .show(ui, |ui| form(ui, state, &problems, providers));
        ui.separator();
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.horizontal(|ui| {
            let save = ui
                .add_enabled(!problems.any(), egui::Button::new("Save key"))
                .on_disabled_hover_text("Fix the fields marked in red first");
            if save.clicked()
                && let Some(entry) = state.build()
            {
                commands.push(Command::SaveEntry {
                    entry: Box::new(entry),
                    is_new: state.is_new,
                });
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
            if problems.any() {
                ui.label(RichText::new("Fix the fields marked in red to save.").weak());
            }
        });
    });
    close || ctx.input(|i| i.key_pressed(egui::Key::Escape))
}

fn form(ui: &mut Ui, state: &mut EditorState, problems: &Problems, providers: &Providers) {
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
                        keygen_row(ui, state);
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

fn kind_text(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::SharedSecret => "Key + secret (HMAC)",
        CredentialKind::KeyPair => "Key pair (Ed25519, RSA)",
        CredentialKind::Token => "Bearer token",
    }
}

/// The algorithm choice and the "Generate key pair" button of a new key pair.
fn keygen_row(ui: &mut Ui, state: &mut EditorState) {
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
                state.start_keygen(ui.ctx());
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
