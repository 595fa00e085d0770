//! `keyward copy` in a real X session (Xvfb): while it waits as the clipboard owner it holds
//! the one value it copied, not the decrypted vault (issue 13 item 8), and it copies custom
//! fields with `--field field:NAME`. The memory of the waiting process is read through
//! `/proc/PID/mem` (Linux).
//!
//! Needs `Xvfb` and `xclip` (Debian packages `xvfb`, `xclip`; .ci/run installs them).

// Unix file modes, signals and /proc: these run on Linux and macOS. The Windows build is
// tested end to end under Wine by scripts/wine-cli.sh.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{PASSWORD, Sandbox};
use keyward::secret::SecretString;
use keyward::store::{KdfParams, VaultFile};
use keyward::vault::{Credential, CustomField, Entry, Vault};

const COPIED: &str = "copied-secret-7f3a9c1e5b2d";
const OTHER_SECRET: &str = "other-secret-4e8b2a6c0d9f";
const OTHER_PASSPHRASE: &str = "other-passphrase-1a2b3c4d";
const FIELD_VALUE: &str = "custom-field-value-9z8y7x6w";

/// An X server of our own on a free display, killed on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn xvfb() -> Option<Xvfb> {
    if !tool("Xvfb") || !tool("xclip") {
        // CI installs them (.ci/run): there a missing tool is a failure, not a skip.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "needs Xvfb and xclip (apt-get install xvfb xclip)"
        );
        eprintln!("skipped: needs Xvfb and xclip (apt-get install xvfb xclip)");
        return None;
    }
    let base = 300 + std::process::id() % 400;
    for n in base..base + 50 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            || Path::new(&format!("/tmp/.X{n}-lock")).exists()
        {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([display.as_str(), "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let x = Xvfb { child, display };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return Some(x);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("no Xvfb display came up");
}

/// A vault with the key to copy (a custom field too) and another key, made through the
/// library: the CLI cannot add custom fields.
fn sandbox() -> Sandbox {
    let s = Sandbox::new();
    let now = chrono::Utc::now();
    let mut vault = Vault::default();
    let mut k = Entry::new(
        "k",
        Credential::Token {
            token: COPIED.into(),
        },
        now,
    );
    k.custom_fields = thin_vec::thin_vec![CustomField::new("Deploy Token", FIELD_VALUE, true)];
    vault.add(k).expect("add");
    vault
        .add(Entry::new(
            "other",
            Credential::SharedSecret {
                key_id: "other-key-id".into(),
                secret: OTHER_SECRET.into(),
                passphrase: Some(OTHER_PASSPHRASE.into()),
            },
            now,
        ))
        .expect("add");
    VaultFile::create(
        &s.vault,
        SecretString::from(PASSWORD),
        KdfParams::from_mib(1, 1, 1).expect("params"),
        &vault,
    )
    .expect("create");
    s
}

/// Which of `needles` occur in the writable memory of process `pid` (heap, stacks,
/// anonymous maps: where a program's data lives).
fn in_memory(pid: u32, needles: &[&str]) -> Vec<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("mem");
    let finder = aho_corasick::AhoCorasick::new(needles).expect("patterns");
    let mut found = vec![false; needles.len()];
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with("rw") || line.ends_with("[vvar]") || line.ends_with("[vsyscall]") {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        else {
            continue;
        };
        let mut region = vec![0u8; (end - start) as usize];
        if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut region).is_err() {
            continue;
        }
        for m in finder.find_overlapping_iter(&region) {
            found[m.pattern().as_usize()] = true;
        }
    }
    needles
        .iter()
        .zip(found)
        .filter(|(_, f)| *f)
        .map(|(n, _)| (*n).to_owned())
        .collect()
}

/// Starts `keyward copy k ARGS` on `display` and waits until it serves the clipboard.
fn start_copy(s: &Sandbox, display: &str, args: &[&str]) -> Child {
    let mut all = vec!["copy", "k", "--clear-after", "60"];
    all.extend_from_slice(args);
    let mut cmd = s.command_pw(&all);
    cmd.env("DISPLAY", display).env_remove("WAYLAND_DISPLAY");
    let mut child = cmd.spawn().expect("start keyward copy");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    assert!(first.starts_with("Copied the "), "{first}");
    // Keep reading stderr in the background so the child never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    child
}

fn clipboard(display: &str) -> String {
    let out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", display)
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stop(mut child: Child) {
    // SAFETY: signals our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().expect("wait");
    assert!(status.success(), "copy exits 0 after clearing: {status:?}");
}

#[test]
fn a_waiting_copy_holds_only_the_copied_value() {
    let Some(x) = xvfb() else {
        return;
    };
    let s = sandbox();
    let everything = [
        COPIED,
        OTHER_SECRET,
        OTHER_PASSPHRASE,
        FIELD_VALUE,
        PASSWORD,
    ];
    for (args, copied) in [
        (&[][..], COPIED),
        (&["--field", "field:deploy token"][..], FIELD_VALUE),
    ] {
        let child = start_copy(&s, &x.display, args);
        // "Copied" is printed just before the clipboard is taken: wait until it is served.
        let started = Instant::now();
        while clipboard(&x.display) != copied && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(clipboard(&x.display), copied, "{args:?}");
        let found = in_memory(child.id(), &everything);
        // The scan sees the value being served: it would see the others if they were there.
        assert!(
            found.iter().any(|f| f == copied),
            "{args:?}: scan found {found:?}"
        );
        let leftovers: Vec<&String> = found.iter().filter(|f| *f != copied).collect();
        assert!(
            leftovers.is_empty(),
            "{args:?}: while waiting, the process still holds {leftovers:?}"
        );
        stop(child);
        assert_ne!(clipboard(&x.display), copied, "cleared on SIGTERM");
    }
}

#[test]
fn copy_names_a_missing_custom_field_before_touching_the_clipboard() {
    let s = sandbox();
    let mut cmd = s.command_pw(&["copy", "k", "--field", "field:nope"]);
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    common::run_command(cmd, None)
        .expect_code(5)
        .stderr_has("has no custom field 'nope'")
        .leaks_none(&[COPIED, FIELD_VALUE]);
    s.run_pw(&["copy", "k", "--field", "field:"], None)
        .expect_code(2)
        .stderr_has("field:NAME");
}
