//! Into the vault (`scan --unknown --add`, `--replace`): the unknown hits of a scan become
//! keys — the provider's preset, key id and secret paired, named from the variable and the
//! file, the places noted — and each value in its file can be replaced by a
//! `keyward://NAME/field` reference (the original kept as a 0600 backup).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::detect::{Found, find_unknown};
use super::rules::Detectors;
use super::{Hit, HitStatus, Location};
use crate::secret::SecretString;
use crate::store::{StoreError, write_file_atomically};
use crate::vault::{Credential, Entry, Field, Vault};

/// The tag a key found in plain text carries; the audit reports it (`found_in_plain_text`).
pub const FOUND_TAG: &str = "found-in-plain-text";

/// One place a planned key's value was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file.
    pub path: PathBuf,
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
    /// The rule that found it.
    pub rule: String,
    /// The part found there.
    pub field: Field,
}

/// A key to create.
#[derive(Debug, Clone)]
pub struct PlannedKey {
    /// Its name (unused in the vault).
    pub name: String,
    /// Provider preset id ("" when none).
    pub provider: String,
    /// The credential.
    pub credential: Credential,
    /// Where its parts were found.
    pub places: Vec<Place>,
}

/// One value to replace in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    start: usize,
    end: usize,
    reference: String,
}

/// What `--add` would create and `--replace` would rewrite.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Keys to create.
    pub keys: Vec<PlannedKey>,
    /// Unknown hits not taken: a key id without its secret, a hit in git history only.
    pub skipped: Vec<(Hit, String)>,
    edits: Vec<(PathBuf, Vec<Edit>)>,
}

/// A file rewritten by [`Plan::replace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The file.
    pub path: PathBuf,
    /// The original, mode 0600.
    pub backup: PathBuf,
    /// References written.
    pub references: usize,
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// `keyward://NAME/field` with NAME percent-encoded where a reference could not hold it.
pub fn reference(name: &str, field: Field) -> String {
    let mut out = String::from("keyward://");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push('/');
    out.push_str(field.as_str());
    out
}

/// Plans keys for the unknown file hits of a scan. Files are read again to take the values;
/// a file changed since the scan gives only what still matches.
pub fn plan(detectors: &Detectors, vault: &Vault, hits: &[Hit]) -> Result<Plan, String> {
    let mut result = Plan::default();
    let mut by_file: Vec<(PathBuf, Vec<&Hit>)> = Vec::new();
    for hit in hits.iter().filter(|h| h.status == HitStatus::Unknown) {
        match &hit.location {
            Location::File { path } => match by_file.iter_mut().find(|(p, _)| p == path) {
                Some((_, list)) => list.push(hit),
                None => by_file.push((path.clone(), vec![hit])),
            },
            Location::Git { .. } => result
                .skipped
                .push((hit.clone(), "found in git history only".into())),
        }
    }
    let mut names: Vec<String> = Vec::new();
    let mut by_value: HashMap<String, usize> = HashMap::new();
    for (path, file_hits) in by_file {
        let data =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let found: Vec<Found> = find_unknown(detectors, &data);
        let wanted = |f: &Found| {
            file_hits
                .iter()
                .any(|h| h.line == f.line && h.column == f.column)
        };
        let text = |f: &Found| String::from_utf8_lossy(&data[f.start..f.end]).into_owned();
        let mut used = vec![false; found.len()];
        let mut edits = Vec::new();
        for i in 0..found.len() {
            if used[i] || !wanted(&found[i]) {
                continue;
            }
            let rule = &detectors.rules[found[i].rule];
            let partner = found[i].pair.filter(|&j| !used[j] && wanted(&found[j]));
            let (key, secret) = match (rule.spec.field, partner) {
                (Field::Key, Some(j)) => (Some(i), Some(j)),
                (Field::Key, None) => {
                    if let Some(h) = file_hits.iter().find(|h| h.line == found[i].line) {
                        result
                            .skipped
                            .push(((*h).clone(), "a key id without its secret".into()));
                    }
                    used[i] = true;
                    continue;
                }
                (_, Some(j)) if detectors.rules[found[j].rule].spec.field == Field::Key => {
                    (Some(j), Some(i))
                }
                _ => (None, Some(i)),
            };
            let Some(s) = secret else { continue };
            used[s] = true;
            if let Some(k) = key {
                used[k] = true;
            }
            let secret_rule = &detectors.rules[found[s].rule];
            let value = SecretString::new(text(&found[s]));
            let key_id = key.map(|k| text(&found[k])).unwrap_or_default();
            let credential = match secret_rule.spec.field {
                Field::PrivateKey => Credential::KeyPair {
                    key_id: key_id.into(),
                    private_key: value,
                    public_key: String::new(),
                },
                _ if key.is_some() || secret_rule.pair.is_some() => Credential::SharedSecret {
                    key_id: key_id.into(),
                    secret: value,
                    passphrase: None,
                },
                _ => Credential::Token { token: value },
            };
            let mut places = Vec::new();
            for f in [key, Some(s)].into_iter().flatten() {
                places.push(Place {
                    path: path.clone(),
                    line: found[f].line,
                    column: found[f].column,
                    rule: detectors.rules[found[f].rule].spec.id.clone(),
                    field: detectors.rules[found[f].rule].spec.field,
                });
            }
            let secret_text = credential.primary_secret().expose().to_owned();
            let index = match by_value.get(&secret_text) {
                Some(&n) => {
                    result.keys[n].places.extend(places);
                    n
                }
                None => {
                    let variable = if found[s].variable.is_empty() {
                        key.map(|k| found[k].variable.clone()).unwrap_or_default()
                    } else {
                        found[s].variable.clone()
                    };
                    let base = [
                        slug(if variable.is_empty() {
                            &secret_rule.spec.id
                        } else {
                            &variable
                        }),
                        slug(&file_label(&path)),
                    ]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("-");
                    let mut name = vault.unused_name(&base);
                    let mut n = 2;
                    while names.contains(&name) {
                        name = vault.unused_name(&format!("{base}-{n}"));
                        n += 1;
                    }
                    names.push(name.clone());
                    by_value.insert(secret_text, result.keys.len());
                    result.keys.push(PlannedKey {
                        name,
                        provider: found[s].preset.clone(),
                        credential,
                        places,
                    });
                    result.keys.len() - 1
                }
            };
            let name = result.keys[index].name.clone();
            for f in [key, Some(s)].into_iter().flatten() {
                let field = match detectors.rules[found[f].rule].spec.field {
                    Field::Key => Field::Key,
                    Field::PrivateKey => Field::PrivateKey,
                    _ => Field::Secret,
                };
                edits.push(Edit {
                    start: found[f].start,
                    end: found[f].end,
                    reference: reference(&name, field),
                });
            }
        }
        if !edits.is_empty() {
            edits.sort_by_key(|e| e.start);
            result.edits.push((path, edits));
        }
    }
    // The map's keys copied the secrets; wipe them.
    for (mut k, _) in by_value.drain() {
        zeroize::Zeroize::zeroize(&mut k);
    }
    Ok(result)
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().trim_start_matches('.').to_owned())
        .unwrap_or_default()
}

impl Plan {
    /// Adds the planned keys to `vault`: tagged [`FOUND_TAG`], the places in the notes. The note
    /// names no command: the CLI (`scan --unknown --add`) and the app's "Add to vault" both call this.
    pub fn add_to(&self, vault: &mut Vault, now: DateTime<Utc>) -> Result<(), String> {
        for key in &self.keys {
            let mut entry = Entry::new(key.name.clone(), key.credential.clone(), now);
            entry.provider = key.provider.as_str().into();
            entry.set_tags([FOUND_TAG]);
            let mut notes = format!(
                "Found in plain text by a keyward scan on {}:",
                now.format("%Y-%m-%d")
            );
            for p in &key.places {
                notes.push_str(&format!(
                    "\n- {}:{}:{} ({} by rule {})",
                    p.path.display(),
                    p.line,
                    p.column,
                    p.field,
                    p.rule
                ));
            }
            entry.notes = notes;
            vault.add(entry).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The files `replace` would rewrite and how many references each gets.
    pub fn files(&self) -> Vec<(&Path, usize)> {
        self.edits
            .iter()
            .map(|(p, e)| (p.as_path(), e.len()))
            .collect()
    }

    /// Rewrites each file with references in place of the values: the original goes to a
    /// fresh `FILE.keyward-backup[-N]` (mode 0600), then the file is replaced atomically.
    /// A file that changed since the plan was made is left alone (an error says so).
    pub fn replace(&self, detectors: &Detectors) -> Result<Vec<Rewritten>, String> {
        let mut done = Vec::new();
        for (path, edits) in &self.edits {
            let data =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let still: Vec<(usize, usize)> = find_unknown(detectors, &data)
                .iter()
                .map(|f| (f.start, f.end))
                .collect();
            if edits.iter().any(|e| !still.contains(&(e.start, e.end))) {
                return Err(format!(
                    "{} changed since the scan; nothing replaced in it (scan again)",
                    path.display()
                ));
            }
            let mut out = zeroize::Zeroizing::new(Vec::with_capacity(data.len()));
            let mut at = 0;
            for e in edits {
                out.extend_from_slice(&data[at..e.start]);
                out.extend_from_slice(e.reference.as_bytes());
                at = e.end;
            }
            out.extend_from_slice(&data[at..]);
            let backup = free_backup_path(path);
            write_file_atomically(&backup, &data).map_err(|e: StoreError| e.to_string())?;
            write_file_atomically(path, &out).map_err(|e| e.to_string())?;
            done.push(Rewritten {
                path: path.clone(),
                backup,
                references: edits.len(),
            });
        }
        Ok(done)
    }
}

fn free_backup_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut candidate = path.with_file_name(format!("{name}.keyward-backup"));
    let mut n = 2;
    while std::fs::symlink_metadata(&candidate).is_ok() {
        candidate = path.with_file_name(format!("{name}.keyward-backup-{n}"));
        n += 1;
    }
    candidate
}
