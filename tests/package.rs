//! `keyward __generate man|completions DIR` (src/cli/generate.rs), which scripts/package.sh
//! puts in the packages: a man page for every visible command with every option `--help`
//! shows, and bash, zsh and fish completions that the real shells accept (`bash -n`, `zsh -n`,
//! `fish --no-execute`; Debian packages `zsh`, `fish`). Without a shell these checks skip
//! with a printed reason, and fail under CI (`CI=true`).

mod common;

use std::path::Path;
use std::process::Command;

use clap::CommandFactory;
use common::{Run, keyward_command};
use keyward::cli::Cli;

fn generate(what: &str, dir: &Path) -> Run {
    let mut cmd = keyward_command();
    cmd.arg("__generate").arg(what).arg(dir);
    Run::from_output(cmd.output().expect("run keyward"))
}

/// Every visible command as (man page file name, command), nested ones too
/// (`keyward-hook-install.1`).
fn visible_commands() -> Vec<(String, clap::Command)> {
    fn walk(prefix: &str, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            if sub.get_name() == "help" {
                continue;
            }
            let name = format!("{prefix}-{}", sub.get_name());
            out.push((format!("{name}.1"), sub.clone()));
            walk(&name, sub, out);
        }
    }
    let mut out = Vec::new();
    walk("keyward", &Cli::command(), &mut out);
    out
}

/// roff escapes a hyphen as `\-` and an apostrophe as `\*(Aq`.
fn roff(text: &str) -> String {
    text.replace('-', "\\-").replace('\'', "\\*(Aq")
}

#[test]
fn man_pages_cover_every_command_and_option() {
    let dir = tempfile::tempdir().unwrap();
    let run = generate("man", dir.path());
    run.expect_code(0);

    let top = std::fs::read_to_string(dir.path().join("keyward.1")).expect("keyward.1 written");
    assert!(top.starts_with(".ie"), "{top:.200}");
    assert!(top.contains(".TH keyward 1"), "{top:.400}");
    assert!(
        top.contains(&roff("--password-file")),
        "global options in keyward.1"
    );

    let commands = visible_commands();
    assert!(commands.len() > 25, "only {} commands", commands.len());
    for (file, cmd) in &commands {
        let page = std::fs::read_to_string(dir.path().join(file))
            .unwrap_or_else(|e| panic!("no man page {file}: {e}"));
        let title = file.trim_end_matches(".1");
        assert!(
            page.contains(&format!(".TH {title} 1")),
            "{file}: {page:.300}"
        );
        if let Some(about) = cmd.get_about() {
            let first = about.to_string();
            let first = first
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                page.contains(&roff(&first)),
                "{file} lacks its about text '{first}'"
            );
        }
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                assert!(
                    page.contains(&roff(&format!("--{long}"))),
                    "{file} lacks --{long}"
                );
            }
        }
        assert!(
            run.stdout.lines().any(|l| l.ends_with(file.as_str())),
            "{file} not listed on stdout"
        );
    }
    // The generator has no page of its own; nothing else was written.
    let written = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(
        written,
        commands.len() + 1,
        "one page per command and keyward.1"
    );
    assert!(!dir.path().join("keyward-__generate.1").exists());
}

/// Runs a shell's syntax check on a script, or reports that the shell is missing.
fn syntax_check(shell: &str, args: &[&str], script: &Path) -> Option<std::process::Output> {
    match Command::new(shell).args(args).arg(script).output() {
        Ok(out) => Some(out),
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{shell} is needed under CI (Debian package {shell}): {e}");
            }
            eprintln!("skipping the {shell} syntax check: {shell} cannot run ({e})");
            None
        }
    }
}

#[test]
fn completions_name_every_command_and_parse_in_their_shells() {
    let dir = tempfile::tempdir().unwrap();
    generate("completions", dir.path()).expect_code(0);
    let commands: Vec<String> = Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect();
    // (file, shell, syntax-check flags, how the script spells the --vault option)
    for (file, shell, args, vault) in [
        ("keyward.bash", "bash", &["-n"][..], "--vault"),
        ("_keyward", "zsh", &["-n"][..], "--vault="),
        ("keyward.fish", "fish", &["--no-execute"][..], "-l vault"),
    ] {
        let path = dir.path().join(file);
        let script = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        for name in &commands {
            assert!(
                script.contains(name.as_str()),
                "{file} lacks the command {name}"
            );
        }
        assert!(script.contains(vault), "{file} lacks --vault");
        assert!(
            !script.contains("__generate"),
            "{file} offers the generator"
        );
        if let Some(out) = syntax_check(shell, args, &path) {
            assert!(
                out.status.success(),
                "{shell} rejects {file}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // bash actually registers the completion when the script is sourced.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            ". '{}' && complete -p keyward",
            dir.path().join("keyward.bash").display()
        ))
        .output()
        .expect("run bash");
    let registered = String::from_utf8_lossy(&out.stdout);
    assert!(registered.contains("keyward"), "{registered}");
}

#[test]
fn a_folder_that_cannot_be_made_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let run = generate("man", &file.join("man"));
    run.expect_code(5);
    assert!(
        run.stderr.contains("pass a folder you can write to"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("os error"), "{}", run.stderr);
}

#[test]
fn the_generator_is_not_in_help_and_checks_its_arguments() {
    let mut cmd = keyward_command();
    cmd.arg("--help");
    let run = Run::from_output(cmd.output().expect("run keyward"));
    run.expect_code(0);
    assert!(!run.stdout.contains("__generate"), "{}", run.stdout);

    let dir = tempfile::tempdir().unwrap();
    let run = generate("manual", dir.path());
    run.expect_code(2);
    assert!(
        run.stderr.contains("possible values: man, completions"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
