//! Bitwarden's unencrypted JSON export (`"encrypted": false`): login items (type 1) with the
//! key id as `login.username`, the secret as `login.password`, the other parts as hidden
//! custom fields (type 1), and the notes. Other item types are left out on import.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::notes::format_date;
use super::record::{self, CustomField, Native, Record};
use super::{Format, TransferError, utf8};
use crate::secret::{SecretBytes, SecretString};
use crate::vault::Vault;

pub(super) const NATIVE: Native = Native {
    tags: false,
    created: false,
    expires: false,
    custom_fields: true,
    totp: true,
};

/// Bitwarden item type of a login.
const TYPE_LOGIN: u8 = 1;
/// Bitwarden custom field types.
const FIELD_TEXT: u8 = 0;
const FIELD_HIDDEN: u8 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    folders: Vec<serde_json::Value>,
    #[serde(default)]
    items: Vec<Item>,
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
    reprompt: u8,
    #[serde(default)]
    name: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    favorite: bool,
    #[serde(default)]
    fields: Vec<ItemField>,
    #[serde(default)]
    login: Option<Login>,
    #[serde(default)]
    collection_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    creation_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revision_date: Option<String>,
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
    uris: Vec<Uri>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<SecretString>,
    #[serde(default)]
    totp: Option<SecretString>,
}

#[derive(Serialize, Deserialize)]
struct Uri {
    #[serde(rename = "match", default)]
    match_kind: Option<u8>,
    #[serde(default)]
    uri: Option<String>,
}

/// The vault as a Bitwarden JSON export.
pub fn export(vault: &Vault) -> Result<SecretBytes, TransferError> {
    let items = vault
        .entries
        .iter()
        .map(|entry| {
            let rec = record::from_entry(entry, NATIVE);
            Item {
                id: Some(entry.id.to_string()),
                organization_id: None,
                folder_id: None,
                kind: TYPE_LOGIN,
                reprompt: 0,
                name: rec.title,
                notes: Some(rec.notes),
                favorite: false,
                fields: rec
                    .fields
                    .into_iter()
                    .map(|f| ItemField {
                        name: Some(f.name),
                        value: Some(f.value),
                        kind: if f.protected {
                            FIELD_HIDDEN
                        } else {
                            FIELD_TEXT
                        },
                        linked_id: None,
                    })
                    .collect(),
                login: Some(Login {
                    uris: if rec.url.is_empty() {
                        Vec::new()
                    } else {
                        vec![Uri {
                            match_kind: None,
                            uri: Some(rec.url),
                        }]
                    },
                    username: Some(rec.username),
                    password: Some(rec.password),
                    totp: rec.totp,
                }),
                collection_ids: None,
                creation_date: Some(format_date(entry.created_at)),
                revision_date: Some(format_date(entry.rotated_at.unwrap_or(entry.created_at))),
            }
        })
        .collect();
    let export = Export {
        encrypted: false,
        folders: Vec::new(),
        items,
    };
    let mut out = Vec::with_capacity(4096);
    serde_json::to_writer_pretty(&mut out, &export).map_err(|e| TransferError::Internal {
        format: Format::BitwardenJson,
        what: format!("serialising failed at line {}", e.line()),
    })?;
    out.push(b'\n');
    Ok(SecretBytes::new(out))
}

/// The login items of a Bitwarden JSON export, and how many other items (cards,
/// identities, secure notes) were left out.
pub fn import(bytes: &[u8], path: &Path) -> Result<(Vec<Record>, usize), TransferError> {
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
    if export.encrypted {
        return Err(malformed(
            "this is an encrypted Bitwarden export; export again as unencrypted JSON".into(),
        ));
    }
    let skipped = export
        .items
        .iter()
        .filter(|item| item.kind != TYPE_LOGIN)
        .count();
    let records = export
        .items
        .into_iter()
        .filter(|item| item.kind == TYPE_LOGIN)
        .map(|item| {
            let login = item.login.unwrap_or(Login {
                uris: Vec::new(),
                username: None,
                password: None,
                totp: None,
            });
            Record {
                group: String::new(),
                title: item.name,
                username: login.username.unwrap_or_default(),
                password: login.password.unwrap_or_default(),
                url: login
                    .uris
                    .into_iter()
                    .find_map(|u| u.uri)
                    .unwrap_or_default(),
                notes: item.notes.unwrap_or_default(),
                fields: item
                    .fields
                    .into_iter()
                    .filter_map(|f| {
                        Some(CustomField {
                            name: f.name?,
                            value: f.value.unwrap_or_default(),
                            protected: f.kind == FIELD_HIDDEN,
                        })
                    })
                    .collect(),
                totp: login.totp,
                unsupported: Vec::new(),
                tags: Vec::new(),
                created: None,
                modified: None,
                expires: None,
            }
        })
        .collect();
    Ok((records, skipped))
}
