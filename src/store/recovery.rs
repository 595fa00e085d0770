//! The recovery file: where a change goes when the vault cannot be saved as it is locked.
//!
//! `<vault>.recovery` beside the vault is itself a keyward vault file, encrypted with the
//! vault's key (its master password, key file and key derivation; no new derivation, the
//! password is not kept), written atomically with mode 0600. It holds
//! the whole vault as the app had it; the next unlock merges it into the vault (two-way, by
//! `modified_at`: the changed entries are stamped as it is written) and removes it, and
//! `keyward merge FILE` reads it like any other copy. A recovery file already there is
//! merged into the new one first, so a second failed lock loses nothing either; one this
//! key does not open is left alone and the new one gets a name of its own.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::file::{VaultFile, real_path, write_file_atomically};
use super::key::VaultKey;
use super::payload::seal_vault;
use super::read::Opener;
use super::stamp;
use crate::vault::Vault;
use crate::vault::merge::merge;

const SUFFIX: &str = ".recovery";

/// The recovery file of the vault at `vault`: `<vault>.recovery`.
pub fn recovery_path(vault: &Path) -> PathBuf {
    let mut s = real_path(vault).into_os_string();
    s.push(SUFFIX);
    PathBuf::from(s)
}

/// What [`write_recovery`] writes: the vault and what it is encrypted with.
pub struct Recovery<'a> {
    /// The vault as the app holds it, with the change that could not be saved.
    pub vault: &'a Vault,
    /// The version last read or written (to stamp what changed since); `None` when unknown,
    /// and every entry counts as changed.
    pub base: Option<&'a Vault>,
    /// The vault's key (as [`VaultFile::key`] holds it).
    pub key: &'a VaultKey,
}

/// Writes `recovery` beside the vault at `vault_path` at `now` and returns the file written:
/// `<vault>.recovery`, merged with the one already there; or, when the one there does not
/// open with this key, `<vault>.recovery-<time>`.
pub fn write_recovery(
    vault_path: &Path,
    recovery: &Recovery,
    now: DateTime<Utc>,
) -> Result<PathBuf, StoreError> {
    let mut vault = recovery.vault.clone();
    stamp::stamp(recovery.base.unwrap_or(&Vault::default()), &mut vault, now);
    let mut target = recovery_path(vault_path);
    if fs::symlink_metadata(&target).is_ok() {
        match VaultFile::read_with(&target, Opener::Key(recovery.key), false) {
            Ok((_, older)) => vault = merge(&vault, &older, None).vault,
            Err(_) => {
                let mut s = target.into_os_string();
                s.push(format!("-{}", now.format("%Y%m%d-%H%M%S-%f")));
                target = PathBuf::from(s);
            }
        }
    }
    let (bytes, _) = seal_vault(&target, &vault, recovery.key, 0)?;
    // Written under a fresh name (the guard refuses to write over a vault), then moved over
    // the recovery file in one rename: a crash leaves the old one or the new one.
    let mut fresh = target.clone().into_os_string();
    fresh.push(format!(".{}.new", std::process::id()));
    let fresh = PathBuf::from(fresh);
    // One left by a write that was killed.
    let _ = fs::remove_file(&fresh);
    write_file_atomically(&fresh, &bytes)?;
    fs::rename(&fresh, &target).map_err(|source| {
        let _ = fs::remove_file(&fresh);
        StoreError::Io {
            action: "could not write the recovery file",
            path: target.clone(),
            source,
        }
    })?;
    // The rename is durable once the folder is flushed.
    #[cfg(unix)]
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| StoreError::Io {
                action: "wrote, but could not flush the folder of",
                path: target.clone(),
                source,
            })?;
    }
    Ok(target)
}

/// The recovery files beside the vault at `vault_path` (`<vault>.recovery`, then any
/// `<vault>.recovery-<time>`), oldest name first.
pub fn find_recovery(vault_path: &Path) -> Vec<PathBuf> {
    let main = recovery_path(vault_path);
    let (Some(dir), Some(name)) = (main.parent(), main.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(listing) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let with_time = format!("{name}-");
    let mut found: Vec<PathBuf> = listing
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n == name || (n.starts_with(&with_time) && !n.ends_with(".new")))
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// When the recovery file at `path` was written (its modification time).
pub fn recovered_at(path: &Path) -> Option<DateTime<Utc>> {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from)
}

#[cfg(test)]
#[path = "recovery_tests.rs"]
mod tests;
