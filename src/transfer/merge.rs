//! Planning an import into a vault: which entries are added, and what happens to names that
//! are already taken (by the vault or by an earlier entry of the same file).

use std::fmt;
use std::str::FromStr;

use crate::vault::{Entry, UnknownName, Vault, VaultError};

/// What to do with an imported entry whose name is taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClashRule {
    /// Import nothing and list the clashes (the default: the user decides).
    #[default]
    Refuse,
    /// Keep the existing entry; the imported one is left out.
    Skip,
    /// Import under a free name ("name (copy)", "name (copy 2)", …).
    Rename,
    /// Replace the existing entry (keeping its identity) with the imported one.
    Replace,
}

impl FromStr for ClashRule {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "refuse" | "fail" => Ok(ClashRule::Refuse),
            "skip" => Ok(ClashRule::Skip),
            "rename" => Ok(ClashRule::Rename),
            "replace" | "overwrite" => Ok(ClashRule::Replace),
            _ => Err(UnknownName::new("clash rule", s, "skip, rename or replace")),
        }
    }
}

/// What the import does with one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportAction {
    /// Added under its own name.
    Add,
    /// Added under a new name because its own was taken.
    Rename {
        /// The name it had in the file.
        from: String,
    },
    /// Replaces the existing entry of the same name.
    Replace,
    /// Left out because the name is taken.
    Skip,
    /// The name is taken and the rule is [`ClashRule::Refuse`].
    Clash,
}

impl fmt::Display for ImportAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportAction::Add => f.write_str("add"),
            ImportAction::Rename { .. } => f.write_str("rename"),
            ImportAction::Replace => f.write_str("replace"),
            ImportAction::Skip => f.write_str("skip"),
            ImportAction::Clash => f.write_str("clash"),
        }
    }
}

/// One entry of the plan.
#[derive(Clone, Debug)]
pub struct PlannedEntry {
    /// The entry as it will be stored (already renamed for [`ImportAction::Rename`]).
    pub entry: Entry,
    /// What happens to it.
    pub action: ImportAction,
}

/// The result of planning: the vault as it would be after the import, and what happened to
/// each entry.
#[derive(Debug)]
pub struct ImportPlan {
    /// The vault with the import applied (equal to the input when there are clashes under
    /// [`ClashRule::Refuse`]).
    pub vault: Vault,
    /// Every imported entry with its action, in file order.
    pub entries: Vec<PlannedEntry>,
}

impl ImportPlan {
    /// The names that clash under [`ClashRule::Refuse`].
    pub fn clashes(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|p| p.action == ImportAction::Clash)
            .map(|p| p.entry.name.as_str())
            .collect()
    }
}

/// How many entries an import adds, renames, replaces and leaves out: the one count the
/// app's preview and `keyward import` both show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Added under their own names.
    pub added: usize,
    /// Added under a new name.
    pub renamed: usize,
    /// Replacing an existing entry.
    pub replaced: usize,
    /// Left out under [`ClashRule::Skip`].
    pub skipped: usize,
    /// Names taken under [`ClashRule::Refuse`]: while there are any, nothing is imported.
    pub clashes: usize,
}

impl ImportSummary {
    /// How many entries the import stores (added, renamed or replacing), once nothing clashes.
    pub fn stored(&self) -> usize {
        self.added + self.renamed + self.replaced
    }
}

impl fmt::Display for ImportSummary {
    /// "3 new, 1 renamed, 0 replaced, 2 skipped", then ", 2 name(s) taken" when any clash.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} new, {} renamed, {} replaced, {} skipped",
            self.added, self.renamed, self.replaced, self.skipped
        )?;
        if self.clashes > 0 {
            write!(f, ", {} name(s) taken", self.clashes)?;
        }
        Ok(())
    }
}

impl ImportPlan {
    /// The counts of each action. A clash is counted as a clash, not as skipped: under
    /// [`ClashRule::Refuse`] it stops the whole import until the user picks a rule.
    pub fn summary(&self) -> ImportSummary {
        let mut s = ImportSummary::default();
        for p in &self.entries {
            match p.action {
                ImportAction::Add => s.added += 1,
                ImportAction::Rename { .. } => s.renamed += 1,
                ImportAction::Replace => s.replaced += 1,
                ImportAction::Skip => s.skipped += 1,
                ImportAction::Clash => s.clashes += 1,
            }
        }
        s
    }
}

/// Applies `entries` to a copy of `vault` under `rule`. Entries are taken in order, so a name
/// repeated inside the file clashes with its first occurrence. With [`ClashRule::Refuse`]
/// and any clash, the returned vault is unchanged.
pub fn plan_import(
    vault: &Vault,
    entries: Vec<Entry>,
    rule: ClashRule,
) -> Result<ImportPlan, VaultError> {
    let mut result = vault.clone();
    let mut planned = Vec::with_capacity(entries.len());
    for mut entry in entries {
        let action = match result.get(&entry.name) {
            None => ImportAction::Add,
            Some(existing) => match rule {
                ClashRule::Refuse => ImportAction::Clash,
                ClashRule::Skip => ImportAction::Skip,
                ClashRule::Rename => {
                    let free = result.unused_name(&existing.name).into();
                    let from = std::mem::replace(&mut entry.name, free).to_string();
                    ImportAction::Rename { from }
                }
                ClashRule::Replace => {
                    entry.id = existing.id;
                    ImportAction::Replace
                }
            },
        };
        match action {
            ImportAction::Add | ImportAction::Rename { .. } => result.add(entry.clone())?,
            ImportAction::Replace => result.update(entry.clone())?,
            ImportAction::Skip | ImportAction::Clash => {}
        }
        planned.push(PlannedEntry { entry, action });
    }
    let plan = ImportPlan {
        vault: result,
        entries: planned,
    };
    if !plan.clashes().is_empty() {
        return Ok(ImportPlan {
            vault: vault.clone(),
            entries: plan.entries,
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Credential;
    use chrono::{TimeZone, Utc};

    fn entry(name: &str, token: &str) -> Entry {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        Entry::new(
            name,
            Credential::Token {
                token: token.into(),
            },
            now,
        )
    }

    fn vault() -> Vault {
        let mut v = Vault::default();
        v.add(entry("a", "old")).expect("add");
        v
    }

    fn token(v: &Vault, name: &str) -> Option<String> {
        v.get(name)
            .map(|e| e.credential.primary_secret().expose().to_owned())
    }

    #[test]
    fn each_rule() {
        let incoming = || vec![entry("a", "new"), entry("b", "b1"), entry("b", "b2")];
        let base = vault();
        let refuse = plan_import(&base, incoming(), ClashRule::Refuse).expect("plan");
        assert_eq!(refuse.clashes(), vec!["a", "b"], "a is taken; b repeats");
        assert_eq!(refuse.vault, base, "nothing applied on refusal");

        let skip = plan_import(&vault(), incoming(), ClashRule::Skip).expect("plan");
        assert_eq!(token(&skip.vault, "a").as_deref(), Some("old"));
        assert_eq!(token(&skip.vault, "b").as_deref(), Some("b1"));
        assert_eq!(skip.summary().skipped, 2);

        let rename = plan_import(&vault(), incoming(), ClashRule::Rename).expect("plan");
        assert_eq!(token(&rename.vault, "a (copy)").as_deref(), Some("new"));
        assert_eq!(token(&rename.vault, "b (copy)").as_deref(), Some("b2"));
        assert_eq!(rename.vault.entries.len(), 4);

        let old_id = base.entries[0].id;
        let replace = plan_import(&base, incoming(), ClashRule::Replace).expect("plan");
        assert_eq!(token(&replace.vault, "a").as_deref(), Some("new"));
        assert_eq!(replace.vault.get("a").map(|e| e.id), Some(old_id));
        assert_eq!(token(&replace.vault, "b").as_deref(), Some("b2"));
        assert_eq!(replace.vault.entries.len(), 2);
    }

    #[test]
    fn the_summary_counts_clashes_apart_from_skips() {
        let incoming = || vec![entry("a", "new"), entry("b", "b1"), entry("b", "b2")];
        let refuse = plan_import(&vault(), incoming(), ClashRule::Refuse).expect("plan");
        let summary = refuse.summary();
        assert_eq!((summary.added, summary.skipped, summary.clashes), (1, 0, 2));
        assert_eq!(
            summary.to_string(),
            "1 new, 0 renamed, 0 replaced, 0 skipped, 2 name(s) taken"
        );
        let skip = plan_import(&vault(), incoming(), ClashRule::Skip).expect("plan");
        assert_eq!(
            skip.summary().to_string(),
            "1 new, 0 renamed, 0 replaced, 2 skipped"
        );
        assert_eq!(skip.summary().stored(), 1);
        let rename = plan_import(&vault(), incoming(), ClashRule::Rename).expect("plan");
        assert_eq!(rename.summary().stored(), 3);
        assert_eq!(rename.summary().renamed, 2);
    }
}
