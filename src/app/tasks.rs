//! Every background job of the app, started and collected here: unlock, create, save,
//! reload, file dialogs, export, import reading, calendar, leak scan and key generation.
//! `apply.rs` starts them; the frame loop calls [`poll`] before drawing, which takes each
//! finished job's result into the state and says what happened in the status bar.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::command::FilePick;
use super::dialogs::Dialog;
use super::entry_form::EditorState;
use super::jobs::{self, PickJob, Poll, Waker};
use super::reminders::Banner;
use super::scan_view::{Finished, Running, ScanState};
use super::state::{AppState, ReloadDone, SaveDone, Screen, Session};
use super::status::StatusLine;
use super::transfer_view::{ExportState, ImportState, ReadFile, error_text};
use super::unlock::{CreateState, UnlockState};
use super::widgets::{SecretBuffer, display_path};
use crate::keys::{self, KeyAlgorithm};
use crate::scan::{self, Needles, Progress, ScanOptions};
use crate::secret::{SecretBytes, SecretString};
use crate::store::{KdfParams, StoreError, VaultFile};
use crate::transfer::{self, ExportOptions, Format, ImportOptions, write_private_file};
use crate::vault::Vault;

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
            statuses.extend(poll_reload(session, &waker));
            statuses.extend(poll_calendar(session));
            statuses.extend(poll_scan(&mut session.scan));
            let (dialog_status, closed) = poll_dialog(session);
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
                Ok(()) => StatusLine::info("Saved (before locking)"),
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
    session.banner = Banner::on_unlock(&session.vault, &session.providers, now);
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

/// Opens the vault at the unlock screen's path with `password` on a worker thread.
pub(crate) fn start_unlock(state: &mut UnlockState, password: SecretString, waker: &Waker) {
    let path = state.path.clone();
    state.error = None;
    state.job = Some(jobs::spawn(waker, move || {
        let result = VaultFile::open(&path, password.clone());
        (result, password)
    }));
}

/// Collects the unlock job; returns the session when unlocked.
fn poll_unlock(state: &mut UnlockState) -> Option<Session> {
    let job = state.job.as_ref()?;
    match job.poll() {
        Poll::Pending => None,
        Poll::Ready((Ok((file, vault)), password)) => {
            state.job = None;
            Some(Session::new(state.path.clone(), password, file, vault))
        }
        Poll::Ready((Err(e), _password)) => {
            state.job = None;
            state.error = Some(match e {
                StoreError::WrongPasswordOrDamaged { .. } => {
                    "Wrong password (or the file is damaged). Try again.".to_owned()
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
    match job.poll() {
        Poll::Pending => return false,
        Poll::Ready(Some(path)) => {
            state.error = None;
            if create || !path.exists() {
                // Handed over to the create screen by `poll`.
                state.create_requested = true;
            } else {
                state.focus_password = true;
            }
            state.path = path;
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
        let result = VaultFile::create(&path, password.clone(), kdf, &Vault::default());
        (result, password)
    }));
}

/// Collects the create job; returns the session when the vault exists.
fn poll_create(state: &mut CreateState) -> Option<Session> {
    let job = state.job.as_ref()?;
    match job.poll() {
        Poll::Pending => None,
        Poll::Ready((Ok(file), password)) => {
            state.job = None;
            Some(Session::new(
                state.path.clone(),
                password,
                file,
                Vault::default(),
            ))
        }
        Poll::Ready((Err(e), _)) => {
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

/// The file name an export dialog suggests for `format`.
fn suggested_name(format: Format) -> String {
    let extension = match format {
        Format::Kdbx => "kdbx",
        Format::KeepassXml => "xml",
        Format::BitwardenJson => "json",
        _ => "csv",
    };
    format!("keyward-export.{extension}")
}

/// Opens the file dialog `pick` on a worker thread (the UI keeps drawing meanwhile).
pub(crate) fn start_pick(pick: FilePick, waker: &Waker) -> PickJob {
    jobs::spawn(waker, move || {
        let dialog = rfd::FileDialog::new();
        match pick {
            FilePick::OpenVault => dialog
                .set_title("Open a keyward vault")
                .add_filter("keyward vault", &["keyward"])
                .pick_file(),
            FilePick::NewVault => dialog
                .set_title("Create a keyward vault")
                .add_filter("keyward vault", &["keyward"])
                .set_file_name("vault.keyward")
                .save_file(),
            FilePick::ExportTo(format) => dialog
                .set_title("Export keys to…")
                .set_file_name(suggested_name(format))
                .save_file(),
            FilePick::ImportFrom => dialog.set_title("Import keys from…").pick_file(),
            FilePick::ScanFolder => dialog
                .set_title("Scan a folder for stored secrets")
                .pick_folder(),
        }
    })
}

/// Takes a finished file dialog's choice into `path`. True when a path was chosen.
fn poll_pick(pick: &mut Option<PickJob>, path: &mut String) -> bool {
    let Some(job) = pick else {
        return false;
    };
    let chosen = match job.poll() {
        Poll::Pending => return false,
        Poll::Ready(choice) => choice,
        Poll::Lost => None,
    };
    *pick = None;
    match chosen {
        Some(chosen) => {
            *path = display_path(&chosen);
            true
        }
        None => false,
    }
}

/// Starts a save job when there is something to save and no job already running.
pub(crate) fn start_save(session: &mut Session, waker: &Waker) {
    if !session.unsaved() || session.save_job.is_some() || session.changed_on_disk {
        return;
    }
    let Some(mut file) = session.file.take() else {
        return;
    };
    if let Some(kdf) = session.pending_kdf.take() {
        if let Err(e) = file.set_password(session.password.clone(), kdf) {
            session.save_error = Some(e.to_string());
        } else {
            session.kdf = kdf;
        }
    }
    let mut vault = session.vault.clone();
    let changes = session.changes;
    session.save_job = Some(jobs::spawn(waker, move || {
        let result = file.save(&mut vault);
        drop(vault);
        SaveDone {
            file,
            result,
            changes,
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
        }) => {
            session.save_job = None;
            session.file = Some(file);
            let status = match result {
                Ok(()) => {
                    session.saved_changes = changes;
                    session.save_error = None;
                    StatusLine::info("Saved")
                }
                Err(StoreError::ChangedOnDisk { .. }) => {
                    session.changed_on_disk = true;
                    StatusLine::error(
                        "Not saved: the vault file was changed by another program. \
                         Reload it or keep your version (see the banner).",
                    )
                }
                Err(e) => {
                    let text = e.to_string();
                    session.save_error = Some(text.clone());
                    StatusLine::error(format!(
                        "Not saved: {text}. Your change is kept in memory; retry the save."
                    ))
                }
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

/// Reads the vault file again on a worker thread. False when a save or a reload runs.
pub(crate) fn start_reload(session: &mut Session, keep_mine: bool, waker: &Waker) -> bool {
    if session.reload_job.is_some() || session.save_job.is_some() {
        return false;
    }
    let path = session.path.clone();
    let password = session.password.clone();
    session.reload_job = Some(jobs::spawn(waker, move || ReloadDone {
        result: VaultFile::open(&path, password),
        keep_mine,
    }));
    true
}

/// Collects a finished reload. Returns what to say in the status bar.
fn poll_reload(session: &mut Session, waker: &Waker) -> Option<StatusLine> {
    let job = session.reload_job.as_ref()?;
    let (result, keep_mine) = match job.poll() {
        Poll::Pending => return None,
        Poll::Ready(ReloadDone { result, keep_mine }) => (result, keep_mine),
        Poll::Lost => {
            session.reload_job = None;
            return Some(StatusLine::error("Could not reload: the read stopped"));
        }
    };
    session.reload_job = None;
    let (file, vault) = match result {
        Ok(read) => read,
        Err(e) => return Some(StatusLine::error(format!("Could not reload: {e}"))),
    };
    session.kdf = file.kdf();
    session.file = Some(file);
    session.changed_on_disk = false;
    session.save_error = None;
    if keep_mine {
        session.changes += 1;
        start_save(session, waker);
        return Some(StatusLine::info(
            "Saving your version over the other change…",
        ));
    }
    session.vault = vault;
    session.providers.normalise(&mut session.vault);
    session.saved_changes = session.changes;
    session.cache.invalidate();
    session.reveal = None;
    if session
        .view
        .selected
        .is_some_and(|id| session.vault.by_id(id).is_none())
    {
        session.view.selected = None;
    }
    Some(StatusLine::info("Reloaded the vault from disk"))
}

/// Writes the export the dialog describes on a worker thread; its passwords are wiped.
pub(crate) fn start_export(state: &mut ExportState, vault: &Vault, waker: &Waker) {
    let path = PathBuf::from(state.path.trim());
    let format = state.format;
    let password = (format == Format::Kdbx).then(|| state.password.take_secret());
    state.repeat.wipe();
    let overwrite = state.overwrite;
    let vault = vault.clone();
    state.error = None;
    state.job = Some(jobs::spawn(waker, move || {
        let count = vault.entries.len();
        let exported = transfer::export(
            &vault,
            format,
            &ExportOptions {
                password,
                ..ExportOptions::default()
            },
        )
        .map_err(|e| error_text(&e))?;
        drop(vault);
        write_private_file(&path, exported.bytes.expose(), overwrite)
            .map_err(|e| error_text(&e))?;
        Ok((path, count))
    }));
}

/// Reads the file the import dialog names on a worker thread, for its preview.
pub(crate) fn start_import_read(state: &mut ImportState, now: DateTime<Utc>, waker: &Waker) {
    state.forget();
    let path = PathBuf::from(state.path.trim());
    let format = state.format;
    let columns = if format == Format::Csv {
        let pairs: Vec<String> = state
            .columns
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        match transfer::parse_column_maps(&pairs) {
            Ok(columns) => columns,
            Err(e) => {
                state.error = Some(e.to_string());
                return;
            }
        }
    } else {
        Vec::new()
    };
    let password = (format == Format::Kdbx).then(|| copy_secret(&state.password));
    state.job = Some(jobs::spawn(waker, move || {
        let bytes = std::fs::read(&path)
            .map(SecretBytes::new)
            .map_err(|e| format!("cannot read {}: {e}", display_path(&path)))?;
        let imported = transfer::import(
            bytes.expose(),
            &path,
            format,
            &ImportOptions {
                password,
                columns,
                ..ImportOptions::default()
            },
            now,
        )
        .map_err(|e| error_text(&e))?;
        Ok(ReadFile {
            path,
            entries: imported.entries,
            notices: imported.report.lines(),
        })
    }));
}

/// The text of `buffer` as a secret, leaving the buffer as it is.
fn copy_secret(buffer: &SecretBuffer) -> SecretString {
    SecretString::new(buffer.expose().to_owned())
}

/// Collects the open dialog's jobs. Returns what to say, and true when the dialog closed.
fn poll_dialog(session: &mut Session) -> (Option<StatusLine>, bool) {
    match &mut session.dialog {
        Some(Dialog::Export(state)) => {
            poll_pick(&mut state.pick, &mut state.path);
            match poll_export(state) {
                Some(
                    status @ StatusLine {
                        is_error: false, ..
                    },
                ) => {
                    session.dialog = None;
                    (Some(status), true)
                }
                _ => (None, false),
            }
        }
        Some(Dialog::Import(state)) => {
            if poll_pick(&mut state.pick, &mut state.path) {
                state.forget();
            }
            poll_import_read(state);
            (None, false)
        }
        Some(Dialog::Editor(state)) => {
            poll_keygen(state);
            (None, false)
        }
        _ => (None, false),
    }
}

/// Collects a finished export: the status line when written, else the dialog's error.
fn poll_export(state: &mut ExportState) -> Option<StatusLine> {
    let job = state.job.as_ref()?;
    let result = match job.poll() {
        Poll::Pending => return None,
        Poll::Ready(result) => result,
        Poll::Lost => Err("the export stopped unexpectedly".to_owned()),
    };
    state.job = None;
    match result {
        Ok((path, count)) => Some(StatusLine::info(format!(
            "Exported {count} key(s) to {} ({}), readable only by you. Delete it once imported.",
            display_path(&path),
            state.format
        ))),
        Err(e) => {
            state.error = Some(format!("Nothing exported: {e}"));
            None
        }
    }
}

/// Collects a finished import read into the dialog's preview, or its error.
fn poll_import_read(state: &mut ImportState) {
    let Some(job) = &state.job else {
        return;
    };
    match job.poll() {
        Poll::Pending => return,
        Poll::Ready(Ok(read)) => state.read = Some(read),
        Poll::Ready(Err(e)) => state.error = Some(format!("Nothing imported: {e}")),
        Poll::Lost => {
            state.error = Some("Nothing imported: reading stopped unexpectedly".into());
        }
    }
    state.job = None;
}

/// Asks where to save the calendar (file dialog on a worker thread), then writes it there.
pub(crate) fn start_calendar(session: &mut Session, now: DateTime<Utc>, waker: &Waker) {
    // Built here: the calendar holds names and dates only, never a secret.
    let ics = crate::calendar::to_ics(
        &crate::calendar::reminders(&session.vault, now),
        session.vault.settings.reminder_lead_days,
        now,
    );
    session.calendar_job = Some(jobs::spawn(waker, move || {
        let path = rfd::FileDialog::new()
            .set_title("Save the reminders as a calendar")
            .add_filter("iCalendar", &["ics"])
            .set_file_name("keyward-reminders.ics")
            .save_file()?;
        Some(
            crate::store::write_file_atomically(&path, ics.as_bytes())
                .map(|()| path)
                .map_err(|e| e.to_string()),
        )
    }));
}

/// Collects the calendar export; returns what to say in the status bar.
fn poll_calendar(session: &mut Session) -> Option<StatusLine> {
    let job = session.calendar_job.as_ref()?;
    let status = match job.poll() {
        Poll::Pending => return None,
        Poll::Ready(None) => None,
        Poll::Ready(Some(Ok(path))) => Some(StatusLine::info(format!(
            "Calendar saved to {}: import it into your calendar app",
            display_path(&path)
        ))),
        Poll::Ready(Some(Err(e))) => Some(StatusLine::error(format!(
            "The calendar was not saved: {e}"
        ))),
        Poll::Lost => Some(StatusLine::error(
            "The calendar was not saved: the file dialog stopped",
        )),
    };
    session.calendar_job = None;
    status
}

/// Starts the scan of the folder typed, with the vault's secrets as needles.
pub(crate) fn start_scan(state: &mut ScanState, vault: &Vault, waker: &Waker) {
    state.error = None;
    let folder = PathBuf::from(state.folder.trim());
    if std::fs::symlink_metadata(&folder).is_err() {
        state.error = Some(format!("No such file or folder: {}", display_path(&folder)));
        return;
    }
    let needles = Needles::from_vault(vault);
    if needles.is_empty() {
        state.error = Some(format!(
            "Nothing to search for: no stored secret is {} characters or longer.",
            scan::MIN_SECRET_LEN
        ));
        return;
    }
    let searched = needles.len();
    let too_short = needles.too_short.clone();
    let options = ScanOptions {
        hidden: state.hidden,
        no_ignore: state.no_ignore,
        binary: state.binary,
        git: state.git,
        threads: 0,
    };
    let progress = Arc::new(Progress::default());
    let worker_progress = Arc::clone(&progress);
    let paths = vec![folder.clone()];
    let job = jobs::spawn(waker, move || {
        let report = scan::scan(&paths, &needles, &options, &worker_progress);
        // The needles hold the secrets: wiped here, on the worker, when the scan ends.
        drop(needles);
        report
    });
    state.done = None;
    state.running = Some(Running {
        job,
        progress,
        started: Instant::now(),
        folder,
        searched,
        too_short,
    });
}

/// Collects the folder dialog's choice and the finished scan; returns what to say in the
/// status bar.
fn poll_scan(state: &mut ScanState) -> Option<StatusLine> {
    poll_pick(&mut state.pick, &mut state.folder);
    let running = state.running.as_ref()?;
    let (report, stopped) = match running.job.poll() {
        Poll::Pending => return None,
        Poll::Ready(report) => (report, running.progress.cancel.load(Ordering::Relaxed)),
        Poll::Lost => {
            state.running = None;
            state.error = Some("The scan stopped unexpectedly.".to_owned());
            return Some(StatusLine::error("The leak scan stopped unexpectedly"));
        }
    };
    let mut running = state.running.take()?;
    let finished = Finished {
        report,
        folder: std::mem::take(&mut running.folder),
        elapsed: running.started.elapsed(),
        searched: running.searched,
        too_short: std::mem::take(&mut running.too_short),
        stopped,
    };
    let hits = finished.report.hits.len();
    let status = if stopped {
        StatusLine::info(format!("Scan stopped: {hits} place(s) found so far"))
    } else if hits == 0 {
        StatusLine::info(format!(
            "Scan finished: no stored secret found in {}",
            display_path(&finished.folder)
        ))
    } else {
        StatusLine::error(format!(
            "Scan finished: {hits} place(s) hold a stored secret in plain text"
        ))
    };
    state.done = Some(finished);
    Some(status)
}

/// Generates a key pair of `alg` for the editor on a worker thread (RSA-4096 takes seconds).
pub(crate) fn start_keygen(state: &mut EditorState, alg: KeyAlgorithm, waker: &Waker) {
    state.keygen_alg = alg;
    state.keygen_note = None;
    state.keygen = Some(jobs::spawn(waker, move || {
        keys::generate(alg).map_err(|e| e.to_string())
    }));
}

/// Fills the editor's private and public key fields when the generation has finished.
fn poll_keygen(state: &mut EditorState) {
    let Some(job) = &state.keygen else {
        return;
    };
    let note = match job.poll() {
        Poll::Pending => return,
        Poll::Ready(Ok(pair)) => {
            state.private_key = SecretBuffer::from_secret(&pair.private_key);
            state.public_key = pair.public_key.clone();
            Ok(format!(
                "Generated an {} key pair. Save the key, then upload the public key to \
                 the provider.",
                state.keygen_alg
            ))
        }
        Poll::Ready(Err(e)) => Err(format!("No key pair generated: {e}")),
        Poll::Lost => Err("No key pair generated: the generator stopped".to_owned()),
    };
    state.keygen = None;
    state.keygen_note = Some(note);
}
