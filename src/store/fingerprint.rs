//! What change detection compares: a file's identity, from its length, its header and its
//! last 16 bytes (for a vault file, the Poly1305 tag), never the whole file.
//!
//! Hashing the whole file cost two SHA-256 passes over it per save (8 ms of a 10k-key save,
//! 81 ms at 100k) and a full read. The header holds the nonce, fresh and random (192 bits)
//! for every file any keyward writer seals, and the tag authenticates the header and every
//! ciphertext byte under the vault's key. So two vault files that authenticate under the
//! key and share length, header and tag are the same file (barring a forged tag); every
//! save by another writer gets a new nonce, hence a new identity. A file changed only
//! between its header and tag no longer authenticates: it is damaged, and replacing it
//! loses nothing that could be opened (docs/FORMAT.md, change detection).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::format::{HEADER_LEN, TAG_LEN};

/// Files up to this length are hashed whole.
const WHOLE: usize = HEADER_LEN + TAG_LEN;

/// The identity of file bytes: SHA-256 of a label, the length, the first
/// [`HEADER_LEN`] bytes and the last [`TAG_LEN`] (the whole file when it is no longer than
/// both).
pub fn fingerprint(bytes: &[u8]) -> [u8; 32] {
    if bytes.len() <= WHOLE {
        return identity(bytes.len() as u64, bytes, &[]);
    }
    identity(
        bytes.len() as u64,
        &bytes[..HEADER_LEN],
        &bytes[bytes.len() - TAG_LEN..],
    )
}

/// [`fingerprint`] of the file at `path`, reading only its first and last bytes.
pub fn fingerprint_of_file(path: &Path) -> io::Result<[u8; 32]> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len <= WHOLE as u64 {
        let mut bytes = Vec::with_capacity(WHOLE);
        file.read_to_end(&mut bytes)?;
        // Grown or shrunk since the metadata was read: the bytes are what counts.
        return Ok(fingerprint(&bytes));
    }
    let mut head = [0u8; HEADER_LEN];
    file.read_exact(&mut head)?;
    let mut tail = [0u8; TAG_LEN];
    file.seek(SeekFrom::Start(len - TAG_LEN as u64))?;
    file.read_exact(&mut tail)?;
    Ok(identity(len, &head, &tail))
}

fn identity(len: u64, head: &[u8], tail: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"keyward file identity v1\0");
    hasher.update(len.to_le_bytes());
    hasher.update(head);
    hasher.update(tail);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_and_its_bytes_give_the_same_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        for len in [0usize, 1, WHOLE - 1, WHOLE, WHOLE + 1, 5000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            std::fs::write(&path, &bytes).expect("write");
            assert_eq!(
                fingerprint_of_file(&path).expect("read"),
                fingerprint(&bytes),
                "length {len}"
            );
        }
    }

    #[test]
    fn length_header_and_tag_each_count() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let base = fingerprint(&bytes);
        let changed = |at: usize| {
            let mut b = bytes.clone();
            b[at] ^= 1;
            fingerprint(&b)
        };
        assert_ne!(changed(0), base, "first header byte");
        assert_ne!(
            changed(HEADER_LEN - 1),
            base,
            "last header byte (the nonce)"
        );
        assert_ne!(changed(bytes.len() - 1), base, "last tag byte");
        assert_ne!(changed(bytes.len() - TAG_LEN), base, "first tag byte");
        assert_ne!(fingerprint(&bytes[..999]), base, "length");
        // The middle is what the tag vouches for, under the key: not read.
        assert_eq!(changed(500), base);
        // A short file counts byte by byte.
        let short = &bytes[..WHOLE];
        let mut other = short.to_vec();
        other[HEADER_LEN / 2] ^= 1;
        assert_ne!(fingerprint(short), fingerprint(&other));
    }
}
