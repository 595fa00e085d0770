//! The block fill in plain Rust: for every target, and for x86-64 without AVX2.

use crate::memory::{Block, WORDS};

/// `a + b + 2 · lo32(a) · lo32(b)`, the multiplication-hardened addition of Argon2's `GB`.
#[inline(always)]
fn mul_add(a: u64, b: u64) -> u64 {
    let product = (a & 0xFFFF_FFFF).wrapping_mul(b & 0xFFFF_FFFF);
    a.wrapping_add(b).wrapping_add(product.wrapping_mul(2))
}

/// `GB(a, b, c, d)` of RFC 9106 §3.6, on four words of `v`.
#[inline(always)]
fn gb(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize) {
    v[a] = mul_add(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = mul_add(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = mul_add(v[a], v[b]);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = mul_add(v[c], v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

/// The permutation `P` on sixteen words (eight 16-byte registers `S_i = v_{2i+1} ‖ v_{2i}`).
#[inline(always)]
fn permute(v: &mut [u64; 16]) {
    gb(v, 0, 4, 8, 12);
    gb(v, 1, 5, 9, 13);
    gb(v, 2, 6, 10, 14);
    gb(v, 3, 7, 11, 15);
    gb(v, 0, 5, 10, 15);
    gb(v, 1, 6, 11, 12);
    gb(v, 2, 7, 8, 13);
    gb(v, 3, 4, 9, 14);
}

/// `P` applied to the sixteen words of `r` at `index(0..16)`.
#[inline(always)]
fn permute_at(r: &mut [u64; WORDS], index: impl Fn(usize) -> usize) {
    let mut v = [0u64; 16];
    for (k, word) in v.iter_mut().enumerate() {
        *word = r[index(k)];
    }
    permute(&mut v);
    for (k, word) in v.iter().enumerate() {
        r[index(k)] = *word;
    }
}

/// One step of the fill: `dst = G(prev, refb)`, or `dst ^= G(prev, refb)` when `xor_old`
/// (passes after the first in version 0x13). `G(X, Y) = P(R) ⊕ R` with `R = X ⊕ Y`, `P`
/// applied to the eight rows of the 8×8 matrix of 16-byte registers, then to its eight
/// columns (RFC 9106 §3.5).
pub(crate) fn fill_block(prev: &Block, refb: &Block, dst: &mut Block, xor_old: bool) {
    let mut r = [0u64; WORDS];
    for ((r, a), b) in r.iter_mut().zip(prev.0.iter()).zip(refb.0.iter()) {
        *r = a ^ b;
    }
    // What P(R) is XORed with at the end: R, and the old block when it is kept.
    if xor_old {
        for (d, r) in dst.0.iter_mut().zip(r.iter()) {
            *d ^= r;
        }
    } else {
        dst.0 = r;
    }
    for row in 0..8 {
        permute_at(&mut r, |k| 16 * row + k);
    }
    for column in 0..8 {
        permute_at(&mut r, |k| 16 * (k / 2) + 2 * column + k % 2);
    }
    for (d, r) in dst.0.iter_mut().zip(r.iter()) {
        *d ^= r;
    }
}
