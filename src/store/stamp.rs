//! Stamping `modified_at`: every save records when each entry (and the settings) last
//! changed, so that a merge without a common base can tell the newer version. Nobody has to
//! remember to stamp: the save compares each entry with the version last read or written.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::vault::Vault;
use crate::vault::merge::same_content;

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
}
