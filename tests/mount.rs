//! `keyward mount PATH --env-file TEMPLATE` (issue 15 item 5): a FIFO with mode 0600 that
//! hands each reader the filled template, a copy per reader; refused over any existing path;
//! a reader that leaves early or stalls is survived; gone after SIGTERM, SIGINT or SIGHUP.
#![cfg(unix)]

mod common;

use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Run, Sandbox};

const TOKEN: &str = "tok-mount-abcdefghijklmnop";
const SECRET: &str = "sec-mount-0123456789";
const KEY_ID: &str = "KEYID-mount-42";
/// Generous: a loaded 2-core machine running a debug build.
const LIMIT: Duration = Duration::from_secs(60);

fn sandbox() -> Sandbox {
    let s = Sandbox::with_vault();
    s.add("ci", TOKEN, &["--kind", "token"]);
    s.add(
        "bot",
        SECRET,
        &["--key-id", KEY_ID, "--provider", "binance"],
    );
    s
}

/// Starts `keyward mount PATH --env-file TEMPLATE` and waits until the FIFO is there.
fn mount(s: &Sandbox, fifo: &Path, template: &Path) -> Child {
    let mut child = s.spawn_pw(&[
        "mount",
        &fifo.to_string_lossy(),
        "--env-file",
        &template.to_string_lossy(),
    ]);
    let started = Instant::now();
    while !std::fs::symlink_metadata(fifo).is_ok_and(|m| m.file_type().is_fifo()) {
        if let Ok(Some(status)) = child.try_wait() {
            let run = Run::from_output(child.wait_with_output().expect("output"));
            panic!("keyward mount exited ({status}) before the FIFO appeared: {run:?}");
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("no FIFO at {} after {LIMIT:?}", fifo.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Runs `f` on a thread and waits at most LIMIT for it: a FIFO read that would hang fails.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(LIMIT)
        .unwrap_or_else(|_| panic!("{what}: nothing after {LIMIT:?}"))
}

fn read_fifo(path: &Path) -> String {
    let p = path.to_owned();
    bounded("reading the FIFO", move || {
        std::fs::read_to_string(&p).expect("read the FIFO")
    })
}

/// Sends `signal` and waits for keyward to exit; its run.
fn stop(child: Child, signal: libc::c_int) -> Run {
    let pid = child.id() as libc::pid_t;
    // SAFETY: sends a signal to our own child.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill");
    bounded("keyward stopping", move || {
        Run::from_output(child.wait_with_output().expect("wait for keyward"))
    })
}

/// Every regular file under the sandbox that holds `secret`.
fn regular_files_holding(dir: &Path, secret: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let meta = std::fs::symlink_metadata(entry.path()).expect("meta");
        if meta.is_file() {
            let bytes = std::fs::read(entry.path()).expect("read");
            if bytes.windows(secret.len()).any(|w| w == secret.as_bytes()) {
                found.push(entry.path());
            }
        }
    }
    found
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".keyward-"))
        .collect()
}

#[test]
fn each_reader_gets_its_own_copy_and_the_fifo_goes_with_sigterm() {
    let s = sandbox();
    let template = s.write_file(
        ".env.tpl",
        "CI_TOKEN=keyward://ci\nBOT_KEY={{ keyward://bot/key }}\nBOT_SECRET=\"keyward://bot/secret\"\nMODE=live\n",
    );
    let expected =
        format!("CI_TOKEN={TOKEN}\nBOT_KEY={KEY_ID}\nBOT_SECRET=\"{SECRET}\"\nMODE=live\n");
    let fifo = s.path("app.env");
    let child = mount(&s, &fifo, &template);
    assert_eq!(common::mode(&fifo), 0o600, "the FIFO is owner-only");

    assert_eq!(read_fifo(&fifo), expected, "first reader");
    assert_eq!(read_fifo(&fifo), expected, "second reader");

    // A reader that keeps the FIFO open after the end of its copy sees the end again, not a
    // second copy glued to the first (keyward renews the FIFO for the next reader).
    let p = fifo.clone();
    let (first, again) = bounded("a reader holding the FIFO", move || {
        let mut f = std::fs::File::open(&p).expect("open");
        let mut text = String::new();
        f.read_to_string(&mut text).expect("read");
        std::thread::sleep(Duration::from_millis(400));
        let mut more = String::new();
        f.read_to_string(&mut more).expect("read again");
        (text, more)
    });
    assert_eq!(first, expected);
    assert_eq!(again, "", "nothing after the end of a copy");
    assert_eq!(read_fifo(&fifo), expected, "the reader after it");
    assert_eq!(
        common::mode(&fifo),
        0o600,
        "the renewed FIFO is owner-only too"
    );

    for secret in [TOKEN, SECRET, KEY_ID] {
        assert_eq!(
            regular_files_holding(s.dir.path(), secret),
            Vec::<PathBuf>::new()
        );
    }

    let run = stop(child, libc::SIGTERM);
    run.ok()
        .leaks_none(&[TOKEN, SECRET, KEY_ID])
        .stderr_has("Mounted")
        .stderr_has("Ctrl+C")
        .stderr_has("Served");
    assert!(
        std::fs::symlink_metadata(&fifo).is_err(),
        "the FIFO is gone"
    );
    assert_eq!(leftovers(s.dir.path()), Vec::<String>::new());
}

#[test]
fn a_reader_that_leaves_early_is_survived_and_sigint_stops() {
    let s = sandbox();
    // Far more than a pipe holds (64 KiB), so keyward is mid-write when the reader leaves.
    let padding = "#".repeat(1 << 20);
    let template = s.write_file("big.tpl", &format!("{padding}\nT=keyward://ci\n"));
    let expected = format!("{padding}\nT={TOKEN}\n");
    let fifo = s.path("big.env");
    let mut child = mount(&s, &fifo, &template);

    let p = fifo.clone();
    let head = bounded("a reader that leaves", move || {
        let mut f = std::fs::File::open(&p).expect("open");
        let mut head = [0u8; 100];
        f.read_exact(&mut head).expect("read the head");
        head
    });
    assert_eq!(&head[..], &expected.as_bytes()[..100]);
    assert!(read_fifo(&fifo) == expected, "the next reader gets it all");
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "keyward still runs"
    );

    let run = stop(child, libc::SIGINT);
    run.ok()
        .leaks_none(&[TOKEN])
        .stderr_has("before reading all of it");
    assert!(
        std::fs::symlink_metadata(&fifo).is_err(),
        "the FIFO is gone"
    );
    assert_eq!(leftovers(s.dir.path()), Vec::<String>::new());
}

#[test]
fn sighup_stops_it_while_a_reader_stalls() {
    let s = sandbox();
    let padding = "#".repeat(1 << 20);
    let template = s.write_file("big.tpl", &format!("{padding}\nT=keyward://ci\n"));
    let fifo = s.path("stall.env");
    let child = mount(&s, &fifo, &template);
    // Opened and never read: keyward's write fills the pipe and waits.
    let stalled = std::fs::File::open(&fifo).expect("open");
    std::thread::sleep(Duration::from_millis(200));
    let run = stop(child, libc::SIGHUP);
    run.ok().leaks_none(&[TOKEN]);
    drop(stalled);
    assert!(
        std::fs::symlink_metadata(&fifo).is_err(),
        "the FIFO is gone"
    );
}

/// Runs a mount that must be refused; bounded, since one that was not refused would wait.
fn refused(s: &Sandbox, args: &[&str]) -> Run {
    let mut full = vec!["mount"];
    full.extend_from_slice(args);
    let child = s.spawn_pw(&full);
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Run::from_output(child.wait_with_output().expect("wait")));
    });
    rx.recv_timeout(LIMIT).unwrap_or_else(|_| {
        // SAFETY: our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        panic!("keyward mount {args:?} was not refused");
    })
}

#[test]
fn existing_paths_vaults_and_bad_templates_are_refused() {
    let s = sandbox();
    let template = s.write_file("t.tpl", "T=keyward://ci\n");
    let tpl = template.to_string_lossy().into_owned();

    let file = s.write_file("app.env", "keep me\n");
    refused(&s, &[&file.to_string_lossy(), "--env-file", &tpl])
        .expect_code(2)
        .stderr_has("exists")
        .stderr_has("never replaces");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me\n");

    let dangling = s.path("link.env");
    std::os::unix::fs::symlink(s.path("nowhere"), &dangling).expect("symlink");
    refused(&s, &[&dangling.to_string_lossy(), "--env-file", &tpl]).expect_code(2);
    assert!(
        std::fs::symlink_metadata(&dangling)
            .expect("still there")
            .is_symlink()
    );
    assert!(!s.path("nowhere").exists(), "nothing made through the link");

    let before = s.vault_bytes();
    let run = refused(&s, &[&s.vault.to_string_lossy(), "--env-file", &tpl]);
    assert_ne!(run.code, Some(0), "{run:?}");
    assert_eq!(s.vault_bytes(), before, "the vault is untouched");

    let bad = s.write_file("bad.tpl", "A=1\nT=keyward://nobody\n");
    let fresh = s.path("fresh.env");
    refused(
        &s,
        &[
            &fresh.to_string_lossy(),
            "--env-file",
            &bad.to_string_lossy(),
        ],
    )
    .expect_code(2)
    .stderr_has("line 2")
    .stderr_has("nobody");
    assert!(
        std::fs::symlink_metadata(&fresh).is_err(),
        "no FIFO for a bad template"
    );

    refused(
        &s,
        &[
            &fresh.to_string_lossy(),
            "--env-file",
            &s.path("missing.tpl").to_string_lossy(),
        ],
    )
    .expect_code(5)
    .stderr_has("missing.tpl");
    assert!(std::fs::symlink_metadata(&fresh).is_err());
}
