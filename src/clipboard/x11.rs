//! keyward's own X11 selection owner for copied secrets (Linux, when arboard would use X11).
//!
//! arboard shares one X connection among all the `arboard::Clipboard` handles of a process,
//! and the desktop app's window (egui-winit) holds one for the whole session: a secret
//! served through it would stay in that connection's buffers (and its serving thread's)
//! until the app exits. Each copy here gets a connection and a window of its own, served by
//! a worker thread; the connection is closed when the value is cleared, replaced by our next
//! copy, or taken over by another program, which frees its buffers (and keyward's allocator
//! zeroes freed memory).
//!
//! The owner holds CLIPBOARD only (as arboard's `set_text` does, PRIMARY is left alone) and
//! answers TARGETS, TIMESTAMP, UTF8_STRING, `text/plain;charset=utf-8`, STRING (Latin-1,
//! refused when the value does not fit it), TEXT and `x-kde-passwordManagerHint` ("secret",
//! the "do not record" mark arboard's `exclude_from_history` gives clipboard managers); it
//! refuses every other target. Like arboard with an excluded value it does not advertise
//! SAVE_TARGETS, so a clipboard manager is not asked to keep the value after we go.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use x11rb::connection::{Connection as _, RequestConnection as _};
use x11rb::errors::ConnectError;
use x11rb::protocol::Event;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ConnectionExt as _, CreateWindowAux, EventMask, PropMode,
    SELECTION_NOTIFY_EVENT, SelectionNotifyEvent, SelectionRequestEvent, Timestamp, Window,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use x11rb::{COPY_DEPTH_FROM_PARENT, COPY_FROM_PARENT, CURRENT_TIME, NONE};
use zeroize::Zeroizing;

use super::ClipboardError;

x11rb::atom_manager! {
    Atoms: AtomsCookie {
        CLIPBOARD,
        TARGETS,
        TIMESTAMP,
        INCR,
        TEXT,
        UTF8_STRING,
        UTF8_MIME: b"text/plain;charset=utf-8",
        PLAIN_MIME: b"text/plain",
        PASSWORD_MANAGER_HINT: b"x-kde-passwordManagerHint",
        // The property of our own window that replies and timestamps are written to.
        KEYWARD_SELECTION,
    }
}

/// The mark for clipboard managers, as arboard's `exclude_from_history` sets it.
const PASSWORD_MANAGER_HINT: &[u8] = b"secret";
/// How long the worker sleeps between looks at the X connection while nothing happens: the
/// most a paste waits.
const POLL: Duration = Duration::from_millis(10);
/// How long an X round trip through another program (a paste, a timestamp) may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// The size of a ChangeProperty request without its data.
const CHANGE_PROPERTY_HEADER: usize = 24;

/// Whether the X display can be reached, so that a missing clipboard shows at start.
pub(super) fn check_display() -> Result<(), ClipboardError> {
    Context::open().map(drop)
}

/// An error of the X connection, in words; x11rb's errors name requests and ids, never data.
fn x_error<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> ClipboardError {
    move |e| ClipboardError(format!("{what} (X11: {e})"))
}

/// How often a connection to the X server is tried (see `connect`).
pub(super) const CONNECT_TRIES: u32 = 4;

/// Connects to `DISPLAY`, trying again a few times: an X server started without `-noreset`
/// resets when its last client leaves and closes the connections that arrive meanwhile (the
/// setup reply is cut off), and a copy, a read of another program's text and a clear each
/// open one; so with no other client (a bare Xvfb, `keyward copy` alone) the next one can
/// come during that reset.
fn connect() -> Result<(RustConnection, usize), ClipboardError> {
    let mut tries = 1;
    loop {
        match RustConnection::connect(None) {
            Ok(connected) => return Ok(connected),
            Err(ConnectError::IoError(_)) if tries < CONNECT_TRIES => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(x_error("cannot open the X display for the clipboard")(e)),
        }
    }
}

/// A connection of our own with a 1×1 window that hears property changes on itself.
struct Context {
    conn: RustConnection,
    window: Window,
    atoms: Atoms,
}

/// Waits for the X server to have handled all we sent before the connection closes: a server
/// that sees the connection close (EPOLLHUP) drops the requests of it it has not read yet,
/// such as the answer to a paste that came just before someone else copied, and the program
/// pasting would wait for ever.
impl Drop for Context {
    fn drop(&mut self) {
        let _ = self.conn.sync();
    }
}

impl Context {
    fn open() -> Result<Context, ClipboardError> {
        let (conn, screen) = connect()?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .map(|s| s.root)
            .ok_or_else(|| ClipboardError("the X display has no such screen".into()))?;
        let window = conn
            .generate_id()
            .map_err(x_error("cannot make a clipboard window"))?;
        conn.create_window(
            COPY_DEPTH_FROM_PARENT,
            window,
            root,
            0,
            0,
            1,
            1,
            0,
            WindowClass::COPY_FROM_PARENT,
            COPY_FROM_PARENT,
            &CreateWindowAux::new().event_mask(EventMask::PROPERTY_CHANGE),
        )
        .map_err(x_error("cannot make a clipboard window"))?;
        let atoms = Atoms::new(&conn)
            .map_err(x_error("cannot name the clipboard's formats"))?
            .reply()
            .map_err(x_error("cannot name the clipboard's formats"))?;
        Ok(Context {
            conn,
            window,
            atoms,
        })
    }

    /// The next event, waiting at most until `deadline`; `None` on time-out.
    fn event_before(&self, deadline: Instant) -> Result<Option<Event>, ClipboardError> {
        loop {
            if let Some(event) = self
                .conn
                .poll_for_event()
                .map_err(x_error("the X connection failed"))?
            {
                return Ok(Some(event));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The server's time now (ICCCM 2.1: a zero-length append to our own property), so that
    /// taking and giving up the selection never undoes a later copy by someone else.
    fn server_time(&self) -> Result<Timestamp, ClipboardError> {
        self.conn
            .change_property8(
                PropMode::APPEND,
                self.window,
                self.atoms.KEYWARD_SELECTION,
                AtomEnum::STRING,
                &[],
            )
            .map_err(x_error("cannot read the X server's time"))?;
        self.conn
            .flush()
            .map_err(x_error("cannot read the X server's time"))?;
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        while let Some(event) = self.event_before(deadline)? {
            if let Event::PropertyNotify(e) = event
                && e.window == self.window
                && e.atom == self.atoms.KEYWARD_SELECTION
            {
                return Ok(e.time);
            }
        }
        Err(ClipboardError(
            "the X server did not tell its time in time".into(),
        ))
    }

    fn owner(&self) -> Result<Window, ClipboardError> {
        Ok(self
            .conn
            .get_selection_owner(self.atoms.CLIPBOARD)
            .map_err(x_error("cannot ask who holds the clipboard"))?
            .reply()
            .map_err(x_error("cannot ask who holds the clipboard"))?
            .owner)
    }
}

/// What the main thread asks the worker that serves a copy.
enum Command {
    /// Our value while we still hold the clipboard, `None` once we do not (then the worker
    /// ends).
    Value(mpsc::Sender<Option<Zeroizing<String>>>),
    /// Give up the clipboard and end.
    Release(mpsc::Sender<Result<(), ClipboardError>>),
    /// End without giving the clipboard up: someone else holds it (our next copy, perhaps
    /// taken within the same millisecond, which a release as of our time would undo).
    Forget,
}

/// A value on the X clipboard, served by a worker thread over a connection of its own.
/// Dropping it gives the clipboard up (if still ours) and closes the connection.
pub(super) struct Owner {
    commands: Option<mpsc::Sender<Command>>,
    worker: Option<JoinHandle<()>>,
}

impl Owner {
    /// Takes the clipboard with `value`. Refuses a value too large for one X request (no
    /// INCR transfers: secrets are small) before taking anything.
    pub(super) fn start(value: &str) -> Result<Owner, ClipboardError> {
        let context = Context::open()?;
        let most = context.conn.maximum_request_bytes();
        let needed = CHANGE_PROPERTY_HEADER + value.len().next_multiple_of(4);
        if needed > most {
            return Err(ClipboardError(format!(
                "the value is too large for the X clipboard ({} bytes; at most {})",
                value.len(),
                most.saturating_sub(CHANGE_PROPERTY_HEADER)
            )));
        }
        let since = context.server_time()?;
        context
            .conn
            .set_selection_owner(context.window, context.atoms.CLIPBOARD, since)
            .map_err(x_error("cannot take the clipboard"))?;
        if context.owner()? != context.window {
            return Err(ClipboardError(
                "another program holds the clipboard and would not give it up".into(),
            ));
        }
        context
            .conn
            .flush()
            .map_err(x_error("cannot take the clipboard"))?;
        let value = Zeroizing::new(value.to_owned());
        let (commands, inbox) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("keyward-clipboard".into())
            .spawn(move || serve(context, since, value, inbox))
            .map_err(|e| ClipboardError(format!("cannot start the clipboard thread ({e})")))?;
        Ok(Owner {
            commands: Some(commands),
            worker: Some(worker),
        })
    }

    /// Our value while we still hold the clipboard; `None` once someone else copied (the
    /// worker has then wiped it and closed its connection).
    pub(super) fn value(&self) -> Option<Zeroizing<String>> {
        let (reply, answer) = mpsc::channel();
        self.commands.as_ref()?.send(Command::Value(reply)).ok()?;
        answer.recv_timeout(ANSWER_TIMEOUT).ok().flatten()
    }

    /// Gives the clipboard up (unless someone else holds it by now) and waits for the worker
    /// to wipe the value and close its connection.
    pub(super) fn release(mut self) -> Result<(), ClipboardError> {
        let (reply, answer) = mpsc::channel();
        let sent = self
            .commands
            .take()
            .is_some_and(|c| c.send(Command::Release(reply)).is_ok());
        // Not sent: the worker has ended, someone else took the clipboard.
        let released = if sent {
            answer.recv().unwrap_or(Ok(()))
        } else {
            Ok(())
        };
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
        released
    }
}

impl Owner {
    /// Ends the worker without touching the clipboard (someone else holds it now).
    pub(super) fn forget(mut self) {
        if let Some(commands) = self.commands.take() {
            let _ = commands.send(Command::Forget);
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        // The worker gives the clipboard up when its command channel closes.
        self.commands = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The worker: answers pastes until it is told to stop or someone else takes the clipboard.
/// Returning drops the value (zeroized) and the connection.
fn serve(
    context: Context,
    since: Timestamp,
    value: Zeroizing<String>,
    inbox: mpsc::Receiver<Command>,
) {
    loop {
        if !answer_pending(&context, since, &value) {
            return;
        }
        match inbox.recv_timeout(POLL) {
            Ok(Command::Value(reply)) => {
                if context.owner().is_ok_and(|owner| owner == context.window) {
                    let _ = reply.send(Some(value.clone()));
                } else {
                    let _ = reply.send(None);
                    return;
                }
            }
            Ok(Command::Release(reply)) => {
                let _ = reply.send(release(&context, since));
                answer_pending(&context, since, &value);
                return;
            }
            Ok(Command::Forget) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = release(&context, since);
                answer_pending(&context, since, &value);
                return;
            }
        }
    }
}

/// Answers the pastes that have reached us; false once the clipboard is someone else's (or
/// the connection failed). After a release (synced) it answers those that came while we
/// held the clipboard: a requestor left without an answer would wait for ever (xclip does).
fn answer_pending(context: &Context, since: Timestamp, value: &str) -> bool {
    loop {
        match context.conn.poll_for_event() {
            Ok(Some(Event::SelectionRequest(request))) => {
                // A requestor that went away makes an X error; nothing to do about it.
                let _ = answer(context, since, value, &request);
            }
            Ok(Some(Event::SelectionClear(e))) if e.selection == context.atoms.CLIPBOARD => {
                return false;
            }
            Ok(Some(_)) => {}
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

/// Gives the clipboard up as of the time we took it: the server ignores that when someone
/// else took it since (ICCCM 2.1), so their copy stays.
fn release(context: &Context, since: Timestamp) -> Result<(), ClipboardError> {
    context
        .conn
        .set_selection_owner(NONE, context.atoms.CLIPBOARD, since)
        .map_err(x_error("could not clear the clipboard"))?;
    context
        .conn
        .sync()
        .map_err(x_error("could not clear the clipboard"))
}

/// The value in Latin-1 (the STRING target), `None` when a character does not fit.
fn latin1(value: &str) -> Option<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(value.len()));
    for c in value.chars() {
        bytes.push(u8::try_from(u32::from(c)).ok()?);
    }
    Some(bytes)
}

/// Answers one paste (ICCCM 2.2): writes the target to the requestor's property and tells it
/// so, or tells it the target is refused (property None).
fn answer(
    context: &Context,
    since: Timestamp,
    value: &str,
    request: &SelectionRequestEvent,
) -> Result<(), ClipboardError> {
    let atoms = &context.atoms;
    // Obsolete clients leave the property None: the target's name is the property then.
    let property = if request.property == NONE {
        request.target
    } else {
        request.property
    };
    let put8 = |kind: Atom, bytes: &[u8]| {
        context
            .conn
            .change_property8(PropMode::REPLACE, request.requestor, property, kind, bytes)
            .map(|_| true)
    };
    let target = request.target;
    let served = if request.selection != atoms.CLIPBOARD || request.owner != context.window {
        Ok(false)
    } else if target == atoms.TARGETS {
        let targets = [
            atoms.TARGETS,
            atoms.TIMESTAMP,
            atoms.UTF8_STRING,
            atoms.UTF8_MIME,
            AtomEnum::STRING.into(),
            atoms.TEXT,
            atoms.PASSWORD_MANAGER_HINT,
        ];
        context
            .conn
            .change_property32(
                PropMode::REPLACE,
                request.requestor,
                property,
                AtomEnum::ATOM,
                &targets,
            )
            .map(|_| true)
    } else if target == atoms.TIMESTAMP {
        context
            .conn
            .change_property32(
                PropMode::REPLACE,
                request.requestor,
                property,
                AtomEnum::INTEGER,
                &[since],
            )
            .map(|_| true)
    } else if target == atoms.UTF8_STRING || target == atoms.UTF8_MIME {
        put8(target, value.as_bytes())
    } else if target == Atom::from(AtomEnum::STRING) {
        match latin1(value) {
            Some(bytes) => put8(AtomEnum::STRING.into(), &bytes),
            None => Ok(false),
        }
    } else if target == atoms.TEXT {
        // TEXT lets the owner choose the encoding: Latin-1 when it fits, else UTF-8.
        match latin1(value) {
            Some(bytes) => put8(AtomEnum::STRING.into(), &bytes),
            None => put8(atoms.UTF8_STRING, value.as_bytes()),
        }
    } else if target == atoms.PASSWORD_MANAGER_HINT {
        put8(target, PASSWORD_MANAGER_HINT)
    } else {
        Ok(false)
    };
    let served = served.map_err(x_error("could not answer a paste"))?;
    let notify = SelectionNotifyEvent {
        response_type: SELECTION_NOTIFY_EVENT,
        sequence: 0,
        time: request.time,
        requestor: request.requestor,
        selection: request.selection,
        target,
        property: if served { property } else { NONE },
    };
    context
        .conn
        .send_event(false, request.requestor, EventMask::NO_EVENT, notify)
        .map_err(x_error("could not answer a paste"))?;
    context
        .conn
        .flush()
        .map_err(x_error("could not answer a paste"))
}

/// The text another program holds on the clipboard, read over a connection opened for this
/// and closed after. `None` when the clipboard is empty, holds no text (or text that is not
/// UTF-8 or Latin-1), is sent in pieces (INCR: far larger than any value keyward copies), or
/// its owner does not answer in time.
pub(super) fn read_text() -> Result<Option<Zeroizing<String>>, ClipboardError> {
    let context = Context::open()?;
    if context.owner()? == NONE {
        return Ok(None);
    }
    let atoms = &context.atoms;
    for target in [
        atoms.UTF8_STRING,
        atoms.UTF8_MIME,
        AtomEnum::STRING.into(),
        atoms.TEXT,
        atoms.PLAIN_MIME,
    ] {
        match convert(&context, target)? {
            Converted::Text(text) => return Ok(Some(text)),
            Converted::Refused => {}
            Converted::NotText => return Ok(None),
        }
    }
    Ok(None)
}

enum Converted {
    Text(Zeroizing<String>),
    /// The owner does not offer this target.
    Refused,
    /// Offered, but not as text we can read (or not in time): the clipboard is not ours.
    NotText,
}

/// Asks the clipboard's owner for `target` into our window's property and reads the answer.
fn convert(context: &Context, target: Atom) -> Result<Converted, ClipboardError> {
    let atoms = &context.atoms;
    let conn = &context.conn;
    conn.convert_selection(
        context.window,
        atoms.CLIPBOARD,
        target,
        atoms.KEYWARD_SELECTION,
        CURRENT_TIME,
    )
    .map_err(x_error("could not read the clipboard"))?;
    conn.flush()
        .map_err(x_error("could not read the clipboard"))?;
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    let notified = loop {
        match context.event_before(deadline)? {
            None => return Ok(Converted::NotText),
            Some(Event::SelectionNotify(e)) if e.requestor == context.window => break e,
            Some(_) => {}
        }
    };
    if notified.property == NONE {
        return Ok(Converted::Refused);
    }
    let mut reply = conn
        .get_property(
            true,
            context.window,
            notified.property,
            AtomEnum::ANY,
            0,
            u32::MAX / 4,
        )
        .map_err(x_error("could not read the clipboard"))?
        .reply()
        .map_err(x_error("could not read the clipboard"))?;
    let kind = reply.type_;
    let bytes = Zeroizing::new(std::mem::take(&mut reply.value));
    let text = if reply.format != 8 || kind == atoms.INCR {
        None
    } else if kind == Atom::from(AtomEnum::STRING) {
        // Latin-1: every byte is the character of that number (at most 2 bytes of UTF-8).
        let mut text = Zeroizing::new(String::with_capacity(bytes.len() * 2));
        text.extend(bytes.iter().map(|&b| char::from(b)));
        Some(text)
    } else if kind == atoms.UTF8_STRING || kind == atoms.UTF8_MIME || kind == atoms.PLAIN_MIME {
        std::str::from_utf8(&bytes)
            .ok()
            .map(|text| Zeroizing::new(text.to_owned()))
    } else {
        None
    };
    Ok(text.map_or(Converted::NotText, Converted::Text))
}

/// Empties the clipboard whoever holds it (a clipboard manager that took our value over):
/// what arboard's clear does.
pub(super) fn clear_any() -> Result<(), ClipboardError> {
    // As of now rather than of when we took it: whoever holds it loses it.
    release(&Context::open()?, CURRENT_TIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_keeps_what_fits_and_refuses_the_rest() {
        assert_eq!(
            latin1("Zürich ÿ").as_deref().map(Vec::as_slice),
            Some(&b"Z\xfcrich \xff"[..])
        );
        assert_eq!(
            latin1("sk_live_0123").as_deref().map(Vec::as_slice),
            Some(&b"sk_live_0123"[..])
        );
        assert!(latin1("€uro").is_none());
        assert!(latin1("🔑").is_none());
    }
}
