//! Deleting keys without losing them: the trash (restorable, secrets kept) and tombstones
//! (what is left after a purge, so that a merge never resurrects a purged key).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Entry, Vault, VaultError};

/// A deleted key, kept whole until it is purged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashedEntry {
    /// When it was deleted.
    pub deleted_at: DateTime<Utc>,
    /// The key as it was, secrets and history included.
    pub entry: Entry,
}

/// The trace of a purged key: its id and when it was purged. No name, no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The purged entry's id.
    pub id: Uuid,
    /// When it was purged.
    pub deleted_at: DateTime<Utc>,
}

impl Vault {
    /// Moves the key named `name` to the trash at `now`; it can be restored with its secrets.
    pub fn delete_to_trash(&mut self, name: &str, now: DateTime<Utc>) -> Result<(), VaultError> {
        let mut entry = self.remove(name)?;
        entry.modified_at = Some(now);
        self.trash.push(TrashedEntry {
            deleted_at: now,
            entry,
        });
        Ok(())
    }

    /// The trashed key named `name` (the most recently deleted one when several share it).
    pub fn trashed(&self, name: &str) -> Option<&TrashedEntry> {
        self.trash.iter().rev().find(|t| t.entry.name == name)
    }

    fn trash_position(&self, name: &str) -> Result<usize, VaultError> {
        self.trash
            .iter()
            .rposition(|t| t.entry.name == name)
            .ok_or_else(|| VaultError::NotInTrash(name.to_owned()))
    }

    /// Brings the trashed key named `name` back at `now`. If a live key has taken its name
    /// meanwhile, the restored one gets a free name ("name (copy)"); that name is returned.
    pub fn restore_from_trash(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<String, VaultError> {
        let at = self.trash_position(name)?;
        let mut entry = self.trash.remove(at).entry;
        entry.name = self.unused_name(&entry.name).into();
        entry.modified_at = Some(now);
        let restored = entry.name.to_string();
        self.entries.push(entry);
        Ok(restored)
    }

    /// Removes the trashed key named `name` for good at `now`, leaving a tombstone.
    pub fn purge_from_trash(&mut self, name: &str, now: DateTime<Utc>) -> Result<(), VaultError> {
        let at = self.trash_position(name)?;
        let gone = self.trash.remove(at);
        self.add_tombstone(gone.entry.id, now);
        Ok(())
    }

    /// Records that the entry `id` was purged at `deleted_at` (the later time wins when one
    /// is already recorded).
    pub fn add_tombstone(&mut self, id: Uuid, deleted_at: DateTime<Utc>) {
        match self.tombstones.iter_mut().find(|t| t.id == id) {
            Some(t) => t.deleted_at = t.deleted_at.max(deleted_at),
            None => self.tombstones.push(Tombstone { id, deleted_at }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Credential;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, day, 9, 0, 0)
            .single()
            .expect("date")
    }

    fn vault_with(names: &[&str]) -> Vault {
        let mut v = Vault::default();
        for n in names {
            v.add(Entry::new(
                *n,
                Credential::Token {
                    token: format!("tok-{n}").into(),
                },
                at(1),
            ))
            .expect("add");
        }
        v
    }

    #[test]
    fn delete_keeps_the_secret_and_restore_brings_it_back() {
        let mut v = vault_with(&["a", "b"]);
        v.delete_to_trash("a", at(2)).expect("delete");
        assert!(v.get("a").is_none());
        let t = v.trashed("a").expect("in trash");
        assert_eq!(t.deleted_at, at(2));
        assert_eq!(t.entry.credential.primary_secret().expose(), "tok-a");
        assert_eq!(v.restore_from_trash("a", at(3)).expect("restore"), "a");
        let a = v.get("a").expect("back");
        assert_eq!(a.credential.primary_secret().expose(), "tok-a");
        assert_eq!(a.modified_at, Some(at(3)));
        assert!(v.trash.is_empty());
    }

    #[test]
    fn restoring_onto_a_taken_name_picks_a_free_one() {
        let mut v = vault_with(&["a"]);
        v.delete_to_trash("a", at(2)).expect("delete");
        v.add(Entry::new(
            "a",
            Credential::Token {
                token: "new".into(),
            },
            at(3),
        ))
        .expect("new a");
        assert_eq!(
            v.restore_from_trash("a", at(4)).expect("restore"),
            "a (copy)"
        );
        assert_eq!(v.entries.len(), 2);
    }

    #[test]
    fn purge_leaves_only_a_tombstone() {
        let mut v = vault_with(&["a"]);
        let id = v.require("a").expect("a").id;
        v.delete_to_trash("a", at(2)).expect("delete");
        v.purge_from_trash("a", at(5)).expect("purge");
        assert!(v.trash.is_empty());
        assert_eq!(
            v.tombstones,
            vec![Tombstone {
                id,
                deleted_at: at(5)
            }]
        );
        let json = serde_json::to_string(&v).expect("json");
        assert!(!json.contains("tok-a") && !json.contains("\"a\""), "{json}");
        assert_eq!(
            v.purge_from_trash("a", at(6)),
            Err(VaultError::NotInTrash("a".into()))
        );
        assert!(matches!(
            v.delete_to_trash("zz", at(6)),
            Err(VaultError::NotFound(_))
        ));
    }

    #[test]
    fn old_vaults_without_trash_still_read_and_write_the_same() {
        let v: Vault = serde_json::from_str(r#"{"entries":[]}"#).expect("old vault");
        assert!(v.trash.is_empty() && v.tombstones.is_empty());
        let json = serde_json::to_string(&v).expect("json");
        assert!(
            !json.contains("trash") && !json.contains("tombstones"),
            "{json}"
        );
    }
}
