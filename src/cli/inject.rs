//! `inject`: a template with `keyward://NAME/field` references in, the filled file out
//! (atomically, mode 0600, never over a vault, not over an existing file without --force).

use std::path::PathBuf;

use clap::Args;

use super::output::print;
use super::{CliError, Context, EXIT_OK};
use crate::store::{refuse_vault_target, write_file_atomically};

/// `inject` options.
#[derive(Debug, Args)]
pub struct InjectArgs {
    /// The template [default: stdin, after the master password if that comes from stdin]
    #[arg(short = 'i', long = "in-file", value_name = "TEMPLATE")]
    pub input: Option<PathBuf>,
    /// The file to write (mode 0600, atomically) [default: stdout]
    #[arg(short = 'o', long = "out-file", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT when it exists (never a vault)
    #[arg(long)]
    pub force: bool,
}

/// `keyward inject [-i TEMPLATE] [-o OUT] [--force]`.
pub fn inject(ctx: &mut Context, args: &InjectArgs) -> Result<u8, CliError> {
    // Everything that can be refused is refused before the password is asked for.
    if let Some(out) = &args.output {
        refuse_vault_target(out)?;
        if !args.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(CliError::usage(format!(
                "{} exists; add --force to replace it",
                out.display()
            )));
        }
        if let Some(input) = &args.input
            && let (Ok(a), Ok(b)) = (std::fs::canonicalize(input), std::fs::canonicalize(out))
            && a == b
        {
            return Err(CliError::usage(
                "the output is the template itself; write the filled file somewhere else",
            ));
        }
    }
    let file_template = match &args.input {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            CliError::other(format!("cannot read the template {}: {e}", path.display()))
        })?),
        None => None,
    };
    if let Some(t) = &file_template {
        crate::inject::references(t).map_err(|e| CliError::usage(e.to_string()))?;
    }
    let vault = ctx.open_vault()?;
    let template = match file_template {
        Some(t) => t,
        None => {
            let mut t = ctx.input.rest("template")?.expose().to_owned();
            t.push('\n');
            t
        }
    };
    let filled = crate::inject::inject(&template, &vault).map_err(|e| {
        let origin = args
            .input
            .as_ref()
            .map_or_else(|| "stdin".to_owned(), |p| p.display().to_string());
        CliError::usage(format!("{origin}: {e}"))
    })?;
    drop(vault);
    match &args.output {
        Some(out) => {
            write_file_atomically(out, filled.as_bytes())?;
            eprintln!("Wrote {} (mode 0600).", out.display());
        }
        None => print(&filled)?,
    }
    Ok(EXIT_OK)
}
