//! The vault file's bytes: a fixed header, authenticated as associated data, then the
//! XChaCha20-Poly1305 ciphertext of the JSON payload. `docs/FORMAT.md` specifies it.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use super::kdf::{DerivedKey, KdfError, KdfParams, SALT_LEN};
use crate::secret::SecretBytes;

/// The first eight bytes of every vault file.
pub const MAGIC: [u8; 8] = *b"KEYWARD\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// KDF identifier for Argon2id version 0x13.
pub const KDF_ARGON2ID: u8 = 1;
/// Length of the XChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag at the end of the ciphertext.
pub const TAG_LEN: usize = 16;
/// Length of the version 1 header.
pub const HEADER_LEN: usize = 80;
/// Header flag (byte 11, bit 0): the key is the composite of the password and a key file.
pub const FLAG_KEY_FILE: u8 = 1;

/// The parsed header of a vault file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// The Argon2id salt.
    pub salt: [u8; SALT_LEN],
    /// The XChaCha20-Poly1305 nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The vault needs a key file as well as the password ([`FLAG_KEY_FILE`]).
    pub key_file: bool,
}

/// Why bytes are not a readable vault; the file layer adds the path (as [`super::StoreError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Wrong magic.
    #[error("not a keyward vault (wrong magic bytes): choose the right file")]
    NotAVault,
    /// A version other than [`FORMAT_VERSION`].
    #[error(
        "vault format version {0}, which this keyward does not read (it reads version \
         {FORMAT_VERSION}): upgrade keyward, or restore the file from its backup"
    )]
    UnsupportedVersion(u16),
    /// Malformed header.
    #[error("damaged: {0}; restore the file from its backup")]
    Damaged(String),
    /// KDF parameters beyond the caps.
    #[error("the header asks for key derivation keyward refuses: {0}")]
    KdfRejected(KdfError),
    /// The AEAD tag did not verify: wrong password or altered bytes.
    #[error("wrong password, or the file was altered (authentication failed)")]
    Authentication,
    /// Key derivation failed (not a password problem).
    #[error("{0}")]
    Kdf(KdfError),
    /// Encryption failed (not expected with a valid key; nothing was written).
    #[error("encryption failed; nothing was written: try again")]
    Encryption,
}

impl Header {
    /// The header's exact bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..8].copy_from_slice(&MAGIC);
        out[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[10] = KDF_ARGON2ID;
        out[11] = if self.key_file { FLAG_KEY_FILE } else { 0 }; // other bits reserved
        out[12..16].copy_from_slice(&self.kdf.memory_kib.to_le_bytes());
        out[16..20].copy_from_slice(&self.kdf.iterations.to_le_bytes());
        out[20..24].copy_from_slice(&self.kdf.parallelism.to_le_bytes());
        out[24..56].copy_from_slice(&self.salt);
        out[56..80].copy_from_slice(&self.nonce);
        out
    }

    /// Parses the header at the start of `file`, checking magic, version, KDF id, reserved
    /// bits, the KDF caps and the work bound ([`KdfParams::check_work`]). Returns the header
    /// and the exact header bytes, which are the associated data.
    pub fn parse(file: &[u8]) -> Result<(Header, &[u8]), FormatError> {
        Self::parse_with(file, false)
    }

    /// [`Header::parse`], accepting a KDF above the work bound (not above the caps) when
    /// `allow_slow_kdf`: for a file the user trusts (`--allow-slow-kdf`).
    pub fn parse_with(file: &[u8], allow_slow_kdf: bool) -> Result<(Header, &[u8]), FormatError> {
        if file.len() < MAGIC.len() || file[..MAGIC.len()] != MAGIC {
            return Err(if file.is_empty() {
                FormatError::Damaged("the file is empty".into())
            } else if file.len() < MAGIC.len() && MAGIC.starts_with(file) {
                FormatError::Damaged("the file is truncated".into())
            } else {
                FormatError::NotAVault
            });
        }
        let version = match file.get(8..10) {
            Some(b) => u16::from_le_bytes([b[0], b[1]]),
            None => return Err(FormatError::Damaged("the file is truncated".into())),
        };
        if version != FORMAT_VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        if file.len() < HEADER_LEN + TAG_LEN {
            return Err(FormatError::Damaged(format!(
                "the file is truncated ({} bytes; a vault has at least {})",
                file.len(),
                HEADER_LEN + TAG_LEN
            )));
        }
        let header = &file[..HEADER_LEN];
        if header[10] != KDF_ARGON2ID {
            return Err(FormatError::Damaged(format!(
                "unknown key derivation function id {}",
                header[10]
            )));
        }
        if header[11] & !FLAG_KEY_FILE != 0 {
            return Err(FormatError::Damaged("reserved header flags are set".into()));
        }
        let u32_at = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let kdf = KdfParams {
            memory_kib: u32_at(12),
            iterations: u32_at(16),
            parallelism: u32_at(20),
        };
        kdf.check().map_err(FormatError::KdfRejected)?;
        kdf.check_work(allow_slow_kdf)
            .map_err(FormatError::KdfRejected)?;
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&header[24..56]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&header[56..80]);
        let key_file = header[11] & FLAG_KEY_FILE != 0;
        Ok((
            Header {
                kdf,
                salt,
                nonce,
                key_file,
            },
            header,
        ))
    }
}

/// Encrypts `plaintext` (consumed; its buffer becomes the ciphertext, so no plain copy is
/// left behind) under `key`, and returns the complete file bytes.
///
/// The file is built in the plaintext's own buffer: given [`HEADER_LEN`] + [`TAG_LEN`] bytes
/// of spare capacity (as [`crate::store::serialize_payload`] leaves), sealing allocates
/// nothing, which matters for a payload of tens of megabytes.
pub fn seal(
    header: &Header,
    key: &DerivedKey,
    plaintext: SecretBytes,
) -> Result<Vec<u8>, FormatError> {
    let header_bytes = header.to_bytes();
    let mut buffer = SecretBytes::into_inner(plaintext);
    let len = buffer.len();
    if buffer.capacity() - len < HEADER_LEN + TAG_LEN {
        // Grow by hand: `reserve` would release the old block with the plaintext in it.
        let mut bigger = Zeroizing::new(Vec::with_capacity(len + HEADER_LEN + TAG_LEN));
        bigger.extend_from_slice(&buffer);
        buffer = bigger;
    }
    let tag: [u8; TAG_LEN] = if len >= super::seal::PARALLEL_FROM {
        super::seal::encrypt_in_place_detached(&key.0, &header.nonce, &header_bytes, &mut buffer)
            .map_err(|_| FormatError::Encryption)?
    } else {
        XChaCha20Poly1305::new_from_slice(&key.0[..])
            .map_err(|_| FormatError::Encryption)?
            .encrypt_inout_detached(
                &XNonce::from(header.nonce),
                &header_bytes,
                (&mut buffer[..]).into(),
            )
            .map_err(|_| FormatError::Encryption)?
            .into()
    };
    buffer.extend_from_slice(&tag);
    // The buffer now holds ciphertext and tag only; move them up to make room for the header
    // (within the capacity: no reallocation).
    let sealed = buffer.len();
    buffer.resize(sealed + HEADER_LEN, 0);
    buffer.copy_within(..sealed, HEADER_LEN);
    buffer[..HEADER_LEN].copy_from_slice(&header_bytes);
    Ok(std::mem::take(&mut *buffer))
}

/// Authenticates and decrypts a whole vault file, returning the header and the plaintext.
/// `derive` is called with the parsed header only after the header passed every check, so a
/// hostile header never reaches the KDF.
pub fn open(
    file: &[u8],
    derive: impl FnOnce(&Header) -> Result<DerivedKey, KdfError>,
) -> Result<(Header, SecretBytes), FormatError> {
    open_with(file, false, derive)
}

/// [`open`], with the header parsed by [`Header::parse_with`] (`allow_slow_kdf`).
pub fn open_with(
    file: &[u8],
    allow_slow_kdf: bool,
    derive: impl FnOnce(&Header) -> Result<DerivedKey, KdfError>,
) -> Result<(Header, SecretBytes), FormatError> {
    let (header, aad) = Header::parse_with(file, allow_slow_kdf)?;
    let key = derive(&header).map_err(FormatError::Kdf)?;
    let cipher = XChaCha20Poly1305::new_from_slice(&key.0[..])
        .map_err(|e| FormatError::Kdf(KdfError::Argon2(e.to_string())))?;
    let nonce = XNonce::from(header.nonce);
    let mut buffer = SecretBytes::new(file[HEADER_LEN..].to_vec());
    cipher
        .decrypt_in_place(&nonce, aad, buffer.as_mut_vec())
        .map_err(|_| FormatError::Authentication)?;
    Ok((header, buffer))
}
