//! The vault on disk: open, atomic and durable save, backup, lock file, change detection.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::error::{CryptoError, StoreError};
use super::fingerprint::{fingerprint, fingerprint_of_file};
use super::guard::refuse_vault_target;
use super::kdf::KdfParams;
use super::key::{Credentials, VaultKey};
use super::lock::VaultLock;
use super::payload::seal_vault;
use super::read::{Opener, decrypt_file};
use super::stamp;
use crate::secret::SecretString;
use crate::vault::Vault;

/// The vault's default location: `<data dir>/keyward/vault.keyward`.
pub fn default_vault_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_dir().join("keyward").join("vault.keyward"))
}

/// The lock file beside a vault: `<vault>.lock`.
pub fn lock_path(vault: &Path) -> PathBuf {
    with_suffix(vault, ".lock")
}

/// The backup of the previous version beside a vault: `<vault>.bak`.
pub fn backup_path(vault: &Path) -> PathBuf {
    with_suffix(vault, ".bak")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// An open vault file: where it is, the key to re-encrypt it with (derived once; the master
/// password is not kept), and what it held when last read or written (to detect changes made
/// by others).
#[derive(Debug)]
pub struct VaultFile {
    pub(super) path: PathBuf,
    /// The key every save seals with, under its salt and KDF.
    pub(super) key: VaultKey,
    /// New credentials and KDF from [`VaultFile::set_credentials`], derived by the next save
    /// (off the caller's thread in the app) and dropped, so wiped, right after.
    pending: Option<(Credentials, KdfParams)>,
    /// SHA-256 of the bytes last read or written; `None` before the first save of a new vault.
    pub(super) fingerprint: Option<[u8; 32]>,
    /// Held for the life of this value when opened with [`VaultFile::open_locked`].
    pub(super) lock: Option<VaultLock>,
    /// A KDF above the work bound is accepted when the file is read again (a merge).
    pub(super) allow_slow_kdf: bool,
    /// Size of the last payload, to size the next serialisation buffer in one allocation.
    payload_hint: usize,
    /// Set when a save derived new credentials' key: the next save must not leave a backup that opens
    /// with the old password.
    password_changed: bool,
    /// The vault as last read or written here: the common base of a three-way merge with
    /// what another writer saved, and what `modified_at` stamps are decided against.
    pub(super) last: Vault,
}

/// The file a vault path really names: a symlink is followed, so that saves replace the
/// target (not the link) and every path to one vault shares one lock. A path that does not
/// exist yet is used as it is.
pub(super) fn real_path(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

impl VaultFile {
    /// Creates a new vault file holding `vault`. Fails if a file already exists at `path`.
    pub fn create(
        path: &Path,
        password: SecretString,
        kdf: KdfParams,
        vault: &Vault,
    ) -> Result<VaultFile, StoreError> {
        Self::create_with(path, Credentials::from(password), kdf, vault)
    }

    /// [`VaultFile::create`] with a key file as a second factor, when `credentials` has one.
    /// The key is derived here once; the password is dropped (wiped) on return.
    pub fn create_with(
        path: &Path,
        credentials: Credentials,
        kdf: KdfParams,
        vault: &Vault,
    ) -> Result<VaultFile, StoreError> {
        kdf.check().map_err(|why| StoreError::KdfRejected {
            path: path.to_owned(),
            why,
        })?;
        let lock = VaultLock::acquire(path)?;
        if path.exists() {
            return Err(StoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let key = VaultKey::new(&credentials, kdf).map_err(|what| StoreError::Crypto {
            path: path.to_owned(),
            what,
        })?;
        drop(credentials);
        let mut file = VaultFile {
            path: path.to_owned(),
            key,
            pending: None,
            fingerprint: None,
            lock: Some(lock),
            allow_slow_kdf: false,
            payload_hint: 0,
            password_changed: false,
            last: Vault::default(),
        };
        let mut vault = vault.clone();
        file.save(&mut vault)?;
        file.lock = None;
        Ok(file)
    }

    /// Opens and decrypts the vault at `path` without taking its lock (reading is safe while
    /// another process saves, because saves replace the file atomically).
    pub fn open(path: &Path, password: SecretString) -> Result<(VaultFile, Vault), StoreError> {
        Self::open_with(path, password, false)
    }

    /// [`VaultFile::open`] with `credentials` (a password, or a password and key file); a
    /// header whose KDF is above the work bound (within the caps) is accepted when
    /// `allow_slow_kdf` (`--allow-slow-kdf`, for a file the user trusts). The key is derived
    /// once; the password is dropped (wiped) on return.
    pub fn open_with(
        path: &Path,
        credentials: impl Into<Credentials>,
        allow_slow_kdf: bool,
    ) -> Result<(VaultFile, Vault), StoreError> {
        let credentials = credentials.into();
        let read = Self::read_with(path, Opener::Credentials(&credentials), allow_slow_kdf);
        drop(credentials);
        read
    }

    /// Opens the vault file at `path` with `opener`: with [`Opener::Key`] no key is derived,
    /// and a file sealed under another salt or KDF is refused ([`StoreError::OtherKey`]).
    pub fn read_with(
        path: &Path,
        opener: Opener<'_>,
        allow_slow_kdf: bool,
    ) -> Result<(VaultFile, Vault), StoreError> {
        let path = &real_path(path);
        let read = decrypt_file(path, opener, allow_slow_kdf)?;
        let vault = read.vault;
        let file = VaultFile {
            path: path.to_owned(),
            key: read.key,
            pending: None,
            fingerprint: Some(read.fingerprint),
            lock: None,
            allow_slow_kdf,
            payload_hint: read.payload_len,
            password_changed: false,
            last: vault.clone(),
        };
        Ok((file, vault))
    }

    /// Takes the vault's lock, then opens it; the lock is held until this value is dropped,
    /// so a read-modify-write by the CLI cannot interleave with another writer.
    pub fn open_locked(
        path: &Path,
        password: SecretString,
    ) -> Result<(VaultFile, Vault), StoreError> {
        Self::open_locked_with(path, password, false)
    }

    /// [`VaultFile::open_locked`] with [`VaultFile::open_with`]'s credentials and
    /// `allow_slow_kdf`.
    pub fn open_locked_with(
        path: &Path,
        password: impl Into<Credentials>,
        allow_slow_kdf: bool,
    ) -> Result<(VaultFile, Vault), StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound {
                path: path.to_owned(),
            });
        }
        let path = &real_path(path);
        let lock = VaultLock::acquire(path)?;
        let (mut file, vault) = Self::open_with(path, password, allow_slow_kdf)?;
        file.lock = Some(lock);
        Ok((file, vault))
    }

    /// The vault's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The KDF parameters the next save will use.
    pub fn kdf(&self) -> KdfParams {
        match &self.pending {
            Some((_, kdf)) => *kdf,
            None => self.key.kdf(),
        }
    }

    /// The key the file is sealed with (until a pending change of credentials is saved).
    pub fn key(&self) -> &VaultKey {
        &self.key
    }

    /// True when the next save will ask for a key file (the vault was made with one, or new
    /// credentials with one are pending).
    pub fn has_key_file(&self) -> bool {
        match &self.pending {
            Some((credentials, _)) => credentials.key_file.is_some(),
            None => self.key.has_key_file(),
        }
    }

    /// Changes the master password (no key file) and KDF parameters used by the next save:
    /// [`VaultFile::set_credentials`].
    pub fn set_password(
        &mut self,
        password: SecretString,
        kdf: KdfParams,
    ) -> Result<(), StoreError> {
        self.set_credentials(Credentials::from(password), kdf)
    }

    /// Changes the master password, key file and KDF parameters. The next save derives the
    /// new key under a fresh salt and drops the credentials; until then the file keeps its
    /// key. Every later save reuses the new key and salt.
    pub fn set_credentials(
        &mut self,
        credentials: Credentials,
        kdf: KdfParams,
    ) -> Result<(), StoreError> {
        kdf.check().map_err(|why| StoreError::KdfRejected {
            path: self.path.clone(),
            why,
        })?;
        self.pending = Some((credentials, kdf));
        Ok(())
    }

    /// Changes the credentials after checking the current ones, typed again on a vault that
    /// is already open (the app's Settings). `current` must derive this vault's key (one
    /// derivation), else [`StoreError::WrongCurrentPassword`] and nothing changes; the new key
    /// is derived by the next save ([`VaultFile::set_credentials`], which `keyward passwd`
    /// calls directly: opening the vault with the current password was its check).
    pub fn change_credentials(
        &mut self,
        current: &Credentials,
        new: Credentials,
        kdf: KdfParams,
    ) -> Result<(), StoreError> {
        if !self.credentials_match(current) {
            return Err(StoreError::WrongCurrentPassword {
                path: self.path.clone(),
            });
        }
        self.set_credentials(new, kdf)
    }

    /// True when `password` (with no key file) is what this vault is encrypted with (for
    /// confirmation prompts): [`VaultFile::credentials_match`].
    pub fn password_matches(&self, password: &SecretString) -> bool {
        self.credentials_match(&Credentials::from(password.clone()))
    }

    /// True when `credentials` derive this vault's key under its salt and KDF (one
    /// derivation; the keys are compared in constant time). The password is not kept, so
    /// this is the only way to check one.
    pub fn credentials_match(&self, credentials: &Credentials) -> bool {
        VaultKey::derive(credentials, *self.key.salt(), self.key.kdf())
            .is_ok_and(|k| k.same_as(&self.key))
    }

    /// Encrypts `vault` with the vault's key under a fresh nonce (after a change of
    /// credentials: a new key under a fresh salt) and replaces the file atomically and
    /// durably, keeping the previous version as `<vault>.bak`. Entries (and settings) that
    /// changed since the last read or write get `modified_at` = now first.
    ///
    /// After a password change the backup is removed instead: it would still open with the
    /// old password, which may be the reason for the change. Temporary files left by an
    /// earlier save that was killed are removed while the lock is held.
    ///
    /// Refuses with [`StoreError::ChangedOnDisk`] if the file is no longer what this value
    /// last read or wrote. On any error the file on disk is unchanged, except when only the
    /// final flush of the folder failed: the new version is then in place (not yet durable),
    /// and this value is in step with it.
    pub fn save(&mut self, vault: &mut Vault) -> Result<(), StoreError> {
        let stamped = stamp::stamp(&self.last, vault, chrono::Utc::now());
        let bytes = self.encrypt(vault)?;
        let _lock_for_this_save = match self.lock {
            Some(_) => None,
            None => Some(VaultLock::acquire(&self.path)?),
        };
        self.check_unchanged()?;
        remove_stale_temp_files(&self.path);
        let keep_backup = self.fingerprint.is_some() && !self.password_changed;
        if let Err(e) = write_atomically(&self.path, &bytes, keep_backup) {
            // Only the flush of the folder can fail after the rename: the new version is then
            // in place. Stay in step with it, or every later save would be refused as a
            // change made by someone else.
            if fs::read(&self.path).is_ok_and(|on_disk| on_disk == bytes) {
                self.fingerprint = Some(fingerprint(&bytes));
            }
            return Err(e);
        }
        self.fingerprint = Some(fingerprint(&bytes));
        stamp::keep_as_saved(&mut self.last, vault, stamped);
        if self.password_changed {
            let backup = backup_path(&self.path);
            match fs::remove_file(&backup) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(StoreError::Io {
                        action: "saved, but could not remove the backup encrypted with the old \
                                 password; delete it yourself:",
                        path: backup,
                        source,
                    });
                }
            }
            self.password_changed = false;
        }
        Ok(())
    }

    /// Serialises and encrypts `vault` into complete file bytes (the key's salt, a fresh
    /// nonce). New credentials from [`VaultFile::set_credentials`] are derived here first,
    /// under a fresh salt, and then dropped.
    pub fn encrypt(&mut self, vault: &Vault) -> Result<Vec<u8>, StoreError> {
        if let Some((credentials, kdf)) = self.pending.take() {
            let derived = VaultKey::new(&credentials, kdf);
            drop(credentials);
            self.key = derived.map_err(|what: CryptoError| StoreError::Crypto {
                path: self.path.clone(),
                what,
            })?;
            self.password_changed = true;
        }
        let (bytes, payload_len) = seal_vault(&self.path, vault, &self.key, self.payload_hint)?;
        self.payload_hint = payload_len;
        Ok(bytes)
    }

    /// Checks that the file on disk is still what was last read or written here.
    pub fn check_unchanged(&self) -> Result<(), StoreError> {
        let on_disk = match fingerprint_of_file(&self.path) {
            Ok(hash) => Some(hash),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(StoreError::Io {
                    action: "reading",
                    path: self.path.clone(),
                    source,
                });
            }
        };
        if on_disk == self.fingerprint {
            Ok(())
        } else {
            Err(StoreError::ChangedOnDisk {
                path: self.path.clone(),
            })
        }
    }
}

pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out)?;
    Ok(out)
}

#[cfg(unix)]
pub(super) fn private_mode(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600);
}

#[cfg(not(unix))]
pub(super) fn private_mode(_options: &mut OpenOptions) {}

pub(super) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .and_then(|()| super::replace::restrict_to_owner(dir))
        .map_err(|source| StoreError::Io {
            action: "creating the folder",
            path: dir.to_owned(),
            source,
        })
}

/// Removes `.<vault name>.*.tmp` files beside the vault: only the lock holder writes them,
/// so when the caller holds the lock, any that exist were left by a save that was killed.
fn remove_stale_temp_files(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(listing) = fs::read_dir(dir) else {
        return;
    };
    for item in listing.flatten() {
        let file_name = item.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name.starts_with(&prefix) && file_name.ends_with(".tmp") {
            let _ = fs::remove_file(item.path());
        }
    }
}

/// Writes a file (an export, a calendar) the way the vault is written: a temporary file in
/// the same folder with mode 0600, fsync, rename over `path`, fsync of the folder. A crash
/// leaves the old file or the new one, never a mix; on error nothing is left behind.
/// Refuses a path that holds a keyward vault: no writer other than the vault's own save
/// may replace one.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    refuse_vault_target(path)?;
    write_atomically(path, bytes, false)
}

/// Writes `bytes` to `path` so that a crash at any moment leaves either the old or the new
/// file: temporary file in the same folder (mode 0600), fsync, backup link of the old file,
/// rename over the target, fsync of the folder.
fn write_atomically(path: &Path, bytes: &[u8], keep_backup: bool) -> Result<(), StoreError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vault".to_owned());
    let tag = random_bytes::<6>()
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.{tag}.tmp", std::process::id()));
    let save_error = |step: &'static str, source: io::Error| StoreError::Io {
        action: step,
        path: path.to_owned(),
        source,
    };

    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        private_mode(&mut options);
        let mut file = options
            .open(&tmp)
            .map_err(|e| save_error("could not save (creating the temporary file beside)", e))?;
        super::replace::restrict_to_owner(&tmp)
            .map_err(|e| save_error("could not save (making owner-only the file beside)", e))?;
        file.write_all(bytes)
            .map_err(|e| save_error("could not save (writing the temporary file beside)", e))?;
        file.sync_all()
            .map_err(|e| save_error("could not save (flushing the temporary file beside)", e))?;
        drop(file);
        if keep_backup {
            keep_previous_version(path, &dir)
                .map_err(|e| save_error("could not save (keeping the backup of)", e))?;
        }
        super::replace::replace_file(&tmp, path)
            .map_err(|e| save_error("could not save (replacing)", e))?;
        sync_dir(&dir).map_err(|e| save_error("could not save (flushing the folder of)", e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes `<vault>.bak` the current vault file: a hard link (no copy, same 0600 inode),
/// falling back to a copy where links are not supported. Replaces the old backup atomically.
fn keep_previous_version(path: &Path, dir: &Path) -> io::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let backup = backup_path(path);
    let tmp = dir.join(format!(
        ".{}.bak.{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = fs::remove_file(&tmp);
    if fs::hard_link(path, &tmp).is_err() {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        private_mode(&mut options);
        let mut out = options.open(&tmp)?;
        out.write_all(&fs::read(path)?)?;
        out.sync_all()?;
    }
    let renamed = super::replace::replace_file(&tmp, &backup);
    if renamed.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    renamed
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
