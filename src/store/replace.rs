//! The two operating-system steps of a safe save that differ between systems: replacing the
//! target with the finished temporary file, and making a file or folder owner-only.
//!
//! - Unix: `rename(2)` (atomic, works over open files); owner-only is the 0600/0700 mode
//!   given at creation ([`super::file::private_mode`]), so [`restrict_to_owner`] does nothing.
//! - Windows: `MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH)`; while the target is held
//!   open (a reader, a virus scanner) a POSIX-semantics rename is tried, then both are
//!   retried for about two seconds; owner-only is a protected DACL with one entry, full access for the user who
//!   runs keyward (no inherited entries, so no Users or Administrators group).

#[cfg(not(windows))]
use std::{io, path::Path};

/// Replaces `to` with `from` (same folder) in one step: a crash leaves one or the other.
#[cfg(not(windows))]
pub(super) fn replace_file(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Makes `path` readable and writable by its owner alone (nothing to do on Unix: the mode
/// was set when it was created).
#[cfg(not(windows))]
pub(super) fn restrict_to_owner(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(windows)]
pub(super) use self::windows::{replace_file, restrict_to_owner};

#[cfg(windows)]
mod windows {
    use std::io;
    use std::os::windows::ffi::OsStrExt;
    use std::path::Path;
    use std::time::Duration;

    use windows_sys::Win32::Foundation::{
        CloseHandle, ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, HANDLE,
    };
    use windows_sys::Win32::Security::Authorization::{SE_FILE_OBJECT, SetNamedSecurityInfoW};
    use windows_sys::Win32::Security::{
        ACL, ACL_REVISION, AddAccessAllowedAceEx, CONTAINER_INHERIT_ACE, DACL_SECURITY_INFORMATION,
        GetLengthSid, GetTokenInformation, InitializeAcl, OBJECT_INHERIT_ACE,
        PROTECTED_DACL_SECURITY_INFORMATION, TOKEN_QUERY, TOKEN_USER, TokenUser,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_ALL_ACCESS, MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH, MoveFileExW,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    fn wide(path: &Path) -> Vec<u16> {
        path.as_os_str().encode_wide().chain(Some(0)).collect()
    }

    /// Tries for about two seconds while the target is held open without delete sharing.
    pub(crate) fn replace_file(from: &Path, to: &Path) -> io::Result<()> {
        let (from_path, to_path) = (from, to);
        let (from, to) = (wide(from), wide(to));
        let mut tries = 0;
        loop {
            // SAFETY: both are NUL-terminated wide strings that live across the call.
            let moved = unsafe {
                MoveFileExW(
                    from.as_ptr(),
                    to.as_ptr(),
                    MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH,
                )
            };
            if moved != 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            let busy = matches!(
                e.raw_os_error().map(|c| c as u32),
                Some(ERROR_SHARING_VIOLATION | ERROR_ACCESS_DENIED)
            );
            // A target held open with delete sharing (another keyward reading it) cannot be
            // replaced by MoveFileExW; std's rename uses POSIX semantics where Windows has
            // them (Windows 10 1607+, NTFS), which can.
            if busy && std::fs::rename(from_path, to_path).is_ok() {
                return Ok(());
            }
            tries += 1;
            if !busy || tries >= 40 {
                return Err(e);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The SID of the user running this process, as the bytes of its TOKEN_USER.
    pub(crate) fn current_user() -> io::Result<Vec<u64>> {
        // SAFETY: the token handle is closed before returning; the buffer is sized by the
        // first call and 8-byte aligned (Vec<u64>) for the TOKEN_USER it receives.
        unsafe {
            let mut token: HANDLE = std::ptr::null_mut();
            if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
                return Err(io::Error::last_os_error());
            }
            let mut len = 0u32;
            GetTokenInformation(token, TokenUser, std::ptr::null_mut(), 0, &mut len);
            let mut buf = vec![0u64; (len as usize).div_ceil(8).max(1)];
            let ok = GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), len, &mut len);
            let e = io::Error::last_os_error();
            CloseHandle(token);
            if ok == 0 {
                return Err(e);
            }
            Ok(buf)
        }
    }

    /// The DACL [`restrict_to_owner`] applies: one entry, full access (inherited by files
    /// and folders created inside) for the user whose TOKEN_USER is `user`
    /// ([`current_user`]). Returned as the 4-byte aligned buffer the ACL lives in.
    pub(crate) fn owner_only_acl(user: &[u64]) -> io::Result<Vec<u32>> {
        if user.len() * 8 < size_of::<TOKEN_USER>() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a TOKEN_USER",
            ));
        }
        // SAFETY: `user` holds a TOKEN_USER (checked length; 8-byte aligned) whose SID points
        // into it; the ACL buffer is sized for one ACE with that SID and 4-byte aligned.
        unsafe {
            let sid = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
            let sid_len = GetLengthSid(sid);
            let acl_len = size_of::<ACL>() as u32 + 8 + sid_len + 8;
            let mut acl = vec![0u32; (acl_len as usize).div_ceil(4)];
            let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
            if InitializeAcl(acl_ptr, acl_len, ACL_REVISION) == 0
                || AddAccessAllowedAceEx(
                    acl_ptr,
                    ACL_REVISION,
                    OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE,
                    FILE_ALL_ACCESS,
                    sid,
                ) == 0
            {
                return Err(io::Error::last_os_error());
            }
            Ok(acl)
        }
    }

    /// What [`restrict_to_owner`] asks of `SetNamedSecurityInfoW`: the DACL only, protected
    /// (nothing inherited from the parent folder).
    pub(crate) const OWNER_ONLY_INFORMATION: u32 =
        DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION;

    pub(crate) fn restrict_to_owner(path: &Path) -> io::Result<()> {
        let mut acl = owner_only_acl(&current_user()?)?;
        let name = wide(path);
        // SAFETY: the path is NUL-terminated; the ACL was built by `owner_only_acl` and
        // lives until the call returns.
        let status = unsafe {
            SetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                OWNER_ONLY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                acl.as_mut_ptr().cast::<ACL>(),
                std::ptr::null(),
            )
        };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status as i32));
        }
        Ok(())
    }
}

#[cfg(all(test, windows))]
#[path = "replace_tests.rs"]
mod tests;
