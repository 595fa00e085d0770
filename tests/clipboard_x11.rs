//! keyward's X11 clipboard end to end, with other programs (xclip) on a real X server: the
//! exact value is pasted, the targets are listed with the "do not record" mark, a copy by
//! another program is left alone by the timed clear, a clipboard manager's copy of our value
//! is cleared, and after keyward's clear a paste gets nothing. WAYLAND_DISPLAY names a
//! compositor that is not there, so this also goes through arboard's choice of backend: it
//! falls back to X11, and so does keyward. Starts its own Xvfb on a free display; without
//! Xvfb or xclip it fails under CI (`CI=true`) and skips with the reason printed elsewhere.
//! One test in this file on purpose: it sets DISPLAY for the whole process before any
//! clipboard thread starts.
#![cfg(target_os = "linux")]

mod memory_support;

use chrono::Utc;
use keyward::clipboard::{ClearOutcome, ClipboardBackend, SystemClipboard, TimedClipboard};
use memory_support::xvfb::{start_xvfb, targets, wait_for_paste, xclip_copy, xclip_out};

/// The "do not record" mark in the targets (keyward's and arboard's).
const OUR_MARK: &str = "x-kde-passwordManagerHint";

/// The clipboard is served by keyward's own owner: the mark, and TIMESTAMP and STRING, which
/// arboard (the fallback elsewhere) does not offer.
fn served_by_keyward() -> bool {
    let listed = targets();
    [OUR_MARK, "TIMESTAMP", "STRING"]
        .iter()
        .all(|want| listed.iter().any(|t| t == want))
}

#[test]
fn other_programs_paste_keywards_copy_and_its_clear_respects_theirs() {
    let Some(_xvfb) = start_xvfb(Some("keyward-test-no-such-compositor")) else {
        return;
    };
    // Clipboards opened and closed in quick succession, each a connection opened and closed.
    for _ in 0..50 {
        SystemClipboard::new().expect("the X clipboard of our Xvfb, every time");
    }
    let value = "kw-test-Zürich-0123456789";
    let mut clipboard = TimedClipboard::new(Box::new(
        SystemClipboard::new().expect("the X clipboard of our Xvfb"),
    ));
    let now = Utc::now();
    let twenty = chrono::Duration::seconds(20);
    // A copy returns once keyward holds the clipboard (src/clipboard/x11.rs checks the owner),
    // so each paste below is answered at once, by keyward, or the test fails.
    clipboard
        .copy(value, "secret of e2e", twenty, now)
        .expect("copy");

    // The exact value, as UTF-8 (xclip's default target) and as Latin-1 (STRING).
    assert_eq!(
        xclip_out(&[]).as_deref(),
        Some(value.as_bytes()),
        "xclip -o pastes keyward's copy"
    );
    assert_eq!(
        xclip_out(&["-t", "STRING"]).as_deref(),
        Some(&b"kw-test-Z\xfcrich-0123456789"[..]),
        "xclip -o -t STRING"
    );
    assert_eq!(
        xclip_out(&["-t", "text/plain;charset=utf-8"]).as_deref(),
        Some(value.as_bytes()),
        "the UTF-8 MIME target"
    );

    // The targets: text in its forms and the mark for clipboard managers, which say
    // "secret"; no SAVE_TARGETS (no manager is asked to keep it); others refused.
    let listed = targets();
    for want in [
        "TARGETS",
        "TIMESTAMP",
        "UTF8_STRING",
        "STRING",
        "TEXT",
        OUR_MARK,
    ] {
        assert!(
            listed.iter().any(|t| t == want),
            "{want} in the targets {listed:?}"
        );
    }
    assert!(!listed.iter().any(|t| t == "SAVE_TARGETS"), "{listed:?}");
    assert_eq!(
        xclip_out(&["-t", OUR_MARK]).as_deref(),
        Some(&b"secret"[..]),
        "the hint says secret"
    );
    assert_eq!(
        xclip_out(&["-t", "image/png"]),
        None,
        "a target we do not offer is refused"
    );

    // Another program copies (xclip_copy returns once xclip holds the clipboard): the timed
    // clear finds its value and leaves it.
    xclip_copy("x");
    assert_eq!(
        clipboard.tick(now + twenty),
        Some(ClearOutcome::AlreadyReplaced)
    );
    assert_eq!(
        xclip_out(&[]).as_deref(),
        Some(&b"x"[..]),
        "xclip's copy stays"
    );

    // keyward copies again (taking the clipboard from xclip), then clears: nothing is left.
    clipboard
        .copy(value, "secret of e2e", twenty, now)
        .expect("copy again");
    assert_eq!(xclip_out(&[]).as_deref(), Some(value.as_bytes()));
    assert!(served_by_keyward(), "served by keyward again");
    assert_eq!(clipboard.clear_now(), Some(ClearOutcome::Cleared));
    assert_eq!(
        targets(),
        Vec::<String>::new(),
        "nobody holds the clipboard"
    );
    assert_eq!(xclip_out(&[]), None, "a paste after the clear gets nothing");

    // A clipboard manager takes our value over (it copies the same text; xclip_copy returns
    // once xclip, not keyward, serves it): the timed clear still clears it, as it holds what
    // keyward put there.
    clipboard
        .copy(value, "secret of e2e", twenty, now)
        .expect("copy a third time");
    xclip_copy(value);
    assert!(!served_by_keyward(), "xclip serves it now");
    assert_eq!(clipboard.tick(now + twenty), Some(ClearOutcome::Cleared));
    assert_eq!(
        targets(),
        Vec::<String>::new(),
        "nobody holds the clipboard"
    );
    assert_eq!(xclip_out(&[]), None, "the manager's copy of it is gone too");

    // A value too large for one X request is refused with an error, never a panic, and
    // nothing of it is in the message; the clipboard still works after.
    let mut backend = SystemClipboard::new().expect("a second clipboard");
    let huge = "k".repeat(64 << 20);
    let refused = backend.set_secret(&huge).expect_err("64 MiB is refused");
    assert!(
        refused.to_string().contains("too large") && refused.to_string().len() < 200,
        "{refused}"
    );
    drop(huge);
    assert_eq!(targets(), Vec::<String>::new(), "nothing was taken for it");
    backend.set_secret("small again").expect("a small value");
    assert!(served_by_keyward(), "served by keyward");
    assert_eq!(xclip_out(&[]).as_deref(), Some(&b"small again"[..]));
    assert_eq!(
        backend.text().expect("read").as_deref().map(String::as_str),
        Some("small again")
    );
    backend.clear().expect("clear");
    assert_eq!(xclip_out(&[]), None, "cleared");
    assert_eq!(backend.text().expect("read an empty clipboard"), None);

    // Another program's text is read back as it is (keyward reads xclip's copy).
    xclip_copy("someone else's");
    assert_eq!(
        backend
            .text()
            .expect("read xclip's copy")
            .as_deref()
            .map(String::as_str),
        Some("someone else's")
    );
    wait_for_paste("someone else's");
}
