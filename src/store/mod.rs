//! The encrypted vault file: its byte format, the key derivation, and the file handling
//! (atomic save, backup, lock, change detection). Knows nothing of the GUI or the CLI.

mod conflicts;
mod error;
mod file;
mod fingerprint;
pub mod format;
mod guard;
mod halves;
pub mod kdf;
mod key;
mod lock;
mod payload;
mod read;
mod recovery;
mod replace;
mod seal;
mod stamp;
pub mod strength;
mod sync;

pub use conflicts::{conflict_copies, merge_copies, open_copies, remove_merged};
pub use error::{CryptoError, StoreError};
pub use file::{VaultFile, backup_path, default_vault_path, lock_path, write_file_atomically};
pub use fingerprint::{fingerprint, fingerprint_of_file};
pub use guard::{holds_vault, refuse_vault_target};
pub use kdf::{KdfParams, KdfPreset};
pub use key::{Credentials, KeyFile, VaultKey};
pub use lock::VaultLock;
pub use payload::serialize_payload;
pub use read::{Opener, parse_payload};
pub use recovery::{Recovery, find_recovery, recovered_at, recovery_path, write_recovery};
pub use strength::PasswordStrength;
