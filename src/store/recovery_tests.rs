use chrono::TimeZone;

use super::*;
use crate::secret::SecretString;
use crate::store::kdf::KdfParams;
use crate::store::{Credentials, Opener, open_copies};
use crate::vault::{Credential, Entry};

const PASSWORD: &str = "plaid-otter-quantum-harbor-71";

fn at(h: u32) -> DateTime<Utc> {
    // After the real time of the test run: the save that creates the vault stamps with it.
    Utc.with_ymd_and_hms(2099, 6, 1, h, 0, 0)
        .single()
        .expect("date")
}

fn fast() -> KdfParams {
    KdfParams::from_mib(1, 1, 1).expect("kdf")
}

fn token(name: &str, value: &str) -> Entry {
    Entry::new(
        name,
        Credential::Token {
            token: value.into(),
        },
        at(1),
    )
}

/// A vault file with key `a` on disk, and the vault as an app holds it after adding `b`.
fn setup() -> (tempfile::TempDir, PathBuf, Vault, Vault) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vault.keyward");
    let mut base = Vault::default();
    base.add(token("a", "tok-a")).expect("add");
    VaultFile::create(&path, PASSWORD.into(), fast(), &base).expect("create");
    let (_, base) = VaultFile::open(&path, PASSWORD.into()).expect("open");
    let mut changed = base.clone();
    changed.add(token("b", "tok-b-unsaved")).expect("add");
    (dir, path, base, changed)
}

/// The key of the vault at `path` when `password` is its own (as the app holds it), else a
/// key of `password` under a salt of its own.
fn key_for(path: &Path, password: &str) -> VaultKey {
    let credentials = Credentials::from(SecretString::from(password));
    match VaultFile::open(path, credentials.password.clone()) {
        Ok((file, _)) => file.key().clone(),
        Err(_) => VaultKey::new(&credentials, fast()).expect("key"),
    }
}

fn write(path: &Path, vault: &Vault, base: &Vault, password: &str, now: DateTime<Utc>) -> PathBuf {
    let key = key_for(path, password);
    write_recovery(
        path,
        &Recovery {
            vault,
            base: Some(base),
            key: &key,
        },
        now,
    )
    .expect("recovery written")
}

#[test]
fn the_recovery_file_is_a_private_vault_file_with_the_vaults_password() {
    let (_dir, path, base, changed) = setup();
    let written = write(&path, &changed, &base, PASSWORD, at(5));
    assert_eq!(written, recovery_path(&path));
    assert_eq!(find_recovery(&path), vec![written.clone()]);
    assert!(crate::store::holds_vault(&written));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&written).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (_, back) = VaultFile::open(&written, PASSWORD.into()).expect("opens as a vault");
    let b = back.get("b").expect("the unsaved key is in it");
    assert_eq!(b.credential.primary_secret().expose(), "tok-b-unsaved");
    assert_eq!(b.modified_at, Some(at(5)), "the change is stamped");
    let a = back.get("a").expect("a").modified_at;
    assert_eq!(a, base.get("a").expect("a").modified_at, "a is unchanged");
    assert!(VaultFile::open(&written, "another password".into()).is_err());
    // Nothing else beside the vault: no temporary file is left.
    let names: Vec<String> = fs::read_dir(path.parent().expect("dir"))
        .expect("list")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn merged_at_unlock_the_stamped_change_wins_over_the_older_disk_version() {
    let (_dir, path, base, mut changed) = setup();
    changed.get_mut("a").expect("a").notes = "edited before the lock".into();
    let written = write(&path, &changed, &base, PASSWORD, at(5));
    let (_, on_disk) = VaultFile::open(&path, PASSWORD.into()).expect("open");
    let key = key_for(&path, PASSWORD);
    let copies = open_copies(&[written], Opener::Key(&key)).expect("open copies");
    let (merged, reports) = crate::store::merge_copies(&on_disk, &copies);
    assert_eq!(merged.get("a").expect("a").notes, "edited before the lock");
    assert!(merged.get("b").is_some());
    assert_eq!(reports[0].added, vec!["b".to_owned()]);
}

#[test]
fn a_second_failed_lock_keeps_what_the_first_recovered() {
    let (_dir, path, base, changed) = setup();
    write(&path, &changed, &base, PASSWORD, at(5));
    // The next session (without the first change) fails to save another key.
    let mut other = base.clone();
    other.add(token("c", "tok-c-unsaved")).expect("add");
    let written = write(&path, &other, &base, PASSWORD, at(6));
    assert_eq!(find_recovery(&path), vec![written.clone()]);
    let (_, back) = VaultFile::open(&written, PASSWORD.into()).expect("open");
    for (name, secret) in [("b", "tok-b-unsaved"), ("c", "tok-c-unsaved")] {
        let e = back.get(name).expect(name);
        assert_eq!(e.credential.primary_secret().expose(), secret);
    }
}

#[test]
fn a_recovery_file_this_password_does_not_open_is_left_alone() {
    let (_dir, path, base, changed) = setup();
    let first = write(&path, &changed, &base, "the old password", at(5));
    let before = fs::read(&first).expect("read");
    let second = write(&path, &changed, &base, PASSWORD, at(6));
    assert_ne!(first, second);
    assert_eq!(fs::read(&first).expect("read"), before, "untouched");
    assert_eq!(find_recovery(&path), vec![first, second.clone()]);
    assert!(VaultFile::open(&second, PASSWORD.into()).is_ok());
    assert!(recovered_at(&second).is_some());
}

#[test]
fn without_a_base_every_entry_counts_as_changed() {
    let (_dir, path, _base, changed) = setup();
    let key = key_for(&path, PASSWORD);
    let written = write_recovery(
        &path,
        &Recovery {
            vault: &changed,
            base: None,
            key: &key,
        },
        at(7),
    )
    .expect("written");
    let (_, back) = VaultFile::open(&written, PASSWORD.into()).expect("open");
    assert!(back.entries.iter().all(|e| e.modified_at == Some(at(7))));
}

#[test]
fn no_recovery_file_is_found_where_there_is_none() {
    let (_dir, path, _, _) = setup();
    assert!(find_recovery(&path).is_empty());
    // Names that only look alike are not recovery files.
    for n in [
        "vault.keyward.recoveryx",
        "vault.keyward.bak",
        "vault.recovery",
    ] {
        fs::write(path.with_file_name(n), b"x").expect("write");
    }
    assert!(find_recovery(&path).is_empty());
}
