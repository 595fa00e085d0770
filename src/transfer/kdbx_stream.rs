//! Reading a KDBX file from a [`std::io::Read`] in bounded pieces: the [`Source`] the reader
//! takes the file from, and KDBX 4's HMAC block stream ([`HmacBlocks`]) read straight from it.
//!
//! A KDBX 4 block can be the whole payload (the `keepass` crate, and so keyward's own export,
//! writes one block), so its HMAC cannot be checked before any of it is decrypted without
//! holding the block. Instead the HMAC is fed as the ciphertext is read, [`CHUNK`] bytes at a
//! time, each chunk decrypted and handed on, and compared at the block's end. That is safe
//! here because nothing read leaves the import before every block's HMAC has matched:
//! [`super::import`] collects the entries and returns them only when the whole reader returned
//! `Ok`, and [`super::kdbx_read`] reports a parse error only after the rest of the block it
//! happened in has been read and found authentic ([`HmacBlocks::finish`]); otherwise the file
//! is "damaged". The decompressor and the XML reader that see the unauthenticated bytes are
//! the ones fuzzed (`fuzz/fuzz_targets/kdbx.rs`, `keepass_xml.rs`).

use std::cell::Cell;
use std::io::ErrorKind;
use std::path::Path;
use std::rc::Rc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::TransferError;
use super::kdbx_blocks::{Outer, block_mac, drain};

/// How much ciphertext the block readers take from the file and decrypt at a time (a multiple
/// of AES's 16-byte block).
pub(super) const CHUNK: usize = 64 * 1024;

pub(super) const TRUNCATED: &str = "the file is truncated";
const HMAC_FAILED: &str = "a block of the file fails its HMAC check: the file is damaged";

/// The file being read, with the first I/O error met (other than its end), which the import
/// reports as such rather than as a truncated file.
pub(super) struct Source<'a> {
    reader: &'a mut dyn std::io::Read,
    /// The first read error; nothing more is read after it.
    pub(super) error: Option<std::io::Error>,
}

impl<'a> Source<'a> {
    pub(super) fn new(reader: &'a mut dyn std::io::Read) -> Source<'a> {
        Source {
            reader,
            error: None,
        }
    }

    /// Fills `buf` from the file: the number of bytes read, short of `buf.len()` only at the
    /// file's end or after a read error (kept in `error`).
    pub(super) fn fill(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() && self.error.is_none() {
            match self.reader.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k.min(buf.len() - n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => self.error = Some(e),
            }
        }
        n
    }

    /// The read error met, if any (taken: it is reported once), as the import's error.
    pub(super) fn take_error(&mut self, path: &Path) -> Option<TransferError> {
        self.error.take().map(|source| TransferError::Io {
            action: "reading",
            path: path.to_owned(),
            source,
        })
    }

    /// Appends `len` bytes of the file to `out` (fewer at its end), growing `out` in wiped
    /// memory and never by more than [`CHUNK`] beyond what was read, whatever `len` claims.
    pub(super) fn append(&mut self, out: &mut Zeroizing<Vec<u8>>, len: usize) -> usize {
        let mut got = 0;
        while got < len {
            let want = (len - got).min(CHUNK);
            let old = extend_wiped(out, want);
            let n = self.fill(&mut out[old..]);
            out.truncate(old + n);
            got += n;
            if n < want {
                break;
            }
        }
        got
    }

    /// The rest of the file appended to `out` (in wiped memory).
    pub(super) fn append_rest(&mut self, out: &mut Zeroizing<Vec<u8>>) {
        while self.append(out, CHUNK) == CHUNK {}
    }
}

/// Extends `out` by `more` zero bytes and returns where they start; when it must grow it is
/// moved to a larger allocation by hand so the old one is wiped (a `Vec`'s own growth would
/// free it unwiped).
pub(super) fn extend_wiped(out: &mut Zeroizing<Vec<u8>>, more: usize) -> usize {
    if out.capacity() - out.len() < more {
        let capacity = (out.len() + more).max(out.capacity().saturating_mul(2));
        let mut bigger = Zeroizing::new(Vec::with_capacity(capacity));
        bigger.extend_from_slice(out);
        *out = bigger;
    }
    let old = out.len();
    out.resize(old + more, 0);
    old
}

/// KDBX 4's payload read from the file as the decrypted bytes: blocks of (HMAC-SHA256, size,
/// ciphertext), ended by an empty block, each block's HMAC fed as it is read and compared at
/// its end (see the module documentation). The outer cipher runs across blocks.
pub(super) struct HmacBlocks<'s, 'a> {
    source: &'s mut Source<'a>,
    key: Zeroizing<[u8; 64]>,
    outer: Outer,
    index: u64,
    /// The current block's HMAC so far and the one stored in its head.
    mac: Option<(Hmac<Sha256>, [u8; 32])>,
    /// What is left to read of the current block's ciphertext.
    left: usize,
    /// The next block's head, read after the current block's data (CBC must know whether
    /// this is the last block with data, whose end holds the padding).
    next: Option<[u8; 36]>,
    out: Zeroizing<Vec<u8>>,
    at: usize,
    done: bool,
    failure: Rc<Cell<Option<&'static str>>>,
}

impl<'s, 'a> HmacBlocks<'s, 'a> {
    pub(super) fn new(
        source: &'s mut Source<'a>,
        key: Zeroizing<[u8; 64]>,
        outer: Outer,
        failure: Rc<Cell<Option<&'static str>>>,
    ) -> HmacBlocks<'s, 'a> {
        HmacBlocks {
            source,
            key,
            outer,
            index: 0,
            mac: None,
            left: 0,
            next: None,
            out: Zeroizing::new(Vec::with_capacity(CHUNK)),
            at: 0,
            done: false,
            failure,
        }
    }

    /// The next block's head: the one read ahead, else 36 bytes from the file.
    fn head(&mut self) -> Option<[u8; 36]> {
        if let Some(head) = self.next.take() {
            return Some(head);
        }
        let mut head = [0u8; 36];
        (self.source.fill(&mut head) == head.len()).then_some(head)
    }

    fn start_block(&mut self) -> Result<(), &'static str> {
        let head = self.head().ok_or(TRUNCATED)?;
        let size = u32::from_le_bytes([head[32], head[33], head[34], head[35]]);
        let mut stored = [0u8; 32];
        stored.copy_from_slice(&head[..32]);
        let mut mac = block_mac(&self.key, self.index);
        mac.update(&self.index.to_le_bytes());
        mac.update(&size.to_le_bytes());
        self.left = size as usize;
        self.mac = Some((mac, stored));
        if size == 0 {
            self.end_block()?;
            self.done = true;
        }
        Ok(())
    }

    /// Compares the finished block's HMAC with the stored one.
    fn end_block(&mut self) -> Result<(), &'static str> {
        let (mac, stored) = self.mac.take().ok_or(HMAC_FAILED)?;
        mac.verify_slice(&stored).map_err(|_| HMAC_FAILED)?;
        self.index += 1;
        Ok(())
    }

    /// Reads the next chunk of the current block, feeding its HMAC; at the block's end checks
    /// it and reads the next head. With `decrypt` the chunk is decrypted into `out`.
    fn next_chunk(&mut self, decrypt: bool) -> Result<(), &'static str> {
        let take = self.left.min(CHUNK);
        self.out.clear();
        self.out.resize(take, 0);
        if self.source.fill(&mut self.out) < take {
            return Err(TRUNCATED);
        }
        self.left -= take;
        if let Some((mac, _)) = &mut self.mac {
            mac.update(&self.out);
        }
        let mut last = false;
        if self.left == 0 {
            self.end_block()?;
            let mut head = [0u8; 36];
            let got = self.source.fill(&mut head);
            // No full head after this block: it is taken as the last, and the missing head
            // is reported as a truncated file when the stream asks for the next block.
            last = got < head.len() || head[32..] == [0; 4];
            self.next = (got == head.len()).then_some(head);
        }
        if decrypt {
            let len = self.outer.decrypt(&mut self.out, last)?;
            self.out.truncate(len);
        }
        self.at = 0;
        Ok(())
    }

    /// Reads the rest of the current block without decrypting it and checks its HMAC; with
    /// `all`, every block after it too, up to the empty block that ends the stream. The
    /// error the stream already met, if any.
    pub(super) fn finish(&mut self, all: bool) -> Result<(), &'static str> {
        if let Some(what) = self.failure.get() {
            return Err(what);
        }
        while !self.done {
            if self.left > 0 {
                self.next_chunk(false)?;
                if self.left == 0 && !all {
                    return Ok(());
                }
            } else if all {
                self.start_block()?;
            } else {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl std::io::Read for HmacBlocks<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(what) = self.failure.get() {
            return Err(std::io::Error::other(what));
        }
        while self.at == self.out.len() && !self.done {
            let step = if self.left == 0 {
                self.start_block()
            } else {
                self.next_chunk(true)
            };
            if let Err(what) = step {
                self.failure.set(Some(what));
                return Err(std::io::Error::other(what));
            }
        }
        Ok(drain(&self.out, &mut self.at, buf))
    }
}
