//! Worker threads: the KDF takes about a second, so unlocking, creating and saving run off the
//! UI thread, which keeps drawing (a spinner) and polls for the result each frame.

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

/// Runs `work` on a new thread and wakes the UI when it is done.
pub(crate) fn spawn<T: Send + 'static>(
    ctx: &egui::Context,
    work: impl FnOnce() -> T + Send + 'static,
) -> Job<T> {
    let (tx, rx) = mpsc::channel();
    let ctx = ctx.clone();
    let spawned = std::thread::Builder::new()
        .name("keyward-worker".to_owned())
        .spawn(move || {
            let result = work();
            // The receiver is gone when the app locked or closed meanwhile; nothing to do.
            let _ = tx.send(result);
            ctx.request_repaint();
        });
    // Without a thread the receiver reports `Lost`, which the caller shows as an error.
    drop(spawned);
    Job { rx }
}
