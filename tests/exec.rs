//! End-to-end tests of `exec` (issue 6): the real binary runs real children (`sh`,
//! `python3`) with keys in their environment.
//!
//! Needs `python3` (Debian package `python3`) for the byte-at-a-time writer.

// Unix file modes, signals and /proc: these run on Linux and macOS. The Windows build is
// tested end to end under Wine by scripts/wine-cli.sh.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;

use common::{Run, Sandbox, run_command};

const SECRET: &str = "sEcReT-9f8e7d6c5b4a-value";
const TOKEN: &str = "ghp_0123456789abcdefTOKEN";
const KEY_ID: &str = "KEYID-public-1234";
const MASK: &str = "<concealed by keyward>";

fn sandbox() -> Sandbox {
    let s = Sandbox::with_vault();
    s.add(
        "bot",
        SECRET,
        &["--key-id", KEY_ID, "--provider", "binance"],
    );
    s.add("gh", TOKEN, &["--kind", "token"]);
    s
}

/// `keyward --password-file P exec OPTIONS -- COMMAND` (the password option must come
/// before `--`, which `Sandbox::command_pw` would put after it).
fn exec_command(s: &Sandbox, options: &[&str], command: &[&str]) -> std::process::Command {
    let pw = s.password_file.to_str().expect("utf-8 path").to_owned();
    let mut args = vec!["--password-file", pw.as_str(), "exec"];
    args.extend_from_slice(options);
    args.push("--");
    args.extend_from_slice(command);
    s.command(&args)
}

fn exec(s: &Sandbox, options: &[&str], command: &[&str]) -> Run {
    run_command(exec_command(s, options, command), None)
}

/// The files under `dir`, recursively, with their sizes.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                out.push((p.display().to_string(), len));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn variables_arrive_in_the_child() {
    let s = sandbox();
    let run = exec(
        &s,
        &[
            "--no-masking",
            "--env",
            "API_SECRET=bot",
            "--env",
            "API_KEY=bot.key",
            "--env",
            "GH=gh.secret",
        ],
        &[
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$API_SECRET\" \"$API_KEY\" \"$GH\"",
        ],
    );
    run.ok();
    assert_eq!(run.stdout, format!("{SECRET}|{KEY_ID}|{TOKEN}"));
}

#[test]
fn template_file_references_and_plain_values() {
    let s = sandbox();
    let template = s.write_file(
        "bot.env",
        "# references, not secrets\nexport API_KEY=keyward://bot/key\nAPI_SECRET=\"keyward://bot/secret\"\nMODE=paper\nGH=keyward://gh\n",
    );
    let template = template.to_str().expect("utf-8 path");
    let run = exec(
        &s,
        &["--no-masking", "--env-file", template],
        &[
            "sh",
            "-c",
            "printf '%s|%s|%s|%s' \"$API_KEY\" \"$API_SECRET\" \"$MODE\" \"$GH\"",
        ],
    );
    run.ok();
    assert_eq!(run.stdout, format!("{KEY_ID}|{SECRET}|paper|{TOKEN}"));

    // --env wins over the file for the same variable.
    let run = exec(
        &s,
        &[
            "--no-masking",
            "--env-file",
            template,
            "--env",
            "API_SECRET=gh",
        ],
        &["sh", "-c", "printf '%s' \"$API_SECRET\""],
    );
    run.ok();
    assert_eq!(run.stdout, TOKEN);

    let bad = s.write_file("bad.env", "API_KEY=keyward://bot/colour\n");
    exec(&s, &["--env-file", bad.to_str().expect("path")], &["true"])
        .expect_code(2)
        .stderr_has("bad.env:1");
}

#[test]
fn output_is_masked_on_stdout_and_stderr() {
    let s = sandbox();
    let run = exec(
        &s,
        &["--env", "S=bot", "--env", "K=bot.key"],
        &[
            "sh",
            "-c",
            "echo \"secret=$S key=$K\"; echo \"err:$S$S\" >&2; printf '%s' \"$S\"",
        ],
    );
    run.ok().leaks_none(&[SECRET, KEY_ID]);
    assert_eq!(run.stdout, format!("secret={MASK} key={MASK}\n{MASK}"));
    assert_eq!(run.stderr, format!("err:{MASK}{MASK}\n"));
}

#[test]
fn masking_holds_when_the_secret_is_written_one_byte_at_a_time() {
    let s = sandbox();
    // Each byte is its own write(2), flushed, with a pause so keyward reads them apart.
    let script = r#"
import os, sys, time
s = os.environ["S"].encode()
for stream in (sys.stdout.buffer, sys.stderr.buffer):
    stream.write(b"before ")
    stream.flush()
    for b in s:
        stream.write(bytes([b]))
        stream.flush()
        time.sleep(0.01)
    stream.write(b" after\n")
    stream.flush()
"#;
    let run = exec(&s, &["--env", "S=bot"], &["python3", "-u", "-c", script]);
    run.ok().leaks_none(&[SECRET]);
    assert_eq!(run.stdout, format!("before {MASK} after\n"));
    assert_eq!(run.stderr, format!("before {MASK} after\n"));
    // Not even a piece of the secret got through.
    for piece in [&SECRET[..8], &SECRET[8..16], &SECRET[16..]] {
        assert!(!run.stdout.contains(piece) && !run.stderr.contains(piece));
    }
}

#[test]
fn unmasked_output_passes_through_byte_for_byte() {
    let s = sandbox();
    let run = exec(
        &s,
        &["--no-masking", "--env", "S=bot"],
        &["sh", "-c", "printf 'a\\0b\\377%s' \"$S\""],
    );
    run.ok();
    assert_eq!(run.stdout.as_bytes()[..3], *b"a\0b");
    assert!(run.stdout.ends_with(SECRET));
}

#[test]
fn output_flows_before_the_child_exits() {
    // The child prints a line and then waits for the test to answer; if keyward held the
    // line back, the child would give up and exit 3.
    let s = sandbox();
    let go = s.path("go");
    let script = format!(
        "echo ready; i=0; while [ ! -e '{}' ]; do i=$((i+1)); [ $i -gt 600 ] && exit 3; sleep 0.05; done; echo done",
        go.display()
    );
    let mut child = exec_command(&s, &["--env", "S=bot"], &["sh", "-c", &script])
        .spawn()
        .expect("start keyward");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read");
    assert_eq!(line, "ready\n");
    std::fs::write(&go, "").expect("answer");
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("read");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "the child saw the answer");
    assert_eq!(rest, "done\n");
}

#[test]
fn exit_codes_pass_through() {
    let s = sandbox();
    for code in [0, 1, 42, 255] {
        exec(
            &s,
            &["--env", "S=bot"],
            &["sh", "-c", &format!("exit {code}")],
        )
        .expect_code(code);
        exec(
            &s,
            &["--no-masking", "--env", "S=bot"],
            &["sh", "-c", &format!("exit {code}")],
        )
        .expect_code(code);
    }
    // Death by a signal: 128 + the signal, as a shell reports it.
    exec(&s, &["--env", "S=bot"], &["sh", "-c", "kill -KILL $$"]).expect_code(128 + 9);
}

#[test]
fn stdin_reaches_the_child() {
    let s = sandbox();
    let mut cmd = exec_command(
        &s,
        &["--env", "S=bot"],
        &["sh", "-c", "read l; echo \"got $l\""],
    );
    cmd.stdin(Stdio::piped());
    let run = run_command(cmd, Some("hello\n"));
    run.ok();
    assert_eq!(run.stdout, "got hello\n");
}

fn signal_reaches_the_child(signal: libc::c_int, name: &str) {
    let s = sandbox();
    let ready = s.path("ready");
    let marker = s.path("marker");
    let script = format!(
        "trap 'echo {name} > \"{m}\"; exit 7' {name}; touch \"{r}\"; i=0; while [ $i -lt 600 ]; do i=$((i+1)); sleep 0.05; done; exit 9",
        m = marker.display(),
        r = ready.display()
    );
    let child = exec_command(&s, &["--env", "S=bot"], &["sh", "-c", &script])
        .spawn()
        .expect("start keyward");
    // Wait (bounded) until the child's trap is in place.
    let mut tries = 0;
    while !ready.exists() {
        tries += 1;
        assert!(tries < 600, "the child never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sends a signal to the keyward process this test started.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        std::fs::read_to_string(&marker).ok().as_deref(),
        Some(format!("{name}\n").as_str()),
        "the child's trap ran"
    );
    assert_eq!(
        output.status.code(),
        Some(7),
        "keyward returned the child's code"
    );
}

#[test]
fn sigterm_reaches_the_child() {
    signal_reaches_the_child(libc::SIGTERM, "TERM");
}

#[test]
fn sigint_reaches_the_child() {
    signal_reaches_the_child(libc::SIGINT, "INT");
}

#[test]
fn secrets_are_not_in_argv_and_nothing_is_written() {
    let s = sandbox();
    let before = listing(s.dir.path());
    let vault = s.vault_bytes();
    // The child reads its parent's (keyward's) command line.
    let run = exec(
        &s,
        &["--no-masking", "--env", "S=bot", "--env", "T=gh"],
        &[
            "sh",
            "-c",
            "tr '\\0' ' ' < /proc/$PPID/cmdline; echo; tr '\\0' ' ' < /proc/$$/cmdline",
        ],
    );
    run.ok().leaks_none(&[SECRET, TOKEN]);
    assert!(run.stdout.contains("exec"), "{}", run.stdout);
    assert_eq!(listing(s.dir.path()), before, "no file was written");
    assert_eq!(s.vault_bytes(), vault);
}

#[test]
fn the_child_does_not_get_the_master_password_source() {
    let s = sandbox();
    let mut cmd = s.command(&[
        "exec",
        "--env",
        "S=bot",
        "--",
        "sh",
        "-c",
        "echo \"${KEYWARD_PASSWORD_FILE-unset}\"",
    ]);
    cmd.env("KEYWARD_PASSWORD_FILE", &s.password_file);
    let run = run_command(cmd, None);
    run.ok();
    assert_eq!(run.stdout, "unset\n");
}

#[test]
fn errors_come_before_the_command_runs() {
    let s = sandbox();
    let marker = s.path("ran");
    let touch = format!("touch '{}'", marker.display());
    exec(&s, &["--env", "S=nope"], &["sh", "-c", &touch])
        .expect_code(5)
        .stderr_has("no key named 'nope'");
    exec(&s, &["--env", "S=gh.passphrase"], &["sh", "-c", &touch])
        .expect_code(5)
        .stderr_has("has no passphrase");
    exec(&s, &["--env", "S-1=bot"], &["sh", "-c", &touch]).expect_code(2);
    exec(&s, &["--env", "S=bot"], &["/nonexistent/program"])
        .expect_code(5)
        .stderr_has("cannot run");
    s.run_pw(&["exec", "--env", "S=bot"], None).expect_code(2);
    // A wrong password: exit 3, nothing runs.
    std::fs::write(&s.password_file, "wrong\n").expect("write");
    exec(&s, &["--env", "S=bot"], &["sh", "-c", &touch]).expect_code(3);
    assert!(!marker.exists(), "the command must not run after an error");
}

#[test]
fn mark_used_records_the_date_and_releases_the_lock_before_the_command() {
    let s = sandbox();
    assert!(s.show("bot")["last_used_at"].is_null());
    // The child changes the vault itself: the lock must be free while it runs.
    let edit = format!(
        "'{}' --vault '{}' --password-file '{}' edit gh --tag from-child",
        common::keyward_bin(),
        s.vault.display(),
        s.password_file.display()
    );
    exec(&s, &["--mark-used", "--env", "S=bot"], &["sh", "-c", &edit]).ok();
    let bot = s.show("bot");
    assert!(bot["last_used_at"].is_string(), "{bot}");
    let gh = s.show("gh");
    assert!(
        gh["last_used_at"].is_null(),
        "only injected keys are marked"
    );
    assert_eq!(gh["tags"], serde_json::json!(["from-child"]));
}

/// With the master password on stdin, exec reads exactly its line: the child gets the rest,
/// byte for byte, from a pipe and from a file.
#[test]
fn the_child_gets_stdin_after_the_master_password_line() {
    let s = sandbox();
    let rest = "first line\nsecond line\n\u{e4} no newline at the end";
    let input = format!("{}\n{rest}", common::PASSWORD);
    let args = [
        "exec",
        "--env",
        "S=bot",
        "--",
        "sh",
        "-c",
        "cat; echo \"[$S]\" >&2",
    ];
    // A pipe: a read-ahead buffer would swallow what follows the password.
    let mut cmd = s.command(&args);
    cmd.stdin(Stdio::piped());
    let run = run_command(cmd, Some(&input));
    run.ok();
    assert_eq!(run.stdout, rest);
    assert!(run.stderr.contains(MASK), "{}", run.stderr);
    // A file: the child continues at the shared offset just after the password line.
    let path = s.write_file("stdin.txt", &input);
    let mut cmd = s.command(&args);
    cmd.stdin(Stdio::from(std::fs::File::open(&path).expect("open")));
    let run = run_command(cmd, None);
    run.ok();
    assert_eq!(run.stdout, rest);
    // CRLF after the password is one line ending, and an empty rest is an empty stdin.
    let mut cmd = s.command(&["exec", "--env", "S=bot", "--", "sh", "-c", "wc -c"]);
    cmd.stdin(Stdio::piped());
    let run = run_command(cmd, Some(&format!("{}\r\n", common::PASSWORD)));
    run.ok();
    assert_eq!(run.stdout.trim(), "0");
}
