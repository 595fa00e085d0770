//! Stamping `modified_at`: every save records when each entry (and the settings) last
//! changed, so that a merge without a common base can tell the newer version. Nobody has to
//! remember to stamp: the save compares each entry with the version last read or written.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::vault::merge::same_content;
use crate::vault::{Entry, Vault};

/// Stamps every entry of `vault` that differs from its version in `last` (or is new) with
/// `now`, and gives unchanged ones at least the stamp they had in `last` (a caller saving a
/// copy made before the last save must not move a stamp backwards). The settings likewise.
pub(crate) fn stamp(last: &Vault, vault: &mut Vault, now: DateTime<Utc>) {
    let before: HashMap<Uuid, usize> = last
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i))
        .collect();
    for e in &mut vault.entries {
        match before.get(&e.id).map(|&i| &last.entries[i]) {
            Some(old) if same_content(e, old) => e.modified_at = e.modified_at.max(old.modified_at),
            _ => e.modified_at = Some(now.max(e.modified_at.unwrap_or(now))),
        }
    }
    if vault.settings == last.settings {
        vault.settings_modified_at = vault.settings_modified_at.max(last.settings_modified_at);
    } else {
        vault.settings_modified_at = Some(now);
    }
}

/// Makes `last` equal to `vault` (the vault as just saved, the base of a later merge),
/// reusing every entry of `last` that is already equal to its version in `vault` and cloning
/// only the others. A save that changed one key of 10 000 then copies one entry, not 10 000
/// (each a dozen allocations, its secrets in locked memory); entries no longer in `vault`
/// are dropped, which wipes their secrets.
pub(crate) fn keep_as_saved(last: &mut Vault, vault: &Vault) {
    let mut old: Vec<Option<Entry>> = std::mem::take(&mut last.entries)
        .into_iter()
        .map(Some)
        .collect();
    let index: HashMap<Uuid, usize> = old
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.as_ref().map(|e| (e.id, i)))
        .collect();
    let entries = vault
        .entries
        .iter()
        .map(|e| match index.get(&e.id).and_then(|&i| old[i].take()) {
            Some(kept) if kept == *e => kept,
            _ => e.clone(),
        })
        .collect();
    // Every field named, so that a new one is not forgotten here.
    *last = Vault {
        settings: vault.settings.clone(),
        settings_modified_at: vault.settings_modified_at,
        entries,
        trash: vault.trash.clone(),
        tombstones: vault.tombstones.clone(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, Entry};
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, h, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn only_changed_entries_are_stamped() {
        let mut v = Vault::default();
        for n in ["a", "b"] {
            v.add(Entry::new(
                n,
                Credential::Token { token: "t".into() },
                at(1),
            ))
            .expect("add");
        }
        let loaded = v.clone();
        v.get_mut("b").expect("b").notes = "changed".into();
        v.add(Entry::new(
            "c",
            Credential::Token { token: "t".into() },
            at(1),
        ))
        .expect("add");
        stamp(&loaded, &mut v, at(5));
        assert_eq!(v.get("a").expect("a").modified_at, None);
        assert_eq!(v.get("b").expect("b").modified_at, Some(at(5)));
        assert_eq!(v.get("c").expect("c").modified_at, Some(at(5)));
        assert_eq!(v.settings_modified_at, None);
        // A stale copy (made before that save) saved later keeps b's stamp.
        let saved = v.clone();
        let mut stale = v.clone();
        stale.get_mut("b").expect("b").modified_at = None;
        stamp(&saved, &mut stale, at(9));
        assert_eq!(stale.get("b").expect("b").modified_at, Some(at(5)));
        stale.settings.clipboard_seconds = 3;
        stamp(&saved, &mut stale, at(10));
        assert_eq!(stale.settings_modified_at, Some(at(10)));
    }

    #[test]
    fn the_copy_kept_as_saved_equals_the_vault_saved() {
        let mut v = Vault::default();
        for n in ["a", "b", "c", "d"] {
            v.add(Entry::new(
                n,
                Credential::Token { token: "t".into() },
                at(1),
            ))
            .expect("add");
        }
        let mut last = v.clone();
        // A changed entry, a removed one, a new one, a new order, new settings.
        v.get_mut("b").expect("b").notes = "changed".into();
        v.get_mut("c").expect("c").modified_at = Some(at(3));
        v.entries.retain(|e| e.name != "d");
        v.add(Entry::new(
            "e",
            Credential::Token { token: "u".into() },
            at(2),
        ))
        .expect("add");
        v.entries.swap(0, 2);
        v.settings.clipboard_seconds = 7;
        v.settings_modified_at = Some(at(4));
        v.tombstones.push(crate::vault::Tombstone {
            id: uuid::Uuid::new_v4(),
            deleted_at: at(4),
        });
        keep_as_saved(&mut last, &v);
        assert_eq!(last, v);
        keep_as_saved(&mut last, &Vault::default());
        assert_eq!(last, Vault::default());
    }
}
