//! `keyward mount` (issue 15 item 5): a FIFO (named pipe) that hands a freshly rendered file to
//! each program that opens it, for programs that insist on reading a `.env` — the secrets
//! never sit in a regular file.
//!
//! [`serve`] creates the FIFO (mode 0600, never over an existing path), then for each reader:
//! renders the text (the caller's `render`, which `keyward mount` makes [`crate::inject::inject`]),
//! writes it, wipes the buffer and closes, so the reader sees the end of the file. It stops on
//! SIGINT, SIGTERM or SIGHUP and removes the FIFO — on every error path too (a guard).
//!
//! Details that matter:
//! - A reader that goes away mid-write (EPIPE) is reported and survived (SIGPIPE is ignored,
//!   and writes are non-blocking with a poll, so a stop is seen even while a reader stalls).
//! - Each reader gets a FIFO of its own: as soon as a reader has opened it, a new FIFO is made
//!   beside the path and renamed over it (atomically, so the path never goes missing), and
//!   only then is the copy written. A program that opens the path meanwhile gets the new one
//!   (not the rest of this copy), and a reader that keeps the old one open after the end of
//!   its copy sees the end again, never a second copy. Readers that open the path at the very
//!   same moment share one FIFO (and one copy): serve one reader at a time.
//! - Each open is checked to be the FIFO made here (same device and inode, not followed
//!   through a symlink): if the path was replaced meanwhile nothing is written and the mount
//!   stops with an error; the FIFO is removed at the end only when it is still the one made.
//! - Only Unix (Linux, macOS) has FIFOs that programs open as files; elsewhere [`serve`]
//!   returns [`MountError::Unsupported`].

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// Why a mount could not start or had to stop. Messages never hold a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MountError {
    /// This platform has no FIFOs (Windows).
    #[error(
        "keyward mount is not available on this system: it needs a FIFO (named pipe) that \
         programs open as a file, which only Linux and macOS have; use `keyward exec \
         --env-file TEMPLATE -- COMMAND` or `keyward inject -i TEMPLATE -o OUT` instead"
    )]
    Unsupported,
    /// The path exists: a mount never replaces a file.
    #[error(
        "{} exists; keyward mount creates a new FIFO there and never replaces a file: \
         remove it or pick a path that does not exist",
        path.display()
    )]
    Exists {
        /// The path asked for.
        path: PathBuf,
    },
    /// The FIFO was replaced by something else while mounted.
    #[error(
        "{} is no longer the FIFO keyward made (something replaced it); nothing was written \
         to it and the mount stopped",
        path.display()
    )]
    Replaced {
        /// The mount path.
        path: PathBuf,
    },
    /// The text to serve could not be rendered.
    #[error("{0}")]
    Render(String),
    /// An operating system error, as a sentence.
    #[error("{0}")]
    Io(String),
}

/// What happened while mounted, for the caller to report (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The FIFO exists and waits for readers.
    Mounted,
    /// Reader number `n` (from 1) got the whole file.
    Served {
        /// Which reader.
        n: u64,
    },
    /// Reader number `n` closed the FIFO before reading all of it.
    ReaderLeft {
        /// Which reader.
        n: u64,
    },
}

/// How a mount ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// Readers that got the whole file.
    pub served: u64,
    /// The signal that stopped it (SIGINT, SIGTERM or SIGHUP).
    pub signal: i32,
}

/// Creates the FIFO at `path` and serves `render()` to each reader until SIGINT, SIGTERM or
/// SIGHUP; the FIFO is removed before this returns, whatever the outcome.
pub fn serve<F, R>(path: &Path, render: F, report: R) -> Result<Stopped, MountError>
where
    F: FnMut() -> Result<Zeroizing<String>, String>,
    R: FnMut(Event),
{
    #[cfg(unix)]
    {
        unix::serve(path, render, report)
    }
    #[cfg(not(unix))]
    {
        let _ = (path, render, report);
        Err(MountError::Unsupported)
    }
}

#[cfg(unix)]
#[path = "mount/unix.rs"]
mod unix;
