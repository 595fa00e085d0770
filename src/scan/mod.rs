//! Leak scan (PRODUCT §9): find every place where a stored secret appears in plain text,
//! under folders (walked like ripgrep: `.gitignore`-aware, in parallel) and, on request, in
//! every blob of the history of the git repositories found there.
//!
//! All secrets are searched at once with one Aho-Corasick automaton over each whole file;
//! line and column are computed only for hits. A [`Hit`] names the file, the place, the key
//! and the part — never the secret.
//!
//! [`needles`] builds the automaton and finds hits in one buffer, [`walk`] scans folders,
//! [`history`] scans git histories; this file holds the report types they share.

pub mod adopt;
mod detect;
mod history;
mod needles;
mod rules;
mod walk;
mod window;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use serde::Serialize;

use crate::vault::Field;

pub use detect::{Found, entropy, find_unknown};
pub use history::{HistoryError, scan_staged};
pub use needles::{MIN_SECRET_LEN, Needles, Owner};
pub use rules::{BUILTIN_DETECTORS, Detectors, Rule, RuleSpec, RulesError, expand_sample};
pub use walk::scan;

/// Where a hit was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum Location {
    /// A file on disk.
    File {
        /// The file, as reached from the scanned path.
        path: PathBuf,
    },
    /// A blob in a git repository's history.
    Git {
        /// The repository's work tree (or git dir for a bare repository).
        repository: PathBuf,
        /// A commit whose tree holds the blob at `path` (the first found walking back from
        /// the refs).
        commit: String,
        /// The file's path in that commit.
        path: String,
    },
}

/// Whether a hit is a secret the vault stores or one a detector recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HitStatus {
    /// The vault holds this value.
    Stored,
    /// Not in the vault: a detector rule matched it (`scan --unknown`).
    Unknown,
}

/// Where the other half of a pair (key id and secret) was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairRef {
    /// Its line, from 1.
    pub line: u64,
    /// Its column, from 1.
    pub column: u64,
    /// The rule that found it.
    pub rule: String,
}

/// One place where a secret appears (stored, or unknown to the vault). Never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The file or blob.
    #[serde(flatten)]
    pub location: Location,
    /// The line, from 1.
    pub line: u64,
    /// The column in bytes, from 1.
    pub column: u64,
    /// The key whose secret this is ("" for an unknown secret).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub entry: String,
    /// Which part of the key.
    pub field: Field,
    /// Stored or unknown.
    pub status: HitStatus,
    /// The detector rule (unknown hits).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rule: String,
    /// The provider the rule (or the text near the hit) names (unknown hits).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub provider: String,
    /// The provider preset id a key would be created with (unknown hits; may be "").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub preset: String,
    /// The variable or key name the value is assigned to (unknown hits; may be "").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variable: String,
    /// The other half of a key id / secret pair (unknown hits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<PairRef>,
}

/// What to scan and how.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Also scan hidden files and folders (except `.git` folders).
    pub hidden: bool,
    /// Do not honour `.gitignore`, `.ignore` and git's exclude files.
    pub no_ignore: bool,
    /// Also report hits in binary files (files holding a NUL byte).
    pub binary: bool,
    /// Also scan every blob reachable from all refs of each git repository found.
    pub git: bool,
    /// Walker threads; 0 picks the number of CPUs.
    pub threads: usize,
    /// Also report secrets the vault does not hold, found by these detectors.
    pub unknown: Option<Arc<Detectors>>,
}

/// Live counters, readable from another thread (a progress bar), and a cancel switch.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files (and blobs) searched so far.
    pub files: AtomicU64,
    /// Bytes searched so far.
    pub bytes: AtomicU64,
    /// Set to stop the scan early.
    pub cancel: AtomicBool,
}

/// A file or repository that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanError {
    /// The file or repository.
    pub path: PathBuf,
    /// Why.
    pub error: String,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Every hit, sorted by place.
    pub hits: Vec<Hit>,
    /// Files read from disk.
    pub files_scanned: u64,
    /// Bytes read from disk.
    pub bytes_scanned: u64,
    /// Git repositories whose history was scanned.
    pub git_repositories: Vec<PathBuf>,
    /// Distinct blobs read from git histories.
    pub git_blobs_scanned: u64,
    /// Binary files or blobs that held a secret but were not reported (no `--binary`).
    pub binary_files_skipped: u64,
    /// Files and repositories that could not be read.
    pub errors: Vec<ScanError>,
}
