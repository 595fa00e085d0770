//! The desktop app (eframe/egui).
//!
//! Laid out like egui's demo app and rerun's viewer, with the data flowing one way:
//! - this file: [`KeywardApp`] and the frame loop: collect finished jobs (`tasks.rs`), draw,
//!   then apply the commands the views pushed (`apply.rs`);
//! - `command.rs`: what a view can ask for ([`command::Command`]); it imports no view;
//! - `apply.rs`: the one place that carries out commands; it needs no egui;
//! - `tasks.rs`: every background job, started and collected (unlock, create, save, the
//!   watch that merges another program's change, file dialogs, export, import, calendar, scan, key generation) on the worker
//!   threads of `jobs.rs`;
//! - `state.rs`: the app's state apart from egui (the screen, the unlocked `Session`);
//! - `main_window.rs` (top bar, banners, page switch) and `dialogs.rs` (the open dialog);
//!   `conflict_view.rs`, the dialog of fields a merge found changed on both sides;
//! - one file per view, drawing only and pushing commands: `unlock.rs`, `list.rs` (sidebar
//!   and rows), `table.rs` (the keys table, with `monogram.rs`), `detail.rs`, `editor.rs` (over the form state of `entry_form.rs`),
//!   `reminders.rs`, `audit_view.rs`, `transfer_view.rs`, `signature.rs`, `scan_view.rs`,
//!   `settings.rs`, `status.rs`; small widgets in `widgets.rs`; the type scale and the
//!   top bar's button in `style.rs`.
//!
//! A view edits the text, ticks and choices of its own widgets in place (egui's idiom);
//! everything else (the vault, the page, dialogs, the clipboard, jobs) is a command. The
//! imports go one way: views import `command.rs` and the widgets, never the state or
//! `apply.rs`. The views hold no rules: entries are judged by [`crate::vault::policy`] and
//! [`crate::vault::audit`], moved in and out by [`crate::transfer`] and stored by
//! [`crate::store`]. Nothing secret is persisted by eframe: only [`AppPrefs`].

use eframe::egui;
mod about;
mod apply;
mod audit_view;
mod chooser;
mod clock;
mod command;
mod conflict_view;
mod detail;
mod dialogs;
mod editor;
mod editor_fields;
mod entry_form;
mod file_browser;
mod icon;
mod jobs;
mod list;
mod main_window;
mod monogram;
mod notify;
mod notify_os;
mod portal_probe;
mod prefs;
mod reminders;
mod scan_add;
mod scan_view;
mod settings;
mod shortcuts;
mod signals;
mod signature;
mod state;
mod status;
mod style;
mod sync_apply;
mod sync_view;
mod table;
mod tasks;
mod transfer_view;
mod trash_view;
mod unlock;
mod widgets;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};

pub use clock::{Clock, ManualClock, SystemClock};
pub use notify::{DesktopNotifier, NoNotifier, Notifier};
pub use prefs::{AppPrefs, ThemeChoice};
pub use signals::stop_flag;

use crate::clipboard::{ClipboardBackend, ClipboardError, SystemClipboard, TimedClipboard};
use crate::store::KdfParams;
use command::{Command, LockReason};
use jobs::Waker;
use state::{AppState, Screen};
use status::Saving;

/// Opens the desktop app on the vault at `vault_path` (the default vault when `None`).
/// Returns when the window is closed.
pub fn run(vault_path: Option<PathBuf>) -> Result<(), String> {
    let clipboard: Box<dyn ClipboardBackend> = match SystemClipboard::new() {
        Ok(c) => Box::new(c),
        Err(e) => Box::new(NoClipboard(e)),
    };
    // The same folder as the provider presets on every system (ProjectDirs would put it in
    // %APPDATA%\keyward\config on Windows, apart from them).
    let persistence_path = crate::platform::config_dir().map(|d| d.join("app.ron"));
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
            let mut app = KeywardApp::new(&cc.egui_ctx, prefs, options);
            let stop = signals::stop_flag();
            signals::watch(cc.egui_ctx.clone(), stop);
            app.stop_on(stop);
            app.notify_with(Box::new(DesktopNotifier));
            Ok(Box::new(app))
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

/// The keyward desktop app.
pub struct KeywardApp {
    ctx: egui::Context,
    clock: Arc<dyn Clock>,
    state: AppState,
    commands: Vec<Command>,
    /// Set by a stop signal (SIGTERM, SIGINT, SIGHUP): lock, clear the clipboard, close.
    stop: Option<&'static AtomicBool>,
    /// The stop was carried out and the window asked to close.
    stopped: bool,
    /// Shows desktop notifications ([`NoNotifier`] unless [`KeywardApp::notify_with`]).
    notifier: Box<dyn Notifier>,
    /// The open vault's dates that may pass while the app is open.
    due_watch: notify::DueWatch,
}

impl KeywardApp {
    /// The app on `options.vault_path`: the unlock screen when the file exists, else the
    /// screen that creates a vault.
    pub fn new(ctx: &egui::Context, prefs: AppPrefs, options: AppOptions) -> Self {
        ctx.set_theme(prefs.theme.preference());
        style::apply(ctx);
        let now = options.clock.now();
        let mut state = AppState::new(
            prefs,
            TimedClipboard::new(options.clipboard),
            Screen::start(options.vault_path),
            now,
            Waker::new(ctx),
            tasks::native_file_dialog,
        );
        state.new_vault_kdf = options.new_vault_kdf;
        let (ask_file, browser) =
            chooser::BrowserHost::wire(tasks::native_file_dialog, Waker::new(ctx), false);
        state.ask_file = ask_file;
        state.browser = browser;
        KeywardApp {
            ctx: ctx.clone(),
            clock: options.clock,
            state,
            commands: Vec::new(),
            stop: None,
            stopped: false,
            notifier: Box::new(NoNotifier),
            due_watch: notify::DueWatch::default(),
        }
    }

    /// Makes the app stop when `flag` is set: it locks (the session wiped; an unsaved change
    /// kept as an idle lock keeps it), clears the clipboard if it still holds the copy, and
    /// closes its window. `keyward` passes the flag its SIGTERM/SIGINT/SIGHUP handlers set
    /// ([`signals::stop_flag`]).
    pub fn stop_on(&mut self, flag: &'static AtomicBool) {
        self.stop = Some(flag);
    }

    /// Shows desktop notifications with `notifier` (`keyward` passes [`DesktopNotifier`];
    /// the app made by [`KeywardApp::new`] shows none).
    pub fn notify_with(&mut self, notifier: Box<dyn Notifier>) {
        self.notifier = notifier;
    }

    /// Notifies what fell due since the last look, and the day's summary on unlocking.
    fn watch_dates(&mut self, now: DateTime<Utc>) {
        let Screen::Main(session) = &self.state.screen else {
            self.due_watch.locked();
            return;
        };
        let prefs = &mut self.state.prefs;
        let notices = if self.due_watch.is_watching() {
            self.due_watch
                .tick(&session.vault, now, prefs.notifications)
                .unwrap_or_default()
        } else {
            let summary = self.due_watch.unlocked(
                &session.vault,
                now,
                prefs.notifications,
                &mut prefs.summary_day,
            );
            summary.into_iter().collect()
        };
        for notice in notices {
            self.notifier.notify(&notice.summary, &notice.body);
        }
    }

    /// Makes "Choose…" open the built-in file browser, as on a desktop without a file
    /// chooser (tests; the app finds that out itself).
    pub fn use_built_in_file_browser(&mut self) {
        let (ask_file, browser) =
            chooser::BrowserHost::wire(tasks::native_file_dialog, Waker::new(&self.ctx), true);
        self.state.ask_file = ask_file;
        self.state.browser = browser;
    }

    /// The folder the built-in browser opens in: the vault's, else the home folder.
    fn browse_start(screen: &Screen) -> PathBuf {
        let vault = match screen {
            Screen::Unlock(u) => u.path.clone(),
            Screen::Create(c) => c.path.clone(),
            Screen::Main(s) => s.path.clone(),
        };
        vault
            .parent()
            .filter(|p| p.is_dir())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf()))
            .unwrap_or_else(|| PathBuf::from("/"))
    }

    /// True once a stop was carried out (locked, clipboard cleared, window asked to close).
    pub fn stop_requested(&self) -> bool {
        self.stopped
    }

    /// Carries out a stop signal: the lock path, the clipboard, then closing the window.
    fn stop_if_signalled(&mut self, now: DateTime<Utc>) {
        if self.stopped || !self.stop.is_some_and(|f| f.load(Ordering::SeqCst)) {
            return;
        }
        self.stopped = true;
        apply::apply(&mut self.state, Command::Lock(LockReason::Signal), now);
        // Already locked: the lock path did not run, but a copy may still be pending, and a
        // password may be half typed.
        let _ = self.state.clipboard.clear_now();
        match &mut self.state.screen {
            Screen::Unlock(unlock) => {
                unlock.password.wipe();
                unlock.slow_kdf = None;
            }
            Screen::Create(create) => {
                create.password.wipe();
                create.repeat.wipe();
            }
            Screen::Main(_) => {}
        }
        self.ctx.data_mut(|d| d.clear());
        eprintln!("keyward: stopped by a signal: the vault is locked and the clipboard cleared");
        self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    /// True while the unlock (or create) screen shows: no decrypted data is held.
    pub fn is_locked(&self) -> bool {
        self.state.session().is_none()
    }

    /// True while a worker thread (unlock, create, save, merge, …) is running.
    pub fn is_busy(&self) -> bool {
        self.state.is_busy()
    }

    /// True when the app holds anything decrypted or typed as a secret: the vault, the master
    /// password, or text in a password or secret field. False after a lock.
    pub fn holds_secrets(&self) -> bool {
        self.state.holds_secrets()
    }

    /// The status bar's message.
    pub fn status_text(&self) -> &str {
        &self.state.status.text
    }

    /// The names of the keys in the table, in display order (empty when locked).
    pub fn visible_entry_names(&self) -> Vec<String> {
        self.state.session().map_or_else(Vec::new, |s| {
            s.cache
                .rows()
                .iter()
                .filter_map(|&i| s.vault.entries.get(i))
                .map(|e| e.name.to_string())
                .collect()
        })
    }

    /// True when the vault in memory has changes that are not on disk yet.
    pub fn has_unsaved_changes(&self) -> bool {
        self.state.session().is_some_and(|s| s.unsaved())
    }

    /// The preferences eframe persists.
    pub fn prefs(&self) -> &AppPrefs {
        &self.state.prefs
    }

    /// Handles what happened since the last frame: finished jobs, timers, shortcuts.
    fn before_frame(&mut self, ui: &egui::Ui, now: DateTime<Utc>) {
        self.stop_if_signalled(now);
        if ui.input(|i| !i.events.is_empty()) {
            self.state.last_input = now;
        }
        if tasks::poll(&mut self.state, now) {
            self.ctx.request_repaint();
        }
        let unlocked = self.state.session().is_some();
        self.state.browser.close_if_stale(unlocked);
        let screen = &self.state.screen;
        if self.state.browser.poll(|| Self::browse_start(screen)) {
            self.ctx.request_repaint();
        }
        apply::tick(&mut self.state, now);
        self.watch_dates(now);
        self.shortcuts(ui);
        let minimized = ui.input(|i| i.viewport().minimized) == Some(true);
        self.commands
            .extend(apply::due_lock(&self.state, now, minimized));
    }

    /// The keyboard shortcuts of the main window (the table of `shortcuts.rs`).
    fn shortcuts(&mut self, ui: &egui::Ui) {
        let Some(session) = self.state.session() else {
            return;
        };
        let text_focused = ui.memory(|m| m.focused().is_some());
        let commands = &mut self.commands;
        ui.input_mut(|i| shortcuts::main_window(i, session, text_focused, commands));
    }

    /// Draws the screen that shows.
    fn draw(&mut self, ui: &mut egui::Ui, now: DateTime<Utc>) {
        let saving = self
            .state
            .session()
            .map_or_else(Saving::default, |s| Saving {
                busy: s.save_job.is_some() || s.disk.is_merging(),
                can_retry: s.save_error.is_some() && s.save_job.is_none(),
            });
        status::status_bar(
            ui,
            &self.state.status,
            &self.state.clipboard,
            saving,
            now,
            &mut self.commands,
        );
        if let Screen::Main(session) = &mut self.state.screen {
            session.settings.notifications = self.state.prefs.notifications;
        }
        match &mut self.state.screen {
            Screen::Unlock(state) => unlock::unlock_ui(ui, state, &mut self.commands),
            Screen::Create(state) => unlock::create_ui(ui, state, &mut self.commands),
            Screen::Main(session) => {
                main_window::main_window_ui(ui, session, now, &mut self.commands);
            }
        }
        if let Some(browser) = &mut self.state.browser.open {
            file_browser::browser_ui(ui.ctx(), browser, &mut self.commands);
        }
    }

    /// Applies the commands the views pushed, then does what they left for egui.
    fn after_frame(&mut self, now: DateTime<Utc>) {
        let commands = std::mem::take(&mut self.commands);
        if !commands.is_empty() {
            for command in commands {
                apply::apply(&mut self.state, command, now);
            }
            self.ctx.request_repaint();
        }
        if std::mem::take(&mut self.state.forget_widgets) {
            // Drops egui's per-widget state: text editor undo histories hold typed secrets.
            self.ctx.data_mut(|d| d.clear());
        }
        if std::mem::take(&mut self.state.theme_changed) {
            self.ctx.set_theme(self.state.prefs.theme.preference());
        }
    }

    /// Asks for a repaint when a timer needs one: once a second while a countdown runs, and
    /// at the idle-lock deadline. Otherwise the app sleeps until input, or until the file
    /// watcher of `tasks/disk.rs` sees the vault file rewritten.
    fn schedule_repaint(&self, now: DateTime<Utc>) {
        let countdown = self.state.clipboard.remaining(now).is_some();
        let Some(session) = self.state.session() else {
            if countdown {
                self.ctx
                    .request_repaint_after(std::time::Duration::from_secs(1));
            }
            return;
        };
        if countdown || session.reveal.is_some() {
            self.ctx
                .request_repaint_after(std::time::Duration::from_secs(1));
        }
        if session.scan.is_running() {
            // The scan's counters move.
            self.ctx
                .request_repaint_after(std::time::Duration::from_millis(250));
        }
        if let Some(next) = self.due_watch.next_look(session.cache.schedule(), now) {
            // A rotation or expiry passing while the window is idle is noticed.
            let wait = (next - now).to_std().unwrap_or(std::time::Duration::ZERO);
            self.ctx
                .request_repaint_after(wait + std::time::Duration::from_millis(50));
        }
        let minutes = session.vault.settings.idle_lock_minutes;
        if minutes > 0 {
            let deadline = self.state.last_input + Duration::minutes(i64::from(minutes));
            let wait = (deadline - now)
                .to_std()
                .unwrap_or(std::time::Duration::ZERO);
            self.ctx
                .request_repaint_after(wait + std::time::Duration::from_millis(50));
        }
    }
}

impl eframe::App for KeywardApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let now = self.clock.now();
        self.before_frame(ui, now);
        self.draw(ui, now);
        self.after_frame(self.clock.now());
        self.schedule_repaint(self.clock.now());
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        let _ = self.state.clipboard.clear_now();
    }

    /// egui's memory holds text editor states (typed secrets); it is never written to disk.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}
