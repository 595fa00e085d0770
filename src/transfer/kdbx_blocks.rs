//! The pieces of keyward's KDBX reader ([`super::kdbx_read`]) that turn the file's payload
//! into plain bytes: the outer cipher (AES-256-CBC or ChaCha20), the inner stream of protected
//! values (Salsa20 or ChaCha20), and KDBX 3.1's block stream (SHA-256-checked), read from the
//! file as a [`std::io::Read`] one chunk and one block at a time. KDBX 4's HMAC blocks are in
//! [`super::kdbx_stream`].

use std::cell::Cell;
use std::io::Read as _;
use std::rc::Rc;

use aes::Aes256;
use aes::cipher::{BlockModeDecrypt, KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use super::kdbx_stream::{CHUNK, Source, TRUNCATED, extend_wiped};
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

/// KDBX 3.1's ciphertext read from the file as plaintext, [`CHUNK`] bytes at a time; the last
/// 16 bytes read are held back until the file's end is known, so the final chunk (which
/// holds CBC's padding) is recognised.
pub(super) struct Decrypting<'s, 'a> {
    pub(super) source: &'s mut Source<'a>,
    pub(super) outer: Outer,
    /// Ciphertext read and not yet decrypted.
    pub(super) carry: Zeroizing<Vec<u8>>,
    pub(super) out: Zeroizing<Vec<u8>>,
    pub(super) at: usize,
    pub(super) ended: bool,
    pub(super) failure: Rc<Cell<Option<&'static str>>>,
}

impl std::io::Read for Decrypting<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.out.len() && !self.ended {
            let want = (CHUNK + 16).saturating_sub(self.carry.len());
            self.source.append(&mut self.carry, want);
            let last = self.carry.len() < CHUNK + 16;
            let take = if last { self.carry.len() } else { CHUNK };
            self.ended = last;
            if take == 0 {
                return Ok(0);
            }
            self.out.clear();
            self.out.extend_from_slice(&self.carry[..take]);
            self.carry.drain(..take);
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
/// empty block. A block is handed on only once its hash matched; it is read into memory
/// that grows with what the file really holds, not with the size its head claims.
pub(super) struct HashedBlocks<'s, 'a> {
    pub(super) source: Decrypting<'s, 'a>,
    pub(super) out: Zeroizing<Vec<u8>>,
    pub(super) at: usize,
    pub(super) done: bool,
    pub(super) failure: Rc<Cell<Option<&'static str>>>,
}

impl HashedBlocks<'_, '_> {
    fn next_block(&mut self) -> Result<(), &'static str> {
        let mut head = [0u8; 40];
        self.source.read_exact(&mut head).map_err(|_| TRUNCATED)?;
        let size = u32::from_le_bytes([head[36], head[37], head[38], head[39]]) as usize;
        if size == 0 {
            self.done = true;
            return Ok(());
        }
        self.out.clear();
        while self.out.len() < size {
            let want = (size - self.out.len()).min(CHUNK);
            let old = extend_wiped(&mut self.out, want);
            self.source
                .read_exact(&mut self.out[old..])
                .map_err(|_| TRUNCATED)?;
        }
        if Sha256::digest(&self.out[..])[..] != head[4..36] {
            return Err("a block of the file fails its hash check: the file is damaged");
        }
        self.at = 0;
        Ok(())
    }
}

impl std::io::Read for HashedBlocks<'_, '_> {
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
pub(super) fn drain(out: &[u8], at: &mut usize, buf: &mut [u8]) -> usize {
    let n = buf.len().min(out.len() - *at);
    buf[..n].copy_from_slice(&out[*at..*at + n]);
    *at += n;
    n
}

/// HMAC-SHA256 of `parts` under block `index`'s key (KDBX 4: SHA-512 of the index and the
/// HMAC key; the header's index is `u64::MAX`).
pub(super) fn hmac(key: &[u8; 64], index: u64, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = block_mac(key, index);
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// The HMAC-SHA256 of block `index`, nothing fed yet.
pub(super) fn block_mac(key: &[u8; 64], index: u64) -> Hmac<Sha256> {
    let block_key = Zeroizing::new(sha512(&[&index.to_le_bytes(), &key[..]]));
    <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&block_key[..])
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

pub(super) fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut hash = Sha512::new();
    for p in parts {
        hash.update(p);
    }
    hash.finalize().into()
}
