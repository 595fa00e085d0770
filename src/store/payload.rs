//! The plaintext and the sealed bytes of a vault file: serialised into memory that is wiped,
//! then encrypted with the vault's key (derived at open or create) under a fresh nonce.
//! Every vault file keyward writes (a save, a recovery file) is sealed here.

use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use zeroize::Zeroizing;

use super::error::{CryptoError, StoreError};
use super::file::random_bytes;
use super::format::{self, Header, NONCE_LEN};
use super::key::VaultKey;
use crate::secret::SecretBytes;
use crate::vault::{Entry, Tombstone, TrashedEntry, Vault, VaultSettings};

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
    if vault.entries.len() >= SPLIT_FROM {
        serialize_split(&mut writer, vault, hint)?;
    } else {
        serde_json::to_writer(&mut writer, vault)?;
    }
    writer.reserve(format::HEADER_LEN + format::TAG_LEN);
    Ok(SecretBytes::new(std::mem::take(&mut *writer.0)))
}

/// From this many entries a save serialises them on two threads ([`serialize_split`]): at
/// 10 000 keys serialising is the largest part of a save.
const SPLIT_FROM: usize = 2048;

/// The fields of [`Vault`] before `entries`, serialised as `Vault` does (the same names,
/// order and skips; `split_matches_serde` holds the two together).
#[derive(Serialize)]
struct Head<'a> {
    settings: &'a VaultSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings_modified_at: Option<DateTime<Utc>>,
}

/// The fields of [`Vault`] after `entries`.
#[derive(Serialize)]
struct Tail<'a> {
    #[serde(skip_serializing_if = "is_empty")]
    trash: &'a [TrashedEntry],
    #[serde(skip_serializing_if = "is_empty")]
    tombstones: &'a [Tombstone],
}

fn is_empty<T>(items: &&[T]) -> bool {
    items.is_empty()
}

/// Writes `vault` as `serde_json::to_writer` would, byte for byte, with the second half of
/// its entries serialised on another thread into a buffer of its own (wiped when dropped).
fn serialize_split(
    out: &mut ZeroizingWriter,
    vault: &Vault,
    hint: usize,
) -> Result<(), serde_json::Error> {
    let head = Head {
        settings: &vault.settings,
        settings_modified_at: vault.settings_modified_at,
    };
    serde_json::to_writer(&mut *out, &head)?;
    // `{"settings":{…}…}`: reopen the object after its last field.
    if out.0.pop() != Some(b'}') {
        return Err(serde_json::Error::io(io::Error::other(
            "the vault's settings did not serialise as an object",
        )));
    }
    out.write_all(b",\"entries\":[")
        .map_err(serde_json::Error::io)?;
    let (first, second) = vault.entries.split_at(vault.entries.len() / 2);
    let (written, rest) = super::halves::run_both(
        "keyward-serialise",
        || write_entries(out, first),
        || {
            let mut buffer = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(hint / 2 + 4096)));
            write_entries(&mut buffer, second).map(|()| buffer)
        },
    );
    written?;
    let rest = rest?;
    if !first.is_empty() && !second.is_empty() {
        out.write_all(b",").map_err(serde_json::Error::io)?;
    }
    out.write_all(&rest.0).map_err(serde_json::Error::io)?;
    out.write_all(b"]").map_err(serde_json::Error::io)?;
    let tail = Tail {
        trash: &vault.trash,
        tombstones: &vault.tombstones,
    };
    let mut rest = ZeroizingWriter(Zeroizing::new(Vec::new()));
    serde_json::to_writer(&mut rest, &tail)?;
    // `{}` or `{"trash":…}`: its fields follow the entries.
    match rest.0.get(1..) {
        Some(b"}") => out.write_all(b"}"),
        Some(fields) => out.write_all(b",").and_then(|()| out.write_all(fields)),
        None => Err(io::Error::other("the trash did not serialise as an object")),
    }
    .map_err(serde_json::Error::io)
}

/// The entries as the elements of a JSON array, without its brackets.
fn write_entries(out: &mut ZeroizingWriter, entries: &[Entry]) -> Result<(), serde_json::Error> {
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.write_all(b",").map_err(serde_json::Error::io)?;
        }
        serde_json::to_writer(&mut *out, entry)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stamp::tests::at;
    use crate::vault::{Credential, Entry};

    fn vault_of(n: usize) -> Vault {
        let mut v = Vault::default();
        for i in 0..n {
            let mut e = Entry::new(
                format!("key \"{i}\" ü"),
                Credential::Token {
                    token: format!("secret-{i}-\u{1F511}").into(),
                },
                at(1),
            );
            e.notes = format!("notes {i}\t\\\n");
            e.tags = thin_vec::thin_vec![format!("t{}", i % 3).into()];
            v.add(e).expect("add");
        }
        v
    }

    fn split(vault: &Vault) -> Vec<u8> {
        let mut out = ZeroizingWriter(Zeroizing::new(Vec::new()));
        serialize_split(&mut out, vault, 0).expect("split");
        out.0.to_vec()
    }

    /// The split serialisation is the same bytes as serde's, for every shape of vault: no
    /// entry, one (an empty first half), odd and even counts, with and without the optional
    /// fields before and after the entries.
    #[test]
    fn split_matches_serde() {
        for n in [0, 1, 2, 3, 10, 11] {
            let mut v = vault_of(n + 2);
            let expect = |v: &Vault| serde_json::to_vec(v).expect("serde");
            v.delete_to_trash("key \"0\" ü", at(2)).expect("trash");
            v.delete_to_trash("key \"1\" ü", at(2)).expect("trash");
            assert_eq!(v.entries.len(), n, "{n} entries left");
            assert_eq!(split(&v), expect(&v), "{n} entries with trash");
            v.add_tombstone(uuid::Uuid::new_v4(), at(3));
            v.settings_modified_at = Some(at(4));
            assert_eq!(split(&v), expect(&v), "{n} entries, every field");
            v.trash.clear();
            assert_eq!(split(&v), expect(&v), "{n} entries, tombstones only");
            v.tombstones.clear();
            v.settings_modified_at = None;
            assert_eq!(split(&v), expect(&v), "{n} entries, nothing optional");
        }
    }

    /// A vault big enough to be split on the save path reads back the same.
    #[test]
    fn a_split_payload_parses_back() {
        let v = vault_of(SPLIT_FROM + 1);
        let bytes = serialize_payload(&v, 0).expect("serialise");
        assert_eq!(bytes.expose(), &serde_json::to_vec(&v).expect("serde")[..]);
        let back: Vault = serde_json::from_slice(bytes.expose()).expect("parse");
        assert_eq!(back, v);
    }
}
