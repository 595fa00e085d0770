//! Blake2b as Argon2 uses it: `H` with an output of 1 to 64 bytes over several parts, and
//! the variable-length hash `H'` of RFC 9106 §3.3.

use blake2::Blake2bVarCore;
use blake2::digest::Output;
use blake2::digest::block_api::{Buffer, UpdateCore, VariableOutputCore};
use zeroize::{Zeroize, Zeroizing};

/// Blake2b with an output of 1 to 64 bytes. Its state and buffer wipe themselves when they
/// drop (the `zeroize` feature of `blake2`).
struct Blake2b {
    core: Blake2bVarCore,
    buffer: Buffer<Blake2bVarCore>,
    len: usize,
}

impl Blake2b {
    /// A hash of `len` bytes; `len` is 1..=64 at every call site.
    fn new(len: usize) -> Blake2b {
        let core = match Blake2bVarCore::new(len) {
            Ok(core) => core,
            Err(_) => unreachable!("Blake2b output length {len} outside 1..=64"),
        };
        Blake2b {
            core,
            buffer: Buffer::<Blake2bVarCore>::default(),
            len,
        }
    }

    fn update(&mut self, data: &[u8]) {
        let core = &mut self.core;
        self.buffer
            .digest_blocks(data, |blocks| core.update_blocks(blocks));
    }

    fn finalize_into(mut self, out: &mut [u8]) {
        let mut full = Output::<Blake2bVarCore>::default();
        self.core
            .finalize_variable_core(&mut self.buffer, &mut full);
        out.copy_from_slice(&full[..self.len]);
        full[..].zeroize();
    }
}

/// `H^64` over the concatenation of `parts`: the 64-byte Blake2b that makes H0.
pub(crate) fn blake2b_512(parts: &[&[u8]], out: &mut [u8; 64]) {
    let mut hash = Blake2b::new(64);
    for part in parts {
        hash.update(part);
    }
    hash.finalize_into(out);
}

/// `H'^T` (RFC 9106 §3.3) over the concatenation of `parts`, `T = out.len()`: one Blake2b
/// of `T` bytes when `T ≤ 64`, otherwise a chain of 64-byte hashes of which the first 32
/// bytes of each are output, and a last hash of the remaining 33 to 64 bytes. `out` is at
/// most `u32::MAX` bytes long (the caller checks it).
pub(crate) fn h_prime(parts: &[&[u8]], out: &mut [u8]) {
    let tag_len = u32::try_from(out.len()).unwrap_or(u32::MAX).to_le_bytes();
    if out.len() <= 64 {
        let mut hash = Blake2b::new(out.len());
        hash.update(&tag_len);
        for part in parts {
            hash.update(part);
        }
        hash.finalize_into(out);
        return;
    }
    let mut v = Zeroizing::new([0u8; 64]);
    let mut hash = Blake2b::new(64);
    hash.update(&tag_len);
    for part in parts {
        hash.update(part);
    }
    hash.finalize_into(&mut v[..]);
    out[..32].copy_from_slice(&v[..32]);
    let mut done = 32;
    while out.len() - done > 64 {
        let previous = v.clone();
        blake2b_512(&[&previous[..]], &mut v);
        out[done..done + 32].copy_from_slice(&v[..32]);
        done += 32;
    }
    let mut last = Blake2b::new(out.len() - done);
    last.update(&v[..]);
    last.finalize_into(&mut out[done..]);
}
