//! Another program's change to the vault file, merged into the open session by itself.
//!
//! Every [`CHECK_EVERY`] while unlocked (and no save or merge runs) a worker looks at the
//! file: its size, times and inode first (one `stat`), and only when those moved does it hash
//! the file ([`VaultFile::changed_on_disk`]; 81 ms at 100k keys, too much for every two
//! seconds). The looks are timed by the app's clock (tests drive it) and run in frames; so
//! that an idle window, which draws no frames, still notices, a watcher thread `stat`s the
//! file every [`CHECK_EVERY`] and wakes the window only when the stat moved. When the file really changed, a second job decrypts and merges it
//! ([`VaultFile::merge_from_disk`]) on a clone of the vault. Whatever comes back — from this
//! merge or from a save, which merges first too — is folded into the session with a
//! three-way merge against the vault the job started from, so that edits made while the job
//! ran are kept ([`fold_from_disk`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

use super::super::conflict_view::ConflictState;
use super::super::dialogs::Dialog;
use super::super::jobs::{self, Job, Poll, Waker};
use super::super::state::{FromDisk, Session};
use super::super::status::StatusLine;
use super::start_save;
use crate::store::{StoreError, VaultFile};
use crate::vault::merge::{
    Conflict, MergeReport, Resolved, Shown, merge, merge_entry, resolve_conflict,
};
use crate::vault::{Entry, Vault};

/// How often the file on disk is looked at while unlocked.
pub(crate) const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// What is said of the other writer in the status line.
const OTHER_WRITER: &str = "another program";

/// The watch on the vault file of a session.
#[derive(Default)]
pub(crate) struct DiskWatch {
    /// When the next look is due; set at the first frame after unlocking.
    pub next_check: Option<DateTime<Utc>>,
    /// The file's size, times and inode when last looked at: unchanged means not rewritten.
    pub seen: Option<FileStamp>,
    /// The look or the merge running now; it has the session's [`VaultFile`].
    pub job: Option<Job<DiskDone>>,
    /// The job running is a merge (it decrypts), not just a look.
    pub merging: bool,
    /// The watcher thread of an idle window, when there is a window to wake.
    watcher: Option<Watcher>,
}

/// A thread that `stat`s the vault file every [`CHECK_EVERY`] and wakes the window when the
/// stat moved. It holds the path only; it stops when the session goes (locked or closed).
struct Watcher {
    /// Set by the thread when the file was rewritten; cleared when a look starts.
    moved: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Watcher {
    fn spawn(path: PathBuf, waker: Waker) -> Option<Watcher> {
        let moved = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_moved, thread_stop) = (moved.clone(), stop.clone());
        std::thread::Builder::new()
            .name("keyward-watch".to_owned())
            .spawn(move || {
                let mut last = FileStamp::of(&path);
                loop {
                    std::thread::sleep(CHECK_EVERY);
                    if thread_stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let now = FileStamp::of(&path);
                    if now != last {
                        last = now;
                        thread_moved.store(true, Ordering::Relaxed);
                        // A frame now: it looks, or asks for a frame when the look is due.
                        waker.wake();
                    }
                }
            })
            .ok()?;
        Some(Watcher { moved, stop })
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl DiskWatch {
    /// True while a merge (not just a look) runs: the status bar shows a spinner.
    pub fn is_merging(&self) -> bool {
        self.job.is_some() && self.merging
    }
}

/// What a look at the file (one `stat`) tells apart: a rewrite gives another inode (keyward
/// and sync tools write a new file and rename it) or other times or size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
    #[cfg(unix)]
    changed: (i64, i64),
}

impl FileStamp {
    /// The stamp of the file at `path`; `None` when it cannot be read (then it is hashed).
    fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt as _;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: (meta.dev(), meta.ino()),
            #[cfg(unix)]
            changed: (meta.ctime(), meta.ctime_nsec()),
        })
    }
}

/// What a disk job hands back; both give the file back.
pub(crate) enum DiskDone {
    /// A look: whether another program changed the file.
    Checked {
        file: VaultFile,
        stamp: Option<FileStamp>,
        changed: Result<bool, StoreError>,
    },
    /// A merge of what it wrote into a clone of the vault.
    Merged {
        file: VaultFile,
        result: Result<Option<MergeReport>, StoreError>,
        from_disk: Box<FromDisk>,
    },
}

/// Collects a finished disk job and starts the next look when it is due. Returns what to
/// say in the status bar.
pub(crate) fn watch(
    session: &mut Session,
    now: DateTime<Utc>,
    waker: &Waker,
) -> Option<StatusLine> {
    let status = poll_job(session, waker);
    if session.disk.watcher.is_none() && waker.is_live() {
        session.disk.watcher = Watcher::spawn(session.path.clone(), waker.clone());
    }
    let due = *session.disk.next_check.get_or_insert_with(|| now + every());
    if now >= due && session.disk.job.is_none() && session.save_job.is_none() {
        session.disk.next_check = Some(now + every());
        if let Some(watcher) = &session.disk.watcher {
            watcher.moved.store(false, Ordering::Relaxed);
        }
        start_check(session, waker);
    } else if let Some(watcher) = &session.disk.watcher
        && watcher.moved.load(Ordering::Relaxed)
    {
        // The file was rewritten: a frame when the look is due (no frames till then).
        let wait = (due - now).to_std().unwrap_or_default();
        waker.wake_after(wait + std::time::Duration::from_millis(20));
    }
    status
}

fn every() -> Duration {
    Duration::from_std(CHECK_EVERY).unwrap_or_else(|_| Duration::seconds(2))
}

/// Looks at the file on a worker: a `stat`, and a hash only when the stat moved.
fn start_check(session: &mut Session, waker: &Waker) {
    let Some(file) = session.file.take() else {
        return;
    };
    let seen = session.disk.seen;
    session.disk.merging = false;
    session.disk.job = Some(jobs::spawn(waker, move || {
        let stamp = FileStamp::of(file.path());
        let changed = if stamp.is_some() && stamp == seen {
            Ok(false)
        } else {
            file.changed_on_disk()
        };
        DiskDone::Checked {
            file,
            stamp,
            changed,
        }
    }));
}

/// Decrypts the changed file on a worker and merges it into a clone of the vault.
fn start_merge(session: &mut Session, mut file: VaultFile, waker: &Waker) {
    let mut vault = session.vault.clone();
    session.disk.merging = true;
    session.disk.job = Some(jobs::spawn(waker, move || {
        let base = vault.clone();
        let result = file.merge_from_disk(&mut vault);
        DiskDone::Merged {
            file,
            result,
            from_disk: Box::new(FromDisk {
                base,
                merged: vault,
            }),
        }
    }));
}

fn poll_job(session: &mut Session, waker: &Waker) -> Option<StatusLine> {
    let job = session.disk.job.as_ref()?;
    let done = match job.poll() {
        Poll::Pending => return None,
        Poll::Ready(done) => done,
        Poll::Lost => {
            session.disk.job = None;
            // The file went with the worker: nothing can be saved any more.
            session.save_error = Some("checking the vault file stopped unexpectedly".to_owned());
            return Some(StatusLine::error(
                "Checking the vault file stopped unexpectedly; copy what you need and restart \
                 keyward.",
            ));
        }
    };
    session.disk.job = None;
    let status = match done {
        DiskDone::Checked {
            file,
            stamp,
            changed,
        } => match changed {
            Ok(true) => {
                session.disk.seen = stamp;
                start_merge(session, file, waker);
                return None;
            }
            Ok(false) => {
                session.disk.seen = stamp;
                session.file = Some(file);
                None
            }
            Err(e) => {
                session.file = Some(file);
                Some(StatusLine::error(format!(
                    "Could not check the vault file for changes: {e}"
                )))
            }
        },
        DiskDone::Merged {
            file,
            result,
            from_disk,
        } => {
            session.file = Some(file);
            match result {
                Ok(Some(report)) => {
                    let conflicts = fold_from_disk(session, *from_disk, &report);
                    ConflictState::add(&mut session.conflicts, conflicts);
                    (!report.is_empty())
                        .then(|| StatusLine::info(capitalised(&report.summary(OTHER_WRITER))))
                }
                Ok(None) => None,
                Err(e) => Some(StatusLine::error(format!(
                    "The vault file was changed by another program but could not be read: {e}. \
                     The keys shown here are kept; the next save merges again."
                ))),
            }
        }
    };
    // A change made while the job had the file is saved now.
    if session.unsaved() && session.save_error.is_none() {
        start_save(session, waker);
    }
    status
}

/// What the save's status says when it merged another program's change first.
pub(crate) fn saved_message(report: &MergeReport) -> String {
    if report.is_empty() {
        "Saved".to_owned()
    } else {
        format!("Saved; {}", report.summary(OTHER_WRITER))
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Folds the vault a job merged into the session: three-way, with the vault the job started
/// from as the base, so that what the user changed meanwhile stays. The table is rebuilt; a
/// selection whose key went away is dropped, a shown secret of a changed key is masked.
/// Returns the fields both sides changed (from the job's merge and from this one).
pub(crate) fn fold_from_disk(
    session: &mut Session,
    from_disk: FromDisk,
    report: &MergeReport,
) -> Vec<Conflict> {
    let folded = merge(&session.vault, &from_disk.merged, Some(&from_disk.base));
    let before = std::mem::replace(&mut session.vault, folded.vault);
    session.providers.normalise(&mut session.vault);
    session.cache.invalidate();
    if let Some(reveal) = session.reveal
        && before.by_id(reveal.id) != session.vault.by_id(reveal.id)
    {
        session.reveal = None;
    }
    if session
        .view
        .selected
        .is_some_and(|id| session.vault.by_id(id).is_none())
    {
        session.view.selected = None;
    }
    let mut conflicts = report.conflicts.clone();
    for c in folded.report.conflicts {
        if !conflicts
            .iter()
            .any(|k| k.entry_id == c.entry_id && k.field == c.field)
        {
            conflicts.push(c);
        }
    }
    conflicts
}

/// Makes the conflict dialog's choices current in `vault` at `now`
/// ([`resolve_conflict`]). Returns whether anything changed, and what to say: the values
/// replaced (a secret replaced is in its key's history) and any choice that could not apply.
pub(crate) fn apply_choices(
    vault: &mut Vault,
    state: ConflictState,
    now: DateTime<Utc>,
) -> (bool, StatusLine) {
    let mut replaced = Vec::new();
    let mut refused = Vec::new();
    for row in state.rows {
        let c = &row.conflict;
        match resolve_conflict(vault, c, row.choice, now) {
            Ok(Resolved::Unchanged) => {}
            Ok(Resolved::Swapped { displaced }) => replaced.push(match displaced {
                Shown::Secret => format!(
                    "'{}' {}: the other secret is in its history",
                    c.entry,
                    c.field_label()
                ),
                text => format!("'{}' {} was: {text}", c.entry, c.field_label()),
            }),
            Err(e) => refused.push(e.to_string()),
        }
    }
    let swapped = !replaced.is_empty();
    let mut text = match replaced.len() {
        0 => "Kept the values the merge chose".to_owned(),
        n => format!(
            "Applied your choice for {n} field{}; saving… ({})",
            if n == 1 { "" } else { "s" },
            replaced.join("; ")
        ),
    };
    if refused.is_empty() {
        (swapped, StatusLine::info(text))
    } else {
        text.push_str(&format!(". Not applied: {}", refused.join("; ")));
        (swapped, StatusLine::error(text))
    }
}

/// The editor's `edited` entry, with what a merge brought into the same key while the editor
/// was open (another program's rotation, say) kept: three-way, the entry as the editor opened
/// it being the base, the edit being the newer side. Fields both changed go to the conflict
/// dialog. Unchanged when the key is as the editor opened it.
pub(crate) fn keep_changes_made_meanwhile(
    session: &mut Session,
    mut edited: Entry,
    now: DateTime<Utc>,
) -> Entry {
    let Some(Dialog::Editor(editor)) = &session.dialog else {
        return edited;
    };
    let Some(current) = session.vault.by_id(edited.id) else {
        return edited;
    };
    if *current == editor.base {
        return edited;
    }
    edited.modified_at = Some(now).max(current.modified_at);
    let merged = merge_entry(&edited, current, Some(&editor.base));
    ConflictState::add(&mut session.conflicts, merged.conflicts);
    merged.entry
}
