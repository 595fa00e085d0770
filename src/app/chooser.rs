//! Which file chooser "Choose…" opens: the desktop's (rfd: the xdg-desktop-portal over
//! D-Bus, else zenity) when this desktop has one that works, else the built-in browser of
//! `file_browser.rs`.
//!
//! rfd 0.17 on Linux asks the portal `org.freedesktop.portal.Desktop` on the session bus and
//! falls back to running `zenity`; when neither works it returns nothing, as a cancel does,
//! so "Choose…" would do nothing. [`detect`] finds that out beforehand (once, on the first
//! pick's worker thread): the portal counts only when its FileChooser answers
//! (`portal_probe.rs`), not merely because its name is on the bus. [`Asker::ask`] then sends
//! the pick to the window, which shows the built-in browser and sends the answer back. And
//! when the desktop's chooser returns nothing sooner than [`AT_ONCE`] (no dialog can have
//! been seen and cancelled that fast: it failed to show), this pick and the later ones go
//! to the built-in browser too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::command::{AskFile, FilePick};
use super::file_browser::FileBrowser;
use super::jobs::Waker;
pub(crate) use super::portal_probe::{Portal, ProbeAnswer};

/// A chooser that returns nothing sooner than this showed no dialog: opening one and
/// having a person see it and cancel it takes longer.
pub(crate) const AT_ONCE: Duration = Duration::from_millis(250);

/// Why the built-in browser shows after the desktop's chooser returned at once.
const FAILED_AT_ONCE: &str =
    "The desktop's file chooser did not open; type a path or browse below.";

/// What this desktop offers rfd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Desktop {
    /// The desktop portal's file chooser.
    pub portal: Portal,
    /// `zenity` is on the PATH.
    pub zenity: bool,
}

impl Desktop {
    /// A desktop with nothing rfd can use.
    pub const NONE: Desktop = Desktop {
        portal: Portal::Missing,
        zenity: false,
    };

    /// True when rfd can show a file chooser here.
    pub fn has_chooser(self) -> bool {
        self.portal == Portal::Works || self.zenity
    }

    /// Why the built-in browser shows instead, for the user.
    pub fn why_not(self) -> &'static str {
        match self.portal {
            Portal::Broken(_) => {
                "The desktop portal's file chooser does not answer and zenity is not installed; \
                 type a path or browse below."
            }
            _ => {
                "No file chooser is available on this desktop (no portal, no zenity); type a \
                 path or browse below."
            }
        }
    }
}

/// What this desktop offers, from the environment `var` and the portal's answer `probe`
/// (asked only when there is a session bus to ask). Windows and macOS have their own
/// dialogs.
pub(crate) fn detect(
    var: &dyn Fn(&str) -> Option<OsString>,
    probe: &dyn Fn() -> ProbeAnswer,
) -> Desktop {
    if !cfg!(target_os = "linux") {
        return Desktop {
            portal: Portal::Works,
            zenity: true,
        };
    }
    let zenity = var("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join("zenity")))
    });
    // No address and no socket in the runtime dir: there is no session bus to ask.
    let bus = var("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || var("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).join("bus").exists());
    let portal = if bus {
        super::portal_probe::judge(&probe())
    } else {
        Portal::Missing
    };
    Desktop { portal, zenity }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The portal's answer on the session bus.
#[cfg(target_os = "linux")]
fn probe_session_bus() -> ProbeAnswer {
    super::portal_probe::probe(None)
}

#[cfg(not(target_os = "linux"))]
fn probe_session_bus() -> ProbeAnswer {
    ProbeAnswer::Version(1)
}

/// This desktop, found out once (on a worker thread: the bus is asked). Says once on stderr
/// when the built-in browser will be used, and why.
fn this_desktop() -> Desktop {
    static DESKTOP: OnceLock<Desktop> = OnceLock::new();
    *DESKTOP.get_or_init(|| {
        let desktop = detect(&|name| std::env::var_os(name), &probe_session_bus);
        if !desktop.has_chooser() {
            let portal = match desktop.portal {
                Portal::Broken(why) => format!("the portal on the session bus is there but {why}"),
                _ => "no portal on the session bus".to_owned(),
            };
            eprintln!(
                "keyward: no file chooser on this desktop ({portal}, no zenity on PATH): \
                 \"Choose…\" opens the built-in file browser"
            );
        }
        desktop
    })
}

/// A pick the worker thread hands to the window for the built-in browser.
pub(crate) struct BrowseRequest {
    pub pick: FilePick,
    pub why: &'static str,
    pub reply: Sender<Option<PathBuf>>,
}

/// Asks for a file or folder on a worker thread: with `native` (rfd; tests answer
/// themselves), or, when the desktop has no chooser, through the window's built-in browser.
#[derive(Clone)]
pub(crate) struct Asker {
    native: AskFile,
    fallback: Option<Fallback>,
}

#[derive(Clone)]
struct Fallback {
    desktop: Arc<dyn Fn() -> Desktop + Send + Sync>,
    /// The desktop's chooser returned nothing at once: it is not used again this run.
    failed: Arc<AtomicBool>,
    requests: Sender<BrowseRequest>,
    waker: Waker,
}

impl Asker {
    /// Always `native` (unit tests).
    pub fn native(native: AskFile) -> Self {
        Asker {
            native,
            fallback: None,
        }
    }

    /// Blocks until the user answers (`None`: cancelled). Runs on a worker thread.
    pub fn ask(&self, pick: FilePick) -> Option<PathBuf> {
        let Some(fallback) = &self.fallback else {
            return (self.native)(pick);
        };
        let desktop = (fallback.desktop)();
        let why = if fallback.failed.load(Ordering::SeqCst) {
            FAILED_AT_ONCE
        } else if desktop.has_chooser() {
            let asked = Instant::now();
            let answer = (self.native)(pick);
            if answer.is_some() || asked.elapsed() >= AT_ONCE {
                return answer;
            }
            if !fallback.failed.swap(true, Ordering::SeqCst) {
                eprintln!(
                    "keyward: the desktop's file chooser returned at once without showing \
                     (portal or zenity failing): \"Choose…\" opens the built-in file browser"
                );
            }
            FAILED_AT_ONCE
        } else {
            desktop.why_not()
        };
        let (reply, answer) = mpsc::channel();
        let request = BrowseRequest { pick, why, reply };
        fallback.requests.send(request).ok()?;
        fallback.waker.wake();
        // The browser closed without an answer (cancel, lock): nothing chosen.
        answer.recv().ok().flatten()
    }
}

/// The window's end of the built-in browser: the picks waiting for it and the one open.
pub(crate) struct BrowserHost {
    requests: Option<Receiver<BrowseRequest>>,
    pub open: Option<FileBrowser>,
}

impl BrowserHost {
    /// A host no pick reaches (unit tests, with [`Asker::native`]).
    pub fn none() -> Self {
        BrowserHost {
            requests: None,
            open: None,
        }
    }

    /// The asker for the app, and its host: the desktop's chooser when `desktop` says there
    /// is one, else the built-in browser. `forced` always uses the built-in browser.
    pub fn wire(native: AskFile, waker: Waker, forced: bool) -> (Asker, BrowserHost) {
        let (requests, rx) = mpsc::channel();
        let desktop: Arc<dyn Fn() -> Desktop + Send + Sync> = if forced {
            Arc::new(|| Desktop::NONE)
        } else {
            Arc::new(this_desktop)
        };
        let asker = Asker {
            native,
            fallback: Some(Fallback {
                desktop,
                failed: Arc::new(AtomicBool::new(false)),
                requests,
                waker,
            }),
        };
        let host = BrowserHost {
            requests: Some(rx),
            open: None,
        };
        (asker, host)
    }

    /// Opens the browser for a pick that arrived, if none is open, in the folder `start`
    /// gives. True when one opened.
    pub fn poll(&mut self, start: impl FnOnce() -> PathBuf) -> bool {
        if self.open.is_some() {
            return false;
        }
        let Some(request) = self.requests.as_ref().and_then(|rx| rx.try_recv().ok()) else {
            return false;
        };
        self.open = Some(FileBrowser::new(request, &start()));
        true
    }

    /// Closes the browser with `choice` (`None`: cancelled) and hands it to the pick.
    pub fn finish(&mut self, choice: Option<PathBuf>) {
        if let Some(browser) = self.open.take() {
            browser.answer(choice);
        }
    }

    /// Closes the browser when the screen it was opened for is gone (`unlocked`: a session is
    /// open): nothing is chosen.
    pub fn close_if_stale(&mut self, unlocked: bool) {
        let stale = self.open.as_ref().is_some_and(|b| {
            let unlock_pick = matches!(
                b.pick(),
                FilePick::OpenVault | FilePick::NewVault | FilePick::KeyFile
            );
            unlock_pick == unlocked
        });
        if stale {
            self.open = None;
        }
    }
}

impl FilePick {
    /// The chooser's title.
    pub fn title(self) -> &'static str {
        match self {
            FilePick::OpenVault => "Open a keyward vault",
            FilePick::NewVault => "Create a keyward vault",
            FilePick::ExportTo(_) => "Export keys to…",
            FilePick::ImportFrom => "Import keys from…",
            FilePick::KeyFile => "Choose the vault's key file",
            FilePick::ScanFolder => "Scan a folder for stored secrets",
            FilePick::SaveCalendar => "Save the reminders as a calendar",
            FilePick::MergeFrom => "Merge another keyward vault",
        }
    }

    /// The file name a save suggests; `None` for a file or folder that must exist.
    pub fn suggested_name(self) -> Option<String> {
        use crate::transfer::Format;
        match self {
            FilePick::NewVault => Some("vault.keyward".to_owned()),
            FilePick::SaveCalendar => Some("keyward-reminders.ics".to_owned()),
            FilePick::ExportTo(format) => {
                let extension = match format {
                    Format::Kdbx => "kdbx",
                    Format::KeepassXml => "xml",
                    Format::BitwardenJson => "json",
                    _ => "csv",
                };
                Some(format!("keyward-export.{extension}"))
            }
            _ => None,
        }
    }

    /// True when the pick is a folder (the leak scan's).
    pub fn is_folder(self) -> bool {
        self == FilePick::ScanFolder
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_os = "linux")]
    use std::collections::HashMap;

    #[cfg(target_os = "linux")]
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        move |name| vars.get(name).cloned()
    }

    /// A folder with an executable `zenity` (a shell script) in it.
    #[cfg(target_os = "linux")]
    fn folder_with_zenity(executable: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("zenity");
        std::fs::write(&path, "#!/bin/sh\n").expect("write");
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if executable { 0o755 } else { 0o644 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        dir
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn no_bus_and_no_zenity_means_no_chooser_and_the_bus_is_not_asked() {
        let empty = tempfile::tempdir().expect("temp dir");
        let asked = AtomicBool::new(false);
        let path = empty.path().display().to_string();
        let desktop = detect(&env(&[("PATH", &path)]), &|| {
            asked.store(true, Ordering::SeqCst);
            ProbeAnswer::Version(4)
        });
        assert_eq!(desktop, Desktop::NONE);
        assert!(!desktop.has_chooser());
        assert!(!asked.load(Ordering::SeqCst), "no bus: nothing to ask");
        assert!(desktop.why_not().contains("no portal, no zenity"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn zenity_on_the_path_is_a_chooser_only_when_it_can_be_run() {
        let empty = tempfile::tempdir().expect("temp dir");
        let with = folder_with_zenity(true);
        let path = std::env::join_paths([empty.path(), with.path()]).expect("join");
        let path = path.to_string_lossy().into_owned();
        let desktop = detect(&env(&[("PATH", &path)]), &no_service);
        assert!(desktop.zenity && desktop.has_chooser());
        let not_executable = folder_with_zenity(false);
        let path = not_executable.path().display().to_string();
        assert!(!detect(&env(&[("PATH", &path)]), &no_service).zenity);
        assert!(!detect(&env(&[]), &no_service).zenity, "no PATH at all");
    }

    #[cfg(target_os = "linux")]
    fn answers() -> ProbeAnswer {
        ProbeAnswer::Version(4)
    }

    #[cfg(target_os = "linux")]
    fn no_service() -> ProbeAnswer {
        ProbeAnswer::NoService
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_portal_on_the_bus_without_a_file_chooser_is_no_chooser_and_says_why() {
        let bus = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")];
        // On the bus (owned or activatable), but its FileChooser is not there.
        let broken = || ProbeAnswer::Error("org.freedesktop.DBus.Error.UnknownInterface".into());
        let desktop = detect(&env(&bus), &broken);
        assert_eq!(desktop.portal, Portal::Broken("it has no FileChooser"));
        assert!(!desktop.has_chooser());
        assert!(
            desktop
                .why_not()
                .contains("portal's file chooser does not answer")
        );
        let slow = || ProbeAnswer::TimedOut;
        assert!(!detect(&env(&bus), &slow).has_chooser());
        // With zenity, rfd falls back to it when the portal fails.
        let with = folder_with_zenity(true);
        let path = with.path().display().to_string();
        let both = [bus[0], ("PATH", path.as_str())];
        assert!(detect(&env(&both), &broken).has_chooser());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_portal_counts_when_its_file_chooser_answers() {
        let bus = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")];
        assert_eq!(detect(&env(&bus), &answers).portal, Portal::Works);
        assert_eq!(detect(&env(&bus), &no_service).portal, Portal::Missing);
        assert!(!detect(&env(&bus), &no_service).has_chooser());
        // No address, but the runtime dir's socket is there: asked.
        let runtime = tempfile::tempdir().expect("temp dir");
        std::fs::write(runtime.path().join("bus"), "").expect("write");
        let dir = runtime.path().display().to_string();
        assert_eq!(
            detect(&env(&[("XDG_RUNTIME_DIR", &dir)]), &answers).portal,
            Portal::Works
        );
        let none = tempfile::tempdir().expect("temp dir");
        let dir = none.path().display().to_string();
        assert_eq!(
            detect(&env(&[("XDG_RUNTIME_DIR", &dir)]), &answers).portal,
            Portal::Missing
        );
        // An empty address is no bus.
        assert_eq!(
            detect(&env(&[("DBUS_SESSION_BUS_ADDRESS", "")]), &answers).portal,
            Portal::Missing
        );
    }

    fn never(_: FilePick) -> Option<PathBuf> {
        panic!("the native chooser was asked")
    }

    fn native_answer(_: FilePick) -> Option<PathBuf> {
        Some(PathBuf::from("/native/choice"))
    }

    #[test]
    fn without_a_chooser_the_pick_goes_to_the_window_and_its_answer_comes_back() {
        let (asker, mut host) = BrowserHost::wire(never, Waker::default(), true);
        let worker = std::thread::spawn(move || asker.ask(FilePick::ImportFrom));
        let start = tempfile::tempdir().expect("temp dir");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !host.poll(|| start.path().to_path_buf()) {
            assert!(std::time::Instant::now() < deadline, "no request arrived");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(
            host.open.as_ref().map(FileBrowser::pick),
            Some(FilePick::ImportFrom)
        );
        host.finish(Some(PathBuf::from("/chosen/file.csv")));
        assert!(host.open.is_none());
        assert_eq!(
            worker.join().expect("worker"),
            Some(PathBuf::from("/chosen/file.csv"))
        );
    }

    #[test]
    fn a_browser_closed_by_a_lock_answers_nothing() {
        let (asker, mut host) = BrowserHost::wire(never, Waker::default(), true);
        let worker =
            std::thread::spawn(move || asker.ask(FilePick::ExportTo(crate::transfer::Format::Csv)));
        let start = tempfile::tempdir().expect("temp dir");
        while !host.poll(|| start.path().to_path_buf()) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        host.close_if_stale(true);
        assert!(host.open.is_some(), "an export pick belongs to the session");
        host.close_if_stale(false);
        assert!(host.open.is_none(), "locked: the export pick is gone");
        assert_eq!(worker.join().expect("worker"), None);
    }

    #[test]
    fn with_a_chooser_or_in_unit_tests_the_native_function_answers() {
        assert_eq!(
            Asker::native(native_answer).ask(FilePick::OpenVault),
            Some(PathBuf::from("/native/choice"))
        );
        let (requests, _rx) = mpsc::channel();
        let asker = Asker {
            native: native_answer,
            fallback: Some(Fallback {
                desktop: Arc::new(|| Desktop {
                    portal: Portal::Missing,
                    zenity: true,
                }),
                failed: Arc::default(),
                requests,
                waker: Waker::default(),
            }),
        };
        assert_eq!(
            asker.ask(FilePick::KeyFile),
            Some(PathBuf::from("/native/choice"))
        );
    }

    /// An asker whose desktop has a chooser that `native` plays, and the window's end.
    fn with_chooser(native: AskFile) -> (Asker, Receiver<BrowseRequest>) {
        let (requests, rx) = mpsc::channel();
        let asker = Asker {
            native,
            fallback: Some(Fallback {
                desktop: Arc::new(|| Desktop {
                    portal: Portal::Works,
                    zenity: false,
                }),
                failed: Arc::default(),
                requests,
                waker: Waker::default(),
            }),
        };
        (asker, rx)
    }

    fn nothing_at_once(_: FilePick) -> Option<PathBuf> {
        None
    }

    fn cancelled_by_a_person(_: FilePick) -> Option<PathBuf> {
        std::thread::sleep(AT_ONCE + Duration::from_millis(50));
        None
    }

    /// Waits for the pick `asker` sends to the window and answers it with `choice`.
    fn answer_in_window(rx: &Receiver<BrowseRequest>, choice: &str) -> &'static str {
        let request = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the pick reached the built-in browser");
        request
            .reply
            .send(Some(PathBuf::from(choice)))
            .expect("reply");
        request.why
    }

    #[test]
    fn a_chooser_that_returns_nothing_at_once_gives_way_to_the_built_in_browser() {
        let (asker, rx) = with_chooser(nothing_at_once);
        let first = asker.clone();
        let worker = std::thread::spawn(move || first.ask(FilePick::ImportFrom));
        assert_eq!(answer_in_window(&rx, "/typed/a.csv"), FAILED_AT_ONCE);
        assert_eq!(
            worker.join().expect("worker"),
            Some(PathBuf::from("/typed/a.csv"))
        );
        // The next pick goes straight to the built-in browser.
        let worker = std::thread::spawn(move || asker.ask(FilePick::OpenVault));
        assert_eq!(answer_in_window(&rx, "/typed/v.keyward"), FAILED_AT_ONCE);
        assert_eq!(
            worker.join().expect("worker"),
            Some(PathBuf::from("/typed/v.keyward"))
        );
    }

    #[test]
    fn a_cancel_that_took_a_person_s_time_is_a_cancel() {
        let (asker, rx) = with_chooser(cancelled_by_a_person);
        assert_eq!(asker.ask(FilePick::ImportFrom), None);
        assert!(rx.try_recv().is_err(), "no built-in browser");
        let (asker, rx) = with_chooser(native_answer);
        assert_eq!(
            asker.ask(FilePick::ImportFrom),
            Some(PathBuf::from("/native/choice"))
        );
        assert!(rx.try_recv().is_err());
    }
}
