//! Bitwarden's unencrypted JSON export (`"encrypted": false`), personal or organization.
//!
//! Export: a key pair becomes an SSH key item (type 5) when its public key is one OpenSSH
//! can hold (Ed25519, ECDSA, RSA), every other key a login item (type 1): the key id as
//! `login.username`, the secret as `login.password`, the URL as the first URI, the TOTP as
//! `login.totp`, the other parts and the key's own fields as custom fields (type 1 hidden
//! when protected, else 0 text). Values longer than Bitwarden's server accepts are named in
//! the report. Import: logins and SSH key items; folders and collections become tags; other
//! item types (secure notes, cards, identities, bank accounts, driver's licenses, passports) are
//! left out and counted.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::notes::format_date;
use super::openssh;
use super::record::{self, CustomField, Native, PRIVATE_KEY, PUBLIC_KEY, Record};
use super::report::TransferReport;
use super::{Format, TransferError, utf8};
use crate::secret::{SecretBytes, SecretString};
use crate::vault::{Credential, Entry, TOTP_FIELD, Vault, parse_date};

pub(super) const NATIVE: Native = Native {
    tags: false,
    created: false,
    expires: false,
    custom_fields: true,
    totp: true,
};

/// Bitwarden item types.
const TYPE_LOGIN: u8 = 1;
const TYPE_SECURE_NOTE: u8 = 2;
const TYPE_CARD: u8 = 3;
const TYPE_IDENTITY: u8 = 4;
const TYPE_SSH_KEY: u8 = 5;
/// Bitwarden custom field types.
const FIELD_TEXT: u8 = 0;
const FIELD_HIDDEN: u8 = 1;
const FIELD_BOOLEAN: u8 = 2;
const FIELD_LINKED: u8 = 3;
/// The field that carries an SSH key item's URL.
const URL_FIELD: &str = "URL";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    encrypted: bool,
    #[serde(default, skip_serializing)]
    password_protected: bool,
    #[serde(default)]
    folders: Vec<Named>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    collections: Vec<Named>,
    #[serde(default)]
    items: Vec<Item>,
}

/// A folder or a collection: only the id and the name matter here.
#[derive(Serialize, Deserialize)]
struct Named {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    reprompt: Option<u8>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    favorite: Option<bool>,
    #[serde(default)]
    fields: Option<Vec<ItemField>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    login: Option<Login>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ssh_key: Option<SshKey>,
    /// `[null]` is a real shape (items of no collection in some exports).
    #[serde(default)]
    collection_ids: Option<Vec<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    creation_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revision_date: Option<String>,
    #[serde(default, skip_serializing)]
    deleted_date: Option<String>,
    #[serde(default, skip_serializing)]
    password_history: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing)]
    attachments: Option<Vec<serde_json::Value>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemField {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    value: Option<SecretString>,
    #[serde(rename = "type", default)]
    kind: u8,
    #[serde(default)]
    linked_id: Option<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Login {
    #[serde(default)]
    uris: Option<Vec<Uri>>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<SecretString>,
    #[serde(default)]
    totp: Option<SecretString>,
    #[serde(default, skip_serializing)]
    fido2_credentials: Option<Vec<serde_json::Value>>,
}

#[derive(Serialize, Deserialize)]
struct Uri {
    #[serde(rename = "match", default)]
    match_kind: Option<u8>,
    #[serde(default)]
    uri: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SshKey {
    #[serde(default)]
    private_key: Option<SecretString>,
    #[serde(default)]
    public_key: Option<String>,
    #[serde(default)]
    key_fingerprint: Option<String>,
}

/// The vault as a Bitwarden JSON export.
pub fn export(vault: &Vault) -> Result<SecretBytes, TransferError> {
    let export = Export {
        encrypted: false,
        password_protected: false,
        folders: Vec::new(),
        collections: Vec::new(),
        items: vault.entries.iter().map(item_of).collect(),
    };
    let mut out = Vec::with_capacity(4096);
    serde_json::to_writer_pretty(&mut out, &export).map_err(|e| TransferError::Internal {
        format: Format::BitwardenJson,
        what: format!("serialising failed at line {}", e.line()),
    })?;
    out.push(b'\n');
    Ok(SecretBytes::new(out))
}

/// The Bitwarden item for one entry: an SSH key item for a key pair whose public key OpenSSH
/// can hold, else a login.
fn item_of(entry: &Entry) -> Item {
    let rec = record::from_entry(entry, NATIVE);
    let ssh = match &entry.credential {
        Credential::KeyPair {
            private_key,
            public_key,
            ..
        } => openssh::from_pem(public_key).map(|key| SshKey {
            private_key: Some(private_key.clone()),
            public_key: Some(key.line),
            key_fingerprint: Some(key.fingerprint),
        }),
        _ => None,
    };
    // An SSH item holds the private key itself; the PEM public key stays a text field so
    // that it comes back exactly as it was.
    // An SSH key item has no URIs and no TOTP: its URL travels as the text field "URL",
    // its TOTP as the hidden field "TOTP".
    let url_field = (ssh.is_some() && !rec.url.is_empty())
        .then(|| CustomField::new(URL_FIELD, rec.url.as_str(), false));
    let totp_field = ssh
        .as_ref()
        .and(rec.totp.clone())
        .map(|t| CustomField::new(TOTP_FIELD, t, true));
    let fields = rec
        .fields
        .into_iter()
        .filter(|f| ssh.is_none() || f.name != PRIVATE_KEY)
        .chain(url_field)
        .chain(totp_field)
        .map(|f| ItemField {
            name: Some(f.name.into()),
            kind: if f.protected {
                FIELD_HIDDEN
            } else {
                FIELD_TEXT
            },
            value: Some(f.value),
            linked_id: None,
        })
        .collect();
    let login = ssh.is_none().then(|| Login {
        uris: Some(if rec.url.is_empty() {
            Vec::new()
        } else {
            vec![Uri {
                match_kind: None,
                uri: Some(rec.url.clone()),
            }]
        }),
        username: Some(rec.username),
        password: Some(rec.password),
        totp: rec.totp,
        fido2_credentials: None,
    });
    Item {
        id: Some(entry.id.to_string()),
        organization_id: None,
        folder_id: None,
        kind: if ssh.is_some() {
            TYPE_SSH_KEY
        } else {
            TYPE_LOGIN
        },
        reprompt: Some(0),
        name: Some(rec.title),
        notes: Some(rec.notes),
        favorite: Some(false),
        fields: Some(fields),
        login,
        ssh_key: ssh,
        collection_ids: None,
        creation_date: Some(format_date(entry.created_at)),
        revision_date: Some(format_date(entry.rotated_at.unwrap_or(entry.created_at))),
        deleted_date: None,
        password_history: None,
        attachments: None,
    }
}

/// What of `entry` Bitwarden cannot hold: values longer than its server accepts (it refuses
/// the whole import then), and a key pair that has to be a login (no SSH form).
pub(super) fn export_losses(entry: &Entry, index: usize, report: &mut TransferReport) {
    let item = item_of(entry);
    let name = entry.name.as_str();
    let mut check = |field: &str, value: Option<&str>, limit: usize| {
        let Some(value) = value else { return };
        let length = encrypted_length(value);
        if length > limit {
            report.dropped(
                field,
                &format!(
                    "too long for Bitwarden's server ({limit} characters once encrypted, about \
                     {} before): its import refuses the file; shorten it or use kdbx",
                    plain_limit(limit)
                ),
                index,
                name,
            );
        }
    };
    check("name", item.name.as_deref(), 1000);
    check("notes", item.notes.as_deref(), 10_000);
    if let Some(login) = &item.login {
        check("username", login.username.as_deref(), 1000);
        check(
            "password",
            login.password.as_ref().map(|p| p.expose()),
            1000,
        );
        check("totp", login.totp.as_ref().map(|p| p.expose()), 1000);
        for uri in login.uris.iter().flatten() {
            check("uri", uri.uri.as_deref(), 10_000);
        }
    }
    if let Some(ssh) = &item.ssh_key {
        check(
            "private key",
            ssh.private_key.as_ref().map(|p| p.expose()),
            5000,
        );
        check("public key", ssh.public_key.as_deref(), 5000);
    }
    for field in item.fields.iter().flatten() {
        let label = field.name.as_deref().unwrap_or_default();
        check(
            &format!("custom field '{label}' name"),
            field.name.as_deref(),
            1000,
        );
        check(
            &format!("custom field '{label}'"),
            field.value.as_ref().map(|v| v.expose()),
            5000,
        );
    }
    if matches!(entry.credential, Credential::KeyPair { .. }) && item.ssh_key.is_none() {
        report.changed(
            "private key",
            "written as a login's password: the public key is not one OpenSSH can hold, so \
             this is no Bitwarden SSH key item",
            index,
            name,
        );
    }
}

/// The length of a Bitwarden encrypted string (`2.IV|DATA|MAC`, AES-256-CBC with PKCS#7
/// padding, base64) holding `value`: what the server's limits count.
fn encrypted_length(value: &str) -> usize {
    let padded = (value.len() / 16 + 1) * 16;
    let b64 = |n: usize| n.div_ceil(3) * 4;
    2 + b64(16) + 1 + b64(padded) + 1 + b64(32)
}

/// The longest UTF-8 value (in bytes) whose encrypted form fits `limit`.
fn plain_limit(limit: usize) -> usize {
    let mut n = 0;
    while encrypted_length(&"x".repeat(n + 16)) <= limit {
        n += 16;
    }
    n + 15
}

/// The login and SSH key items of a Bitwarden JSON export (personal or organization), and
/// what the import must tell about the rest.
pub fn import(bytes: &[u8], path: &Path) -> Result<(Vec<Record>, TransferReport), TransferError> {
    let text = utf8(bytes, path, Format::BitwardenJson)?;
    let malformed = |what: String| TransferError::Malformed {
        path: path.to_owned(),
        format: Format::BitwardenJson,
        what,
    };
    // serde's messages can quote a value; only the position is reported.
    let export: Export = serde_json::from_str(text).map_err(|e| {
        let why = if e.is_eof() {
            "the file is truncated"
        } else if e.is_syntax() {
            "malformed JSON"
        } else {
            "unexpected content"
        };
        malformed(format!("{why} at line {}, column {}", e.line(), e.column()))
    })?;
    if export.encrypted || export.password_protected {
        return Err(malformed(
            "this is an encrypted Bitwarden export; export again as unencrypted JSON".into(),
        ));
    }
    let names = |list: &[Named]| -> HashMap<String, String> {
        list.iter()
            .filter_map(|n| Some((n.id.clone()?, n.name.clone()?)))
            .collect()
    };
    let folders = names(&export.folders);
    let collections = names(&export.collections);
    let mut report = TransferReport::new();
    // Bank accounts, driver's licences and passports (types 6 to 8) are Bitwarden's newer
    // item types (bitwarden/clients' spec data has them).
    let mut left_out: [(u8, &str, usize); 7] = [
        (TYPE_SECURE_NOTE, "secure note", 0),
        (TYPE_CARD, "card", 0),
        (TYPE_IDENTITY, "identity", 0),
        (6, "bank account", 0),
        (7, "driver's license", 0),
        (8, "passport", 0),
        (0, "item of an unknown type", 0),
    ];
    let mut records = Vec::new();
    for item in export.items {
        if item.deleted_date.is_some() {
            continue;
        }
        if item.kind != TYPE_LOGIN && item.kind != TYPE_SSH_KEY {
            let slot = left_out
                .iter()
                .position(|(t, _, _)| *t == item.kind)
                .unwrap_or(left_out.len() - 1);
            left_out[slot].2 += 1;
            continue;
        }
        records.push(to_record(item, &folders, &collections));
    }
    let skipped: Vec<String> = left_out
        .iter()
        .filter(|(_, _, n)| *n > 0)
        .map(|(_, what, n)| format!("{n} {what}(s)"))
        .collect();
    if !skipped.is_empty() {
        let total: usize = left_out.iter().map(|(_, _, n)| n).sum();
        report.note(format!(
            "left out {total} Bitwarden item(s) that are not logins or SSH keys: {}",
            skipped.join(", ")
        ));
    }
    Ok((records, report))
}

fn to_record(
    item: Item,
    folders: &HashMap<String, String>,
    collections: &HashMap<String, String>,
) -> Record {
    let mut rec = Record {
        title: item.name.unwrap_or_default(),
        notes: item.notes.unwrap_or_default(),
        created: item
            .creation_date
            .as_deref()
            .and_then(|d| parse_date(d).ok()),
        modified: item
            .revision_date
            .as_deref()
            .and_then(|d| parse_date(d).ok()),
        ..Record::default()
    };
    rec.tags = item
        .folder_id
        .iter()
        .filter_map(|id| folders.get(id))
        .chain(
            item.collection_ids
                .iter()
                .flatten()
                .flatten()
                .filter_map(|id| collections.get(id)),
        )
        .cloned()
        .collect();
    for field in item.fields.into_iter().flatten() {
        let name = field.name.unwrap_or_default();
        match field.kind {
            FIELD_LINKED => rec.unsupported.push(format!(
                "linked field '{name}' (it only points at the login's own username or password)"
            )),
            kind => {
                if kind == FIELD_BOOLEAN {
                    rec.changed.push((
                        format!("custom field '{name}'"),
                        "a Bitwarden checkbox: kept as the text true or false".to_owned(),
                    ));
                }
                rec.fields.push(CustomField {
                    protected: !matches!(kind, FIELD_TEXT | FIELD_BOOLEAN),
                    name: name.into(),
                    value: field.value.unwrap_or_default(),
                });
            }
        }
    }
    if let Some(login) = item.login {
        rec.username = login.username.unwrap_or_default();
        rec.password = login.password.unwrap_or_default();
        rec.totp = login.totp;
        let mut uris = login.uris.into_iter().flatten().filter_map(|u| {
            let text = u.uri?;
            Some((text, u.match_kind))
        });
        let mut rules = false;
        if let Some((first, rule)) = uris.next() {
            rec.url = first;
            rules |= rule.is_some();
        }
        for (n, (uri, rule)) in uris.enumerate() {
            rules |= rule.is_some();
            rec.fields.push(CustomField::new(
                format!("URL {}", n + 2),
                uri.as_str(),
                false,
            ));
        }
        if rules {
            rec.unsupported.push("URI match rule".into());
        }
        if login.fido2_credentials.is_some_and(|p| !p.is_empty()) {
            rec.unsupported.push("passkey".into());
        }
    }
    if let Some(ssh) = item.ssh_key {
        if let Some(pos) = rec.fields.iter().position(|f| f.name == URL_FIELD) {
            rec.url = rec.fields.remove(pos).value.expose().to_owned();
        }
        let private_key = ssh.private_key.unwrap_or_default();
        rec.password = private_key.clone();
        rec.fields.push(CustomField {
            name: PRIVATE_KEY.into(),
            value: private_key,
            protected: true,
        });
        // The PEM public key written by keyward's export wins; else the OpenSSH line.
        if let Some(public) = ssh
            .public_key
            .filter(|p| !p.is_empty() && rec.field(PUBLIC_KEY).is_none())
        {
            rec.fields
                .push(CustomField::new(PUBLIC_KEY, public.as_str(), false));
        }
    }
    if item.password_history.is_some_and(|h| !h.is_empty()) {
        rec.unsupported.push("password history".into());
    }
    if item.attachments.is_some_and(|a| !a.is_empty()) {
        rec.unsupported.push("attachment".into());
    }
    if item.favorite == Some(true) {
        rec.unsupported.push("favorite mark".into());
    }
    if item.reprompt.is_some_and(|r| r != 0) {
        rec.unsupported.push("master password re-prompt".into());
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_lengths_follow_the_bitwarden_string_layout() {
        // "2." + 24 (IV) + "|" + base64 of one padded block (24) + "|" + 44 (MAC)
        assert_eq!(encrypted_length(""), 2 + 24 + 1 + 24 + 1 + 44);
        assert_eq!(encrypted_length(&"a".repeat(15)), 96);
        assert_eq!(encrypted_length(&"a".repeat(16)), 96 + 20);
        let limit = plain_limit(1000);
        assert!(encrypted_length(&"a".repeat(limit)) <= 1000);
        assert!(encrypted_length(&"a".repeat(limit + 1)) > 1000);
    }
}
