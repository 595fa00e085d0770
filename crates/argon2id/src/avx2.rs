//! The block fill with AVX2, for x86-64 processors that have it (chosen at run time, see
//! `Backend`). The 1 KiB block is 32 vectors of four words; a row of the 8×8 matrix of
//! 16-byte registers is four consecutive vectors, and two columns are gathered from eight
//! vectors with 128-bit lane swaps. AVX2 has no 64-bit rotation: the rotations by 32, 24
//! and 16 are word and byte shuffles, the rotation by 63 is `(x + x) ⊕ (x >> 63)`.

use core::arch::x86_64::{
    __m256i, _mm256_add_epi64, _mm256_load_si256, _mm256_mul_epu32, _mm256_permute2x128_si256,
    _mm256_permute4x64_epi64, _mm256_setr_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8,
    _mm256_shuffle_epi32, _mm256_srli_epi64, _mm256_store_si256, _mm256_xor_si256,
};

use crate::memory::Block;

/// Vectors of four words in a block.
const VECTORS: usize = 32;

/// Rows permuted at once, interleaved.
const ROWS_AT_ONCE: usize = 4;
/// Columns permuted at once, interleaved.
const COLUMNS_AT_ONCE: usize = 4;

/// `a + b + 2 · lo32(a) · lo32(b)` on each of the four words.
#[target_feature(enable = "avx2")]
#[inline]
fn mul_add(a: __m256i, b: __m256i) -> __m256i {
    let product = _mm256_mul_epu32(a, b);
    _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(product, product))
}

/// Each word rotated right by 32: its two halves swapped.
#[target_feature(enable = "avx2")]
#[inline]
fn rotr32(x: __m256i) -> __m256i {
    _mm256_shuffle_epi32::<0b10_11_00_01>(x)
}

/// The byte shuffles that rotate each word right by 24 and by 16: byte `k` of the result is
/// byte `k + 3` (or `k + 2`) mod 8 of the word. Made once per block and passed down opaque
/// ([`core::hint::black_box`]): seeing the constant, the compiler turns the rotation by 16
/// into two word shuffles instead of one byte shuffle.
#[derive(Clone, Copy)]
struct Rotations {
    by24: __m256i,
    by16: __m256i,
}

impl Rotations {
    #[target_feature(enable = "avx2")]
    #[inline]
    fn new() -> Rotations {
        Rotations {
            by24: core::hint::black_box(_mm256_setr_epi8(
                3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, //
                3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10,
            )),
            by16: core::hint::black_box(_mm256_setr_epi8(
                2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, //
                2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9,
            )),
        }
    }
}

/// Each word rotated right by 63, that is left by 1.
#[target_feature(enable = "avx2")]
#[inline]
fn rotr63(x: __m256i) -> __m256i {
    _mm256_xor_si256(_mm256_srli_epi64::<63>(x), _mm256_add_epi64(x, x))
}

/// `GB` of RFC 9106 §3.6 on `4N` quadruples at once: `(a[n][i], b[n][i], c[n][i],
/// d[n][i])`. Each step is done for all `N` before the next, so `N` independent chains of
/// multiplications are in flight: one chain alone waits on the latency of each step.
#[target_feature(enable = "avx2")]
#[inline]
fn gb<const N: usize>(
    rot: Rotations,
    a: &mut [__m256i; N],
    b: &mut [__m256i; N],
    c: &mut [__m256i; N],
    d: &mut [__m256i; N],
) {
    for n in 0..N {
        a[n] = mul_add(a[n], b[n]);
    }
    for n in 0..N {
        d[n] = rotr32(_mm256_xor_si256(d[n], a[n]));
    }
    for n in 0..N {
        c[n] = mul_add(c[n], d[n]);
    }
    for n in 0..N {
        b[n] = _mm256_shuffle_epi8(_mm256_xor_si256(b[n], c[n]), rot.by24);
    }
    for n in 0..N {
        a[n] = mul_add(a[n], b[n]);
    }
    for n in 0..N {
        d[n] = _mm256_shuffle_epi8(_mm256_xor_si256(d[n], a[n]), rot.by16);
    }
    for n in 0..N {
        c[n] = mul_add(c[n], d[n]);
    }
    for n in 0..N {
        b[n] = rotr63(_mm256_xor_si256(b[n], c[n]));
    }
}

/// The permutation `P` on `N` sets of sixteen words `v0..v15`, each held as
/// `a[n] = v0..v3`, `b[n] = v4..v7`, `c[n] = v8..v11`, `d[n] = v12..v15`: `GB` on the
/// columns of that 4×4 matrix, then on its diagonals (`b`, `c`, `d` turned by one, two,
/// three words so the diagonals line up, and turned back after).
#[target_feature(enable = "avx2")]
#[inline]
fn permute<const N: usize>(
    rot: Rotations,
    a: &mut [__m256i; N],
    b: &mut [__m256i; N],
    c: &mut [__m256i; N],
    d: &mut [__m256i; N],
) {
    gb(rot, a, b, c, d);
    for n in 0..N {
        b[n] = _mm256_permute4x64_epi64::<0b00_11_10_01>(b[n]);
        c[n] = _mm256_permute4x64_epi64::<0b01_00_11_10>(c[n]);
        d[n] = _mm256_permute4x64_epi64::<0b10_01_00_11>(d[n]);
    }
    gb(rot, a, b, c, d);
    for n in 0..N {
        b[n] = _mm256_permute4x64_epi64::<0b10_01_00_11>(b[n]);
        c[n] = _mm256_permute4x64_epi64::<0b01_00_11_10>(c[n]);
        d[n] = _mm256_permute4x64_epi64::<0b00_11_10_01>(d[n]);
    }
}

/// `(x.low ‖ y.low, x.high ‖ y.high)` in 128-bit halves; its own inverse.
#[target_feature(enable = "avx2")]
#[inline]
fn swap_halves(x: __m256i, y: __m256i) -> (__m256i, __m256i) {
    (
        _mm256_permute2x128_si256::<0x20>(x, y),
        _mm256_permute2x128_si256::<0x31>(x, y),
    )
}

/// `P` on the rows, `N` at a time: row i is the words 16i..16i+16, vectors 4i..4i+4.
#[target_feature(enable = "avx2")]
#[inline]
fn rows<const N: usize>(rot: Rotations, r: &mut [__m256i; VECTORS]) {
    for group in r.chunks_exact_mut(4 * N) {
        let mut a: [__m256i; N] = [_mm256_setzero_si256(); N];
        let (mut b, mut c, mut d) = (a, a, a);
        for n in 0..N {
            (a[n], b[n]) = (group[4 * n], group[4 * n + 1]);
            (c[n], d[n]) = (group[4 * n + 2], group[4 * n + 3]);
        }
        permute::<N>(rot, &mut a, &mut b, &mut c, &mut d);
        for n in 0..N {
            (group[4 * n], group[4 * n + 1]) = (a[n], b[n]);
            (group[4 * n + 2], group[4 * n + 3]) = (c[n], d[n]);
        }
    }
}

/// `P` on the columns, `N` at a time (`N` even). Columns 2k and 2k+1 are the word pairs 2k
/// and 2k+1 of every row, the two halves of the vectors 4i+k: v0..v3 come from rows 0 and
/// 1, v4..v7 from rows 2 and 3, and so on.
#[target_feature(enable = "avx2")]
#[inline]
fn columns<const N: usize>(rot: Rotations, r: &mut [__m256i; VECTORS]) {
    for first in (0..4).step_by(N / 2) {
        let mut a: [__m256i; N] = [_mm256_setzero_si256(); N];
        let (mut b, mut c, mut d) = (a, a, a);
        for j in 0..N / 2 {
            let k = first + j;
            (a[2 * j], a[2 * j + 1]) = swap_halves(r[k], r[4 + k]);
            (b[2 * j], b[2 * j + 1]) = swap_halves(r[8 + k], r[12 + k]);
            (c[2 * j], c[2 * j + 1]) = swap_halves(r[16 + k], r[20 + k]);
            (d[2 * j], d[2 * j + 1]) = swap_halves(r[24 + k], r[28 + k]);
        }
        permute::<N>(rot, &mut a, &mut b, &mut c, &mut d);
        for j in 0..N / 2 {
            let k = first + j;
            (r[k], r[4 + k]) = swap_halves(a[2 * j], a[2 * j + 1]);
            (r[8 + k], r[12 + k]) = swap_halves(b[2 * j], b[2 * j + 1]);
            (r[16 + k], r[20 + k]) = swap_halves(c[2 * j], c[2 * j + 1]);
            (r[24 + k], r[28 + k]) = swap_halves(d[2 * j], d[2 * j + 1]);
        }
    }
}

/// One step of the fill, as [`crate::portable::fill_block`]: `dst = G(prev, refb)`, or
/// `dst ^= G(prev, refb)` when `xor_old`.
#[target_feature(enable = "avx2")]
pub(crate) fn fill_block(prev: &Block, refb: &Block, dst: &mut Block, xor_old: bool) {
    let prev = prev.0.as_ptr().cast::<__m256i>();
    let refb = refb.0.as_ptr().cast::<__m256i>();
    let out = dst.0.as_mut_ptr().cast::<__m256i>();
    // SAFETY (every load and store below): a block is 32 vectors long and 64-byte aligned
    // (`Block` is `repr(align(64))`), and `i < VECTORS`.
    let rot = Rotations::new();
    let mut r = [_mm256_setzero_si256(); VECTORS];
    for (i, v) in r.iter_mut().enumerate() {
        unsafe {
            *v = _mm256_xor_si256(
                _mm256_load_si256(prev.add(i)),
                _mm256_load_si256(refb.add(i)),
            );
        }
    }
    // R (and the old block, when it is kept) stored now: P(R) is XORed onto it at the end.
    for (i, v) in r.iter().enumerate() {
        unsafe {
            let keep = if xor_old {
                _mm256_xor_si256(*v, _mm256_load_si256(out.add(i)))
            } else {
                *v
            };
            _mm256_store_si256(out.add(i), keep);
        }
    }
    rows::<ROWS_AT_ONCE>(rot, &mut r);
    columns::<COLUMNS_AT_ONCE>(rot, &mut r);
    for (i, v) in r.iter().enumerate() {
        unsafe {
            let done = _mm256_xor_si256(*v, _mm256_load_si256(out.add(i)));
            _mm256_store_si256(out.add(i), done);
        }
    }
}
