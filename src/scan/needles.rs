//! The values searched for (every secret part of a vault, and each long line of a multi-line
//! one) and the search of one buffer: one Aho-Corasick automaton, line and column computed
//! for hits only.
//!
//! A multi-line value (a PEM key) is not in the automaton itself: its long lines are, and a
//! hit on one of them checks whether the whole value is there around it. The armour lines
//! (`-----BEGIN …`) would make every `---` in a source tree a candidate for the automaton's
//! prefilter; a base64 line's first bytes are rare.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Serialize;

use super::window::{self, WindowFilter};
use super::{Hit, HitStatus, Location};
use crate::secret::SecretString;
use crate::vault::{Field, Vault};

/// Values shorter than this are not searched: they would match everywhere.
pub const MIN_SECRET_LEN: usize = 8;
// Every value can have the window filter in front of it.
const _: () = assert!(MIN_SECRET_LEN >= window::MIN_VALUE_LEN);

/// Lines of a multi-line value (a PEM key) shorter than this are not searched on their own.
const MIN_LINE_LEN: usize = 16;

/// Up to this many values the automaton is a DFA (fastest search, memory grows with the
/// total length of the values: about 8 MB for 1000 tokens of 32 characters); above it the
/// crate's own choice (a contiguous NFA).
const DFA_MAX_BYTES: usize = 64 * 1024;

/// From this many values on, a [`WindowFilter`] stands in front of the automaton (the
/// automaton's own SIMD prefilter takes at most about a hundred).
const FILTER_MIN_VALUES: usize = 100;

/// One key part that is searched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// The entry's name.
    pub entry: String,
    /// The part (secret, passphrase, private-key).
    pub field: Field,
}

/// A multi-line value, found through its lines.
struct Whole {
    value: SecretString,
    owners: Vec<Owner>,
}

/// One needle of the automaton.
struct Needle {
    /// Who holds it, and whether it is (for all of them) one line of a multi-line value.
    owners: Vec<Owner>,
    part: bool,
    /// The multi-line values that hold this line: (index in `wholes`, byte offset of the
    /// line in the value), one pair per place the line has in the value.
    within: Vec<(usize, usize)>,
}

/// The values to look for, built from a vault.
pub struct Needles {
    /// Unique values in the automaton (single-line values and lines of multi-line ones).
    values: Vec<SecretString>,
    needles: Vec<Needle>,
    /// Multi-line values (not in the automaton unless they have no long line).
    wholes: Vec<Whole>,
    /// Parts not searched because they are shorter than [`MIN_SECRET_LEN`].
    pub too_short: Vec<Owner>,
    matcher: Option<AhoCorasick>,
    filter: Option<WindowFilter>,
}

/// One hit in a buffer, before it becomes [`Hit`]s.
#[derive(Debug)]
struct Found<'a> {
    line: u64,
    column: u64,
    owners: Vec<&'a Owner>,
    /// One line of a multi-line value whose whole is not there.
    part: bool,
}

/// Line and column of byte offsets, counted forward from the last one asked.
struct LineCounter<'d> {
    data: &'d [u8],
    counted_to: usize,
    line: u64,
    line_start: usize,
}

impl<'d> LineCounter<'d> {
    fn new(data: &'d [u8]) -> Self {
        LineCounter {
            data,
            counted_to: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// (line, column) of `offset`, both from 1.
    fn at(&mut self, offset: usize) -> (u64, u64) {
        if offset < self.counted_to {
            // Rare: a whole value starts before the last hit; count again from the start.
            *self = LineCounter::new(self.data);
        }
        let gap = &self.data[self.counted_to..offset];
        let newlines = gap.iter().filter(|&&b| b == b'\n').count();
        if newlines > 0 {
            self.line += newlines as u64;
            self.line_start =
                self.counted_to + gap.iter().rposition(|&b| b == b'\n').unwrap_or(0) + 1;
        }
        self.counted_to = offset;
        (self.line, (offset - self.line_start) as u64 + 1)
    }
}

/// Collects the values while the vault is read.
#[derive(Default)]
struct Builder {
    index: HashMap<String, usize>,
    values: Vec<SecretString>,
    needles: Vec<Needle>,
    whole_index: HashMap<String, usize>,
    wholes: Vec<Whole>,
}

impl Builder {
    /// Adds one needle for the automaton (or another owner or place to an equal one).
    fn add(&mut self, value: &str, owner: &Owner, part: bool, within: Option<(usize, usize)>) {
        let i = match self.index.get(value) {
            Some(&i) => {
                let n = &mut self.needles[i];
                if !n.owners.contains(owner) {
                    n.owners.push(owner.clone());
                }
                // A whole value wins over a line of another one.
                n.part &= part;
                i
            }
            None => {
                self.index.insert(value.to_owned(), self.values.len());
                self.values.push(SecretString::from(value));
                self.needles.push(Needle {
                    owners: vec![owner.clone()],
                    part,
                    within: Vec::new(),
                });
                self.values.len() - 1
            }
        };
        if let Some(place) = within
            && !self.needles[i].within.contains(&place)
        {
            self.needles[i].within.push(place);
        }
    }

    /// Adds a multi-line value through its long lines; one without any is searched whole.
    fn add_multi_line(&mut self, value: &str, owner: &Owner) {
        let lines = searched_lines(value);
        if lines.is_empty() {
            self.add(value, owner, false, None);
            return;
        }
        let w = match self.whole_index.get(value) {
            Some(&w) => {
                if !self.wholes[w].owners.contains(owner) {
                    self.wholes[w].owners.push(owner.clone());
                }
                w
            }
            None => {
                self.whole_index.insert(value.to_owned(), self.wholes.len());
                self.wholes.push(Whole {
                    value: SecretString::from(value),
                    owners: vec![owner.clone()],
                });
                self.wholes.len() - 1
            }
        };
        for (offset, line) in lines {
            self.add(line, owner, true, Some((w, offset)));
        }
    }

    fn finish(mut self, too_short: Vec<Owner>) -> Needles {
        // The maps' keys copied the values; wipe them.
        for (mut k, _) in self.index.drain().chain(self.whole_index.drain()) {
            zeroize::Zeroize::zeroize(&mut k);
        }
        let total: usize = self.values.iter().map(|v| v.expose().len()).sum();
        let matcher = (!self.values.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind((total <= DFA_MAX_BYTES).then_some(AhoCorasickKind::DFA))
                    .build(self.values.iter().map(|v| v.expose().as_bytes()))
                    .ok()
            })
            .flatten();
        let filter = (self.values.len() >= FILTER_MIN_VALUES)
            .then(|| WindowFilter::new(self.values.iter().map(|v| v.expose().as_bytes())))
            .flatten();
        Needles {
            values: self.values,
            needles: self.needles,
            wholes: self.wholes,
            too_short,
            matcher,
            filter,
        }
    }
}

/// The lines of a multi-line value searched on their own, with their byte offsets in it:
/// trimmed, at least [`MIN_LINE_LEN`] long, not a PEM armour line (`-----BEGIN …`).
fn searched_lines(value: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for raw in value.split('\n') {
        let line = raw.trim();
        if line.len() >= MIN_LINE_LEN && !line.starts_with("-----") {
            let lead = raw.len() - raw.trim_start().len();
            lines.push((offset + lead, line));
        }
        offset += raw.len() + 1;
    }
    lines
}

impl Needles {
    /// Every secret part (secret, token, passphrase, private key) of every entry. A
    /// multi-line value is also searched line by line, so a PEM key saved with other line
    /// endings is still found.
    pub fn from_vault(vault: &Vault) -> Self {
        let mut builder = Builder::default();
        let mut too_short = Vec::new();
        for entry in &vault.entries {
            for (field, secret) in entry.credential.secrets() {
                let owner = Owner {
                    entry: entry.name.to_string(),
                    field,
                };
                let value = secret.expose();
                if value.len() < MIN_SECRET_LEN {
                    too_short.push(owner);
                } else if value.contains('\n') {
                    builder.add_multi_line(value, &owner);
                } else {
                    builder.add(value, &owner, false, None);
                }
            }
        }
        builder.finish(too_short)
    }

    /// True when there is nothing to search for.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many distinct values are searched for (whole values and lines of multi-line ones).
    pub fn len(&self) -> usize {
        self.values.len() + self.wholes.len()
    }

    /// The hits in one buffer, in order of the needles found. A line of a multi-line value
    /// whose whole value is there makes one hit for the whole, at its start; the other lines
    /// inside it are not reported.
    fn find<'a>(&'a self, data: &[u8]) -> Vec<Found<'a>> {
        let Some(matcher) = &self.matcher else {
            return Vec::new();
        };
        let mut found = Vec::new();
        let mut lines = LineCounter::new(data);
        let mut covered_to = 0usize;
        let on_match = |m: aho_corasick::Match| {
            let start = m.start();
            if start < covered_to {
                return;
            }
            let needle = &self.needles[m.pattern().as_usize()];
            let mut whole_owners: Vec<&Owner> = Vec::new();
            for &(w, offset) in &needle.within {
                let whole = &self.wholes[w];
                let value = whole.value.expose().as_bytes();
                let Some(at) = start.checked_sub(offset) else {
                    continue;
                };
                if data.get(at..at + value.len()) == Some(value) {
                    let (line, column) = lines.at(at);
                    found.push(Found {
                        line,
                        column,
                        owners: whole.owners.iter().collect(),
                        part: false,
                    });
                    whole_owners.extend(&whole.owners);
                    covered_to = covered_to.max(at + value.len());
                }
            }
            let owners: Vec<&Owner> = needle
                .owners
                .iter()
                .filter(|o| !whole_owners.contains(o))
                .collect();
            if !owners.is_empty() {
                let (line, column) = lines.at(start);
                found.push(Found {
                    line,
                    column,
                    owners,
                    part: needle.part,
                });
            }
        };
        match &self.filter {
            Some(filter) => filter.for_each_match(matcher, data, on_match),
            None => matcher.find_iter(data).for_each(on_match),
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
    for f in found {
        for owner in f.owners {
            if f.part && !parts_seen.insert((owner.entry.as_str(), owner.field)) {
                continue;
            }
            hits.push(Hit {
                location: location(),
                line: f.line,
                column: f.column,
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
        let f = &found[0];
        assert_eq!((f.line, f.column, f.part), (2, 4, false));
        assert_eq!(f.owners.len(), 2);
    }

    #[test]
    fn lines_and_columns() {
        let v = vault(&[("k", shared("SECRETSECRET", None))]);
        let n = Needles::from_vault(&v);
        let text = b"SECRETSECRET\n\n  a SECRETSECRET SECRETSECRET\nSECRETSECRET";
        let places: Vec<(u64, u64)> = n.find(text).iter().map(|f| (f.line, f.column)).collect();
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
                key_id: Default::default(),
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

    fn key_pair(pem: &str) -> Credential {
        Credential::KeyPair {
            key_id: Default::default(),
            private_key: pem.into(),
            public_key: String::new(),
        }
    }

    const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHhhhUWFdx3MPjfx4vEEcyEShY3ZkHgfjiQ+1Ju3kHDq\n-----END PRIVATE KEY-----\n";

    #[test]
    fn a_whole_pem_is_one_hit_at_its_start_found_through_its_lines() {
        let v = vault(&[
            ("pair", key_pair(ED25519_PEM)),
            ("copy", key_pair(ED25519_PEM)),
        ]);
        let n = Needles::from_vault(&v);
        assert_eq!(n.len(), 2, "the whole value and its base64 line");
        let loc = || Location::File {
            path: PathBuf::from("f"),
        };
        // Armour lines alone are not the key.
        let armour = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n";
        assert_eq!(hits_in(&n, armour.as_bytes(), false, loc), Some(Vec::new()));
        let text = format!("a\nkey = \"{ED25519_PEM}\"\n\n{ED25519_PEM}");
        let hits = hits_in(&n, text.as_bytes(), false, loc).expect("text");
        let places: Vec<(u64, u64, &str)> = hits
            .iter()
            .map(|h| (h.line, h.column, h.entry.as_str()))
            .collect();
        assert_eq!(
            places,
            [
                (2, 8, "pair"),
                (2, 8, "copy"),
                (7, 1, "pair"),
                (7, 1, "copy")
            ],
            "each copy of the whole key once per owner, at its BEGIN line"
        );
        // Indented (a YAML block): the whole is not there, its line is, once per owner.
        let yaml = format!("key: |\n  {}", ED25519_PEM.replace('\n', "\n  "));
        let hits = hits_in(&n, yaml.as_bytes(), false, loc).expect("text");
        let places: Vec<(u64, u64)> = hits.iter().map(|h| (h.line, h.column)).collect();
        assert_eq!(places, [(3, 3), (3, 3)]);
    }

    #[test]
    fn a_multi_line_value_without_long_lines_is_searched_whole() {
        let v = vault(&[("k", shared("short one\nshort two", None))]);
        let n = Needles::from_vault(&v);
        assert_eq!(n.len(), 1);
        assert!(n.find(b"short one\n").is_empty());
        let found = n.find(b"xx short one\nshort two");
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].line, found[0].column, found[0].part),
            (1, 4, false)
        );
    }

    #[test]
    fn many_values_are_found_whichever_automaton_and_filter_is_built() {
        let token = |i: usize| format!("tok{i:05}-{}", "q".repeat(24));
        for count in [10, FILTER_MIN_VALUES + 50, DFA_MAX_BYTES / 32 + 100] {
            let mut v = Vault::default();
            for i in 0..count {
                v.add(Entry::new(
                    format!("k{i}"),
                    Credential::Token {
                        token: token(i).into(),
                    },
                    Utc::now(),
                ))
                .expect("add");
            }
            let n = Needles::from_vault(&v);
            let text = format!("{}\nx {}", token(3), token(count - 1));
            let places: Vec<(u64, u64)> = n
                .find(text.as_bytes())
                .iter()
                .map(|f| (f.line, f.column))
                .collect();
            assert_eq!(places, [(1, 1), (2, 3)], "{count} values");
        }
    }
}
