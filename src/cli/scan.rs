//! `scan`: the leak scan (PRODUCT §9) and, with `--unknown`, the secrets the vault does not
//! hold yet (detectors in assets/detectors.toml), in the same walk. Exit 1 on any hit.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::output::{self, print};
use super::{CliError, Context, EXIT_FINDINGS, EXIT_OK};
use crate::scan::{
    self, Detectors, Hit, HitStatus, Location, Needles, Owner, Progress, ScanOptions, ScanReport,
    adopt,
};

/// `scan` options.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan (with --staged: a folder of the repository, default .)
    #[arg(required_unless_present = "staged", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Scan what is staged for the next commit (the index) instead of files; when no
    /// password file or command is set, the vault is not opened and only --unknown patterns
    /// are checked (the pre-commit hook's mode)
    #[arg(long, conflicts_with_all = ["git", "add"])]
    pub staged: bool,
    /// Print JSON (documented in docs/BEYOND.md)
    #[arg(long)]
    pub json: bool,
    /// Also scan every blob in the history (all refs) of each git repository found
    #[arg(long)]
    pub git: bool,
    /// Also scan hidden files and folders (.git folders excepted: see --git)
    #[arg(long)]
    pub hidden: bool,
    /// Do not honour .gitignore, .ignore and git exclude files
    #[arg(long)]
    pub no_ignore: bool,
    /// Also report secrets found in binary files (files holding a NUL byte)
    #[arg(long)]
    pub binary: bool,
    /// Walker threads [default: the number of CPUs]
    #[arg(long, default_value_t = 0, hide_default_value = true, value_name = "N")]
    pub threads: usize,
    /// Also find secrets the vault does not hold (provider key formats, private keys)
    #[arg(long)]
    pub unknown: bool,
    /// With --unknown: put the unknown secrets found in files into the vault (provider
    /// preset, key id and secret paired, named from the variable and the file)
    #[arg(long, requires = "unknown")]
    pub add: bool,
    /// With --add: then replace each value in its file with a keyward://NAME/field
    /// reference (the original kept beside it as FILE.keyward-backup, mode 0600)
    #[arg(long, requires = "add")]
    pub replace: bool,
    /// With --add: print what would be added and replaced; change nothing
    #[arg(long, requires = "add")]
    pub dry_run: bool,
}

/// `scan --json`: the report.
#[derive(Serialize)]
struct ScanJson<'a> {
    hits: &'a [Hit],
    files_scanned: u64,
    bytes_scanned: u64,
    git_repositories: &'a [PathBuf],
    git_blobs_scanned: u64,
    binary_files_skipped: u64,
    secrets_searched: usize,
    not_searched_too_short: &'a [Owner],
    errors: &'a [scan::ScanError],
    #[serde(skip_serializing_if = "Option::is_none")]
    unknown_rules: Option<usize>,
}

/// `keyward scan PATH...`.
pub fn scan(ctx: &mut Context, args: &ScanArgs) -> Result<u8, CliError> {
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(CliError::usage(format!(
                "no such file or folder: {}",
                p.display()
            )));
        }
    }
    let detectors = if args.unknown {
        Some(std::sync::Arc::new(builtin_detectors()?))
    } else {
        None
    };
    let no_prompt_source = ctx.password_file.is_none()
        && std::env::var_os("KEYWARD_PASSWORD_COMMAND").is_none_or(|c| c.is_empty());
    if args.staged && (no_prompt_source || !ctx.vault.exists()) {
        if !args.unknown {
            return Err(CliError::usage(
                "the vault cannot be opened without a prompt here: set KEYWARD_PASSWORD_FILE \
                 or KEYWARD_PASSWORD_COMMAND, or add --unknown to check key patterns only",
            ));
        }
        eprintln!(
            "keyward: the vault cannot be opened without a prompt (no KEYWARD_PASSWORD_FILE or \
             KEYWARD_PASSWORD_COMMAND, or no vault): checking unknown key patterns only, not \
             the stored secrets"
        );
        let needles = Needles::from_vault(&crate::vault::Vault::default());
        return finish(args, &needles, detectors.as_deref());
    }
    let (mut file, mut vault) = if args.add && !args.dry_run {
        let password = ctx.master_password()?;
        let (file, vault) = ctx.open_locked(password)?;
        (Some(file), vault)
    } else {
        (None, ctx.open_vault()?)
    };
    let needles = Needles::from_vault(&vault);

    let options = ScanOptions {
        hidden: args.hidden,
        no_ignore: args.no_ignore,
        binary: args.binary,
        git: args.git,
        threads: args.threads,
        unknown: detectors.clone(),
    };
    let started = Instant::now();
    let report = if args.staged {
        staged(args, &needles, &options)?
    } else {
        scan::scan(&args.paths, &needles, &options, &Progress::default())
    };
    let elapsed = started.elapsed();
    report_out(args, &report, &needles, detectors.as_deref(), elapsed)?;
    if args.add
        && let Some(detectors) = &detectors
    {
        return add_unknown(ctx, args, detectors, &report, file.as_mut(), &mut vault);
    }
    drop(vault);
    Ok(exit_code(&report))
}

/// The report on stdout (JSON or a line per hit) and the summary on stderr.
fn report_out(
    args: &ScanArgs,
    report: &ScanReport,
    needles: &Needles,
    detectors: Option<&Detectors>,
    elapsed: std::time::Duration,
) -> Result<(), CliError> {
    if args.json {
        print(&output::json(&ScanJson {
            hits: &report.hits,
            files_scanned: report.files_scanned,
            bytes_scanned: report.bytes_scanned,
            git_repositories: &report.git_repositories,
            git_blobs_scanned: report.git_blobs_scanned,
            binary_files_skipped: report.binary_files_skipped,
            secrets_searched: needles.len(),
            not_searched_too_short: &needles.too_short,
            errors: &report.errors,
            unknown_rules: detectors.map(|d| d.rules.len()),
        }))?;
    } else {
        print(&hit_lines(report))?;
    }
    summary(report, needles, args, elapsed);
    Ok(())
}

/// Exit 1 when anything was found.
fn exit_code(report: &ScanReport) -> u8 {
    if report.hits.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

fn hit_lines(report: &ScanReport) -> String {
    let mut out = String::new();
    for hit in &report.hits {
        let what = match hit.status {
            HitStatus::Stored => format!("{} of '{}'", hit.field, hit.entry),
            HitStatus::Unknown => {
                let mut w = format!("unknown {} {} ({})", hit.provider, hit.field, hit.rule);
                if !hit.variable.is_empty() {
                    w.push_str(&format!(" in {}", hit.variable));
                }
                w
            }
        };
        match &hit.location {
            Location::File { path } => out.push_str(&format!(
                "{}:{}:{}: {what}\n",
                path.display(),
                hit.line,
                hit.column
            )),
            Location::Git {
                repository,
                commit,
                path,
            } => out.push_str(&format!(
                "{} (git {commit}) {path}:{}:{}: {what}\n",
                repository.display(),
                hit.line,
                hit.column
            )),
        }
    }
    out
}

fn summary(report: &ScanReport, needles: &Needles, args: &ScanArgs, elapsed: std::time::Duration) {
    for e in &report.errors {
        eprintln!("keyward: cannot read {}: {}", e.path.display(), e.error);
    }
    if !needles.too_short.is_empty() {
        let names: Vec<String> = needles
            .too_short
            .iter()
            .map(|o| format!("{} of '{}'", o.field, o.entry))
            .collect();
        eprintln!(
            "Not searched (shorter than {} characters, they would match everywhere): {}",
            scan::MIN_SECRET_LEN,
            names.join(", ")
        );
    }
    if needles.is_empty() {
        eprintln!("The vault holds no secret long enough to search for.");
    }
    let mb = report.bytes_scanned as f64 / 1_000_000.0;
    let mut line = format!(
        "Scanned {} files ({mb:.1} MB) in {:.2} s",
        report.files_scanned,
        elapsed.as_secs_f64()
    );
    if args.git {
        line.push_str(&format!(
            " and {} blobs of {} git repositories",
            report.git_blobs_scanned,
            report.git_repositories.len()
        ));
    }
    let unknown = report
        .hits
        .iter()
        .filter(|h| h.status == HitStatus::Unknown)
        .count();
    let n = report.hits.len() - unknown;
    line.push_str(&match n {
        0 => ": no stored secret found.".to_owned(),
        1 => ": 1 stored secret found. Rotate it (`keyward rotate NAME`) or mark it compromised.".to_owned(),
        _ => format!(
            ": {n} places hold a stored secret. Rotate those keys (`keyward rotate NAME`) or mark them compromised."
        ),
    });
    eprintln!("{line}");
    if args.unknown {
        eprintln!(
            "{}",
            match unknown {
                0 => "No secret unknown to the vault found.".to_owned(),
                n => format!(
                    "{n} secret(s) the vault does not hold: revoke them at the provider, or put \
                     them in the vault with `keyward scan --unknown --add` and keep them out of \
                     files with `--replace`."
                ),
            }
        );
    }
    if report.binary_files_skipped > 0 {
        eprintln!(
            "{} binary file(s) hold a stored secret and were not listed; add --binary to list them.",
            report.binary_files_skipped
        );
    }
}

/// The built-in detectors; they are part of the source and tested, so an error is a build bug.
pub(super) fn builtin_detectors() -> Result<Detectors, CliError> {
    Detectors::builtin()
        .map_err(|e| CliError::other(format!("the built-in detectors are broken: {e}")))
}

/// `--add` (and `--replace`, `--dry-run`): the unknown file hits become keys.
fn add_unknown(
    ctx: &mut Context,
    args: &ScanArgs,
    detectors: &Detectors,
    report: &ScanReport,
    file: Option<&mut crate::store::VaultFile>,
    vault: &mut crate::vault::Vault,
) -> Result<u8, CliError> {
    let plan = adopt::plan(detectors, vault, &report.hits).map_err(CliError::other)?;
    let verb = if args.dry_run { "Would add" } else { "Adding" };
    for key in &plan.keys {
        let places: Vec<String> = key
            .places
            .iter()
            .map(|p| format!("{}:{}:{}", p.path.display(), p.line, p.column))
            .collect();
        let provider = if key.provider.is_empty() {
            String::new()
        } else {
            format!(", provider {}", key.provider)
        };
        eprintln!(
            "{verb} '{}' ({}{provider}) from {}",
            key.name,
            key.credential.kind(),
            places.join(", ")
        );
    }
    for (hit, why) in &plan.skipped {
        eprintln!(
            "Not added: {} {} at line {} ({why})",
            hit.provider, hit.field, hit.line
        );
    }
    if args.replace {
        let verb = if args.dry_run {
            "Would replace"
        } else {
            "Replacing"
        };
        for (path, n) in plan.files() {
            eprintln!(
                "{verb} {n} value(s) in {} with keyward:// references",
                path.display()
            );
        }
    }
    if args.dry_run {
        eprintln!("Dry run: nothing changed.");
        return Ok(EXIT_OK);
    }
    let Some(file) = file else {
        return Err(CliError::other("the vault is not open for writing"));
    };
    if plan.keys.is_empty() {
        eprintln!("No unknown secret to add.");
        return Ok(if report.hits.is_empty() {
            EXIT_OK
        } else {
            EXIT_FINDINGS
        });
    }
    plan.add_to(vault, chrono::Utc::now())
        .map_err(CliError::other)?;
    ctx.save(file, vault)?;
    eprintln!(
        "Added {} key(s) to the vault, tagged {}.",
        plan.keys.len(),
        adopt::FOUND_TAG
    );
    if args.replace {
        // The keys are saved first: a file that cannot be rewritten loses nothing.
        for done in plan.replace(detectors).map_err(CliError::other)? {
            eprintln!(
                "Replaced {} value(s) in {}; the original is {} (mode 0600): delete it once \
                 the program reads the references (keyward inject, exec, mount)",
                done.references,
                done.path.display(),
                done.backup.display()
            );
        }
    }
    Ok(EXIT_OK)
}

fn staged(
    args: &ScanArgs,
    needles: &Needles,
    options: &ScanOptions,
) -> Result<ScanReport, CliError> {
    let here = PathBuf::from(".");
    let path = args.paths.first().unwrap_or(&here);
    scan::scan_staged(path, needles, options, &Progress::default())
        .map_err(|e| CliError::other(e.to_string()))
}

/// The vault-less `--staged --unknown` run: report and exit code.
fn finish(
    args: &ScanArgs,
    needles: &Needles,
    detectors: Option<&Detectors>,
) -> Result<u8, CliError> {
    let options = ScanOptions {
        binary: args.binary,
        unknown: detectors.map(|d| std::sync::Arc::new(d.clone())),
        ..ScanOptions::default()
    };
    let started = Instant::now();
    let report = staged(args, needles, &options)?;
    report_out(args, &report, needles, detectors, started.elapsed())?;
    Ok(exit_code(&report))
}
