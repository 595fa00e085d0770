//! The vault's lock file: one writer at a time, across processes.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use super::error::StoreError;
use super::file::{create_private_dir, lock_path, private_mode};

/// An exclusive hold on a vault's lock file; released when dropped (or when the process
/// dies, since it is an OS file lock).
#[derive(Debug)]
pub struct VaultLock {
    _file: File,
}

impl VaultLock {
    /// Takes the lock of the vault at `vault` without waiting.
    pub fn acquire(vault: &Path) -> Result<Self, StoreError> {
        let lock = lock_path(vault);
        if let Some(dir) = vault.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        private_mode(&mut options);
        let file = options.open(&lock).map_err(|source| StoreError::Io {
            action: "opening the lock file",
            path: lock.clone(),
            source,
        })?;
        match file.try_lock() {
            Ok(()) => Ok(VaultLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
                path: vault.to_owned(),
                lock,
            }),
            Err(fs::TryLockError::Error(source)) => Err(StoreError::Io {
                action: "locking",
                path: lock,
                source,
            }),
        }
    }
}
