//! Which file chooser "Choose…" opens: the desktop's (rfd: the xdg-desktop-portal over
//! D-Bus, else zenity) when this desktop has one, else the built-in browser of
//! `file_browser.rs`.
//!
//! rfd 0.17 on Linux asks the portal `org.freedesktop.portal.Desktop` on the session bus and
//! falls back to running `zenity`; when neither is there it returns nothing, as a cancel
//! does, so "Choose…" would do nothing. [`detect`] finds that out beforehand (once, on the
//! first pick's worker thread) and [`Asker::ask`] then sends the pick to the window, which
//! shows the built-in browser and sends the answer back.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};

use super::command::{AskFile, FilePick};
use super::file_browser::FileBrowser;
use super::jobs::Waker;

/// The D-Bus name of the desktop portal rfd asks.
#[cfg(target_os = "linux")]
const PORTAL: &str = "org.freedesktop.portal.Desktop";

/// What this desktop offers rfd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Desktop {
    /// The desktop portal is on the session bus (running, or started on demand).
    pub portal: bool,
    /// `zenity` is on the PATH.
    pub zenity: bool,
}

impl Desktop {
    /// True when rfd can show a file chooser here.
    pub fn has_chooser(self) -> bool {
        self.portal || self.zenity
    }

    /// Why the built-in browser shows instead, for the user.
    pub fn why_not(self) -> &'static str {
        "No file chooser is available on this desktop (no portal, no zenity); type a path or \
         browse below."
    }
}

/// What this desktop offers, from the environment `var` and the session bus check
/// `portal_on_bus` (asked only when there is a session bus to ask). Windows and macOS have
/// their own dialogs.
pub(crate) fn detect(
    var: &dyn Fn(&str) -> Option<OsString>,
    portal_on_bus: &dyn Fn() -> bool,
) -> Desktop {
    if !cfg!(target_os = "linux") {
        return Desktop {
            portal: true,
            zenity: true,
        };
    }
    let zenity = var("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join("zenity")))
    });
    // No address and no socket in the runtime dir: there is no session bus to ask.
    let bus = var("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || var("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).join("bus").exists());
    Desktop {
        portal: bus && portal_on_bus(),
        zenity,
    }
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

/// True when the session bus has the desktop portal, running or activatable.
#[cfg(target_os = "linux")]
fn portal_on_session_bus() -> bool {
    zbus::block_on(async {
        let Ok(connection) = zbus::Connection::session().await else {
            return false;
        };
        let Ok(bus) = zbus::fdo::DBusProxy::new(&connection).await else {
            return false;
        };
        let Ok(name) = zbus::names::BusName::try_from(PORTAL) else {
            return false;
        };
        if bus.name_has_owner(name).await.unwrap_or(false) {
            return true;
        }
        bus.list_activatable_names()
            .await
            .is_ok_and(|names| names.iter().any(|n| n.as_str() == PORTAL))
    })
}

#[cfg(not(target_os = "linux"))]
fn portal_on_session_bus() -> bool {
    true
}

/// This desktop, found out once (on a worker thread: the bus is asked). Says once on stderr
/// when the built-in browser will be used.
fn this_desktop() -> Desktop {
    static DESKTOP: OnceLock<Desktop> = OnceLock::new();
    *DESKTOP.get_or_init(|| {
        let desktop = detect(&|name| std::env::var_os(name), &portal_on_session_bus);
        if !desktop.has_chooser() {
            eprintln!(
                "keyward: no file chooser on this desktop (no portal on the session bus, no \
                 zenity on PATH): \"Choose…\" opens the built-in file browser"
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
        if desktop.has_chooser() {
            return (self.native)(pick);
        }
        let (reply, answer) = mpsc::channel();
        let request = BrowseRequest {
            pick,
            why: desktop.why_not(),
            reply,
        };
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
            Arc::new(|| Desktop {
                portal: false,
                zenity: false,
            })
        } else {
            Arc::new(this_desktop)
        };
        let asker = Asker {
            native,
            fallback: Some(Fallback {
                desktop,
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
    use std::sync::atomic::{AtomicBool, Ordering};

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
            true
        });
        assert_eq!(
            desktop,
            Desktop {
                portal: false,
                zenity: false
            }
        );
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
        let desktop = detect(&env(&[("PATH", &path)]), &|| false);
        assert!(desktop.zenity && desktop.has_chooser());
        let not_executable = folder_with_zenity(false);
        let path = not_executable.path().display().to_string();
        assert!(!detect(&env(&[("PATH", &path)]), &|| false).zenity);
        assert!(!detect(&env(&[]), &|| false).zenity, "no PATH at all");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_portal_counts_when_the_session_bus_has_it() {
        let bus = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")];
        assert!(detect(&env(&bus), &|| true).portal);
        assert!(!detect(&env(&bus), &|| false).portal);
        assert!(!detect(&env(&bus), &|| false).has_chooser());
        // No address, but the runtime dir's socket is there: asked.
        let runtime = tempfile::tempdir().expect("temp dir");
        std::fs::write(runtime.path().join("bus"), "").expect("write");
        let dir = runtime.path().display().to_string();
        assert!(detect(&env(&[("XDG_RUNTIME_DIR", &dir)]), &|| true).portal);
        let none = tempfile::tempdir().expect("temp dir");
        let dir = none.path().display().to_string();
        assert!(!detect(&env(&[("XDG_RUNTIME_DIR", &dir)]), &|| true).portal);
        // An empty address is no bus.
        assert!(!detect(&env(&[("DBUS_SESSION_BUS_ADDRESS", "")]), &|| true).portal);
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
                    portal: false,
                    zenity: true,
                }),
                requests,
                waker: Waker::default(),
            }),
        };
        assert_eq!(
            asker.ask(FilePick::KeyFile),
            Some(PathBuf::from("/native/choice"))
        );
    }
}
