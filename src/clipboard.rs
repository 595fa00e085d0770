//! The timed clipboard: a copied secret is cleared after a while, but only if the clipboard
//! still holds it (the user may have copied something else meanwhile).
//!
//! The system clipboard is reached through [`ClipboardBackend`], so tests use a
//! [`FakeClipboard`] and the app and `keyward copy` use the [`SystemClipboard`], which marks the
//! value as "do not record" for clipboard managers (KDE's `x-kde-passwordManagerHint`, Windows
//! history and cloud exclusion, macOS concealed type).
//!
//! The clipboard never keeps the secret itself: it remembers a salted SHA-256 digest, enough to
//! tell whether the clipboard still holds the value.

use std::sync::{Arc, Mutex};

#[cfg(target_os = "linux")]
mod x11;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Why the clipboard could not be used. The message never contains clipboard contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("clipboard: {0}")]
pub struct ClipboardError(pub String);

/// A clipboard clear delay that cannot work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClearDelayError {
    /// Zero seconds: the secret would be gone before it could be pasted.
    #[error(
        "clearing the clipboard after 0 seconds leaves no time to paste: use at least 1 second \
         (--clear-after, or the vault's clipboard setting in the app's Settings)"
    )]
    Zero,
}

/// How long a copied secret stays on the clipboard, from a number of seconds (the vault's
/// setting or `--clear-after`). Zero is refused, by the app and the CLI alike.
pub fn clear_delay(seconds: u32) -> Result<Duration, ClearDelayError> {
    if seconds == 0 {
        return Err(ClearDelayError::Zero);
    }
    Ok(Duration::seconds(i64::from(seconds)))
}

/// Access to a clipboard holding text.
pub trait ClipboardBackend: Send {
    /// Puts `text` on the clipboard, marked as a secret that clipboard managers should not keep.
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError>;
    /// The clipboard's text, `None` when it is empty or holds something other than text. The
    /// caller zeroizes it.
    fn text(&mut self) -> Result<Option<Zeroizing<String>>, ClipboardError>;
    /// Empties the clipboard.
    fn clear(&mut self) -> Result<(), ClipboardError>;
}

impl ClipboardBackend for Box<dyn ClipboardBackend> {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError> {
        (**self).set_secret(text)
    }
    fn text(&mut self) -> Result<Option<Zeroizing<String>>, ClipboardError> {
        (**self).text()
    }
    fn clear(&mut self) -> Result<(), ClipboardError> {
        (**self).clear()
    }
}

/// The operating system's clipboard.
///
/// Keep this value alive while the copied value must be served: on X11 the owning process
/// answers every paste, and the value vanishes when it exits.
///
/// On X11 (Linux, where arboard would use X11: no Wayland session, or a Wayland compositor
/// without the data-control protocol, through XWayland) each copy is served by keyward's own
/// selection owner over an X connection of its own ([`x11`]), closed when the value is
/// cleared or replaced: the connection's buffers and its serving thread hold pieces of the
/// last value pasted, and only closing frees (and so, with keyward's allocator, wipes) them.
/// arboard cannot do that in the desktop app: it shares one connection among all its handles
/// in a process, and the app's window keeps one open for text fields. Measured by
/// tests/memory_x11.rs. Elsewhere (Wayland, Windows, macOS) it is arboard's clipboard; a
/// clear drops arboard's handle too, so its connection closes when no other handle is open.
pub struct SystemClipboard {
    backend: Backend,
}

enum Backend {
    Arboard(Option<arboard::Clipboard>),
    /// The value we serve, if any (`None` also once it was cleared).
    #[cfg(target_os = "linux")]
    X11(Option<x11::Owner>),
}

impl SystemClipboard {
    /// Connects to the system clipboard.
    pub fn new() -> Result<Self, ClipboardError> {
        #[cfg(target_os = "linux")]
        if arboard_would_use_x11()? {
            x11::check_display()?;
            return Ok(SystemClipboard {
                backend: Backend::X11(None),
            });
        }
        Ok(SystemClipboard {
            backend: Backend::Arboard(Some(connect_arboard()?)),
        })
    }
}

/// True when arboard would serve the clipboard over X11, as it decides (arboard 3,
/// `platform/linux/mod.rs`): with `WAYLAND_DISPLAY` set it tries the Wayland data-control
/// protocol first and falls back to X11 (XWayland) when the compositor lacks it (GNOME);
/// without it, X11. `DISPLAY` unset: no X11 to use (arboard's own error is reported then).
/// arboard failing to start is an error, never a reason to serve the secret through arboard.
#[cfg(target_os = "linux")]
fn arboard_would_use_x11() -> Result<bool, ClipboardError> {
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        return Ok(false);
    }
    if std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Ok(true);
    }
    // Which backend arboard chose shows in the SECONDARY selection: its Wayland backend
    // refuses it outright, its X11 backend reads it. arboard connects once: tried again as
    // in `x11::connect`.
    use arboard::GetExtLinux as _;
    let mut tries = 1;
    let mut probe = loop {
        match arboard::Clipboard::new() {
            Ok(probe) => break probe,
            Err(_) if tries < x11::CONNECT_TRIES => tries += 1,
            Err(e) => return Err(ClipboardError(format!("cannot open the clipboard ({e})"))),
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let secondary = probe
        .get()
        .clipboard(arboard::LinuxClipboardKind::Secondary)
        .text()
        .map(Zeroizing::new);
    Ok(!matches!(
        secondary,
        Err(arboard::Error::ClipboardNotSupported)
    ))
}

fn connect_arboard() -> Result<arboard::Clipboard, ClipboardError> {
    arboard::Clipboard::new()
        .map_err(|e| ClipboardError(format!("cannot open the system clipboard ({e})")))
}

fn open_arboard(
    inner: &mut Option<arboard::Clipboard>,
) -> Result<&mut arboard::Clipboard, ClipboardError> {
    if inner.is_none() {
        *inner = Some(connect_arboard()?);
    }
    inner
        .as_mut()
        .ok_or_else(|| ClipboardError("cannot open the system clipboard".into()))
}

fn arboard_set_secret(
    inner: &mut Option<arboard::Clipboard>,
    text: &str,
) -> Result<(), ClipboardError> {
    let set = open_arboard(inner)?.set();
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    ))]
    let set = {
        use arboard::SetExtLinux as _;
        set.exclude_from_history()
    };
    #[cfg(windows)]
    let set = {
        use arboard::SetExtWindows as _;
        set.exclude_from_history().exclude_from_cloud()
    };
    #[cfg(target_os = "macos")]
    let set = {
        use arboard::SetExtApple as _;
        set.exclude_from_history()
    };
    set.text(text)
        .map_err(|e| ClipboardError(format!("could not copy ({e})")))
}

fn arboard_text(
    inner: &mut Option<arboard::Clipboard>,
) -> Result<Option<Zeroizing<String>>, ClipboardError> {
    match open_arboard(inner)?.get_text() {
        Ok(text) => Ok(Some(Zeroizing::new(text))),
        Err(arboard::Error::ContentNotAvailable) => Ok(None),
        Err(e) => Err(ClipboardError(format!(
            "could not read the clipboard ({e})"
        ))),
    }
}

fn arboard_clear(inner: &mut Option<arboard::Clipboard>) -> Result<(), ClipboardError> {
    let cleared = open_arboard(inner)?
        .clear()
        .map_err(|e| ClipboardError(format!("could not clear the clipboard ({e})")));
    // Closed after the clear has been served (see the type's documentation).
    *inner = None;
    cleared
}

impl ClipboardBackend for SystemClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError> {
        match &mut self.backend {
            Backend::Arboard(inner) => arboard_set_secret(inner, text),
            #[cfg(target_os = "linux")]
            Backend::X11(owner) => {
                // The new owner takes the clipboard over from the old one, whose worker then
                // wipes the old value and closes its connection.
                let new = x11::Owner::start(text)?;
                if let Some(old) = owner.replace(new) {
                    old.forget();
                }
                Ok(())
            }
        }
    }

    fn text(&mut self) -> Result<Option<Zeroizing<String>>, ClipboardError> {
        match &mut self.backend {
            Backend::Arboard(inner) => arboard_text(inner),
            #[cfg(target_os = "linux")]
            Backend::X11(owner) => {
                if let Some(ours) = owner.as_ref().and_then(x11::Owner::value) {
                    return Ok(Some(ours));
                }
                // Someone else copied since: our worker has ended.
                if let Some(gone) = owner.take() {
                    gone.forget();
                }
                x11::read_text()
            }
        }
    }

    fn clear(&mut self) -> Result<(), ClipboardError> {
        match &mut self.backend {
            Backend::Arboard(inner) => arboard_clear(inner),
            #[cfg(target_os = "linux")]
            Backend::X11(owner) => match owner.take() {
                Some(ours) => ours.release(),
                // The clipboard held our value without us: a clipboard manager took it over.
                None => x11::clear_any(),
            },
        }
    }
}

/// An in-memory clipboard for tests. Clones share the same contents, so a test keeps one
/// handle while the app owns another.
#[derive(Clone, Default)]
pub struct FakeClipboard {
    state: Arc<Mutex<FakeState>>,
}

#[derive(Default)]
struct FakeState {
    text: Option<Zeroizing<String>>,
    marked_secret: bool,
}

impl FakeClipboard {
    /// An empty clipboard.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the clipboard holds now (test helper).
    pub fn contents(&self) -> Option<String> {
        self.lock().text.as_ref().map(|t| t.as_str().to_owned())
    }

    /// True when the current contents were set as a secret (with the history hints).
    pub fn marked_secret(&self) -> bool {
        self.lock().marked_secret
    }

    /// Simulates another program copying `text`.
    pub fn set_by_other_program(&self, text: &str) {
        let mut state = self.lock();
        state.text = Some(Zeroizing::new(text.to_owned()));
        state.marked_secret = false;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ClipboardBackend for FakeClipboard {
    fn set_secret(&mut self, text: &str) -> Result<(), ClipboardError> {
        let mut state = self.lock();
        state.text = Some(Zeroizing::new(text.to_owned()));
        state.marked_secret = true;
        Ok(())
    }

    fn text(&mut self) -> Result<Option<Zeroizing<String>>, ClipboardError> {
        Ok(self.lock().text.clone())
    }

    fn clear(&mut self) -> Result<(), ClipboardError> {
        let mut state = self.lock();
        state.text = None;
        state.marked_secret = false;
        Ok(())
    }
}

/// What happened to a copied secret when its time was up (or the user cleared it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClearOutcome {
    /// The clipboard held the secret and is now empty.
    Cleared,
    /// The clipboard held something else by then; it was left alone.
    AlreadyReplaced,
    /// Clearing failed.
    Failed(ClipboardError),
}

struct Pending {
    salt: [u8; 16],
    digest: [u8; 32],
    label: String,
    clear_at: DateTime<Utc>,
}

/// A clipboard that forgets what it was given: each copy is cleared at its deadline if the
/// clipboard still holds it. Dropping it clears a pending copy too.
pub struct TimedClipboard {
    backend: Box<dyn ClipboardBackend>,
    pending: Option<Pending>,
}

impl TimedClipboard {
    /// A timed clipboard over `backend`.
    pub fn new(backend: Box<dyn ClipboardBackend>) -> Self {
        TimedClipboard {
            backend,
            pending: None,
        }
    }

    /// Copies `value` (described to the user as `label`, e.g. "secret of binance-bot") and
    /// schedules its clearing `clear_after` after `now`. A previous pending copy is replaced.
    pub fn copy(
        &mut self,
        value: &str,
        label: impl Into<String>,
        clear_after: Duration,
        now: DateTime<Utc>,
    ) -> Result<(), ClipboardError> {
        self.backend.set_secret(value)?;
        let mut salt = [0u8; 16];
        // A fixed salt only weakens the digest against guessing; copying still works.
        let _ = getrandom::fill(&mut salt);
        self.pending = Some(Pending {
            salt,
            digest: digest(&salt, value),
            label: label.into(),
            clear_at: now + clear_after,
        });
        Ok(())
    }

    /// Time left before the pending copy is cleared, `None` when nothing is pending.
    pub fn remaining(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.pending
            .as_ref()
            .map(|p| (p.clear_at - now).max(Duration::zero()))
    }

    /// Whole seconds left (rounded up), for a countdown.
    pub fn remaining_seconds(&self, now: DateTime<Utc>) -> Option<i64> {
        self.remaining(now)
            .map(|d| (d.num_milliseconds() + 999) / 1000)
    }

    /// What the pending copy is, in words.
    pub fn label(&self) -> Option<&str> {
        self.pending.as_ref().map(|p| p.label.as_str())
    }

    /// Clears the pending copy if its time has come. Call it regularly (every frame).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Option<ClearOutcome> {
        match &self.pending {
            Some(p) if p.clear_at <= now => self.clear_now(),
            _ => None,
        }
    }

    /// Clears the pending copy now (if the clipboard still holds it); `None` when nothing was
    /// pending.
    pub fn clear_now(&mut self) -> Option<ClearOutcome> {
        let pending = self.pending.take()?;
        let current = match self.backend.text() {
            Ok(current) => current,
            Err(e) => return Some(ClearOutcome::Failed(e)),
        };
        let still_ours = current
            .as_ref()
            .is_some_and(|text| digest(&pending.salt, text) == pending.digest);
        if !still_ours {
            return Some(ClearOutcome::AlreadyReplaced);
        }
        Some(match self.backend.clear() {
            Ok(()) => ClearOutcome::Cleared,
            Err(e) => ClearOutcome::Failed(e),
        })
    }
}

impl Drop for TimedClipboard {
    fn drop(&mut self) {
        let _ = self.clear_now();
    }
}

fn digest(salt: &[u8; 16], value: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(value.as_bytes());
    hasher.finalize().into()
}

/// Copies `value` to the system clipboard and blocks, serving it, until it is cleared after
/// `clear_after` (see [`clear_delay`]), replaced by someone else (then it returns at once), or `stop` is set (a signal:
/// then it clears at once). For `keyward copy`.
pub fn copy_and_wait(
    value: &str,
    label: &str,
    clear_after: Duration,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<ClearOutcome, ClipboardError> {
    let backend = SystemClipboard::new()?;
    let mut clipboard = TimedClipboard::new(Box::new(backend));
    clipboard.copy(value, label, clear_after, Utc::now())?;
    loop {
        if let Some(outcome) = clipboard.tick(Utc::now()) {
            return Ok(outcome);
        }
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(clipboard.clear_now().unwrap_or(ClearOutcome::Cleared));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        // Stop early once something else owns the clipboard: there is nothing left to clear.
        if clipboard.pending_replaced() {
            clipboard.pending = None;
            return Ok(ClearOutcome::AlreadyReplaced);
        }
    }
}

impl TimedClipboard {
    /// True when a copy is pending and the clipboard now holds something else (a read error
    /// counts as "not replaced").
    fn pending_replaced(&mut self) -> bool {
        let Some(p) = &self.pending else {
            return false;
        };
        match self.backend.text() {
            Ok(Some(text)) => digest(&p.salt, &text) != p.digest,
            Ok(None) => true,
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn a_zero_clear_delay_is_refused_and_one_second_is_the_least() {
        assert_eq!(clear_delay(0), Err(ClearDelayError::Zero));
        assert!(
            clear_delay(0)
                .expect_err("zero")
                .to_string()
                .contains("at least 1 second")
        );
        assert_eq!(clear_delay(1), Ok(Duration::seconds(1)));
        assert_eq!(clear_delay(20), Ok(Duration::seconds(20)));
    }

    #[test]
    fn clears_after_the_delay_when_still_ours() {
        let fake = FakeClipboard::new();
        let mut cb = TimedClipboard::new(Box::new(fake.clone()));
        cb.copy("s3cret", "secret of k", Duration::seconds(20), t0())
            .expect("copy");
        assert_eq!(fake.contents().as_deref(), Some("s3cret"));
        assert!(fake.marked_secret());
        assert_eq!(
            cb.remaining_seconds(t0() + Duration::milliseconds(500)),
            Some(20)
        );
        assert_eq!(cb.tick(t0() + Duration::seconds(19)), None);
        assert_eq!(
            cb.tick(t0() + Duration::seconds(20)),
            Some(ClearOutcome::Cleared)
        );
        assert_eq!(fake.contents(), None);
        assert_eq!(cb.remaining(t0()), None);
    }

    #[test]
    fn leaves_a_replaced_clipboard_alone() {
        let fake = FakeClipboard::new();
        let mut cb = TimedClipboard::new(Box::new(fake.clone()));
        cb.copy("s3cret", "secret of k", Duration::seconds(5), t0())
            .expect("copy");
        fake.set_by_other_program("shopping list");
        assert_eq!(
            cb.tick(t0() + Duration::seconds(6)),
            Some(ClearOutcome::AlreadyReplaced)
        );
        assert_eq!(fake.contents().as_deref(), Some("shopping list"));
    }

    #[test]
    fn drop_clears_a_pending_copy() {
        let fake = FakeClipboard::new();
        {
            let mut cb = TimedClipboard::new(Box::new(fake.clone()));
            cb.copy("s3cret", "x", Duration::seconds(60), t0())
                .expect("copy");
        }
        assert_eq!(fake.contents(), None);
    }
}
