//! Issue 13 item 3 with the real X clipboard: a secret copied through keyward's own clipboard
//! path (`TimedClipboard` over `SystemClipboard`, arboard's X11 backend), pasted by another
//! program (`xclip -o`), then cleared, leaves no 10-byte piece of itself in this process's
//! memory. tests/memory.rs does reveal + copy + lock in the app with the in-memory clipboard;
//! this is the part only a real X server exercises: the selection owner's thread that serves
//! the paste, and x11rb's buffers that carry it.
//!
//! With the connection kept open after the clear, 36 windows of a 64-character secret were
//! left (in the thread that serves pastes and the connection's buffers); `SystemClipboard`
//! now closes it on every clear. Starts its own Xvfb on a free display. Without Xvfb or xclip the test fails under CI
//! (`CI=true`) and skips with the reason printed elsewhere. One test in this file on purpose:
//! it sets DISPLAY for the whole process before any clipboard thread starts.
#![cfg(target_os = "linux")]

mod memory_support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keyward::clipboard::{ClearOutcome, SystemClipboard, TimedClipboard};
use keyward::memlock;
use memory_support::{Needle, runs, scan_self};
use zeroize::Zeroize;

/// The allocator of the keyward binary (src/main.rs): freed blocks are zeroed.
#[global_allocator]
static ALLOCATOR: memlock::WipeOnFree = memlock::WipeOnFree;

/// Kills the Xvfb it holds when dropped (also when an assertion fails).
struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn missing(what: &str) -> Option<Xvfb> {
    let reason = format!("{what} (Debian: apt-get install xvfb xclip)");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "under CI this test needs {reason}"
    );
    eprintln!("skipped: {reason}");
    None
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An Xvfb of our own on a display nobody uses, with DISPLAY set to it.
fn start_xvfb() -> Option<Xvfb> {
    for tool in ["Xvfb", "xclip"] {
        if !have(tool) {
            return missing(&format!("{tool} is not installed"));
        }
    }
    let display = (200..260).find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())?;
    let child = Command::new("Xvfb")
        .arg(format!(":{display}"))
        .args(["-screen", "0", "640x480x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let xvfb = Xvfb(child);
    let socket = format!("/tmp/.X11-unix/X{display}");
    let started = Instant::now();
    while !Path::new(&socket).exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "Xvfb :{display} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: the only test in this binary, and no other thread has started yet that reads
    // the environment (the clipboard connects after this).
    unsafe { std::env::set_var("DISPLAY", format!(":{display}")) };
    Some(xvfb)
}

/// A random secret of `len` letters and digits and its needle; the test keeps hashes only.
fn random_secret(len: usize) -> (String, Needle) {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = vec![0u8; len];
    getrandom::fill(&mut raw).expect("random");
    let text: String = raw
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    raw.zeroize();
    let needle = Needle::new(text.as_bytes());
    (text, needle)
}

/// What another program pastes: `xclip -o`'s output, compared without keeping a copy.
fn pasted_matches(needle: &Needle) -> bool {
    let mut out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .stderr(Stdio::null())
        .output()
        .expect("run xclip -o");
    let mut hits = Vec::new();
    needle.find(&out.stdout, &mut hits);
    let whole = out.status.success() && !hits.is_empty();
    out.stdout.zeroize();
    whole
}

#[test]
fn nothing_of_a_secret_on_the_real_x_clipboard_is_left_after_it_is_cleared() {
    let Some(_xvfb) = start_xvfb() else { return };
    let (mut secret, needle) = random_secret(64);
    let backend = SystemClipboard::new().expect("the X clipboard of our Xvfb");
    let mut clipboard = TimedClipboard::new(Box::new(backend));
    let now = chrono::Utc::now();
    clipboard
        .copy(
            &secret,
            "secret of scan-me",
            chrono::Duration::seconds(20),
            now,
        )
        .expect("copy");
    secret.zeroize();
    drop(secret);
    // Another program pastes it: the owner's thread serves it through the X server.
    let started = Instant::now();
    while !pasted_matches(&needle) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "xclip never pasted the secret from keyward's clipboard"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (before, _) = scan_self(&needle);
    assert!(
        !before.is_empty(),
        "the scan finds the secret while it is on the clipboard (else it could not fail)"
    );
    assert!(
        matches!(clipboard.clear_now(), Some(ClearOutcome::Cleared)),
        "the clipboard still held our copy and was cleared"
    );
    assert!(
        !pasted_matches(&needle),
        "a paste after the clear gets nothing of it"
    );
    // Let the owner's thread answer the last requests and drop what it held.
    std::thread::sleep(Duration::from_millis(300));
    let (hits, scanned) = scan_self(&needle);
    let runs = runs(&hits);
    eprintln!(
        "scanned {} MiB: {} windows of the secret while on the clipboard, {} after the clear \
         ({} runs: {:?})",
        scanned >> 20,
        before.len(),
        hits.len(),
        runs.len(),
        runs.iter()
            .map(|(a, len, m)| format!("{a:#x}+{len} {m}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        hits.len(),
        0,
        "pieces of the secret are left after the clear"
    );
    // Still usable after the clear closed its connection: the next copy opens a new one.
    clipboard
        .copy(
            "not a secret",
            "a test value",
            chrono::Duration::seconds(20),
            now,
        )
        .expect("copy again");
    let mut out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .expect("run xclip -o");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "not a secret");
    out.stdout.zeroize();
}
