//! The pieces of keyward's KDBX reader ([`super::kdbx_read`]) that turn the file's payload
//! into plain bytes: the outer cipher (AES-256-CBC or ChaCha20), the inner stream of protected
//! values (Salsa20 or ChaCha20), and the block streams of KDBX 4 (HMAC-checked) and KDBX 3.1
//! (SHA-256-checked), each read as a [`std::io::Read`] one block at a time.

use std::cell::Cell;
use std::io::Read as _;
use std::rc::Rc;

use aes::Aes256;
use aes::cipher::{BlockModeDecrypt, KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use super::keepass::sha256;
use super::keepass_xml_read::InnerStream;

pub(super) const AES256: [u8; 16] =
    super::kdbx_header::uuid(0x31c1_f2e6_bf71_4350_be58_0521_6afc_5aff);
/// The fixed nonce of KDBX 3.1's Salsa20 inner stream.
const SALSA20_NONCE: [u8; 8] = [0xe8, 0x30, 0x09, 0x4b, 0x97, 0x20, 0x5d, 0x2a];
/// What the reader must say about a file whose content is not a KeePass database.
pub(super) const NOT_KEEPASS: &str = "the decrypted content is not a valid KeePass database";

/// The outer cipher, decrypting a stream of chunks in order.
pub(super) enum Outer {
    Aes(Box<cbc::Decryptor<Aes256>>),
    ChaCha(Box<chacha20::ChaCha20>),
}

impl Outer {
    pub(super) fn new(cipher: &[u8], key: &[u8], iv: &[u8]) -> Option<Outer> {
        if cipher == AES256 {
            cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
                .ok()
                .map(|d| Outer::Aes(Box::new(d)))
        } else {
            chacha20::ChaCha20::new_from_slices(key, iv)
                .ok()
                .map(|c| Outer::ChaCha(Box::new(c)))
        }
    }

    /// Decrypts `data` in place; `last` strips CBC padding. The plaintext's length, or why not.
    pub(super) fn decrypt(&mut self, data: &mut [u8], last: bool) -> Result<usize, &'static str> {
        match self {
            Outer::ChaCha(c) => {
                c.apply_keystream(data);
                Ok(data.len())
            }
            Outer::Aes(d) => {
                if !data.len().is_multiple_of(16) {
                    return Err("the file is truncated");
                }
                for chunk in data.chunks_exact_mut(16) {
                    let block: &mut [u8; 16] = chunk.try_into().map_err(|_| NOT_KEEPASS)?;
                    d.decrypt_block(block.into());
                }
                if !last {
                    return Ok(data.len());
                }
                let pad = usize::from(*data.last().ok_or("the file is truncated")?);
                let ok = (1..=16).contains(&pad)
                    && pad <= data.len()
                    && data[data.len() - pad..]
                        .iter()
                        .all(|b| usize::from(*b) == pad);
                if ok {
                    Ok(data.len() - pad)
                } else {
                    Err(
                        "the file is truncated or damaged: its last cipher block does not \
                         decrypt",
                    )
                }
            }
        }
    }
}

/// The inner stream of protected values.
pub(super) enum Inner {
    None,
    Salsa(Box<salsa20::Salsa20>),
    ChaCha(Box<chacha20::ChaCha20>),
}

impl Inner {
    pub(super) fn new(id: u64, key: &[u8]) -> Option<Inner> {
        match id {
            0 => Some(Inner::None),
            2 => {
                let key = sha256(&[key]);
                salsa20::Salsa20::new_from_slices(&key[..], &SALSA20_NONCE)
                    .ok()
                    .map(|s| Inner::Salsa(Box::new(s)))
            }
            3 => {
                let hash = Zeroizing::new(sha512(&[key]));
                chacha20::ChaCha20::new_from_slices(&hash[..32], &hash[32..44])
                    .ok()
                    .map(|c| Inner::ChaCha(Box::new(c)))
            }
            _ => None,
        }
    }
}

impl InnerStream for Inner {
    fn apply(&mut self, data: &mut [u8]) {
        match self {
            Inner::None => {}
            Inner::Salsa(s) => s.apply_keystream(data),
            Inner::ChaCha(c) => c.apply_keystream(data),
        }
    }
}

/// KDBX 4's payload: blocks of (HMAC-SHA256, size, ciphertext), ended by an empty block;
/// read as the decrypted bytes.
///
/// A block's HMAC is checked over the ciphertext where it lies, before any of it is
/// decrypted; it is then decrypted [`CHUNK`] bytes at a time. A block can be the whole
/// payload (the `keepass` crate, and so keyward's own kdbx export, writes one block), and a
/// copy of it would have doubled the file in memory for the whole import.
pub(super) struct HmacBlocks<'a> {
    pub(super) data: &'a [u8],
    pub(super) index: u64,
    pub(super) key: Zeroizing<[u8; 64]>,
    pub(super) outer: Outer,
    pub(super) out: Zeroizing<Vec<u8>>,
    pub(super) at: usize,
    pub(super) done: bool,
    pub(super) failure: Rc<Cell<Option<&'static str>>>,
    /// What is left to decrypt of the current (checked) block.
    pub(super) pending: &'a [u8],
    /// True when the current block is the last one with data (its end holds CBC's padding).
    pub(super) last: bool,
}

/// How much ciphertext [`HmacBlocks`] and [`Decrypting`] decrypt at a time (a multiple of
/// AES's 16-byte block).
const CHUNK: usize = 64 * 1024;

impl HmacBlocks<'_> {
    /// The next block's (stored HMAC, size) at the front of `data`.
    fn head(data: &[u8]) -> Option<(&[u8], usize)> {
        let size = u32::from_le_bytes(data.get(32..36)?.try_into().ok()?) as usize;
        Some((&data[..32], size))
    }

    fn next_block(&mut self) -> Result<(), &'static str> {
        let (mac, size) = Self::head(self.data).ok_or("the file is truncated")?;
        let block = self
            .data
            .get(36..36 + size)
            .ok_or("the file is truncated")?;
        let index = self.index.to_le_bytes();
        let size_bytes = (size as u32).to_le_bytes();
        let expected = hmac(&self.key, self.index, &[&index, &size_bytes, block]);
        if expected[..] != mac[..] {
            return Err("a block of the file fails its HMAC check: the file is damaged");
        }
        self.data = &self.data[36 + size..];
        self.index += 1;
        if size == 0 {
            self.done = true;
            return Ok(());
        }
        self.last = Self::head(self.data).is_none_or(|(_, next)| next == 0);
        self.pending = block;
        Ok(())
    }

    /// Decrypts the next chunk of the current block into `out`.
    fn next_chunk(&mut self) -> Result<(), &'static str> {
        let take = self.pending.len().min(CHUNK);
        let (chunk, rest) = self.pending.split_at(take);
        self.pending = rest;
        self.out.clear();
        self.out.extend_from_slice(chunk);
        let len = self
            .outer
            .decrypt(&mut self.out, self.last && rest.is_empty())?;
        self.out.truncate(len);
        self.at = 0;
        Ok(())
    }
}

impl std::io::Read for HmacBlocks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() && !self.done {
            let step = if self.pending.is_empty() {
                self.next_block()
            } else {
                self.next_chunk()
            };
            if let Err(what) = step {
                self.failure.set(Some(what));
                return Err(std::io::Error::other(what));
            }
        }
        Ok(drain(&self.out, &mut self.at, buf))
    }
}

/// KDBX 3.1's ciphertext read as plaintext, 64 KiB at a time.
pub(super) struct Decrypting<'a> {
    pub(super) data: &'a [u8],
    pub(super) outer: Outer,
    pub(super) out: Zeroizing<Vec<u8>>,
    pub(super) at: usize,
    pub(super) failure: Rc<Cell<Option<&'static str>>>,
}

impl std::io::Read for Decrypting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.out.len() && !self.data.is_empty() {
            let take = self.data.len().min(CHUNK);
            let last = take == self.data.len();
            self.out.clear();
            self.out.extend_from_slice(&self.data[..take]);
            self.data = &self.data[take..];
            match self.outer.decrypt(&mut self.out, last) {
                Ok(len) => self.out.truncate(len),
                Err(what) => {
                    self.failure.set(Some(what));
                    return Err(std::io::Error::other(what));
                }
            }
            self.at = 0;
        }
        Ok(drain(&self.out, &mut self.at, buf))
    }
}

/// KDBX 3.1's hashed block stream: blocks of (index, SHA-256, size, data), ended by an
/// empty block.
pub(super) struct HashedBlocks<'a> {
    pub(super) source: Decrypting<'a>,
    pub(super) out: Zeroizing<Vec<u8>>,
    pub(super) at: usize,
    pub(super) done: bool,
    pub(super) failure: Rc<Cell<Option<&'static str>>>,
}

impl HashedBlocks<'_> {
    fn next_block(&mut self) -> Result<(), &'static str> {
        let truncated = "the file is truncated";
        let mut head = [0u8; 40];
        self.source.read_exact(&mut head).map_err(|_| truncated)?;
        let size = u32::from_le_bytes([head[36], head[37], head[38], head[39]]) as usize;
        if size == 0 {
            self.done = true;
            return Ok(());
        }
        if size > self.source.data.len() + self.source.out.len() {
            return Err(truncated);
        }
        self.out.clear();
        self.out.resize(size, 0);
        self.source
            .read_exact(&mut self.out)
            .map_err(|_| truncated)?;
        if Sha256::digest(&self.out[..])[..] != head[4..36] {
            return Err("a block of the file fails its hash check: the file is damaged");
        }
        self.at = 0;
        Ok(())
    }
}

impl std::io::Read for HashedBlocks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() && !self.done {
            if let Err(what) = self.next_block() {
                if self.failure.get().is_none() {
                    self.failure.set(Some(what));
                }
                return Err(std::io::Error::other(what));
            }
        }
        Ok(drain(&self.out, &mut self.at, buf))
    }
}

/// Copies what `buf` takes of the decrypted block `out` from `at` on: the tail of every
/// block reader's `read`.
fn drain(out: &[u8], at: &mut usize, buf: &mut [u8]) -> usize {
    let n = buf.len().min(out.len() - *at);
    buf[..n].copy_from_slice(&out[*at..*at + n]);
    *at += n;
    n
}

/// HMAC-SHA256 of `parts` under block `index`'s key (KDBX 4: SHA-512 of the index and the
/// HMAC key; the header's index is `u64::MAX`).
pub(super) fn hmac(key: &[u8; 64], index: u64, parts: &[&[u8]]) -> [u8; 32] {
    let block_key = Zeroizing::new(sha512(&[&index.to_le_bytes(), &key[..]]));
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&block_key[..])
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

pub(super) fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut hash = Sha512::new();
    for p in parts {
        hash.update(p);
    }
    hash.finalize().into()
}
