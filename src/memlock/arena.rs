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

/// A slot holding a secret's bytes (and their length). Free it with [`free`].
///
/// The slot's size is not stored: the text never changes, so the size is a function of its
/// length ([`size_for`]). That keeps a slot, and so a `SecretString`, at three words.
pub(crate) struct Slot {
    ptr: NonNull<u8>,
    /// The bytes written; 0 for the empty slot, which has no memory.
    len: usize,
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
            len: 0,
            locked: false,
        }
    }

    /// The bytes it holds.
    pub(crate) fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `ptr` is valid for the slot's size, at least `len`, all written by
        // `alloc_copy`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// How many bytes it holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// True when its memory is locked in RAM.
    pub(crate) fn is_locked(&self) -> bool {
        self.locked
    }
}

/// Where a text of `len` bytes (non-zero) lives: `Ok(class)` for a slot of `CLASSES[class]`
/// bytes, `Err(layout)` for a block of whole pages of its own (`None`: no layout can hold
/// that many bytes).
fn size_for(len: usize) -> Result<usize, Option<Layout>> {
    match CLASSES.iter().position(|&c| c >= len) {
        Some(class) => Ok(class),
        None => Err(page_layout(len)),
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

/// A slot filled with a copy of `bytes`.
pub(crate) fn alloc_copy(bytes: &[u8]) -> Slot {
    let len = bytes.len();
    if len == 0 {
        return Slot::empty();
    }
    let (ptr, locked) = match size_for(len) {
        Ok(class) => small(class),
        Err(layout) => large(layout),
    };
    // SAFETY: the slot has room for `len` bytes and does not overlap `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), len) };
    Slot { ptr, len, locked }
}

/// A free slot of `CLASSES[class]` bytes: its address and whether it is locked.
fn small(class: usize) -> (NonNull<u8>, bool) {
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
    // SAFETY: slot addresses come from a non-null chunk.
    (unsafe { NonNull::new_unchecked(addr as *mut u8) }, locked)
}

/// A block of whole pages of its own (`None`: a size no layout can have).
fn large(layout: Option<Layout>) -> (NonNull<u8>, bool) {
    let Some(layout) = layout else {
        std::alloc::handle_alloc_error(Layout::new::<u8>());
    };
    // SAFETY: the layout has a non-zero size.
    let block = unsafe { std::alloc::alloc(layout) };
    let Some(ptr) = NonNull::new(block) else {
        std::alloc::handle_alloc_error(layout);
    };
    let locked = super::lock_pages(block as usize, layout.size());
    (ptr, locked)
}

/// Zeroizes the slot and gives it back.
pub(crate) fn free(slot: &mut Slot) {
    if slot.len == 0 {
        return;
    }
    let taken = std::mem::replace(slot, Slot::empty());
    match size_for(taken.len) {
        Ok(class) => {
            // SAFETY: the slot's memory is valid for its class's size and owned by it.
            unsafe { std::slice::from_raw_parts_mut(taken.ptr.as_ptr(), CLASSES[class]) }.zeroize();
            let mut free = arena().lock().unwrap_or_else(|p| p.into_inner());
            free.slots[class].push((taken.ptr.as_ptr() as usize, taken.locked));
        }
        Err(Some(layout)) => {
            // SAFETY: allocated by `large` with this very layout (the same length).
            unsafe { std::slice::from_raw_parts_mut(taken.ptr.as_ptr(), layout.size()) }.zeroize();
            if taken.locked {
                super::unlock_pages(taken.ptr.as_ptr() as usize, layout.size());
            }
            // SAFETY: allocated by `large` with this very layout.
            unsafe { std::alloc::dealloc(taken.ptr.as_ptr(), layout) };
        }
        Err(None) => unreachable!("a slot of this length could not have been allocated"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_zeroized_and_large_texts_get_their_own_pages() {
        let mut a = alloc_copy(b"first secret");
        assert_eq!(a.bytes(), b"first secret");
        assert_eq!(size_for(a.len()), Ok(0), "the 16-byte class");
        free(&mut a);
        assert_eq!(a.len(), 0, "the owner is left with the empty slot");
        assert!(a.bytes().is_empty());
        // (That a freed slot is zeroized is checked by tests/memory.rs's scan: the arena's
        // memory is never freed, so only `free` can wipe it.)
        let big = vec![b'x'; 10_000];
        let mut b = alloc_copy(&big);
        assert_eq!(b.bytes(), &big[..]);
        let size = size_for(b.len()).err().flatten().map(|l| l.size());
        assert!(size.is_some_and(|s| s >= 10_000 && s.is_multiple_of(super::super::page_size())));
        free(&mut b);
        assert!(alloc_copy(b"").bytes().is_empty());
        assert_eq!(size_of::<Slot>(), 3 * size_of::<usize>());
        assert_eq!(size_of::<Option<Slot>>(), size_of::<Slot>());
    }
}
