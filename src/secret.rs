//! Types that hold secrets: they zeroize their memory on drop and never print themselves.
//!
//! Every secret part of a credential, the master password and decrypted buffers go through
//! these types, so that `Debug`, `Display` and panics can only ever show a redaction. Their
//! buffers are locked in RAM while they live (best effort, [`crate::memlock`]).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

use crate::memlock::{self, Region, Slot};

/// The text every secret prints instead of its value.
pub const REDACTED: &str = "[redacted]";

/// A secret text (API secret, passphrase, private key PEM, token, master password).
///
/// Its memory is zeroized when dropped. `Debug` prints [`REDACTED`]; there is deliberately no
/// `Display`. The value is reached only through [`SecretString::expose`], which makes every
/// place that handles plain text easy to find. The text never changes; it lives in the
/// locked arena of [`crate::memlock`] (best effort) and is zeroized there on drop.
pub struct SecretString {
    /// The text's bytes and their length (three words, so that a key's several secrets
    /// stay small: issue 10, import memory).
    slot: Slot,
}

impl SecretString {
    /// Wraps a value: the text is copied into locked memory and `value` zeroized.
    pub fn new(mut value: String) -> Self {
        let slot = memlock::alloc_copy(value.as_bytes());
        value.zeroize();
        SecretString { slot }
    }

    /// The plain text. Call this only where the secret must leave the vault (clipboard,
    /// stdout of `get`, encryption, a child's environment).
    pub fn expose(&self) -> &str {
        // SAFETY: the slot holds a copy of the bytes of a `str`.
        unsafe { std::str::from_utf8_unchecked(self.slot.bytes()) }
    }

    /// True when the secret holds no text.
    pub fn is_empty(&self) -> bool {
        self.slot.len() == 0
    }

    /// The length in bytes, for sizing buffers; not secret by itself.
    pub fn len(&self) -> usize {
        self.slot.len()
    }

    /// True when its text is locked in RAM (false when empty, or when the limit on locked
    /// memory was reached).
    pub fn is_locked(&self) -> bool {
        self.slot.is_locked()
    }
}

impl Default for SecretString {
    fn default() -> Self {
        SecretString {
            slot: Slot::empty(),
        }
    }
}

impl Clone for SecretString {
    fn clone(&self) -> Self {
        SecretString {
            slot: memlock::alloc_copy(self.expose().as_bytes()),
        }
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SecretString {}

impl Drop for SecretString {
    fn drop(&mut self) {
        memlock::free(&mut self.slot);
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        SecretString {
            slot: memlock::alloc_copy(value.as_bytes()),
        }
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString::new)
    }
}

/// Secret bytes (derived keys, decrypted payloads): locked in RAM while they live (best
/// effort), zeroized on drop, redacted in `Debug`.
#[derive(Default)]
pub struct SecretBytes {
    bytes: Zeroizing<Vec<u8>>,
    region: Region,
}

impl SecretBytes {
    /// Wraps a buffer; the caller's `Vec` is moved, not copied, and its buffer locked.
    pub fn new(value: Vec<u8>) -> Self {
        let region = Region::lock(value.as_ptr(), value.capacity());
        SecretBytes {
            bytes: Zeroizing::new(value),
            region,
        }
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.bytes
    }

    /// The buffer, to be changed in place (decryption). Do not grow it beyond its capacity:
    /// a reallocation would leave the old copy unzeroized and the new one unlocked.
    pub fn as_mut_vec(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// The zeroizing buffer itself, to be reused in place (encryption). It is no longer
    /// locked in RAM.
    pub fn into_inner(mut self) -> Zeroizing<Vec<u8>> {
        self.region.unlock();
        std::mem::take(&mut self.bytes)
    }

    /// True when its buffer is locked in RAM.
    pub fn is_locked(&self) -> bool {
        self.region.is_locked()
    }
}

impl Clone for SecretBytes {
    fn clone(&self) -> Self {
        Self::new(self.expose().to_vec())
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SecretBytes {}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.bytes.zeroize();
        self.region.unlock();
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{REDACTED} ({} bytes)", self.bytes.len())
    }
}

/// Zeroizes a `String` that briefly held a secret (a line read from stdin, say).
pub fn wipe(mut text: String) {
    text.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = SecretString::from("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{:?}", Some(&s)), format!("Some({REDACTED})"));
        let b = SecretBytes::new(b"abc".to_vec());
        assert!(!format!("{b:?}").contains("abc"));
    }

    #[test]
    fn serde_round_trip_keeps_the_value() {
        let s = SecretString::from("tok_123");
        let json = serde_json::to_string(&s).expect("serialize");
        assert_eq!(json, "\"tok_123\"");
        let back: SecretString = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back.expose(), "tok_123");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn secrets_lock_their_buffers_and_release_them_on_drop() {
        let s = SecretString::from("a secret that is locked in RAM");
        assert!(s.is_locked(), "ulimit -l is too low to lock one page");
        let copy = s.clone();
        assert!(copy.is_locked());
        assert_eq!(copy, s);
        let b = SecretBytes::new(vec![1u8; 64]);
        assert!(b.is_locked());
        let inner = b.into_inner();
        assert_eq!(inner.len(), 64);
        assert!(!SecretString::default().is_locked(), "nothing to lock");
    }
}
