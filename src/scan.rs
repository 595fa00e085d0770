//! Leak scan (PRODUCT §9): find every place where a stored secret appears in plain text,
//! under folders (walked like ripgrep: `.gitignore`-aware, in parallel) and, on request, in
//! every blob of the history of the git repositories found there.
//!
//! All secrets are searched at once with one Aho-Corasick automaton over each whole file;
//! line and column are computed only for hits. A [`Hit`] names the file, the place, the key
//! and the part — never the secret.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Serialize;

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

/// One place where a stored secret appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The file or blob.
    #[serde(flatten)]
    pub location: Location,
    /// The line, from 1.
    pub line: u64,
    /// The column in bytes, from 1.
    pub column: u64,
    /// The key whose secret this is.
    pub entry: String,
    /// Which part of the key.
    pub field: Field,
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

/// Per-buffer classification of hits: `None` when the buffer is binary and binary files
/// are not wanted.
fn hits_in(
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
            });
        }
    }
    Some(hits)
}

/// Scans `paths` (files or folders) for the `needles`.
pub fn scan(
    paths: &[PathBuf],
    needles: &Needles,
    options: &ScanOptions,
    progress: &Progress,
) -> ScanReport {
    let mut report = ScanReport::default();
    let Some((first, rest)) = paths.split_first() else {
        return report;
    };
    let hits = Mutex::new(Vec::<Hit>::new());
    let errors = Mutex::new(Vec::<ScanError>::new());
    let repos = Mutex::new(Vec::<PathBuf>::new());
    let binary_skipped = AtomicU64::new(0);
    let files = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);

    let mut builder = ignore::WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    };
    builder
        .hidden(!options.hidden)
        .ignore(!options.no_ignore)
        .git_ignore(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .git_global(!options.no_ignore)
        .parents(!options.no_ignore)
        .threads(threads)
        .filter_entry(|e| e.file_name() != ".git");

    builder.build_parallel().run(|| {
        let mut buf: Vec<u8> = Vec::with_capacity(256 * 1024);
        let hits = &hits;
        let errors = &errors;
        let repos = &repos;
        let binary_skipped = &binary_skipped;
        let files = &files;
        let bytes = &bytes;
        Box::new(move |entry| {
            use ignore::WalkState;
            if progress.cancel.load(Ordering::Relaxed) {
                return WalkState::Quit;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    push_error(errors, error_path(&e), e.to_string());
                    return WalkState::Continue;
                }
            };
            let Some(kind) = entry.file_type() else {
                return WalkState::Continue;
            };
            if kind.is_dir() {
                if options.git && entry.path().join(".git").exists() {
                    lock(repos).push(entry.path().to_owned());
                }
                return WalkState::Continue;
            }
            if !kind.is_file() {
                return WalkState::Continue;
            }
            let path = entry.path();
            buf.clear();
            if let Err(e) = std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut buf)) {
                push_error(errors, path.to_owned(), e.to_string());
                return WalkState::Continue;
            }
            files.fetch_add(1, Ordering::Relaxed);
            bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            progress.files.fetch_add(1, Ordering::Relaxed);
            progress
                .bytes
                .fetch_add(buf.len() as u64, Ordering::Relaxed);
            match hits_in(needles, &buf, options.binary, || Location::File {
                path: path.to_owned(),
            }) {
                Some(found) if !found.is_empty() => lock(hits).extend(found),
                Some(_) => {}
                None => {
                    binary_skipped.fetch_add(1, Ordering::Relaxed);
                }
            }
            WalkState::Continue
        })
    });

    let mut hits = hits.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    report.files_scanned = files.load(Ordering::Relaxed);
    report.bytes_scanned = bytes.load(Ordering::Relaxed);
    report.binary_files_skipped = binary_skipped.load(Ordering::Relaxed);

    if options.git {
        let mut repos = repos.into_inner().unwrap_or_else(|p| p.into_inner());
        // The repository that holds a scanned path counts too (scanning a subfolder).
        for p in paths {
            if let Ok(repo) = gix::discover(p)
                && let Some(root) = repo.workdir().map(Path::to_owned)
            {
                repos.push(root);
            }
        }
        let mut seen = HashSet::new();
        repos.retain(|r| seen.insert(std::fs::canonicalize(r).unwrap_or_else(|_| r.clone())));
        repos.sort();
        for repo in repos {
            if progress.cancel.load(Ordering::Relaxed) {
                break;
            }
            match git::scan_history(&repo, needles, options.binary, progress) {
                Ok(result) => {
                    hits.extend(result.hits);
                    report.git_blobs_scanned += result.blobs;
                    report.binary_files_skipped += result.binary_skipped;
                    report.git_repositories.push(repo);
                }
                Err(e) => errors.push(ScanError {
                    path: repo,
                    error: e,
                }),
            }
        }
    }

    hits.sort_by(|a, b| {
        sort_key(&a.location)
            .cmp(&sort_key(&b.location))
            .then(a.line.cmp(&b.line))
            .then(a.column.cmp(&b.column))
            .then(a.entry.cmp(&b.entry))
    });
    hits.dedup();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    report.hits = hits;
    report.errors = errors;
    report
}

fn sort_key(l: &Location) -> (u8, &Path, &str, &str) {
    match l {
        Location::File { path } => (0, path.as_path(), "", ""),
        Location::Git {
            repository,
            commit,
            path,
        } => (1, repository.as_path(), path.as_str(), commit.as_str()),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn push_error(errors: &Mutex<Vec<ScanError>>, path: PathBuf, error: String) {
    lock(errors).push(ScanError { path, error });
}

fn error_path(e: &ignore::Error) -> PathBuf {
    match e {
        ignore::Error::WithPath { path, .. } => path.clone(),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => PathBuf::new(),
    }
}

mod git {
    //! The history part of the scan: every blob reachable from any ref, read once.

    use std::collections::HashSet;
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use gix::ObjectId;

    use super::{Hit, Location, Needles, Progress, hits_in};

    pub(super) struct HistoryResult {
        pub hits: Vec<Hit>,
        pub blobs: u64,
        pub binary_skipped: u64,
    }

    /// Blobs to read: id, a commit that has it, its path there.
    fn collect_blobs(
        repo: &gix::Repository,
        progress: &Progress,
    ) -> Result<Vec<(ObjectId, ObjectId, String)>, String> {
        let mut tips: Vec<ObjectId> = Vec::new();
        let mut loose_trees: Vec<(ObjectId, String)> = Vec::new();
        let mut loose_blobs: Vec<(ObjectId, String)> = Vec::new();
        let refs = repo.references().map_err(|e| e.to_string())?;
        let all = refs.all().map_err(|e| e.to_string())?;
        for mut r in all.flatten() {
            let name = r.name().as_bstr().to_string();
            let Ok(id) = r.peel_to_id() else { continue };
            match repo.find_object(id).map(|o| o.kind) {
                Ok(gix::object::Kind::Commit) => tips.push(id.detach()),
                Ok(gix::object::Kind::Tree) => loose_trees.push((id.detach(), name)),
                Ok(gix::object::Kind::Blob) => loose_blobs.push((id.detach(), name)),
                _ => {}
            }
        }
        if let Ok(id) = repo.head_id() {
            tips.push(id.detach());
        }
        tips.sort();
        tips.dedup();

        let mut seen_trees: HashSet<ObjectId> = HashSet::new();
        let mut seen_blobs: HashSet<ObjectId> = HashSet::new();
        let mut blobs = Vec::new();
        let null = ObjectId::null(repo.object_hash());
        for (id, name) in loose_blobs {
            if seen_blobs.insert(id) {
                blobs.push((id, null, name));
            }
        }
        for (id, name) in loose_trees {
            walk_tree(
                repo,
                id,
                null,
                &name,
                &mut seen_trees,
                &mut seen_blobs,
                &mut blobs,
            )?;
        }
        if !tips.is_empty() {
            let walk = repo.rev_walk(tips).all().map_err(|e| e.to_string())?;
            for info in walk {
                if progress.cancel.load(Ordering::Relaxed) {
                    break;
                }
                let info = info.map_err(|e| e.to_string())?;
                let commit = repo.find_commit(info.id).map_err(|e| e.to_string())?;
                let tree = commit.tree_id().map_err(|e| e.to_string())?.detach();
                walk_tree(
                    repo,
                    tree,
                    info.id,
                    "",
                    &mut seen_trees,
                    &mut seen_blobs,
                    &mut blobs,
                )?;
            }
        }
        Ok(blobs)
    }

    fn walk_tree(
        repo: &gix::Repository,
        root: ObjectId,
        commit: ObjectId,
        prefix: &str,
        seen_trees: &mut HashSet<ObjectId>,
        seen_blobs: &mut HashSet<ObjectId>,
        blobs: &mut Vec<(ObjectId, ObjectId, String)>,
    ) -> Result<(), String> {
        let mut stack = vec![(root, prefix.to_owned())];
        while let Some((id, dir)) = stack.pop() {
            if !seen_trees.insert(id) {
                continue;
            }
            let tree = repo.find_tree(id).map_err(|e| e.to_string())?;
            for entry in tree.iter() {
                let entry = entry.map_err(|e| e.to_string())?;
                let name = entry.filename().to_string();
                let path = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                let mode = entry.mode();
                let oid = entry.object_id();
                if mode.is_tree() {
                    stack.push((oid, path));
                } else if mode.is_blob() && seen_blobs.insert(oid) {
                    blobs.push((oid, commit, path));
                }
            }
        }
        Ok(())
    }

    /// Scans every blob reachable from the refs of the repository at `path`.
    pub(super) fn scan_history(
        path: &Path,
        needles: &Needles,
        binary_ok: bool,
        progress: &Progress,
    ) -> Result<HistoryResult, String> {
        let repo = gix::open(path).map_err(|e| e.to_string())?;
        let blobs = collect_blobs(&repo, progress)?;
        drop(repo);
        // gix's repository handle is single-threaded without its `parallel` feature: each
        // worker opens its own and takes the next blob from a shared counter.
        let next = AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(blobs.len().max(1));
        let results: Vec<Result<Option<Vec<Hit>>, String>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut out = Vec::new();
                        let repo = match gix::open(path) {
                            Ok(r) => r,
                            Err(e) => {
                                out.push(Err(e.to_string()));
                                return out;
                            }
                        };
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((blob, commit, file)) = blobs.get(i) else {
                                break;
                            };
                            if progress.cancel.load(Ordering::Relaxed) {
                                break;
                            }
                            let data = match repo.find_blob(*blob) {
                                Ok(d) => d,
                                Err(e) => {
                                    out.push(Err(e.to_string()));
                                    continue;
                                }
                            };
                            progress.files.fetch_add(1, Ordering::Relaxed);
                            progress
                                .bytes
                                .fetch_add(data.data.len() as u64, Ordering::Relaxed);
                            out.push(Ok(hits_in(needles, &data.data, binary_ok, || {
                                Location::Git {
                                    repository: path.to_owned(),
                                    commit: commit.to_string(),
                                    path: file.clone(),
                                }
                            })));
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join()
                        .unwrap_or_else(|_| vec![Err("a scan thread failed".to_owned())])
                })
                .collect()
        });
        let mut result = HistoryResult {
            hits: Vec::new(),
            blobs: blobs.len() as u64,
            binary_skipped: 0,
        };
        for r in results {
            match r? {
                Some(hits) => result.hits.extend(hits),
                None => result.binary_skipped += 1,
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, Entry};
    use chrono::Utc;

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
