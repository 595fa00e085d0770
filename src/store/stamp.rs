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
pub(crate) fn stamp(last: &Vault, vault: &mut Vault, now: DateTime<Utc>) -> Stamped {
    let count = vault.entries.len();
    let equal = if count >= PARALLEL_FROM {
        // Comparing 10 000 entries is a tenth of such a save: each half on its own thread.
        let (first, second) = vault.entries.split_at_mut(count / 2);
        let offset = first.len();
        let (mut equal, rest) = super::halves::run_both(
            "keyward-stamp",
            || stamp_entries(last, first, 0, now),
            || stamp_entries(last, second, offset, now),
        );
        equal.extend(rest);
        equal
    } else {
        stamp_entries(last, &mut vault.entries, 0, now)
    };
    if vault.settings == last.settings {
        vault.settings_modified_at = vault.settings_modified_at.max(last.settings_modified_at);
    } else {
        vault.settings_modified_at = Some(now);
    }
    Stamped { equal }
}

/// From this many entries [`stamp`] compares them on two threads.
const PARALLEL_FROM: usize = 2048;

/// [`stamp`] for `entries`, which start at position `offset` of the vault: for each, the
/// position in `last` of an entry equal to it after the stamping, if any.
fn stamp_entries(
    last: &Vault,
    entries: &mut [Entry],
    offset: usize,
    now: DateTime<Utc>,
) -> Vec<Option<usize>> {
    let mut index = Positions::new(&last.entries);
    let mut equal = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter_mut().enumerate() {
        let found = index.find(offset + i, e.id);
        match found.map(|j| &last.entries[j]) {
            Some(old) if same_content(e, old) => {
                e.modified_at = e.modified_at.max(old.modified_at);
                // Same content and now the same stamp: equal to the old version.
                equal.push(found.filter(|_| e.modified_at == old.modified_at));
            }
            _ => {
                e.modified_at = Some(now.max(e.modified_at.unwrap_or(now)));
                equal.push(None);
            }
        }
    }
    equal
}

/// What [`stamp`] found: for each entry of the vault it stamped, the position in `last` of
/// an entry equal to it (after the stamping), if any. [`keep_as_saved`] reuses those
/// entries without comparing them again. Valid only while the stamped vault is unchanged.
pub(crate) struct Stamped {
    equal: Vec<Option<usize>>,
}

/// Makes `last` equal to `vault` (the vault as just saved, the base of a later merge),
/// reusing every entry of `last` that [`stamp`] found equal to its version in `vault` and
/// cloning only the others. A save that changed one key of 10 000 then copies one entry, not 10 000
/// (each a dozen allocations, its secrets in locked memory); entries no longer in `vault`
/// are dropped, which wipes their secrets.
pub(crate) fn keep_as_saved(last: &mut Vault, vault: &Vault, stamped: Stamped) {
    let in_place = last.entries.len() == vault.entries.len()
        && stamped.equal.len() == vault.entries.len()
        && stamped
            .equal
            .iter()
            .enumerate()
            .all(|(i, j)| j.is_none_or(|j| j == i));
    let entries = if in_place {
        // The usual save: no entry moved. Replace the changed ones where they are; moving
        // 10 000 entries out and back (5 MB each way) would cost more than the comparison.
        let mut entries = std::mem::take(&mut last.entries);
        for (i, (kept, e)) in entries.iter_mut().zip(&vault.entries).enumerate() {
            match stamped.equal[i] {
                // The id check costs nothing and guards a `stamped` from another vault.
                Some(_) if kept.id == e.id => debug_assert!(*kept == *e, "stamp found these equal"),
                _ => *kept = e.clone(),
            }
        }
        entries
    } else {
        moved_as_saved(last, vault, stamped)
    };
    // Every field named, so that a new one is not forgotten here.
    *last = Vault {
        settings: vault.settings.clone(),
        settings_modified_at: vault.settings_modified_at,
        entries,
        trash: vault.trash.clone(),
        tombstones: vault.tombstones.clone(),
    };
}

/// The entries of [`keep_as_saved`] when some entry moved: each found equal is taken from
/// its old position, the others cloned.
fn moved_as_saved(last: &mut Vault, vault: &Vault, stamped: Stamped) -> Vec<Entry> {
    let mut old: Vec<Option<Entry>> = std::mem::take(&mut last.entries)
        .into_iter()
        .map(Some)
        .collect();
    let mut equal = stamped.equal.into_iter();
    vault
        .entries
        .iter()
        .map(|e| {
            let kept = equal.next().flatten().and_then(|j| old.get_mut(j)?.take());
            // The id check costs nothing and guards a `stamped` from another vault.
            match kept {
                Some(kept) if kept.id == e.id => {
                    debug_assert!(kept == *e, "stamp found these equal");
                    kept
                }
                _ => e.clone(),
            }
        })
        .collect()
}

/// Where an entry of one vault is in another, by id. An entry is nearly always where it was
/// (a save changes a few keys, not their order), so the same position is tried first and the
/// map by id is built only when some entry moved: a save of 10 000 keys then hashes nothing.
struct Positions<'a> {
    entries: &'a [Entry],
    by_id: Option<HashMap<Uuid, usize>>,
}

impl<'a> Positions<'a> {
    fn new(entries: &'a [Entry]) -> Self {
        Positions {
            entries,
            by_id: None,
        }
    }

    /// The position in `entries` of the entry with `id`, trying `guess` first.
    fn find(&mut self, guess: usize, id: Uuid) -> Option<usize> {
        if self.entries.get(guess).is_some_and(|e| e.id == id) {
            return Some(guess);
        }
        let entries = self.entries;
        let by_id = self
            .by_id
            .get_or_insert_with(|| entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect());
        by_id.get(&id).copied()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::vault::{Credential, Entry};
    use chrono::TimeZone;

    /// Hour `h` of a fixed day (store's unit tests share it).
    pub(in crate::store) fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, h, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn only_changed_entries_are_stamped() {
        let mut v = tokens(&["a", "b"]);
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

    /// A vault of token keys with these names, created at hour 1.
    fn tokens(names: &[&str]) -> Vault {
        let mut v = Vault::default();
        for n in names {
            v.add(Entry::new(
                *n,
                Credential::Token { token: "t".into() },
                at(1),
            ))
            .expect("add");
        }
        v
    }

    /// Where an entry's secret lies: the same after a move, another place for a clone (a
    /// short name is held inline, so its address moves with the entry).
    fn identity(e: &Entry) -> *const u8 {
        e.credential.primary_secret().expose().as_ptr()
    }

    #[test]
    fn the_copy_kept_as_saved_equals_the_vault_saved() {
        let mut v = tokens(&["a", "b", "c", "d"]);
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
        // "a" stays equal and in place; it must be moved over, not cloned.
        let a_name = identity(last.get("a").expect("a"));
        let stamped = stamp(&last, &mut v, at(6));
        keep_as_saved(&mut last, &v, stamped);
        assert_eq!(last, v);
        assert_eq!(identity(last.get("a").expect("a")), a_name, "a was reused");
        assert_eq!(last.get("b").expect("b").modified_at, Some(at(6)));
        let mut empty = Vault::default();
        let stamped = stamp(&last, &mut empty, at(7));
        keep_as_saved(&mut last, &empty, stamped);
        assert_eq!(last, empty);
        assert!(last.entries.is_empty());
    }

    #[test]
    fn a_save_that_moved_nothing_keeps_the_unchanged_entries_in_place() {
        let mut v = tokens(&["a", "b", "c"]);
        let mut last = v.clone();
        v.get_mut("b").expect("b").notes = "changed".into();
        let kept: Vec<_> = last.entries.iter().map(identity).collect();
        let stamped = stamp(&last, &mut v, at(6));
        keep_as_saved(&mut last, &v, stamped);
        assert_eq!(last, v);
        let now: Vec<_> = last.entries.iter().map(identity).collect();
        assert_eq!(
            (now[0], now[2]),
            (kept[0], kept[2]),
            "a and c reused where they were"
        );
        assert_ne!(now[1], kept[1], "b is the new version");
        assert_eq!(last.get("b").expect("b").notes, "changed");
        assert_eq!(last.get("b").expect("b").modified_at, Some(at(6)));
    }

    #[test]
    fn a_large_vault_is_stamped_on_two_threads_as_on_one() {
        let mut v = Vault::default();
        for i in 0..PARALLEL_FROM + 5 {
            v.entries.push(Entry::new(
                format!("k{i}"),
                Credential::Token { token: "t".into() },
                at(1),
            ));
        }
        let last = v.clone();
        // Changed in each half, one moved from the second half to the first, one new.
        v.entries[3].notes = "changed".into();
        v.entries[PARALLEL_FROM].notes = "changed".into();
        let moved = v.entries.remove(PARALLEL_FROM + 2);
        v.entries.insert(1, moved);
        v.entries.push(Entry::new(
            "new",
            Credential::Token { token: "u".into() },
            at(2),
        ));
        let stamped = stamp(&last, &mut v, at(6));
        let changed: Vec<&str> = v
            .entries
            .iter()
            .filter(|e| e.modified_at == Some(at(6)))
            .map(|e| e.name.as_str())
            .collect();
        let in_second = format!("k{PARALLEL_FROM}");
        assert_eq!(changed, ["k3", in_second.as_str(), "new"]);
        let moved_to = stamped.equal[1].expect("the moved entry is found equal");
        assert_eq!(
            last.entries[moved_to].name,
            format!("k{}", PARALLEL_FROM + 2)
        );
        let mut kept = last.clone();
        keep_as_saved(&mut kept, &v, stamped);
        assert_eq!(kept, v);
    }
}
