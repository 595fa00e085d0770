//! Keeping secrets out of swap and core dumps, best effort: the pages that hold a secret are
//! locked in RAM (`mlock` on Linux and macOS, `VirtualLock` on Windows) and left out of core
//! dumps (`madvise(MADV_DONTDUMP)` on Linux).
//!
//! Secrets share pages with other heap data, and the kernel does not count locks (one
//! `munlock` undoes every `mlock` of a page), so the locked pages are counted here: a page is
//! locked when the first secret on it is, and unlocked when the last one goes.
//!
//! The lock is best effort. When the limit on locked memory (`RLIMIT_MEMLOCK`, `ulimit -l`) is
//! reached, one warning goes to stderr (as rbw does), what does not fit stays unlocked, and
//! nothing fails.
//!
//! - [`SecretString`](crate::secret::SecretString) keeps its text in an arena of chunks set
//!   aside for secrets (`memlock/arena.rs`), locked once per 64 KiB chunk: ten thousand keys
//!   take a few hundred KiB of locked memory and a few system calls.
//! - [`SecretBytes`](crate::secret::SecretBytes) (decrypted payloads, key files) locks its
//!   own buffer's pages through [`Region`].
//! - [`Locked`] is a boxed value (a derived key, say: `Locked<[u8; 32]>`) whose memory is
//!   locked while it lives and zeroized then unlocked when dropped. Use it for anything
//!   secret of a fixed size that lives as long as a session.
//! - [`WipeOnFree`] is the binary's global allocator: it zeroes every block it frees, so
//!   that the copies egui, AccessKit and growing buffers make of a revealed or typed secret
//!   (galleys, accessibility labels, reallocated `String`s) do not survive in freed memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use zeroize::Zeroize;

mod arena;
pub(crate) use arena::{Slot, alloc_copy, free};

/// Set once locking failed because of the limit (the warning has been printed).
static LIMIT_HIT: AtomicBool = AtomicBool::new(false);

/// How many live secrets use each locked page (by page number).
fn pages() -> &'static Mutex<HashMap<usize, u32>> {
    static PAGES: OnceLock<Mutex<HashMap<usize, u32>>> = OnceLock::new();
    PAGES.get_or_init(|| Mutex::new(HashMap::new()))
}

fn page_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(os::page_size)
}

/// The pages of one secret's buffer that this module locked; unlock them with
/// [`Region::unlock`] (after zeroizing the buffer) before the buffer is freed.
#[derive(Debug, Default)]
pub struct Region {
    /// First page number and the number of pages; empty when nothing was locked.
    first: usize,
    count: usize,
}

impl Region {
    /// Locks the pages of `len` bytes at `ptr` (best effort). An empty buffer locks nothing.
    /// Pages no other secret has locked are locked in runs, one call per run; at the first
    /// run the system refuses (the limit), the rest stays unlocked.
    pub fn lock(ptr: *const u8, len: usize) -> Region {
        if len == 0 {
            return Region::default();
        }
        let size = page_size();
        let start = ptr as usize;
        let first = start / size;
        let last = (start + len - 1) / size;
        let mut map = pages().lock().unwrap_or_else(|p| p.into_inner());
        // The pages counted so far: [first, counted).
        let mut counted = first;
        let mut page = first;
        while page <= last {
            // A page in the map is locked (counts never stay at 0).
            if map.contains_key(&page) {
                *map.entry(page).or_insert(0) += 1;
                page += 1;
                counted = page;
                continue;
            }
            let run = page;
            while page <= last && !map.contains_key(&page) {
                page += 1;
            }
            if !os::lock(run * size, (page - run) * size) {
                limit_hit();
                break;
            }
            for locked in run..page {
                map.insert(locked, 1);
            }
            counted = page;
        }
        Region {
            first,
            count: counted - first,
        }
    }

    /// Unlocks the pages no other secret uses any more. Zeroize the buffer first.
    pub fn unlock(&mut self) {
        if self.count == 0 {
            return;
        }
        let size = page_size();
        let mut map = pages().lock().unwrap_or_else(|p| p.into_inner());
        for page in self.first..self.first + self.count {
            if let Some(count) = map.get_mut(&page) {
                *count -= 1;
                if *count == 0 {
                    map.remove(&page);
                    os::unlock(page * size, size);
                }
            }
        }
        self.count = 0;
    }

    /// True when at least one page was locked.
    pub fn is_locked(&self) -> bool {
        self.count > 0
    }
}

/// Locks `len` bytes of whole pages at `addr` that hold only secrets (the arena's chunks):
/// no counting needed. False (and the one warning) when the system refused.
fn lock_pages(addr: usize, len: usize) -> bool {
    let locked = os::lock(addr, len);
    if !locked {
        limit_hit();
    }
    locked
}

fn unlock_pages(addr: usize, len: usize) {
    os::unlock(addr, len);
}

fn limit_hit() {
    if !LIMIT_HIT.swap(true, Ordering::SeqCst) {
        eprintln!("keyward: {}", limit_warning());
    }
}

/// The one warning printed when secrets can no longer be locked in RAM.
pub fn limit_warning() -> String {
    format!(
        "warning: could not lock secrets in RAM ({}; locked-memory limit {}); later secrets \
         may be written to swap. Raise the limit (ulimit -l) to avoid this.",
        std::io::Error::last_os_error(),
        os::limit_text()
    )
}

/// True once the limit on locked memory was reached (and the warning printed).
pub fn limit_reached() -> bool {
    LIMIT_HIT.load(Ordering::SeqCst)
}

/// A boxed secret value whose memory is locked in RAM while it lives (best effort) and
/// zeroized, then unlocked, when it is dropped. `Debug` shows no value.
///
/// For the derived key of a session (`Locked<[u8; 32]>`) and any fixed-size secret: the box
/// never moves, so the lock stays on the value's own pages.
pub struct Locked<T: Zeroize> {
    value: Box<T>,
    region: Region,
}

impl<T: Zeroize> Locked<T> {
    /// Copies `value` (plain data: a byte array) into locked memory and zeroizes the
    /// original. Prefer [`Locked::new_default`] and filling it in place through
    /// [`Locked::expose_mut`], so that no copy is ever made.
    pub fn new(mut value: T) -> Self
    where
        T: Copy,
    {
        let locked = Self::boxed(Box::new(value));
        value.zeroize();
        locked
    }

    /// A locked `T::default()`, to be filled in place through [`Locked::expose_mut`].
    pub fn new_default() -> Self
    where
        T: Default,
    {
        Self::boxed(Box::default())
    }

    fn boxed(value: Box<T>) -> Self {
        let ptr = std::ptr::from_ref::<T>(&value).cast::<u8>();
        let region = Region::lock(ptr, std::mem::size_of::<T>());
        Locked { value, region }
    }

    /// The value.
    pub fn expose(&self) -> &T {
        &self.value
    }

    /// The value, to be filled in place (deriving a key into it).
    pub fn expose_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// True when its pages are locked (false once the limit was reached).
    pub fn is_locked(&self) -> bool {
        self.region.is_locked()
    }
}

impl<T: Zeroize> std::ops::Deref for Locked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Zeroize> std::ops::DerefMut for Locked<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// A clone is a second locked copy (plain data only), filled in place.
impl<T: Zeroize + Copy + Default> Clone for Locked<T> {
    fn clone(&self) -> Self {
        let mut copy = Self::new_default();
        *copy.expose_mut() = *self.expose();
        copy
    }
}

impl<T: Zeroize + Default> Default for Locked<T> {
    fn default() -> Self {
        Self::new_default()
    }
}

impl<T: Zeroize> Drop for Locked<T> {
    fn drop(&mut self) {
        self.value.zeroize();
        self.region.unlock();
    }
}

impl<T: Zeroize> std::fmt::Debug for Locked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::secret::REDACTED)
    }
}

/// A global allocator over the system's that zeroes every block before freeing it, and
/// reallocates by copying (so the old block is zeroed too; the system's `realloc` would free
/// it as it is). Registered by the keyward binary (`src/main.rs`):
///
/// ```ignore
/// #[global_allocator]
/// static ALLOCATOR: keyward::memlock::WipeOnFree = keyward::memlock::WipeOnFree;
/// ```
pub struct WipeOnFree;

// SAFETY: every method hands the request to `System` unchanged; `dealloc` only writes inside
// the block it is about to free, which the caller owns.
unsafe impl std::alloc::GlobalAlloc for WipeOnFree {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes owned by the caller.
        unsafe {
            std::ptr::write_bytes(ptr, 0, layout.size());
        }
        // The zeroes must reach memory although the block is freed next: the optimiser
        // drops stores to memory that is freed, unless the pointer escapes first.
        std::hint::black_box(ptr);
        // SAFETY: the caller's contract is passed on.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// The kilobytes of memory the process has locked now (`VmLck` of `/proc/self/status`), on
/// Linux; `None` elsewhere or when it cannot be read. For tests and diagnostics.
pub fn locked_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmLck:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(unix)]
mod os {
    pub fn page_size() -> usize {
        // SAFETY: sysconf with a constant name has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size)
            .ok()
            .filter(|&s| s > 0)
            .unwrap_or(4096)
    }

    /// Locks one page and leaves it out of core dumps; false when the lock failed.
    pub fn lock(addr: usize, len: usize) -> bool {
        let ptr = addr as *mut libc::c_void;
        #[cfg(target_os = "linux")]
        // SAFETY: `ptr` is the start of a mapped page holding a live allocation; madvise
        // only changes how the kernel dumps it. Failure is harmless.
        unsafe {
            libc::madvise(ptr, len, libc::MADV_DONTDUMP);
        }
        // SAFETY: as above; mlock does not touch the memory's contents.
        unsafe { libc::mlock(ptr, len) == 0 }
    }

    pub fn unlock(addr: usize, len: usize) {
        // SAFETY: the page was locked by `lock` and still holds the allocation being freed.
        unsafe {
            libc::munlock(addr as *const libc::c_void, len);
        }
    }

    pub fn limit_text() -> String {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid, writable rlimit.
        if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) } != 0 {
            return "unknown".to_owned();
        }
        if limit.rlim_cur == libc::RLIM_INFINITY {
            "unlimited".to_owned()
        } else {
            format!("{} KiB", limit.rlim_cur / 1024)
        }
    }
}

#[cfg(windows)]
mod os {
    use windows_sys::Win32::System::Memory::{VirtualLock, VirtualUnlock};
    use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};

    pub fn page_size() -> usize {
        // SAFETY: GetSystemInfo fills the struct it is given; all-zero is a valid start.
        let mut info: SYSTEM_INFO = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is valid and writable.
        unsafe { GetSystemInfo(&mut info) };
        usize::try_from(info.dwPageSize)
            .ok()
            .filter(|&s| s > 0)
            .unwrap_or(4096)
    }

    pub fn lock(addr: usize, len: usize) -> bool {
        // SAFETY: the page is committed memory holding a live allocation.
        unsafe { VirtualLock(addr as *const core::ffi::c_void, len) != 0 }
    }

    pub fn unlock(addr: usize, len: usize) {
        // SAFETY: the page was locked by `lock` and is still committed.
        unsafe {
            VirtualUnlock(addr as *const core::ffi::c_void, len);
        }
    }

    pub fn limit_text() -> String {
        "the working set's minimum size".to_owned()
    }
}

#[cfg(not(any(unix, windows)))]
mod os {
    pub fn page_size() -> usize {
        4096
    }
    pub fn lock(_addr: usize, _len: usize) -> bool {
        false
    }
    pub fn unlock(_addr: usize, _len: usize) {}
    pub fn limit_text() -> String {
        "not supported here".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_key_is_zeroized_on_drop_and_hides_in_debug() {
        let mut key: Locked<[u8; 32]> = Locked::new_default();
        key.expose_mut().copy_from_slice(&[7u8; 32]);
        assert_eq!(key.expose(), &[7u8; 32]);
        assert_eq!(format!("{key:?}"), crate::secret::REDACTED);
        let moved = Locked::new([9u8; 16]);
        assert_eq!(moved.expose(), &[9u8; 16]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pages_are_counted_so_that_a_shared_page_stays_locked() {
        // Two secrets in one page-aligned buffer: unlocking one leaves the page locked.
        let size = page_size();
        let buffer = vec![0u8; size * 3];
        let start = buffer.as_ptr() as usize;
        let aligned = start.div_ceil(size) * size;
        let ptr = aligned as *const u8;
        let mut a = Region::lock(ptr, 16);
        // SAFETY: `aligned + 100` is inside `buffer` (it spans three pages).
        let mut b = Region::lock(unsafe { ptr.add(100) }, 16);
        assert!(
            a.is_locked() && b.is_locked(),
            "ulimit -l too low for the test"
        );
        let page = aligned / size;
        let count = |p| pages().lock().map(|m| m.get(&p).copied()).unwrap_or(None);
        assert_eq!(count(page), Some(2));
        a.unlock();
        assert_eq!(count(page), Some(1));
        assert!(page_is_locked(aligned), "still locked for the other secret");
        b.unlock();
        assert_eq!(count(page), None);
        assert!(!page_is_locked(aligned));
        drop(buffer);
    }

    /// Whether the kernel has the page at `addr` locked, from /proc/self/smaps' VMA flags.
    #[cfg(target_os = "linux")]
    fn page_is_locked(addr: usize) -> bool {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = lo <= addr && addr < hi;
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.split_whitespace().any(|f| f == "lo");
            }
        }
        false
    }
}
