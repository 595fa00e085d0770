//! Where [`SecretString`](crate::secret::SecretString)s keep their text: slots in chunks of
//! memory set aside for secrets, locked in RAM once per chunk, so that ten thousand secrets
//! take a few locked pages and a few system calls instead of one page (and one `mlock`) each.
//!
//! Slots come in power-of-two sizes from 16 bytes to 4 KiB; a chunk of 64 KiB holds slots of
//! one size. A freed slot is zeroized and reused; chunks are never given back. A text above
//! 4 KiB gets a block of whole pages of its own, locked, and unlocked and freed with it.

use std::alloc::Layout;
use std::ptr::NonNull;
use std::sync::{Mutex, OnceLock};

use zeroize::Zeroize;

const CLASSES: [usize; 9] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
const CHUNK: usize = 64 * 1024;

/// A slot holding a secret's bytes. Free it with [`free`].
pub(crate) struct Slot {
    ptr: NonNull<u8>,
    /// The slot's size (a class, or the pages of a large block); 0 for the empty slot.
    cap: usize,
    locked: bool,
}

// SAFETY: a slot is owned memory, reached only through its owner (`SecretString`).
unsafe impl Send for Slot {}
// SAFETY: shared access only reads the bytes.
unsafe impl Sync for Slot {}

impl Slot {
    /// The empty slot: no memory.
    pub(crate) const fn empty() -> Slot {
        Slot {
            ptr: NonNull::dangling(),
            cap: 0,
            locked: false,
        }
    }

    /// The first `len` bytes (`len` at most the size asked of [`alloc`]).
    pub(crate) fn bytes(&self, len: usize) -> &[u8] {
        if self.cap == 0 {
            return &[];
        }
        // SAFETY: `ptr` is valid for `cap` bytes, `len <= cap`, written before reading.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), len.min(self.cap)) }
    }

    /// True when its memory is locked in RAM.
    pub(crate) fn is_locked(&self) -> bool {
        self.locked
    }
}

struct Free {
    /// Free slots per class: address and whether their chunk is locked.
    slots: [Vec<(usize, bool)>; CLASSES.len()],
}

fn arena() -> &'static Mutex<Free> {
    static FREE: OnceLock<Mutex<Free>> = OnceLock::new();
    FREE.get_or_init(|| {
        Mutex::new(Free {
            slots: Default::default(),
        })
    })
}

fn page_layout(size: usize) -> Option<Layout> {
    let page = super::page_size();
    Layout::from_size_align(size.div_ceil(page) * page, page).ok()
}

/// A slot with room for `bytes`, filled with a copy of them.
pub(crate) fn alloc_copy(bytes: &[u8]) -> Slot {
    let len = bytes.len();
    if len == 0 {
        return Slot::empty();
    }
    let slot = match CLASSES.iter().position(|&c| c >= len) {
        Some(class) => small(class),
        None => large(len),
    };
    // SAFETY: the slot has room for `len` bytes and does not overlap `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), slot.ptr.as_ptr(), len) };
    slot
}

fn small(class: usize) -> Slot {
    let mut free = arena().lock().unwrap_or_else(|p| p.into_inner());
    if free.slots[class].is_empty() {
        let Some(layout) = page_layout(CHUNK) else {
            std::alloc::handle_alloc_error(Layout::new::<u8>());
        };
        // SAFETY: the layout has a non-zero size.
        let chunk = unsafe { std::alloc::alloc(layout) };
        if chunk.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        let locked = super::lock_pages(chunk as usize, layout.size());
        let size = CLASSES[class];
        // Handed out from the start of the chunk.
        free.slots[class].extend(
            (0..layout.size() / size)
                .rev()
                .map(|i| (chunk as usize + i * size, locked)),
        );
    }
    let Some((addr, locked)) = free.slots[class].pop() else {
        unreachable!("a class with no free slot was just refilled");
    };
    Slot {
        // SAFETY: slot addresses come from a non-null chunk.
        ptr: unsafe { NonNull::new_unchecked(addr as *mut u8) },
        cap: CLASSES[class],
        locked,
    }
}

fn large(len: usize) -> Slot {
    let Some(layout) = page_layout(len) else {
        std::alloc::handle_alloc_error(Layout::new::<u8>());
    };
    // SAFETY: the layout has a non-zero size.
    let block = unsafe { std::alloc::alloc(layout) };
    let Some(ptr) = NonNull::new(block) else {
        std::alloc::handle_alloc_error(layout);
    };
    let locked = super::lock_pages(block as usize, layout.size());
    Slot {
        ptr,
        cap: layout.size(),
        locked,
    }
}

/// Zeroizes the slot and gives it back.
pub(crate) fn free(slot: &mut Slot) {
    if slot.cap == 0 {
        return;
    }
    // SAFETY: the slot's memory is valid for `cap` bytes and owned by it.
    unsafe { std::slice::from_raw_parts_mut(slot.ptr.as_ptr(), slot.cap) }.zeroize();
    let taken = std::mem::replace(slot, Slot::empty());
    match CLASSES.iter().position(|&c| c == taken.cap) {
        Some(class) if taken.cap <= CLASSES[CLASSES.len() - 1] => {
            let mut free = arena().lock().unwrap_or_else(|p| p.into_inner());
            free.slots[class].push((taken.ptr.as_ptr() as usize, taken.locked));
        }
        _ => {
            if taken.locked {
                super::unlock_pages(taken.ptr.as_ptr() as usize, taken.cap);
            }
            if let Some(layout) = page_layout(taken.cap) {
                // SAFETY: allocated by `large` with this very layout.
                unsafe { std::alloc::dealloc(taken.ptr.as_ptr(), layout) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_zeroized_and_large_texts_get_their_own_pages() {
        let mut a = alloc_copy(b"first secret");
        assert_eq!(a.bytes(12), b"first secret");
        assert_eq!(a.cap, 16);
        free(&mut a);
        assert_eq!(a.cap, 0, "the owner is left with the empty slot");
        // (That a freed slot is zeroized is checked by tests/memory.rs's scan: the arena's
        // memory is never freed, so only `free` can wipe it.)
        let big = vec![b'x'; 10_000];
        let mut b = alloc_copy(&big);
        assert_eq!(b.bytes(10_000), &big[..]);
        assert!(b.cap >= 10_000 && b.cap.is_multiple_of(super::super::page_size()));
        free(&mut b);
        assert!(alloc_copy(b"").bytes(0).is_empty());
    }
}
