//! An Xvfb of the test's own, for the tests that use the real X clipboard (tests/memory_x11.rs,
//! tests/clipboard_x11.rs). Each of those files holds one test: it sets DISPLAY for the whole
//! process before any clipboard thread starts.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Stops the Xvfb it holds when dropped (also when an assertion fails): SIGTERM, so that it
/// removes its socket and lock file (a killed Xvfb leaves them, and the display looks taken),
/// then SIGKILL if it has not ended within 5 s.
pub struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.0.id()) {
            // SAFETY: a signal to our own child, which has not been waited for yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
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
    // -displayfd: Xvfb picks a free display itself and writes its number to our pipe once it
    // accepts connections. -noreset: without it the server resets whenever its last client
    // leaves and closes the connections that arrive during the reset (the tests open and
    // close many).
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "640x480x24"])
        .args(["-nolisten", "tcp", "-noreset"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let stdout = child.stdout.take().expect("Xvfb's stdout is piped");
    let xvfb = Xvfb(child);
    let (tell, told) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tell.send(line);
    });
    let line = told
        .recv_timeout(Duration::from_secs(20))
        .expect("Xvfb did not tell its display within 20 s");
    let display: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb did not start (it wrote {line:?})"));
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

/// How long `xclip -o` may wait for the clipboard's owner to answer: xclip itself waits for
/// ever, and an owner that never answers is a failure, not a hang.
const PASTE_TIMEOUT: &str = "5";
/// How long another program may take to hold the clipboard.
const OWNERSHIP_DEADLINE: Duration = Duration::from_secs(10);

/// What `xclip -o -selection clipboard` (with `args` added) prints; `None` when there is
/// nothing to paste (nobody holds the clipboard, or the owner refuses the target). Fails when
/// the owner does not answer in time. The caller zeroizes the output when it may hold a secret.
pub fn xclip_out(args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("timeout")
        .args([PASTE_TIMEOUT, "xclip", "-o", "-selection", "clipboard"])
        .args(args)
        .output()
        .expect("run xclip -o");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Some(out.stdout),
        // xclip's answer to a refused target (SelectionNotify with property None).
        Some(1) if stderr.contains("not available") => None,
        Some(124) => {
            panic!("xclip -o {args:?}: the clipboard's owner did not answer in {PASTE_TIMEOUT} s")
        }
        _ => panic!("xclip -o {args:?} failed ({}): {stderr}", out.status),
    }
}

/// Waits until `xclip -o` pastes `want` (at most [`OWNERSHIP_DEADLINE`]).
pub fn wait_for_paste(want: &str) {
    let started = Instant::now();
    loop {
        let out = xclip_out(&[]);
        if out.as_deref() == Some(want.as_bytes()) {
            return;
        }
        assert!(
            started.elapsed() < OWNERSHIP_DEADLINE,
            "xclip -o never pasted {want:?} (last: {:?})",
            out.as_deref().map(String::from_utf8_lossy)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The clipboard's targets (`xclip -o -t TARGETS`, one a line), empty when nobody holds it.
pub fn targets() -> Vec<String> {
    xclip_out(&["-t", "TARGETS"])
        .map(|out| {
            String::from_utf8_lossy(&out)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Another program copies `text` (`printf %s text | xclip -selection clipboard`) and holds
/// the clipboard when this returns. xclip queues its SetSelectionOwner, forks, and the parent
/// exits: the request goes out only when the child first waits for events, so right after
/// `xclip` returns the previous owner may still answer (under load `xclip -o` pasted the
/// previous value 2 times in 300). Hence the wait for xclip's own targets (TARGETS and
/// UTF8_STRING, without keyward's `x-kde-passwordManagerHint`) and its text. The child then
/// serves it until someone else copies or the X server goes.
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
    let xclips = ["TARGETS".to_owned(), "UTF8_STRING".to_owned()];
    let started = Instant::now();
    loop {
        let listed = targets();
        if listed == xclips && xclip_out(&[]).as_deref() == Some(text.as_bytes()) {
            return;
        }
        assert!(
            started.elapsed() < OWNERSHIP_DEADLINE,
            "xclip never took the clipboard (its targets: {listed:?})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
