use chrono::{Duration, TimeZone};
use proptest::prelude::*;

use super::*;
use crate::secret::SecretString;
use crate::vault::{Credential, Entry, Field, Status};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("date")
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

fn token(name: &str, value: &str) -> Entry {
    Entry::new(
        name,
        Credential::Token {
            token: value.into(),
        },
        t0(),
    )
}

fn shared(name: &str, key: &str, secret: &str) -> Entry {
    Entry::new(
        name,
        Credential::SharedSecret {
            key_id: key.into(),
            secret: secret.into(),
            passphrase: None,
        },
        t0(),
    )
}

fn base_vault() -> Vault {
    let mut v = Vault::default();
    v.add(shared("binance", "K0", "S0")).expect("add");
    v.add(token("github", "ghp_0")).expect("add");
    v
}

/// Every secret value a vault holds for entry `id`: current parts, history, trash.
fn secrets_of(v: &Vault, id: Uuid) -> HashSet<String> {
    let entries = v
        .entries
        .iter()
        .chain(v.trash.iter().map(|t| &t.entry))
        .filter(|e| e.id == id);
    let mut out = HashSet::new();
    for e in entries {
        for (_, s) in e.credential.secrets() {
            out.insert(s.expose().to_owned());
        }
        for h in &e.history {
            out.insert(h.value.expose().to_owned());
        }
    }
    out
}

fn all_ids(v: &Vault) -> HashSet<Uuid> {
    ids_in_order(v).collect()
}

fn edit(v: &mut Vault, name: &str, now: DateTime<Utc>, f: impl FnOnce(&mut Entry)) {
    let e = v.require_mut(name).expect("entry");
    f(e);
    e.modified_at = Some(now);
}

#[test]
fn a_field_changed_on_one_side_takes_that_side() {
    let base = base_vault();
    let mut ours = base.clone();
    let mut theirs = base.clone();
    edit(&mut ours, "binance", at(1), |e| e.notes = "ours".into());
    edit(&mut theirs, "binance", at(2), |e| e.purpose = "bot".into());
    let m = merge(&ours, &theirs, Some(&base));
    let e = m.vault.get("binance").expect("binance");
    assert_eq!((e.notes.as_str(), e.purpose.as_str()), ("ours", "bot"));
    assert!(m.report.conflicts.is_empty(), "{:?}", m.report.conflicts);
    assert_eq!(m.report.changed, vec!["binance".to_owned()]);
}

#[test]
fn a_field_changed_on_both_sides_is_a_conflict_resolved_to_the_newer() {
    let base = base_vault();
    let mut ours = base.clone();
    let mut theirs = base.clone();
    edit(&mut ours, "binance", at(5), |e| e.notes = "ours".into());
    edit(&mut theirs, "binance", at(2), |e| e.notes = "theirs".into());
    let m = merge(&ours, &theirs, Some(&base));
    assert_eq!(m.vault.get("binance").expect("b").notes, "ours");
    let c = &m.report.conflicts[0];
    assert_eq!(
        (c.field, c.kept, c.both_changed),
        ("notes", Side::Ours, true)
    );
    assert_eq!(c.theirs, Shown::Text("theirs".into()));
    let line = m.report.lines().join("\n");
    assert!(line.contains("the other value was: theirs"), "{line}");
}

#[test]
fn both_rotated_keeps_the_newer_secret_and_the_other_in_history() {
    let base = base_vault();
    let mut ours = base.clone();
    let mut theirs = base.clone();
    edit(&mut ours, "binance", at(3), |e| {
        e.rotate("S-ours".into(), None, at(3))
    });
    edit(&mut theirs, "binance", at(4), |e| {
        e.rotate("S-theirs".into(), None, at(4))
    });
    for m in [
        merge(&ours, &theirs, Some(&base)),
        merge(&ours, &theirs, None),
    ] {
        let e = m.vault.get("binance").expect("b");
        assert_eq!(e.credential.primary_secret().expose(), "S-theirs");
        let history: Vec<&str> = e.history.iter().map(|h| h.value.expose()).collect();
        assert!(
            history.contains(&"S0") && history.contains(&"S-ours"),
            "{history:?}"
        );
        assert_eq!(e.rotated_at, Some(at(4)));
        let secret = m.report.conflicts.iter().find(|c| c.field == "secret");
        assert_eq!(secret.map(|c| &c.ours), Some(&Shown::Secret));
        let text = m.report.lines().join("\n");
        assert!(
            !text.contains("S-ours") && !text.contains("S-theirs"),
            "{text}"
        );
    }
}

#[test]
fn tags_added_and_removed_on_both_sides_all_apply() {
    let mut base = base_vault();
    edit(&mut base, "github", at(0), |e| e.set_tags(["ci", "old"]));
    let mut ours = base.clone();
    let mut theirs = base.clone();
    edit(&mut ours, "github", at(1), |e| {
        e.set_tags(["ci", "old", "deploy"])
    });
    edit(&mut theirs, "github", at(2), |e| e.set_tags(["ci"]));
    let m = merge(&ours, &theirs, Some(&base));
    assert_eq!(m.vault.get("github").expect("g").tags, vec!["ci", "deploy"]);
    assert!(m.report.conflicts.is_empty());
}

#[test]
fn delete_versus_edit_keeps_the_edit() {
    let base = base_vault();
    let mut ours = base.clone();
    let mut theirs = base.clone();
    ours.delete_to_trash("github", at(1)).expect("delete");
    edit(&mut theirs, "github", at(2), |e| {
        e.rotate("ghp_1".into(), None, at(2))
    });
    for m in [
        merge(&ours, &theirs, Some(&base)),
        merge(&theirs, &ours, Some(&base)),
    ] {
        let e = m.vault.get("github").expect("kept");
        assert_eq!(e.credential.primary_secret().expose(), "ghp_1");
        assert_eq!(m.report.kept_edited, vec!["github".to_owned()]);
        assert!(m.vault.trash.is_empty());
    }
}

#[test]
fn delete_of_an_unchanged_key_goes_to_the_trash() {
    let base = base_vault();
    let ours = base.clone();
    let mut theirs = base.clone();
    theirs.delete_to_trash("github", at(1)).expect("delete");
    let m = merge(&ours, &theirs, Some(&base));
    assert!(m.vault.get("github").is_none());
    assert_eq!(m.vault.trashed("github").map(|t| t.deleted_at), Some(at(1)));
    assert_eq!(m.report.trashed, vec!["github".to_owned()]);
    // Two-way: the copy without the delete is older than the delete.
    let m = merge(&ours, &theirs, None);
    assert!(m.vault.get("github").is_none() && m.vault.trashed("github").is_some());
}

#[test]
fn a_purged_key_is_not_resurrected_by_an_older_copy() {
    let base = base_vault();
    let id = base.require("github").expect("g").id;
    let mut purged = base.clone();
    purged.delete_to_trash("github", at(1)).expect("delete");
    purged.purge_from_trash("github", at(2)).expect("purge");
    for m in [
        merge(&base, &purged, None),
        merge(&purged, &base, None),
        merge(&base, &purged, Some(&base)),
    ] {
        assert!(m.vault.get("github").is_none());
        assert!(m.vault.trashed("github").is_none());
        assert!(m.vault.tombstones.iter().any(|t| t.id == id));
    }
    assert_eq!(
        merge(&base, &purged, None).report.purged,
        vec!["github".to_owned()]
    );
    // But a copy that changed the key after the purge keeps it.
    let mut edited = base.clone();
    edit(&mut edited, "github", at(3), |e| {
        e.notes = "still used".into()
    });
    let m = merge(&purged, &edited, None);
    assert_eq!(
        m.vault.get("github").map(|e| e.notes.as_str()),
        Some("still used")
    );
    assert!(m.vault.tombstones.is_empty());
}

#[test]
fn trash_restore_on_one_side_merges_with_the_other() {
    let base = base_vault();
    let mut ours = base.clone();
    ours.delete_to_trash("github", at(1)).expect("delete");
    ours.restore_from_trash("github", at(2)).expect("restore");
    let theirs = base.clone();
    let m = merge(&ours, &theirs, Some(&base));
    assert!(m.vault.get("github").is_some());
    assert!(m.vault.trash.is_empty());
}

#[test]
fn a_name_clash_between_different_keys_gets_a_suffix() {
    let base = base_vault();
    let mut ours = base.clone();
    let mut theirs = base.clone();
    ours.add(token("openai", "sk-ours")).expect("add");
    theirs.add(token("openai", "sk-theirs")).expect("add");
    let m = merge(&ours, &theirs, Some(&base));
    let names: Vec<&str> = m.vault.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["binance", "github", "openai", "openai (merged)"]
    );
    assert_eq!(m.report.added, vec!["openai".to_owned()]);
    assert_eq!(
        m.report.renamed,
        vec![("openai".to_owned(), "openai (merged)".to_owned())]
    );
}

#[test]
fn a_compromise_is_never_undone_by_a_conflict() {
    let base = base_vault();
    let mut ours = base.clone();
    let mut theirs = base.clone();
    edit(&mut ours, "binance", at(1), |e| {
        e.mark_compromised("leaked", at(1))
    });
    edit(&mut theirs, "binance", at(5), |e| e.revoke());
    let m = merge(&ours, &theirs, Some(&base));
    assert_eq!(
        m.vault.get("binance").expect("b").status,
        Status::Compromised
    );
}

#[test]
fn checklist_ticks_from_both_sides_are_kept() {
    let mut base = base_vault();
    edit(&mut base, "binance", at(1), |e| {
        e.mark_compromised("leaked", at(1))
    });
    let mut ours = base.clone();
    let mut theirs = base.clone();
    edit(&mut ours, "binance", at(2), |e| {
        e.incident.as_mut().expect("incident").checklist[0].done_at = Some(at(2))
    });
    edit(&mut theirs, "binance", at(3), |e| {
        e.incident.as_mut().expect("incident").checklist[1].done_at = Some(at(3))
    });
    let m = merge(&ours, &theirs, Some(&base));
    let list = &m
        .vault
        .get("binance")
        .expect("b")
        .incident
        .as_ref()
        .expect("i")
        .checklist;
    assert_eq!(
        (list[0].done_at, list[1].done_at),
        (Some(at(2)), Some(at(3)))
    );
}

#[test]
fn settings_merge_per_setting() {
    let base = base_vault();
    let mut ours = base.clone();
    let mut theirs = base.clone();
    ours.settings.clipboard_seconds = 5;
    ours.settings_modified_at = Some(at(1));
    theirs.settings.idle_lock_minutes = 1;
    theirs.settings_modified_at = Some(at(2));
    let m = merge(&ours, &theirs, Some(&base));
    assert_eq!(
        (
            m.vault.settings.clipboard_seconds,
            m.vault.settings.idle_lock_minutes
        ),
        (5, 1)
    );
    assert!(m.report.settings_changed);
    // Without a base the newer settings win whole.
    let m = merge(&ours, &theirs, None);
    assert_eq!(
        (
            m.vault.settings.clipboard_seconds,
            m.vault.settings.idle_lock_minutes
        ),
        (20, 1)
    );
}

#[test]
fn a_kind_change_keeps_the_old_secrets_in_history() {
    let base = base_vault();
    let mut ours = base.clone();
    let theirs = base.clone();
    edit(&mut ours, "binance", at(1), |e| {
        e.credential = Credential::Token { token: "T1".into() }
    });
    let m = merge(&ours, &theirs, None);
    let e = m.vault.get("binance").expect("b");
    assert_eq!(e.credential.primary_secret().expose(), "T1");
    assert!(
        e.history
            .iter()
            .any(|h| h.value.expose() == "S0" && h.field == Field::Secret)
    );
}

// ---- property tests over random edit sequences from a common base ----

#[derive(Clone, Debug)]
enum Op {
    Add(u8),
    Rotate(u8),
    Notes(u8, u8),
    Rename(u8, u8),
    Tag(u8, u8),
    Delete(u8),
    Restore(u8),
    Purge(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u8>().prop_map(Op::Add),
        any::<u8>().prop_map(Op::Rotate),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Notes(a, b)),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Rename(a, b)),
        (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Tag(a, b)),
        any::<u8>().prop_map(Op::Delete),
        any::<u8>().prop_map(Op::Restore),
        any::<u8>().prop_map(Op::Purge),
    ]
}

/// Applies `ops` as a user would, with a clock that moves on; `side` makes every new secret
/// unique to the side that made it.
fn apply(v: &mut Vault, ops: &[Op], side: &str, start: i64) {
    for (i, op) in ops.iter().enumerate() {
        let now = at(start + 2 * i as i64);
        let counter = i + 1;
        let fresh = || SecretString::from(format!("{side}-secret-{counter}"));
        let pick = |v: &Vault, n: u8| -> Option<String> {
            (!v.entries.is_empty())
                .then(|| v.entries[n as usize % v.entries.len()].name.to_string())
        };
        let pick_trash = |v: &Vault, n: u8| -> Option<String> {
            (!v.trash.is_empty())
                .then(|| v.trash[n as usize % v.trash.len()].entry.name.to_string())
        };
        match op {
            Op::Add(n) => {
                let name = v.unused_name(&format!("key{}", n % 6));
                let mut e = token(&name, fresh().expose());
                e.modified_at = Some(now);
                v.add(e).expect("add");
            }
            Op::Rotate(n) => {
                if let Some(name) = pick(v, *n) {
                    edit(v, &name, now, |e| e.rotate(fresh(), None, now));
                }
            }
            Op::Notes(n, t) => {
                if let Some(name) = pick(v, *n) {
                    edit(v, &name, now, |e| e.notes = format!("note {t}"));
                }
            }
            Op::Rename(n, m) => {
                if let Some(name) = pick(v, *n) {
                    let new = v.unused_name(&format!("key{}", m % 6));
                    edit(v, &name, now, |e| e.name = new.into());
                }
            }
            Op::Tag(n, t) => {
                if let Some(name) = pick(v, *n) {
                    edit(v, &name, now, |e| {
                        let mut tags = e.tags.clone();
                        tags.push(format!("t{}", t % 4).into());
                        e.set_tags(tags);
                    });
                }
            }
            Op::Delete(n) => {
                if let Some(name) = pick(v, *n) {
                    v.delete_to_trash(&name, now).expect("delete");
                }
            }
            Op::Restore(n) => {
                if let Some(name) = pick_trash(v, *n) {
                    v.restore_from_trash(&name, now).expect("restore");
                }
            }
            Op::Purge(n) => {
                if let Some(name) = pick_trash(v, *n) {
                    v.purge_from_trash(&name, now).expect("purge");
                }
            }
        }
    }
}

fn vaults() -> impl Strategy<Value = (Vault, Vault, Vault)> {
    (
        prop::collection::vec(op(), 0..8),
        prop::collection::vec(op(), 0..12),
        prop::collection::vec(op(), 0..12),
    )
        .prop_map(|(base_ops, a_ops, b_ops)| {
            let mut base = base_vault();
            apply(&mut base, &base_ops, "base", 1);
            let mut a = base.clone();
            let mut b = base.clone();
            // Odd and even minutes: the two sides never act at the same instant.
            apply(&mut a, &a_ops, "a", 100);
            apply(&mut b, &b_ops, "b", 101);
            (base, a, b)
        })
}

/// The ids a merge result has purged: their secrets may be gone on purpose.
fn purged(v: &Vault) -> HashSet<Uuid> {
    v.tombstones.iter().map(|t| t.id).collect()
}

fn assert_nothing_lost(result: &Vault, inputs: [&Vault; 2]) -> Result<(), TestCaseError> {
    let gone = purged(result);
    for input in inputs {
        for id in all_ids(input).difference(&gone) {
            let want = secrets_of(input, *id);
            let have = secrets_of(result, *id);
            let missing: Vec<_> = want.difference(&have).collect();
            prop_assert!(missing.is_empty(), "entry {id}: lost {missing:?}");
        }
    }
    let names: Vec<&str> = result.entries.iter().map(|e| e.name.as_str()).collect();
    let unique: HashSet<&str> = names.iter().copied().collect();
    prop_assert_eq!(names.len(), unique.len(), "duplicate names {:?}", names);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_secret_of_either_side_is_lost((base, a, b) in vaults()) {
        assert_nothing_lost(&merge(&a, &b, Some(&base)).vault, [&a, &b])?;
        assert_nothing_lost(&merge(&a, &b, None).vault, [&a, &b])?;
    }

    #[test]
    fn merging_a_vault_with_itself_changes_nothing((_base, a, _b) in vaults()) {
        let m = merge(&a, &a, Some(&a));
        prop_assert_eq!(&m.vault, &a);
        prop_assert!(m.report.is_empty());
        prop_assert_eq!(&merge(&a, &a, None).vault, &a);
    }

    #[test]
    fn merge_is_symmetric_in_entries_and_secrets((base, a, b) in vaults()) {
        for use_base in [true, false] {
            let base = use_base.then_some(&base);
            let ab = merge(&a, &b, base).vault;
            let ba = merge(&b, &a, base).vault;
            let ids = |v: &Vault| -> (HashSet<Uuid>, HashSet<Uuid>, HashSet<Uuid>) {
                (
                    v.entries.iter().map(|e| e.id).collect(),
                    v.trash.iter().map(|t| t.entry.id).collect(),
                    purged(v),
                )
            };
            prop_assert_eq!(ids(&ab), ids(&ba));
            for id in all_ids(&ab) {
                prop_assert_eq!(secrets_of(&ab, id), secrets_of(&ba, id));
            }
        }
    }
}
