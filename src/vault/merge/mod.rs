//! Merging two versions of one vault, so that no change is lost where they meet: another
//! writer on the same file, a sync conflict copy, a vault from a second machine.
//!
//! Entries are matched by id. With the common base known (the app keeps the version it
//! loaded) the merge is three-way: a field changed on one side only takes that side's value,
//! a field changed on both sides to different values is a [`Conflict`] resolved to the newer
//! side. Without a base it is two-way: where the sides differ the newer one (by
//! [`Entry::last_change`]) wins and the difference is reported as a conflict.
//!
//! Whatever the outcome, no secret is lost: a secret that does not survive as a current value
//! is kept in the entry's history. Deleted keys go to the trash; a purged key leaves a
//! tombstone, so an older copy cannot bring it back — unless that copy changed the key after
//! it was purged, in which case the edit wins and is reported (delete versus edit keeps the
//! edit). Name clashes between different keys get a suffix.

mod entry;
mod resolve;
mod settings;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Entry, Tombstone, TrashedEntry, Vault};

pub use entry::merge_entry;
pub use resolve::{ResolveError, Resolved, resolve_conflict};

/// Which of the two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The vault being merged into (the open one).
    Ours,
    /// The other version (on disk, a conflict copy, another vault).
    Theirs,
}

/// A value as a conflict shows it: text, or a masked secret (the losing secret itself is in
/// the entry's history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// A public value, as text.
    Text(String),
    /// A secret value; never shown in a report.
    Secret,
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shown::Text(t) if t.is_empty() => f.write_str("(empty)"),
            Shown::Text(t) => f.write_str(t),
            Shown::Secret => f.write_str("••••••"),
        }
    }
}

/// One field that both sides changed to different values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The entry's id.
    pub entry_id: Uuid,
    /// The entry's name in the merged vault.
    pub entry: String,
    /// The field, as `keyward edit` and the detail view name it ("notes", "secret", …).
    pub field: &'static str,
    /// For a conflict in a custom field: its name.
    pub custom: Option<String>,
    /// Whose value the merge kept.
    pub kept: Side,
    /// Our value.
    pub ours: Shown,
    /// Their value.
    pub theirs: Shown,
    /// True when the common base was known, so both sides really changed the field; false for
    /// a two-way merge, where only the newer side is known.
    pub both_changed: bool,
    /// The entry as the side whose value the merge did not keep had it: where
    /// [`resolve_conflict`] takes that value from when the user chooses it.
    pub losing: Box<Entry>,
}

impl Conflict {
    /// The field in words: "secret", "notes", "custom field 'Account'".
    pub fn field_label(&self) -> String {
        match &self.custom {
            Some(name) => format!("{} '{name}'", self.field),
            None => self.field.to_owned(),
        }
    }

    /// The value the merge kept, as shown.
    pub fn kept_value(&self) -> &Shown {
        match self.kept {
            Side::Ours => &self.ours,
            Side::Theirs => &self.theirs,
        }
    }
}

/// What a merge took from the other side, in words a report can print.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Keys only the other side had.
    pub added: Vec<String>,
    /// Keys the other side changed.
    pub changed: Vec<String>,
    /// Keys the other side deleted (now in the trash).
    pub trashed: Vec<String>,
    /// Keys the other side purged for good.
    pub purged: Vec<String>,
    /// Keys deleted on one side and changed on the other: kept, with the change.
    pub kept_edited: Vec<String>,
    /// Keys renamed because another key already had the name: (before, after).
    pub renamed: Vec<(String, String)>,
    /// Fields changed on both sides.
    pub conflicts: Vec<Conflict>,
    /// The vault settings took a value from the other side.
    pub settings_changed: bool,
}

impl MergeReport {
    /// True when the merge took nothing from the other side.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.trashed.is_empty()
            && self.purged.is_empty()
            && self.kept_edited.is_empty()
            && self.renamed.is_empty()
            && self.conflicts.is_empty()
            && !self.settings_changed
    }

    /// How many keys the other side added, changed or deleted.
    pub fn keys_affected(&self) -> usize {
        self.added.len()
            + self.changed.len()
            + self.trashed.len()
            + self.purged.len()
            + self.kept_edited.len()
    }

    /// One phrase for a status line: how many keys changed by `by` (e.g. "another program")
    /// were merged, the settings, and how many fields both sides changed.
    pub fn summary(&self, by: &str) -> String {
        let keys = self.keys_affected();
        let mut text = match keys {
            0 => "nothing".to_owned(),
            1 => "1 key".to_owned(),
            n => format!("{n} keys"),
        };
        if self.settings_changed {
            text = if keys == 0 {
                "the settings".to_owned()
            } else {
                format!("{text} and the settings")
            };
        }
        let verb = if keys == 1 && !self.settings_changed {
            "was"
        } else {
            "were"
        };
        text = format!("{text} changed by {by} {verb} merged");
        match self.conflicts.len() {
            0 => {}
            1 => text.push_str("; 1 field was changed on both sides"),
            n => text.push_str(&format!("; {n} fields were changed on both sides")),
        }
        text
    }

    /// One line per fact, for the CLI and the app's status: what was added, changed, deleted,
    /// kept and renamed, then each conflict with both values (secrets masked).
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let list = |label: &str, names: &[String], out: &mut Vec<String>| {
            if !names.is_empty() {
                out.push(format!("{label}: {}", names.join(", ")));
            }
        };
        list("added", &self.added, &mut out);
        list("changed", &self.changed, &mut out);
        list("moved to the trash", &self.trashed, &mut out);
        list("purged", &self.purged, &mut out);
        list(
            "deleted on one side but changed on the other, kept",
            &self.kept_edited,
            &mut out,
        );
        for (from, to) in &self.renamed {
            out.push(format!("renamed '{from}' to '{to}': the name was taken"));
        }
        if self.settings_changed {
            out.push("settings: took the other side's changes".to_owned());
        }
        for c in &self.conflicts {
            let kept = match c.kept {
                Side::Ours => "kept this side's",
                Side::Theirs => "kept the other side's",
            };
            let lost = match c.kept {
                Side::Ours => &c.theirs,
                Side::Theirs => &c.ours,
            };
            let whereabouts = if matches!(lost, Shown::Secret) {
                " (the other secret is in the key's history)".to_owned()
            } else {
                format!("; the other value was: {lost}")
            };
            out.push(format!(
                "conflict in '{}' {}: {kept} (newer){whereabouts}",
                c.entry,
                c.field_label()
            ));
        }
        out
    }
}

/// The result of a merge: the merged vault and what it took from the other side.
#[derive(Debug)]
pub struct Merged {
    /// The merged vault.
    pub vault: Vault,
    /// What came from the other side.
    pub report: MergeReport,
}

/// Where an entry is in one version of the vault.
#[derive(Clone, Copy)]
enum Presence<'a> {
    Live(&'a Entry),
    Trashed(&'a TrashedEntry),
    Purged(DateTime<Utc>),
    Absent,
}

fn presences(v: &Vault) -> HashMap<Uuid, Presence<'_>> {
    let mut map = HashMap::new();
    for t in &v.tombstones {
        map.insert(t.id, Presence::Purged(t.deleted_at));
    }
    for t in &v.trash {
        map.insert(t.entry.id, Presence::Trashed(t));
    }
    for e in &v.entries {
        map.insert(e.id, Presence::Live(e));
    }
    map
}

/// Every id of `v`, live entries first, in the vault's order.
fn ids_in_order(v: &Vault) -> impl Iterator<Item = Uuid> + '_ {
    v.entries
        .iter()
        .map(|e| e.id)
        .chain(v.trash.iter().map(|t| t.entry.id))
        .chain(v.tombstones.iter().map(|t| t.id))
}

/// What becomes of one entry.
enum Outcome {
    Live(Entry),
    Trashed(TrashedEntry),
    Purged(DateTime<Utc>),
}

/// Merges `theirs` into `ours`; `base` is the version both came from, when known.
pub fn merge(ours: &Vault, theirs: &Vault, base: Option<&Vault>) -> Merged {
    let (a, b) = (presences(ours), presences(theirs));
    let base_map = base.map(presences);
    let mut report = MergeReport::default();
    let mut seen = HashSet::new();
    let mut result = Vault {
        settings: ours.settings.clone(),
        settings_modified_at: ours.settings_modified_at,
        ..Vault::default()
    };
    for id in ids_in_order(ours).chain(ids_in_order(theirs)) {
        if !seen.insert(id) {
            continue;
        }
        let pa = a.get(&id).copied().unwrap_or(Presence::Absent);
        let pb = b.get(&id).copied().unwrap_or(Presence::Absent);
        let pbase = base_map
            .as_ref()
            .map(|m| m.get(&id).copied().unwrap_or(Presence::Absent));
        let base_live = match pbase {
            Some(Presence::Live(e)) => Some(e),
            _ => None,
        };
        match resolve(pa, pb, base_live, base.is_some(), &mut report) {
            Some(Outcome::Live(e)) => result.entries.push(e),
            Some(Outcome::Trashed(t)) => result.trash.push(t),
            Some(Outcome::Purged(at)) => result.tombstones.push(Tombstone { id, deleted_at: at }),
            None => {}
        }
    }
    settings::merge_settings(ours, theirs, base, &mut result, &mut report);
    resolve_name_clashes(&mut result, &mut report);
    Merged {
        vault: result,
        report,
    }
}

/// True when two versions of an entry are equal apart from when they were last stamped.
pub fn same_content(x: &Entry, y: &Entry) -> bool {
    if x.modified_at == y.modified_at {
        return x == y;
    }
    x.id == y.id && {
        let mut x = x.clone();
        x.modified_at = y.modified_at;
        x == *y
    }
}

fn resolve(
    pa: Presence<'_>,
    pb: Presence<'_>,
    base: Option<&Entry>,
    three_way: bool,
    report: &mut MergeReport,
) -> Option<Outcome> {
    use Presence::*;
    // A base that is not a live entry gives no field-level information.
    let field_base = base.filter(|_| three_way);
    Some(match (pa, pb) {
        (Live(x), Live(y)) => {
            let merged = merge_entry(x, y, field_base);
            if merged.theirs_contributed {
                report.changed.push(merged.entry.name.to_string());
            }
            report.conflicts.extend(merged.conflicts);
            Outcome::Live(merged.entry)
        }
        (Live(x), Absent) => Outcome::Live(x.clone()),
        (Absent, Live(y)) => {
            report.added.push(y.name.to_string());
            Outcome::Live(y.clone())
        }
        (Live(x), Trashed(t)) | (Trashed(t), Live(x)) => {
            let ours_live = matches!(pa, Live(_));
            let live_unchanged = match field_base {
                Some(b) => same_content(x, b),
                None => x.last_change() <= t.deleted_at,
            };
            // Both versions are merged either way, so neither side's secrets are lost.
            let (mine, other) = if ours_live {
                (x, &t.entry)
            } else {
                (&t.entry, x)
            };
            let merged = merge_entry(mine, other, field_base).entry;
            if live_unchanged {
                if ours_live {
                    report.trashed.push(x.name.to_string());
                }
                Outcome::Trashed(TrashedEntry {
                    deleted_at: t.deleted_at,
                    entry: merged,
                })
            } else {
                report.kept_edited.push(merged.name.to_string());
                Outcome::Live(merged)
            }
        }
        (Live(x), Purged(at)) | (Purged(at), Live(x)) => {
            let ours_live = matches!(pa, Live(_));
            let live_unchanged = match field_base {
                Some(b) => same_content(x, b),
                None => x.last_change() <= at,
            };
            if live_unchanged {
                if ours_live {
                    report.purged.push(x.name.to_string());
                }
                Outcome::Purged(at)
            } else {
                report.kept_edited.push(x.name.to_string());
                Outcome::Live(x.clone())
            }
        }
        (Trashed(s), Trashed(t)) => {
            let merged = merge_entry(&s.entry, &t.entry, None).entry;
            Outcome::Trashed(TrashedEntry {
                deleted_at: s.deleted_at.max(t.deleted_at),
                entry: merged,
            })
        }
        (Trashed(t), Absent) | (Absent, Trashed(t)) => Outcome::Trashed(t.clone()),
        (Trashed(_), Purged(at)) | (Purged(at), Trashed(_)) | (Purged(at), Absent) => {
            Outcome::Purged(at)
        }
        (Absent, Purged(at)) => Outcome::Purged(at),
        (Purged(x), Purged(y)) => Outcome::Purged(x.max(y)),
        // Every id comes from one of the two vaults.
        (Absent, Absent) => return None,
    })
}

/// Gives every live key a unique name: the first in vault order keeps it (ours come first),
/// later ones get a suffix.
fn resolve_name_clashes(v: &mut Vault, report: &mut MergeReport) {
    let mut taken: HashSet<String> = HashSet::new();
    let all: HashSet<String> = v.entries.iter().map(|e| e.name.to_string()).collect();
    for i in 0..v.entries.len() {
        let name = v.entries[i].name.to_string();
        if taken.insert(name.clone()) {
            continue;
        }
        let free = (1..)
            .map(|n| {
                if n == 1 {
                    format!("{name} (merged)")
                } else {
                    format!("{name} (merged {n})")
                }
            })
            .find(|c| !taken.contains(c) && !all.contains(c))
            .unwrap_or_else(|| format!("{name} ({})", v.entries[i].id));
        taken.insert(free.clone());
        v.entries[i].name = free.as_str().into();
        report.renamed.push((name, free));
    }
}

#[cfg(test)]
mod tests;
