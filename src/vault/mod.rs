//! The domain: entries, credentials, IP rules and the policy rules about them.
//!
//! Pure code: nothing here reads a file or the clock; functions that depend on the time are
//! given `now`.

pub mod audit;
mod custom;
mod date;
mod entry;
pub mod exposure;
mod incident;
mod ip;
pub mod merge;
pub mod policy;
pub mod providers;
mod rotation;
mod search;
mod trash;
mod unknown_name;

pub(crate) use custom::percent_encode;
pub use custom::{
    CustomField, CustomFieldError, RESERVED_FIELD_NAMES, TOTP_FIELD, find_custom_field,
    is_reserved_field_name, normalised_field_name, totp_uri, usable_field_name,
    validate_custom_fields,
};
pub use date::{
    DateError, DateInput, parse_date, parse_optional_date, parse_optional_date_keeping,
};
pub use entry::{
    Credential, CredentialKind, Entry, Environment, Field, FieldValue, HistoryItem, Permission,
    Status,
};
pub use incident::{ChecklistItem, Incident};
pub use ip::{IpRule, IpRuleError};
pub use rotation::{NewParts, RotateError};
pub use search::matches_search;
pub use trash::{Tombstone, TrashedEntry};
pub use unknown_name::UnknownName;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Settings stored inside the vault (they travel with the file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VaultSettings {
    /// Rotation period for entries without their own policy; 0 means no policy.
    pub default_rotation_days: u32,
    /// How long before a due date reminders start.
    pub reminder_lead_days: u32,
    /// Seconds before a copied secret is cleared from the clipboard.
    pub clipboard_seconds: u32,
    /// Seconds a revealed secret stays visible.
    pub reveal_seconds: u32,
    /// Minutes without input before the app locks; 0 disables.
    pub idle_lock_minutes: u32,
    /// Lock when the window is minimised.
    pub lock_on_minimize: bool,
}

impl Default for VaultSettings {
    fn default() -> Self {
        Self {
            default_rotation_days: 90,
            reminder_lead_days: 14,
            clipboard_seconds: 20,
            reveal_seconds: 10,
            idle_lock_minutes: 5,
            lock_on_minimize: false,
        }
    }
}

/// Everything the vault file holds once decrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vault {
    /// Per-vault settings.
    #[serde(default)]
    pub settings: VaultSettings,
    /// When the settings last changed (stamped by saves; absent in older vaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings_modified_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The keys, in insertion order.
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// Deleted keys, restorable with their secrets, in the order they were deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trash: Vec<TrashedEntry>,
    /// Keys purged from the trash: only the id and when, so that a merge with an older copy
    /// does not bring them back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tombstones: Vec<Tombstone>,
}

/// A change to the vault that breaks one of its rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// Names must be unique.
    #[error("a key named '{0}' already exists; choose another name")]
    DuplicateName(String),
    /// No entry has this name.
    #[error("no key named '{0}' (see `keyward list`)")]
    NotFound(String),
    /// No entry in the trash has this name.
    #[error("no key named '{0}' in the trash (see `keyward trash`)")]
    NotInTrash(String),
    /// Names must be non-empty and printable.
    #[error("invalid key name '{0}': use a non-empty name without control characters")]
    InvalidName(String),
    /// A custom field breaks its rules (name empty, duplicate or reserved).
    #[error("key '{entry}': {error}")]
    InvalidCustomField {
        /// The key's name.
        entry: String,
        /// What is wrong.
        error: CustomFieldError,
    },
}

impl Vault {
    /// The entry with this exact name.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// The entry with this exact name, to change it.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.name == name)
    }

    /// The entry with this id.
    pub fn by_id(&self, id: Uuid) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry with this name, or a [`VaultError::NotFound`].
    pub fn require(&self, name: &str) -> Result<&Entry, VaultError> {
        self.get(name)
            .ok_or_else(|| VaultError::NotFound(name.to_owned()))
    }

    /// The entry with this name to change it, or a [`VaultError::NotFound`].
    pub fn require_mut(&mut self, name: &str) -> Result<&mut Entry, VaultError> {
        self.get_mut(name)
            .ok_or_else(|| VaultError::NotFound(name.to_owned()))
    }

    /// Adds an entry whose name is valid and not taken.
    pub fn add(&mut self, entry: Entry) -> Result<(), VaultError> {
        validate_entry(&entry)?;
        if self.get(&entry.name).is_some() {
            return Err(VaultError::DuplicateName(entry.name.into()));
        }
        self.entries.push(entry);
        Ok(())
    }

    /// Replaces the entry with the same id (it may have been renamed; the new name must be
    /// valid and not taken by another entry).
    pub fn update(&mut self, entry: Entry) -> Result<(), VaultError> {
        validate_entry(&entry)?;
        if self
            .entries
            .iter()
            .any(|e| e.name == entry.name && e.id != entry.id)
        {
            return Err(VaultError::DuplicateName(entry.name.into()));
        }
        match self.entries.iter_mut().find(|e| e.id == entry.id) {
            Some(slot) => {
                *slot = entry;
                Ok(())
            }
            None => Err(VaultError::NotFound(entry.name.into())),
        }
    }

    /// Removes and returns the entry with this name.
    pub fn remove(&mut self, name: &str) -> Result<Entry, VaultError> {
        let idx = self
            .entries
            .iter()
            .position(|e| e.name == name)
            .ok_or_else(|| VaultError::NotFound(name.to_owned()))?;
        Ok(self.entries.remove(idx))
    }

    /// A name based on `base` that no entry has yet ("x (copy)", "x (copy 2)", …).
    pub fn unused_name(&self, base: &str) -> String {
        if self.get(base).is_none() {
            return base.to_owned();
        }
        let first = format!("{base} (copy)");
        if self.get(&first).is_none() {
            return first;
        }
        (2..)
            .map(|n| format!("{base} (copy {n})"))
            .find(|n| self.get(n).is_none())
            .unwrap_or(first)
    }
}

/// Checks what an entry must satisfy on its own: a valid name and valid custom fields.
pub fn validate_entry(entry: &Entry) -> Result<(), VaultError> {
    validate_name(&entry.name)?;
    validate_custom_fields(&entry.custom_fields).map_err(|error| VaultError::InvalidCustomField {
        entry: entry.name.to_string(),
        error,
    })
}

/// Checks a key name: non-empty after trimming, no control characters, not padded.
pub fn validate_name(name: &str) -> Result<(), VaultError> {
    if name.trim().is_empty() || name.trim() != name || name.chars().any(char::is_control) {
        return Err(VaultError::InvalidName(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn entry(name: &str) -> Entry {
        let now = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("date");
        Entry::new(name, Credential::Token { token: "t".into() }, now)
    }

    #[test]
    fn names_are_unique_and_valid() {
        let mut v = Vault::default();
        v.add(entry("a")).expect("first add");
        assert_eq!(
            v.add(entry("a")),
            Err(VaultError::DuplicateName("a".into()))
        );
        for bad in ["", "  ", " a", "a\n", "x\u{7}"] {
            assert!(v.add(entry(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(v.entries.len(), 1);
    }

    #[test]
    fn update_and_rename() {
        let mut v = Vault::default();
        v.add(entry("a")).expect("add a");
        v.add(entry("b")).expect("add b");
        let mut a = v.require("a").expect("a").clone();
        a.name = "b".into();
        assert!(matches!(
            v.update(a.clone()),
            Err(VaultError::DuplicateName(_))
        ));
        a.name = "c".into();
        v.update(a).expect("rename");
        assert!(v.get("c").is_some() && v.get("a").is_none());
        assert!(matches!(v.remove("zz"), Err(VaultError::NotFound(_))));
        assert_eq!(v.remove("c").expect("remove").name, "c");
    }

    #[test]
    fn unused_names() {
        let mut v = Vault::default();
        assert_eq!(v.unused_name("k"), "k");
        v.add(entry("k")).expect("k");
        assert_eq!(v.unused_name("k"), "k (copy)");
        v.add(entry("k (copy)")).expect("copy");
        assert_eq!(v.unused_name("k"), "k (copy 2)");
    }

    #[test]
    fn custom_fields_are_checked_on_add_and_update_and_optional_in_json() {
        let mut v = Vault::default();
        let mut e = entry("a");
        e.custom_fields = thin_vec::thin_vec![
            CustomField::new("Region", "eu", false),
            CustomField::new("region", "us", false),
        ];
        assert!(matches!(
            v.add(e.clone()),
            Err(VaultError::InvalidCustomField { .. })
        ));
        e.custom_fields.pop();
        e.url = "https://example.com".into();
        v.add(e.clone()).expect("valid fields");
        e.custom_fields
            .push(CustomField::new("API Key", "k", false));
        assert!(v.update(e).is_err());
        let json = serde_json::to_string(&v).expect("serialise");
        assert!(json.contains(r#""url":"https://example.com""#), "{json}");
        assert!(
            json.contains(r#""custom_fields":[{"name":"Region","value":"eu","protected":false}]"#)
        );
        // an entry without them (every vault written before) leaves them out and reads back
        let plain = serde_json::to_string(&entry("b")).expect("serialise");
        assert!(!plain.contains("url") && !plain.contains("custom_fields"));
        let back: Entry = serde_json::from_str(&plain).expect("old entry");
        assert!(back.url.is_empty() && back.custom_fields.is_empty());
    }

    #[test]
    fn settings_default_when_missing() {
        let v: Vault = serde_json::from_str(r#"{"settings":{"clipboard_seconds":5}}"#)
            .expect("partial settings");
        assert_eq!(v.settings.clipboard_seconds, 5);
        assert_eq!(v.settings.default_rotation_days, 90);
        assert!(v.entries.is_empty());
    }
}
