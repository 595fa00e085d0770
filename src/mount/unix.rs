//! Unix side of [`super::serve`]: mkfifo, a thread that takes the stop signals, non-blocking
//! writes, and a fresh FIFO for each reader.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use zeroize::Zeroizing;

use super::{Event, MountError, Stopped};
use crate::platform::io_sentence;

const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
/// How often a stalled write looks at the stop flag.
const TICK: Duration = Duration::from_millis(20);

/// Makes a FIFO at `path` with mode 0600; never replaces anything (EEXIST, also for a
/// dangling symlink).
fn mkfifo(path: &Path) -> Result<std::fs::Metadata, MountError> {
    let c = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| MountError::Io(format!("{} holds a NUL byte", path.display())))?;
    // SAFETY: `c` is a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() == ErrorKind::AlreadyExists {
            return Err(MountError::Exists {
                path: path.to_owned(),
            });
        }
        return Err(MountError::Io(io_sentence("creating the FIFO", path, &e)));
    }
    // The umask may have taken bits off 0600 (and 0400 would lock keyward out).
    let chmod = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    let meta = chmod.and_then(|()| std::fs::symlink_metadata(path));
    meta.map_err(|e| {
        let _ = std::fs::remove_file(path);
        MountError::Io(io_sentence("setting the mode of", path, &e))
    })
}

/// The FIFO this mount made: removed on drop if the path is still that file.
struct Fifo {
    path: PathBuf,
    dev: u64,
    ino: u64,
    renewals: u64,
}

impl Fifo {
    fn create(path: &Path) -> Result<Fifo, MountError> {
        let meta = mkfifo(path)?;
        Ok(Fifo {
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
            renewals: 0,
        })
    }

    fn is_ours(&self, meta: &std::fs::Metadata) -> bool {
        meta.file_type().is_fifo() && meta.dev() == self.dev && meta.ino() == self.ino
    }

    fn still_ours(&self) -> bool {
        std::fs::symlink_metadata(&self.path).is_ok_and(|m| self.is_ours(&m))
    }

    /// Opens the FIFO to write, blocking until a reader opens it. `None` when the path is no
    /// longer this FIFO (it is not followed through a symlink, and checked after the open).
    fn open(&self) -> std::io::Result<Option<File>> {
        let file = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&self.path)?;
        let meta = file.metadata()?;
        Ok(self.is_ours(&meta).then_some(file))
    }

    /// Puts a new FIFO at the path (made beside it, renamed over it): the reader of the
    /// current one keeps it to itself, the next reader opens the new one.
    fn renew(&mut self) -> Result<(), MountError> {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        let base = self.path.file_name().unwrap_or_default().to_string_lossy();
        let (fresh, meta) = loop {
            self.renewals += 1;
            let name = format!(".{base}.keyward-{}-{}", std::process::id(), self.renewals);
            let fresh = dir.join(name);
            match mkfifo(&fresh) {
                Ok(meta) => break (fresh, meta),
                Err(MountError::Exists { .. }) => continue,
                Err(e) => return Err(e),
            }
        };
        if !self.still_ours() {
            let _ = std::fs::remove_file(&fresh);
            return Err(MountError::Replaced {
                path: self.path.clone(),
            });
        }
        if let Err(e) = std::fs::rename(&fresh, &self.path) {
            let _ = std::fs::remove_file(&fresh);
            return Err(MountError::Io(io_sentence(
                "renaming a FIFO to",
                &self.path,
                &e,
            )));
        }
        self.dev = meta.dev();
        self.ino = meta.ino();
        Ok(())
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        if self.still_ours() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Blocks the stop signals in this thread (and so in the thread started next, which takes
/// them with sigwait); SIGPIPE is ignored, so a write to a reader that left is EPIPE.
fn block_stop_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; these calls change this thread's signal mask and the
    // process's SIGPIPE disposition only.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in STOP_SIGNALS {
            libc::sigaddset(&mut set, s);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        set
    }
}

/// Undoes [`block_stop_signals`] for this thread: a signal then stops keyward by its default
/// action.
fn unblock(set: &libc::sigset_t) {
    // SAFETY: `set` is a valid signal set.
    unsafe {
        libc::pthread_sigmask(libc::SIG_UNBLOCK, set, std::ptr::null_mut());
    }
}

/// The thread that waits for a stop signal: it records the signal, then opens the path to
/// read without blocking, which wakes the serving thread out of its blocking open. It holds
/// that reader until the process ends, so an open that starts later does not block either.
fn start_signal_thread(set: libc::sigset_t, path: PathBuf, stop: Arc<AtomicI32>) {
    let spawned = std::thread::Builder::new()
        .name("keyward-mount-signals".into())
        .spawn(move || {
            let mut signal: libc::c_int = 0;
            // SAFETY: `set` is a valid signal set, blocked in this thread (inherited).
            if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                return;
            }
            stop.store(signal, Ordering::SeqCst);
            let wake = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
                .open(&path);
            std::mem::forget(wake);
        });
    if spawned.is_err() {
        unblock(&set);
    }
}

pub(super) fn serve<F, R>(path: &Path, mut render: F, mut report: R) -> Result<Stopped, MountError>
where
    F: FnMut() -> Result<Zeroizing<String>, String>,
    R: FnMut(Event),
{
    let stop = Arc::new(AtomicI32::new(0));
    let set = block_stop_signals();
    let mut fifo = match Fifo::create(path) {
        Ok(fifo) => fifo,
        Err(e) => {
            unblock(&set);
            return Err(e);
        }
    };
    start_signal_thread(set, path.to_owned(), Arc::clone(&stop));
    report(Event::Mounted);
    let stopped = |served| {
        Ok(Stopped {
            served,
            signal: stop.load(Ordering::SeqCst),
        })
    };
    let mut served = 0;
    let mut n = 0;
    loop {
        if stop.load(Ordering::SeqCst) != 0 {
            return stopped(served);
        }
        let mut file = match fifo.open() {
            Ok(Some(file)) => file,
            Ok(None) => {
                return Err(MountError::Replaced {
                    path: fifo.path.clone(),
                });
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(MountError::Io(io_sentence("opening", path, &e))),
        };
        if stop.load(Ordering::SeqCst) != 0 {
            return stopped(served);
        }
        n += 1;
        // A new FIFO takes the path before anything is written: this reader has the one it
        // opened to itself (a program that opens the path now, or that keeps this one open
        // after the end of its copy, never reads part of, or a second, copy).
        fifo.renew()?;
        let text = render().map_err(MountError::Render)?;
        let written = write_all(&mut file, text.as_bytes(), &stop);
        drop(text);
        match written {
            Ok(Written::All) => {
                served += 1;
                report(Event::Served { n });
            }
            Ok(Written::ReaderLeft) => report(Event::ReaderLeft { n }),
            Ok(Written::Stopped) => return stopped(served),
            Err(e) => return Err(MountError::Io(io_sentence("writing to", path, &e))),
        }
        drop(file);
    }
}

enum Written {
    All,
    ReaderLeft,
    Stopped,
}

/// Writes `data` without blocking for long, so a reader that stalls does not keep a stop
/// signal from being seen.
fn write_all(file: &mut File, data: &[u8], stop: &AtomicI32) -> std::io::Result<Written> {
    let fd = file.as_raw_fd();
    // SAFETY: fd is open for the life of `file`; F_GETFL/F_SETFL only change its flags.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut at = 0;
    while at < data.len() {
        if stop.load(Ordering::SeqCst) != 0 {
            return Ok(Written::Stopped);
        }
        match file.write(&data[at..]) {
            Ok(written) => at += written,
            Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(Written::ReaderLeft),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let mut pfd = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd; the timeout lets the stop flag be seen.
                unsafe {
                    libc::poll(&mut pfd, 1, TICK.as_millis() as libc::c_int);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Written::All)
}
