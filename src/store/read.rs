//! Reading a vault file: the bytes, then the header's checks, then the key (derived from
//! credentials, or the open vault's own), then decryption and the payload.

use std::fs;
use std::io;
use std::path::Path;

use super::error::StoreError;
use super::fingerprint::fingerprint;
use super::format::{self, FormatError, Header};
use super::key::{Credentials, VaultKey};
use crate::secret::SecretBytes;
use crate::vault::Vault;

/// What opens a vault file: credentials (one derivation under the file's own salt and KDF),
/// or a key already derived (no derivation; only a file sealed under its salt and KDF).
#[derive(Clone, Copy, Debug)]
pub enum Opener<'a> {
    /// The master password and key file.
    Credentials(&'a Credentials),
    /// The open vault's key: for its recovery file and conflict copies.
    Key(&'a VaultKey),
}

/// Parses decrypted JSON into a vault. Errors name a position only: a serde message could
/// quote a secret.
pub fn parse_payload(path: &Path, plaintext: &SecretBytes) -> Result<Vault, StoreError> {
    serde_json::from_slice(plaintext.expose()).map_err(|e| StoreError::Damaged {
        path: path.to_owned(),
        what: format!(
            "the decrypted content is not a valid vault (line {}, column {})",
            e.line(),
            e.column()
        ),
    })
}

/// A vault file read and decrypted: what [`VaultFile`] keeps of it, and the vault.
pub(super) struct Decrypted {
    pub(super) vault: Vault,
    pub(super) key: VaultKey,
    pub(super) fingerprint: [u8; 32],
    pub(super) payload_len: usize,
}

/// Reads the vault file at `path` and decrypts it with `opener`; a KDF above the work bound
/// is refused before deriving unless `allow_slow_kdf`. A missing or unneeded key file, and a
/// key that does not fit the file's salt and KDF, are refused before deriving.
pub(super) fn decrypt_file(
    path: &Path,
    opener: Opener<'_>,
    allow_slow_kdf: bool,
) -> Result<Decrypted, StoreError> {
    let bytes = read_vault_bytes(path)?;
    let (header, _) =
        Header::parse_with(&bytes, allow_slow_kdf).map_err(|e| format_error(path, e))?;
    let path_buf = || path.to_owned();
    let key = match opener {
        Opener::Credentials(c) => {
            match (header.key_file, c.key_file.is_some()) {
                (true, false) => return Err(StoreError::KeyFileNeeded { path: path_buf() }),
                (false, true) => return Err(StoreError::KeyFileNotUsed { path: path_buf() }),
                _ => {}
            }
            VaultKey::derive(c, header.salt, header.kdf)
                .map_err(|e| format_error(path, FormatError::Kdf(e)))?
        }
        Opener::Key(k) if k.fits(&header) => k.clone(),
        Opener::Key(_) => return Err(StoreError::OtherKey { path: path_buf() }),
    };
    let (_, plaintext) = format::open_with(&bytes, allow_slow_kdf, |_| Ok(key.derived().clone()))
        .map_err(|e| match e {
        FormatError::Authentication if header.key_file => {
            StoreError::WrongPasswordOrKeyFile { path: path_buf() }
        }
        e => format_error(path, e),
    })?;
    Ok(Decrypted {
        vault: parse_payload(path, &plaintext)?,
        key,
        fingerprint: fingerprint(&bytes),
        payload_len: plaintext.expose().len(),
    })
}

pub(super) fn read_vault_bytes(path: &Path) -> Result<Vec<u8>, StoreError> {
    fs::read(path).map_err(|source| {
        if source.kind() == io::ErrorKind::NotFound {
            StoreError::NotFound {
                path: path.to_owned(),
            }
        } else {
            StoreError::Io {
                action: "reading",
                path: path.to_owned(),
                source,
            }
        }
    })
}

pub(super) fn format_error(path: &Path, e: FormatError) -> StoreError {
    let path = path.to_owned();
    match e {
        FormatError::NotAVault => StoreError::NotAVault { path },
        FormatError::UnsupportedVersion(version) => StoreError::UnsupportedVersion {
            path,
            version,
            supported: format::FORMAT_VERSION,
        },
        FormatError::Damaged(what) => StoreError::Damaged { path, what },
        FormatError::KdfRejected(why) => StoreError::KdfRejected { path, why },
        FormatError::Authentication => StoreError::WrongPasswordOrDamaged { path },
        FormatError::Kdf(what) => StoreError::Crypto {
            path,
            what: what.into(),
        },
        e @ FormatError::Encryption => StoreError::Crypto {
            path,
            what: e.into(),
        },
    }
}
