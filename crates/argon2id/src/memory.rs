//! The memory matrix: `m'` blocks of 1 KiB, allocated once (failing with an error, not an
//! abort, when the system has not got it) and wiped before it is freed.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

use zeroize::Zeroize;

/// Words (u64) in a block.
pub(crate) const WORDS: usize = 128;

/// One 1 KiB block of the matrix, as 128 little-endian words. Aligned to a cache line, so
/// the AVX2 fill can use aligned loads and a block never straddles two more lines than it
/// must.
#[derive(Clone)]
#[repr(C, align(64))]
pub(crate) struct Block(pub(crate) [u64; WORDS]);

impl Block {
    pub(crate) const ZERO: Block = Block([0; WORDS]);

    /// The block whose little-endian bytes are `bytes`.
    pub(crate) fn from_le_bytes(bytes: &[u8; 8 * WORDS]) -> Block {
        let mut block = Block::ZERO;
        for (word, chunk) in block.0.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(chunk);
            *word = u64::from_le_bytes(le);
            le.zeroize();
        }
        block
    }

    /// The block's little-endian bytes, written into `bytes`.
    pub(crate) fn to_le_bytes(&self, bytes: &mut [u8; 8 * WORDS]) {
        for (word, chunk) in self.0.iter().zip(bytes.chunks_exact_mut(8)) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
    }

    pub(crate) fn xor_assign(&mut self, other: &Block) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a ^= b;
        }
    }
}

impl Zeroize for Block {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// A block that wipes itself when it drops: H0-derived blocks, the final XOR, the address
/// blocks of the data-independent segments.
pub(crate) struct SecretBlock(pub(crate) Block);

impl Drop for SecretBlock {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The memory matrix. Shared by the lane threads through raw pointers: in each slice a
/// thread writes only the blocks of its own lanes' segments, and reads only blocks no other
/// thread writes in that slice (RFC 9106 §3.4: a reference into another lane never points
/// into that lane's current segment).
pub(crate) struct Memory {
    blocks: NonNull<Block>,
    len: usize,
    layout: Layout,
}

/// Huge page size (x86-64 and aarch64 Linux): a matrix of at least this much is aligned to
/// it, so the kernel can back it with huge pages.
const HUGE_PAGE: usize = 2 * 1024 * 1024;

// SAFETY: `Memory` owns its allocation; the fill coordinates which thread touches which
// block (see the type's documentation), and joins every thread before the next slice.
unsafe impl Send for Memory {}
unsafe impl Sync for Memory {}

impl Memory {
    /// Room for `len` blocks, or `None` when the size overflows or the allocation fails.
    /// The blocks are not initialised: the fill writes every block before it reads it (the
    /// first two of each lane from H0, every other one before any later block can refer to
    /// it), and the wipe writes through raw pointers. Zeroed memory would cost a 64 MiB
    /// `memset` (the system allocator has no `calloc` for 64-byte alignment).
    ///
    /// On Linux a matrix of 2 MiB or more is aligned to 2 MiB and marked for transparent
    /// huge pages (`madvise`): the reference blocks are read at random all over the
    /// matrix, and with 4 KiB pages nearly every one of those reads misses the TLB, and
    /// every page costs a fault when it is first written.
    pub(crate) fn new(len: usize) -> Option<Memory> {
        let mut layout = Layout::array::<Block>(len).ok()?;
        if layout.size() == 0 {
            return None;
        }
        let huge = cfg!(target_os = "linux") && layout.size() >= HUGE_PAGE;
        if huge {
            layout = layout.align_to(HUGE_PAGE).ok()?;
        }
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc(layout) };
        let blocks = NonNull::new(raw.cast::<Block>())?;
        #[cfg(target_os = "linux")]
        if huge {
            // SAFETY: the range is the allocation just made. A refusal (no THP in this
            // kernel) changes nothing but the speed.
            unsafe { libc::madvise(raw.cast(), layout.size(), libc::MADV_HUGEPAGE) };
        }
        Some(Memory {
            blocks,
            len,
            layout,
        })
    }

    /// Number of blocks.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The block at `index`, as a raw pointer: the caller dereferences it under the rule of
    /// the type's documentation, and only once the block has been written. Panics on an
    /// index out of range.
    pub(crate) fn block(&self, index: usize) -> *mut Block {
        assert!(index < self.len, "block {index} outside the matrix");
        // SAFETY: in bounds of the allocation, just checked.
        unsafe { self.blocks.as_ptr().add(index) }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // Wiped with one `memset` (the system's, with streaming stores for a region this
        // large; word-by-word volatile writes took twice as long), then the pointer handed
        // to `black_box`, which the compiler must assume reads the memory: the stores
        // cannot be dropped as dead before the free. Raw pointers, because a fill cut short
        // by a panic leaves blocks never written.
        let blocks = self.blocks.as_ptr();
        // SAFETY: `len` blocks are allocated; no thread uses them any more (`&mut self`).
        unsafe { std::ptr::write_bytes(blocks, 0, self.len) };
        std::hint::black_box(blocks);
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
        // SAFETY: allocated in `new` with this very layout.
        unsafe { alloc::dealloc(self.blocks.as_ptr().cast::<u8>(), self.layout) };
    }
}
