//! Process hardening that does not fit anywhere else.

/// Turns off core dumps so that a crash cannot write decrypted secrets to disk
/// (`PR_SET_DUMPABLE` 0 and `RLIMIT_CORE` 0 on Linux). Returns a warning to show when that
/// failed; failure is not fatal.
pub fn disable_core_dumps() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain syscalls with constant arguments and a fully initialised struct.
        let dumpable = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        let limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid rlimit for the duration of the call.
        let core = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) };
        if dumpable != 0 || core != 0 {
            return Some(format!(
                "warning: could not disable core dumps ({}); a crash could write secrets to disk",
                std::io::Error::last_os_error()
            ));
        }
    }
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn core_dumps_are_off_afterwards() {
        assert_eq!(super::disable_core_dumps(), None);
        let mut limit = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: `limit` is a valid, writable rlimit.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
        assert_eq!(limit.rlim_cur, 0);
        // SAFETY: no arguments beyond the option.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }, 0);
    }
}
