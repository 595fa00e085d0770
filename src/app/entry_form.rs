//! The add/edit form's state: every field of an entry as typed, validated field by field
//! (name, IP rules, dates, rotation days) and built into an [`Entry`] through the vault's
//! own rules. The secrets sit in zeroizing buffers. Drawing the form is `editor.rs`'s.

use chrono::{DateTime, NaiveDate, Utc};

use super::jobs::Job;
use super::widgets::{SecretBuffer, date};
use crate::keys::{GeneratedKeyPair, KeyAlgorithm};
use crate::secret::SecretString;
use crate::vault::providers::{Provider, Providers};
use crate::vault::{
    Credential, CredentialKind, CustomField, DateError, Entry, Environment, IpRule, Permission,
    parse_optional_date_keeping, validate_custom_fields, validate_name,
};

pub(crate) const STANDARD_PERMISSIONS: [&str; 4] = [
    Permission::READ,
    Permission::TRADE,
    Permission::WITHDRAW,
    Permission::TRANSFER,
];

/// One custom field as typed; a row with neither name nor value is left out.
pub(crate) struct FieldRow {
    pub name: String,
    pub value: SecretBuffer,
    pub protected: bool,
}

impl FieldRow {
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.value.is_empty()
    }
}

/// The form's state: text as typed, parsed on save.
pub(crate) struct EditorState {
    pub is_new: bool,
    /// The entry being edited (or a blank one): keeps what the form does not show (id,
    /// history, incident, status, rotation date).
    pub base: Entry,
    pub name: String,
    pub provider: String,
    pub environment: Environment,
    pub kind: CredentialKind,
    pub key_id: String,
    pub secret: SecretBuffer,
    pub passphrase: SecretBuffer,
    pub private_key: SecretBuffer,
    pub public_key: String,
    pub url: String,
    /// The custom fields, in display order (the TOTP field among them).
    pub fields: Vec<FieldRow>,
    /// The row just added wants the focus (and to be scrolled into view).
    pub focus_new_field: bool,
    pub standard: [bool; 4],
    pub custom_permissions: String,
    pub tags: String,
    pub purpose: String,
    pub notes: String,
    pub whitelist: Vec<String>,
    pub blacklist: Vec<String>,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub rotate_days: String,
    /// The algorithm "Generate key pair" uses.
    pub keygen_alg: KeyAlgorithm,
    /// A key pair being generated (RSA-4096 takes seconds).
    pub keygen: Option<Job<Result<GeneratedKeyPair, String>>>,
    /// What the last generation did, or why it failed.
    pub keygen_note: Option<Result<String, String>>,
    /// An error from the vault when saving (e.g. the name is taken).
    pub error: Option<String>,
    /// The user asked to close a form with changes: "Discard changes?" is showing.
    pub confirm_discard: bool,
    /// The Name field takes the focus on the next frame (a new form).
    pub focus_name: bool,
    /// The fields the user typed into: their problems show.
    pub touched: Touched,
    /// A save was tried: every problem shows.
    pub attempted: bool,
    /// Enter in a single-line field asked to save (read once by the dialog).
    pub submit: bool,
    /// A date picker's calendar was open in the last frame: Esc closes only the calendar.
    pub date_picker_open: bool,
    /// The user chose the credential kind by hand: a provider typed later leaves it.
    pub kind_by_hand: bool,
    /// The user ticked or typed permissions by hand: a provider typed later leaves them.
    pub permissions_by_hand: bool,
    /// The day the form was opened: what the date pickers show for an empty date, and what
    /// the "+30 days" presets count from.
    pub today: NaiveDate,
}

/// Which fields the user has touched, so that their problems show (a blank new form is not
/// a page of errors).
#[derive(Default)]
pub(crate) struct Touched {
    pub name: bool,
    pub secret: bool,
    pub whitelist: bool,
    pub blacklist: bool,
    pub created: bool,
    pub expires: bool,
    pub last_used: bool,
    pub rotate_days: bool,
    pub custom_fields: bool,
}

impl EditorState {
    /// A blank form for a new key created `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        let base = Entry::new("", Credential::empty(CredentialKind::SharedSecret), now);
        let mut state = Self::from_entry(&base, now.date_naive());
        state.is_new = true;
        state.focus_name = true;
        state
    }

    /// A form filled from `entry`, opened `now`.
    pub fn edit(entry: &Entry, now: DateTime<Utc>) -> Self {
        Self::from_entry(entry, now.date_naive())
    }

    fn from_entry(entry: &Entry, today: NaiveDate) -> Self {
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
            name: entry.name.to_string(),
            provider: entry.provider.to_string(),
            environment: entry.environment,
            kind: entry.credential.kind(),
            key_id: entry.credential.key_id().to_owned(),
            secret,
            passphrase,
            private_key,
            public_key,
            url: entry.url.clone(),
            fields: entry
                .custom_fields
                .iter()
                .map(|f| FieldRow {
                    name: f.name.to_string(),
                    value: SecretBuffer::from_secret(&f.value),
                    protected: f.protected,
                })
                .collect(),
            focus_new_field: false,
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
            confirm_discard: false,
            focus_name: false,
            touched: Touched::default(),
            attempted: false,
            submit: false,
            date_picker_open: false,
            today,
            kind_by_hand: false,
            permissions_by_hand: false,
        }
    }

    /// True when the form differs from what it was opened with (the entry being edited, or
    /// a blank form): closing it would lose typing. Typing a field back to what it was is no
    /// change.
    pub fn has_changes(&self) -> bool {
        let start = Self::from_entry(&self.base, self.today);
        let fields_differ = self.fields.len() != start.fields.len()
            || self.fields.iter().zip(&start.fields).any(|(a, b)| {
                a.name != b.name
                    || a.value.expose() != b.value.expose()
                    || a.protected != b.protected
            });
        fields_differ
            || self.name != start.name
            || self.provider != start.provider
            || self.environment != start.environment
            || self.kind != start.kind
            || self.key_id != start.key_id
            || self.secret.expose() != start.secret.expose()
            || self.passphrase.expose() != start.passphrase.expose()
            || self.private_key.expose() != start.private_key.expose()
            || self.public_key != start.public_key
            || self.url != start.url
            || self.standard != start.standard
            || self.custom_permissions != start.custom_permissions
            || self.tags != start.tags
            || self.purpose != start.purpose
            || self.notes != start.notes
            || self.whitelist != start.whitelist
            || self.blacklist != start.blacklist
            || self.created != start.created
            || self.expires != start.expires
            || self.last_used != start.last_used
            || self.rotate_days != start.rotate_days
    }

    /// True while a key pair is being generated.
    pub fn is_busy(&self) -> bool {
        self.keygen.is_some()
    }
}

impl EditorState {
    /// Gives the form the preset's shape, as choosing it from the presets does: its provider
    /// id, its first credential kind, and none of the standard permissions it does not have
    /// (a GitHub token has no trade or withdraw). The passphrase field and the permission
    /// suggestions follow from the provider.
    pub fn apply_preset(&mut self, preset: &Provider) {
        self.provider = preset.id.clone();
        self.shape_like(preset);
    }

    /// A provider name typed into a new form that names a preset: the preset's shape, except
    /// for what the user already set by hand (the kind, the permissions). The text typed
    /// stays as typed; saving stores the preset's id.
    pub fn typed_provider(&mut self, providers: &Providers) {
        if !self.is_new {
            return;
        }
        if let Some(preset) = providers.find(&self.provider) {
            let preset = preset.clone();
            self.shape_like(&preset);
        }
    }

    fn shape_like(&mut self, preset: &Provider) {
        if !self.kind_by_hand
            && let Some(kind) = preset.kinds.first()
        {
            self.kind = *kind;
        }
        if !self.permissions_by_hand {
            for (on, name) in self.standard.iter_mut().zip(STANDARD_PERMISSIONS) {
                *on &= preset_has(preset, name);
            }
        }
    }

    /// Whether the form shows the standard permission `name`: always without a preset;
    /// with one, when the preset has it or it is ticked.
    pub fn shows_standard(&self, preset: Option<&Provider>, index: usize) -> bool {
        let name = STANDARD_PERMISSIONS[index];
        self.standard[index] || preset.is_none_or(|p| preset_has(p, name))
    }

    /// The custom permissions typed, one name each.
    pub fn custom_list(&self) -> Vec<String> {
        self.custom_permissions
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// Adds or removes one custom permission.
    pub fn set_custom(&mut self, name: &str, on: bool) {
        let mut list = self.custom_list();
        list.retain(|p| p != name);
        if on {
            list.push(name.to_owned());
        }
        self.custom_permissions = list.join(", ");
    }
}

fn preset_has(preset: &Provider, permission: &str) -> bool {
    preset
        .permissions
        .iter()
        .any(|p| p.eq_ignore_ascii_case(permission))
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
pub(crate) struct Problems {
    pub name: Option<String>,
    pub secret: Option<String>,
    pub whitelist: Vec<Option<String>>,
    pub blacklist: Vec<Option<String>>,
    pub created: Option<String>,
    pub expires: Option<String>,
    pub last_used: Option<String>,
    pub rotate_days: Option<String>,
    /// The custom fields break the vault's rules (an empty, taken or reserved name).
    pub custom_fields: Option<String>,
}

impl Problems {
    pub fn any(&self) -> bool {
        self.name.is_some()
            || self.secret.is_some()
            || self.whitelist.iter().any(Option::is_some)
            || self.blacklist.iter().any(Option::is_some)
            || self.created.is_some()
            || self.expires.is_some()
            || self.last_used.is_some()
            || self.rotate_days.is_some()
            || self.custom_fields.is_some()
    }
}

impl EditorState {
    /// What is wrong with the form, field by field.
    pub fn problems(&self) -> Problems {
        let primary_empty = match self.kind {
            CredentialKind::KeyPair => self.private_key.is_empty(),
            _ => self.secret.is_empty(),
        };
        Problems {
            name: validate_name(self.name.trim()).err().map(|e| e.to_string()),
            secret: primary_empty.then(|| "The secret is empty.".to_owned()),
            whitelist: parse_rules(&self.whitelist).1,
            blacklist: parse_rules(&self.blacklist).1,
            created: match self.created_at() {
                Ok(None) => Some("The creation date is required (YYYY-MM-DD).".to_owned()),
                other => other.err().map(|e| e.to_string()),
            },
            expires: self.expires_at().err().map(|e| e.to_string()),
            last_used: self.last_used_at().err().map(|e| e.to_string()),
            rotate_days: (!self.rotate_days.trim().is_empty()
                && self.rotate_days.trim().parse::<u32>().is_err())
            .then(|| "A whole number of days (0 = no policy); empty = vault default".to_owned()),
            custom_fields: validate_custom_fields(&self.custom_fields())
                .err()
                .map(|e| e.to_string()),
        }
    }

    /// The problems to show: those of the fields touched, or all after a save was tried.
    /// Saving still checks them all ([`Self::build`]).
    pub fn shown_problems(&self) -> Problems {
        let all = self.problems();
        if self.attempted {
            return all;
        }
        let t = &self.touched;
        let rows = |on: bool, list: Vec<Option<String>>| {
            if on { list } else { vec![None; list.len()] }
        };
        Problems {
            name: all.name.filter(|_| t.name),
            secret: all.secret.filter(|_| t.secret),
            whitelist: rows(t.whitelist, all.whitelist),
            blacklist: rows(t.blacklist, all.blacklist),
            created: all.created.filter(|_| t.created),
            expires: all.expires.filter(|_| t.expires),
            last_used: all.last_used.filter(|_| t.last_used),
            rotate_days: all.rotate_days.filter(|_| t.rotate_days),
            custom_fields: all.custom_fields.filter(|_| t.custom_fields),
        }
    }

    /// The custom fields the rows describe (names trimmed, blank rows left out), checked by
    /// the vault's own rule.
    fn custom_fields(&self) -> Vec<CustomField> {
        self.fields
            .iter()
            .filter(|row| !row.is_blank())
            .map(|row| {
                CustomField::new(
                    row.name.trim(),
                    SecretString::new(row.value.expose().to_owned()),
                    row.protected,
                )
            })
            .collect()
    }

    // The dates as typed, read by the library's one date parser. A date left on the day it
    // had keeps its stored time (the form shows days only).
    fn created_at(&self) -> Result<Option<DateTime<Utc>>, DateError> {
        parse_optional_date_keeping(&self.created, Some(self.base.created_at))
    }

    fn expires_at(&self) -> Result<Option<DateTime<Utc>>, DateError> {
        parse_optional_date_keeping(&self.expires, self.base.expires_at)
    }

    fn last_used_at(&self) -> Result<Option<DateTime<Utc>>, DateError> {
        parse_optional_date_keeping(&self.last_used, self.base.last_used_at)
    }

    /// The entry the form describes, once it has no problems; its provider in the one stored
    /// form of `providers` (a preset's id).
    pub fn build(&self, providers: &Providers) -> Option<Entry> {
        if self.problems().any() {
            return None;
        }
        let mut entry = self.base.clone();
        entry.name = self.name.trim().into();
        entry.provider = providers.canonical_id(&self.provider).into();
        entry.environment = self.environment;
        let secret = |b: &SecretBuffer| SecretString::new(b.expose().to_owned());
        entry.credential = match self.kind {
            CredentialKind::SharedSecret => Credential::SharedSecret {
                key_id: self.key_id.trim().into(),
                secret: secret(&self.secret),
                passphrase: (!self.passphrase.is_empty()).then(|| secret(&self.passphrase)),
            },
            CredentialKind::KeyPair => Credential::KeyPair {
                key_id: self.key_id.trim().into(),
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
        entry.url = self.url.trim().to_owned();
        entry.custom_fields = self.custom_fields().into();
        entry.ip_whitelist = parse_rules(&self.whitelist).0.into();
        entry.ip_blacklist = parse_rules(&self.blacklist).0.into();
        entry.created_at = self.created_at().ok().flatten()?;
        entry.expires_at = self.expires_at().ok()?;
        entry.last_used_at = self.last_used_at().ok()?;
        entry.rotate_every_days = match self.rotate_days.trim() {
            "" => None,
            days => Some(days.parse().ok()?),
        };
        Some(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Status;
    use chrono::TimeZone;

    fn providers() -> Providers {
        Providers::builtin()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("date")
    }

    fn buffer(text: &str) -> SecretBuffer {
        SecretBuffer::from_secret(&text.into())
    }

    /// A new form filled in as a user would: a key and secret for Binance.
    fn filled() -> EditorState {
        let mut form = EditorState::new(now());
        form.name = "  binance-bot ".into();
        form.provider = " Binance ".into();
        form.key_id = " BNC-KEY ".into();
        form.secret = buffer("bnc-secret-value");
        form.standard = [true, true, false, false];
        form.custom_permissions = "margin, , futures".into();
        form.tags = "bot, prod".into();
        form.purpose = " trading bot ".into();
        form.whitelist = vec!["203.0.113.7".into(), "  ".into(), "198.51.100.0/24".into()];
        form.expires = "2026-09-30".into();
        form.rotate_days = "30".into();
        form
    }

    #[test]
    fn a_blank_form_names_what_is_missing_and_builds_nothing() {
        let form = EditorState::new(now());
        let problems = form.problems();
        assert!(problems.name.is_some());
        assert_eq!(problems.secret.as_deref(), Some("The secret is empty."));
        assert!(
            problems.created.is_none(),
            "the creation date starts as today"
        );
        assert!(problems.any());
        assert!(form.build(&providers()).is_none());
    }

    #[test]
    fn a_filled_form_builds_the_entry_it_shows() {
        let form = filled();
        assert!(!form.problems().any());
        let entry = form.build(&providers()).expect("entry");
        assert_eq!(entry.name, "binance-bot");
        assert_eq!(entry.provider, "binance");
        assert_eq!(entry.purpose, "trading bot");
        assert_eq!(entry.credential.key_id(), "BNC-KEY");
        assert_eq!(
            entry
                .credential
                .field(crate::vault::Field::Secret)
                .map(|v| v.expose().to_owned()),
            Some("bnc-secret-value".to_owned())
        );
        let permissions: Vec<&str> = entry.permissions.iter().map(|p| p.as_str()).collect();
        for expected in ["read", "trade", "margin", "futures"] {
            assert!(permissions.contains(&expected), "{permissions:?}");
        }
        assert_eq!(entry.permissions.len(), 4);
        assert_eq!(entry.tags, ["bot", "prod"]);
        let rules: Vec<String> = entry.ip_whitelist.iter().map(ToString::to_string).collect();
        assert_eq!(
            rules,
            ["203.0.113.7", "198.51.100.0/24"],
            "empty rows are dropped"
        );
        assert_eq!(
            entry.expires_at,
            Utc.with_ymd_and_hms(2026, 9, 30, 0, 0, 0).single()
        );
        assert_eq!(entry.rotate_every_days, Some(30));
        assert_eq!(entry.last_used_at, None);
    }

    #[test]
    fn each_bad_field_has_its_own_problem() {
        let mut form = filled();
        form.whitelist = vec!["203.0.113.7".into(), "10.0.0.0/33".into()];
        form.blacklist = vec!["not an address".into()];
        form.expires = "2026-13-01".into();
        form.last_used = "yesterday".into();
        form.rotate_days = "every month".into();
        let problems = form.problems();
        assert!(problems.name.is_none());
        assert!(problems.whitelist[0].is_none());
        assert!(problems.whitelist[1].is_some(), "a /33 is no network");
        assert!(problems.blacklist[0].is_some());
        assert!(
            problems
                .expires
                .as_deref()
                .is_some_and(|e| e.contains("2026-13-01"))
        );
        assert!(problems.last_used.is_some());
        assert!(problems.rotate_days.is_some());
        assert!(form.build(&providers()).is_none());

        let mut form = filled();
        form.created = String::new();
        assert_eq!(
            form.problems().created.as_deref(),
            Some("The creation date is required (YYYY-MM-DD).")
        );
        let mut form = filled();
        form.name = "bad\nname".into();
        assert!(
            form.problems().name.is_some(),
            "the vault's name rule applies"
        );
    }

    #[test]
    fn problems_show_once_their_field_is_touched_or_a_save_is_tried() {
        let mut form = EditorState::new(now());
        form.whitelist = vec!["10.0.0.0/33".into()];
        assert!(form.problems().any(), "the form is not valid");
        let shown = form.shown_problems();
        assert!(!shown.any(), "an untouched form shows no problem");
        assert_eq!(shown.whitelist.len(), 1, "one slot per row");
        form.touched.secret = true;
        let shown = form.shown_problems();
        assert_eq!(shown.secret.as_deref(), Some("The secret is empty."));
        assert!(shown.name.is_none() && shown.whitelist[0].is_none());
        form.attempted = true;
        let shown = form.shown_problems();
        assert!(shown.name.is_some() && shown.whitelist[0].is_some());
    }

    #[test]
    fn a_form_has_changes_only_when_it_differs_from_what_it_opened_with() {
        let form = EditorState::new(now());
        assert!(!form.has_changes());
        let mut form = EditorState::edit(&filled().build(&providers()).expect("entry"), now());
        assert!(!form.has_changes(), "an edit opens unchanged");
        form.secret = buffer("other");
        assert!(form.has_changes(), "a secret typed is a change");
        form.secret = buffer("bnc-secret-value");
        assert!(!form.has_changes(), "typed back as it was");
        form.whitelist.pop();
        assert!(form.has_changes());
    }

    #[test]
    fn a_typed_preset_shapes_a_new_form_but_not_what_was_set_by_hand() {
        let github = providers().find("github").cloned().expect("preset");
        let mut form = EditorState::new(now());
        form.standard = [true, true, true, false];
        form.provider = "GitHub".into();
        form.typed_provider(&providers());
        assert_eq!(form.kind, CredentialKind::Token);
        assert_eq!(
            form.standard, [false; 4],
            "no trade or withdraw for a token"
        );
        assert_eq!(form.provider, "GitHub", "the text stays as typed");
        assert!(!form.shows_standard(Some(&github), 1));

        let mut form = EditorState::new(now());
        form.kind = CredentialKind::KeyPair;
        form.kind_by_hand = true;
        form.standard = [false, true, false, false];
        form.permissions_by_hand = true;
        form.provider = "github".into();
        form.typed_provider(&providers());
        assert_eq!(form.kind, CredentialKind::KeyPair);
        assert_eq!(form.standard, [false, true, false, false]);
        assert!(form.shows_standard(Some(&github), 1), "ticked, so shown");

        let mut form = filled();
        form.is_new = false;
        form.provider = "github".into();
        form.typed_provider(&providers());
        assert_eq!(
            form.kind,
            CredentialKind::SharedSecret,
            "an edit keeps its kind"
        );
    }

    #[test]
    fn an_empty_rotation_means_the_vault_default() {
        let mut form = filled();
        form.rotate_days = " ".into();
        assert_eq!(
            form.build(&providers()).expect("entry").rotate_every_days,
            None
        );
        form.rotate_days = "0".into();
        assert_eq!(
            form.build(&providers()).expect("entry").rotate_every_days,
            Some(0)
        );
    }

    #[test]
    fn a_key_pair_needs_its_private_key() {
        let mut form = filled();
        form.kind = CredentialKind::KeyPair;
        assert!(
            form.problems().secret.is_some(),
            "the secret field is not the key"
        );
        form.private_key = buffer("-----BEGIN PRIVATE KEY-----\nMC4\n-----END PRIVATE KEY-----");
        form.public_key = "  PUBLIC PEM \n".into();
        let entry = form.build(&providers()).expect("entry");
        match &entry.credential {
            Credential::KeyPair {
                key_id,
                private_key,
                public_key,
            } => {
                assert_eq!(key_id, "BNC-KEY");
                assert!(
                    private_key
                        .expose()
                        .starts_with("-----BEGIN PRIVATE KEY-----")
                );
                assert_eq!(public_key, "PUBLIC PEM");
            }
            other => panic!("a key pair, not {:?}", other.kind()),
        }
    }

    #[test]
    fn a_token_keeps_only_the_token() {
        let mut form = filled();
        form.kind = CredentialKind::Token;
        form.passphrase = buffer("left over");
        let entry = form.build(&providers()).expect("entry");
        assert!(
            matches!(&entry.credential, Credential::Token { token } if token.expose() == "bnc-secret-value")
        );
    }

    #[test]
    fn editing_keeps_what_the_form_does_not_show() {
        let mut entry = filled().build(&providers()).expect("entry");
        entry.rotate("bnc-newer-secret".into(), None, now());
        entry.mark_compromised("leaked", now());
        let form = EditorState::edit(&entry, now());
        assert!(!form.is_new);
        assert_eq!(form.secret.expose(), "bnc-newer-secret");
        assert_eq!(
            form.custom_permissions, "futures, margin",
            "as the entry sorts them"
        );
        assert_eq!(form.standard, [true, true, false, false]);
        let built = form.build(&providers()).expect("entry");
        assert_eq!(built.id, entry.id);
        assert_eq!(built.history.len(), 1);
        assert_eq!(built.status, Status::Compromised);
        assert!(built.incident.is_some());
        assert_eq!(built.name, entry.name);
        assert_eq!(built.permissions, entry.permissions);
        assert_eq!(built.ip_whitelist, entry.ip_whitelist);
    }

    #[test]
    fn custom_permissions_are_added_and_removed_one_by_one() {
        let mut form = filled();
        form.set_custom("options", true);
        assert_eq!(form.custom_list(), ["margin", "futures", "options"]);
        form.set_custom("margin", false);
        assert_eq!(form.custom_list(), ["futures", "options"]);
        form.set_custom("futures", true);
        assert_eq!(form.custom_list(), ["options", "futures"], "no duplicate");
    }

    #[test]
    fn url_and_custom_fields_build_through_the_vaults_rule() {
        let mut state = filled();
        state.url = "  https://www.binance.com/en/my/settings/api-management ".into();
        state.fields = vec![
            FieldRow {
                name: " Sub-account ".into(),
                value: buffer("grid-1"),
                protected: false,
            },
            FieldRow {
                name: String::new(),
                value: SecretBuffer::default(),
                protected: false,
            },
            FieldRow {
                name: "Recovery".into(),
                value: buffer("rc-7"),
                protected: true,
            },
        ];
        let entry = state.build(&providers()).expect("valid");
        assert_eq!(
            entry.url,
            "https://www.binance.com/en/my/settings/api-management"
        );
        let fields: Vec<(&str, &str, bool)> = entry
            .custom_fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.expose(), f.protected))
            .collect();
        assert_eq!(
            fields,
            [("Sub-account", "grid-1", false), ("Recovery", "rc-7", true)]
        );
        // the form of that entry shows the same rows
        let again = EditorState::edit(&entry, now());
        assert_eq!(again.fields.len(), 2);
        assert!(again.fields[1].protected);
        state.fields.push(FieldRow {
            name: "recovery".into(),
            value: buffer("x"),
            protected: false,
        });
        let problems = state.problems();
        assert!(
            problems
                .custom_fields
                .as_deref()
                .is_some_and(|p| p.contains("two custom fields are named 'recovery'")),
            "{:?}",
            problems.custom_fields
        );
        assert!(state.build(&providers()).is_none());
        state.fields.pop();
        state.fields.push(FieldRow {
            name: "Password".into(),
            value: buffer("x"),
            protected: true,
        });
        assert!(state.problems().custom_fields.is_some(), "a reserved name");
    }
}
