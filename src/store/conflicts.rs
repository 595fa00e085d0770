//! Finding the conflict copies sync tools leave beside a vault when two machines changed it:
//! Syncthing's `<stem>.sync-conflict-YYYYMMDD-HHMMSS-<device>.<ext>`, Dropbox's
//! `<stem> (<who>'s conflicted copy <date>).<ext>` and Nextcloud's
//! `<stem> (conflicted copy <date> <time>).<ext>`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::StoreError;
use super::file::VaultFile;
use super::read::Opener;
use crate::vault::Vault;
use crate::vault::merge::{MergeReport, merge};

/// True when `candidate` is a sync tool's conflict copy of the vault named `vault_name`.
pub fn is_conflict_copy(vault_name: &str, candidate: &str) -> bool {
    let (stem, ext) = match vault_name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (vault_name, String::new()),
    };
    let Some(middle) = candidate
        .strip_prefix(stem)
        .and_then(|rest| rest.strip_suffix(ext.as_str()))
    else {
        return false;
    };
    if let Some(tag) = middle.strip_prefix(".sync-conflict-") {
        // YYYYMMDD-HHMMSS-DEVICE
        let b = tag.as_bytes();
        return b.len() > 16
            && b[..8].iter().all(u8::is_ascii_digit)
            && b[8] == b'-'
            && b[9..15].iter().all(u8::is_ascii_digit)
            && b[15] == b'-';
    }
    middle.starts_with(" (")
        && middle.ends_with(')')
        && (middle.contains("'s conflicted copy ") || middle.starts_with(" (conflicted copy "))
}

/// The conflict copies beside the vault at `vault`, sorted by name (oldest Syncthing copy
/// first). A folder that cannot be read gives an empty list.
pub fn conflict_copies(vault: &Path) -> Vec<PathBuf> {
    let Some(name) = vault.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let dir = match vault.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let Ok(read) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|c| is_conflict_copy(name, c))
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Opens every copy at `paths` (another vault, conflict copies, recovery files) with
/// `opener` (the open vault's key, which opens copies sealed under its salt and KDF without a
/// derivation, or another vault's password): all of them before anything changes, so one
/// that does not open stops the merge with its error and nothing is merged.
pub fn open_copies(
    paths: &[PathBuf],
    opener: Opener<'_>,
) -> Result<Vec<(PathBuf, Vault)>, StoreError> {
    paths
        .iter()
        .map(|p| VaultFile::read_with(p, opener, false).map(|(_, v)| (p.clone(), v)))
        .collect()
}

/// Merges each copy into `vault` in turn, two-way (by `modified_at` and tombstones: a copy
/// has no common base that is known). Returns the merged vault and what each copy brought.
pub fn merge_copies(vault: &Vault, copies: &[(PathBuf, Vault)]) -> (Vault, Vec<MergeReport>) {
    let mut merged = vault.clone();
    let mut reports = Vec::with_capacity(copies.len());
    for (_, theirs) in copies {
        let m = merge(&merged, theirs, None);
        merged = m.vault;
        reports.push(m.report);
    }
    (merged, reports)
}

/// Removes the copies once what they held is saved in the vault. Returns those that could
/// not be removed, with why (the caller says to delete them by hand).
pub fn remove_merged(paths: &[PathBuf]) -> Vec<(PathBuf, io::Error)> {
    paths
        .iter()
        .filter_map(|p| match fs::remove_file(p) {
            Ok(()) => None,
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => Some((p.clone(), e)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_sync_tools_give_conflict_copies() {
        let v = "vault.keyward";
        for yes in [
            "vault.sync-conflict-20261201-101530-ABCDEFG.keyward",
            "vault (Ann's conflicted copy 2026-12-01).keyward",
            "vault (conflicted copy 2026-12-01 101530).keyward",
        ] {
            assert!(is_conflict_copy(v, yes), "{yes}");
        }
        for no in [
            "vault.keyward",
            "vault.keyward.bak",
            "other.sync-conflict-20261201-101530-ABCDEFG.keyward",
            "vault.sync-conflict-2026-101530-A.keyward",
            "vault (copy).keyward",
            "vault.sync-conflict-20261201-101530-ABCDEFG.txt",
        ] {
            assert!(!is_conflict_copy(v, no), "{no}");
        }
    }

    #[test]
    fn copies_are_found_beside_the_vault() {
        let dir = tempfile::tempdir().expect("dir");
        let vault = dir.path().join("vault.keyward");
        for n in [
            "vault.keyward",
            "vault.sync-conflict-20261201-101530-ABCDEFG.keyward",
            "vault (conflicted copy 2026-12-01 101530).keyward",
            "notes.txt",
        ] {
            fs::write(dir.path().join(n), b"x").expect("write");
        }
        let names: Vec<String> = conflict_copies(&vault)
            .iter()
            .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
            .collect();
        assert_eq!(
            names,
            vec![
                "vault (conflicted copy 2026-12-01 101530).keyward",
                "vault.sync-conflict-20261201-101530-ABCDEFG.keyward"
            ]
        );
    }
}
