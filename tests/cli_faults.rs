//! Bad input and faults through the real binary (issue 2, "Bad input and faults"): wrong
//! passwords, damaged files, hostile headers, concurrent writers, SIGKILL during saves, a
//! full or read-only disk. Linux only: it uses /proc, resource limits and tmpfs.
#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{Rng, Run, Sandbox, keyward_command, run_command, without_clock};

/// Byte offsets of the version 1 header (docs/FORMAT.md).
const VERSION_AT: usize = 8;
const MEMORY_AT: usize = 12;
const ITERATIONS_AT: usize = 16;
const PARALLELISM_AT: usize = 20;

/// Runs `list --json` on a vault file with the sandbox's password.
fn list_file(s: &Sandbox, vault: &Path) -> Run {
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(vault)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["list", "--json"]);
    run_command(cmd, None)
}

/// Checks one run against a file that must not open: exit 3, a message, no data, no panic.
fn unreadable_problem(what: &str, run: &Run) -> Option<String> {
    let fine = run.code == Some(3)
        && run.stdout.is_empty()
        && run.stderr.starts_with("keyward: ")
        && !run.stderr.contains("panicked");
    (!fine).then(|| format!("{what}: {run:?}"))
}

/// A vault holding one small token entry, a few hundred bytes long.
fn small_vault() -> Sandbox {
    let s = Sandbox::with_vault();
    s.add("k", "tok-small", &["--kind", "token"]);
    s
}

/// Runs every `(label, bytes)` case as a damaged copy of a vault, on a few threads, and
/// returns the problems found.
fn check_damaged(s: &Sandbox, cases: Vec<(String, Vec<u8>)>) -> Vec<String> {
    let problems = Mutex::new(Vec::new());
    let queue = Mutex::new(cases);
    std::thread::scope(|scope| {
        for worker in 0..4 {
            let (queue, problems) = (&queue, &problems);
            scope.spawn(move || {
                let copy = s.path(&format!("damaged-{worker}.keyward"));
                loop {
                    let Some((label, bytes)) = queue.lock().expect("queue").pop() else {
                        break;
                    };
                    std::fs::write(&copy, &bytes).expect("write damaged copy");
                    let run = list_file(s, &copy);
                    if let Some(p) = unreadable_problem(&label, &run) {
                        problems.lock().expect("problems").push(p);
                    }
                }
            });
        }
    });
    problems.into_inner().expect("problems")
}

fn report(problems: &[String], total: usize) {
    assert!(
        problems.is_empty(),
        "{} of {total} damaged files were not refused cleanly with exit 3; first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Wrong password and damaged files

#[test]
fn wrong_password_exits_3_and_leaves_the_file_byte_for_byte() {
    let s = small_vault();
    s.add("other", "tok-other", &[]);
    let vault = s.vault_bytes();
    let backup = std::fs::read(s.backup()).expect("backup");
    for wrong in [
        "",
        "correct horse battery stapl",
        "correct horse battery staple ",
    ] {
        let file = s.write_file("wrong.txt", &format!("{wrong}\n"));
        for args in [
            vec!["list", "--json"],
            vec!["show", "k"],
            vec!["get", "k"],
            vec!["add", "n", "--secret-stdin"],
            vec!["rotate", "k"],
            vec!["edit", "k", "--notes", "n"],
            vec!["passwd"],
        ] {
            let mut cmd = s.command(&args);
            cmd.arg("--password-file").arg(&file);
            let run = run_command(cmd, Some("tok-new\npw-new\n"));
            run.expect_code(3)
                .stderr_has("wrong password")
                .leaks_none(&["tok-small", "tok-other", "tok-new"]);
            assert_eq!(run.stdout, "", "{args:?}");
        }
    }
    assert_eq!(s.vault_bytes(), vault, "the vault is unchanged");
    assert_eq!(std::fs::read(s.backup()).expect("backup"), backup);
    assert!(s.temp_files().is_empty());
}

#[test]
fn every_single_byte_change_is_refused_with_exit_3() {
    let s = small_vault();
    let good = s.vault_bytes();
    assert!(good.len() < 1024, "a small vault: {} bytes", good.len());
    list_file(&s, &s.vault).ok();
    let cases: Vec<(String, Vec<u8>)> = (0..good.len())
        .map(|i| {
            let mut bytes = good.clone();
            bytes[i] ^= 0xFF;
            (format!("byte {i} flipped"), bytes)
        })
        .collect();
    let total = cases.len();
    let started = Instant::now();
    let problems = check_damaged(&s, cases);
    eprintln!("{total} flipped files in {:?}", started.elapsed());
    report(&problems, total);
    assert_eq!(s.vault_bytes(), good);
}

#[test]
fn every_truncation_and_extension_is_refused_with_exit_3() {
    let s = small_vault();
    let good = s.vault_bytes();
    let mut cases: Vec<(String, Vec<u8>)> = (0..good.len())
        .map(|len| (format!("truncated to {len} bytes"), good[..len].to_vec()))
        .collect();
    let mut longer = good.clone();
    longer.push(0);
    cases.push(("one byte appended".into(), longer));
    let mut doubled = good.clone();
    doubled.extend_from_slice(&good);
    cases.push(("the file twice".into(), doubled));
    let total = cases.len();
    report(&check_damaged(&s, cases), total);
}

#[test]
fn empty_random_and_foreign_files_are_refused_with_exit_3() {
    let s = small_vault();
    let good = s.vault_bytes();
    let mut rng = Rng::new();
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty file".into(), Vec::new()),
        ("one newline".into(), b"\n".to_vec()),
        ("magic only".into(), b"KEYWARD\0".to_vec()),
        ("magic prefix".into(), b"KEYW".to_vec()),
        ("a text file".into(), b"API_KEY=abc\nSECRET=def\n".to_vec()),
        ("all zeros".into(), vec![0; good.len()]),
        ("all ones".into(), vec![0xFF; good.len()]),
    ];
    for i in 0..24 {
        let len = 1 + rng.below(2048) as usize;
        cases.push((format!("random bytes #{i} ({len})"), rng.bytes(len)));
    }
    // Random bytes behind a valid header: passes every header check, fails authentication.
    for i in 0..8 {
        let mut bytes = good[..80].to_vec();
        let len = 16 + rng.below(1024) as usize;
        bytes.extend(rng.bytes(len));
        cases.push((format!("valid header, random body #{i}"), bytes));
    }
    // Valid vault with a random byte replaced at a random place, many times.
    for i in 0..40 {
        let mut bytes = good.clone();
        let at = rng.below(bytes.len() as u64) as usize;
        bytes[at] = bytes[at].wrapping_add(1 + rng.below(255) as u8);
        cases.push((format!("random change #{i} at {at}"), bytes));
    }
    let total = cases.len();
    report(&check_damaged(&s, cases), total);

    // The wrong magic says what it is.
    let mut foreign = good.clone();
    foreign[..8].copy_from_slice(b"KDBX\x03\xd9\xa2\x9a");
    let copy = s.write_file("foreign.keyward", "");
    std::fs::write(&copy, &foreign).expect("write");
    list_file(&s, &copy)
        .expect_code(3)
        .stderr_has("not a keyward vault");
    std::fs::write(&copy, b"").expect("write");
    list_file(&s, &copy).expect_code(3).stderr_has("empty");
}

#[test]
fn a_future_format_version_is_refused_with_a_clear_message() {
    let s = small_vault();
    let good = s.vault_bytes();
    let copy = s.path("future.keyward");
    for version in [2u16, 3, 0x0100, u16::MAX, 0] {
        let mut bytes = good.clone();
        bytes[VERSION_AT..VERSION_AT + 2].copy_from_slice(&version.to_le_bytes());
        std::fs::write(&copy, &bytes).expect("write");
        let run = list_file(&s, &copy);
        run.expect_code(3)
            .stderr_has(&format!("version {version}"))
            .stderr_has("does not support")
            .no_panic();
        assert_eq!(run.stdout, "");
    }
    // Even when the rest of the file is too short to hold a header.
    let mut short = good[..10].to_vec();
    short[VERSION_AT..VERSION_AT + 2].copy_from_slice(&7u16.to_le_bytes());
    std::fs::write(&copy, &short).expect("write");
    list_file(&s, &copy).expect_code(3).stderr_has("version 7");
}

#[test]
fn a_header_asking_for_absurd_key_derivation_work_is_refused() {
    let s = small_vault();
    let good = s.vault_bytes();
    let copy = s.path("hostile.keyward");
    let cases: [(usize, u32, &str); 8] = [
        (MEMORY_AT, u32::MAX, "memory"),
        (MEMORY_AT, 1024 * 1024 + 1, "memory"),
        (MEMORY_AT, 0, "memory"),
        (ITERATIONS_AT, u32::MAX, "iterations"),
        (ITERATIONS_AT, 101, "iterations"),
        (ITERATIONS_AT, 0, "iterations"),
        (PARALLELISM_AT, u32::MAX, "parallelism"),
        (PARALLELISM_AT, 0, "parallelism"),
    ];
    for (at, value, what) in cases {
        let mut bytes = good.clone();
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        std::fs::write(&copy, &bytes).expect("write");
        // A KDF run with such parameters would allocate gigabytes or never end; the refusal
        // (rather than "wrong password") shows the header was judged before the KDF ran.
        for args in [vec!["list", "--json"], vec!["edit", "k", "--notes", "x"]] {
            let mut cmd = keyward_command();
            cmd.arg("--vault")
                .arg(&copy)
                .arg("--password-file")
                .arg(&s.password_file)
                .args(&args);
            let run = run_command(cmd, None);
            run.expect_code(3)
                .stderr_has("key derivation parameters")
                .stderr_has(what)
                .no_panic();
            assert_eq!(run.stdout, "");
        }
        assert_eq!(std::fs::read(&copy).expect("read"), bytes, "not rewritten");
    }
    // Under an address-space limit far below the requested memory, the refusal is the same.
    let mut bytes = good.clone();
    bytes[MEMORY_AT..MEMORY_AT + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&copy, &bytes).expect("write");
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(&copy)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["list", "--json"]);
    limit(&mut cmd, libc::RLIMIT_AS, 512 << 20);
    run_command(cmd, None)
        .expect_code(3)
        .stderr_has("key derivation parameters");
}

// ---------------------------------------------------------------------------------------
// Concurrency and locks

fn spawn_with_stdin(mut cmd: Command, stdin: &str) -> Child {
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("start keyward");
    let mut pipe = child.stdin.take().expect("stdin");
    let _ = pipe.write_all(stdin.as_bytes());
    drop(pipe);
    child
}

#[test]
fn parallel_adds_never_lose_an_update() {
    let s = Sandbox::with_vault();
    s.add("seed", "tok-seed", &[]);
    let mut expected: BTreeSet<String> = ["seed".to_owned()].into();
    let (mut added, mut locked) = (0, 0);
    for round in 0..4 {
        let children: Vec<(String, Child)> = (0..16)
            .map(|i| {
                let name = format!("r{round}-p{i}");
                let cmd = s.command_pw(&["add", &name, "--secret-stdin"]);
                let child = spawn_with_stdin(cmd, &format!("tok-{name}\n"));
                (name, child)
            })
            .collect();
        // Readers during the writes always see a whole vault.
        let readers: Vec<Child> = (0..3).map(|_| s.spawn_pw(&["list", "--json"])).collect();
        for (name, child) in children {
            let run = Run::from_output(child.wait_with_output().expect("wait"));
            run.no_panic().leaks_none(&[&format!("tok-{name}")]);
            match run.code {
                Some(0) => {
                    expected.insert(name);
                    added += 1;
                }
                Some(4) => {
                    run.stderr_has("locked by another keyward process");
                    locked += 1;
                }
                _ => panic!("{name}: neither added nor refused as locked: {run:#?}"),
            }
        }
        for reader in readers {
            let run = Run::from_output(reader.wait_with_output().expect("wait"));
            run.ok();
            assert!(run.json().is_array(), "a reader saw a whole vault");
        }
        let names: BTreeSet<String> = s.names().into_iter().collect();
        assert_eq!(
            names, expected,
            "round {round}: the vault holds exactly the keys whose add succeeded"
        );
    }
    for name in expected.iter().filter(|n| n.starts_with('r')) {
        assert_eq!(s.get(name, "secret"), format!("tok-{name}\n"));
    }
    eprintln!("{added} adds succeeded, {locked} were refused as locked");
}

/// Like a script that retries on exit 4: 16 writers, each adding its key until it succeeds.
/// Writers collide often; afterwards every key is there, none twice, nothing else changed.
#[test]
fn parallel_adds_retrying_on_exit_4_all_land() {
    let s = Sandbox::with_vault();
    s.add("seed", "tok-seed", &[]);
    let refusals = Mutex::new(0usize);
    for round in 0..2 {
        std::thread::scope(|scope| {
            for i in 0..16 {
                let (s, refusals) = (&s, &refusals);
                scope.spawn(move || {
                    let name = format!("w{round}-{i}");
                    for attempt in 0.. {
                        assert!(attempt < 1000, "{name} never got the lock");
                        let run = run_command(
                            s.command_pw(&["add", &name, "--secret-stdin"]),
                            Some(&format!("tok-{name}\n")),
                        );
                        run.no_panic();
                        match run.code {
                            Some(0) => break,
                            Some(4) => {
                                run.stderr_has("locked by another keyward process");
                                *refusals.lock().expect("count") += 1;
                                std::thread::sleep(Duration::from_millis(1 + (i as u64 % 5)));
                            }
                            _ => panic!("{name}: {run:#?}"),
                        }
                    }
                });
            }
        });
    }
    let mut expected = vec!["seed".to_owned()];
    expected.extend((0..2).flat_map(|r| (0..16).map(move |i| format!("w{r}-{i}"))));
    let mut names = s.names();
    assert_eq!(
        names.len(),
        expected.len(),
        "no key twice, none lost: {names:?}"
    );
    names.sort();
    expected.sort();
    assert_eq!(names, expected);
    for name in expected.iter().filter(|n| n.starts_with('w')) {
        assert_eq!(s.get(name, "secret"), format!("tok-{name}\n"));
    }
    eprintln!(
        "32 adds landed after {} refusals with exit 4",
        refusals.into_inner().expect("count")
    );
}

#[test]
fn parallel_edits_of_one_key_never_lose_an_update() {
    let s = Sandbox::with_vault();
    s.add("shared", "tok-shared", &[]);
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for round in 0..3 {
        let children: Vec<(String, Child)> = (0..16)
            .map(|i| {
                let tag = format!("t{round}-{i}");
                (tag.clone(), s.spawn_pw(&["edit", "shared", "--tag", &tag]))
            })
            .collect();
        for (tag, child) in children {
            let run = Run::from_output(child.wait_with_output().expect("wait"));
            run.no_panic();
            match run.code {
                Some(0) => {
                    expected.insert(tag);
                }
                Some(4) => {
                    run.stderr_has("locked");
                }
                _ => panic!("{tag}: {run:#?}"),
            }
        }
        let tags: BTreeSet<String> = s.show("shared")["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| t.as_str().expect("tag").to_owned())
            .collect();
        assert_eq!(
            tags, expected,
            "round {round}: every successful edit is kept"
        );
    }
    assert_eq!(s.get("shared", "secret"), "tok-shared\n");
}

/// True when the process is blocked reading its stdin (`read(0, …)` in /proc/PID/syscall).
fn reading_stdin(pid: u32) -> bool {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/syscall")) else {
        return false;
    };
    let mut fields = text.split_whitespace();
    fields.next() == Some(libc::SYS_read.to_string().as_str()) && fields.next() == Some("0x0")
}

/// Starts `rotate NAME` (password from the file, new secret from stdin, which is left
/// open and empty): it takes the vault's lock, loads the vault, then waits for the new
/// secret. Returns once it is blocked in that read, the only read of stdin it makes, so the
/// vault is loaded and the lock is held.
fn hold_the_lock(s: &Sandbox, name: &str) -> Child {
    let mut cmd = s.command_pw(&["rotate", name]);
    cmd.stdin(Stdio::piped());
    let mut holder = cmd.spawn().expect("start rotate");
    for _ in 0..3000 {
        if holder.try_wait().expect("try_wait").is_some() {
            let run = Run::from_output(holder.wait_with_output().expect("output"));
            panic!("rotate ended while it should wait for the new secret: {run:#?}");
        }
        if reading_stdin(holder.id()) {
            return holder;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("rotate never waited for the new secret");
}

#[test]
fn a_second_writer_is_refused_and_a_killed_writer_leaves_no_stale_lock() {
    let s = Sandbox::with_vault();
    s.add("k", "tok-old", &[]);
    let mut holder = hold_the_lock(&s, "k");
    let bytes = s.vault_bytes();
    for args in [
        vec!["add", "other", "--secret-stdin"],
        vec!["edit", "k", "--tag", "x"],
        vec!["revoke", "k"],
        vec!["passwd"],
    ] {
        s.run_pw(&args, Some("tok-x\nnew-password\n"))
            .expect_code(4)
            .stderr_has("locked by another keyward process")
            .leaks_none(&["tok-old", "tok-x"]);
    }
    // Readers are not blocked by the writer.
    assert_eq!(s.get("k", "secret"), "tok-old\n");
    assert_eq!(s.vault_bytes(), bytes, "refused writers changed nothing");

    holder.kill().expect("SIGKILL");
    let status = holder.wait().expect("wait");
    assert_eq!(status.code(), None, "killed by a signal");
    assert_eq!(s.vault_bytes(), bytes, "the killed rotate saved nothing");

    // The OS released the lock with the process: the next writers succeed.
    s.run_pw(&["rotate", "k"], Some("tok-new\n")).ok();
    s.add("after", "tok-after", &[]);
    assert_eq!(s.get("k", "secret"), "tok-new\n");
    assert_eq!(s.names(), ["k", "after"]);
}

#[test]
fn a_change_made_by_another_program_is_not_overwritten() {
    let s = Sandbox::with_vault();
    s.add("k", "tok-1", &[]);
    s.add("mine", "tok-2", &[]);
    // rotate holds the vault loaded; meanwhile a sync tool puts an older version back.
    let mut holder = hold_the_lock(&s, "k");
    let older = std::fs::read(s.backup()).expect("backup");
    let replaced = s.path("replaced.tmp-sync");
    std::fs::write(&replaced, &older).expect("write");
    std::fs::rename(&replaced, &s.vault).expect("replace vault");
    holder
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"tok-rotated\n")
        .expect("write secret");
    drop(holder.stdin.take());
    let run = Run::from_output(holder.wait_with_output().expect("wait"));
    run.no_panic()
        .stderr_has("changed by another program")
        .leaks_none(&["tok-1", "tok-rotated"]);
    assert_ne!(run.code, Some(0));
    assert_eq!(
        s.vault_bytes(),
        older,
        "the other program's version is kept"
    );
    assert_eq!(s.get("k", "secret"), "tok-1\n");
}

/// A vault kept elsewhere (a synced folder) and reached through a symlink: a save must update
/// the real file, not replace the link with a new file beside it.
#[test]
fn a_save_through_a_symlink_updates_the_real_vault() {
    let s = Sandbox::with_vault();
    s.add("a", "tok-a", &[]);
    let links = tempfile::tempdir().expect("temp dir");
    let link = links.path().join("vault.keyward");
    std::os::unix::fs::symlink(&s.vault, &link).expect("symlink");
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(&link)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["add", "b", "--secret-stdin"]);
    run_command(cmd, Some("tok-b\n")).ok();
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a regular file"
    );
    assert_eq!(s.names(), ["a", "b"], "the real vault holds the change");
}

/// Two paths to one vault (a symlink and the real path) must share one lock, or two writers
/// can interleave their read-modify-write.
#[test]
fn writers_through_a_symlink_and_the_real_path_share_the_lock() {
    let s = Sandbox::with_vault();
    s.add("k", "tok-k", &[]);
    let links = tempfile::tempdir().expect("temp dir");
    let link = links.path().join("vault.keyward");
    std::os::unix::fs::symlink(&s.vault, &link).expect("symlink");
    let mut holder = hold_the_lock(&s, "k");
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(&link)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["edit", "k", "--notes", "through the link"]);
    let run = run_command(cmd, None);
    let _ = holder.kill();
    let _ = holder.wait();
    run.expect_code(4).stderr_has("locked");
}

// ---------------------------------------------------------------------------------------
// SIGKILL during saves

#[test]
fn sigkill_at_random_points_leaves_the_old_or_the_new_vault() {
    let s = Sandbox::with_vault();
    // Some bulk, so that a save writes a few pages and takes a measurable share of the run.
    for i in 0..40 {
        s.add(
            &format!("bulk-{i:02}"),
            &format!("tok-bulk-{i}"),
            &["--notes", &"n".repeat(200), "--tag", "bulk"],
        );
    }
    s.add("victim", "tok-victim", &[]);

    // How long does a normal add take, from spawn to exit?
    let mut times: Vec<Duration> = (0..7)
        .map(|i| {
            let start = Instant::now();
            let child = spawn_with_stdin(
                s.command_pw(&["add", &format!("timing-{i}"), "--secret-stdin"]),
                "tok-timing\n",
            );
            Run::from_output(child.wait_with_output().expect("wait")).ok();
            start.elapsed()
        })
        .collect();
    times.sort();
    let normal = times[times.len() / 2];
    let window = normal.as_micros() as u64 * 5 / 4;
    eprintln!("a normal add takes {normal:?} (median); killing within {window} µs");

    let mut rng = Rng::new();
    let mut before = s.list();
    let (mut completed, mut killed_kept, mut killed_lost) = (0, 0, 0);
    for iteration in 0..80 {
        let editing = iteration % 3 == 2;
        let name = format!("killed-{iteration}");
        let notes = format!("edit-{iteration}");
        let child = if editing {
            let mut c = s.command_pw(&["edit", "victim", "--notes", &notes]);
            c.stdin(Stdio::null());
            c.spawn().expect("start edit")
        } else {
            spawn_with_stdin(
                s.command_pw(&["add", &name, "--secret-stdin"]),
                &format!("tok-{name}\n"),
            )
        };
        let mut child = child;
        std::thread::sleep(Duration::from_micros(rng.below(window)));
        let _ = child.kill();
        let output = child.wait_with_output().expect("wait");
        let exited = output.status.code();

        let after = s.list();
        let old: Vec<Value> = before.iter().map(without_clock).collect();
        let new: Vec<Value> = after.iter().map(without_clock).collect();
        let changed = if editing {
            let victim_at = old
                .iter()
                .position(|e| e["name"] == "victim")
                .expect("victim");
            assert_eq!(
                new.len(),
                old.len(),
                "iteration {iteration}: keys added or lost"
            );
            for (i, (o, n)) in old.iter().zip(&new).enumerate() {
                if i != victim_at {
                    assert_eq!(o, n, "iteration {iteration}: another key changed");
                }
            }
            let mut expected = old[victim_at].clone();
            expected["notes"] = Value::from(notes.clone());
            let now = &new[victim_at];
            assert!(
                *now == old[victim_at] || *now == expected,
                "iteration {iteration}: the edited key is neither old nor new: {now}"
            );
            *now != old[victim_at]
        } else {
            let kept = new.len() == old.len() + 1;
            assert!(
                new.len() == old.len() || kept,
                "iteration {iteration}: {} keys before, {} after",
                old.len(),
                new.len()
            );
            assert_eq!(
                new[..old.len()],
                old[..],
                "iteration {iteration}: existing keys changed"
            );
            if kept {
                assert_eq!(new[old.len()]["name"], name.as_str());
                assert_eq!(s.get(&name, "secret"), format!("tok-{name}\n"));
            }
            kept
        };
        match exited {
            Some(0) => {
                assert!(
                    changed,
                    "iteration {iteration}: exit 0 but the change is lost"
                );
                completed += 1;
            }
            Some(code) => panic!(
                "iteration {iteration}: exited {code} before the kill: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
            None if changed => killed_kept += 1,
            None => killed_lost += 1,
        }
        before = after;
    }
    eprintln!(
        "80 runs: {completed} completed, {killed_kept} killed after the rename, \
         {killed_lost} killed before it; {} temporary files left by killed saves",
        s.temp_files().len()
    );
    // The lock died with the killed processes: a writer succeeds, the backup opens.
    s.add("final", "tok-final", &[]);
    assert_eq!(s.get("final", "secret"), "tok-final\n");
    list_file(&s, &s.backup()).ok();
}

// ---------------------------------------------------------------------------------------
// Disk full and unwritable folders

#[cfg(target_env = "gnu")]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_env = "gnu"))]
type Resource = libc::c_int;

/// Sets a resource limit in the child (and ignores SIGXFSZ, so that going over the file size
/// limit is a write error, not death by signal).
fn limit(cmd: &mut Command, resource: Resource, bytes: u64) {
    // SAFETY: only async-signal-safe calls (signal, setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let rl = libc::rlimit {
                rlim_cur: bytes as libc::rlim_t,
                rlim_max: bytes as libc::rlim_t,
            };
            if libc::setrlimit(resource, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Checks that a failed save left everything as it was.
fn assert_intact(s: &Sandbox, vault: &[u8], backup: &[u8], names: &[&str]) {
    assert_eq!(s.vault_bytes(), vault, "the vault is unchanged");
    assert_eq!(std::fs::read(s.backup()).expect("backup"), backup);
    assert_eq!(s.names(), names, "the vault opens with the old content");
    assert!(s.temp_files().is_empty(), "left-over: {:?}", s.temp_files());
}

#[test]
fn a_save_that_cannot_write_leaves_the_old_vault_intact() {
    let s = Sandbox::with_vault();
    s.add("a", "tok-a", &[]);
    s.add("b", "tok-b", &[]);
    let vault = s.vault_bytes();
    let backup = std::fs::read(s.backup()).expect("backup");
    let small = (vault.len() / 2) as u64;
    let attempts: [(Vec<&str>, &str); 5] = [
        (vec!["add", "c", "--secret-stdin"], "tok-c\n"),
        (vec!["edit", "a", "--notes", "x"], ""),
        (vec!["rotate", "a"], "tok-a2\n"),
        (vec!["revoke", "b"], ""),
        (vec!["passwd"], "new password\n"),
    ];
    for (args, stdin) in attempts {
        let mut cmd = s.command_pw(&args);
        limit(&mut cmd, libc::RLIMIT_FSIZE, small);
        let run = run_command(cmd, Some(stdin));
        run.expect_code(5)
            .stderr_has("could not save")
            .stderr_has("file too large")
            .leaks_none(&["tok-a", "tok-b", "tok-c", "new password"]);
        assert_eq!(run.stdout, "");
        assert_intact(&s, &vault, &backup, &["a", "b"]);
    }
    // The old password still opens it after the failed passwd; a normal save works.
    s.add("c", "tok-c", &[]);
    assert_eq!(s.names(), ["a", "b", "c"]);
}

/// A small tmpfs mounted for one test and unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not running as root".into());
        }
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700")])
            .arg("tmpfs")
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs(dir.to_owned()))
    }

    fn remount(&self, options: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .output()
            .expect("run mount");
        assert!(out.status.success(), "remount {options}: {out:?}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

#[test]
fn a_full_or_read_only_disk_gives_a_clear_error_and_keeps_the_vault() {
    let outer = tempfile::tempdir().expect("temp dir");
    let mount_point = outer.path().join("small-disk");
    std::fs::create_dir(&mount_point).expect("mkdir");
    let disk = match Tmpfs::mount(&mount_point, "256k") {
        Ok(d) => d,
        Err(why) => {
            eprintln!("SKIPPED the full-disk part: {why} (RLIMIT_FSIZE covers the write failure)");
            return;
        }
    };
    let s = Sandbox::in_dir(tempfile::tempdir_in(&mount_point).expect("dir on tmpfs"));
    s.init();
    s.add("a", "tok-a", &[]);
    s.add("b", "tok-b", &["--notes", &"x".repeat(3000)]);
    let vault = s.vault_bytes();
    let backup = std::fs::read(s.backup()).expect("backup");

    // Fill the disk.
    let mut filler = std::fs::File::create(mount_point.join("filler")).expect("filler");
    let chunk = vec![0xA5u8; 4096];
    let full = loop {
        if let Err(e) = filler.write_all(&chunk).and_then(|()| filler.sync_all()) {
            break e;
        }
    };
    eprintln!("disk filled: {full}");
    for (args, stdin) in [
        (vec!["add", "c", "--secret-stdin"], "tok-c\n"),
        (vec!["edit", "b", "--notes", "short"], ""),
        (vec!["rotate", "a"], "tok-a2\n"),
    ] {
        let run = s.run_pw(&args, Some(stdin));
        run.expect_code(5)
            .stderr_has("no space left")
            .leaks_none(&["tok-a", "tok-b", "tok-c"]);
        assert_intact(&s, &vault, &backup, &["a", "b"]);
    }
    drop(filler);
    std::fs::remove_file(mount_point.join("filler")).expect("remove filler");

    // A read-only file system: every writer refuses clearly, readers still work.
    disk.remount("ro");
    for (args, stdin) in [
        (vec!["add", "c", "--secret-stdin"], "tok-c\n"),
        (vec!["edit", "b", "--notes", "short"], ""),
    ] {
        let run = s.run_pw(&args, Some(stdin));
        run.expect_code(5)
            .stderr_has("read-only")
            .leaks_none(&["tok-a", "tok-c"]);
        assert_intact(&s, &vault, &backup, &["a", "b"]);
    }
    disk.remount("rw");
    s.add("c", "tok-c", &[]);
    assert_eq!(s.names(), ["a", "b", "c"]);
    drop(s);
    drop(disk);
}
