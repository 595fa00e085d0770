//! Carrying out the [`SyncCommand`]s, and what locking does so that no change is lost: the
//! save is waited for and retried, and a change that still cannot be saved goes to the
//! encrypted recovery file beside the vault ([`crate::store::write_recovery`]), offered for
//! merging at the next unlock with any sync conflict copies found there.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::command::{LockReason, SyncCommand};
use super::dialogs::Dialog;
use super::jobs::Waker;
use super::state::{AppState, Screen, Session};
use super::status::StatusLine;
use super::sync_view::Offers;
use super::tasks::{self, MergeWhat};
use super::unlock::UnlockState;
use super::widgets::display_path;
use crate::clipboard::ClearOutcome;
use crate::secret::SecretString;
use crate::store::{
    Recovery, conflict_copies, find_recovery, recovered_at, remove_merged, write_recovery,
};

/// The dialog the unlock opens when recovery files or sync conflict copies lie beside the
/// vault at `path`; `None` when there are none.
pub(crate) fn offers_at_unlock(path: &Path) -> Option<Dialog> {
    let recovery = find_recovery(path);
    let copies = conflict_copies(path);
    if recovery.is_empty() && copies.is_empty() {
        return None;
    }
    let recovered_at = recovery.iter().filter_map(|p| recovered_at(p)).max();
    Some(Dialog::Offers(Box::new(Offers {
        recovery,
        recovered_at,
        copies,
        report: Vec::new(),
        error: None,
        merging: false,
    })))
}

/// Applies a command about the trash, the offers or merging. Returns what to say.
pub(crate) fn apply_sync(
    session: &mut Session,
    command: SyncCommand,
    waker: &Waker,
    now: DateTime<Utc>,
    forget_widgets: &mut bool,
) -> Option<StatusLine> {
    match command {
        // Handled by `apply` before a session is needed.
        SyncCommand::LockAnyway => None,
        SyncCommand::MergeRecovery => {
            let Some(Dialog::Offers(offers)) = &session.dialog else {
                return None;
            };
            let sources = offers.recovery.clone();
            start(session, MergeWhat::Recovery, sources, None, waker)
        }
        SyncCommand::MergeCopies => {
            let Some(Dialog::Offers(offers)) = &session.dialog else {
                return None;
            };
            let sources = offers.copies.clone();
            start(session, MergeWhat::Copies, sources, None, waker)
        }
        SyncCommand::DiscardRecovery => {
            let Some(Dialog::Offers(offers)) = &mut session.dialog else {
                return None;
            };
            let failed = remove_merged(&offers.recovery);
            offers.recovery.clear();
            if let Some((path, e)) = failed.first() {
                let text = format!("Could not delete {}: {e}", display_path(path));
                offers.error = Some(text.clone());
                return Some(StatusLine::error(text));
            }
            offers
                .report
                .push("Recovered changes discarded.".to_owned());
            Some(StatusLine::info("The recovered changes were discarded"))
        }
        SyncCommand::OpenMergeOther => {
            session.dialog = Some(Dialog::MergeOther(Box::default()));
            None
        }
        SyncCommand::MergeOther => {
            let Some(Dialog::MergeOther(state)) = &mut session.dialog else {
                return None;
            };
            let path = PathBuf::from(state.path.trim());
            if state.path.trim().is_empty() {
                state.error = Some("Choose the vault file to merge.".to_owned());
                return None;
            }
            if same_file(&path, &session.path) {
                state.error = Some("That is this vault; choose another copy.".to_owned());
                return None;
            }
            state.error = None;
            state.report.clear();
            let typed = !state.password.is_empty();
            // Untyped: the vault's own key (no password is kept to derive with).
            let password = typed.then(|| state.password.take_secret());
            // The password field's undo history held what was typed.
            *forget_widgets |= typed;
            let what = MergeWhat::Other {
                own_password: !typed,
            };
            start(session, what, vec![path], password, waker)
        }
        SyncCommand::Restore(name) => Some(restore(session, &name, waker, now)),
        SyncCommand::ConfirmPurge(name) => {
            session.dialog = Some(Dialog::ConfirmPurge(name));
            None
        }
        SyncCommand::Purge(name) => {
            session.dialog = None;
            if let Err(e) = session.vault.purge_from_trash(&name, now) {
                return Some(StatusLine::error(e.to_string()));
            }
            changed(session, waker);
            Some(StatusLine::info(format!(
                "Deleted '{name}' for good; saving…"
            )))
        }
    }
}

fn start(
    session: &mut Session,
    what: MergeWhat,
    sources: Vec<PathBuf>,
    password: Option<SecretString>,
    waker: &Waker,
) -> Option<StatusLine> {
    match tasks::start_merge(session, what, sources, password, waker) {
        Ok(()) => Some(StatusLine::info("Merging…")),
        Err(why) => {
            match &mut session.dialog {
                Some(Dialog::Offers(offers)) => offers.error = Some(why.clone()),
                Some(Dialog::MergeOther(state)) => state.error = Some(why.clone()),
                _ => {}
            }
            Some(StatusLine::error(why))
        }
    }
}

fn restore(session: &mut Session, name: &str, waker: &Waker, now: DateTime<Utc>) -> StatusLine {
    match session.vault.restore_from_trash(name, now) {
        Ok(restored) => {
            session.view.selected = session.vault.get(&restored).map(|e| e.id);
            changed(session, waker);
            if restored == name {
                StatusLine::info(format!("Restored '{name}'; saving…"))
            } else {
                StatusLine::info(format!(
                    "Restored '{name}' as '{restored}' (a key already has its name); saving…"
                ))
            }
        }
        Err(e) => StatusLine::error(e.to_string()),
    }
}

/// Records a change to the vault and starts saving it.
fn changed(session: &mut Session, waker: &Waker) {
    session.changes += 1;
    session.cache.invalidate();
    tasks::start_save(session, waker);
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Drops every decrypted thing and shows the unlock screen. A change not yet on disk is
/// saved first (the running save waited for, a failed one retried); if it still cannot be
/// saved, a manual lock asks first (unless `confirmed`), and the change goes to the
/// recovery file beside the vault, offered for merging at the next unlock.
pub(crate) fn lock(state: &mut AppState, reason: LockReason, confirmed: bool, now: DateTime<Utc>) {
    let Screen::Main(session) = &mut state.screen else {
        return;
    };
    let manual = matches!(reason, LockReason::Button | LockReason::Shortcut);
    let waker = state.waker.clone();
    let unsaved = save_before_lock(session, now, &waker).err();
    if let Some(why) = &unsaved
        && manual
        && !confirmed
    {
        session.dialog = Some(Dialog::ConfirmLock(why.clone()));
        state.status =
            StatusLine::error(format!("Not locked yet: the change is not saved ({why})"));
        return;
    }
    let kept = unsaved
        .as_ref()
        .map(|why| (why, keep_in_recovery(session, now)));
    if let Some((why, Err(e))) = &kept
        && manual
    {
        // Nowhere to keep the change: a lock the user asked for waits.
        state.status = StatusLine::error(format!(
            "Not locked: the change could not be saved ({why}) nor kept in a recovery file \
             ({e}). Free the disk or fix the folder, then lock again."
        ));
        return;
    }
    let placeholder = Screen::Unlock(UnlockState::new(PathBuf::new()));
    let Screen::Main(mut session) = std::mem::replace(&mut state.screen, placeholder) else {
        return;
    };
    let mut message = match reason {
        LockReason::Button | LockReason::Shortcut => "Locked".to_owned(),
        LockReason::Idle(m) => {
            let minutes = super::widgets::plural(i64::from(m), "minute");
            format!("Locked after {minutes} without input")
        }
        LockReason::Minimized => "Locked when minimised".to_owned(),
        LockReason::Signal => "Locked by a stop signal".to_owned(),
    };
    if let Some(job) = session.save_job.take() {
        // The save finishes in the background; its outcome is reported on the lock screen.
        state.orphan_saves.push(job);
    }
    let mut is_error = false;
    match kept {
        None => {}
        Some((why, Ok(recovery))) => {
            message = format!(
                "{message}. The change could not be saved ({why}); it is kept in {} and \
                 offered for merging at the next unlock",
                display_path(&recovery)
            );
        }
        Some((why, Err(e))) => {
            is_error = true;
            message = format!(
                "{message}. A change could not be saved ({why}) nor kept in a recovery file \
                 ({e}), and was dropped"
            );
        }
    }
    let path = session.path.clone();
    state.kept_view = Some(super::state::KeptView::of(&session));
    drop(session);
    state.screen = Screen::Unlock(UnlockState::new(path));
    if let Some(ClearOutcome::Failed(e)) = state.clipboard.clear_now() {
        message = format!("{message}; {e}");
    }
    state.forget_widgets = true;
    state.status = StatusLine {
        text: message,
        is_error,
    };
}

/// Before locking: waits (a bounded time) for the jobs that hold the vault file, then
/// retries a change that is still unsaved, merging with what is on disk. `Err` says why the
/// change is still not on disk.
pub(crate) fn save_before_lock(
    session: &mut Session,
    now: DateTime<Utc>,
    waker: &Waker,
) -> Result<(), String> {
    let finished = tasks::finish_jobs(session, now, waker);
    if !session.unsaved() {
        // A look at the disk still running holds nothing that is not on disk.
        return Ok(());
    }
    finished?;
    let Some(file) = session.file.as_mut() else {
        return Err(session
            .save_error
            .clone()
            .unwrap_or_else(|| "the vault file was lost by a job that stopped".to_owned()));
    };
    if let Some(change) = session.pending_key.take()
        && let Ok(kdf) = change.apply(file)
    {
        session.kdf = kdf;
    }
    let changes = session.changes;
    let mut vault = session.vault.clone();
    let result = file.save_merging(&mut vault);
    // Merged with the disk even when the save failed: the recovery file then holds both.
    session.vault = vault;
    match result {
        Ok(_) => {
            session.saved_changes = changes;
            session.save_error = None;
            Ok(())
        }
        Err(e) => {
            let text = e.to_string();
            session.save_error = Some(text.clone());
            Err(text)
        }
    }
}

/// Writes the session's vault to the recovery file beside it. Returns the file written.
pub(crate) fn keep_in_recovery(session: &Session, now: DateTime<Utc>) -> Result<PathBuf, String> {
    let recovery = Recovery {
        vault: &session.vault,
        base: session.file.as_ref().map(|f| f.last_known()),
        key: session.file.as_ref().map_or(&session.key, |f| f.key()),
    };
    write_recovery(&session.path, &recovery, now).map_err(|e| e.to_string())
}
