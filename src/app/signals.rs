//! SIGTERM, SIGINT and SIGHUP (a logout, `kill`, Ctrl+C in the terminal that started the app):
//! the app locks (the session wiped, an unsaved change kept in the recovery file as an idle
//! lock does), clears the clipboard if it still holds the copied secret, and closes its window
//! instead of dying with the secret on the clipboard.
//!
//! The handler only sets a flag (async-signal-safe); a watcher thread wakes the frame loop,
//! which does the rest ([`super::KeywardApp::stop_requested`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eframe::egui;

static STOP: AtomicBool = AtomicBool::new(false);

/// How long the window may take to lock and close before the process exits anyway (a lock
/// waits up to 10 s for a save).
const GRACE: Duration = Duration::from_secs(15);

#[cfg(unix)]
extern "C" fn on_signal(_signal: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Installs the handlers (once) and returns the flag they set.
pub fn stop_flag() -> &'static AtomicBool {
    #[cfg(unix)]
    {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
                unsafe {
                    libc::signal(
                        signal,
                        on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
                    );
                }
            }
        });
    }
    &STOP
}

/// Wakes the frame loop of `ctx` once `flag` is set (a signal arrived), and ends the process
/// if the window has not closed by itself after [`GRACE`].
pub fn watch(ctx: egui::Context, flag: &'static AtomicBool) {
    let spawned = std::thread::Builder::new()
        .name("keyward-signals".to_owned())
        .spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(100));
            }
            let deadline = std::time::Instant::now() + GRACE;
            while std::time::Instant::now() < deadline {
                ctx.request_repaint();
                std::thread::sleep(Duration::from_millis(100));
            }
            eprintln!("keyward: the window did not close after a stop signal; exiting");
            std::process::exit(1);
        });
    if let Err(e) = spawned {
        eprintln!("keyward: warning: signals will not lock the vault ({e})");
    }
}
