//! `mount`: a FIFO at PATH that hands each reader the template filled from the vault, while
//! keyward runs (the logic is [`crate::mount`], the filling [`crate::inject::inject`]).

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Context, EXIT_OK};
use crate::mount::{Event, MountError};
use crate::store::refuse_vault_target;

/// `mount` options.
#[derive(Debug, Args)]
pub struct MountArgs {
    /// Where to create the FIFO (must not exist; removed when keyward stops)
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The template with keyward://NAME/field references, as for `inject` (read once, at the
    /// start: restart the mount after changing it or the vault)
    #[arg(long = "env-file", value_name = "TEMPLATE")]
    pub template: PathBuf,
}

/// `keyward mount PATH --env-file TEMPLATE`.
pub fn mount(ctx: &mut Context, args: &MountArgs) -> Result<u8, CliError> {
    // Everything that can be refused is refused before the password is asked for.
    if !cfg!(unix) {
        return Err(CliError::usage(MountError::Unsupported));
    }
    refuse_vault_target(&args.path)?;
    if std::fs::symlink_metadata(&args.path).is_ok() {
        return Err(CliError::usage(MountError::Exists {
            path: args.path.clone(),
        }));
    }
    let template = std::fs::read_to_string(&args.template).map_err(|e| {
        CliError::other(crate::platform::io_sentence(
            "reading the template",
            &args.template,
            &e,
        ))
    })?;
    let origin = args.template.display().to_string();
    crate::inject::references(&template).map_err(|e| CliError::usage(format!("{origin}: {e}")))?;
    let vault = ctx.open_vault()?;
    // Every reference is resolved once now, so a missing key stops the mount before any
    // program reads a half-filled file.
    drop(
        crate::inject::inject(&template, &vault)
            .map_err(|e| CliError::usage(format!("{origin}: {e}")))?,
    );
    let shown = args.path.display().to_string();
    let render = || crate::inject::inject(&template, &vault).map_err(|e| format!("{origin}: {e}"));
    let report = |event| match event {
        Event::Mounted => eprintln!(
            "Mounted {shown}: each program that reads it gets {origin} filled from the vault. \
             Stop with Ctrl+C (or SIGTERM/SIGHUP to pid {}); {shown} is removed then.",
            std::process::id()
        ),
        Event::Served { n } => eprintln!("Served {shown} to reader {n}."),
        Event::ReaderLeft { n } => {
            eprintln!("Reader {n} closed {shown} before reading all of it; still mounted.")
        }
    };
    let stopped = crate::mount::serve(&args.path, render, report).map_err(|e| match e {
        MountError::Exists { .. } | MountError::Unsupported => CliError::usage(e),
        e => CliError::other(e),
    })?;
    eprintln!(
        "Stopped (signal {}): {shown} removed after {} reader(s).",
        stopped.signal, stopped.served
    );
    Ok(EXIT_OK)
}
