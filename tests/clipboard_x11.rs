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

use std::time::{Duration, Instant};

use chrono::Utc;
use keyward::clipboard::{ClearOutcome, ClipboardBackend, SystemClipboard, TimedClipboard};
use memory_support::xvfb::{start_xvfb, xclip_copy, xclip_out};

/// Waits until `xclip -o` pastes `want` (xclip in the background may take a moment).
fn wait_for_paste(want: &str) {
    let started = Instant::now();
    loop {
        let (ok, out) = xclip_out(&[]);
        if ok && out == want.as_bytes() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "xclip -o never pasted {want:?} (last: {:?})",
            String::from_utf8_lossy(&out)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn other_programs_paste_keywards_copy_and_its_clear_respects_theirs() {
    let Some(_xvfb) = start_xvfb(Some("keyward-test-no-such-compositor")) else {
        return;
    };
    // Connections in quick succession (X.Org drops some of them: src/clipboard/x11.rs).
    for _ in 0..50 {
        SystemClipboard::new().expect("the X clipboard of our Xvfb, every time");
    }
    let value = "kw-test-Zürich-0123456789";
    let mut clipboard = TimedClipboard::new(Box::new(
        SystemClipboard::new().expect("the X clipboard of our Xvfb"),
    ));
    let now = Utc::now();
    let twenty = chrono::Duration::seconds(20);
    clipboard
        .copy(value, "secret of e2e", twenty, now)
        .expect("copy");

    // The exact value, as UTF-8 (xclip's default target) and as Latin-1 (STRING).
    let (ok, out) = xclip_out(&[]);
    assert!(ok, "xclip -o pastes keyward's copy");
    assert_eq!(String::from_utf8_lossy(&out), value);
    let (ok, out) = xclip_out(&["-t", "STRING"]);
    assert!(ok, "xclip -o -t STRING");
    assert_eq!(out, b"kw-test-Z\xfcrich-0123456789");
    let (ok, out) = xclip_out(&["-t", "text/plain;charset=utf-8"]);
    assert!(ok && out == value.as_bytes(), "the UTF-8 MIME target");

    // The targets: text in its forms and the mark for clipboard managers, which say
    // "secret"; no SAVE_TARGETS (no manager is asked to keep it); others refused.
    let (ok, out) = xclip_out(&["-t", "TARGETS"]);
    assert!(ok, "xclip -o -t TARGETS");
    let targets = String::from_utf8_lossy(&out);
    let listed: Vec<&str> = targets.lines().collect();
    for want in [
        "TARGETS",
        "UTF8_STRING",
        "STRING",
        "TEXT",
        "x-kde-passwordManagerHint",
    ] {
        assert!(listed.contains(&want), "{want} in the targets {listed:?}");
    }
    assert!(!listed.contains(&"SAVE_TARGETS"), "{listed:?}");
    let (ok, out) = xclip_out(&["-t", "x-kde-passwordManagerHint"]);
    assert!(ok && out == b"secret", "the hint says secret");
    let (ok, out) = xclip_out(&["-t", "image/png"]);
    assert!(!ok || out.is_empty(), "a target we do not offer is refused");

    // Another program copies: the timed clear finds its value and leaves it.
    xclip_copy("x");
    wait_for_paste("x");
    assert_eq!(
        clipboard.tick(now + twenty),
        Some(ClearOutcome::AlreadyReplaced)
    );
    wait_for_paste("x");

    // keyward copies again (taking the clipboard from xclip), then clears: nothing is left.
    clipboard
        .copy(value, "secret of e2e", twenty, now)
        .expect("copy again");
    wait_for_paste(value);
    assert_eq!(clipboard.clear_now(), Some(ClearOutcome::Cleared));
    let (_, out) = xclip_out(&[]);
    assert!(out.is_empty(), "a paste after the clear gets nothing");

    // A clipboard manager takes our value over (it copies the same text): the timed clear
    // still clears it, as it holds what keyward put there.
    clipboard
        .copy(value, "secret of e2e", twenty, now)
        .expect("copy a third time");
    xclip_copy(value);
    wait_for_paste(value);
    assert_eq!(clipboard.tick(now + twenty), Some(ClearOutcome::Cleared));
    let (_, out) = xclip_out(&[]);
    assert!(out.is_empty(), "the manager's copy of it is gone too");

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
    backend.set_secret("small again").expect("a small value");
    wait_for_paste("small again");
    assert_eq!(
        backend.text().expect("read").as_deref().map(String::as_str),
        Some("small again")
    );
    backend.clear().expect("clear");
    let (_, out) = xclip_out(&[]);
    assert!(out.is_empty(), "cleared");
    assert_eq!(backend.text().expect("read an empty clipboard"), None);
}
