//! Types that hold secrets: they zeroize their memory on drop and never print themselves.
//!
//! Every secret part of a credential, the master password and decrypted buffers go through
//! these types, so that `Debug`, `Display` and panics can only ever show a redaction.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

/// The text every secret prints instead of its value.
pub const REDACTED: &str = "[redacted]";

/// A secret text (API secret, passphrase, private key PEM, token, master password).
///
/// Its memory is zeroized when dropped. `Debug` prints [`REDACTED`]; there is deliberately no
/// `Display`. The value is reached only through [`SecretString::expose`], which makes every
/// place that handles plain text easy to find.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a value; the caller's `String` is moved, not copied.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The plain text. Call this only where the secret must leave the vault (clipboard,
    /// stdout of `get`, encryption, a child's environment).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret holds no text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The length in bytes, for sizing buffers; not secret by itself.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value.to_owned())
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

/// Secret bytes (derived keys, decrypted payloads): zeroized on drop, redacted in `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps a buffer; the caller's `Vec` is moved, not copied.
    pub fn new(value: Vec<u8>) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The buffer, to be changed in place (decryption).
    pub fn as_mut_vec(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }

    /// The zeroizing buffer itself, to be reused in place (encryption).
    pub fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{REDACTED} ({} bytes)", self.0.len())
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
}
