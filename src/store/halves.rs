//! Work split in two for a large vault: one part on a thread of its own, the other on the
//! calling thread (serialising, sealing and stamping 10 000 keys each take both cores).

use std::sync::{Mutex, PoisonError};

/// Runs `there` on a new thread named `name` while `here` runs on the calling thread, and
/// returns both results. When no thread can be started, `there` runs here after `here`; a
/// panic on the other thread is raised again here.
pub(super) fn run_both<A, B: Send>(
    name: &str,
    here: impl FnOnce() -> A,
    there: impl FnOnce() -> B + Send,
) -> (A, B) {
    let there = Mutex::new(Some(there));
    // Takes `there` out and runs it, wherever it is called first.
    let run_there = || {
        let taken = there.lock().unwrap_or_else(PoisonError::into_inner).take();
        taken.map(|f| f())
    };
    std::thread::scope(|scope| {
        let other = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn_scoped(scope, run_there);
        let a = here();
        let b = match other {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread: `there` was never taken, and runs here.
            Err(_) => run_there(),
        };
        match b {
            Some(b) => (a, b),
            None => unreachable!("`there` is taken once, by whichever thread runs it"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_run_and_the_second_on_its_own_named_thread() {
        let mut here = Vec::new();
        let (a, b) = run_both(
            "keyward-test",
            || {
                here.push(1);
                std::thread::current().name().map(str::to_owned)
            },
            || std::thread::current().name().map(str::to_owned),
        );
        assert_eq!(here, [1]);
        assert_ne!(a.as_deref(), Some("keyward-test"));
        assert_eq!(b.as_deref(), Some("keyward-test"));
    }

    #[test]
    fn a_panic_on_the_other_thread_is_raised_here() {
        let caught = std::panic::catch_unwind(|| run_both("keyward-test", || 1, || panic!("boom")));
        assert!(caught.is_err());
    }
}
