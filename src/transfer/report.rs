//! What a transfer could not carry: one report type for imports and exports, shown by the
//! CLI (on stderr) and by the app's dialogs alike.
//!
//! Losses are counted per field name and per entry: "field 'Attachment': not imported, 3
//! entries". Facts carried another way (as notes lines, renamed) are listed apart from facts
//! lost, so the user can tell the two kinds apart.

use std::collections::BTreeMap;
use std::fmt;

/// What happened to a field that the other side has no place for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Not carried at all.
    Dropped,
    /// Carried, but not where it was (a notes line, another field name, a changed value).
    Changed,
}

/// One line of the report: a field and how many entries it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    /// Dropped or carried another way.
    pub outcome: Outcome,
    /// The field's name as the user knows it ("Attachment", "passphrase", "tags").
    pub field: String,
    /// What became of it, in words ("not imported", "written as a notes line").
    pub what: String,
    /// How many entries it concerns.
    pub entries: usize,
    /// The first few of those entries' names, for the user to look at.
    pub examples: Vec<String>,
}

/// How many entry names a line quotes.
const EXAMPLES: usize = 3;

/// The report of one import or export. Add to it with [`TransferReport::dropped`],
/// [`TransferReport::changed`] and [`TransferReport::note`]; read it with
/// [`TransferReport::losses`] or [`TransferReport::lines`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransferReport {
    /// Keyed by outcome, field and description; the value counts entries.
    tally: BTreeMap<(Outcome, String, String), Tally>,
    /// Messages that are not about one field (plaintext warning, items left out).
    notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tally {
    entries: usize,
    /// The index of the last entry counted, so one entry counts once.
    last: Option<usize>,
    examples: Vec<String>,
}

impl TransferReport {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` of the entry number `index` (any stable number; one entry counts
    /// once per field) named `entry` was not carried; `what` says so in words.
    pub fn dropped(&mut self, field: &str, what: &str, index: usize, entry: &str) {
        self.count(Outcome::Dropped, field, what, index, entry);
    }

    /// Records that `field` of an entry was carried another way (`what` says how).
    pub fn changed(&mut self, field: &str, what: &str, index: usize, entry: &str) {
        self.count(Outcome::Changed, field, what, index, entry);
    }

    /// Adds a message that is not about one field.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    fn count(&mut self, outcome: Outcome, field: &str, what: &str, index: usize, entry: &str) {
        let tally = self
            .tally
            .entry((outcome, field.to_owned(), what.to_owned()))
            .or_default();
        if tally.last == Some(index) {
            return;
        }
        tally.last = Some(index);
        tally.entries += 1;
        if tally.examples.len() < EXAMPLES {
            tally.examples.push(entry.to_owned());
        }
    }

    /// Adds everything of `other` (the counts of the same field add up).
    pub fn merge(&mut self, other: TransferReport) {
        for (key, tally) in other.tally {
            let mine = self.tally.entry(key).or_default();
            mine.entries += tally.entries;
            for e in tally.examples {
                if mine.examples.len() < EXAMPLES {
                    mine.examples.push(e);
                }
            }
        }
        self.notes.extend(other.notes);
    }

    /// The per-field lines: dropped ones first, then the changed ones, each by field name.
    pub fn losses(&self) -> Vec<Loss> {
        self.tally
            .iter()
            .map(|((outcome, field, what), tally)| Loss {
                outcome: *outcome,
                field: field.clone(),
                what: what.clone(),
                entries: tally.entries,
                examples: tally.examples.clone(),
            })
            .collect()
    }

    /// The loss of `field` with this outcome, summed over its descriptions.
    pub fn entries_with(&self, outcome: Outcome, field: &str) -> usize {
        self.tally
            .iter()
            .filter(|((o, f, _), _)| *o == outcome && f == field)
            .map(|(_, t)| t.entries)
            .sum()
    }

    /// The messages not about one field.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// True when nothing was lost, changed or noted.
    pub fn is_empty(&self) -> bool {
        self.tally.is_empty() && self.notes.is_empty()
    }

    /// Every line, in words, for a terminal or a dialog: the notes, then one line per field.
    pub fn lines(&self) -> Vec<String> {
        self.notes
            .iter()
            .cloned()
            .chain(self.losses().iter().map(ToString::to_string))
            .collect()
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.entries == 1 {
            "entry"
        } else {
            "entries"
        };
        write!(f, "{}: {} ({} {noun}", self.field, self.what, self.entries)?;
        if !self.examples.is_empty() {
            let quoted: Vec<String> = self.examples.iter().map(|e| format!("'{e}'")).collect();
            write!(f, ": {}", quoted.join(", "))?;
            if self.entries > self.examples.len() {
                write!(f, ", …")?;
            }
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_entries_per_field_once_each() {
        let mut r = TransferReport::new();
        r.dropped("Attachment", "not imported", 1, "a");
        r.dropped("Attachment", "not imported", 1, "a");
        r.dropped("Attachment", "not imported", 2, "b");
        r.changed("tags", "written as a notes line", 2, "b");
        r.note("plaintext");
        assert_eq!(r.entries_with(Outcome::Dropped, "Attachment"), 2);
        assert_eq!(r.entries_with(Outcome::Changed, "tags"), 1);
        assert_eq!(r.entries_with(Outcome::Dropped, "tags"), 0);
        assert_eq!(
            r.lines(),
            vec![
                "plaintext".to_owned(),
                "Attachment: not imported (2 entries: 'a', 'b')".to_owned(),
                "tags: written as a notes line (1 entry: 'b')".to_owned(),
            ]
        );
    }

    #[test]
    fn examples_are_capped_and_merging_adds_up() {
        let mut r = TransferReport::new();
        for i in 0..5 {
            r.dropped("x", "lost", i, &format!("e{i}"));
        }
        let mut other = TransferReport::new();
        other.dropped("x", "lost", 9, "e9");
        r.merge(other);
        let losses = r.losses();
        assert_eq!(losses.len(), 1);
        assert_eq!(losses[0].entries, 6);
        assert_eq!(
            losses[0].to_string(),
            "x: lost (6 entries: 'e0', 'e1', 'e2', …)"
        );
        assert!(!r.is_empty() && TransferReport::new().is_empty());
    }
}
