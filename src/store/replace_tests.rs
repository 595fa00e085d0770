//! Windows tests of the file replace and the owner-only ACL (run under Wine in CI:
//! scripts/wine-cli.sh runs `cargo test --target x86_64-pc-windows-gnu --lib store::`).

use std::fs;
use std::io::Write;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::time::Duration;

use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Authorization::{GetNamedSecurityInfoW, SE_FILE_OBJECT};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACL, ACL_SIZE_INFORMATION, AclSizeInformation, DACL_SECURITY_INFORMATION,
    EqualSid, GetAce, GetAclInformation, PSECURITY_DESCRIPTOR, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{FILE_ALL_ACCESS, FILE_SHARE_READ};

use super::windows::current_user;
use super::{replace_file, restrict_to_owner};

#[test]
fn replaces_a_file_that_a_reader_holds_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tmp, target) = (dir.path().join("new.tmp"), dir.path().join("vault"));
    fs::write(&target, b"old").expect("write");
    fs::write(&tmp, b"new").expect("write");
    // std opens with read, write and delete sharing. Windows 10+ replaces it at once (POSIX
    // rename semantics); Wine and older systems refuse while it is open, so the retry waits
    // for the reader, which lets go after 300 ms.
    let reader = fs::File::open(&target).expect("open");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(reader);
    });
    replace_file(&tmp, &target).expect("replace over an open file");
    release.join().expect("join");
    assert_eq!(fs::read(&target).expect("read"), b"new");
    assert!(!tmp.exists());
}

#[test]
fn waits_for_a_holder_without_delete_sharing_and_fails_if_it_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tmp, target) = (dir.path().join("new.tmp"), dir.path().join("vault"));
    fs::write(&target, b"old").expect("write");
    fs::write(&tmp, b"new").expect("write");
    let open_locked = || {
        fs::OpenOptions::new()
            .read(true)
            .share_mode(FILE_SHARE_READ)
            .open(&target)
            .expect("open")
    };
    // Held for the whole retry window: the replace fails and leaves both files intact.
    let holder = open_locked();
    assert!(replace_file(&tmp, &target).is_err());
    drop(holder);
    assert_eq!(fs::read(&target).expect("read"), b"old");
    assert_eq!(fs::read(&tmp).expect("read"), b"new");
    // Released after 300 ms: the retry succeeds.
    let holder = open_locked();
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(holder);
    });
    replace_file(&tmp, &target).expect("replace after the holder let go");
    release.join().expect("join");
    assert_eq!(fs::read(&target).expect("read"), b"new");
}

/// The DACL of `path`: (entry count, whether the only entry grants the current user full
/// access).
fn dacl_of(path: &std::path::Path) -> (u32, bool) {
    let name: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
    let user = current_user().expect("user");
    // SAFETY: the out-pointers are valid; the descriptor is freed with LocalFree; the ACE
    // pointer is into the DACL, which lives in the descriptor.
    unsafe {
        let mut dacl: *mut ACL = std::ptr::null_mut();
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        let status = GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut sd,
        );
        assert_eq!(status, 0, "GetNamedSecurityInfoW");
        assert!(
            !dacl.is_null(),
            "a DACL is set (a null DACL lets everyone in)"
        );
        let mut info: ACL_SIZE_INFORMATION = std::mem::zeroed();
        let ok = GetAclInformation(
            dacl,
            (&raw mut info).cast(),
            size_of::<ACL_SIZE_INFORMATION>() as u32,
            AclSizeInformation,
        );
        assert_ne!(ok, 0, "GetAclInformation");
        let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
        let mut owner_full = false;
        if info.AceCount >= 1 && GetAce(dacl, 0, &mut ace) != 0 {
            let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
            let sid = (&raw mut (*ace).SidStart).cast();
            let me = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
            owner_full = (*ace).Header.AceType == 0
                && (*ace).Mask == FILE_ALL_ACCESS
                && EqualSid(sid, me) != 0;
        }
        LocalFree(sd);
        (info.AceCount, owner_full)
    }
}

#[test]
#[ignore = "Wine 8 does not keep file ACLs (it reports a DACL made from the Unix mode): run on Windows with --include-ignored"]
fn owner_only_leaves_one_entry_for_the_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("secret");
    fs::File::create(&file)
        .and_then(|mut f| f.write_all(b"x"))
        .expect("write");
    restrict_to_owner(&file).expect("restrict");
    assert_eq!(dacl_of(&file), (1, true));
    restrict_to_owner(dir.path()).expect("restrict the folder");
    assert_eq!(dacl_of(dir.path()), (1, true));
}

#[test]
#[ignore = "Wine 8 does not keep file ACLs (it reports a DACL made from the Unix mode): run on Windows with --include-ignored"]
fn saved_files_are_owner_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("export.csv");
    crate::store::write_file_atomically(&file, b"a,b\n").expect("write");
    assert_eq!(dacl_of(&file), (1, true));
}
