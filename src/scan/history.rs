//! The history part of the scan: every blob reachable from any ref, read once.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use gix::ObjectId;

use super::detect::scan_buffer;
use super::{Hit, Location, Needles, Progress, ScanOptions};

/// Why a git repository's history could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The repository could not be opened.
    #[error("cannot open the git repository ({0}); check it with `git fsck`")]
    Open(String),
    /// A ref, commit, tree or blob could not be read.
    #[error("cannot read the git history ({0}); check the repository with `git fsck`")]
    Read(String),
    /// A worker thread panicked.
    #[error("a scan thread failed; run the scan again")]
    Thread,
}

fn read_error(e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Read(e.to_string())
}

pub(super) struct HistoryResult {
    pub hits: Vec<Hit>,
    pub blobs: u64,
    pub binary_skipped: u64,
}

/// Blobs to read: id, a commit that has it, its path there.
fn collect_blobs(
    repo: &gix::Repository,
    progress: &Progress,
) -> Result<Vec<(ObjectId, ObjectId, String)>, HistoryError> {
    let mut tips: Vec<ObjectId> = Vec::new();
    let mut loose_trees: Vec<(ObjectId, String)> = Vec::new();
    let mut loose_blobs: Vec<(ObjectId, String)> = Vec::new();
    let refs = repo.references().map_err(read_error)?;
    let all = refs.all().map_err(read_error)?;
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
        let walk = repo.rev_walk(tips).all().map_err(read_error)?;
        for info in walk {
            if progress.cancel.load(Ordering::Relaxed) {
                break;
            }
            let info = info.map_err(read_error)?;
            let commit = repo.find_commit(info.id).map_err(read_error)?;
            let tree = commit.tree_id().map_err(read_error)?.detach();
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
) -> Result<(), HistoryError> {
    let mut stack = vec![(root, prefix.to_owned())];
    while let Some((id, dir)) = stack.pop() {
        if !seen_trees.insert(id) {
            continue;
        }
        let tree = repo.find_tree(id).map_err(read_error)?;
        for entry in tree.iter() {
            let entry = entry.map_err(read_error)?;
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
    options: &ScanOptions,
    progress: &Progress,
) -> Result<HistoryResult, HistoryError> {
    let binary_ok = options.binary;
    let detectors = options.unknown.as_deref();
    let repo = gix::open(path).map_err(|e| HistoryError::Open(e.to_string()))?;
    let blobs = collect_blobs(&repo, progress)?;
    drop(repo);
    // gix's repository handle is single-threaded without its `parallel` feature: each
    // worker opens its own and takes the next blob from a shared counter.
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(blobs.len().max(1));
    let results: Vec<Result<Option<Vec<Hit>>, HistoryError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    let repo = match gix::open(path) {
                        Ok(r) => r,
                        Err(e) => {
                            out.push(Err(HistoryError::Open(e.to_string())));
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
                                out.push(Err(read_error(e)));
                                continue;
                            }
                        };
                        progress.files.fetch_add(1, Ordering::Relaxed);
                        progress
                            .bytes
                            .fetch_add(data.data.len() as u64, Ordering::Relaxed);
                        out.push(Ok(scan_buffer(
                            needles,
                            detectors,
                            &data.data,
                            binary_ok,
                            || Location::Git {
                                repository: path.to_owned(),
                                commit: commit.to_string(),
                                path: file.clone(),
                            },
                        )));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|_| vec![Err(HistoryError::Thread)]))
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

/// Scans what is staged in the repository holding `path` (its index, listed by
/// `git ls-files --stage`): each staged blob, reported under its path in the work tree.
pub fn scan_staged(
    path: &Path,
    needles: &Needles,
    options: &ScanOptions,
    progress: &Progress,
) -> Result<super::ScanReport, HistoryError> {
    let repo = gix::discover(path).map_err(|e| HistoryError::Open(e.to_string()))?;
    let root = repo
        .workdir()
        .map(Path::to_owned)
        .ok_or_else(|| HistoryError::Open("a bare repository has no index".into()))?;
    let listing = std::process::Command::new("git")
        .args(["ls-files", "--stage", "-z"])
        .current_dir(&root)
        .output()
        .map_err(|e| HistoryError::Read(format!("cannot run git ls-files: {e}")))?;
    if !listing.status.success() {
        return Err(HistoryError::Read(
            String::from_utf8_lossy(&listing.stderr).trim().to_owned(),
        ));
    }
    let mut report = super::ScanReport::default();
    for record in listing.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        if progress.cancel.load(Ordering::Relaxed) {
            break;
        }
        // "MODE OID STAGE\tPATH"
        let text = String::from_utf8_lossy(record);
        let Some((meta, file)) = text.split_once('\t') else {
            continue;
        };
        let mut parts = meta.split(' ');
        let (Some(mode), Some(oid)) = (parts.next(), parts.next()) else {
            continue;
        };
        if mode != "100644" && mode != "100755" {
            continue;
        }
        let id = ObjectId::from_hex(oid.as_bytes()).map_err(read_error)?;
        let data = repo.find_blob(id).map_err(read_error)?;
        let file = root.join(file);
        report.files_scanned += 1;
        report.bytes_scanned += data.data.len() as u64;
        progress.files.fetch_add(1, Ordering::Relaxed);
        match scan_buffer(
            needles,
            options.unknown.as_deref(),
            &data.data,
            options.binary,
            || Location::File { path: file.clone() },
        ) {
            Some(hits) => report.hits.extend(hits),
            None => report.binary_files_skipped += 1,
        }
    }
    Ok(report)
}
