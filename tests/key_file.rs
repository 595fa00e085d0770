//! The optional key file (issue 13 item 10), end to end through the binary: `init
//! --key-file`, the global `--key-file` on every command that opens the vault, exit 3 with a
//! message that says a key file is needed when it is missing or wrong, and `passwd
//! --new-key-file` / `--remove-key-file`.

mod common;

use common::*;
use keyward::store::format::Header;

/// A sandbox whose vault was made with `key.bin` as a key file.
fn with_key_file() -> (Sandbox, String) {
    let s = Sandbox::new();
    let key = s.write_file("key.bin", "some key file bytes, not a KeePass XML one\n");
    let key = key.to_str().expect("path").to_owned();
    let mut args = vec!["init", "--key-file", &key];
    args.extend(FAST_KDF);
    s.run_pw(&args, None)
        .ok()
        .stderr_has("with a key file")
        .leaks_none(&[PASSWORD]);
    (s, key)
}

fn header_of(s: &Sandbox) -> Header {
    Header::parse(&s.vault_bytes()).expect("header").0
}

#[test]
fn a_vault_made_with_a_key_file_needs_it_on_every_command() {
    let (s, key) = with_key_file();
    assert!(header_of(&s).key_file, "the header flag is set");
    s.run_pw(
        &["add", "a", "--secret-stdin", "--key-file", &key],
        Some("sec-a\n"),
    )
    .ok()
    .leaks_none(&["sec-a"]);
    assert_eq!(
        s.run_pw(&["get", "a", "--key-file", &key], None)
            .ok()
            .stdout,
        "sec-a\n"
    );
    // The option is global: before the command too; and from the environment.
    let mut cmd = keyward_command();
    cmd.arg("--vault")
        .arg(&s.vault)
        .arg("--password-file")
        .arg(&s.password_file)
        .args(["--key-file", &key, "list", "--json"]);
    let listed = run_command(cmd, None);
    assert_eq!(listed.ok().json()[0]["name"], "a");
    let mut cmd = s.command_pw(&["list"]);
    cmd.env("KEYWARD_KEY_FILE", &key);
    run_command(cmd, None).ok();

    // Missing: exit 3, says a key file is needed, before deriving anything.
    for args in [&["list"][..], &["get", "a"], &["due"], &["audit"]] {
        s.run_pw(args, None)
            .expect_code(3)
            .stderr_has("needs a key file")
            .leaks_none(&["sec-a"]);
    }
    // Wrong: exit 3, says the key file may be wrong.
    let wrong = s.write_file("other.bin", "another file\n");
    let wrong = wrong.to_str().expect("path");
    s.run_pw(&["list", "--key-file", wrong], None)
        .expect_code(3)
        .stderr_has("wrong key file")
        .stderr_has("needs its key file");
    // Not there: exit 3 naming the key file.
    s.run_pw(&["list", "--key-file", "/nonexistent/key"], None)
        .expect_code(3)
        .stderr_has("the key file /nonexistent/key cannot be used");
    // The right key file with the wrong password is refused too.
    let bad_pw = s.write_file("bad.txt", "not the password\n");
    let mut cmd = s.command(&["list", "--key-file", &key]);
    cmd.arg("--password-file").arg(&bad_pw);
    run_command(cmd, None).expect_code(3);
}

#[test]
fn a_key_file_is_refused_for_a_vault_made_without_one() {
    let s = Sandbox::with_vault();
    assert!(!header_of(&s).key_file, "no flag without a key file");
    let key = s.write_file("key.bin", "k");
    s.run_pw(&["list", "--key-file", key.to_str().expect("path")], None)
        .expect_code(3)
        .stderr_has("made without a key file");
    let empty = s.write_file("empty.bin", "");
    let mut args = vec!["init", "--key-file", empty.to_str().expect("path")];
    args.extend(FAST_KDF);
    let other = Sandbox::new();
    run_command(other.command_pw(&args), None)
        .expect_code(3)
        .stderr_has("the key file is empty");
    assert!(
        !other.vault.exists(),
        "no vault made with an unusable key file"
    );
}

#[test]
fn passwd_adds_and_removes_the_key_file() {
    let s = Sandbox::with_vault();
    s.add("a", "sec-a", &[]);
    let key = s.write_file("key.bin", "the new key file\n");
    let key = key.to_str().expect("path").to_owned();
    let pw = s.password_file.to_str().expect("path").to_owned();
    let mut args = vec!["passwd", "--new-password-file", &pw, "--new-key-file", &key];
    args.extend(FAST_KDF);
    s.run_pw(&args, None).ok().stderr_has("needs its key file");
    assert!(header_of(&s).key_file);
    s.run_pw(&["list"], None)
        .expect_code(3)
        .stderr_has("needs a key file");
    assert_eq!(
        s.run_pw(&["get", "a", "--key-file", &key], None)
            .ok()
            .stdout,
        "sec-a\n"
    );
    // passwd on a key-file vault keeps the key file unless told otherwise.
    let mut args = vec!["passwd", "--new-password-file", &pw, "--key-file", &key];
    args.extend(FAST_KDF);
    s.run_pw(&args, None).ok();
    assert!(header_of(&s).key_file, "kept");
    let mut args = vec![
        "passwd",
        "--new-password-file",
        &pw,
        "--key-file",
        &key,
        "--remove-key-file",
    ];
    args.extend(FAST_KDF);
    s.run_pw(&args, None).ok();
    assert!(!header_of(&s).key_file, "removed");
    assert_eq!(s.get("a", "secret"), "sec-a\n");
}
