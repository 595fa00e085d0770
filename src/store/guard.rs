//! No writer other than the vault's own save may replace a vault: exports, calendars and
//! other output files check their target here first.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::error::StoreError;
use super::format;

/// True when the file at `path` starts like a keyward vault (its magic bytes).
pub fn holds_vault(path: &Path) -> bool {
    let mut magic = [0u8; format::MAGIC.len()];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == format::MAGIC)
}

/// [`StoreError::WouldOverwriteVault`] when `path` holds a keyward vault. Every writer of
/// exports, calendars and other output files calls this first.
pub fn refuse_vault_target(path: &Path) -> Result<(), StoreError> {
    if holds_vault(path) {
        return Err(StoreError::WouldOverwriteVault {
            path: path.to_owned(),
        });
    }
    Ok(())
}
