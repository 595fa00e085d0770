//! The app's state, apart from egui: which screen shows, the unlocked [`Session`], the status
//! line, the clipboard and the jobs still running. `apply.rs` changes it; `tasks.rs` fills
//! in what jobs hand back; the views are given the parts they draw.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::chooser::{Asker, BrowserHost};
use super::command::{AskFile, Page};
use super::conflict_view::ConflictState;
use super::detail::Reveal;
use super::dialogs::Dialog;
use super::jobs::{Job, Waker};
use super::list::{Filter, SortKey, ViewCache, ViewState};
use super::prefs::AppPrefs;
use super::reminders::Banner;
use super::scan_view::ScanState;
use super::settings::SettingsDraft;
use super::signature::SignaturePanel;
use super::status::StatusLine;
use super::tasks::DiskWatch;
use super::tasks::MergeDone;
use super::unlock::{CreateState, UnlockState};
use crate::clipboard::TimedClipboard;
use crate::store::{Credentials, KdfParams, StoreError, VaultFile, VaultKey};
use crate::vault::Vault;
use crate::vault::merge::MergeReport;
use crate::vault::providers::Providers;

/// Which screen is showing.
pub(crate) enum Screen {
    /// Locked: asking for the master password.
    Unlock(UnlockState),
    /// No vault yet: choosing a master password.
    Create(CreateState),
    /// Unlocked.
    Main(Box<Session>),
}

impl Screen {
    /// The first screen for `path`: create a vault when none is there, else unlock it.
    pub fn start(path: PathBuf) -> Screen {
        if path.exists() {
            Screen::Unlock(UnlockState::new(path))
        } else {
            Screen::Create(CreateState::new(path))
        }
    }
}

/// What a finished save job hands back.
pub(crate) struct SaveDone {
    pub file: VaultFile,
    /// What the save merged from disk first (`None`: nothing had changed there).
    pub result: Result<Option<MergeReport>, StoreError>,
    /// The change counter that was saved.
    pub changes: u64,
    /// The vault the job started from and the one it merged (`None` when nothing on disk had
    /// changed): folded into the session, which may have changed meanwhile.
    pub from_disk: Option<FromDisk>,
    /// The outcome of a change of master password or KDF made by this save, if one was.
    pub key_change: Option<Result<KdfParams, String>>,
}

/// A change of master password or KDF asked in Settings: checked against the current
/// password and made by a save job (both derivations run off the UI thread).
pub(crate) struct KeyChange {
    pub current: Credentials,
    pub new: Credentials,
    pub kdf: KdfParams,
}

impl KeyChange {
    /// Checks `current` and sets the new credentials on `file` (the library's rule, as
    /// `keyward passwd`); the message says why not.
    pub fn apply(self, file: &mut VaultFile) -> Result<KdfParams, String> {
        let kdf = self.kdf;
        file.change_credentials(&self.current, self.new, kdf)
            .map(|()| kdf)
            .map_err(|e| match e {
                StoreError::WrongCurrentPassword { .. } => {
                    "the current master password is wrong; nothing was changed".to_owned()
                }
                other => other.to_string(),
            })
    }
}

/// A job's vault after it merged what another program wrote, with the vault the job started
/// from: the base of the three-way merge that folds it into the session.
pub(crate) struct FromDisk {
    pub base: Vault,
    pub merged: Vault,
}

/// What the calendar export hands back: where it was written, or why not (`None`: the user
/// cancelled the dialog).
pub(crate) type CalendarDone = Option<Result<PathBuf, String>>;

/// An unlocked vault and everything shown about it. Dropping it zeroizes every secret.
pub(crate) struct Session {
    pub path: PathBuf,
    /// The vault's key, for the recovery file and the vault's own copies when the file is
    /// with a job (the master password is not kept: it was wiped after the derivation).
    pub key: VaultKey,
    /// The key file the vault was unlocked with (its path only; it is read again to change
    /// the password in Settings).
    pub key_file: Option<PathBuf>,
    /// `None` while a save job has it.
    pub file: Option<VaultFile>,
    pub vault: Vault,
    pub kdf: KdfParams,
    /// Counts changes made in memory; `saved_changes` is the count last written.
    pub changes: u64,
    pub saved_changes: u64,
    pub save_job: Option<Job<SaveDone>>,
    pub save_error: Option<String>,
    /// Fields a merge with another program's change found changed on both sides, waiting for
    /// the user's choice (the conflict dialog).
    pub conflicts: Option<ConflictState>,
    /// Watches the file for another program's change and merges it (`tasks/disk.rs`).
    pub disk: DiskWatch,
    /// A change of master password or KDF (Settings), made by the next save job.
    pub pending_key: Option<KeyChange>,
    pub view: ViewState,
    pub cache: ViewCache,
    pub reveal: Option<Reveal>,
    pub dialog: Option<Dialog>,
    pub page: Page,
    pub settings: SettingsDraft,
    /// The provider presets (built in plus the user's file), for the audit, the checklist's
    /// key page link and the editor's presets.
    pub providers: Providers,
    /// What is due or at risk, shown after unlocking until dismissed.
    pub banner: Option<Banner>,
    /// The calendar export's file dialog and write, while it runs.
    pub calendar_job: Option<Job<CalendarDone>>,
    /// The detail view's "Test signature" panel.
    pub signature: SignaturePanel,
    /// The leak scan view: its folder, options, running scan and last results.
    pub scan: ScanState,
    /// A merge (recovered changes, conflict copies, another vault) and its save, while it
    /// runs; it holds the vault file.
    pub merge_job: Option<Job<MergeDone>>,
    /// The help window (shortcuts, About), when open.
    pub help: Option<super::shortcuts::Help>,
}

impl Session {
    /// The session on `vault`, read from (or just written to) `file` at `path`.
    pub fn new(path: PathBuf, file: VaultFile, mut vault: Vault) -> Self {
        let kdf = file.kdf();
        let settings = SettingsDraft::new(&vault.settings, kdf);
        // A broken user presets file is ignored here; `keyward audit` reports why.
        let (providers, _warning) = crate::presets::load();
        // "Binance" and "binance" are one provider: stored names become the preset's id, as
        // the CLI does on open (saved with the next change).
        providers.normalise(&mut vault);
        Session {
            path,
            key: file.key().clone(),
            key_file: None,
            file: Some(file),
            vault,
            kdf,
            changes: 0,
            saved_changes: 0,
            save_job: None,
            save_error: None,
            conflicts: None,
            disk: DiskWatch::default(),
            pending_key: None,
            view: ViewState::default(),
            cache: ViewCache::default(),
            reveal: None,
            dialog: None,
            page: Page::Keys,
            settings,
            providers,
            banner: None,
            calendar_job: None,
            signature: SignaturePanel::default(),
            scan: ScanState::default(),
            merge_job: None,
            help: None,
        }
    }

    /// Closes the detail panel of a key the filter or the search hides (and masks its
    /// revealed secret).
    pub fn close_filtered_out(&mut self, now: DateTime<Utc>) {
        let Some(id) = self.view.selected else {
            return;
        };
        let shown = self
            .vault
            .by_id(id)
            .is_some_and(|e| self.cache.shows(&self.view, e, &self.vault.settings, now));
        if !shown {
            self.view.selected = None;
            if self.reveal.is_some_and(|r| r.id == id) {
                self.reveal = None;
            }
        }
    }

    /// True when the vault in memory holds changes not yet on disk.
    pub fn unsaved(&self) -> bool {
        self.changes != self.saved_changes
    }

    /// True while a worker thread of this session runs (save, the check of the file on disk
    /// and its merge, calendar, scan, a dialog's file dialog, export, read or key generation).
    pub fn is_busy(&self) -> bool {
        self.save_job.is_some()
            || self.disk.job.is_some()
            || self.calendar_job.is_some()
            || self.scan.is_busy()
            || self.merge_job.is_some()
            || self.dialog.as_ref().is_some_and(Dialog::is_busy)
    }
}

/// The sidebar filter and the sort of the keys page, kept in memory across a lock of the
/// same vault (never persisted). The search text is not kept: it may be a pasted secret.
pub(crate) struct KeptView {
    path: PathBuf,
    filter: Filter,
    sort: SortKey,
    descending: bool,
}

impl KeptView {
    /// What `session` shows, to restore at the next unlock.
    pub fn of(session: &Session) -> Self {
        KeptView {
            path: session.path.clone(),
            filter: session.view.filter.clone(),
            sort: session.view.sort,
            descending: session.view.descending,
        }
    }

    /// Shows the kept filter and sort again in `session`, when it is the same vault.
    pub fn restore(self, session: &mut Session) {
        if self.path == session.path {
            session.view.filter = self.filter;
            session.view.sort = self.sort;
            session.view.descending = self.descending;
        }
    }
}

/// Everything the commands change, without egui: tests build it and apply commands to it.
pub(crate) struct AppState {
    pub prefs: AppPrefs,
    pub clipboard: TimedClipboard,
    /// Key derivation for new vaults, overriding the user's choice (tests use a cheap one).
    pub new_vault_kdf: Option<KdfParams>,
    pub screen: Screen,
    pub status: StatusLine,
    /// Saves still running when the vault was locked: their outcome is still reported.
    pub orphan_saves: Vec<Job<SaveDone>>,
    /// The last input seen (the idle lock counts from it).
    pub last_input: DateTime<Utc>,
    /// Wakes the window when a job finishes.
    pub waker: Waker,
    /// Asks for a file or folder (the native dialog or the built-in browser; tests answer
    /// themselves).
    pub ask_file: Asker,
    /// The built-in file browser, where the desktop has no file chooser.
    pub browser: BrowserHost,
    /// egui's per-widget memory (text editor undo histories) held typed secrets: the frame
    /// loop drops it.
    pub forget_widgets: bool,
    /// The theme preference changed: the frame loop tells egui.
    pub theme_changed: bool,
    /// The keys page's filter and sort at the last lock, for the next unlock.
    pub kept_view: Option<KeptView>,
}

impl AppState {
    /// The state of a freshly started app on `screen` at `now`.
    pub fn new(
        prefs: AppPrefs,
        clipboard: TimedClipboard,
        screen: Screen,
        now: DateTime<Utc>,
        waker: Waker,
        ask_file: AskFile,
    ) -> Self {
        AppState {
            prefs,
            clipboard,
            new_vault_kdf: None,
            screen,
            status: StatusLine::default(),
            orphan_saves: Vec::new(),
            last_input: now,
            waker,
            ask_file: Asker::native(ask_file),
            browser: BrowserHost::none(),
            forget_widgets: false,
            theme_changed: false,
            kept_view: None,
        }
    }

    /// The unlocked session, if any.
    pub fn session(&self) -> Option<&Session> {
        match &self.screen {
            Screen::Main(session) => Some(session),
            _ => None,
        }
    }

    /// True while a worker thread (unlock, create, save, merge, …) is running.
    /// A pick waiting in the built-in browser waits for the user, not for a thread.
    pub fn is_busy(&self) -> bool {
        if self.browser.open.is_some() {
            return false;
        }
        match &self.screen {
            // A pick on its worker thread is busy until it is answered or the built-in
            // browser shows (above): tests that settle after "Key file…" then see the browser.
            Screen::Unlock(u) => u.job.is_some() || u.pick.is_some(),
            Screen::Create(c) => c.job.is_some(),
            Screen::Main(s) => s.is_busy(),
        }
    }

    /// True when the app holds anything decrypted or typed as a secret: the vault, the master
    /// password, or text in a password or secret field. False after a lock.
    pub fn holds_secrets(&self) -> bool {
        match &self.screen {
            Screen::Main(_) => true,
            Screen::Unlock(u) => !u.password.is_empty() || u.slow_kdf.is_some(),
            Screen::Create(c) => !c.password.is_empty() || !c.repeat.is_empty(),
        }
    }
}
