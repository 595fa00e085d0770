//! The neutral shape every format reads and writes, and its mapping to a keyward [`Entry`]:
//! title = name, username = key id, password = the primary secret (secret, token or private
//! key), custom fields "API Key", "API Secret", "Passphrase", "Private Key", "Public Key",
//! and the rest as notes lines ([`super::notes`]).

use chrono::{DateTime, Utc};

use super::notes::{self, NotesMeta};
use super::report::TransferReport;
use crate::secret::SecretString;
pub use crate::vault::CustomField;
use crate::vault::{
    Credential, CredentialKind, Entry, Field, TOTP_FIELD, normalised_field_name, usable_field_name,
    validate_name,
};

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
    /// Custom fields, in a stable order: keyward's parts ("API Key", …) and the key's own.
    pub fields: Vec<CustomField>,
    /// The TOTP seed or `otpauth://` URI, for formats with a place for it.
    pub totp: Option<SecretString>,
    /// Names of what the file held for this entry that the record cannot carry
    /// (attachments, password history, …); each is reported, never silently lost.
    pub unsupported: Vec<String>,
    /// What the format held that the record carries another way: (field, how), reported.
    pub changed: Vec<(String, String)>,
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
        let wanted = normalised_field_name(name);
        self.fields
            .iter()
            .find(|f| normalised_field_name(&f.name) == wanted && !f.value.is_empty())
            .map(|f| &f.value)
    }
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
    /// Custom fields (passphrase, private and public key, the key's own fields).
    pub custom_fields: bool,
    /// A TOTP slot of its own (else the seed travels as a protected custom field "TOTP").
    pub totp: bool,
}

/// True when `entry` has a non-empty `field`.
pub fn has_part(entry: &Entry, field: Field) -> bool {
    entry.credential.field(field).is_some()
}

/// The record for `entry`, carrying natively what `native` says and the rest in the notes.
/// The key's own custom fields follow keyward's parts; without custom fields in the format,
/// the unprotected ones become notes lines and the protected ones are left out (see
/// [`export_losses`]). The TOTP field goes to [`Record::totp`] when the format has a slot.
pub fn from_entry(entry: &Entry, native: Native) -> Record {
    let mut fields = Vec::new();
    let mut push = |name: &str, value: &str, protected: bool| {
        if !value.is_empty() {
            fields.push(CustomField {
                name: name.into(),
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
        Credential::Token { token } => (Default::default(), token.clone()),
    };
    let mut totp = None;
    let mut notes_fields = Vec::new();
    for field in &entry.custom_fields {
        if field.name == TOTP_FIELD && native.totp {
            totp = Some(field.value.clone());
        } else if native.custom_fields {
            fields.push(field.clone());
        } else if !field.protected {
            notes_fields.push((field.name.to_string(), field.value.expose().to_owned()));
        }
    }
    if !native.custom_fields {
        fields.clear();
    }
    let meta = NotesMeta {
        kind: Some(entry.credential.kind()),
        provider: Some(entry.provider.to_string()),
        environment: Some(entry.environment),
        purpose: Some(entry.purpose.clone()),
        tags: (!native.tags).then(|| entry.tags.iter().map(|t| t.to_string()).collect()),
        permissions: Some(notes::permission_names(&entry.permissions)),
        ip_whitelist: Some(entry.ip_whitelist.to_vec()),
        ip_blacklist: Some(entry.ip_blacklist.to_vec()),
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
        fields: notes_fields,
    };
    Record {
        group: String::new(),
        title: entry.name.to_string(),
        username: username.to_string(),
        password,
        url: entry.url.clone(),
        notes: notes::compose(&meta, &entry.notes),
        fields,
        totp,
        unsupported: Vec::new(),
        changed: Vec::new(),
        tags: if native.tags {
            entry.tags.iter().map(|t| t.to_string()).collect()
        } else {
            Vec::new()
        },
        created: Some(entry.created_at),
        modified: Some(entry.rotated_at.unwrap_or(entry.created_at)),
        expires: entry.expires_at,
    }
}

/// Adds to `report` what a format with `native` cannot hold of `entry` (the `index`-th):
/// the same decisions as [`from_entry`], in words.
pub fn export_losses(entry: &Entry, index: usize, native: Native, report: &mut TransferReport) {
    let name = entry.name.as_str();
    if !native.custom_fields {
        for field in [Field::Passphrase, Field::PublicKey] {
            if has_part(entry, field) {
                report.dropped(
                    field.as_str(),
                    "not exported: the format has no custom fields",
                    index,
                    name,
                );
            }
        }
    }
    for field in &entry.custom_fields {
        let label = format!("custom field '{}'", field.name);
        if field.name == TOTP_FIELD && native.totp || native.custom_fields {
            continue;
        }
        if field.protected {
            report.dropped(
                &label,
                "not exported: the format has no custom fields and a protected value does \
                 not belong in the notes",
                index,
                name,
            );
        } else {
            report.changed(&label, "written as a notes line", index, name);
        }
    }
    if !native.tags && !entry.tags.is_empty() {
        report.changed("tags", "written as a notes line", index, name);
    }
    if !native.expires && entry.expires_at.is_some() {
        report.changed("expiry", "written as a notes line", index, name);
    }
    if !entry.history.is_empty() {
        report.dropped(
            "secret history",
            "not exported: previous secrets stay in keyward only",
            index,
            name,
        );
    }
    if entry.incident.is_some() {
        report.dropped(
            "incident record",
            "not exported: the checklist stays in keyward (the status is a notes line)",
            index,
            name,
        );
    }
}

/// The keyward entry for a record read from a file (the `index`-th, 1-based, for messages).
/// The key id comes from "API Key" or the username, the secret from "API Secret" or the
/// password; the kind from the notes block, else from which parts are present. Every other
/// field becomes a custom field (a name that is taken or reserved gets a suffix); a username
/// or password the credential does not use is kept as a protected custom field. What cannot
/// be carried, or is carried another way, goes into `report`.
pub fn to_entry(
    record: Record,
    index: usize,
    now: DateTime<Utc>,
    report: &mut TransferReport,
) -> Entry {
    let (meta, free_notes) = notes::parse(&record.notes);
    // Each field's name normalised once (Record::field's rule, without a String per lookup).
    let normals: Vec<String> = record
        .fields
        .iter()
        .map(|f| normalised_field_name(&f.name))
        .collect();
    let part = |name: &str| {
        let wanted = normalised_field_name(name);
        record
            .fields
            .iter()
            .zip(&normals)
            .find(|(f, n)| **n == wanted && !f.value.is_empty())
            .map(|(f, _)| &f.value)
    };
    let key_id_field = part(API_KEY).map(|v| v.expose().to_owned());
    let secret_field = part(API_SECRET).cloned();
    let passphrase = part(PASSPHRASE).cloned();
    let private_key = part(PRIVATE_KEY).cloned();
    let public_key = part(PUBLIC_KEY).map(|v| v.expose().to_owned());
    let key_id = key_id_field
        .clone()
        .unwrap_or_else(|| record.username.clone());
    let kind = meta.kind.unwrap_or(if private_key.is_some() {
        CredentialKind::KeyPair
    } else if !key_id.is_empty() || passphrase.is_some() {
        CredentialKind::SharedSecret
    } else {
        CredentialKind::Token
    });
    // The parts this kind takes from the record's fields; the rest stay custom fields.
    let mut used: Vec<&str> = Vec::new();
    let mut uses = |name: &'static str, present: bool| {
        if present {
            used.push(name);
        }
    };
    let secret = secret_field
        .clone()
        .unwrap_or_else(|| record.password.clone());
    let (credential, username_used, password_used) = match kind {
        CredentialKind::SharedSecret => {
            uses(API_KEY, key_id_field.is_some());
            uses(API_SECRET, secret_field.is_some());
            uses(PASSPHRASE, passphrase.is_some());
            (
                Credential::SharedSecret {
                    key_id: key_id.trim().into(),
                    secret,
                    passphrase,
                },
                key_id_field.is_none(),
                secret_field.is_none(),
            )
        }
        CredentialKind::KeyPair => {
            uses(API_KEY, key_id_field.is_some());
            uses(PRIVATE_KEY, private_key.is_some());
            uses(PUBLIC_KEY, public_key.is_some());
            (
                Credential::KeyPair {
                    key_id: key_id.trim().into(),
                    private_key: private_key
                        .clone()
                        .unwrap_or_else(|| record.password.clone()),
                    public_key: public_key.unwrap_or_default(),
                },
                key_id_field.is_none(),
                private_key.is_none(),
            )
        }
        CredentialKind::Token => {
            uses(API_SECRET, secret_field.is_some());
            (
                Credential::Token { token: secret },
                false,
                secret_field.is_none(),
            )
        }
    };
    let name = entry_name(&record.title, index);
    if name != record.title {
        report.changed(
            "title",
            "not a valid key name: control characters and outer spaces removed (an empty \
             one becomes \"Imported key N\")",
            index,
            &name,
        );
    }
    let mut entry = Entry::new(name, credential, now);
    let mut fields: Vec<CustomField> = Vec::new();
    let mut add_field = |field: CustomField, report: &mut TransferReport, entry: &Entry| {
        let name = usable_field_name(&fields, &field.name);
        if name != field.name {
            report.changed(
                &format!("custom field '{}'", field.name),
                &format!("renamed to '{name}': the name is empty, taken or a standard part's"),
                index,
                &entry.name,
            );
        }
        fields.push(CustomField {
            name: name.into(),
            ..field
        });
    };
    let mut totp = record.totp.filter(|t| !t.is_empty());
    let mut taken: Vec<&str> = Vec::new();
    let used: Vec<(&str, String)> = used
        .into_iter()
        .map(|u| (u, normalised_field_name(u)))
        .collect();
    for (field, normal) in record.fields.into_iter().zip(normals) {
        if let Some((part, _)) = used.iter().find(|(_, n)| *n == normal) {
            // The first non-empty field of a part's name is the part (as Record::field reads).
            if !taken.contains(part) && !field.value.is_empty() {
                taken.push(part);
                continue;
            }
        }
        if totp.is_none() && matches!(normal.as_str(), "totp" | "otp") && !field.value.is_empty() {
            totp = Some(field.value);
            continue;
        }
        add_field(field, report, &entry);
    }
    let username = record.username.trim();
    if !username_used && !username.is_empty() && Some(username) != key_id_field.as_deref() {
        add_field(
            CustomField::new("Login username", username, false),
            report,
            &entry,
        );
    }
    let password_kept = password_used || record.password == *entry.credential.primary_secret();
    if !password_kept && !record.password.is_empty() {
        add_field(
            CustomField::new("Login password", record.password.clone(), true),
            report,
            &entry,
        );
    }
    for (field_name, value) in meta.fields {
        add_field(CustomField::new(field_name, value, false), report, &entry);
    }
    if let Some(seed) = totp {
        fields.insert(0, CustomField::totp(seed.expose(), &entry.name));
    }
    // Pushed one by one, the Vec has room for four fields at least (64 bytes each): shrunk,
    // an imported key holds only its own fields.
    fields.shrink_to_fit();
    entry.custom_fields = fields.into();
    for (field, how) in &record.changed {
        report.changed(field, how, index, &entry.name);
    }
    for what in &record.unsupported {
        report.dropped(what, "not imported", index, &entry.name);
    }
    if entry.credential.primary_secret().is_empty() {
        report.changed(
            entry.credential.primary_field().as_str(),
            "empty in the file: imported without one (set it with `keyward rotate NAME` or \
             the app's editor)",
            index,
            &entry.name,
        );
    }
    entry.url = record.url.trim().to_owned();
    if let Some(p) = meta.provider {
        entry.provider = p.into();
    }
    if let Some(e) = meta.environment {
        entry.environment = e;
    }
    if let Some(p) = meta.purpose {
        entry.purpose = p;
    }
    entry.notes = free_notes;
    // A notes `Tags:` line is keyward's exact list; it wins over tags the format changed or
    // split (KeePass's `a_b` for `a,b`, 1Password's Tags cell split on commas).
    let tags = match meta.tags {
        Some(t) if !t.is_empty() => t,
        _ => record.tags,
    };
    entry.set_tags(tags);
    entry.set_permissions(meta.permissions.unwrap_or_default());
    entry.ip_whitelist = meta.ip_whitelist.unwrap_or_default().into();
    entry.ip_blacklist = meta.ip_blacklist.unwrap_or_default().into();
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
        let e = to_entry(record, 1, now(), &mut TransferReport::new());
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
        let mut report = TransferReport::new();
        let e = to_entry(record, 7, now(), &mut report);
        assert_eq!(e.credential.kind(), CredentialKind::Token);
        assert_eq!(e.name, "Imported key 7");
        assert_eq!(report.losses().len(), 1);
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
        let e = to_entry(record, 1, now(), &mut TransferReport::new());
        let get = |f| e.credential.field(f).map(|v| v.expose().to_owned());
        assert_eq!(get(Field::Key).as_deref(), Some("K"));
        assert_eq!(get(Field::Secret).as_deref(), Some("S"));
        assert_eq!(get(Field::Passphrase).as_deref(), Some("P"));
    }

    #[test]
    fn an_imported_key_keeps_no_spare_room_in_its_lists() {
        let record = Record {
            title: "okx".into(),
            password: "pw".into(),
            fields: vec![CustomField::new("Account", "acct-1", false)],
            tags: vec!["prod".into(), "ci".into()],
            ..Record::default()
        };
        let e = to_entry(record, 1, now(), &mut TransferReport::new());
        assert_eq!(e.custom_fields.len(), 1);
        assert_eq!(
            e.custom_fields.capacity(),
            1,
            "room for one field, not four"
        );
        assert_eq!(e.tags, ["ci", "prod"]);
        assert_eq!(e.tags.capacity(), 2);
    }

    fn with_extras() -> Entry {
        let mut e = Entry::new(
            "okx",
            Credential::SharedSecret {
                key_id: "K".into(),
                secret: "S".into(),
                passphrase: Some("P".into()),
            },
            now(),
        );
        e.url = "https://www.okx.com/account/my-api".into();
        e.custom_fields = thin_vec::thin_vec![
            CustomField::totp("JBSWY3DPEHPK3PXP", "okx"),
            CustomField::new("Sub-account", "grid, 1", false),
            CustomField::new("Recovery", "rc-77", true),
        ];
        e
    }

    #[test]
    fn url_custom_fields_and_totp_travel_natively_or_as_notes() {
        let e = with_extras();
        let all = Native {
            custom_fields: true,
            totp: true,
            ..Native::default()
        };
        let none = Native::default();
        for native in [all, none] {
            let rec = from_entry(&e, native);
            assert_eq!(rec.url, e.url);
            assert_eq!(rec.totp.is_some(), native.totp);
            let mut report = TransferReport::new();
            let back = to_entry(rec, 1, now(), &mut report);
            assert_eq!(back.url, e.url);
            if native.custom_fields {
                assert_eq!(back.custom_fields, e.custom_fields, "{:?}", report.lines());
                assert!(report.is_empty(), "{:?}", report.lines());
            } else {
                // the unprotected field comes back from its notes line; the protected ones
                // (the TOTP here, as this table has no TOTP slot either) are not carried
                let names: Vec<&str> = back.custom_fields.iter().map(|f| f.name.as_str()).collect();
                assert_eq!(names, ["Sub-account"]);
                assert_eq!(back.custom_fields[0].value.expose(), "grid, 1");
                let mut losses = TransferReport::new();
                export_losses(&e, 1, native, &mut losses);
                let lines = losses.lines().join("\n");
                for lost in [
                    "custom field 'Recovery': not exported",
                    "custom field 'TOTP': not exported",
                    "passphrase: not exported",
                ] {
                    assert!(lines.contains(lost), "{lines}");
                }
                assert!(lines.contains("custom field 'Sub-account': written as a notes line"));
            }
        }
    }

    #[test]
    fn nothing_of_a_foreign_record_is_dropped_without_a_word() {
        let record = Record {
            title: "github".into(),
            username: "me@example.com".into(),
            password: "hunter2".into(),
            totp: Some("jbsw y3dp".into()),
            fields: vec![
                CustomField::new("API Secret", "ghp_tok", true),
                CustomField::new("Password", "other", true),
                CustomField::new("note", "a", false),
                CustomField::new("NOTE", "b", false),
                CustomField::new("", "c", false),
            ],
            unsupported: vec!["attachment".into(), "attachment".into(), "passkey".into()],
            ..Record::default()
        };
        let mut report = TransferReport::new();
        let e = to_entry(record, 3, now(), &mut report);
        assert_eq!(e.credential.kind(), CredentialKind::SharedSecret);
        assert_eq!(e.credential.key_id(), "me@example.com");
        assert_eq!(e.credential.primary_secret().expose(), "ghp_tok");
        let shown: Vec<(&str, &str, bool)> = e
            .custom_fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.expose(), f.protected))
            .collect();
        assert_eq!(
            shown,
            [
                ("TOTP", "otpauth://totp/github?secret=JBSWY3DP", true),
                ("Password (custom)", "other", true),
                ("note", "a", false),
                ("NOTE (2)", "b", false),
                ("Field", "c", false),
                ("Login password", "hunter2", true),
            ]
        );
        assert_eq!(
            crate::vault::validate_custom_fields(&e.custom_fields),
            Ok(())
        );
        use super::super::Outcome;
        assert_eq!(report.entries_with(Outcome::Dropped, "attachment"), 1);
        assert_eq!(report.entries_with(Outcome::Dropped, "passkey"), 1);
        assert_eq!(
            report.entries_with(Outcome::Changed, "custom field 'NOTE'"),
            1
        );
    }

    #[test]
    fn an_empty_secret_is_reported_as_missing() {
        let record = Record {
            title: "x".into(),
            username: "AKID".into(),
            ..Record::default()
        };
        let mut report = TransferReport::new();
        let e = to_entry(record, 1, now(), &mut report);
        assert!(e.credential.primary_secret().is_empty());
        let lines = report.lines().join("\n");
        assert!(
            lines.contains("secret: empty in the file: imported without one"),
            "{lines}"
        );
    }
}
