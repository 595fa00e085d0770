//! `hook install`: a git pre-commit hook that runs `keyward scan --staged --unknown`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CliError, EXIT_OK};
use crate::store::write_file_atomically;

/// `hook` subcommands.
#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write .git/hooks/pre-commit: each commit is stopped when what is staged holds a
    /// stored secret or a key in a provider's format (`git commit --no-verify` skips it)
    Install(HookInstallArgs),
}

/// `hook install` options.
#[derive(Debug, Args)]
pub struct HookInstallArgs {
    /// A folder of the repository [default: .]
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Replace an existing pre-commit hook
    #[arg(long)]
    pub force: bool,
}

/// The hook's text, calling this keyward binary.
pub fn hook_script(keyward: &str) -> String {
    let quoted = keyward.replace('\'', "'\\''");
    format!(
        "#!/bin/sh\n\
         # Installed by `keyward hook install`: stops a commit whose staged files hold a secret\n\
         # stored in the vault or a key in a provider's format (keyward scan --staged --unknown).\n\
         # Without KEYWARD_PASSWORD_FILE or KEYWARD_PASSWORD_COMMAND it checks the patterns only.\n\
         # Skip it once with `git commit --no-verify`.\n\
         exec '{quoted}' scan --staged --unknown\n"
    )
}

/// `keyward hook install [REPO] [--force]`.
pub fn hook(command: &HookCommand) -> Result<u8, CliError> {
    let HookCommand::Install(args) = command;
    let repo = gix::discover(&args.repo).map_err(|e| {
        CliError::usage(format!(
            "{} is not in a git repository: {e}",
            args.repo.display()
        ))
    })?;
    let hooks = repo.common_dir().join("hooks");
    let target = hooks.join("pre-commit");
    if !args.force && std::fs::symlink_metadata(&target).is_ok() {
        return Err(CliError::usage(format!(
            "{} exists; add --force to replace it (or call `keyward scan --staged --unknown` from it)",
            target.display()
        )));
    }
    let exe = std::env::current_exe()
        .map_err(|e| CliError::other(format!("cannot find the keyward binary: {e}")))?;
    std::fs::create_dir_all(&hooks)
        .map_err(|e| CliError::other(format!("cannot create {}: {e}", hooks.display())))?;
    write_file_atomically(&target, hook_script(&exe.to_string_lossy()).as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).map_err(|e| {
            CliError::other(format!("cannot make {} executable: {e}", target.display()))
        })?;
    }
    eprintln!("Installed {}.", target.display());
    Ok(EXIT_OK)
}
