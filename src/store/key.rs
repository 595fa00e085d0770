//! The vault key: derived once from the master password (and the key file, if the vault has
//! one) when a vault is opened or created, then kept, zeroized on drop, for every save. The
//! password itself is dropped (and so wiped) right after the derivation.
//!
//! A save reuses the key and its salt with a fresh random 192-bit XChaCha20 nonce; a new salt
//! and a new derivation come only with a new password, key file or KDF
//! ([`super::VaultFile::set_credentials`]). `docs/FORMAT.md` gives the reasoning.

use std::fmt;
use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::{CryptoError, StoreError};
use super::file::random_bytes;
use super::format::Header;
use super::kdf::{self, DerivedKey, KEY_LEN, KdfError, KdfParams, SALT_LEN};
use crate::secret::SecretString;

/// Domain separation of the composite key (password and key file); see docs/FORMAT.md.
const COMPOSITE_LABEL: &[u8] = b"keyward composite key v1\0";

/// A key file's 32-byte key, read the way KeePassXC reads key files (an XML key file, 32 raw
/// bytes, 64 hex digits, else the SHA-256 of the bytes). Zeroized on drop, never printed.
#[derive(Clone)]
pub struct KeyFile(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::secret::REDACTED)
    }
}

impl KeyFile {
    /// The key of a key file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<KeyFile, crate::transfer::keyfile::KeyFileError> {
        crate::transfer::keyfile::key_of(bytes).map(KeyFile)
    }

    /// Reads the key file at `path`; its bytes are wiped once its key is taken.
    pub fn read(path: &Path) -> Result<KeyFile, StoreError> {
        let bytes = Zeroizing::new(fs::read(path).map_err(|e| StoreError::BadKeyFile {
            path: path.to_owned(),
            why: crate::platform::io_sentence("reading", path, &e),
        })?);
        Self::from_bytes(&bytes).map_err(|e| StoreError::BadKeyFile {
            path: path.to_owned(),
            why: e.to_string(),
        })
    }
}

/// What unlocks a vault: the master password and, for a vault made with one, the key file.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// The master password.
    pub password: SecretString,
    /// The key file's key, when the vault needs one.
    pub key_file: Option<KeyFile>,
}

impl Credentials {
    /// A password and an optional key file.
    pub fn new(password: SecretString, key_file: Option<KeyFile>) -> Self {
        Credentials { password, key_file }
    }
}

impl From<SecretString> for Credentials {
    fn from(password: SecretString) -> Self {
        Credentials {
            password,
            key_file: None,
        }
    }
}

/// The derived vault key with the salt and KDF it was derived with, and whether a key file
/// went into it: everything a save needs, without the password.
#[derive(Clone)]
pub struct VaultKey {
    key: DerivedKey,
    salt: [u8; SALT_LEN],
    kdf: KdfParams,
    key_file: bool,
}

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultKey")
            .field("key", &crate::secret::REDACTED)
            .field("kdf", &self.kdf)
            .field("key_file", &self.key_file)
            .finish()
    }
}

impl VaultKey {
    /// Derives the key of `credentials` under `salt` and `kdf`: Argon2id of the password, then,
    /// with a key file, SHA-256 over a label, that output and the key file's key.
    pub fn derive(
        credentials: &Credentials,
        salt: [u8; SALT_LEN],
        kdf: KdfParams,
    ) -> Result<VaultKey, KdfError> {
        let argon = kdf::derive_key(&credentials.password, &salt, kdf)?;
        let key = match &credentials.key_file {
            None => argon,
            Some(file) => composite(&argon, file),
        };
        Ok(VaultKey {
            key,
            salt,
            kdf,
            key_file: credentials.key_file.is_some(),
        })
    }

    /// Derives a key under a fresh random salt: for a new vault or new credentials.
    pub fn new(credentials: &Credentials, kdf: KdfParams) -> Result<VaultKey, CryptoError> {
        let salt = random_bytes::<SALT_LEN>()?;
        Ok(Self::derive(credentials, salt, kdf)?)
    }

    /// A key from its parts, derived elsewhere (tests, the benchmarks).
    pub fn from_parts(
        key: DerivedKey,
        salt: [u8; SALT_LEN],
        kdf: KdfParams,
        key_file: bool,
    ) -> Self {
        VaultKey {
            key,
            salt,
            kdf,
            key_file,
        }
    }

    /// True when a file with `header` was sealed with this key's salt, KDF and key-file flag,
    /// so that this key (if the password is the same) opens it without a derivation.
    pub fn fits(&self, header: &Header) -> bool {
        header.salt == self.salt && header.kdf == self.kdf && header.key_file == self.key_file
    }

    /// The salt the key was derived with (written into every file sealed with it).
    pub fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }

    /// The KDF parameters the key was derived with.
    pub fn kdf(&self) -> KdfParams {
        self.kdf
    }

    /// True when a key file went into the key.
    pub fn has_key_file(&self) -> bool {
        self.key_file
    }

    /// The key itself, for sealing and opening.
    pub(crate) fn derived(&self) -> &DerivedKey {
        &self.key
    }

    /// Compares two keys in constant time (salt, KDF and flag are public and compared
    /// plainly).
    pub fn same_as(&self, other: &VaultKey) -> bool {
        let diff = self
            .key
            .0
            .iter()
            .zip(other.key.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
            && self.salt == other.salt
            && self.kdf == other.kdf
            && self.key_file == other.key_file
    }
}

/// SHA-256(label ‖ Argon2id output ‖ key file key): both inputs have a fixed length, so the
/// concatenation is unambiguous; either alone gives nothing about the result.
fn composite(argon: &DerivedKey, file: &KeyFile) -> DerivedKey {
    let mut hasher = Sha256::new();
    hasher.update(COMPOSITE_LABEL);
    hasher.update(&argon.0[..]);
    hasher.update(&file.0[..]);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    out.copy_from_slice(&hasher.finalize());
    DerivedKey::from_buffer(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> KdfParams {
        KdfParams::from_mib(1, 1, 1).expect("params")
    }

    #[test]
    fn a_key_file_changes_the_key_and_is_flagged() {
        let plain = Credentials::from(SecretString::from("pw"));
        let mut with_file = plain.clone();
        with_file.key_file = Some(KeyFile::from_bytes(b"some key file bytes").expect("key"));
        let a = VaultKey::derive(&plain, [3; SALT_LEN], fast()).expect("derive");
        let b = VaultKey::derive(&with_file, [3; SALT_LEN], fast()).expect("derive");
        let a2 = VaultKey::derive(&plain, [3; SALT_LEN], fast()).expect("derive");
        assert!(a.same_as(&a2));
        assert!(!a.same_as(&b));
        assert_ne!(*a.key.0, *b.key.0);
        assert!(b.has_key_file() && !a.has_key_file());
        // Without a key file the key is the Argon2id output itself (the test vector holds).
        let argon = kdf::derive_key(&plain.password, &[3; SALT_LEN], fast()).expect("argon");
        assert_eq!(*a.key.0, *argon.0);
        assert_eq!(
            *b.key.0,
            *composite(&argon, with_file.key_file.as_ref().expect("kf")).0
        );
        assert!(format!("{b:?}").contains(crate::secret::REDACTED));
    }

    /// The session's key lives in locked memory (best effort: this machine's tests run where
    /// mlock is allowed, as tests/memory.rs assumes), with and without a key file, and so
    /// does a clone of it.
    #[test]
    fn the_derived_key_is_locked_in_ram() {
        let plain = Credentials::from(SecretString::from("pw"));
        let mut with_file = plain.clone();
        with_file.key_file = Some(KeyFile::from_bytes(b"some key file bytes").expect("key"));
        for credentials in [&plain, &with_file] {
            let key = VaultKey::derive(credentials, [3; SALT_LEN], fast()).expect("derive");
            assert!(key.key.0.is_locked());
            assert!(key.clone().key.0.is_locked());
            assert!(key.same_as(&key.clone()));
        }
    }

    #[test]
    fn fresh_keys_get_fresh_salts() {
        let c = Credentials::from(SecretString::from("pw"));
        let a = VaultKey::new(&c, fast()).expect("key");
        let b = VaultKey::new(&c, fast()).expect("key");
        assert_ne!(a.salt(), b.salt());
        assert!(!a.same_as(&b));
    }
}
