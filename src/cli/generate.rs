//! `keyward __generate man|completions DIR`: the man pages (clap_mangen) and the bash, zsh
//! and fish completions (clap_complete), made from the real clap command so they never drift
//! from `--help`. scripts/package.sh puts them in the packages. It is not a subcommand of
//! [`Cli`] (so neither `--help`, the man pages nor the completions offer it): `main` hands
//! the arguments here first, and [`run_generator`] answers only when the first is
//! `__generate`.

use std::io::Write;
use std::path::{Path, PathBuf};

use std::ffi::OsString;

use clap::{CommandFactory, Parser, ValueEnum};
use clap_complete::Shell;

use super::{Cli, CliError, EXIT_OK, EXIT_USAGE};
use crate::store::write_file_atomically;

/// `keyward __generate` options.
#[derive(Debug, Parser)]
#[command(
    name = "keyward __generate",
    about = "Write keyward's man pages or shell completions into a folder (for packagers)"
)]
pub struct GenerateArgs {
    /// What to write: `man` (keyward.1 and a page per command) or `completions` (bash, zsh, fish)
    #[arg(value_enum)]
    pub what: Generated,
    /// The folder to write into (made if missing); files of the same name are replaced
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// What `__generate` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    /// The man pages, section 1: keyward.1, keyward-add.1, ...
    Man,
    /// Shell completions: keyward.bash, _keyward (zsh), keyward.fish
    Completions,
}

/// The man pages, as (file name, roff text): `keyward.1` and one page for every visible
/// command and subcommand (`keyward-add.1`, `keyward-hook-install.1`, ...).
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    collect_pages(&cmd, &mut pages);
    pages
}

fn collect_pages(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(concat!("keyward ", env!("CARGO_PKG_VERSION")))
        .manual("keyward manual");
    let mut text = Vec::new();
    // Rendering into a Vec cannot fail: the only errors are the writer's.
    if man.render(&mut text).is_ok() {
        pages.push((man.get_filename(), text));
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect_pages(sub, pages);
    }
}

/// The shell completions, as (file name, script): `keyward.bash`, `_keyward` (zsh) and
/// `keyward.fish`.
pub fn completions() -> Vec<(String, Vec<u8>)> {
    [Shell::Bash, Shell::Zsh, Shell::Fish]
        .into_iter()
        .map(|shell| {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "keyward", &mut script);
            (
                clap_complete::Generator::file_name(&shell, "keyward"),
                script,
            )
        })
        .collect()
}

/// `keyward __generate ...`: when the first argument after the program is `__generate`, parses
/// the rest, writes the files and returns the exit code; `None` for any other command line.
pub fn run_generator(args: &[OsString]) -> Option<u8> {
    if args.get(1).is_none_or(|a| a != "__generate") {
        return None;
    }
    let rest = args[1..].iter().cloned();
    let parsed = match GenerateArgs::try_parse_from(rest) {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return Some(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    Some(generate(&parsed).unwrap_or_else(|e| {
        eprintln!("keyward: {e}");
        e.code
    }))
}

/// Writes what `args` asks for into its folder and prints each file's path.
fn generate(args: &GenerateArgs) -> Result<u8, CliError> {
    let files = match args.what {
        Generated::Man => man_pages(),
        Generated::Completions => completions(),
    };
    std::fs::create_dir_all(&args.dir).map_err(|e| {
        CliError::other(format!(
            "{}; pass a folder you can write to",
            crate::platform::io_sentence("making the folder", &args.dir, &e)
        ))
    })?;
    let mut stdout = std::io::stdout().lock();
    for (name, bytes) in files {
        let path = Path::new(&args.dir).join(name);
        write_file_atomically(&path, &bytes)?;
        // The list is for the reader; a closed stdout (`| head`) must not stop the writing.
        let _ = writeln!(stdout, "{}", path.display());
    }
    Ok(EXIT_OK)
}
