//! Meeting another writer: merge what it saved into the open vault, and save only after
//! merging (under the lock), so that neither side's change is lost.

use super::VaultLock;
use super::error::StoreError;
use super::file::VaultFile;
use super::read::{Opener, decrypt_file};
use crate::vault::Vault;
use crate::vault::merge::{MergeReport, merge};

impl VaultFile {
    /// The vault as this value last read or wrote it: the common base of a three-way merge.
    pub fn last_known(&self) -> &Vault {
        &self.last
    }

    /// True when the file on disk is no longer what this value last read or wrote (another
    /// program saved it). Cheap: hashes the file, derives no key.
    pub fn changed_on_disk(&self) -> Result<bool, StoreError> {
        match self.check_unchanged() {
            Ok(()) => Ok(false),
            Err(StoreError::ChangedOnDisk { .. }) => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// When another program changed the file, reads it and merges it into `vault`
    /// (three-way, with the version this value last knew as the base); `None` when the file
    /// is unchanged. `vault` may then hold changes the file lacks: save it to write them.
    pub fn merge_from_disk(
        &mut self,
        vault: &mut Vault,
    ) -> Result<Option<MergeReport>, StoreError> {
        if !self.changed_on_disk()? {
            return Ok(None);
        }
        // The on-disk file opens with this value's key unless another writer changed the
        // password or KDF: that is refused as `StoreError::OtherKey` (the user unlocks again).
        let theirs = decrypt_file(&self.path, Opener::Key(&self.key), self.allow_slow_kdf)?;
        let merged = merge(vault, &theirs.vault, Some(&self.last));
        *vault = merged.vault;
        self.last = theirs.vault;
        self.key = theirs.key;
        self.fingerprint = Some(theirs.fingerprint);
        Ok(Some(merged.report))
    }

    /// Saves `vault` after merging, under the vault's lock, whatever another program saved
    /// since this value last read or wrote the file. Returns what the merge took from disk
    /// (`None` when nothing had changed there).
    pub fn save_merging(&mut self, vault: &mut Vault) -> Result<Option<MergeReport>, StoreError> {
        let took_lock = self.lock.is_none();
        if took_lock {
            self.lock = Some(VaultLock::acquire(&self.path)?);
        }
        let result = self
            .merge_from_disk(vault)
            .and_then(|report| self.save(vault).map(|()| report));
        if took_lock {
            self.lock = None;
        }
        result
    }
}
