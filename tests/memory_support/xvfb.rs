//! An Xvfb of the test's own, for the tests that use the real X clipboard (tests/memory_x11.rs,
//! tests/clipboard_x11.rs). Each of those files holds one test: it sets DISPLAY for the whole
//! process before any clipboard thread starts.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the Xvfb it holds when dropped (also when an assertion fails).
pub struct Xvfb(Child);

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

/// An Xvfb of our own on a display nobody uses, with DISPLAY set to it and WAYLAND_DISPLAY set
/// to `wayland` (`None`: removed, so the clipboard is X11's even inside a Wayland session).
/// `None` when Xvfb or xclip is missing (the reason is printed; under CI=true it fails).
pub fn start_xvfb(wayland: Option<&str>) -> Option<Xvfb> {
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
    // SAFETY: the only test in its binary, and no other thread has started yet that reads
    // the environment (the clipboard connects after this).
    unsafe {
        std::env::set_var("DISPLAY", format!(":{display}"));
        match wayland {
            Some(name) => std::env::set_var("WAYLAND_DISPLAY", name),
            None => std::env::remove_var("WAYLAND_DISPLAY"),
        }
    }
    Some(xvfb)
}

/// What `xclip -o -selection clipboard` (with `args` added) prints, and whether it succeeded.
/// The caller zeroizes the output when it may hold a secret. Given up (a failure) after 5 s:
/// a paste whose owner never answers must not hang the test.
pub fn xclip_out(args: &[&str]) -> (bool, Vec<u8>) {
    let out = Command::new("timeout")
        .args(["5", "xclip", "-o", "-selection", "clipboard"])
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("run xclip -o");
    (out.status.success(), out.stdout)
}

/// Another program copies `text` (`printf %s text | xclip -selection clipboard`; xclip stays
/// in the background serving it until someone else copies or the X server goes).
pub fn xclip_copy(text: &str) {
    let status = Command::new("sh")
        .args([
            "-c",
            "printf %s \"$1\" | xclip -selection clipboard",
            "sh",
            text,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run xclip");
    assert!(status.success(), "xclip could not copy");
}
