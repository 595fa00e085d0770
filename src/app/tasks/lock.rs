//! Before a lock: the session's jobs that hold the vault file (a save, a look at the disk or
//! its merge, a merge) are waited for, a bounded time, and their results taken in as the
//! frame loop would, so that the lock knows whether every change is on disk.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};

use crate::app::jobs::Waker;
use crate::app::state::Session;

/// How long a lock waits for the jobs that run.
const WAIT: StdDuration = StdDuration::from_secs(10);

/// Waits for the session's save, disk and merge jobs and takes their results in (a save
/// they start, for a change made meanwhile, is waited for too). `Err` when one still runs
/// after the wait; it then keeps the vault file.
pub(crate) fn finish_jobs(
    session: &mut Session,
    now: DateTime<Utc>,
    waker: &Waker,
) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    loop {
        // What they say goes nowhere: the lock says what became of the change.
        let _ = super::poll_save(session, waker);
        let _ = super::disk::watch(session, now, waker);
        let _ = super::merge::poll_merge(session, waker);
        if session.save_job.is_none() && session.disk.job.is_none() && session.merge_job.is_none() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err("saving takes too long".to_owned());
        }
        std::thread::sleep(StdDuration::from_millis(10));
    }
}
