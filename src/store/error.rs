//! Everything that can go wrong reading or writing a vault file.

use std::io;
use std::path::PathBuf;

use super::format::FormatError;
use super::kdf::KdfError;

/// An error of the vault file layer. Each variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// There is no vault at the path.
    #[error("no vault at {path}; create one with `keyward init` (or choose another with --vault)")]
    NotFound {
        /// The vault path.
        path: PathBuf,
    },
    /// `init` would overwrite an existing vault.
    #[error("a vault already exists at {path}; refusing to overwrite it")]
    AlreadyExists {
        /// The vault path.
        path: PathBuf,
    },
    /// The file does not start with the keyward magic bytes.
    #[error("{path} is not a keyward vault (wrong magic bytes)")]
    NotAVault {
        /// The vault path.
        path: PathBuf,
    },
    /// The file claims a format version this build does not read: written by a newer
    /// keyward, or (a version below any ever written) damaged.
    #[error(
        "{path} uses vault format version {version}, which this keyward does not support \
         (it reads version {supported}); {}",
        if version > supported {
            "upgrade keyward"
        } else {
            "no keyward ever wrote it, so the file is damaged: restore it from the backup"
        }
    )]
    UnsupportedVersion {
        /// The vault path.
        path: PathBuf,
        /// The version found in the file.
        version: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The header is malformed: truncated, unknown KDF, reserved bits set.
    #[error("{path} is damaged: {what}; restore it from the backup ({path}.bak) if you have one")]
    Damaged {
        /// The vault path.
        path: PathBuf,
        /// What is wrong, in words.
        what: String,
    },
    /// The header (or a new setting) asks for KDF work beyond the caps.
    #[error("{path} asks for key derivation parameters keyward refuses: {why}")]
    KdfRejected {
        /// The vault path.
        path: PathBuf,
        /// Which parameter and its limit.
        why: KdfError,
    },
    /// Authentication failed: wrong password, or the file was altered.
    #[error("wrong password, or {path} is damaged (authentication failed)")]
    WrongPasswordOrDamaged {
        /// The vault path.
        path: PathBuf,
    },
    /// Authentication failed for a vault that needs a key file: wrong password, wrong key
    /// file, or the file was altered.
    #[error(
        "wrong password or wrong key file, or {path} is damaged (authentication failed); this \
         vault needs its key file as well as the password (--key-file)"
    )]
    WrongPasswordOrKeyFile {
        /// The vault path.
        path: PathBuf,
    },
    /// A change of credentials was asked with a current password (or key file) that does not
    /// derive the vault's key.
    #[error("the current master password (or key file) of {path} is wrong; nothing was changed")]
    WrongCurrentPassword {
        /// The vault path.
        path: PathBuf,
    },
    /// The vault was made with a key file and none was given.
    #[error("{path} needs a key file as well as the password: give it with --key-file FILE")]
    KeyFileNeeded {
        /// The vault path.
        path: PathBuf,
    },
    /// A key file was given for a vault made without one.
    #[error("{path} was made without a key file: leave out --key-file")]
    KeyFileNotUsed {
        /// The vault path.
        path: PathBuf,
    },
    /// The key file could not be read or used.
    #[error("the key file {path} cannot be used: {why}")]
    BadKeyFile {
        /// The key file.
        path: PathBuf,
        /// Why, in words.
        why: String,
    },
    /// A file to merge (a recovery file, a conflict copy) was sealed with another master
    /// password, key file or KDF than the open vault's key: it needs its own password.
    #[error(
        "{path} is encrypted with another master password or key derivation than the open \
         vault (it was changed since); open it with its own password"
    )]
    OtherKey {
        /// The file.
        path: PathBuf,
    },
    /// Another process holds the vault's lock.
    #[error("{path} is locked by another keyward process ({lock}); try again when it has finished")]
    Locked {
        /// The vault path.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The file changed on disk since it was loaded; saving would overwrite that change.
    #[error(
        "{path} was changed by another program since it was opened; not overwriting it \
         (reload it and make your change again)"
    )]
    ChangedOnDisk {
        /// The vault path.
        path: PathBuf,
    },
    /// An output file (export, calendar) was asked to go where a vault is.
    #[error(
        "{path} is a keyward vault; refusing to overwrite it with another file (choose another \
         output path)"
    )]
    WouldOverwriteVault {
        /// The vault that would have been replaced.
        path: PathBuf,
    },
    /// An operating system error, with what keyward was doing.
    #[error("{}", crate::platform::io_sentence(action, path, source))]
    Io {
        /// What was being done ("reading", "writing the temporary file for", …).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Key derivation or encryption failed for a reason other than the password.
    #[error("cryptography failed for {path}: {what}")]
    Crypto {
        /// The vault path.
        path: PathBuf,
        /// What failed.
        #[source]
        what: CryptoError,
    },
}

/// What failed while turning a vault into file bytes (not a password problem).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The vault could not be serialised to JSON.
    #[error("could not serialise the vault ({0}); nothing was written")]
    Serialise(#[from] serde_json::Error),
    /// The operating system gave no random bytes for the salt and nonce.
    #[error("no randomness from the operating system ({0}); nothing was written: try again")]
    Randomness(#[from] getrandom::Error),
    /// The key derivation failed.
    #[error(transparent)]
    Kdf(#[from] KdfError),
    /// The header or encryption step failed.
    #[error(transparent)]
    Format(#[from] FormatError),
}

impl StoreError {
    /// True for errors that mean "this file cannot be opened with this password": wrong
    /// password, damage, an unknown format. The CLI maps these to exit code 3.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            StoreError::NotAVault { .. }
                | StoreError::UnsupportedVersion { .. }
                | StoreError::Damaged { .. }
                | StoreError::KdfRejected { .. }
                | StoreError::WrongPasswordOrDamaged { .. }
                | StoreError::WrongPasswordOrKeyFile { .. }
                | StoreError::WrongCurrentPassword { .. }
                | StoreError::KeyFileNeeded { .. }
                | StoreError::KeyFileNotUsed { .. }
                | StoreError::BadKeyFile { .. }
                | StoreError::OtherKey { .. }
        )
    }
}
