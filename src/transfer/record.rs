//! The neutral shape every format reads and writes, and its mapping to a keyward [`Entry`]:
//! title = name, username = key id, password = the primary secret (secret, token or private
//! key), custom fields "API Key", "API Secret", "Passphrase", "Private Key", "Public Key",
//! and the rest as notes lines ([`super::notes`]).

use chrono::{DateTime, Utc};

use super::notes::{self, NotesMeta};
use crate::secret::SecretString;
use crate::vault::{Credential, CredentialKind, Entry, Field, validate_name};

/// Custom field name of the key id.
pub const API_KEY: &str = "API Key";
/// Custom field name of the HMAC secret.
pub const API_SECRET: &str = "API Secret";
/// Custom field name of the passphrase.
pub const PASSPHRASE: &str = "Passphrase";
/// Custom field name of the private key.
pub const PRIVATE_KEY: &str = "Private Key";
/// Custom field name of the public key.
pub const PUBLIC_KEY: &str = "Public Key";

/// One custom field of a password-manager entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomField {
    /// Its name ("API Secret").
    pub name: String,
    /// Its value.
    pub value: SecretString,
    /// Shown hidden / protected in memory by the password manager.
    pub protected: bool,
}

/// A password-manager entry, independent of the file format.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Group path ("Root/Exchanges"), informational.
    pub group: String,
    /// Title.
    pub title: String,
    /// User name.
    pub username: String,
    /// Password.
    pub password: SecretString,
    /// URL.
    pub url: String,
    /// Notes (the metadata block and the free notes).
    pub notes: String,
    /// Custom fields, in a stable order.
    pub fields: Vec<CustomField>,
    /// Tags (formats with native tags).
    pub tags: Vec<String>,
    /// Creation time (formats with native times).
    pub created: Option<DateTime<Utc>>,
    /// Last modification.
    pub modified: Option<DateTime<Utc>>,
    /// Expiry (formats with native expiry).
    pub expires: Option<DateTime<Utc>>,
}

impl Record {
    /// The custom field with this name (case and `_`/space insensitive).
    pub fn field(&self, name: &str) -> Option<&SecretString> {
        let wanted = normalise(name);
        self.fields
            .iter()
            .find(|f| normalise(&f.name) == wanted && !f.value.is_empty())
            .map(|f| &f.value)
    }
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a format stores natively; everything else goes into the notes block.
#[derive(Clone, Copy, Debug, Default)]
pub struct Native {
    /// Tags.
    pub tags: bool,
    /// Creation date.
    pub created: bool,
    /// Expiry date.
    pub expires: bool,
    /// Custom fields (passphrase, private and public key).
    pub custom_fields: bool,
}

/// True when `entry` has a non-empty `field`.
pub fn has_part(entry: &Entry, field: Field) -> bool {
    entry.credential.field(field).is_some()
}

/// The record for `entry`, carrying natively what `native` says and the rest in the notes.
pub fn from_entry(entry: &Entry, native: Native) -> Record {
    let mut fields = Vec::new();
    let mut push = |name: &str, value: &str, protected: bool| {
        if !value.is_empty() {
            fields.push(CustomField {
                name: name.to_owned(),
                value: SecretString::from(value),
                protected,
            });
        }
    };
    let (username, password) = match &entry.credential {
        Credential::SharedSecret {
            key_id,
            secret,
            passphrase,
        } => {
            push(API_KEY, key_id, true);
            push(API_SECRET, secret.expose(), true);
            if let Some(p) = passphrase {
                push(PASSPHRASE, p.expose(), true);
            }
            (key_id.clone(), secret.clone())
        }
        Credential::KeyPair {
            key_id,
            private_key,
            public_key,
        } => {
            push(API_KEY, key_id, true);
            push(PRIVATE_KEY, private_key.expose(), true);
            push(PUBLIC_KEY, public_key, false);
            (key_id.clone(), private_key.clone())
        }
        Credential::Token { token } => (String::new(), token.clone()),
    };
    if !native.custom_fields {
        fields.clear();
    }
    let meta = NotesMeta {
        kind: Some(entry.credential.kind()),
        provider: Some(entry.provider.clone()),
        environment: Some(entry.environment),
        purpose: Some(entry.purpose.clone()),
        tags: (!native.tags).then(|| entry.tags.clone()),
        permissions: Some(notes::permission_names(&entry.permissions)),
        ip_whitelist: Some(entry.ip_whitelist.clone()),
        ip_blacklist: Some(entry.ip_blacklist.clone()),
        created: (!native.created).then_some(entry.created_at),
        rotated: entry.rotated_at,
        expires: if native.expires {
            None
        } else {
            entry.expires_at
        },
        last_used: entry.last_used_at,
        rotate_every_days: entry.rotate_every_days,
        status: Some(entry.status),
    };
    Record {
        group: String::new(),
        title: entry.name.clone(),
        username,
        password,
        url: String::new(),
        notes: notes::compose(&meta, &entry.notes),
        fields,
        tags: if native.tags {
            entry.tags.clone()
        } else {
            Vec::new()
        },
        created: Some(entry.created_at),
        modified: Some(entry.rotated_at.unwrap_or(entry.created_at)),
        expires: entry.expires_at,
    }
}

/// The keyward entry for a record read from a file (the `index`-th, 1-based, for messages).
/// The key id comes from "API Key" or the username, the secret from "API Secret" or the
/// password; the kind from the notes block, else from which parts are present.
pub fn to_entry(
    record: Record,
    index: usize,
    now: DateTime<Utc>,
    notices: &mut Vec<String>,
) -> Entry {
    let (meta, free_notes) = notes::parse(&record.notes);
    let key_id = record
        .field(API_KEY)
        .map(|v| v.expose().to_owned())
        .unwrap_or_else(|| record.username.clone());
    let secret = record
        .field(API_SECRET)
        .cloned()
        .unwrap_or_else(|| record.password.clone());
    let passphrase = record.field(PASSPHRASE).cloned();
    let private_key = record.field(PRIVATE_KEY).cloned();
    let public_key = record
        .field(PUBLIC_KEY)
        .map(|v| v.expose().to_owned())
        .unwrap_or_default();
    let kind = meta.kind.unwrap_or(if private_key.is_some() {
        CredentialKind::KeyPair
    } else if !key_id.is_empty() || passphrase.is_some() {
        CredentialKind::SharedSecret
    } else {
        CredentialKind::Token
    });
    let credential = match kind {
        CredentialKind::SharedSecret => Credential::SharedSecret {
            key_id: key_id.trim().to_owned(),
            secret,
            passphrase,
        },
        CredentialKind::KeyPair => Credential::KeyPair {
            key_id: key_id.trim().to_owned(),
            private_key: private_key.unwrap_or_else(|| record.password.clone()),
            public_key,
        },
        CredentialKind::Token => Credential::Token { token: secret },
    };
    let name = entry_name(&record.title, index);
    if name != record.title {
        notices.push(format!(
            "entry {index}: its title is not a valid key name; imported as '{name}'"
        ));
    }
    let mut entry = Entry::new(name, credential, now);
    if entry.credential.primary_secret().is_empty() {
        notices.push(format!(
            "'{}' has no secret; it is imported with an empty one",
            entry.name
        ));
    }
    if let Some(p) = meta.provider {
        entry.provider = p;
    }
    if let Some(e) = meta.environment {
        entry.environment = e;
    }
    if let Some(p) = meta.purpose {
        entry.purpose = p;
    }
    entry.notes = free_notes;
    let tags = if record.tags.is_empty() {
        meta.tags.unwrap_or_default()
    } else {
        record.tags
    };
    entry.set_tags(tags);
    entry.set_permissions(meta.permissions.unwrap_or_default());
    entry.ip_whitelist = meta.ip_whitelist.unwrap_or_default();
    entry.ip_blacklist = meta.ip_blacklist.unwrap_or_default();
    if let Some(c) = meta.created.or(record.created) {
        entry.created_at = c;
    }
    entry.rotated_at = meta.rotated;
    entry.expires_at = record.expires.or(meta.expires);
    entry.last_used_at = meta.last_used;
    entry.rotate_every_days = meta.rotate_every_days;
    if let Some(s) = meta.status {
        entry.status = s;
    }
    entry
}

/// A valid key name from a title: control characters become spaces, the ends are trimmed,
/// an empty title becomes "Imported key N".
fn entry_name(title: &str, index: usize) -> String {
    if validate_name(title).is_ok() {
        return title.to_owned();
    }
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        format!("Imported key {index}")
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn keepassxc_username_and_password_become_key_and_secret() {
        let record = Record {
            title: "GitHub deploy token".into(),
            username: "ci-bot".into(),
            password: "ghp_x".into(),
            ..Record::default()
        };
        let e = to_entry(record, 1, now(), &mut Vec::new());
        assert_eq!(
            e.credential.field(Field::Key).map(|v| v.expose()),
            Some("ci-bot")
        );
        assert_eq!(e.credential.primary_secret().expose(), "ghp_x");
    }

    #[test]
    fn a_password_alone_is_a_token_and_bad_titles_are_cleaned() {
        let record = Record {
            title: " \n".into(),
            password: "tok".into(),
            ..Record::default()
        };
        let mut notices = Vec::new();
        let e = to_entry(record, 7, now(), &mut notices);
        assert_eq!(e.credential.kind(), CredentialKind::Token);
        assert_eq!(e.name, "Imported key 7");
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn custom_fields_win_over_username_and_password() {
        let record = Record {
            title: "okx".into(),
            username: "someone".into(),
            password: "pw".into(),
            fields: vec![
                CustomField {
                    name: "api_key".into(),
                    value: "K".into(),
                    protected: false,
                },
                CustomField {
                    name: "API SECRET".into(),
                    value: "S".into(),
                    protected: true,
                },
                CustomField {
                    name: "Passphrase".into(),
                    value: "P".into(),
                    protected: true,
                },
            ],
            ..Record::default()
        };
        let e = to_entry(record, 1, now(), &mut Vec::new());
        let get = |f| e.credential.field(f).map(|v| v.expose().to_owned());
        assert_eq!(get(Field::Key).as_deref(), Some("K"));
        assert_eq!(get(Field::Secret).as_deref(), Some("S"));
        assert_eq!(get(Field::Passphrase).as_deref(), Some("P"));
    }
}
