//! Scanning folders: walked like ripgrep (`.gitignore`-aware, in parallel), each file read
//! whole and searched once; then, on request, the history of each git repository found.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::detect::scan_buffer;
use super::{Hit, Location, Needles, Progress, ScanError, ScanOptions, ScanReport, history};

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
            let detectors = options.unknown.as_deref();
            match scan_buffer(needles, detectors, &buf, options.binary, || {
                Location::File {
                    path: path.to_owned(),
                }
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
            match history::scan_history(&repo, needles, options, progress) {
                Ok(result) => {
                    hits.extend(result.hits);
                    report.git_blobs_scanned += result.blobs;
                    report.binary_files_skipped += result.binary_skipped;
                    report.git_repositories.push(repo);
                }
                Err(e) => errors.push(ScanError {
                    path: repo,
                    error: e.to_string(),
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
