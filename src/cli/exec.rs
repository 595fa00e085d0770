//! `exec`: run a command with keys in its environment, its output masked (PRODUCT §5).

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Context};
use crate::exec::{self, EnvSpec, Launch, Source};
use crate::secret::SecretString;
use crate::vault::Status;

/// `exec` options.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Set VAR to a part of a key: NAME (its secret, token or private key) or NAME.field
    /// (key, secret, passphrase, private-key, public-key); repeatable
    #[arg(long = "env", value_name = "VAR=NAME[.field]")]
    pub env: Vec<String>,
    /// Read VAR=keyward://NAME/field lines from a template file (see docs/BEYOND.md);
    /// repeatable; --env wins over the file for the same VAR
    #[arg(long, value_name = "TEMPLATE")]
    pub env_file: Vec<PathBuf>,
    /// Pass the command's output through untouched instead of masking the injected values
    #[arg(long)]
    pub no_masking: bool,
    /// Record today as the "last used" date of the keys injected (this saves the vault;
    /// without it exec writes nothing)
    #[arg(long)]
    pub mark_used: bool,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `keyward exec --env VAR=NAME[.field]... -- COMMAND [ARGS]`: returns the command's exit
/// code (128 + N when signal N ended it).
pub fn exec(ctx: &mut Context, args: &ExecArgs) -> Result<u8, CliError> {
    // Parse everything before asking for the password.
    let mut specs: Vec<EnvSpec> = Vec::new();
    for path in &args.env_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::other(format!("cannot read the template {}: {e}", path.display()))
        })?;
        specs.extend(
            exec::parse_template(&text, &path.display().to_string())
                .map_err(|e| CliError::usage(e.to_string()))?,
        );
    }
    for text in &args.env {
        specs.push(exec::parse_env_arg(text).map_err(|e| CliError::usage(e.to_string()))?);
    }

    let password = ctx.master_password()?;
    let (mut file, mut vault) = if args.mark_used {
        ctx.open_locked(password)?
    } else {
        ctx.open_unlocked(password)?
    };
    let mut used: Vec<String> = Vec::new();
    let mut env: Vec<(String, SecretString)> = Vec::new();
    let mut masked: Vec<SecretString> = Vec::new();
    for spec in specs {
        let (value, is_key) = match exec::resolve_name(spec.source, |n| vault.get(n).is_some()) {
            Source::Literal(v) => (SecretString::new(v), false),
            Source::Key { name, field } => {
                let entry = vault.require(&name)?;
                let field = field.unwrap_or_else(|| entry.credential.primary_field());
                let value = entry.credential.field(field).ok_or_else(|| {
                    CliError::other(format!(
                        "'{name}' ({}) has no {field} for {}",
                        entry.credential.kind(),
                        spec.var
                    ))
                })?;
                if entry.status != Status::Active {
                    eprintln!(
                        "keyward: warning: '{name}' is marked {}; injecting it anyway",
                        entry.status
                    );
                }
                used.push(name.clone());
                (SecretString::from(value.expose()), true)
            }
        };
        if is_key {
            masked.push(value.clone());
        }
        env.retain(|(var, _)| var != &spec.var);
        env.push((spec.var, value));
    }
    if args.mark_used && !used.is_empty() {
        let now = chrono::Utc::now();
        for name in &used {
            if let Some(entry) = vault.get_mut(name) {
                entry.last_used_at = Some(now);
            }
        }
        ctx.save(&mut file, &mut vault)?;
    }
    // The rest of the vault (and its lock) is not needed while the command runs.
    drop(vault);
    drop(file);

    let launch = Launch {
        command: &args.command,
        env: &env,
        mask: (!args.no_masking).then_some(masked.as_slice()),
    };
    exec::run(&launch).map_err(|e| match e {
        exec::ExecError::BadSpec { .. } => CliError::usage(e.to_string()),
        _ => CliError::other(e.to_string()),
    })
}
