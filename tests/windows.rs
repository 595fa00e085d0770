//! The Windows build's vault lock and saves, with the real `keyward.exe`: run under Wine by
//! scripts/wine-cli.sh (`cargo test --target x86_64-pc-windows-gnu --test windows` with
//! `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine`). On other systems it is empty.
#![cfg(windows)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery staple";

struct Sandbox {
    _dir: tempfile::TempDir,
    vault: PathBuf,
    password_file: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = dir.path().join("vault.keyward");
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).expect("password file");
        let s = Sandbox {
            _dir: dir,
            vault,
            password_file,
        };
        let init = s.run(
            &[
                "init",
                "--kdf-memory-mib",
                "1",
                "--kdf-iterations",
                "1",
                "--kdf-parallelism",
                "1",
                "--new-password-file",
            ],
            Some(&s.password_file),
            "",
        );
        assert!(init.status.success(), "init: {init:?}");
        s
    }

    /// Runs keyward with the vault and password file, `extra` appended as a path argument.
    fn run(&self, args: &[&str], extra: Option<&Path>, stdin: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyward"));
        cmd.arg("--vault")
            .arg(&self.vault)
            .arg("--password-file")
            .arg(&self.password_file)
            .args(args);
        if let Some(p) = extra {
            cmd.arg(p);
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn keyward.exe");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    }
}

#[test]
fn a_second_writer_is_refused_while_the_lock_is_held() {
    let s = Sandbox::new();
    let held = keyward::store::VaultLock::acquire(&s.vault).expect("take the lock");
    let add = s.run(&["add", "--secret-stdin", "bot"], None, "s3cret-value\n");
    assert_eq!(add.status.code(), Some(4), "exit 4 (locked): {add:?}");
    let stderr = String::from_utf8_lossy(&add.stderr);
    assert!(!stderr.contains("s3cret-value"), "{stderr}");
    drop(held);
    let add = s.run(&["add", "--secret-stdin", "bot"], None, "s3cret-value\n");
    assert!(add.status.success(), "once released: {add:?}");
}

#[test]
fn saves_succeed_while_another_process_reads() {
    let s = Sandbox::new();
    let add = s.run(&["add", "--secret-stdin", "bot"], None, "value-0\n");
    assert!(add.status.success(), "{add:?}");
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            (0..6)
                .map(|_| s.run(&["get", "bot"], None, ""))
                .collect::<Vec<_>>()
        });
        for i in 1..=6 {
            let rotate = s.run(&["rotate", "bot"], None, &format!("value-{i}\n"));
            assert!(rotate.status.success(), "rotate {i}: {rotate:?}");
        }
        for get in reader.join().expect("reader") {
            assert!(get.status.success(), "a read during saves: {get:?}");
            let out = String::from_utf8_lossy(&get.stdout);
            assert!(out.trim().starts_with("value-"), "{out}");
        }
    });
    let get = s.run(&["get", "bot"], None, "");
    assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), "value-6");
}

#[test]
fn mount_says_it_is_not_available_and_makes_nothing() {
    let s = Sandbox::new();
    let dir = s.vault.parent().expect("dir").to_owned();
    let template = dir.join("t.tpl");
    std::fs::write(&template, "T=keyward://nobody\n").expect("template");
    let target = dir.join("app.env");
    let run = s.run(
        &["mount", &target.to_string_lossy(), "--env-file"],
        Some(&template),
        "",
    );
    assert_eq!(run.status.code(), Some(2), "exit 2 (usage): {run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("only Linux and macOS"), "{stderr}");
    assert!(
        stderr.contains("keyward exec --env-file"),
        "says what to use: {stderr}"
    );
    assert!(!target.exists(), "nothing made at PATH");
}
