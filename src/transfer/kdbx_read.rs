//! keyward's own reader of KDBX 3.1 and 4 files, streaming: the payload is decrypted block
//! by block, decompressed as it is read and fed straight into the KeePass XML reader
//! ([`super::keepass_xml_read`]), protected values decrypted by the file's inner stream in
//! document order. The whole XML is never held in memory and no tree of the database is
//! built, so a kdbx import costs about what an XML import of the same entries does.
//!
//! Covered: AES-256 (CBC) and ChaCha20 outer ciphers; AES-KDF, Argon2d and Argon2id (without
//! a secret key or associated data); no or gzip compression; Salsa20 and ChaCha20 inner
//! streams. Anything else (Twofish, …) returns [`Read::Other`] and is read by the `keepass`
//! crate as before.
//!
//! Checks, in the order KeePassXC makes them: the KDBX 4 header's SHA-256 (damaged), its
//! HMAC (wrong password), each block's HMAC (damaged); for KDBX 3.1 the stream start bytes
//! (wrong password), each block's SHA-256 and the header hash stored in the XML (damaged).

use std::cell::Cell;
use std::io::{BufReader, Read as _};
use std::path::Path;
use std::rc::Rc;

use aes::Aes256;
use aes::cipher::{BlockModeDecrypt, KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use super::kdbx::Key;
use super::kdbx_header::{
    self, KDF_AES_3, KDF_AES_4, KDF_ARGON2D, KDF_ARGON2ID, number, uuid, variant_dictionary,
};
use super::keepass::{aes_kdf, damaged, sha256};
use super::keepass_xml_read::{self, InnerStream};
use super::record::Record;
use super::{TransferError, keyfile};

const AES256: [u8; 16] = uuid(0x31c1_f2e6_bf71_4350_be58_0521_6afc_5aff);
const CHACHA20: [u8; 16] = uuid(0xd603_8a2b_8b6f_4cb5_a524_339a_31db_b59a);
/// The fixed nonce of KDBX 3.1's Salsa20 inner stream.
const SALSA20_NONCE: [u8; 8] = [0xe8, 0x30, 0x09, 0x4b, 0x97, 0x20, 0x5d, 0x2a];

/// What the reader made of a file.
pub(super) enum Read {
    /// The entries.
    Records(Vec<Record>),
    /// A cipher, key derivation or inner stream this reader does not cover.
    Other,
}

/// What [`read`] must say about a file whose content is not a KeePass database.
pub(super) const NOT_KEEPASS: &str = "the decrypted content is not a valid KeePass database";

/// The key derivation a header asks for.
enum Kdf<'a> {
    Aes {
        seed: &'a [u8],
        rounds: u64,
    },
    Argon2 {
        id: bool,
        salt: &'a [u8],
        memory: u64,
        passes: u64,
        lanes: u64,
        version: u64,
    },
}

/// Reads a KDBX file of major version 2, 3 or 4 (the work factor already checked).
pub(super) fn read(
    bytes: &[u8],
    path: &Path,
    key: &Key<'_>,
    header_mismatch: &str,
) -> Result<Read, TransferError> {
    let damaged = |what: &str| damaged(path, what);
    let wrong = || TransferError::WrongPassword {
        path: path.to_owned(),
    };
    let (major, fields, end) =
        kdbx_header::fields(bytes).ok_or_else(|| damaged("the file is truncated"))?;
    let field = |id: u8| fields.iter().find(|f| f.0 == id).map(|f| f.1);
    let Some(cipher) = field(2) else {
        return Ok(Read::Other);
    };
    let gzip = match field(3).and_then(number) {
        Some(0) => false,
        Some(1) => true,
        _ => return Ok(Read::Other),
    };
    let (Some(master_seed), Some(iv)) = (field(4), field(7)) else {
        return Ok(Read::Other);
    };
    let dictionary;
    let kdf = if major >= 4 {
        let Some(items) = field(11).and_then(variant_dictionary) else {
            return Ok(Read::Other);
        };
        dictionary = items;
        let item = |name: &[u8]| dictionary.iter().find(|i| i.0 == name).map(|i| i.1);
        if item(b"K").is_some() || item(b"A").is_some() {
            return Ok(Read::Other);
        }
        match (item(b"$UUID"), item(b"S")) {
            (Some(u), Some(seed)) if u == KDF_AES_3 || u == KDF_AES_4 => Kdf::Aes {
                seed,
                rounds: item(b"R").and_then(number).unwrap_or(0),
            },
            (Some(u), Some(salt)) if u == KDF_ARGON2D || u == KDF_ARGON2ID => Kdf::Argon2 {
                id: u == KDF_ARGON2ID,
                salt,
                memory: item(b"M").and_then(number).unwrap_or(0),
                passes: item(b"I").and_then(number).unwrap_or(0),
                lanes: item(b"P").and_then(number).unwrap_or(0),
                version: item(b"V").and_then(number).unwrap_or(0x13),
            },
            _ => return Ok(Read::Other),
        }
    } else {
        match (field(5), field(6).and_then(number)) {
            (Some(seed), Some(rounds)) => Kdf::Aes { seed, rounds },
            _ => return Ok(Read::Other),
        }
    };
    if cipher != AES256 && cipher != CHACHA20 {
        return Ok(Read::Other);
    }
    if major < 4 && !matches!(field(10).and_then(number), Some(0 | 2 | 3)) {
        return Ok(Read::Other);
    }
    let Some(transformed) = transform(&*composite(key)?, &kdf) else {
        return Ok(Read::Other);
    };
    let master = sha256(&[master_seed, &transformed[..]]);
    let outer = Outer::new(cipher, &master[..], iv).ok_or_else(|| damaged("bad header"))?;
    let failure: Rc<Cell<Option<&'static str>>> = Rc::new(Cell::new(None));
    let parsed = if major >= 4 {
        let stored = bytes
            .get(end..end + 64)
            .ok_or_else(|| damaged("the file is truncated"))?;
        if Sha256::digest(&bytes[..end])[..] != stored[..32] {
            return Err(damaged(header_mismatch));
        }
        let hmac_key = Zeroizing::new(sha512(&[master_seed, &transformed[..], &[1]]));
        if hmac(&hmac_key, u64::MAX, &[&bytes[..end]])[..] != stored[32..] {
            return Err(wrong());
        }
        let blocks = HmacBlocks {
            data: &bytes[end + 64..],
            index: 0,
            key: hmac_key,
            outer,
            out: Zeroizing::new(Vec::new()),
            at: 0,
            done: false,
            failure: failure.clone(),
        };
        let mut plain: Box<dyn std::io::Read + '_> = if gzip {
            Box::new(flate2::read::GzDecoder::new(blocks))
        } else {
            Box::new(blocks)
        };
        let inner = inner_header(&mut plain).map_err(|e| {
            damaged(failure.get().unwrap_or(match e {
                Some(what) => what,
                None => "the file is truncated",
            }))
        })?;
        let (Some(id), Some(key)) = inner else {
            return Ok(Read::Other);
        };
        let Some(mut stream) = Inner::new(id, &key) else {
            return Ok(Read::Other);
        };
        let input = BufReader::with_capacity(64 * 1024, plain);
        xml(input, &mut stream, None, &failure, path, header_mismatch)?
    } else {
        let body = &bytes[end..];
        // The start bytes first, on their own: a wrong key must say so, even where the
        // whole payload fits one chunk whose padding then fails first.
        let mut start = [0u8; 32];
        start.copy_from_slice(
            body.get(..32)
                .ok_or_else(|| damaged("the file is truncated"))?,
        );
        Outer::new(cipher, &master[..], iv)
            .ok_or_else(|| damaged("bad header"))?
            .decrypt(&mut start, false)
            .map_err(&damaged)?;
        if Some(&start[..]) != field(9) {
            return Err(wrong());
        }
        let mut decrypting = Decrypting {
            data: body,
            outer,
            out: Zeroizing::new(Vec::new()),
            at: 0,
            failure: failure.clone(),
        };
        decrypting
            .read_exact(&mut start)
            .map_err(|_| damaged(failure.get().unwrap_or("the file is truncated")))?;
        let blocks = HashedBlocks {
            source: decrypting,
            out: Zeroizing::new(Vec::new()),
            at: 0,
            done: false,
            failure: failure.clone(),
        };
        let plain: Box<dyn std::io::Read + '_> = if gzip {
            Box::new(flate2::read::GzDecoder::new(blocks))
        } else {
            Box::new(blocks)
        };
        let id = field(10).and_then(number).unwrap_or(0);
        let key = field(8).unwrap_or_default();
        let Some(mut stream) = Inner::new(id, key) else {
            return Ok(Read::Other);
        };
        let actual = Sha256::digest(&bytes[..end]);
        let input = BufReader::with_capacity(64 * 1024, plain);
        xml(
            input,
            &mut stream,
            Some(&actual[..]),
            &failure,
            path,
            header_mismatch,
        )?
    };
    Ok(Read::Records(parsed.records))
}

/// Runs the XML reader over the decrypted stream; errors become "damaged". Custom fields
/// come sorted by name, as they always have from kdbx.
fn xml(
    input: impl std::io::BufRead,
    stream: &mut Inner,
    header_sha256: Option<&[u8]>,
    failure: &Cell<Option<&'static str>>,
    path: &Path,
    header_mismatch: &str,
) -> Result<keepass_xml_read::Parsed, TransferError> {
    let read = keepass_xml_read::read(input, Some(stream), header_sha256);
    let mut parsed = read.map_err(|e| {
        if let Some(what) = failure.get() {
            return damaged(path, what);
        }
        if e.header_mismatch {
            return damaged(path, header_mismatch);
        }
        if e.what.is_empty() || e.at.is_some() {
            damaged(path, NOT_KEEPASS)
        } else {
            damaged(path, &format!("{NOT_KEEPASS} ({})", e.what))
        }
    })?;
    for r in &mut parsed.records {
        r.fields.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(parsed)
}

/// KDBX 4's inner header: (inner stream id, its key); binaries skipped (the XML's
/// references to them are reported as attachments). `Err(None)` when the stream ends early.
#[allow(clippy::type_complexity)]
fn inner_header(
    plain: &mut dyn std::io::Read,
) -> Result<(Option<u64>, Option<Zeroizing<Vec<u8>>>), Option<&'static str>> {
    let (mut id, mut key) = (None, None);
    loop {
        let mut head = [0u8; 5];
        plain.read_exact(&mut head).map_err(|_| None)?;
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if len > 1 << 30 {
            return Err(Some(NOT_KEEPASS));
        }
        match head[0] {
            0 => {
                std::io::copy(&mut plain.take(len as u64), &mut std::io::sink())
                    .map_err(|_| None)?;
                return Ok((id, key));
            }
            1 | 2 => {
                let mut data = Zeroizing::new(vec![0u8; len]);
                plain.read_exact(&mut data).map_err(|_| None)?;
                if head[0] == 1 {
                    id = number(&data);
                } else {
                    key = Some(data);
                }
            }
            _ => {
                let copied = std::io::copy(&mut plain.take(len as u64), &mut std::io::sink())
                    .map_err(|_| None)?;
                if copied != len as u64 {
                    return Err(None);
                }
            }
        }
    }
}

/// KeePass 2's composite key: SHA-256 over the password's SHA-256 and the key file's key.
fn composite(key: &Key<'_>) -> Result<Zeroizing<[u8; 32]>, TransferError> {
    let password = match (key.password, key.key_file) {
        (Some(p), Some(_)) if p.is_empty() => None,
        (p, _) => p.map(|p| sha256(&[p.expose().as_bytes()])),
    };
    let file = key.key_file.map(keyfile::key_of).transpose()?;
    let mut parts: Vec<&[u8]> = Vec::new();
    if let Some(p) = &password {
        parts.push(&p[..]);
    }
    if let Some(f) = &file {
        parts.push(&f[..]);
    }
    Ok(sha256(&parts))
}

/// The transformed key; `None` for parameters the derivations here do not take.
fn transform(composite: &[u8; 32], kdf: &Kdf<'_>) -> Option<Zeroizing<[u8; 32]>> {
    match *kdf {
        Kdf::Aes { seed, rounds } => Some(aes_kdf(composite, seed.try_into().ok()?, rounds)),
        Kdf::Argon2 {
            id,
            salt,
            memory,
            passes,
            lanes,
            version,
        } => {
            use argon2::{Algorithm, Argon2, Params, Version};
            let version = match version {
                0x10 => Version::V0x10,
                0x13 => Version::V0x13,
                _ => return None,
            };
            let params = Params::new(
                u32::try_from(memory / 1024).ok()?,
                u32::try_from(passes).ok()?,
                u32::try_from(lanes).ok()?,
                Some(32),
            )
            .ok()?;
            let algorithm = if id {
                Algorithm::Argon2id
            } else {
                Algorithm::Argon2d
            };
            let argon = Argon2::new(algorithm, version, params);
            let run = || {
                let mut out = Zeroizing::new([0u8; 32]);
                argon
                    .hash_password_into(&composite[..], salt, &mut out[..])
                    .map(|()| out)
            };
            let ran = match rayon::ThreadPoolBuilder::new()
                .num_threads(usize::try_from(lanes).ok()?.clamp(1, 16))
                .build()
            {
                Ok(pool) => pool.install(run),
                Err(_) => run(),
            };
            ran.ok()
        }
    }
}

/// The outer cipher, decrypting a stream of chunks in order.
enum Outer {
    Aes(Box<cbc::Decryptor<Aes256>>),
    ChaCha(Box<chacha20::ChaCha20>),
}

impl Outer {
    fn new(cipher: &[u8], key: &[u8], iv: &[u8]) -> Option<Outer> {
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
    fn decrypt(&mut self, data: &mut [u8], last: bool) -> Result<usize, &'static str> {
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
enum Inner {
    None,
    Salsa(Box<salsa20::Salsa20>),
    ChaCha(Box<chacha20::ChaCha20>),
}

impl Inner {
    fn new(id: u64, key: &[u8]) -> Option<Inner> {
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
struct HmacBlocks<'a> {
    data: &'a [u8],
    index: u64,
    key: Zeroizing<[u8; 64]>,
    outer: Outer,
    out: Zeroizing<Vec<u8>>,
    at: usize,
    done: bool,
    failure: Rc<Cell<Option<&'static str>>>,
}

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
        let last = Self::head(self.data).is_none_or(|(_, next)| next == 0);
        self.out.clear();
        self.out.extend_from_slice(block);
        let len = self.outer.decrypt(&mut self.out, last)?;
        self.out.truncate(len);
        self.at = 0;
        Ok(())
    }
}

impl std::io::Read for HmacBlocks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() && !self.done {
            if let Err(what) = self.next_block() {
                self.failure.set(Some(what));
                return Err(std::io::Error::other(what));
            }
        }
        Ok(drain(&self.out, &mut self.at, buf))
    }
}

/// KDBX 3.1's ciphertext read as plaintext, 64 KiB at a time.
struct Decrypting<'a> {
    data: &'a [u8],
    outer: Outer,
    out: Zeroizing<Vec<u8>>,
    at: usize,
    failure: Rc<Cell<Option<&'static str>>>,
}

impl std::io::Read for Decrypting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.out.len() && !self.data.is_empty() {
            let take = self.data.len().min(64 * 1024);
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
struct HashedBlocks<'a> {
    source: Decrypting<'a>,
    out: Zeroizing<Vec<u8>>,
    at: usize,
    done: bool,
    failure: Rc<Cell<Option<&'static str>>>,
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
fn hmac(key: &[u8; 64], index: u64, parts: &[&[u8]]) -> [u8; 32] {
    let block_key = Zeroizing::new(sha512(&[&index.to_le_bytes(), &key[..]]));
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&block_key[..])
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut hash = Sha512::new();
    for p in parts {
        hash.update(p);
    }
    hash.finalize().into()
}

#[cfg(test)]
#[path = "kdbx_read_tests.rs"]
mod tests;
