//! The jobs of the tools around the vault: file dialogs, export, import reading, the
//! calendar, the leak scan and key generation. Started by `apply.rs` (through the parent's
//! re-exports) and collected by the parent's `poll`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::app::chooser::Asker;
use crate::app::command::FilePick;
use crate::app::dialogs::Dialog;
use crate::app::entry_form::EditorState;
use crate::app::jobs::{self, PickJob, Poll, Waker};
use crate::app::scan_view::{Finished, Running, ScanState};
use crate::app::state::Session;
use crate::app::status::StatusLine;
use crate::app::transfer_view::{ExportState, ImportState, ReadFile, error_text};
use crate::app::widgets::{SecretBuffer, display_path};
use crate::keys::{self, KeyAlgorithm};
use crate::scan::{self, Needles, Progress, ScanOptions};
use crate::secret::SecretString;
use crate::transfer::{self, ExportOptions, Format, ImportOptions, write_private_file};
use crate::vault::Vault;

/// Asks with [`rfd`]'s native dialog what `pick` asks for (on a worker thread: it blocks).
pub(crate) fn native_file_dialog(pick: FilePick) -> Option<PathBuf> {
    let mut dialog = rfd::FileDialog::new().set_title(pick.title());
    if let Some(name) = pick.suggested_name() {
        dialog = dialog.set_file_name(name);
    }
    match pick {
        FilePick::OpenVault | FilePick::MergeFrom => {
            dialog.add_filter("keyward vault", &["keyward"]).pick_file()
        }
        FilePick::NewVault => dialog.add_filter("keyward vault", &["keyward"]).save_file(),
        FilePick::ExportTo(_) => dialog.save_file(),
        FilePick::ImportFrom | FilePick::KeyFile => dialog.pick_file(),
        FilePick::ScanFolder => dialog.pick_folder(),
        FilePick::SaveCalendar => dialog.add_filter("iCalendar", &["ics"]).save_file(),
    }
}

/// Asks `ask` what `pick` asks for on a worker thread (the UI keeps drawing meanwhile).
pub(crate) fn start_pick(pick: FilePick, ask: Asker, waker: &Waker) -> PickJob {
    jobs::spawn(waker, move || ask.ask(pick))
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
/// Writes the export the dialog describes on a worker thread. The password fields keep their
/// text (a failed export is retried without typing them again); closing the dialog wipes them.
pub(crate) fn start_export(state: &mut ExportState, vault: &Vault, waker: &Waker) {
    let path = PathBuf::from(state.path.trim());
    let format = state.format;
    let password = (format == Format::Kdbx).then(|| copy_secret(&state.password));
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
        let file = std::fs::File::open(&path)
            .map_err(|e| format!("cannot read {}: {e}", display_path(&path)))?;
        let imported = transfer::import_file(
            file,
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
pub(super) fn poll_dialog(session: &mut Session) -> (Option<StatusLine>, bool) {
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
        Some(Dialog::MergeOther(state)) => {
            poll_pick(&mut state.pick, &mut state.path);
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
pub(crate) fn start_calendar(session: &mut Session, now: DateTime<Utc>, ask: Asker, waker: &Waker) {
    // Built here: the calendar holds names and dates only, never a secret.
    let ics = crate::calendar::to_ics(
        &crate::calendar::reminders(&session.vault, now),
        session.vault.settings.reminder_lead_days,
        now,
    );
    session.calendar_job = Some(jobs::spawn(waker, move || {
        let path = ask.ask(FilePick::SaveCalendar)?;
        Some(
            crate::store::write_file_atomically(&path, ics.as_bytes())
                .map(|()| path)
                .map_err(|e| e.to_string()),
        )
    }));
}

/// Collects the calendar export; returns what to say in the status bar.
pub(super) fn poll_calendar(session: &mut Session) -> Option<StatusLine> {
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
    let detectors = if state.unknown {
        match scan::Detectors::builtin() {
            Ok(d) => Some(Arc::new(d)),
            Err(e) => {
                state.error = Some(format!("The built-in key patterns are broken: {e}"));
                return;
            }
        }
    } else {
        None
    };
    if needles.is_empty() && detectors.is_none() {
        state.error = Some(
            format!(
                "Nothing to search for: no stored secret is {} characters or longer.",
                scan::MIN_SECRET_LEN
            ) + " Tick \"Keys not in the vault\" to look for key patterns.",
        );
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
        unknown: detectors.clone(),
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
    state.adding = None;
    state.running = Some(Running {
        job,
        progress,
        started: Instant::now(),
        folder,
        searched,
        too_short,
        detectors,
    });
}

/// Collects the folder dialog's choice and the finished scan; returns what to say in the
/// status bar.
pub(super) fn poll_scan(state: &mut ScanState) -> Option<StatusLine> {
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
        detectors: running.detectors.take(),
    };
    let hits = finished.report.hits.len();
    let unknown = finished.unknown_hits();
    let status = if stopped {
        StatusLine::info(format!("Scan stopped: {hits} place(s) found so far"))
    } else if hits == 0 {
        StatusLine::info(format!(
            "Scan finished: no {} found in {}",
            if finished.detectors.is_some() {
                "secret"
            } else {
                "stored secret"
            },
            display_path(&finished.folder)
        ))
    } else if unknown == 0 {
        StatusLine::error(format!(
            "Scan finished: {hits} place(s) hold a stored secret in plain text"
        ))
    } else {
        StatusLine::error(format!(
            "Scan finished: {} place(s) hold a stored secret, {unknown} a key not in the vault",
            hits - unknown
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
