//! The merge job: recovered changes, sync conflict copies or another vault file are opened,
//! merged into the vault (the library's [`open_copies`] and [`merge_copies`], as `keyward
//! merge` does), saved under the lock (merging what is on disk too), and the recovery files
//! or copies removed once saved. It holds the vault file while it runs, as a save does.

use std::path::{Path, PathBuf};

use crate::app::dialogs::Dialog;
use crate::app::jobs::{self, Poll, Waker};
use crate::app::state::{FromDisk, Session};
use crate::app::status::StatusLine;
use crate::app::widgets::display_path;
use crate::secret::SecretString;
use crate::store::{
    Credentials, Opener, StoreError, VaultFile, merge_copies, open_copies, remove_merged,
};
use crate::vault::Vault;
use crate::vault::merge::MergeReport;

/// What is merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MergeWhat {
    /// The recovery files a lock left (removed once merged and saved).
    Recovery,
    /// Sync conflict copies (removed once merged and saved).
    Copies,
    /// Another vault file (left as it is); `own_password`: opened with the vault's password.
    Other { own_password: bool },
}

/// What a finished merge job hands back.
pub(crate) struct MergeDone {
    pub file: VaultFile,
    /// The change counter when the merge started.
    pub changes: u64,
    pub what: MergeWhat,
    /// The merge, or why nothing was merged.
    pub result: Result<Merged, String>,
}

/// A merge that was done.
pub(crate) struct Merged {
    /// The vault the job started from, and the merge (folded into the session three-way).
    pub from: FromDisk,
    /// What each source brought, one line per fact.
    pub lines: Vec<String>,
    /// The status line's words.
    pub summary: String,
    /// Why the merged vault is not on disk, when the save failed.
    pub not_saved: Option<String>,
}

/// Starts merging `sources` (opened with `password`, or with the vault's own key when
/// `None`) into the vault on a worker thread. `Err` says why it cannot start now.
pub(crate) fn start_merge(
    session: &mut Session,
    what: MergeWhat,
    sources: Vec<PathBuf>,
    password: Option<SecretString>,
    waker: &Waker,
) -> Result<(), String> {
    if session.merge_job.is_some() {
        return Err("A merge is already running.".to_owned());
    }
    if sources.is_empty() {
        return Err("Nothing to merge.".to_owned());
    }
    let Some(mut file) = session.file.take() else {
        return Err(
            "The vault file is busy (a save or a look at the disk); try again in a \
                    moment."
                .to_owned(),
        );
    };
    let vault = session.vault.clone();
    let changes = session.changes;
    set_merging(session, true);
    session.merge_job = Some(jobs::spawn(waker, move || {
        let own = file.key().clone();
        let credentials = password.map(Credentials::from);
        let opener = match &credentials {
            Some(c) => Opener::Credentials(c),
            None => Opener::Key(&own),
        };
        let result = merge_and_save(&mut file, &vault, &sources, opener, what);
        drop(credentials);
        drop(vault);
        MergeDone {
            file,
            changes,
            what,
            result,
        }
    }));
    Ok(())
}

fn merge_and_save(
    file: &mut VaultFile,
    vault: &Vault,
    sources: &[PathBuf],
    opener: Opener<'_>,
    what: MergeWhat,
) -> Result<Merged, String> {
    let copies = open_copies(sources, opener).map_err(|e| match (&e, what) {
        (
            StoreError::WrongPasswordOrDamaged { path } | StoreError::OtherKey { path },
            MergeWhat::Other { own_password: true },
        ) => {
            format!(
                "This vault's password does not open {} (or the file is damaged): type its \
                 password.",
                display_path(path)
            )
        }
        _ => format!("Nothing merged: {e}"),
    })?;
    let (mut merged, reports) = merge_copies(vault, &copies);
    drop(copies);
    let mut lines = Vec::new();
    for (path, report) in sources.iter().zip(&reports) {
        describe(&mut lines, source_name(path, what), report);
    }
    let not_saved = file.save_merging(&mut merged).err().map(|e| e.to_string());
    let mut removed = 0;
    if not_saved.is_none() && !matches!(what, MergeWhat::Other { .. }) {
        let failed = remove_merged(sources);
        removed = sources.len() - failed.len();
        for (path, e) in failed {
            lines.push(format!(
                "Merged {}, but could not remove it ({e}); delete it yourself.",
                display_path(&path)
            ));
        }
    }
    let summary = match (&not_saved, what) {
        (Some(e), _) => {
            format!("Merged, but not saved: {e}. The change is kept in memory; retry the save.")
        }
        (None, MergeWhat::Recovery) => "Recovered changes merged and saved".to_owned(),
        (None, MergeWhat::Copies) => {
            let copies = if sources.len() == 1 {
                "1 copy from another device".to_owned()
            } else {
                format!("{} copies from other devices", sources.len())
            };
            if removed == sources.len() {
                format!("{copies} merged, saved and removed")
            } else {
                format!("{copies} merged and saved; remove the rest by hand (see the list)")
            }
        }
        (None, MergeWhat::Other { .. }) => {
            let r = &reports[0];
            format!(
                "Merged {}: {} added, {} changed, {} in conflict; saved",
                display_path(&sources[0]),
                r.added.len(),
                r.keys_affected() - r.added.len(),
                r.conflicts.len()
            )
        }
    };
    Ok(Merged {
        from: FromDisk {
            base: vault.clone(),
            merged,
        },
        lines,
        summary,
        not_saved,
    })
}

fn source_name(path: &Path, what: MergeWhat) -> String {
    match what {
        MergeWhat::Recovery => "Recovered changes".to_owned(),
        _ => path
            .file_name()
            .map_or_else(|| display_path(path), |n| n.to_string_lossy().into_owned()),
    }
}

/// The lines that say what `report` brought from `name`.
fn describe(lines: &mut Vec<String>, name: String, report: &MergeReport) {
    if report.is_empty() {
        lines.push(format!("{name}: nothing new."));
        return;
    }
    lines.push(format!("{name}:"));
    lines.extend(report.lines().into_iter().map(|l| format!("  {l}")));
}

fn set_merging(session: &mut Session, merging: bool) {
    match &mut session.dialog {
        Some(Dialog::Offers(offers)) => offers.merging = merging,
        Some(Dialog::MergeOther(state)) => state.merging = merging,
        _ => {}
    }
}

/// Collects a finished merge: the merged vault into the session, what it brought into the
/// dialog. Returns what to say in the status bar.
pub(super) fn poll_merge(session: &mut Session, waker: &Waker) -> Option<StatusLine> {
    let job = session.merge_job.as_ref()?;
    let done = match job.poll() {
        Poll::Pending => return None,
        Poll::Ready(done) => done,
        Poll::Lost => {
            session.merge_job = None;
            set_merging(session, false);
            session.save_error = Some("the merge stopped unexpectedly".to_owned());
            return Some(StatusLine::error(
                "The merge stopped unexpectedly. Your change is kept in memory; copy what you \
                 need and restart keyward.",
            ));
        }
    };
    session.merge_job = None;
    set_merging(session, false);
    session.file = Some(done.file);
    let merged = match done.result {
        Ok(merged) => merged,
        Err(e) => {
            match &mut session.dialog {
                Some(Dialog::Offers(offers)) => offers.error = Some(e.clone()),
                Some(Dialog::MergeOther(state)) => state.error = Some(e.clone()),
                _ => {}
            }
            return Some(StatusLine::error(e));
        }
    };
    // Three-way, from the vault the job started with: a change made meanwhile stays.
    super::disk::fold_from_disk(session, merged.from, &MergeReport::default());
    let status = match merged.not_saved {
        None => {
            session.saved_changes = done.changes;
            session.save_error = None;
            // A change made while the merge ran needs a save of its own.
            super::start_save(session, waker);
            StatusLine::info(merged.summary)
        }
        Some(e) => {
            session.changes += 1;
            session.save_error = Some(e);
            StatusLine::error(merged.summary)
        }
    };
    match &mut session.dialog {
        Some(Dialog::Offers(offers)) => {
            if status.is_error {
                offers.error = Some(status.text.clone());
            } else if done.what == MergeWhat::Recovery {
                offers.recovery.clear();
            } else {
                offers.copies.clear();
            }
            offers.report.extend(merged.lines);
        }
        Some(Dialog::MergeOther(state)) => {
            state.report = merged.lines;
            if status.is_error {
                state.error = Some(status.text.clone());
            }
        }
        _ => {}
    }
    Some(status)
}
