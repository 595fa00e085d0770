//! The add/edit form's state: every field of an entry as typed, validated field by field
//! (name, IP rules, dates, rotation days) and built into an [`Entry`] through the vault's
//! own rules. The secrets sit in zeroizing buffers. Drawing the form is `editor.rs`'s.

use chrono::{DateTime, Utc};

use super::jobs::Job;
use super::widgets::{SecretBuffer, date};
use crate::keys::{GeneratedKeyPair, KeyAlgorithm};
use crate::secret::SecretString;
use crate::vault::providers::{Provider, Providers};
use crate::vault::{
    Credential, CredentialKind, DateError, Entry, Environment, IpRule, Permission,
    parse_optional_date_keeping, validate_name,
};

pub(crate) const STANDARD_PERMISSIONS: [&str; 4] = [
    Permission::READ,
    Permission::TRADE,
    Permission::WITHDRAW,
    Permission::TRANSFER,
];

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
}

impl EditorState {
    /// Gives the form the preset's shape: its provider id, its first credential kind (the
    /// passphrase field and the permission suggestions follow from the provider).
    pub fn apply_preset(&mut self, preset: &Provider) {
        self.provider = preset.id.clone();
        if let Some(kind) = preset.kinds.first() {
            self.kind = *kind;
        }
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
        }
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
        entry.name = self.name.trim().to_owned();
        entry.provider = providers.canonical_id(&self.provider);
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
