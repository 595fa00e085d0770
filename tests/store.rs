//! `VaultFile` behaviour at the library level: create, backup, file modes, one key and salt
//! per password with a fresh nonce per save, change detection, the lock, temporary files,
//! redaction, and saves that fail because the disk is full or the folder is read-only.
//!
//! The CLI-level versions of these live in the CLI tests; here the library is called directly.

// Unix file modes, signals and /proc: these run on Linux and macOS. The Windows build is
// tested end to end under Wine by scripts/wine-cli.sh.
#![cfg(unix)]

use std::fs;
#[cfg(target_os = "linux")]
use std::io;
use std::path::{Path, PathBuf};
#[cfg(target_os = "linux")]
use std::process::Command;

use chrono::{TimeZone, Utc};
use keyward::secret::{SecretBytes, SecretString};
use keyward::store::format::{HEADER_LEN, Header};
use keyward::store::{KdfParams, StoreError, VaultFile, backup_path, lock_path};
use keyward::vault::{Credential, Entry, Vault};

const PASSWORD: &str = "store-test password";
const SECRET: &str = "sk_live_StoreTestSecret0123456789abcdef";
/// Small parameters: these tests are about files, not about the KDF.
const KDF: KdfParams = KdfParams {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

fn pw() -> SecretString {
    SecretString::from(PASSWORD)
}

fn entry(name: &str) -> Entry {
    let now = Utc
        .with_ymd_and_hms(2026, 4, 1, 12, 0, 0)
        .single()
        .expect("date");
    let mut e = Entry::new(
        name,
        Credential::SharedSecret {
            key_id: format!("{name}-key-id").into(),
            secret: SECRET.into(),
            passphrase: None,
        },
        now,
    );
    e.notes = format!("notes of {name}");
    e
}

fn vault_of(names: &[&str]) -> Vault {
    let mut v = Vault::default();
    for n in names {
        v.add(entry(n)).expect("add");
    }
    v
}

fn names(v: &Vault) -> Vec<&str> {
    v.entries.iter().map(|e| e.name.as_str()).collect()
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn temp_files(dir: &Path) -> Vec<String> {
    listing(dir)
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

fn new_vault(dir: &Path, names: &[&str]) -> PathBuf {
    let path = dir.join("vault.keyward");
    VaultFile::create(&path, pw(), KDF, &vault_of(names)).expect("create");
    path
}

#[test]
fn create_writes_a_vault_that_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a", "b"]);
    let (file, vault) = VaultFile::open(&path, pw()).expect("open");
    assert_eq!(names(&vault), ["a", "b"]);
    assert_eq!(file.kdf(), KDF);
    assert_eq!(file.path(), path);
    assert!(
        !backup_path(&path).exists(),
        "a new vault has no previous version"
    );
}

#[test]
fn create_refuses_an_existing_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vault.keyward");
    fs::write(&path, b"someone else's file").expect("write");
    match VaultFile::create(&path, pw(), KDF, &vault_of(&["a"])) {
        Err(StoreError::AlreadyExists { path: p }) => assert_eq!(p, path),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(fs::read(&path).expect("read"), b"someone else's file");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["first"]);
    let before = fs::read(&path).expect("read");
    assert!(matches!(
        VaultFile::create(&path, pw(), KDF, &vault_of(&["second"])),
        Err(StoreError::AlreadyExists { .. })
    ));
    assert!(
        fs::read(&path).expect("read") == before,
        "the vault is untouched"
    );
}

#[test]
fn create_refuses_kdf_parameters_beyond_the_caps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vault.keyward");
    let huge = KdfParams {
        memory_kib: 4 * 1024 * 1024,
        ..KDF
    };
    assert!(matches!(
        VaultFile::create(&path, pw(), huge, &Vault::default()),
        Err(StoreError::KdfRejected { .. })
    ));
    assert!(!path.exists());
}

#[test]
fn open_of_a_missing_vault_is_not_found_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nothing.keyward");
    assert!(matches!(
        VaultFile::open(&path, pw()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        VaultFile::open_locked(&path, pw()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        listing(dir.path()).is_empty(),
        "no lock file for a missing vault"
    );
}

#[test]
fn save_keeps_the_previous_version_as_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["v1"]);
    let v1_bytes = fs::read(&path).expect("read");
    let (mut file, _) = VaultFile::open(&path, pw()).expect("open");

    file.save(&mut vault_of(&["v1", "v2"])).expect("save 2");
    let bak = backup_path(&path);
    assert_eq!(bak, dir.path().join("vault.keyward.bak"));
    assert!(
        fs::read(&bak).expect("backup") == v1_bytes,
        "the exact previous file"
    );
    let (_, old) = VaultFile::open(&bak, pw()).expect("the backup opens");
    assert_eq!(names(&old), ["v1"]);

    file.save(&mut vault_of(&["v1", "v2", "v3"]))
        .expect("save 3");
    let (_, old) = VaultFile::open(&bak, pw()).expect("the backup opens");
    assert_eq!(names(&old), ["v1", "v2"], "the backup is one version back");
    let (_, now) = VaultFile::open(&path, pw()).expect("open");
    assert_eq!(names(&now), ["v1", "v2", "v3"]);

    // After a password change the backup is removed: it would still open with the old
    // password, which may be why it was changed. The next save makes a new one.
    file.set_password(SecretString::from("new password"), KDF)
        .expect("set password");
    file.save(&mut vault_of(&["v4"])).expect("save 4");
    assert!(!bak.exists(), "no backup under the old password");
    assert!(matches!(
        VaultFile::open(&path, pw()),
        Err(StoreError::WrongPasswordOrDamaged { .. })
    ));
    file.save(&mut vault_of(&["v4", "v5"])).expect("save 5");
    let (_, old) = VaultFile::open(&bak, SecretString::from("new password")).expect("backup");
    assert_eq!(names(&old), ["v4"]);
    let (_, now) = VaultFile::open(&path, SecretString::from("new password")).expect("new pw");
    assert_eq!(names(&now), ["v4", "v5"]);
}

#[cfg(unix)]
#[test]
fn vault_backup_and_lock_are_private() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("tempdir");
    // A folder that does not exist yet is created private too.
    let path = dir.path().join("new-folder").join("vault.keyward");
    VaultFile::create(&path, pw(), KDF, &vault_of(&["a"])).expect("create");
    let (mut file, mut vault) = VaultFile::open(&path, pw()).expect("open");
    file.save(&mut vault).expect("save");
    let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600, "vault");
    assert_eq!(mode(&backup_path(&path)), 0o600, "backup");
    assert_eq!(mode(&lock_path(&path)), 0o600, "lock");
    assert_eq!(mode(&dir.path().join("new-folder")), 0o700, "folder");
}

#[test]
fn saves_reuse_the_key_and_salt_with_a_fresh_nonce() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a"]);
    let (mut file, mut vault) = VaultFile::open(&path, pw()).expect("open");
    let mut files = vec![fs::read(&path).expect("read")];
    for _ in 0..3 {
        file.save(&mut vault).expect("save the same vault");
        files.push(fs::read(&path).expect("read"));
        // Each version opens with the password.
        VaultFile::open(&path, pw()).expect("every save opens");
    }
    let parsed: Vec<Header> = files
        .iter()
        .map(|bytes| Header::parse(bytes).expect("header").0)
        .collect();
    for (i, a) in parsed.iter().enumerate() {
        assert_eq!(a.kdf, KDF, "the KDF parameters are kept");
        assert!(!a.key_file);
        for b in &parsed[i + 1..] {
            assert_eq!(
                a.salt, b.salt,
                "the key (and its salt) is derived once, at open"
            );
            assert_ne!(a.nonce, b.nonce, "a new random nonce on every save");
        }
    }
    // Same content and key, different nonce: the ciphertexts share nothing.
    assert_ne!(files[1][HEADER_LEN..], files[2][HEADER_LEN..]);
}

#[test]
fn a_password_or_kdf_change_rotates_the_salt_and_checks_the_current_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a"]);
    let salt = |p: &Path| {
        Header::parse(&fs::read(p).expect("read"))
            .expect("header")
            .0
            .salt
    };
    let first = salt(&path);
    let (mut file, mut vault) = VaultFile::open(&path, pw()).expect("open");
    assert!(
        file.password_matches(&pw()),
        "checked without a stored password"
    );
    assert!(!file.password_matches(&SecretString::from("not it")));

    let wrong = keyward::store::Credentials::from(SecretString::from("not it"));
    let new = keyward::store::Credentials::from(SecretString::from("new password"));
    assert!(matches!(
        file.change_credentials(&wrong, new.clone(), KDF),
        Err(StoreError::WrongCurrentPassword { .. })
    ));
    file.save(&mut vault).expect("save");
    assert_eq!(salt(&path), first, "nothing changed");

    file.change_credentials(&pw().into(), new, KDF)
        .expect("change");
    file.save(&mut vault).expect("save");
    let second = salt(&path);
    assert_ne!(
        second, first,
        "a new password derives a new key under a new salt"
    );
    assert!(file.password_matches(&SecretString::from("new password")));
    assert!(VaultFile::open(&path, pw()).is_err());

    let stronger = KdfParams {
        iterations: 2,
        ..KDF
    };
    file.set_password(SecretString::from("new password"), stronger)
        .expect("kdf");
    assert_eq!(file.kdf(), stronger, "what the next save uses");
    file.save(&mut vault).expect("save");
    assert_ne!(salt(&path), second, "a KDF change derives anew too");
    let (reopened, _) = VaultFile::open(&path, SecretString::from("new password")).expect("open");
    assert_eq!(reopened.kdf(), stronger);
}

#[test]
fn a_password_changed_by_another_writer_stops_the_merge_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a"]);
    let (mut app, mut app_vault) = VaultFile::open(&path, pw()).expect("app opens");
    let (mut cli, mut cli_vault) = VaultFile::open(&path, pw()).expect("cli opens");
    cli.set_password(SecretString::from("changed elsewhere"), KDF)
        .expect("set");
    cli_vault.add(entry("from-cli")).expect("add");
    cli.save(&mut cli_vault).expect("cli saves");
    app_vault.add(entry("from-app")).expect("add");
    let err = app.save_merging(&mut app_vault).expect_err("refused");
    assert!(matches!(err, StoreError::OtherKey { .. }), "{err}");
    assert!(err.to_string().contains("another master password"), "{err}");
    // Nothing lost: the file is the other writer's, and the app still holds its change.
    let (_, on_disk) =
        VaultFile::open(&path, SecretString::from("changed elsewhere")).expect("open");
    assert_eq!(names(&on_disk), ["a", "from-cli"]);
    assert!(app_vault.get("from-app").is_some());
}

#[test]
fn a_save_derives_no_key() {
    // Parameters that make a derivation clearly slower than a small save.
    let heavy = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vault.keyward");
    VaultFile::create(&path, pw(), heavy, &vault_of(&["a", "b"])).expect("create");
    let started = std::time::Instant::now();
    let (mut file, mut vault) = VaultFile::open(&path, pw()).expect("open");
    let open = started.elapsed();
    let started = std::time::Instant::now();
    for _ in 0..3 {
        file.save(&mut vault).expect("save");
    }
    let saves = started.elapsed() / 3;
    assert!(
        saves * 3 < open,
        "a save ({saves:?}) must cost far less than the open's derivation ({open:?})"
    );
}

/// `keyward passwd` derives what it must and nothing more: the old key once (the open, which
/// is the check of the old password) and the new key once (the save). It used to derive
/// three: the open, the old password again to check it, and the new key.
#[test]
fn passwd_derives_the_old_key_once_and_the_new_key_once() {
    use clap::Parser;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a", "b"]);
    let old = dir.path().join("old.txt");
    fs::write(&old, format!("{PASSWORD}\n")).expect("write");
    let new = dir.path().join("new.txt");
    fs::write(&new, "a brand new master password for passwd\n").expect("write");
    let [vault, old_file, new_file] = [&path, &old, &new].map(|p| p.to_str().expect("path"));
    let cli = keyward::cli::Cli::try_parse_from([
        "keyward",
        "--vault",
        vault,
        "--password-file",
        old_file,
        "passwd",
        "--new-password-file",
        new_file,
        "--kdf-memory-mib",
        "1",
        "--kdf-iterations",
        "1",
        "--kdf-parallelism",
        "1",
    ])
    .expect("arguments");
    let before = keyward::store::kdf::derivations_on_this_thread();
    assert_eq!(keyward::cli::run(cli), 0, "passwd succeeds");
    let derived = keyward::store::kdf::derivations_on_this_thread() - before;
    assert_eq!(
        derived, 2,
        "passwd derived {derived} keys, not 2 (old once, new once)"
    );
    let again = SecretString::from("a brand new master password for passwd");
    let (_, vault) = VaultFile::open(&path, again).expect("the new password opens it");
    assert_eq!(vault.entries.len(), 2);
    assert!(
        VaultFile::open(&path, pw()).is_err(),
        "the old one no longer does"
    );
}

#[test]
fn save_refuses_when_another_writer_replaced_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["base"]);
    let (mut first, _) = VaultFile::open(&path, pw()).expect("open first");
    let (mut second, _) = VaultFile::open(&path, pw()).expect("open second");
    second
        .save(&mut vault_of(&["base", "from-second"]))
        .expect("the second writer saves first");
    let theirs = fs::read(&path).expect("read");

    match first.save(&mut vault_of(&["base", "from-first"])) {
        Err(StoreError::ChangedOnDisk { path: p }) => assert_eq!(p, path),
        other => panic!("expected ChangedOnDisk, got {other:?}"),
    }
    assert!(
        fs::read(&path).expect("read") == theirs,
        "the other change is kept"
    );
    assert!(temp_files(dir.path()).is_empty());
    assert!(first.check_unchanged().is_err());
    // The second writer is still in step and can keep saving.
    second
        .save(&mut vault_of(&["base", "from-second", "again"]))
        .expect("still in step");

    // A sync tool replacing the file (a plain write, not a VaultFile) is detected too.
    let (mut third, mut vault) = VaultFile::open(&path, pw()).expect("open third");
    let other = dir.path().join("other.keyward");
    VaultFile::create(&other, pw(), KDF, &vault_of(&["elsewhere"])).expect("other vault");
    fs::copy(&other, &path).expect("sync tool");
    assert!(matches!(
        third.save(&mut vault),
        Err(StoreError::ChangedOnDisk { .. })
    ));
    let (_, kept) = VaultFile::open(&path, pw()).expect("open");
    assert_eq!(names(&kept), ["elsewhere"]);
}

#[test]
fn save_refuses_when_the_file_was_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a"]);
    let (mut file, mut vault) = VaultFile::open(&path, pw()).expect("open");
    fs::remove_file(&path).expect("delete");
    assert!(matches!(
        file.save(&mut vault),
        Err(StoreError::ChangedOnDisk { .. })
    ));
    assert!(!path.exists(), "a deleted vault is not silently re-created");
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn a_second_locked_open_gets_locked_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a"]);
    let (mut holder, _) = VaultFile::open_locked(&path, pw()).expect("first lock");

    match VaultFile::open_locked(&path, pw()) {
        Err(StoreError::Locked { path: p, lock }) => {
            assert_eq!(p, path);
            assert_eq!(lock, dir.path().join("vault.keyward.lock"));
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    // Reading needs no lock, but an unlocked writer cannot save while the lock is held.
    let (mut reader, _) = VaultFile::open(&path, pw()).expect("read while locked");
    let before = fs::read(&path).expect("read");
    assert!(matches!(
        reader.save(&mut vault_of(&["intruder"])),
        Err(StoreError::Locked { .. })
    ));
    assert!(fs::read(&path).expect("read") == before);
    // The holder saves under its own lock.
    holder
        .save(&mut vault_of(&["a", "b"]))
        .expect("holder saves");

    drop(holder);
    let (mut next, mut v) =
        VaultFile::open_locked(&path, pw()).expect("the lock was released on drop");
    assert_eq!(names(&v), ["a", "b"]);
    next.save(&mut v).expect("save");
    drop(next);
    // Locks taken for a single save are released too.
    let (mut a, mut v) = VaultFile::open(&path, pw()).expect("open");
    a.save(&mut v).expect("save takes and releases the lock");
    VaultFile::open_locked(&path, pw()).expect("free again");
}

#[test]
fn saves_leave_no_temporary_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a"]);
    let (mut file, mut vault) = VaultFile::open(&path, pw()).expect("open");
    for i in 0..5 {
        vault.add(entry(&format!("k{i}"))).expect("add");
        file.save(&mut vault).expect("save");
    }
    assert_eq!(
        listing(dir.path()),
        ["vault.keyward", "vault.keyward.bak", "vault.keyward.lock"]
    );
    let (_, back) = VaultFile::open(&path, pw()).expect("open");
    assert_eq!(back.entries.len(), 6);
}

#[test]
fn debug_and_errors_never_show_the_password_or_a_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["a"]);
    let (locked, mut vault) = VaultFile::open_locked(&path, pw()).expect("open");
    let mut shown = vec![format!("{locked:?}"), format!("{vault:?}")];
    let errors = [
        VaultFile::open(&path, SecretString::from(SECRET)).expect_err("wrong password"),
        VaultFile::open_locked(&path, pw()).expect_err("locked"),
    ];
    drop(locked);
    let (mut stale, _) = VaultFile::open(&path, pw()).expect("open");
    let (mut other, _) = VaultFile::open(&path, pw()).expect("open");
    other.save(&mut vault).expect("save");
    let changed = stale.save(&mut vault).expect_err("changed on disk");
    for e in errors.iter().chain([&changed]) {
        shown.push(format!("{e:?}"));
        shown.push(e.to_string());
    }
    for text in &shown {
        assert!(!text.contains(PASSWORD), "password in {text}");
        assert!(!text.contains(SECRET), "secret in {text}");
        assert!(
            !text.contains("StoreTestSecret"),
            "part of a secret in {text}"
        );
    }
    assert!(
        shown[0].contains("vault.keyward"),
        "Debug is still useful: {}",
        shown[0]
    );
}

// ---------------------------------------------------------------------------------------------
// No plaintext left behind in freed memory
// ---------------------------------------------------------------------------------------------

/// The system allocator, plus a check: while [`WATCH`] is on, every block freed (including
/// the old block of a reallocation) is searched for [`MARKER`]. A hit means a copy of a
/// secret was released without being zeroized, where a later allocation (or a core dump)
/// could find it.
struct WatchingAllocator;

static WATCH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static MARKER_SEEN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// A secret no other test uses (built at run time so the binary's own data never holds it
/// in one piece).
const MARKER_HEAD: &str = "zq7-marker-";
const MARKER_TAIL: &str = "only-in-the-freed-memory-test";

// SAFETY: every call is forwarded to `System`; `realloc` keeps the trait's default
// (alloc + copy + dealloc), so the old block passes through `dealloc` and is inspected
// before it is released.
unsafe impl std::alloc::GlobalAlloc for WatchingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if WATCH.load(std::sync::atomic::Ordering::Relaxed) {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes until it is released
            // below; reading initialised-or-not bytes as u8 is what zeroize checks do too.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            let head = MARKER_HEAD.as_bytes();
            let tail = MARKER_TAIL.as_bytes();
            let len = head.len() + tail.len();
            if block.len() >= len
                && block
                    .windows(len)
                    .any(|w| w.starts_with(head) && w.ends_with(tail))
            {
                MARKER_SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: WatchingAllocator = WatchingAllocator;

#[test]
fn saving_leaves_no_plaintext_copy_in_freed_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vault.keyward");
    let marker = SecretString::new(format!("{MARKER_HEAD}{MARKER_TAIL}"));
    // Big enough (about 200 KB) that the serialisation outgrows any first guess of its size.
    let mut vault = big_vault(&Vault::default());
    vault
        .add(Entry::new(
            "marked",
            Credential::Token {
                token: marker.clone(),
            },
            Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
                .single()
                .expect("date"),
        ))
        .expect("add");
    // Control: the allocator does see an unzeroized copy when there is one.
    WATCH.store(true, std::sync::atomic::Ordering::SeqCst);
    drop(String::from(marker.expose()));
    WATCH.store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(MARKER_SEEN.swap(0, std::sync::atomic::Ordering::SeqCst) >= 1);

    WATCH.store(true, std::sync::atomic::Ordering::SeqCst);
    // A new vault (no size hint), then a save of a grown vault (a hint that is too small).
    let created = VaultFile::create(&path, pw(), KDF, &vault);
    for i in 0..400 {
        vault.add(entry(&format!("more-{i:04}"))).expect("add");
    }
    let saved = created.and_then(|mut file| file.save(&mut vault));
    WATCH.store(false, std::sync::atomic::Ordering::SeqCst);
    saved.expect("create and save");

    // format::seal given a buffer without room for the tag.
    let text = format!(r#"{{"secret":"{}"}}"#, marker.expose());
    let mut exact = Vec::with_capacity(text.len());
    exact.extend_from_slice(text.as_bytes());
    keyward::secret::wipe(text);
    let header = Header {
        kdf: KDF,
        salt: [1; 32],
        nonce: [2; 24],
        key_file: false,
    };
    let key = keyward::store::kdf::derive_key(&pw(), &header.salt, KDF).expect("derive");
    WATCH.store(true, std::sync::atomic::Ordering::SeqCst);
    let sealed = keyward::store::format::seal(&header, &key, SecretBytes::new(exact));
    WATCH.store(false, std::sync::atomic::Ordering::SeqCst);
    sealed.expect("seal");
    assert_eq!(
        MARKER_SEEN.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "a plaintext copy of the payload was freed without being zeroized"
    );
}

// ---------------------------------------------------------------------------------------------
// Saves that fail: a full disk, a read-only folder
// ---------------------------------------------------------------------------------------------

/// A vault large enough to exceed the limits below (about 200 KB).
fn big_vault(base: &Vault) -> Vault {
    let mut v = base.clone();
    for i in 0..600 {
        v.add(entry(&format!("bulk-{i:04}"))).expect("add");
    }
    v
}

/// A command that re-runs this test binary for one (ignored) helper test.
#[cfg(target_os = "linux")]
fn helper_process(test: &str) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args([
        test,
        "--exact",
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd
}

const FSIZE_ENV: &str = "KEYWARD_TEST_FSIZE_VAULT";
#[cfg(target_os = "linux")]
const FSIZE_LIMIT: u64 = 64 * 1024;

#[cfg(target_os = "linux")]
#[test]
fn save_reports_a_full_disk_and_keeps_the_old_vault() {
    use std::os::unix::process::CommandExt;

    let dir = tempfile::tempdir().expect("tempdir");
    let path = new_vault(dir.path(), &["original"]);
    let original = fs::read(&path).expect("read");
    assert!((original.len() as u64) < FSIZE_LIMIT);

    let mut cmd = helper_process("helper_save_under_a_file_size_limit");
    cmd.env(FSIZE_ENV, &path);
    // SAFETY: between fork and exec the closure only calls signal(2) and setrlimit(2), both
    // async-signal-safe, with values computed before the fork.
    unsafe {
        cmd.pre_exec(|| {
            // Without this the kernel kills the writer with SIGXFSZ instead of returning EFBIG.
            if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR {
                return Err(io::Error::last_os_error());
            }
            let limit = libc::rlimit {
                rlim_cur: FSIZE_LIMIT as libc::rlim_t,
                rlim_max: FSIZE_LIMIT as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("run the helper");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "helper failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("HELPER save failed:") && stdout.contains("HELPER done"),
        "the helper did not run its checks:\n{stdout}"
    );
    // The failed save changed nothing; the later small save worked and kept the original as
    // the backup.
    assert!(
        fs::read(backup_path(&path)).expect("backup") == original,
        "the vault was untouched by the failed save"
    );
    let (_, now) = VaultFile::open(&path, pw()).expect("open");
    assert_eq!(names(&now), ["original", "after-the-failure"]);
    assert!(
        temp_files(dir.path()).is_empty(),
        "{:?}",
        listing(dir.path())
    );
}

/// Runs in a child process whose file size limit is [`FSIZE_LIMIT`]: a big save fails with
/// EFBIG and changes nothing; the same `VaultFile` then saves a small vault.
#[test]
#[ignore = "helper: run in a child process by save_reports_a_full_disk_and_keeps_the_old_vault"]
fn helper_save_under_a_file_size_limit() {
    let Some(path) = std::env::var_os(FSIZE_ENV) else {
        println!("nothing to do: this helper only runs as a child of its parent test");
        return;
    };
    let path = PathBuf::from(path);
    let before = fs::read(&path).expect("read");
    let (mut file, vault) = VaultFile::open(&path, pw()).expect("open");
    let err = file
        .save(&mut big_vault(&vault))
        .expect_err("a save beyond the size limit fails");
    match &err {
        StoreError::Io { source, .. } => {
            assert_eq!(source.raw_os_error(), Some(libc::EFBIG), "{err}")
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    println!("HELPER save failed: {err}");
    assert!(fs::read(&path).expect("read") == before, "vault unchanged");
    let dir = path.parent().expect("parent");
    assert!(temp_files(dir).is_empty(), "{:?}", listing(dir));
    let mut small = vault.clone();
    small.add(entry("after-the-failure")).expect("add");
    file.save(&mut small)
        .expect("the same VaultFile saves once the data fits");
    println!("HELPER done");
}

/// A tmpfs mounted for one test; unmounted when dropped.
#[cfg(target_os = "linux")]
struct Tmpfs {
    dir: std::ffi::CString,
}

#[cfg(target_os = "linux")]
impl Tmpfs {
    /// Mounts a tmpfs of `size_kib` on `dir`, or says why it could not.
    fn mount(dir: &Path, size_kib: u32) -> io::Result<Tmpfs> {
        use std::os::unix::ffi::OsStrExt;
        let target =
            std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
        let options = std::ffi::CString::new(format!("size={size_kib}k,mode=0700"))
            .map_err(io::Error::other)?;
        // SAFETY: every pointer is a valid NUL-terminated string for the duration of the call.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                options.as_ptr().cast(),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Tmpfs { dir: target })
    }

    fn remount_read_only(&self) -> io::Result<()> {
        // SAFETY: valid NUL-terminated strings; a null data pointer is allowed.
        let rc = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                self.dir.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT | libc::MS_RDONLY,
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
impl Drop for Tmpfs {
    fn drop(&mut self) {
        // SAFETY: a valid NUL-terminated path.
        unsafe {
            libc::umount2(self.dir.as_ptr(), libc::MNT_DETACH);
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn save_on_a_full_file_system_keeps_the_old_vault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = dir.path().join("small-fs");
    fs::create_dir(&mount).expect("mkdir");
    let _fs = match Tmpfs::mount(&mount, 64) {
        Ok(fs) => fs,
        Err(e) => {
            println!(
                "SKIPPED: cannot mount a tmpfs here ({e}); the RLIMIT_FSIZE test covers a full disk"
            );
            return;
        }
    };
    let path = new_vault(&mount, &["original"]);
    let original = fs::read(&path).expect("read");
    let (mut file, vault) = VaultFile::open(&path, pw()).expect("open");

    let err = file
        .save(&mut big_vault(&vault))
        .expect_err("no space for the new version");
    match &err {
        StoreError::Io { source, .. } => {
            assert_eq!(source.raw_os_error(), Some(libc::ENOSPC), "{err}")
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    assert!(!err.is_unreadable(), "a full disk is not a damaged vault");
    assert!(fs::read(&path).expect("read") == original);
    assert!(temp_files(&mount).is_empty(), "{:?}", listing(&mount));
    // The space is free again: a save that fits goes through.
    file.save(&mut vault_of(&["original", "small"]))
        .expect("save that fits");
    assert!(fs::read(backup_path(&path)).expect("backup") == original);
}

#[cfg(target_os = "linux")]
#[test]
fn save_into_a_read_only_folder_fails_and_keeps_the_vault() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("ro");
    fs::create_dir(&folder).expect("mkdir");
    // Root ignores permission bits, so as root the folder becomes a read-only mount; other
    // users get a folder without write permission.
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let fs_guard = if root {
        match Tmpfs::mount(&folder, 256) {
            Ok(fs) => Some(fs),
            Err(e) => {
                println!("SKIPPED: running as root and cannot mount a tmpfs ({e})");
                return;
            }
        }
    } else {
        None
    };
    let path = new_vault(&folder, &["original"]);
    let original = fs::read(&path).expect("read");
    let before = listing(&folder);
    let (mut file, vault) = VaultFile::open(&path, pw()).expect("open");
    match &fs_guard {
        Some(fs) => fs.remount_read_only().expect("remount read-only"),
        None => {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&folder, fs::Permissions::from_mode(0o500)).expect("chmod");
        }
    }

    let err = file
        .save(&mut vault_of(&["original", "new"]))
        .expect_err("the folder cannot be written");
    assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    assert!(!err.is_unreadable());
    assert!(fs::read(&path).expect("read") == original);
    assert_eq!(listing(&folder), before, "nothing created or removed");
    // Reading still works.
    let (_, back) = VaultFile::open(&path, pw()).expect("open read-only");
    assert_eq!(back, vault);

    if fs_guard.is_none() {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o700)).expect("chmod back");
    }
}
