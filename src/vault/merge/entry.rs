//! Merging two versions of one entry, field by field.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use thin_vec::ThinVec;

use super::{Conflict, Shown, Side};
use crate::secret::SecretString;
use crate::vault::{Credential, CustomField, Entry, HistoryItem, Incident, Status};

/// Two versions of an entry merged into one.
#[derive(Debug)]
pub struct MergedEntry {
    /// The merged entry.
    pub entry: Entry,
    /// Fields both sides changed.
    pub conflicts: Vec<Conflict>,
    /// True when the result holds something of theirs that ours did not have.
    pub theirs_contributed: bool,
}

/// Field-by-field merging, with the side that wins a conflict fixed for the whole entry.
struct Fields {
    newer: Side,
    three_way: bool,
    /// (field, ours, theirs, kept, custom field name).
    conflicts: Vec<(&'static str, Shown, Shown, Side, Option<String>)>,
    theirs: bool,
}

impl Fields {
    /// One value: equal → it; changed on one side (base known) → that side; else the
    /// `winner` (the newer side), reported.
    fn pick<T: PartialEq + Clone>(
        &mut self,
        field: &'static str,
        ours: &T,
        theirs: &T,
        base: Option<&T>,
        winner: Side,
        show: impl Fn(&T) -> Shown,
    ) -> T {
        if ours == theirs {
            return ours.clone();
        }
        if let Some(base) = base {
            if base == ours {
                self.theirs = true;
                return theirs.clone();
            }
            if base == theirs {
                return ours.clone();
            }
        }
        self.conflicts
            .push((field, show(ours), show(theirs), winner, None));
        match winner {
            Side::Ours => ours.clone(),
            Side::Theirs => {
                self.theirs = true;
                theirs.clone()
            }
        }
    }

    /// A public text value.
    fn text<T: PartialEq + Clone + std::fmt::Debug>(
        &mut self,
        field: &'static str,
        ours: &T,
        theirs: &T,
        base: Option<&T>,
        show: impl Fn(&T) -> String,
    ) -> T {
        let winner = self.newer;
        self.pick(field, ours, theirs, base, winner, |v| Shown::Text(show(v)))
    }

    /// A set kept sorted or in order: with a base, additions and removals of both sides
    /// apply (no conflict possible); without one, the newer side's list.
    fn set<T: PartialEq + Clone>(
        &mut self,
        field: &'static str,
        ours: &[T],
        theirs: &[T],
        base: Option<&[T]>,
        show: impl Fn(&[T]) -> String,
    ) -> ThinVec<T> {
        if ours == theirs {
            return ThinVec::from(ours);
        }
        match base.filter(|_| self.three_way) {
            Some(base) => {
                let removed = |x: &T| base.contains(x) && !(ours.contains(x) && theirs.contains(x));
                let mut out: ThinVec<T> = ThinVec::new();
                for x in ours.iter().chain(theirs) {
                    if !removed(x) && !out.contains(x) {
                        out.push(x.clone());
                    }
                }
                if out.as_slice() != ours {
                    self.theirs = true;
                }
                out
            }
            None => {
                let winner = self.newer;
                let (ours, theirs) = (ThinVec::from(ours), ThinVec::from(theirs));
                self.pick(field, &ours, &theirs, None, winner, |v| {
                    Shown::Text(show(v))
                })
            }
        }
    }
}

fn side_of(ours: DateTime<Utc>, theirs: DateTime<Utc>) -> Side {
    if theirs > ours {
        Side::Theirs
    } else {
        Side::Ours
    }
}

fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn date(d: &Option<DateTime<Utc>>) -> String {
    d.map(|d| d.to_rfc3339()).unwrap_or_else(|| "none".into())
}

/// How serious a status is: a compromise is never undone by a conflict.
fn severity(s: Status) -> u8 {
    match s {
        Status::Active => 0,
        Status::Revoked => 1,
        Status::Compromised => 2,
    }
}

/// Merges two versions of the same entry (same id). `base` is the common version, when known.
pub fn merge_entry(ours: &Entry, theirs: &Entry, base: Option<&Entry>) -> MergedEntry {
    // Every field of Entry is merged here. The destructuring has no `..`: a new field is a
    // compile error until it is merged too.
    let Entry {
        id,
        name,
        provider,
        environment,
        tags,
        purpose,
        notes,
        credential,
        url,
        custom_fields,
        permissions,
        ip_whitelist,
        ip_blacklist,
        created_at,
        rotated_at,
        expires_at,
        last_used_at,
        rotate_every_days,
        status,
        incident,
        history,
        modified_at,
    } = ours;
    let mut f = Fields {
        newer: side_of(ours.last_change(), theirs.last_change()),
        three_way: base.is_some(),
        conflicts: Vec::new(),
        theirs: false,
    };
    let b = base;
    // The credential and its rotation date follow the side whose secret is newer.
    let secret_winner = match side_of(ours.secret_since(), theirs.secret_since()) {
        _ if ours.secret_since() == theirs.secret_since() => f.newer,
        s => s,
    };
    let merged_credential = merge_credential(
        &mut f,
        credential,
        &theirs.credential,
        b.map(|e| &e.credential),
        secret_winner,
    );
    let merged_status = {
        let winner = if severity(theirs.status) > severity(*status) {
            Side::Theirs
        } else if severity(*status) > severity(theirs.status) {
            Side::Ours
        } else {
            f.newer
        };
        f.pick(
            "status",
            status,
            &theirs.status,
            b.map(|e| &e.status),
            winner,
            |s| Shown::Text(s.to_string()),
        )
    };
    let mut entry = Entry {
        id: *id,
        name: f.text(
            "name",
            name,
            &theirs.name,
            b.map(|e| &e.name),
            ToString::to_string,
        ),
        provider: f.text(
            "provider",
            provider,
            &theirs.provider,
            b.map(|e| &e.provider),
            ToString::to_string,
        ),
        environment: f.text(
            "environment",
            environment,
            &theirs.environment,
            b.map(|e| &e.environment),
            ToString::to_string,
        ),
        tags: f.set(
            "tags",
            tags,
            &theirs.tags,
            b.map(|e| e.tags.as_slice()),
            |t| t.join(", "),
        ),
        purpose: f.text(
            "purpose",
            purpose,
            &theirs.purpose,
            b.map(|e| &e.purpose),
            Clone::clone,
        ),
        notes: f.text(
            "notes",
            notes,
            &theirs.notes,
            b.map(|e| &e.notes),
            Clone::clone,
        ),
        credential: merged_credential,
        url: f.text("url", url, &theirs.url, b.map(|e| &e.url), Clone::clone),
        custom_fields: merge_custom_fields(
            &mut f,
            custom_fields,
            &theirs.custom_fields,
            b.map(|e| e.custom_fields.as_slice()),
        ),
        permissions: f.set(
            "permissions",
            permissions,
            &theirs.permissions,
            b.map(|e| e.permissions.as_slice()),
            joined,
        ),
        ip_whitelist: f.set(
            "ip whitelist",
            ip_whitelist,
            &theirs.ip_whitelist,
            b.map(|e| e.ip_whitelist.as_slice()),
            joined,
        ),
        ip_blacklist: f.set(
            "ip blacklist",
            ip_blacklist,
            &theirs.ip_blacklist,
            b.map(|e| e.ip_blacklist.as_slice()),
            joined,
        ),
        created_at: f.text(
            "created",
            created_at,
            &theirs.created_at,
            b.map(|e| &e.created_at),
            |d| d.to_rfc3339(),
        ),
        rotated_at: f.pick(
            "rotated",
            rotated_at,
            &theirs.rotated_at,
            b.map(|e| &e.rotated_at),
            secret_winner,
            |d| Shown::Text(date(d)),
        ),
        expires_at: f.text(
            "expires",
            expires_at,
            &theirs.expires_at,
            b.map(|e| &e.expires_at),
            date,
        ),
        // The latest known use is simply the later one.
        last_used_at: (*last_used_at).max(theirs.last_used_at),
        rotate_every_days: f.text(
            "rotate every",
            rotate_every_days,
            &theirs.rotate_every_days,
            b.map(|e| &e.rotate_every_days),
            |d| format!("{d:?}"),
        ),
        status: merged_status,
        incident: merge_incident(&mut f, incident, &theirs.incident, b.map(|e| &e.incident)),
        history: merge_history(history, &theirs.history),
        modified_at: (*modified_at).max(theirs.modified_at),
    };
    if entry.last_used_at != *last_used_at || entry.history.len() != history.len() {
        f.theirs = true;
    }
    keep_every_secret(&mut entry, ours, theirs);
    let conflicts = f
        .conflicts
        .into_iter()
        .map(|(field, o, t, kept, custom)| Conflict {
            entry_id: entry.id,
            entry: entry.name.to_string(),
            field,
            custom,
            kept,
            ours: o,
            theirs: t,
            both_changed: base.is_some(),
            losing: Box::new(match kept {
                Side::Ours => theirs.clone(),
                Side::Theirs => ours.clone(),
            }),
        })
        .collect();
    MergedEntry {
        entry,
        conflicts,
        theirs_contributed: f.theirs,
    }
}

fn merge_credential(
    f: &mut Fields,
    ours: &Credential,
    theirs: &Credential,
    base: Option<&Credential>,
    winner: Side,
) -> Credential {
    let secret = |_: &SecretString| Shown::Secret;
    fn text<S: AsRef<str>>(s: &S) -> Shown {
        Shown::Text(s.as_ref().to_owned())
    }
    match (ours, theirs, base) {
        (
            Credential::SharedSecret {
                key_id,
                secret: s,
                passphrase,
            },
            Credential::SharedSecret {
                key_id: tk,
                secret: ts,
                passphrase: tp,
            },
            b,
        ) => {
            let (bk, bs, bp) = match b {
                Some(Credential::SharedSecret {
                    key_id,
                    secret,
                    passphrase,
                }) => (Some(key_id), Some(secret), Some(passphrase)),
                _ => (None, None, None),
            };
            Credential::SharedSecret {
                key_id: f.pick("key", key_id, tk, bk, winner, text),
                secret: f.pick("secret", s, ts, bs, winner, secret),
                passphrase: f.pick("passphrase", passphrase, tp, bp, winner, |_| Shown::Secret),
            }
        }
        (
            Credential::KeyPair {
                key_id,
                private_key,
                public_key,
            },
            Credential::KeyPair {
                key_id: tk,
                private_key: tpk,
                public_key: tpub,
            },
            b,
        ) => {
            let (bk, bpk, bpub) = match b {
                Some(Credential::KeyPair {
                    key_id,
                    private_key,
                    public_key,
                }) => (Some(key_id), Some(private_key), Some(public_key)),
                _ => (None, None, None),
            };
            Credential::KeyPair {
                key_id: f.pick("key", key_id, tk, bk, winner, text),
                private_key: f.pick("private-key", private_key, tpk, bpk, winner, secret),
                public_key: f.pick("public-key", public_key, tpub, bpub, winner, text),
            }
        }
        (Credential::Token { token }, Credential::Token { token: tt }, b) => {
            let bt = match b {
                Some(Credential::Token { token }) => Some(token),
                _ => None,
            };
            Credential::Token {
                token: f.pick("secret", token, tt, bt, winner, secret),
            }
        }
        // Different kinds: the whole credential from one side; the other's secrets go to
        // the history (keep_every_secret).
        _ => f.pick("kind", ours, theirs, base, winner, |c| {
            Shown::Text(c.kind().to_string())
        }),
    }
}

fn merge_incident(
    f: &mut Fields,
    ours: &Option<Box<Incident>>,
    theirs: &Option<Box<Incident>>,
    base: Option<&Option<Box<Incident>>>,
) -> Option<Box<Incident>> {
    match (ours, theirs) {
        // The same incident on both sides: keep every tick either side made.
        (Some(o), Some(t)) if o.reported_at == t.reported_at => {
            let mut merged = o.clone();
            for item in &mut merged.checklist {
                let other = t.checklist.iter().find(|i| i.text == item.text);
                if let Some(done) = other.and_then(|i| i.done_at)
                    && item.done_at.is_none_or(|mine| done < mine)
                {
                    item.done_at = Some(done);
                    f.theirs = true;
                }
            }
            for item in &t.checklist {
                if !merged.checklist.iter().any(|i| i.text == item.text) {
                    merged.checklist.push(item.clone());
                    f.theirs = true;
                }
            }
            let base_reason = base.and_then(|b| b.as_ref()).map(|b| &b.reason);
            merged.reason = f.text(
                "incident reason",
                &o.reason,
                &t.reason,
                base_reason,
                Clone::clone,
            );
            Some(merged)
        }
        _ => f.text("incident", ours, theirs, base, |i| match i {
            Some(i) => format!("reported {}: {}", i.reported_at.to_rfc3339(), i.reason),
            None => "none".into(),
        }),
    }
}

/// Custom fields matched by name (ignoring case): one side's additions and removals apply
/// (three-way), a value changed on both sides is a conflict; a protected value that loses is
/// kept beside the winner as "NAME (other copy)", so no secret is lost.
fn merge_custom_fields(
    f: &mut Fields,
    ours: &[CustomField],
    theirs: &[CustomField],
    base: Option<&[CustomField]>,
) -> ThinVec<CustomField> {
    let find = |list: &[CustomField], name: &str| -> Option<CustomField> {
        list.iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .cloned()
    };
    let mut out: ThinVec<CustomField> = ThinVec::new();
    let mut extra: Vec<CustomField> = Vec::new();
    for field in ours.iter().chain(theirs) {
        if find(&out, &field.name).is_some() {
            continue;
        }
        let (o, t) = (find(ours, &field.name), find(theirs, &field.name));
        let b = base.and_then(|b| find(b, &field.name));
        let merged = match (&o, &t) {
            (Some(o), Some(t)) => {
                let shown = |c: &CustomField| {
                    if c.protected {
                        Shown::Secret
                    } else {
                        Shown::Text(c.value.expose().to_owned())
                    }
                };
                let winner = f.newer;
                let before = f.conflicts.len();
                let chosen = f.pick("custom field", o, t, b.as_ref(), winner, shown);
                if let Some(c) = f.conflicts.get_mut(before) {
                    c.4 = Some(o.name.to_string());
                }
                let loser = if chosen == *o { t } else { o };
                if loser.protected && loser.value != chosen.value && b.as_ref() != Some(loser) {
                    let mut kept = loser.clone();
                    kept.name = format!("{} (other copy)", loser.name).into();
                    extra.push(kept);
                }
                Some(chosen)
            }
            // Only one side has it: the other removed it when the base had it unchanged.
            (Some(one), None) | (None, Some(one)) => match &b {
                Some(b) if f.three_way && b == one => None,
                _ => {
                    if t.is_some() {
                        f.theirs = true;
                    }
                    Some(one.clone())
                }
            },
            (None, None) => None,
        };
        if let Some(m) = merged {
            out.push(m);
        }
    }
    for e in extra {
        if find(&out, &e.name).is_none() {
            out.push(e);
        }
    }
    out
}

/// Both histories, oldest first, each replaced value once.
fn merge_history(ours: &[HistoryItem], theirs: &[HistoryItem]) -> ThinVec<HistoryItem> {
    let mut out = ThinVec::from(ours);
    for item in theirs {
        if !out
            .iter()
            .any(|o| o.field == item.field && o.value == item.value)
        {
            out.push(item.clone());
        }
    }
    out.sort_by_key(|h| h.replaced_at);
    out
}

/// Every secret either side holds (current or history) that is not in the merged entry goes
/// to its history, dated from the side it came from.
fn keep_every_secret(merged: &mut Entry, ours: &Entry, theirs: &Entry) {
    let replaced_at = ours.last_change().max(theirs.last_change());
    let missing: Vec<HistoryItem> = {
        let mut present: HashSet<&str> = merged
            .credential
            .secrets()
            .into_iter()
            .map(|(_, s)| s.expose())
            .chain(merged.history.iter().map(|h| h.value.expose()))
            .chain(
                merged
                    .history
                    .iter()
                    .filter_map(|h| h.passphrase.as_ref().map(|p| p.expose())),
            )
            .collect();
        let mut missing = Vec::new();
        for side in [ours, theirs] {
            for (field, value) in side.credential.secrets() {
                if present.insert(value.expose()) {
                    missing.push(HistoryItem {
                        field,
                        value: value.clone(),
                        in_use_since: side.secret_since(),
                        replaced_at,
                        key_id: None,
                        passphrase: None,
                        public_key: None,
                    });
                }
            }
        }
        missing
    };
    merged.history.extend(missing);
    merged.history.sort_by_key(|h| h.replaced_at);
}
