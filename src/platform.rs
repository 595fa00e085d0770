//! Process hardening that does not fit anywhere else.

/// Turns off core dumps so that a crash cannot write decrypted secrets to disk
/// (`PR_SET_DUMPABLE` 0 and `RLIMIT_CORE` 0 on Linux; on Windows no crash dialog and no
/// heap in a Windows Error Reporting dump: `SetErrorMode(SEM_NOGPFAULTERRORBOX)` and
/// `WerSetFlags(WER_FAULT_REPORTING_FLAG_NOHEAP)`). Returns a warning to show when that
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
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::Diagnostics::Debug::{
            SEM_FAILCRITICALERRORS, SEM_NOGPFAULTERRORBOX, SetErrorMode,
        };
        use windows_sys::Win32::System::ErrorReporting::{
            WER_FAULT_REPORTING_FLAG_NOHEAP, WerSetFlags,
        };
        // SAFETY: process-wide flags with constant arguments.
        let wer = unsafe {
            SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
            WerSetFlags(WER_FAULT_REPORTING_FLAG_NOHEAP)
        };
        if wer < 0 {
            return Some(format!(
                "warning: could not keep secrets out of crash reports (HRESULT {wer:#x})"
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

/// keyward's config folder, `<config dir>/keyward`: `~/.config/keyward` on Linux,
/// `%APPDATA%\keyward` on Windows, `~/Library/Application Support/keyward` on macOS. The app's
/// settings (`app.ron`) and the user's provider presets (`providers.toml`) both live here.
pub fn config_dir() -> Option<std::path::PathBuf> {
    directories::BaseDirs::new().map(|d| d.config_dir().join("keyward"))
}

/// An operating system error about `path` as a sentence the user can act on, without the
/// bare "(os error 2)": "writing /x/out.csv failed: the folder /x does not exist". `action`
/// is what was being done ("writing", "creating a temporary file in" — ending in " in" when
/// `path` is the folder). The store's and the transfer's I/O errors (so the CLI and the app)
/// all print through this.
pub fn io_sentence(action: &str, path: &std::path::Path, error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let shown = path.display();
    let folder = if action.ends_with(" in") {
        Some(path)
    } else {
        path.parent().filter(|p| !p.as_os_str().is_empty())
    };
    let reason = match error.kind() {
        ErrorKind::NotFound => match folder {
            Some(dir) if !dir.is_dir() => format!("the folder {} does not exist", dir.display()),
            _ => format!("{shown} does not exist"),
        },
        ErrorKind::PermissionDenied => {
            "permission denied (you may not read or write there)".to_owned()
        }
        ErrorKind::IsADirectory => format!("{shown} is a folder, not a file"),
        ErrorKind::NotADirectory => "a part of the path is a file, not a folder".to_owned(),
        ErrorKind::StorageFull => "no space left: the disk is full".to_owned(),
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_owned(),
        ErrorKind::AlreadyExists => format!("{shown} already exists"),
        // The kind's words ("file too large", …) without the OS error number.
        kind => kind.to_string(),
    };
    format!("{action} {shown} failed: {reason}")
}

#[cfg(test)]
mod io_sentence_tests {
    use super::io_sentence;
    use std::io::{Error, ErrorKind};
    use std::path::Path;

    #[test]
    fn a_missing_folder_is_named_and_no_os_error_number_shows() {
        let e = Error::from_raw_os_error(2);
        let text = io_sentence("writing", Path::new("/no/such/dir/out.csv"), &e);
        assert_eq!(
            text,
            "writing /no/such/dir/out.csv failed: the folder /no/such/dir does not exist"
        );
        let text = io_sentence("creating a temporary file in", Path::new("/no/dir"), &e);
        assert!(
            text.ends_with("the folder /no/dir does not exist"),
            "{text}"
        );
        let denied = io_sentence("writing", Path::new("/x"), &Error::from_raw_os_error(13));
        assert!(!denied.contains("os error"), "{denied}");
        assert!(denied.contains("permission denied"), "{denied}");
        let other = io_sentence(
            "reading",
            Path::new("/x"),
            &Error::from(ErrorKind::FileTooLarge),
        );
        assert_eq!(other, "reading /x failed: file too large");
    }
}

#[cfg(all(test, windows))]
mod windows_tests {
    use windows_sys::Win32::System::Diagnostics::Debug::{SEM_NOGPFAULTERRORBOX, SetErrorMode};

    #[test]
    fn no_crash_dialog_afterwards() {
        assert_eq!(super::disable_core_dumps(), None);
        // SetErrorMode returns the previous mode: set it again to read it.
        // SAFETY: process-wide flag with a constant argument.
        let mode = unsafe { SetErrorMode(SEM_NOGPFAULTERRORBOX) };
        assert_ne!(mode & SEM_NOGPFAULTERRORBOX, 0, "mode {mode:#x}");
    }
}
