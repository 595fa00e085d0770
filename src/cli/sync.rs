//! `delete`, `trash` and `merge`: deleting without losing, and bringing copies of the vault
//! back together (another vault file, sync conflict copies).

use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::Args;

use super::entries::modify;
use super::input::first_line_of_file;
use super::output::json;
use super::{CliError, Context, EXIT_OK};
use crate::store::{
    Credentials, Opener, conflict_copies, find_recovery, merge_copies, open_copies, remove_merged,
};
use crate::vault::merge::MergeReport;

/// `trash` options.
#[derive(Debug, Args)]
pub struct TrashArgs {
    /// Bring this key back from the trash
    #[arg(long, value_name = "NAME", conflicts_with = "purge")]
    pub restore: Option<String>,
    /// Remove this key from the trash for good (its secrets are gone; a merge will not bring
    /// it back)
    #[arg(long, value_name = "NAME")]
    pub purge: Option<String>,
    /// Print the list as JSON
    #[arg(long)]
    pub json: bool,
}

/// `merge` options.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The other vault file to merge into this one
    #[arg(value_name = "OTHER", required_unless_present = "conflicts")]
    pub other: Option<PathBuf>,
    /// Merge every sync conflict copy beside the vault (Syncthing, Dropbox, Nextcloud) and
    /// remove each copy once merged
    #[arg(long, conflicts_with = "other")]
    pub conflicts: bool,
    /// The other file's master password, first line of this file [default: the vault's key,
    /// which opens copies saved since the vault's last password change]
    #[arg(long, value_name = "FILE")]
    pub other_password_file: Option<PathBuf>,
    /// Print what would be added, changed and in conflict; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// `keyward delete NAME`: to the trash.
pub fn delete(ctx: &mut Context, name: &str) -> Result<u8, CliError> {
    let password = ctx.master_password()?;
    modify(ctx, password, |v| {
        v.delete_to_trash(name, Utc::now())?;
        Ok(format!(
            "Moved '{name}' to the trash; `keyward trash --restore {name}` brings it back."
        ))
    })
}

/// `keyward trash [--restore NAME | --purge NAME]`.
pub fn trash(ctx: &mut Context, args: &TrashArgs) -> Result<u8, CliError> {
    if let Some(name) = &args.restore {
        let password = ctx.master_password()?;
        return modify(ctx, password, |v| {
            let restored = v.restore_from_trash(name, Utc::now())?;
            Ok(if restored == *name {
                format!("Restored '{name}'.")
            } else {
                format!("Restored '{name}' as '{restored}': a key already has its name.")
            })
        });
    }
    if let Some(name) = &args.purge {
        let password = ctx.master_password()?;
        return modify(ctx, password, |v| {
            v.purge_from_trash(name, Utc::now())?;
            Ok(format!("Purged '{name}' for good."))
        });
    }
    let vault = ctx.open_vault()?;
    if args.json {
        let items: Vec<serde_json::Value> = vault
            .trash
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.entry.name,
                    "provider": t.entry.provider,
                    "kind": t.entry.credential.kind().as_str(),
                    "deleted_at": t.deleted_at.to_rfc3339(),
                })
            })
            .collect();
        println!("{}", json(&items));
    } else if vault.trash.is_empty() {
        eprintln!("The trash is empty.");
    } else {
        for t in &vault.trash {
            println!(
                "{}\t{}\tdeleted {}",
                t.entry.name,
                if t.entry.provider.is_empty() {
                    "-"
                } else {
                    &t.entry.provider
                },
                t.deleted_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
    }
    Ok(EXIT_OK)
}

/// `keyward merge OTHER` / `keyward merge --conflicts`.
pub fn merge(ctx: &mut Context, args: &MergeArgs) -> Result<u8, CliError> {
    let others: Vec<PathBuf> = match (&args.other, args.conflicts) {
        (Some(other), _) => {
            if same_file(other, &ctx.vault) {
                return Err(CliError::usage(format!(
                    "{} is the vault itself; name another copy",
                    other.display()
                )));
            }
            vec![other.clone()]
        }
        (None, _) => {
            let found = conflict_copies(&ctx.vault);
            if found.is_empty() {
                eprintln!(
                    "No sync conflict copies beside {}; nothing to merge.",
                    ctx.vault.display()
                );
                return Ok(EXIT_OK);
            }
            found
        }
    };
    let password = ctx.master_password()?;
    let other = match &args.other_password_file {
        Some(f) => Some(Credentials::from(first_line_of_file(
            f,
            "other vault's password file",
        )?)),
        None => None,
    };
    let (mut file, vault) = ctx.open_locked(password)?;
    // Without another password the copies open with the vault's own key (no derivation; the
    // password is already wiped). Every copy is opened before anything changes: one that
    // cannot be read stops the merge.
    let own = file.key().clone();
    let opener = match &other {
        Some(c) => Opener::Credentials(c),
        None => Opener::Key(&own),
    };
    let copies = open_copies(&others, opener).map_err(|e| {
        let mut err = CliError::from(e);
        err.message = format!(
            "{} (nothing was merged; for another password pass --other-password-file)",
            err.message
        );
        err
    })?;
    let (mut vault, reports) = merge_copies(&vault, &copies);
    for ((path, _), report) in copies.iter().zip(&reports) {
        print_report(path, report);
    }
    if args.dry_run {
        eprintln!("Dry run: the vault is unchanged.");
        return Ok(EXIT_OK);
    }
    ctx.save(&mut file, &mut vault)?;
    // A recovery file the app left is done with once merged, like a conflict copy.
    let recovery = find_recovery(&ctx.vault);
    let is_recovery = |p: &PathBuf| recovery.iter().any(|r| same_file(r, p));
    if args.conflicts || others.iter().all(is_recovery) {
        let failed = remove_merged(&others);
        for path in &others {
            match failed.iter().find(|(p, _)| p == path) {
                None => eprintln!("Merged and removed {}.", path.display()),
                Some((_, e)) => eprintln!(
                    "keyward: merged {}, but could not remove it ({e}); delete it yourself",
                    path.display()
                ),
            }
        }
    } else {
        eprintln!(
            "Merged {} into {}.",
            others[0].display(),
            ctx.vault.display()
        );
    }
    Ok(EXIT_OK)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn print_report(path: &Path, report: &MergeReport) {
    if report.is_empty() {
        eprintln!("{}: nothing new.", path.display());
        return;
    }
    eprintln!("{}:", path.display());
    for line in report.lines() {
        eprintln!("  {line}");
    }
}
