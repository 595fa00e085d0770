//! The desktop app (eframe/egui).
//!
//! Laid out like egui's demo app and rerun's viewer:
//! - this file: the app's state ([`KeywardApp`], the screens, the unlocked [`Session`]) and
//!   the frame loop;
//! - `commands.rs`: the one place that applies what the views ask for (lock, save, rotate…);
//! - `jobs.rs`: worker threads for the KDF (unlock, create, save);
//! - one file per view: `unlock.rs`, `list.rs` (search, sidebar, table), `detail.rs`,
//!   `editor.rs`, `reminders.rs` (unlock banner, dates, calendar export), `audit_view.rs`,
//!   `transfer.rs` (export and import dialogs), `signature.rs` (the detail view's test
//!   signature), `scan_view.rs` (the leak scan), `settings.rs`, `status.rs`; small widgets
//!   in `widgets.rs`.
//!
//! The views hold no rules: entries are judged by [`crate::vault::policy`] and
//! [`crate::vault::audit`], moved in and out by [`crate::transfer`] and stored by
//! [`crate::store`]. Nothing secret is persisted by eframe: only [`AppPrefs`].

use eframe::egui;
mod audit_view;
mod clock;
mod commands;
mod detail;
mod editor;
mod icon;
mod jobs;
mod list;
mod reminders;
mod scan_view;
mod settings;
mod signature;
mod status;
mod transfer;
mod unlock;
mod widgets;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use clock::{Clock, ManualClock, SystemClock};

use crate::clipboard::{
    ClearOutcome, ClipboardBackend, ClipboardError, SystemClipboard, TimedClipboard,
};
use crate::secret::SecretString;
use crate::store::{KdfParams, VaultFile};
use crate::vault::{Field, Vault};
use commands::{Command, LockReason};
use jobs::Job;

/// Opens the desktop app on the vault at `vault_path` (the default vault when `None`).
/// Returns when the window is closed.
pub fn run(vault_path: Option<PathBuf>) -> Result<(), String> {
    let clipboard: Box<dyn ClipboardBackend> = match SystemClipboard::new() {
        Ok(c) => Box::new(c),
        Err(e) => Box::new(NoClipboard(e)),
    };
    let persistence_path =
        directories::ProjectDirs::from("", "", "keyward").map(|d| d.config_dir().join("app.ron"));
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("keyward")
        .with_app_id("keyward")
        .with_inner_size([1180.0, 720.0])
        .with_min_inner_size([720.0, 420.0]);
    if let Some(icon) = icon::window_icon() {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let options = eframe::NativeOptions {
        viewport,
        persistence_path,
        ..Default::default()
    };
    eframe::run_native(
        "keyward",
        options,
        Box::new(move |cc| {
            let prefs: AppPrefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            let path = vault_path
                .or_else(|| prefs.last_vault.clone())
                .or_else(crate::store::default_vault_path)
                .unwrap_or_else(|| PathBuf::from("vault.keyward"));
            let options = AppOptions {
                vault_path: path,
                clock: Arc::new(SystemClock),
                clipboard,
                new_vault_kdf: None,
            };
            Ok(Box::new(KeywardApp::new(&cc.egui_ctx, prefs, options)))
        }),
    )
    .map_err(|e| format!("the desktop app could not start: {e}"))
}

/// A clipboard that is not there (no display server): every copy fails with the reason.
struct NoClipboard(ClipboardError);

impl ClipboardBackend for NoClipboard {
    fn set_secret(&mut self, _text: &str) -> Result<(), ClipboardError> {
        Err(self.0.clone())
    }
    fn text(&mut self) -> Result<Option<zeroize::Zeroizing<String>>, ClipboardError> {
        Ok(None)
    }
    fn clear(&mut self) -> Result<(), ClipboardError> {
        Ok(())
    }
}

/// How the app is wired: where the vault is and what it reads the time and the clipboard from.
pub struct AppOptions {
    /// The vault to open (or to create when it does not exist).
    pub vault_path: PathBuf,
    /// Where the app reads the time (idle lock, countdowns, rotation ages).
    pub clock: Arc<dyn Clock>,
    /// The clipboard copies go to.
    pub clipboard: Box<dyn ClipboardBackend>,
    /// Key derivation for new vaults, overriding the strength the user picks (tests use a
    /// cheap one). `None` in the real app.
    pub new_vault_kdf: Option<KdfParams>,
}

/// App preferences persisted by eframe in the config dir. Never a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppPrefs {
    /// The vault opened last.
    pub last_vault: Option<PathBuf>,
    /// Light, dark or follow the system.
    pub theme: ThemeChoice,
}

/// The colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl ThemeChoice {
    fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// A line in the status bar.
#[derive(Clone, Debug, Default)]
pub(crate) struct StatusLine {
    pub text: String,
    pub is_error: bool,
}

impl StatusLine {
    fn info(text: impl Into<String>) -> Self {
        StatusLine {
            text: text.into(),
            is_error: false,
        }
    }
    fn error(text: impl Into<String>) -> Self {
        StatusLine {
            text: text.into(),
            is_error: true,
        }
    }
}

/// Which screen is showing.
pub(crate) enum Screen {
    /// Locked: asking for the master password.
    Unlock(unlock::UnlockState),
    /// No vault yet: choosing a master password.
    Create(unlock::CreateState),
    /// Unlocked.
    Main(Box<Session>),
}

/// What a finished save job hands back.
pub(crate) struct SaveDone {
    file: VaultFile,
    result: Result<(), crate::store::StoreError>,
    /// The change counter that was saved.
    changes: u64,
}

/// What a finished reload job hands back.
pub(crate) struct ReloadDone {
    result: Result<(VaultFile, Vault), crate::store::StoreError>,
    /// Keep the vault in memory (and save it over the other change) instead of loading theirs.
    keep_mine: bool,
}

/// A secret shown in clear until a deadline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Reveal {
    pub id: uuid::Uuid,
    pub field: Field,
    pub until: DateTime<Utc>,
}

/// The main view's pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Page {
    #[default]
    Keys,
    Settings,
    Reminders,
    Audit,
    Scan,
}

/// An unlocked vault and everything shown about it. Dropping it zeroizes every secret.
pub(crate) struct Session {
    pub path: PathBuf,
    /// Kept to reload the file after someone else changed it, and to change the KDF.
    pub password: SecretString,
    /// `None` while a save job has it.
    pub file: Option<VaultFile>,
    pub vault: Vault,
    pub kdf: KdfParams,
    /// Counts changes made in memory; `saved_changes` is the count last written.
    pub changes: u64,
    pub saved_changes: u64,
    pub save_job: Option<Job<SaveDone>>,
    pub reload_job: Option<Job<ReloadDone>>,
    pub save_error: Option<String>,
    pub changed_on_disk: bool,
    /// A KDF change waiting for the file to come back from a save job.
    pub pending_kdf: Option<KdfParams>,
    pub view: list::ViewState,
    pub cache: list::ViewCache,
    pub reveal: Option<Reveal>,
    pub dialog: Option<detail::Dialog>,
    pub page: Page,
    pub settings: settings::SettingsDraft,
    /// The provider presets (built in plus the user's file), for the audit, the checklist's
    /// key page link and the editor's presets.
    pub providers: crate::vault::providers::Providers,
    /// What is due or at risk, shown after unlocking until dismissed.
    pub banner: Option<reminders::Banner>,
    /// The calendar export's file dialog and write, while it runs.
    pub calendar_job: Option<Job<reminders::CalendarDone>>,
    /// The detail view's "Test signature" panel.
    pub signature: signature::SignaturePanel,
    /// The leak scan view: its folder, options, running scan and last results.
    pub scan: scan_view::ScanState,
}

impl Session {
    fn new(path: PathBuf, password: SecretString, file: VaultFile, vault: Vault) -> Self {
        let kdf = file.kdf();
        let settings = settings::SettingsDraft::new(&vault.settings, kdf);
        // A broken user presets file is ignored here; `keyward audit` reports why.
        let (providers, _warning) = crate::presets::load();
        Session {
            path,
            password,
            file: Some(file),
            vault,
            kdf,
            changes: 0,
            saved_changes: 0,
            save_job: None,
            reload_job: None,
            save_error: None,
            changed_on_disk: false,
            pending_kdf: None,
            view: list::ViewState::default(),
            cache: list::ViewCache::default(),
            reveal: None,
            dialog: None,
            page: Page::Keys,
            settings,
            providers,
            banner: None,
            calendar_job: None,
            signature: signature::SignaturePanel::default(),
            scan: scan_view::ScanState::default(),
        }
    }

    /// True when the vault in memory holds changes not yet on disk.
    pub fn unsaved(&self) -> bool {
        self.changes != self.saved_changes
    }

    /// Records a change to the vault and starts saving it.
    fn changed(&mut self, ctx: &egui::Context) {
        self.changes += 1;
        self.cache.invalidate();
        self.start_save(ctx);
    }

    /// Starts a save job when there is something to save and no job already running.
    fn start_save(&mut self, ctx: &egui::Context) {
        if !self.unsaved() || self.save_job.is_some() || self.changed_on_disk {
            return;
        }
        let Some(mut file) = self.file.take() else {
            return;
        };
        if let Some(kdf) = self.pending_kdf.take() {
            if let Err(e) = file.set_password(self.password.clone(), kdf) {
                self.save_error = Some(e.to_string());
            } else {
                self.kdf = kdf;
            }
        }
        let vault = self.vault.clone();
        let changes = self.changes;
        self.save_job = Some(jobs::spawn(ctx, move || {
            let result = file.save(&vault);
            drop(vault);
            SaveDone {
                file,
                result,
                changes,
            }
        }));
    }
}

/// The keyward desktop app.
pub struct KeywardApp {
    ctx: egui::Context,
    prefs: AppPrefs,
    clock: Arc<dyn Clock>,
    clipboard: TimedClipboard,
    new_vault_kdf: Option<KdfParams>,
    pub(crate) screen: Screen,
    pub(crate) status: StatusLine,
    commands: Vec<Command>,
    /// Saves still running when the vault was locked: their outcome is still reported.
    orphan_saves: Vec<Job<SaveDone>>,
    last_input: DateTime<Utc>,
}

impl KeywardApp {
    /// The app on `options.vault_path`: the unlock screen when the file exists, else the
    /// screen that creates a vault.
    pub fn new(ctx: &egui::Context, prefs: AppPrefs, options: AppOptions) -> Self {
        ctx.set_theme(prefs.theme.preference());
        let now = options.clock.now();
        let screen = start_screen(options.vault_path);
        KeywardApp {
            ctx: ctx.clone(),
            prefs,
            clock: options.clock,
            clipboard: TimedClipboard::new(options.clipboard),
            new_vault_kdf: options.new_vault_kdf,
            screen,
            status: StatusLine::default(),
            commands: Vec::new(),
            orphan_saves: Vec::new(),
            last_input: now,
        }
    }

    /// True while the unlock (or create) screen shows: no decrypted data is held.
    pub fn is_locked(&self) -> bool {
        !matches!(self.screen, Screen::Main(_))
    }

    /// True while a worker thread (unlock, create, save, reload) is running.
    pub fn is_busy(&self) -> bool {
        match &self.screen {
            Screen::Unlock(u) => u.job.is_some(),
            Screen::Create(c) => c.job.is_some(),
            Screen::Main(s) => {
                s.save_job.is_some()
                    || s.reload_job.is_some()
                    || s.calendar_job.is_some()
                    || s.scan.is_busy()
                    || s.dialog.as_ref().is_some_and(detail::Dialog::is_busy)
            }
        }
    }

    /// True when the app holds anything decrypted or typed as a secret: the vault, the master
    /// password, or text in a password or secret field. False after a lock.
    pub fn holds_secrets(&self) -> bool {
        match &self.screen {
            Screen::Main(_) => true,
            Screen::Unlock(u) => !u.password.is_empty(),
            Screen::Create(c) => !c.password.is_empty() || !c.repeat.is_empty(),
        }
    }

    /// The status bar's message.
    pub fn status_text(&self) -> &str {
        &self.status.text
    }

    /// The names of the keys in the table, in display order (empty when locked).
    pub fn visible_entry_names(&self) -> Vec<String> {
        match &self.screen {
            Screen::Main(s) => s
                .cache
                .rows()
                .iter()
                .filter_map(|&i| s.vault.entries.get(i))
                .map(|e| e.name.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// True when the vault in memory has changes that are not on disk yet.
    pub fn has_unsaved_changes(&self) -> bool {
        matches!(&self.screen, Screen::Main(s) if s.unsaved())
    }

    /// The preferences eframe persists (for tests: proof that nothing secret is in them).
    pub fn prefs(&self) -> &AppPrefs {
        &self.prefs
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Handles what happened since the last frame: finished jobs, timers, shortcuts.
    fn before_frame(&mut self, ui: &egui::Ui) {
        let now = self.now();
        if ui.input(|i| !i.events.is_empty()) {
            self.last_input = now;
        }
        self.poll_jobs(now);
        match self.clipboard.tick(now) {
            Some(ClearOutcome::Cleared) => self.status = StatusLine::info("Clipboard cleared"),
            Some(ClearOutcome::AlreadyReplaced) => {
                self.status =
                    StatusLine::info("Clipboard left alone: it no longer held the copied secret")
            }
            Some(ClearOutcome::Failed(e)) => self.status = StatusLine::error(e.to_string()),
            None => {}
        }
        if let Screen::Main(session) = &mut self.screen
            && session.reveal.is_some_and(|r| r.until <= now)
        {
            session.reveal = None;
        }
        self.shortcuts(ui);
        if let Screen::Main(session) = &self.screen {
            let minutes = session.vault.settings.idle_lock_minutes;
            if minutes > 0 && now - self.last_input >= Duration::minutes(i64::from(minutes)) {
                self.commands.push(Command::Lock(LockReason::Idle(minutes)));
            }
            let minimized = ui.input(|i| i.viewport().minimized) == Some(true);
            if minimized && session.vault.settings.lock_on_minimize {
                self.commands.push(Command::Lock(LockReason::Minimized));
            }
        }
    }

    fn shortcuts(&mut self, ui: &egui::Ui) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let Screen::Main(session) = &mut self.screen else {
            return;
        };
        let shortcut = |key| KeyboardShortcut::new(Modifiers::COMMAND, key);
        if ui.input_mut(|i| i.consume_shortcut(&shortcut(Key::L))) {
            self.commands.push(Command::Lock(LockReason::Shortcut));
            return;
        }
        if session.dialog.is_some() {
            return;
        }
        if ui.input_mut(|i| i.consume_shortcut(&shortcut(Key::F))) {
            session.page = Page::Keys;
            session.view.focus_search = true;
        }
        if ui.input_mut(|i| i.consume_shortcut(&shortcut(Key::N))) {
            self.commands.push(Command::NewEntry);
        }
        // Ctrl+C with no text field focused copies the selected key's secret. Integrations turn
        // Ctrl+C into a Copy event; a test harness sends the key itself.
        let nothing_focused = ui.memory(|m| m.focused().is_none());
        if nothing_focused && let Some(id) = session.view.selected {
            let copy = ui.input_mut(|i| {
                let event = i.events.iter().any(|e| matches!(e, egui::Event::Copy));
                i.consume_shortcut(&shortcut(Key::C)) || event
            });
            if copy && let Some(entry) = session.vault.by_id(id) {
                self.commands.push(Command::Copy {
                    id,
                    field: entry.credential.primary_field(),
                });
            }
        }
    }

    fn poll_jobs(&mut self, now: DateTime<Utc>) {
        let mut reports = Vec::new();
        self.orphan_saves.retain(|job| match job.poll() {
            jobs::Poll::Pending => true,
            jobs::Poll::Ready(done) => {
                reports.push(match done.result {
                    Ok(()) => StatusLine::info("Saved (before locking)"),
                    Err(e) => StatusLine::error(format!(
                        "A change made before locking was not saved: {e}"
                    )),
                });
                false
            }
            jobs::Poll::Lost => {
                reports.push(StatusLine::error(
                    "A change made before locking was not saved (the save stopped)",
                ));
                false
            }
        });
        if let Some(report) = reports.pop() {
            self.status = report;
        }
        let ctx = self.ctx.clone();
        match &mut self.screen {
            Screen::Unlock(state) => {
                if let Some(session) = unlock::poll_unlock(state, &ctx) {
                    self.open_session(session, now, "Unlocked");
                } else if state.create_requested {
                    let path = state.path.clone();
                    self.screen = Screen::Create(unlock::CreateState::new(path));
                }
            }
            Screen::Create(state) => {
                if let Some(session) = unlock::poll_create(state, &ctx) {
                    self.open_session(session, now, "Vault created and saved");
                }
            }
            Screen::Main(session) => {
                if let Some(status) = commands::poll_session_jobs(session, &ctx) {
                    self.status = status;
                }
                if let Some(status) = reminders::poll_calendar_job(session) {
                    self.status = status;
                }
                if let Some(status) = scan_view::poll_scan(session) {
                    self.status = status;
                }
            }
        }
    }

    fn open_session(&mut self, mut session: Session, now: DateTime<Utc>, message: &str) {
        self.prefs.last_vault = Some(session.path.clone());
        session.banner = reminders::Banner::on_unlock(&session.vault, &session.providers, now);
        let message = match &session.banner {
            Some(banner) => format!("{message}. {}", banner.summary()),
            None => message.to_owned(),
        };
        self.screen = Screen::Main(Box::new(session));
        self.last_input = now;
        // The password field's editor state (undo history) held the typed password.
        forget_widget_state(&self.ctx);
        self.status = StatusLine::info(message);
        self.ctx.request_repaint();
    }

    /// Asks for a repaint when a timer needs one: once a second while a countdown runs, and
    /// at the idle-lock deadline. Otherwise the app sleeps until input.
    fn schedule_repaint(&self, now: DateTime<Utc>) {
        let Screen::Main(session) = &self.screen else {
            if self.clipboard.remaining(now).is_some() {
                self.ctx
                    .request_repaint_after(std::time::Duration::from_secs(1));
            }
            return;
        };
        if self.clipboard.remaining(now).is_some() || session.reveal.is_some() {
            self.ctx
                .request_repaint_after(std::time::Duration::from_secs(1));
        }
        if session.scan.is_running() {
            // The scan's counters move.
            self.ctx
                .request_repaint_after(std::time::Duration::from_millis(250));
        }
        let minutes = session.vault.settings.idle_lock_minutes;
        if minutes > 0 {
            let deadline = self.last_input + Duration::minutes(i64::from(minutes));
            let wait = (deadline - now)
                .to_std()
                .unwrap_or(std::time::Duration::ZERO);
            self.ctx
                .request_repaint_after(wait + std::time::Duration::from_millis(50));
        }
    }
}

/// The first screen for `path`: create a vault when none is there, else unlock it.
fn start_screen(path: PathBuf) -> Screen {
    if path.exists() {
        Screen::Unlock(unlock::UnlockState::new(path))
    } else {
        Screen::Create(unlock::CreateState::new(path))
    }
}

/// Drops egui's per-widget state (text editor undo histories hold typed secrets).
fn forget_widget_state(ctx: &egui::Context) {
    ctx.data_mut(|d| d.clear());
}

/// The path shown to the user.
fn display_path(path: &Path) -> String {
    path.display().to_string()
}

impl eframe::App for KeywardApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.before_frame(ui);
        let now = self.now();
        status::status_bar(
            ui,
            &self.status,
            &self.clipboard,
            &self.screen,
            now,
            &mut self.commands,
        );
        let ctx = self.ctx.clone();
        match &mut self.screen {
            Screen::Unlock(state) => unlock::unlock_ui(ui, state, &mut self.commands),
            Screen::Create(state) => unlock::create_ui(ui, state, &mut self.commands),
            Screen::Main(session) => {
                list::main_ui(ui, session, now, &mut self.commands);
                detail::dialogs_ui(&ctx, session, now, &mut self.commands);
            }
        }
        let commands = std::mem::take(&mut self.commands);
        if !commands.is_empty() {
            for command in commands {
                self.apply(command);
            }
            self.ctx.request_repaint();
        }
        self.schedule_repaint(self.now());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        let _ = self.clipboard.clear_now();
    }

    /// egui's memory holds text editor states (typed secrets); it is never written to disk.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}
