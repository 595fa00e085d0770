//! Worker threads: the KDF takes about a second, so unlocking, creating and saving run off the
//! UI thread, which keeps drawing (a spinner) and polls for the result each frame. Which jobs
//! exist and what their results do is `tasks.rs`'s; this file is only the thread and its
//! channel.

use eframe::egui;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// A running job whose result arrives once.
pub(crate) struct Job<T> {
    rx: Receiver<T>,
}

/// What [`Job::poll`] found.
pub(crate) enum Poll<T> {
    /// Still running.
    Pending,
    /// Finished with this result.
    Ready(T),
    /// The worker died without a result (it panicked).
    Lost,
}

impl<T> Job<T> {
    /// The result if the job has finished.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(value) => Poll::Ready(value),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Disconnected) => Poll::Lost,
        }
    }
}

/// Wakes the UI when a job finishes, so that it polls the result without waiting for input.
/// The default wakes nothing (unit tests, which poll by hand).
#[derive(Clone, Default)]
pub(crate) struct Waker(Option<egui::Context>);

impl Waker {
    /// Wakes the window drawn by `ctx`.
    pub fn new(ctx: &egui::Context) -> Self {
        Waker(Some(ctx.clone()))
    }

    pub fn wake(&self) {
        if let Some(ctx) = &self.0 {
            ctx.request_repaint();
        }
    }

    /// Wakes the window after `delay`.
    pub fn wake_after(&self, delay: std::time::Duration) {
        if let Some(ctx) = &self.0 {
            ctx.request_repaint_after(delay);
        }
    }

    /// True when there is a window to wake.
    pub fn is_live(&self) -> bool {
        self.0.is_some()
    }
}

/// Runs `work` on a new thread and wakes the UI when it is done.
pub(crate) fn spawn<T: Send + 'static>(
    waker: &Waker,
    work: impl FnOnce() -> T + Send + 'static,
) -> Job<T> {
    let (tx, rx) = mpsc::channel();
    let waker = waker.clone();
    let spawned = std::thread::Builder::new()
        .name("keyward-worker".to_owned())
        .spawn(move || {
            let result = work();
            // The receiver is gone when the app locked or closed meanwhile; nothing to do.
            let _ = tx.send(result);
            waker.wake();
        });
    // Without a thread the receiver reports `Lost`, which the caller shows as an error.
    drop(spawned);
    Job { rx }
}

/// A file dialog on a worker thread: the path chosen, `None` when cancelled.
pub(crate) type PickJob = Job<Option<std::path::PathBuf>>;
