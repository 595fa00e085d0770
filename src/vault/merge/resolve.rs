//! Choosing the other side of a conflict after a merge: the value the merge did not keep
//! becomes current; the value it replaces stays in the entry's history (a secret) or is
//! handed back to be reported (anything else). The app's conflict dialog uses this; the CLI
//! could too.

use chrono::{DateTime, Utc};

use super::{Conflict, Shown, Side};
use crate::secret::SecretString;
use crate::vault::{Credential, CustomField, Entry, Field, HistoryItem, Vault};

/// What [`resolve_conflict`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// The side chosen is the one the merge kept: nothing changed.
    Unchanged,
    /// The other value is current now; this is the value it replaced (a secret is masked:
    /// it is in the entry's history).
    Swapped {
        /// The value replaced.
        displaced: Shown,
    },
}

/// Why a choice could not be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The key is no longer in the vault.
    #[error("'{0}' is no longer in the vault (deleted meanwhile): nothing to choose")]
    Gone(String),
    /// Choosing the other name would give two keys one name.
    #[error("another key is named '{0}' now: rename one of them in the editor")]
    NameTaken(String),
    /// The key changed so that the field no longer fits (another kind of credential).
    #[error(
        "'{entry}' {field} no longer fits the key (it changed meanwhile): edit the key instead"
    )]
    NoLongerFits {
        /// The key's name.
        entry: String,
        /// The field.
        field: String,
    },
}

/// Makes `choice` the current value of the conflicting field in `vault` at `now`. Choosing
/// the side the merge kept changes nothing. A secret that is replaced goes to the entry's
/// history; a secret that becomes current leaves it.
pub fn resolve_conflict(
    vault: &mut Vault,
    conflict: &Conflict,
    choice: Side,
    now: DateTime<Utc>,
) -> Result<Resolved, ResolveError> {
    if choice == conflict.kept {
        return Ok(Resolved::Unchanged);
    }
    let src = &*conflict.losing;
    if conflict.field == "name"
        && vault
            .entries
            .iter()
            .any(|e| e.id != conflict.entry_id && e.name == src.name)
    {
        return Err(ResolveError::NameTaken(src.name.to_string()));
    }
    let entry = vault
        .entries
        .iter_mut()
        .find(|e| e.id == conflict.entry_id)
        .ok_or_else(|| ResolveError::Gone(conflict.entry.clone()))?;
    if !take_field(entry, src, conflict, now) {
        return Err(ResolveError::NoLongerFits {
            entry: entry.name.to_string(),
            field: conflict.field_label(),
        });
    }
    Ok(Resolved::Swapped {
        displaced: conflict.kept_value().clone(),
    })
}

/// Copies the conflict's field from `src` into `dst`. False when it does not fit.
fn take_field(dst: &mut Entry, src: &Entry, conflict: &Conflict, now: DateTime<Utc>) -> bool {
    match conflict.field {
        "name" => dst.name.clone_from(&src.name),
        "provider" => dst.provider.clone_from(&src.provider),
        "environment" => dst.environment = src.environment,
        "tags" => dst.tags.clone_from(&src.tags),
        "purpose" => dst.purpose.clone_from(&src.purpose),
        "notes" => dst.notes.clone_from(&src.notes),
        "url" => dst.url.clone_from(&src.url),
        "permissions" => dst.permissions.clone_from(&src.permissions),
        "ip whitelist" => dst.ip_whitelist.clone_from(&src.ip_whitelist),
        "ip blacklist" => dst.ip_blacklist.clone_from(&src.ip_blacklist),
        "created" => dst.created_at = src.created_at,
        "rotated" => dst.rotated_at = src.rotated_at,
        "expires" => dst.expires_at = src.expires_at,
        "rotate every" => dst.rotate_every_days = src.rotate_every_days,
        "status" => dst.status = src.status,
        "incident" => dst.incident.clone_from(&src.incident),
        "incident reason" => match (&mut dst.incident, &src.incident) {
            (Some(d), Some(s)) => d.reason.clone_from(&s.reason),
            _ => return false,
        },
        "custom field" => return take_custom_field(dst, src, conflict.custom.as_deref()),
        "kind" => {
            let since = dst.secret_since();
            let old = std::mem::replace(&mut dst.credential, src.credential.clone());
            dst.rotated_at = src.rotated_at;
            for (field, value) in old.secrets() {
                to_history(dst, field, value.clone(), since, now);
            }
            from_history(dst);
        }
        part => return take_part(dst, src, part, now),
    }
    true
}

/// One part of the credential (same kind on both sides).
fn take_part(dst: &mut Entry, src: &Entry, part: &str, now: DateTime<Utc>) -> bool {
    use Credential::{KeyPair, SharedSecret, Token};
    let since = dst.secret_since();
    let displaced: Option<(Field, SecretString)> =
        match (part, &mut dst.credential, &src.credential) {
            (
                "key",
                SharedSecret { key_id, .. } | KeyPair { key_id, .. },
                SharedSecret { key_id: k, .. } | KeyPair { key_id: k, .. },
            ) => {
                key_id.clone_from(k);
                None
            }
            ("public-key", KeyPair { public_key, .. }, KeyPair { public_key: p, .. }) => {
                public_key.clone_from(p);
                None
            }
            (
                "secret",
                SharedSecret { secret, .. } | Token { token: secret },
                SharedSecret { secret: s, .. } | Token { token: s },
            ) => Some((Field::Secret, std::mem::replace(secret, s.clone()))),
            ("passphrase", SharedSecret { passphrase, .. }, SharedSecret { passphrase: p, .. }) => {
                std::mem::replace(passphrase, p.clone()).map(|old| (Field::Passphrase, old))
            }
            ("private-key", KeyPair { private_key, .. }, KeyPair { private_key: p, .. }) => {
                Some((Field::PrivateKey, std::mem::replace(private_key, p.clone())))
            }
            _ => return false,
        };
    if let Some((field, value)) = displaced {
        to_history(dst, field, value, since, now);
    }
    from_history(dst);
    true
}

/// A custom field by name (ignoring case). A protected value that is replaced is kept beside
/// it as "NAME (other copy)", as the merge keeps one; a copy that held the chosen value goes.
fn take_custom_field(dst: &mut Entry, src: &Entry, name: Option<&str>) -> bool {
    let Some(name) = name else {
        return false;
    };
    let find = |list: &[CustomField]| list.iter().position(|c| c.name.eq_ignore_ascii_case(name));
    let (Some(d), Some(s)) = (find(&dst.custom_fields), find(&src.custom_fields)) else {
        return false;
    };
    let chosen = src.custom_fields[s].clone();
    let old = std::mem::replace(&mut dst.custom_fields[d], chosen.clone());
    dst.custom_fields[d].name.clone_from(&old.name);
    let copy_name = format!("{} (other copy)", old.name);
    dst.custom_fields
        .retain(|c| !(c.name.eq_ignore_ascii_case(&copy_name) && c.value == chosen.value));
    let kept = dst
        .custom_fields
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(&copy_name));
    if old.protected && old.value != chosen.value && !old.value.is_empty() && !kept {
        dst.custom_fields.push(CustomField {
            name: copy_name.into(),
            ..old
        });
    }
    true
}

/// Keeps a replaced secret in the history, once.
fn to_history(
    entry: &mut Entry,
    field: Field,
    value: SecretString,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) {
    if value.is_empty()
        || entry
            .history
            .iter()
            .any(|h| h.field == field && h.value == value)
    {
        return;
    }
    entry.history.push(HistoryItem {
        field,
        value,
        in_use_since: since,
        replaced_at: now,
        key_id: None,
        passphrase: None,
        public_key: None,
    });
    entry.history.sort_by_key(|h| h.replaced_at);
}

/// Drops from the history the secrets that are current again.
fn from_history(entry: &mut Entry) {
    let current: Vec<(Field, SecretString)> = entry
        .credential
        .secrets()
        .into_iter()
        .map(|(f, s)| (f, s.clone()))
        .collect();
    entry
        .history
        .retain(|h| !current.iter().any(|(f, s)| *f == h.field && *s == h.value));
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::vault::merge::merge;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, day, 9, 0, 0)
            .single()
            .expect("date")
    }

    fn base() -> Vault {
        let mut v = Vault::default();
        let mut e = Entry::new(
            "binance-bot",
            Credential::SharedSecret {
                key_id: "K1".into(),
                secret: "s-base".into(),
                passphrase: None,
            },
            at(1),
        );
        e.notes = "base notes".into();
        e.custom_fields.push(CustomField {
            name: "Account".into(),
            value: "acc-base".into(),
            protected: true,
        });
        e.modified_at = Some(at(1));
        v.add(e).expect("add");
        v
    }

    /// Both sides change `change` differently; ours is older, so the merge keeps theirs.
    fn diverged(change: impl Fn(&mut Entry, &str, u32)) -> (Vault, Conflict) {
        let b = base();
        let (mut ours, mut theirs) = (b.clone(), b.clone());
        change(&mut ours.entries[0], "ours", 2);
        ours.entries[0].modified_at = Some(at(2));
        change(&mut theirs.entries[0], "theirs", 3);
        theirs.entries[0].modified_at = Some(at(3));
        let m = merge(&ours, &theirs, Some(&b));
        assert_eq!(m.report.conflicts.len(), 1, "{:?}", m.report.conflicts);
        let c = m.report.conflicts[0].clone();
        assert_eq!(c.kept, Side::Theirs);
        (m.vault, c)
    }

    fn secrets_of(e: &Entry) -> Vec<String> {
        e.history
            .iter()
            .map(|h| h.value.expose().to_owned())
            .collect()
    }

    #[test]
    fn choosing_the_kept_side_changes_nothing() {
        let (mut v, c) = diverged(|e, side, _| e.notes = format!("{side} notes"));
        let before = v.clone();
        assert_eq!(
            resolve_conflict(&mut v, &c, Side::Theirs, at(4)),
            Ok(Resolved::Unchanged)
        );
        assert_eq!(v, before);
    }

    #[test]
    fn choosing_the_other_text_makes_it_current_and_reports_the_replaced_one() {
        let (mut v, c) = diverged(|e, side, _| e.notes = format!("{side} notes"));
        assert_eq!(v.entries[0].notes, "theirs notes");
        let done = resolve_conflict(&mut v, &c, Side::Ours, at(4)).expect("resolve");
        assert_eq!(
            done,
            Resolved::Swapped {
                displaced: Shown::Text("theirs notes".into())
            }
        );
        assert_eq!(v.entries[0].notes, "ours notes");
    }

    #[test]
    fn choosing_the_other_secret_keeps_the_replaced_one_in_history() {
        let (mut v, c) = diverged(|e, side, _| {
            if let Credential::SharedSecret { secret, .. } = &mut e.credential {
                *secret = format!("s-{side}").into();
            }
        });
        let entry = &v.entries[0];
        assert_eq!(entry.credential.primary_secret().expose(), "s-theirs");
        assert!(secrets_of(entry).contains(&"s-ours".to_owned()));
        assert_eq!(c.field, "secret");
        let secret = c.clone();
        let done = resolve_conflict(&mut v, &secret, Side::Ours, at(4)).expect("resolve");
        assert_eq!(
            done,
            Resolved::Swapped {
                displaced: Shown::Secret
            }
        );
        let entry = &v.entries[0];
        assert_eq!(entry.credential.primary_secret().expose(), "s-ours");
        let history = secrets_of(entry);
        assert!(history.contains(&"s-theirs".to_owned()), "{history:?}");
        assert!(
            !history.contains(&"s-ours".to_owned()),
            "current, not history"
        );
    }

    #[test]
    fn a_protected_custom_field_replaced_is_kept_as_a_copy() {
        let (mut v, c) = diverged(|e, side, _| {
            e.custom_fields[0].value = format!("acc-{side}").into();
        });
        assert_eq!(c.custom.as_deref(), Some("Account"));
        assert_eq!(c.field_label(), "custom field 'Account'");
        resolve_conflict(&mut v, &c, Side::Ours, at(4)).expect("resolve");
        let fields = &v.entries[0].custom_fields;
        let value = |name: &str| {
            fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.value.expose().to_owned())
        };
        assert_eq!(value("Account").as_deref(), Some("acc-ours"));
        assert_eq!(value("Account (other copy)").as_deref(), Some("acc-theirs"));
        assert_eq!(fields.len(), 2);
    }

    #[test]
    fn a_name_another_key_took_or_a_deleted_key_is_refused() {
        let (mut v, c) = diverged(|e, side, _| e.name = format!("bot-{side}").into());
        let other = Entry::new("bot-ours", Credential::Token { token: "t".into() }, at(1));
        v.add(other).expect("add");
        assert_eq!(
            resolve_conflict(&mut v, &c, Side::Ours, at(4)),
            Err(ResolveError::NameTaken("bot-ours".into()))
        );
        v.entries.retain(|e| e.id != c.entry_id);
        assert!(matches!(
            resolve_conflict(&mut v, &c, Side::Ours, at(4)),
            Err(ResolveError::NameTaken(_))
        ));
        v.entries.retain(|e| e.name != "bot-ours");
        assert!(matches!(
            resolve_conflict(&mut v, &c, Side::Ours, at(4)),
            Err(ResolveError::Gone(_))
        ));
    }
}
