//! Windows tests of the file replace and the owner-only ACL (run under Wine in CI:
//! scripts/wine-cli.sh runs `cargo test --target x86_64-pc-windows-gnu --lib store::`).

use std::fs;
use std::io::Write;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::time::Duration;

use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, ConvertSidToStringSidW,
    GetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACL, ACL_SIZE_INFORMATION, AclSizeInformation, CONTAINER_INHERIT_ACE,
    DACL_SECURITY_INFORMATION, EqualSid, GetAce, GetAclInformation, InitializeSecurityDescriptor,
    IsValidAcl, OBJECT_INHERIT_ACE, PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    SE_DACL_PROTECTED, SECURITY_DESCRIPTOR, SetSecurityDescriptorControl,
    SetSecurityDescriptorDacl, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{FILE_ALL_ACCESS, FILE_SHARE_READ};

use super::windows::{OWNER_ONLY_INFORMATION, current_user, owner_only_acl};

/// winnt.h's SECURITY_DESCRIPTOR_REVISION (windows-sys has it behind a feature keyward does
/// not otherwise need).
const SECURITY_DESCRIPTOR_REVISION: u32 = 1;
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

/// An ACL's entry count, and whether its first entry is an access-allowed entry granting the
/// current user (`user`, a TOKEN_USER) full access; the first entry's inheritance flags.
///
/// # Safety
/// `acl` points to a valid ACL.
unsafe fn acl_summary(acl: *const ACL, user: &[u64]) -> (u32, bool, u8) {
    // SAFETY: per the contract; the ACE pointer is into the ACL.
    unsafe {
        let mut info: ACL_SIZE_INFORMATION = std::mem::zeroed();
        let ok = GetAclInformation(
            acl,
            (&raw mut info).cast(),
            size_of::<ACL_SIZE_INFORMATION>() as u32,
            AclSizeInformation,
        );
        assert_ne!(ok, 0, "GetAclInformation");
        let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
        let (mut owner_full, mut flags) = (false, 0);
        if info.AceCount >= 1 && GetAce(acl, 0, &mut ace) != 0 {
            let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
            let sid = (&raw mut (*ace).SidStart).cast();
            let me = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
            owner_full = (*ace).Header.AceType == 0
                && (*ace).Mask == FILE_ALL_ACCESS
                && EqualSid(sid, me) != 0;
            flags = (*ace).Header.AceFlags;
        }
        (info.AceCount, owner_full, flags)
    }
}

/// The DACL of `path`: (entry count, whether the only entry grants the current user full
/// access).
fn dacl_of(path: &std::path::Path) -> (u32, bool) {
    let name: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
    let user = current_user().expect("user");
    // SAFETY: the out-pointers are valid; the descriptor is freed with LocalFree; the DACL
    // lives in the descriptor.
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
        let (count, owner_full, _) = acl_summary(dacl, &user);
        LocalFree(sd);
        (count, owner_full)
    }
}

/// A wide NUL-terminated string from the system, as a `String`; freed with LocalFree.
///
/// # Safety
/// `text` is a NUL-terminated UTF-16 string allocated with LocalAlloc.
unsafe fn take_local_wide(text: *mut u16) -> String {
    // SAFETY: per the contract.
    unsafe {
        let mut len = 0;
        while *text.add(len) != 0 {
            len += 1;
        }
        let out = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text.cast());
        out
    }
}

/// The ACL `restrict_to_owner` applies, checked where Wine can check it: in memory, before
/// it is handed to `SetNamedSecurityInfoW` (Wine 8 keeps no ACL on the file; the two tests
/// below read it back from the file on real Windows). As SDDL, with the protection flag the
/// call passes: `D:P(A;OICI;FA;;;<the user's SID>)`, which is what `icacls` shows as
/// `(OI)(CI)(F)` for the user alone.
#[test]
fn the_owner_only_acl_is_one_full_access_entry_for_the_user() {
    let user = current_user().expect("user");
    let mut acl = owner_only_acl(&user).expect("acl");
    let acl_ptr = acl.as_mut_ptr().cast::<ACL>();
    // SAFETY: the ACL was built by owner_only_acl; the descriptor and SID string buffers
    // are the system's, freed by take_local_wide; `sd` outlives every use of it.
    unsafe {
        assert_ne!(IsValidAcl(acl_ptr), 0, "a valid ACL");
        let (count, owner_full, flags) = acl_summary(acl_ptr, &user);
        assert_eq!(count, 1, "one entry: no Users, Administrators or Everyone");
        assert!(owner_full, "the entry grants the current user full access");
        assert_eq!(
            u32::from(flags),
            OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE,
            "inherited by what is created inside a folder, and nothing else"
        );
        assert_eq!(
            OWNER_ONLY_INFORMATION,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION
        );

        let mut sd: SECURITY_DESCRIPTOR = std::mem::zeroed();
        let sd_ptr: PSECURITY_DESCRIPTOR = (&raw mut sd).cast();
        assert_ne!(
            InitializeSecurityDescriptor(sd_ptr, SECURITY_DESCRIPTOR_REVISION),
            0
        );
        assert_ne!(SetSecurityDescriptorDacl(sd_ptr, 1, acl_ptr, 0), 0);
        assert_ne!(
            SetSecurityDescriptorControl(sd_ptr, SE_DACL_PROTECTED, SE_DACL_PROTECTED),
            0
        );
        let mut text: *mut u16 = std::ptr::null_mut();
        assert_ne!(
            ConvertSecurityDescriptorToStringSecurityDescriptorW(
                sd_ptr,
                SDDL_REVISION_1,
                DACL_SECURITY_INFORMATION,
                &mut text,
                std::ptr::null_mut(),
            ),
            0,
            "SDDL of the descriptor"
        );
        let sddl = take_local_wide(text);
        let me = (*user.as_ptr().cast::<TOKEN_USER>()).User.Sid;
        let mut sid_text: *mut u16 = std::ptr::null_mut();
        assert_ne!(ConvertSidToStringSidW(me, &mut sid_text), 0);
        let sid = take_local_wide(sid_text);
        assert!(sid.starts_with("S-1-5-"), "{sid}");
        assert_eq!(sddl, format!("D:P(A;OICI;FA;;;{sid})"));
    }
}

#[test]
fn owner_only_acl_refuses_a_buffer_too_small_for_a_token_user() {
    assert!(owner_only_acl(&[]).is_err());
}

#[test]
fn restricting_a_file_and_a_folder_succeeds() {
    // Where Wine cannot keep the ACL, the call must still succeed: a save calls it on
    // every file it writes.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("secret");
    fs::write(&file, b"x").expect("write");
    restrict_to_owner(&file).expect("restrict a file");
    restrict_to_owner(dir.path()).expect("restrict a folder");
    assert_eq!(fs::read(&file).expect("still readable by its owner"), b"x");
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
