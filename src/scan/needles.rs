//! The values searched for (every secret part of a vault, and each long line of a multi-line
//! one) and the search of one buffer: one Aho-Corasick automaton, line and column computed
//! for hits only.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

use super::{Hit, HitStatus, Location};
use crate::secret::SecretString;
use crate::vault::{Field, Vault};

/// Values shorter than this are not searched: they would match everywhere.
pub const MIN_SECRET_LEN: usize = 8;

/// Lines of a multi-line value (a PEM key) shorter than this are not searched on their own.
const MIN_LINE_LEN: usize = 16;

/// One key part that is searched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// The entry's name.
    pub entry: String,
    /// The part (secret, passphrase, private-key).
    pub field: Field,
}

/// The values to look for, built from a vault.
pub struct Needles {
    /// Unique values; several owners may share one.
    values: Vec<SecretString>,
    /// For each value: who holds it and whether it is one line of a multi-line value.
    owners: Vec<(Vec<Owner>, bool)>,
    /// Parts not searched because they are shorter than [`MIN_SECRET_LEN`].
    pub too_short: Vec<Owner>,
    matcher: Option<AhoCorasick>,
}

impl Needles {
    /// Every secret part (secret, token, passphrase, private key) of every entry. A
    /// multi-line value is also searched line by line, so a PEM key saved with other line
    /// endings is still found.
    pub fn from_vault(vault: &Vault) -> Self {
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut values: Vec<SecretString> = Vec::new();
        let mut owners: Vec<(Vec<Owner>, bool)> = Vec::new();
        let mut too_short = Vec::new();
        let mut add = |value: &str, owner: Owner, part: bool| {
            match index.get(value) {
                Some(&i) => {
                    if !owners[i].0.contains(&owner) {
                        owners[i].0.push(owner);
                    }
                    // A whole value wins over a line of another one.
                    owners[i].1 &= part;
                }
                None => {
                    index.insert(value.to_owned(), values.len());
                    values.push(SecretString::from(value));
                    owners.push((vec![owner], part));
                }
            }
        };
        for entry in &vault.entries {
            for (field, secret) in entry.credential.secrets() {
                let owner = Owner {
                    entry: entry.name.clone(),
                    field,
                };
                let value = secret.expose();
                if value.len() < MIN_SECRET_LEN {
                    too_short.push(owner);
                    continue;
                }
                add(value, owner.clone(), false);
                if value.contains('\n') {
                    for line in value.lines() {
                        let line = line.trim();
                        if line.len() >= MIN_LINE_LEN && !line.starts_with("-----") {
                            add(line, owner.clone(), true);
                        }
                    }
                }
            }
        }
        // The map's keys copied the values; wipe them.
        for (mut k, _) in index.drain() {
            zeroize::Zeroize::zeroize(&mut k);
        }
        let matcher = (!values.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(values.iter().map(|v| v.expose().as_bytes()))
                    .ok()
            })
            .flatten();
        Needles {
            values,
            owners,
            too_short,
            matcher,
        }
    }

    /// True when there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many distinct values are searched for.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The hits in one buffer, in order: (byte offset, line, column, owners of the value).
    fn find<'a>(&'a self, data: &[u8]) -> Vec<(usize, u64, u64, &'a [Owner], bool)> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut found = Vec::new();
        let mut line = 1u64;
        let mut counted_to = 0usize;
        let mut line_start = 0usize;
        for m in matcher.find_iter(data) {
            let start = m.start();
            let gap = &data[counted_to..start];
            let newlines = gap.iter().filter(|&&b| b == b'\n').count();
            if newlines > 0 {
                line += newlines as u64;
                line_start = counted_to + gap.iter().rposition(|&b| b == b'\n').unwrap_or(0) + 1;
            }
            counted_to = start;
            let column = (start - line_start) as u64 + 1;
            let (owners, part) = &self.owners[m.pattern().as_usize()];
            found.push((start, line, column, owners.as_slice(), *part));
        }
        found
    }
}

/// Per-buffer classification of hits: `None` when the buffer is binary and binary files
/// are not wanted.
pub(super) fn hits_in(
    needles: &Needles,
    data: &[u8],
    binary_ok: bool,
    location: impl Fn() -> Location,
) -> Option<Vec<Hit>> {
    let found = needles.find(data);
    if found.is_empty() {
        return Some(Vec::new());
    }
    if !binary_ok && data.contains(&0) {
        return None;
    }
    let mut hits = Vec::new();
    // One hit per owner for whole values; one per owner and buffer for single lines of a
    // multi-line value (a PEM key with other line endings is one leak, not thirty).
    let mut parts_seen: HashSet<(&str, Field)> = HashSet::new();
    for (_, line, column, owners, part) in found {
        for owner in owners {
            if part && !parts_seen.insert((owner.entry.as_str(), owner.field)) {
                continue;
            }
            hits.push(Hit {
                location: location(),
                line,
                column,
                entry: owner.entry.clone(),
                field: owner.field,
                status: HitStatus::Stored,
                rule: String::new(),
                provider: String::new(),
                preset: String::new(),
                variable: String::new(),
                pair: None,
            });
        }
    }
    Some(hits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, Entry};
    use chrono::Utc;
    use std::path::PathBuf;

    fn vault(values: &[(&str, Credential)]) -> Vault {
        let mut v = Vault::default();
        for (name, c) in values {
            v.add(Entry::new(*name, c.clone(), Utc::now()))
                .expect("add");
        }
        v
    }

    fn shared(secret: &str, passphrase: Option<&str>) -> Credential {
        Credential::SharedSecret {
            key_id: "public-key-id-123".into(),
            secret: secret.into(),
            passphrase: passphrase.map(SecretString::from),
        }
    }

    #[test]
    fn needles_skip_short_values_and_share_equal_ones() {
        let v = vault(&[
            ("a", shared("longsecretvalue1", Some("short"))),
            ("b", shared("longsecretvalue1", None)),
        ]);
        let n = Needles::from_vault(&v);
        assert_eq!(
            n.len(),
            1,
            "the key id is public; equal secrets are one value"
        );
        assert_eq!(
            n.too_short,
            vec![Owner {
                entry: "a".into(),
                field: Field::Passphrase
            }]
        );
        let found = n.find(b"x\nyy longsecretvalue1");
        assert_eq!(found.len(), 1);
        let (offset, line, column, owners, part) = found[0];
        assert_eq!((offset, line, column, part), (5, 2, 4, false));
        assert_eq!(owners.len(), 2);
    }

    #[test]
    fn lines_and_columns() {
        let v = vault(&[("k", shared("SECRETSECRET", None))]);
        let n = Needles::from_vault(&v);
        let text = b"SECRETSECRET\n\n  a SECRETSECRET SECRETSECRET\nSECRETSECRET";
        let places: Vec<(u64, u64)> = n.find(text).iter().map(|f| (f.1, f.2)).collect();
        assert_eq!(places, [(1, 1), (3, 5), (3, 18), (4, 1)]);
    }

    #[test]
    fn binary_buffers_are_skipped_unless_asked() {
        let v = vault(&[("k", shared("SECRETSECRET", None))]);
        let n = Needles::from_vault(&v);
        let data = b"\x00\x01SECRETSECRET";
        let loc = || Location::File {
            path: PathBuf::from("f"),
        };
        assert_eq!(hits_in(&n, data, false, loc), None);
        assert_eq!(hits_in(&n, data, true, loc).map(|h| h.len()), Some(1));
        assert_eq!(hits_in(&n, b"\x00 nothing", false, loc), Some(Vec::new()));
    }

    #[test]
    fn pem_lines_are_found_once_per_file() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEl1ZGVhZGJlZWZkZWFkYmVlZg==\nAAAABBBBCCCCDDDDEEEE\n-----END PRIVATE KEY-----";
        let v = vault(&[(
            "pair",
            Credential::KeyPair {
                key_id: String::new(),
                private_key: pem.into(),
                public_key: String::new(),
            },
        )]);
        let n = Needles::from_vault(&v);
        let loc = || Location::File {
            path: PathBuf::from("f"),
        };
        let whole = format!("key = '''{pem}'''");
        let hits = hits_in(&n, whole.as_bytes(), false, loc).expect("text");
        assert_eq!(hits.len(), 1, "{hits:?}");
        let crlf = pem.replace('\n', "\r\n");
        let hits = hits_in(&n, crlf.as_bytes(), false, loc).expect("text");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!((hits[0].line, hits[0].column), (2, 1));
    }
}
