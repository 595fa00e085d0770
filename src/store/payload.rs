//! The plaintext and the sealed bytes of a vault file: serialised into memory that is wiped,
//! then encrypted with the vault's key (derived at open or create) under a fresh nonce.
//! Every vault file keyward writes (a save, a recovery file) is sealed here.

use std::io::{self, Write};
use std::path::Path;

use zeroize::Zeroizing;

use super::error::{CryptoError, StoreError};
use super::file::random_bytes;
use super::format::{self, Header, NONCE_LEN};
use super::key::VaultKey;
use crate::secret::SecretBytes;
use crate::vault::Vault;

/// Serialises and encrypts `vault` for the file at `path` into complete file bytes with `key`
/// (its salt and KDF go into the header; the nonce is fresh and random, and no key is
/// derived): every vault file written (a save, a recovery file). Also returns the payload's
/// length, the next call's `hint`.
pub(super) fn seal_vault(
    path: &Path,
    vault: &Vault,
    key: &VaultKey,
    hint: usize,
) -> Result<(Vec<u8>, usize), StoreError> {
    let crypto = |what: CryptoError| StoreError::Crypto {
        path: path.to_owned(),
        what,
    };
    let plaintext = serialize_payload(vault, hint).map_err(|e| crypto(e.into()))?;
    let payload_len = plaintext.expose().len();
    let header = Header {
        kdf: key.kdf(),
        salt: *key.salt(),
        nonce: random_bytes::<NONCE_LEN>().map_err(|e| crypto(e.into()))?,
        key_file: key.has_key_file(),
    };
    let bytes = format::seal(&header, key.derived(), plaintext).map_err(|e| crypto(e.into()))?;
    Ok((bytes, payload_len))
}

/// Serialises the vault to JSON in a zeroizing buffer sized from `hint` (the last payload's
/// length); if it must grow, the old buffer is wiped, so no unzeroized copy of a secret is
/// left behind.
///
/// The buffer ends with at least [`format::HEADER_LEN`] + [`format::TAG_LEN`] bytes of spare
/// capacity, so that [`format::seal`] turns it into the file without reallocating.
pub fn serialize_payload(vault: &Vault, hint: usize) -> Result<SecretBytes, serde_json::Error> {
    let capacity = hint + hint / 4 + 64 * 1024;
    let mut writer = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(capacity)));
    serde_json::to_writer(&mut writer, vault)?;
    writer.reserve(format::HEADER_LEN + format::TAG_LEN);
    Ok(SecretBytes::new(std::mem::take(&mut *writer.0)))
}

/// A writer into a zeroizing buffer that grows by moving to a larger zeroizing buffer and
/// wiping the old one. (A plain `Vec` would reallocate and release the old block with the
/// plaintext still in it, whatever the guess of its size.)
struct ZeroizingWriter(Zeroizing<Vec<u8>>);

impl ZeroizingWriter {
    /// Makes room for `additional` more bytes. Inlined: serde_json calls the writer once per
    /// token (a key, a quote, a comma), so this check runs hundreds of thousands of times a
    /// save; moving to a larger buffer, which a good hint makes rare, is out of line.
    #[inline(always)]
    fn reserve(&mut self, additional: usize) {
        if self.0.capacity() - self.0.len() < additional {
            self.grow(additional);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, additional: usize) {
        let needed = self.0.len().saturating_add(additional);
        let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity() * 2)));
        bigger.extend_from_slice(&self.0);
        // The old buffer is zeroized as it is dropped here.
        self.0 = bigger;
    }
}

impl Write for ZeroizingWriter {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.reserve(data.len());
        self.0.extend_from_slice(data);
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.reserve(data.len());
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
