//! Every background job of the app, started and collected here: unlock, create, save (this
//! file), the watch on the file that merges another program's change (`disk.rs`), and the
//! tools' jobs: file dialogs, export, import reading, calendar,
//! leak scan and key generation (`tools.rs`). `apply.rs` starts them; the frame loop calls
//! [`poll`] before drawing, which takes each finished job's result into the state and says
//! what happened in the status bar.

mod disk;
mod lock;
mod merge;
mod tools;

use chrono::{DateTime, Utc};

use super::command::FilePick;
use super::conflict_view::ConflictState;
use super::jobs::{self, Poll, Waker};
use super::reminders::Banner;
use super::state::{AppState, FromDisk, SaveDone, Screen, Session};
use super::status::StatusLine;
use super::unlock::{CreateState, UnlockState};
use crate::secret::SecretString;
use crate::store::kdf::{KdfError, SLOW_FACTOR, WorkFactorError};
use crate::store::{Credentials, KdfParams, KeyFile, StoreError, VaultFile};
use crate::vault::Vault;

pub(crate) use disk::{DiskWatch, apply_choices, keep_changes_made_meanwhile};
pub(crate) use lock::finish_jobs;
pub(crate) use merge::{MergeDone, MergeWhat, start_merge};
pub(crate) use tools::{
    native_file_dialog, start_calendar, start_export, start_import_read, start_keygen, start_pick,
    start_scan,
};

/// Collects every finished job. Returns true when one finished (the window redraws).
pub(crate) fn poll(state: &mut AppState, now: DateTime<Utc>) -> bool {
    let mut finished = poll_orphan_saves(state);
    let waker = state.waker.clone();
    match &mut state.screen {
        Screen::Unlock(unlock) => {
            finished |= poll_vault_pick(unlock);
            let running = unlock.job.is_some();
            if let Some(session) = poll_unlock(unlock) {
                open_session(state, session, now, "Unlocked");
                return true;
            }
            if unlock.create_requested {
                let path = unlock.path.clone();
                state.screen = Screen::Create(CreateState::new(path));
                return true;
            }
            finished |= running && unlock.job.is_none();
        }
        Screen::Create(create) => {
            let running = create.job.is_some();
            if let Some(session) = poll_create(create) {
                open_session(state, session, now, "Vault created and saved");
                return true;
            }
            finished |= running && create.job.is_none();
        }
        Screen::Main(session) => {
            let mut statuses = Vec::new();
            statuses.extend(poll_save(session, &waker));
            statuses.extend(disk::watch(session, now, &waker));
            statuses.extend(tools::poll_calendar(session));
            statuses.extend(tools::poll_scan(&mut session.scan));
            statuses.extend(merge::poll_merge(session, &waker));
            let (dialog_status, closed) = tools::poll_dialog(session);
            statuses.extend(dialog_status);
            state.forget_widgets |= closed;
            finished |= closed || !statuses.is_empty();
            if let Some(status) = statuses.pop() {
                state.status = status;
            }
        }
    }
    finished
}

/// Reports saves that were still running when the vault was locked.
fn poll_orphan_saves(state: &mut AppState) -> bool {
    let mut reports = Vec::new();
    state.orphan_saves.retain(|job| match job.poll() {
        Poll::Pending => true,
        Poll::Ready(done) => {
            reports.push(match done.result {
                Ok(_) => StatusLine::info("Saved (before locking)"),
                Err(e) => {
                    StatusLine::error(format!("A change made before locking was not saved: {e}"))
                }
            });
            false
        }
        Poll::Lost => {
            reports.push(StatusLine::error(
                "A change made before locking was not saved (the save stopped)",
            ));
            false
        }
    });
    match reports.pop() {
        Some(report) => {
            state.status = report;
            true
        }
        None => false,
    }
}

/// Shows the unlocked `session`, with the banner of what needs the user.
pub(crate) fn open_session(
    state: &mut AppState,
    mut session: Session,
    now: DateTime<Utc>,
    message: &str,
) {
    state.prefs.last_vault = Some(session.path.clone());
    if let Some(kept) = state.kept_view.take() {
        kept.restore(&mut session);
    }
    session.banner = Banner::on_unlock(&session.vault, &session.providers, now);
    // Recovered changes and sync conflict copies beside the vault are offered for merging.
    session.dialog = super::sync_apply::offers_at_unlock(&session.path);
    let message = match &session.banner {
        Some(banner) => format!("{message}. {}", banner.summary()),
        None => message.to_owned(),
    };
    state.screen = Screen::Main(Box::new(session));
    state.last_input = now;
    // The password field's editor state (undo history) held the typed password.
    state.forget_widgets = true;
    state.status = StatusLine::info(message);
}

/// Opens the vault at the unlock screen's path with `password` (and the key file its field
/// names, if any) on a worker thread; a key derivation above the work bound is run only when
/// `allow_slow_kdf` ("Open anyway"). The key is derived once there and the password dropped,
/// so wiped, as soon as it is; it comes back only from a refusal before any derivation.
pub(crate) fn start_unlock(
    state: &mut UnlockState,
    password: SecretString,
    allow_slow_kdf: bool,
    waker: &Waker,
) {
    let path = state.path.clone();
    let key_file = state.key_file_path();
    state.error = None;
    state.slow_kdf = None;
    state.job = Some(jobs::spawn(waker, move || {
        let key_file = match key_file.as_deref().map(KeyFile::read).transpose() {
            Ok(k) => k,
            Err(e) => return (Err(e), None),
        };
        let credentials = Credentials::new(password, key_file);
        let result = VaultFile::open_with(&path, credentials.clone(), allow_slow_kdf);
        let refused_before_deriving = matches!(
            &result,
            Err(StoreError::KdfRejected {
                why: KdfError::WorkFactor(WorkFactorError::Slow { .. }),
                ..
            })
        );
        (
            result,
            refused_before_deriving.then_some(credentials.password),
        )
    }));
}

/// Collects the unlock job; returns the session when unlocked.
fn poll_unlock(state: &mut UnlockState) -> Option<Session> {
    let job = state.job.as_ref()?;
    match job.poll() {
        Poll::Pending => None,
        Poll::Ready((Ok((file, vault)), _)) => {
            state.job = None;
            let mut session = Session::new(state.path.clone(), file, vault);
            session.key_file = state.key_file_path();
            Some(session)
        }
        Poll::Ready((Err(e), password)) => {
            state.job = None;
            state.error = Some(match e {
                StoreError::WrongPasswordOrDamaged { .. } => {
                    "Wrong password (or the file is damaged). Try again.".to_owned()
                }
                StoreError::KdfRejected {
                    why:
                        KdfError::WorkFactor(WorkFactorError::Slow {
                            kdf,
                            times,
                            default,
                        }),
                    ..
                } => {
                    // Refused before anything was derived: the password is kept for
                    // "Open anyway".
                    state.slow_kdf = password;
                    format!(
                        "This vault's key derivation ({kdf}) is {times}× the work of \
                         keyward's own ({default}), above the limit of {SLOW_FACTOR}×: \
                         unlocking could take minutes or hours. If you trust this file, \
                         choose Open anyway."
                    )
                }
                StoreError::WrongPasswordOrKeyFile { .. } => {
                    "Wrong password or key file (or the file is damaged). Try again.".to_owned()
                }
                StoreError::KeyFileNeeded { .. } => {
                    "This vault needs a key file as well as the password: choose it under \
                     \"Key file\"."
                        .to_owned()
                }
                other => other.to_string(),
            });
            state.focus_password = true;
            None
        }
        Poll::Lost => {
            state.job = None;
            state.error = Some("Unlocking stopped unexpectedly; try again.".to_owned());
            None
        }
    }
}

/// Collects the unlock screen's file dialog: a vault to open, or where to create one.
fn poll_vault_pick(state: &mut UnlockState) -> bool {
    let Some((pick, job)) = &state.pick else {
        return false;
    };
    let create = *pick == FilePick::NewVault;
    let key_file = *pick == FilePick::KeyFile;
    match job.poll() {
        Poll::Pending => return false,
        Poll::Ready(Some(path)) if key_file => {
            state.error = None;
            state.key_file = path.display().to_string();
            state.focus_password = true;
        }
        Poll::Ready(Some(path)) => {
            state.error = None;
            if create || !path.exists() {
                // Handed over to the create screen by `poll`.
                state.create_requested = true;
            } else {
                state.focus_password = true;
            }
            state.path = path;
            state.slow_kdf = None;
        }
        Poll::Ready(None) | Poll::Lost => {}
    }
    state.pick = None;
    true
}

/// Creates the vault with the create screen's password on a worker thread; the fields are
/// wiped. `kdf_override` replaces the strength chosen (tests).
pub(crate) fn start_create(
    state: &mut CreateState,
    kdf_override: Option<KdfParams>,
    waker: &Waker,
) {
    let password = state.password.take_secret();
    state.repeat.wipe();
    state.strength = None;
    let kdf = kdf_override.unwrap_or_else(|| state.kdf.params());
    let path = state.path.clone();
    state.job = Some(jobs::spawn(waker, move || {
        VaultFile::create(&path, password, kdf, &Vault::default())
    }));
}

/// Collects the create job; returns the session when the vault exists.
fn poll_create(state: &mut CreateState) -> Option<Session> {
    let job = state.job.as_ref()?;
    match job.poll() {
        Poll::Pending => None,
        Poll::Ready(Ok(file)) => {
            state.job = None;
            Some(Session::new(state.path.clone(), file, Vault::default()))
        }
        Poll::Ready(Err(e)) => {
            state.job = None;
            state.error = Some(format!("Could not create the vault: {e}"));
            state.focus_password = true;
            None
        }
        Poll::Lost => {
            state.job = None;
            state.error = Some("Creating stopped unexpectedly; try again.".to_owned());
            None
        }
    }
}

/// Starts a save job when there is something to save and no job already running. The job
/// merges what another program wrote first, under the vault's lock, and saves the merge.
pub(crate) fn start_save(session: &mut Session, waker: &Waker) {
    if !session.unsaved() || session.save_job.is_some() {
        return;
    }
    let Some(mut file) = session.file.take() else {
        // A disk job has it; it starts the save when it gives the file back.
        return;
    };
    let key_change = session.pending_key.take();
    let mut vault = session.vault.clone();
    let changes = session.changes;
    session.save_job = Some(jobs::spawn(waker, move || {
        // Checking the current password and deriving the new key run here, off the UI thread.
        let key_change = key_change.map(|change| change.apply(&mut file));
        let base = vault.clone();
        let result = file.save_merging(&mut vault);
        // A failed save may still have merged the file into `vault`: that is folded in too,
        // or the other program's change would be missing from the next save.
        let from_disk = match &result {
            Ok(None) => None,
            Ok(Some(_)) | Err(_) => Some(FromDisk {
                base,
                merged: vault,
            }),
        };
        SaveDone {
            file,
            result,
            changes,
            from_disk,
            key_change,
        }
    }));
}

/// Collects a finished save. Returns what to say in the status bar.
fn poll_save(session: &mut Session, waker: &Waker) -> Option<StatusLine> {
    let job = session.save_job.as_ref()?;
    match job.poll() {
        Poll::Pending => None,
        Poll::Ready(SaveDone {
            file,
            result,
            changes,
            from_disk,
            key_change,
        }) => {
            session.save_job = None;
            session.key = file.key().clone();
            session.kdf = file.kdf();
            session.file = Some(file);
            let empty = crate::vault::merge::MergeReport::default();
            let report = result.as_ref().ok().and_then(Option::as_ref);
            if let Some(from_disk) = from_disk {
                let conflicts = disk::fold_from_disk(session, from_disk, report.unwrap_or(&empty));
                ConflictState::add(&mut session.conflicts, conflicts);
            }
            let status = match result {
                Ok(report) => {
                    session.saved_changes = changes;
                    session.save_error = None;
                    StatusLine::info(disk::saved_message(&report.unwrap_or_default()))
                }
                Err(StoreError::ChangedOnDisk { .. }) => {
                    // Written between the merge and the save by a program that takes no
                    // lock (a sync tool): merged again by the next save, started below.
                    StatusLine::info("The vault file changed while saving; merging again…")
                }
                Err(e) => {
                    let text = e.to_string();
                    session.save_error = Some(text.clone());
                    StatusLine::error(format!(
                        "Not saved: {text}. Your change is kept in memory; retry the save."
                    ))
                }
            };
            let status = match key_change {
                Some(Err(why)) => StatusLine::error(format!("Master password not changed: {why}")),
                Some(Ok(kdf)) if session.save_error.is_none() => StatusLine::info(format!(
                    "Master password and key derivation changed ({kdf}); the backup encrypted \
                     with the old password was removed"
                )),
                _ => status,
            };
            // Changes made while this save ran need a save of their own.
            if session.save_error.is_none() {
                start_save(session, waker);
            }
            Some(status)
        }
        Poll::Lost => {
            session.save_job = None;
            session.save_error = Some("the save stopped unexpectedly".to_owned());
            Some(StatusLine::error(
                "Not saved: the save stopped unexpectedly. Your change is kept in memory; \
                 copy what you need and restart keyward.",
            ))
        }
    }
}
