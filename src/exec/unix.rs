//! Unix side of [`super::run`]: signals sent to keyward are forwarded to the child, and the
//! shell's exit-code convention (128 + N for death by signal N).

use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

/// The child that [`super::run`] is waiting for, for the signal handler; 0 when none.
static CHILD_PID: AtomicI32 = AtomicI32::new(0);
/// A signal that arrived before the child's pid was known; forwarded once it is.
static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn forward_signal(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // A signal the kernel made for the terminal's foreground group (Ctrl+C) already reached
    // the child, which is in the same group: forward only signals sent by a process
    // (kill(2), si_code <= 0), so the child gets each signal once.
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let sent_by_kernel = !info.is_null() && unsafe { (*info).si_code } > 0;
    if sent_by_kernel {
        return;
    }
    let pid = CHILD_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(pid, signal);
        }
    } else {
        PENDING_SIGNAL.store(signal, Ordering::SeqCst);
    }
}

/// Signal forwarding for as long as it lives; the default dispositions come back on drop.
pub(super) struct Supervisor;

impl Supervisor {
    /// Installs the forwarding handlers (before the child is spawned, so no signal is lost).
    pub(super) fn install() -> Self {
        for signal in FORWARDED {
            // SAFETY: a zeroed sigaction is valid; the handler only touches atomics and kill.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = forward_signal as *const () as libc::sighandler_t;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
        Supervisor
    }

    /// From now on signals go to `child`; one that arrived during the spawn is sent now.
    pub(super) fn watch(&mut self, child: &Child) {
        let pid = child.id() as i32;
        CHILD_PID.store(pid, Ordering::SeqCst);
        let pending = PENDING_SIGNAL.swap(0, Ordering::SeqCst);
        if pending != 0 {
            // SAFETY: sends a signal to our own child.
            unsafe {
                libc::kill(pid, pending);
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        CHILD_PID.store(0, Ordering::SeqCst);
        for signal in FORWARDED {
            // SAFETY: resets the disposition installed by Supervisor::install.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
    }
}

/// The shell's convention: the exit code, or 128 + N for death by signal N.
pub(super) fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => (code & 0xff) as u8,
        (None, Some(signal)) => (128 + signal).clamp(0, 255) as u8,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn exit_codes_follow_the_shell() {
        assert_eq!(exit_code(ExitStatus::from_raw(42 << 8)), 42);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
    }
}
