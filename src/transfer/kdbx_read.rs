//! keyward's own reader of KDBX 3.1 and 4 files, streaming from the file: the outer header is
//! read (and for KDBX 4 the header's SHA-256 and HMAC), the work factor checked and the key
//! derived before any of the body is read; the body is then read in bounded chunks
//! ([`super::kdbx_stream::CHUNK`]), decrypted, decompressed as it is read and fed straight
//! into the KeePass XML reader ([`super::keepass_xml_read`]), protected values decrypted by
//! the file's inner stream in document order. Neither the file nor the whole XML is ever held
//! in memory and no tree of the database is built, so a kdbx import costs about what an XML
//! import of the same entries does, whatever the file's size.
//!
//! Covered: AES-256 (CBC) and ChaCha20 outer ciphers; AES-KDF, Argon2d and Argon2id (without
//! a secret key or associated data); no or gzip compression; Salsa20 and ChaCha20 inner
//! streams. Anything else (Twofish, …) returns [`Read::Other`] and is read by the `keepass`
//! crate as before.
//!
//! Checks, in the order KeePassXC makes them: the KDBX 4 header's SHA-256 (damaged), its
//! HMAC (wrong password), each block's HMAC (damaged); for KDBX 3.1 the stream start bytes
//! (wrong password), each block's SHA-256 and the header hash stored in the XML (damaged).
//! A KDBX 4 block is decrypted and parsed as its HMAC is fed and checked at its end (it can
//! be the whole payload): a parse error inside a block is reported only once the rest of the
//! block was read and proved authentic, "damaged" otherwise, and the import hands nothing on
//! before every block matched ([`super::kdbx_stream`] says why that is safe). A KDBX 3.1
//! block (1 MiB from KeePassXC) is held until its SHA-256 matched, then handed on.

use std::cell::Cell;
use std::io::{BufReader, Read as _};
use std::path::Path;
use std::rc::Rc;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::kdbx::Key;
use super::kdbx_blocks::{
    AES256, Decrypting, HashedBlocks, Inner, NOT_KEEPASS, Outer, hmac, sha512,
};
use super::kdbx_header::{
    self, KDF_AES_3, KDF_AES_4, KDF_ARGON2D, KDF_ARGON2ID, number, uuid, variant_dictionary,
};
use super::kdbx_stream::{CHUNK, HmacBlocks, Source, TRUNCATED};
use super::keepass::{aes_kdf, damaged, sha256};
use super::keepass_xml_read;
use super::record::Record;
use super::{TransferError, keyfile};

const CHACHA20: [u8; 16] = uuid(0xd603_8a2b_8b6f_4cb5_a524_339a_31db_b59a);

/// What the reader made of a file.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Read {
    /// The entries went to the sink.
    Done,
    /// A cipher, key derivation or inner stream this reader does not cover; the sink was not
    /// called.
    Other,
}

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

/// Reads a KDBX file of major version 2, 3 or 4 (the work factor already checked), handing
/// each entry to `sink` as soon as it is read (see [`keepass_xml_read::read`]). `prefix` is
/// what was read of the file: its outer header and, for KDBX 4, up to the 64 bytes of header
/// SHA-256 and HMAC that follow; the body is read from `source` only once the key is
/// derived, in bounded chunks. [`Read::Other`] comes before anything of the body is read.
pub(super) fn read(
    prefix: &[u8],
    source: &mut Source<'_>,
    path: &Path,
    key: &Key<'_>,
    header_mismatch: &str,
    sink: &mut dyn FnMut(Record),
) -> Result<Read, TransferError> {
    let damaged = |what: &str| damaged(path, what);
    let wrong = || TransferError::WrongPassword {
        path: path.to_owned(),
    };
    let (major, fields, end) = kdbx_header::fields(prefix).ok_or_else(|| damaged(TRUNCATED))?;
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
    if major >= 4 {
        let stored = prefix.get(end..end + 64).ok_or_else(|| {
            source
                .take_error(path)
                .unwrap_or_else(|| damaged(TRUNCATED))
        })?;
        if Sha256::digest(&prefix[..end])[..] != stored[..32] {
            return Err(damaged(header_mismatch));
        }
        let hmac_key = Zeroizing::new(sha512(&[master_seed, &transformed[..], &[1]]));
        if hmac(&hmac_key, u64::MAX, &[&prefix[..end]])[..] != stored[32..] {
            return Err(wrong());
        }
        let mut blocks = HmacBlocks::new(source, hmac_key, outer, failure.clone());
        let parsed = kdbx4_payload(&mut blocks, gzip, &failure, path, header_mismatch, sink);
        // Every block's HMAC is checked before anything is reported: a parse error counts
        // only once the block it happened in proved authentic (see `kdbx_stream`).
        let checked = blocks.finish(parsed.is_ok());
        drop(blocks);
        if let Some(e) = source.take_error(path) {
            return Err(e);
        }
        checked.map_err(&damaged)?;
        parsed?;
    } else {
        let id = field(10).and_then(number).unwrap_or(0);
        let Some(mut stream) = Inner::new(id, field(8).unwrap_or_default()) else {
            return Ok(Read::Other);
        };
        // The start bytes first, on their own: a wrong key must say so, even where the
        // whole payload fits one chunk whose padding then fails first.
        let mut carry = Zeroizing::new(Vec::with_capacity(CHUNK + 16));
        if source.append(&mut carry, 32) < 32 {
            return Err(source
                .take_error(path)
                .unwrap_or_else(|| damaged(TRUNCATED)));
        }
        let mut start = [0u8; 32];
        start.copy_from_slice(&carry[..32]);
        Outer::new(cipher, &master[..], iv)
            .ok_or_else(|| damaged("bad header"))?
            .decrypt(&mut start, false)
            .map_err(&damaged)?;
        if Some(&start[..]) != field(9) {
            return Err(wrong());
        }
        let mut decrypting = Decrypting {
            source: &mut *source,
            outer,
            carry,
            out: Zeroizing::new(Vec::new()),
            at: 0,
            ended: false,
            failure: failure.clone(),
        };
        let parsed = match decrypting.read_exact(&mut start) {
            Err(_) => Err(damaged(failure.get().unwrap_or(TRUNCATED))),
            Ok(()) => {
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
                let actual = Sha256::digest(&prefix[..end]);
                let input = BufReader::with_capacity(CHUNK, plain);
                let hash = Some(&actual[..]);
                xml(
                    input,
                    &mut stream,
                    hash,
                    &failure,
                    path,
                    header_mismatch,
                    sink,
                )
            }
        };
        if let Some(e) = source.take_error(path) {
            return Err(e);
        }
        parsed?;
    }
    Ok(Read::Done)
}

/// KDBX 4's decrypted payload: the inner header, then the XML.
fn kdbx4_payload(
    blocks: &mut HmacBlocks<'_, '_>,
    gzip: bool,
    failure: &Cell<Option<&'static str>>,
    path: &Path,
    header_mismatch: &str,
    sink: &mut dyn FnMut(Record),
) -> Result<(), TransferError> {
    let mut plain: Box<dyn std::io::Read + '_> = if gzip {
        Box::new(flate2::read::GzDecoder::new(blocks))
    } else {
        Box::new(blocks)
    };
    let inner = inner_header(&mut plain).map_err(|e| {
        damaged(
            path,
            failure.get().unwrap_or(match e {
                Some(what) => what,
                None => TRUNCATED,
            }),
        )
    })?;
    // An inner stream this reader does not know: the `keepass` crate does not read it
    // either (it refuses the content), and the file is no longer whole to hand over.
    let (Some(id), Some(key)) = inner else {
        return Err(damaged(path, NOT_KEEPASS));
    };
    let Some(mut stream) = Inner::new(id, &key) else {
        return Err(damaged(path, NOT_KEEPASS));
    };
    let input = BufReader::with_capacity(CHUNK, plain);
    xml(
        input,
        &mut stream,
        None,
        failure,
        path,
        header_mismatch,
        sink,
    )
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
    sink: &mut dyn FnMut(Record),
) -> Result<(), TransferError> {
    let mut sorted = |mut r: Record| {
        r.fields.sort_by(|a, b| a.name.cmp(&b.name));
        sink(r);
    };
    let read = keepass_xml_read::read(input, Some(stream), header_sha256, &mut sorted);
    read.map_err(|e| {
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
    })
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
            use keyward_argon2::{Algorithm, Argon2, Params, Version};
            let version = match version {
                0x10 => Version::V0x10,
                0x13 => Version::V0x13,
                _ => return None,
            };
            let params = Params {
                memory_kib: u32::try_from(memory / 1024).ok()?,
                passes: u32::try_from(passes).ok()?,
                lanes: u32::try_from(lanes).ok()?,
            };
            let algorithm = if id {
                Algorithm::Argon2id
            } else {
                Algorithm::Argon2d
            };
            let mut out = Zeroizing::new([0u8; 32]);
            Argon2::new(algorithm, version, params)
                .hash_into(&composite[..], salt, &mut out[..])
                .ok()?;
            Some(out)
        }
    }
}

#[cfg(test)]
#[path = "kdbx_read_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "kdbx_stream_tests.rs"]
mod stream_tests;
