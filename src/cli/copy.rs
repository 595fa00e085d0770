//! `keyward copy`: a timed clipboard copy that stays alive as the clipboard owner (X11 serves
//! the clipboard from the process that set it) until it clears.

use std::sync::atomic::{AtomicBool, Ordering};

use super::entries::Part;
use super::{CliError, Context, EXIT_OK};
use crate::clipboard::{self, ClearOutcome};
use crate::secret::SecretString;

/// Set by SIGINT, SIGTERM or SIGHUP: clear the clipboard and exit instead of dying with the
/// secret still on it.
static STOP: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn request_stop(_signal: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Windows: Ctrl+C, Ctrl+Break and closing the console ask to stop the same way.
#[cfg(windows)]
unsafe extern "system" fn request_stop(_event: u32) -> windows_sys::core::BOOL {
    STOP.store(true, Ordering::SeqCst);
    1
}

fn clear_on_signals() {
    // SAFETY: the handler only stores to an atomic.
    #[cfg(windows)]
    unsafe {
        windows_sys::Win32::System::Console::SetConsoleCtrlHandler(Some(request_stop), 1);
    }
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(
                signal,
                request_stop as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }
}

/// `keyward copy NAME [--field F] [--clear-after S]`; F is a part or `field:NAME`, as for
/// `get`.
pub fn copy(
    ctx: &mut Context,
    name: &str,
    field: &str,
    clear_after: Option<u32>,
) -> Result<u8, CliError> {
    let part = Part::parse(field)?;
    let vault = ctx.open_vault()?;
    // Take the one value and let the rest of the vault go (its secrets are wiped as it is
    // dropped) before waiting: only the copied secret stays in memory until the clear.
    let value = SecretString::from(part.value(&vault, name)?);
    let seconds = clear_after.unwrap_or(vault.settings.clipboard_seconds);
    drop(vault);
    let delay = clipboard::clear_delay(seconds).map_err(|e| CliError::usage(e.to_string()))?;
    clear_on_signals();
    let label = format!("{part} of {name}");
    eprintln!(
        "Copied the {label}; the clipboard is cleared in {seconds} s (Ctrl+C clears it now)."
    );
    let outcome = clipboard::copy_and_wait(value.expose(), &label, delay, &STOP)
        .map_err(|e| CliError::other(format!("cannot use the clipboard: {}", e.0)))?;
    match outcome {
        ClearOutcome::Cleared => eprintln!("Cleared the clipboard."),
        ClearOutcome::AlreadyReplaced => {
            eprintln!("The clipboard holds something else now; left it alone.")
        }
        ClearOutcome::Failed(e) => {
            return Err(CliError::other(format!(
                "could not clear the clipboard: {}; clear it yourself",
                e.0
            )));
        }
    }
    Ok(EXIT_OK)
}
