//! `export` and `import` (PRODUCT §8): parse and validate the options, read the passwords,
//! call [`crate::transfer`], write the file or save the vault once.

use std::path::PathBuf;

use chrono::Utc;
use clap::Args;

use super::{CliError, Context, EXIT_OK, EXIT_OTHER, EXIT_UNREADABLE, EXIT_USAGE, input};
use crate::secret::{SecretBytes, SecretString};
use crate::transfer::{
    self, ClashRule, ExportOptions, Format, ImportAction, ImportOptions, TransferError, keyfile,
    parse_column_maps, plan_import, write_private_file,
};

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// kdbx, keepass-xml, bitwarden-json, keepassxc-csv or 1password-csv
    #[arg(long, short)]
    pub format: String,
    /// The file to write (mode 0600, written atomically)
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    /// kdbx: read the export password from the first line of this file (else a prompt
    /// asked twice on a terminal, else the line of stdin after the master password)
    #[arg(long, value_name = "FILE", env = "KEYWARD_EXPORT_PASSWORD_FILE")]
    pub export_password_file: Option<PathBuf>,
    /// kdbx: also lock the file with this KeePass key file (XML, binary, hex or any file);
    /// when FILE does not exist a new XML v2 key file is written there. With a key file the
    /// password may be empty (key file only)
    #[arg(long, value_name = "FILE")]
    pub export_key_file: Option<PathBuf>,
}

/// `import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// kdbx, keepass-xml, bitwarden-json, keepassxc-csv, 1password-csv, dotenv or csv
    #[arg(long, short)]
    pub format: String,
    /// The file to read
    pub file: PathBuf,
    /// Show what would be added, renamed, replaced or skipped; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// When a name is taken: skip, rename or replace [default: refuse and list the clashes]
    #[arg(long, value_name = "RULE")]
    pub on_clash: Option<String>,
    /// kdbx: read the file's password from the first line of this file (else a prompt on a
    /// terminal, else the first line of stdin, before the master password)
    #[arg(long, value_name = "FILE", env = "KEYWARD_IMPORT_PASSWORD_FILE")]
    pub import_password_file: Option<PathBuf>,
    /// kdbx: the database's KeePass key file; an empty password then means the key file alone
    #[arg(long, value_name = "FILE")]
    pub import_key_file: Option<PathBuf>,
    /// csv: map a column to a field: name, key, secret, passphrase, private-key, public-key,
    /// kind, provider, env, purpose, notes, tags, permissions, allow, deny, created, rotated,
    /// expires, url, ignore (repeatable); unmapped columns are reported, not imported
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub map: Vec<String>,
}

impl From<TransferError> for CliError {
    fn from(e: TransferError) -> Self {
        let code = match e {
            TransferError::WrongPassword { .. }
            | TransferError::Damaged { .. }
            | TransferError::WorkFactor { .. }
            | TransferError::KeyFile(_) => EXIT_UNREADABLE,
            TransferError::Malformed { .. }
            | TransferError::Usage(_)
            | TransferError::Exists { .. }
            | TransferError::WouldOverwriteVault { .. } => EXIT_USAGE,
            _ => EXIT_OTHER,
        };
        CliError {
            code,
            message: e.to_string(),
        }
    }
}

fn parse_format(text: &str) -> Result<Format, CliError> {
    text.parse().map_err(CliError::usage)
}

/// `keyward export --format F --out FILE`.
pub fn export(ctx: &mut Context, args: &ExportArgs) -> Result<u8, CliError> {
    let format = parse_format(&args.format)?;
    if !format.can_export() {
        return Err(CliError::usage(format!(
            "{format} can only be imported; export to kdbx, keepass-xml, bitwarden-json, \
             keepassxc-csv or 1password-csv"
        )));
    }
    if (args.export_password_file.is_some() || args.export_key_file.is_some())
        && format != Format::Kdbx
    {
        return Err(CliError::usage(
            "--export-password-file and --export-key-file only apply to --format kdbx",
        ));
    }
    if crate::store::holds_vault(&args.out) {
        return Err(TransferError::WouldOverwriteVault {
            path: args.out.clone(),
        }
        .into());
    }
    if !args.force && std::fs::symlink_metadata(&args.out).is_ok() {
        return Err(TransferError::Exists {
            path: args.out.clone(),
        }
        .into());
    }
    let vault = ctx.open_vault()?;
    let key_file = match &args.export_key_file {
        Some(path) => Some(export_key_file(path)?),
        None => None,
    };
    let export_password = if format == Format::Kdbx {
        Some(new_export_password(ctx, args)?)
    } else {
        None
    };
    let exported = transfer::export(
        &vault,
        format,
        &ExportOptions {
            password: export_password,
            key_file,
        },
    )?;
    write_private_file(&args.out, exported.bytes.expose(), args.force)?;
    for line in exported.report.lines() {
        eprintln!("warning: {line}");
    }
    eprintln!(
        "Exported {} key(s) to {} ({format}).",
        vault.entries.len(),
        args.out.display()
    );
    Ok(EXIT_OK)
}

/// The kdbx export password: the file, else asked twice on a terminal, else the next line
/// of stdin.
fn new_export_password(ctx: &mut Context, args: &ExportArgs) -> Result<SecretString, CliError> {
    let password = if let Some(path) = &args.export_password_file {
        input::first_line_of_file(path, "export password file")?
    } else if ctx.input.is_terminal() {
        let first = ctx.input.prompt("Password for the exported kdbx: ")?;
        let second = ctx.input.prompt("Repeat it: ")?;
        if first != second {
            return Err(CliError::usage(
                "the two passwords differ; nothing exported",
            ));
        }
        first
    } else {
        ctx.input.line("export password")?
    };
    if password.is_empty() && args.export_key_file.is_none() {
        return Err(CliError::usage(
            "the export password must not be empty (unless --export-key-file is given)",
        ));
    }
    Ok(password)
}

/// `keyward import --format F FILE`.
pub fn import(ctx: &mut Context, args: &ImportArgs) -> Result<u8, CliError> {
    let format = parse_format(&args.format)?;
    let rule: ClashRule = match &args.on_clash {
        Some(text) => text.parse().map_err(CliError::usage)?,
        None => ClashRule::Refuse,
    };
    if !args.map.is_empty() && format != Format::Csv {
        return Err(CliError::usage("--map only applies to --format csv"));
    }
    if (args.import_password_file.is_some() || args.import_key_file.is_some())
        && format != Format::Kdbx
    {
        return Err(CliError::usage(
            "--import-password-file and --import-key-file only apply to --format kdbx",
        ));
    }
    let columns = parse_column_maps(&args.map).map_err(CliError::usage)?;
    // Opened here, so a missing file is a usage error before any prompt; read (a kdbx file as
    // it is decrypted, never whole) by transfer::import_file.
    let file = std::fs::File::open(&args.file).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            EXIT_USAGE
        } else {
            EXIT_OTHER
        };
        CliError {
            code,
            message: format!("cannot read {}: {e}", args.file.display()),
        }
    })?;
    let key_file = match &args.import_key_file {
        Some(path) => Some(read_key_file(path)?),
        None => None,
    };
    let password = if format == Format::Kdbx {
        Some(import_password(ctx, args)?)
    } else {
        None
    };
    let imported = transfer::import_file(
        file,
        &args.file,
        format,
        &ImportOptions {
            password,
            columns,
            key_file,
            allow_slow_kdf: ctx.allow_slow_kdf,
        },
        Utc::now(),
    )?;
    for line in imported.report.lines() {
        eprintln!("note: {line}");
    }
    if imported.entries.is_empty() {
        eprintln!("{} holds no keys; nothing to import.", args.file.display());
        return Ok(EXIT_OK);
    }
    let master = ctx.master_password()?;
    let (mut file, vault) = if args.dry_run {
        ctx.open_unlocked(master)?
    } else {
        ctx.open_locked(master)?
    };
    let mut plan = plan_import(&vault, imported.entries, rule)?;
    let mut report = String::new();
    for p in &plan.entries {
        let line = match &p.action {
            ImportAction::Rename { from } => format!("rename   {from} -> {}\n", p.entry.name),
            action => format!("{:<8} {}\n", action.to_string(), p.entry.name),
        };
        report.push_str(&line);
    }
    print!("{report}");
    let clashes = plan.clashes();
    if !clashes.is_empty() {
        return Err(CliError::usage(format!(
            "{} name(s) already taken: {}; nothing {}imported. Choose what to do with \
             --on-clash skip, rename or replace",
            clashes.len(),
            clashes.join(", "),
            if args.dry_run { "would be " } else { "" }
        )));
    }
    let summary = plan.summary();
    if args.dry_run {
        eprintln!("Dry run: {summary}; the vault is unchanged.");
    } else {
        ctx.save(&mut file, &mut plan.vault)?;
        eprintln!("Imported from {}: {summary}.", args.file.display());
    }
    Ok(EXIT_OK)
}

/// The password of a kdbx being imported: the file, else a prompt, else the next stdin line.
fn import_password(ctx: &mut Context, args: &ImportArgs) -> Result<SecretString, CliError> {
    if let Some(path) = &args.import_password_file {
        input::first_line_of_file(path, "import password file")
    } else if ctx.input.is_terminal() {
        ctx.input
            .prompt(&format!("Password of {}: ", args.file.display()))
    } else {
        ctx.input.line("password of the kdbx file")
    }
}

/// The content of a KeePass key file given on the command line.
fn read_key_file(path: &std::path::Path) -> Result<SecretBytes, CliError> {
    std::fs::read(path)
        .map(SecretBytes::new)
        .map_err(|e| CliError {
            code: if e.kind() == std::io::ErrorKind::NotFound {
                EXIT_USAGE
            } else {
                EXIT_OTHER
            },
            message: format!("cannot read the key file {}: {e}", path.display()),
        })
}

/// The key file of a kdbx export: read when it exists, else a new XML v2 key file written
/// there (owner-only, never over an existing file).
fn export_key_file(path: &std::path::Path) -> Result<SecretBytes, CliError> {
    if std::fs::symlink_metadata(path).is_ok() {
        return read_key_file(path);
    }
    let created = keyfile::new_xml_v2().map_err(|e| CliError {
        code: EXIT_OTHER,
        message: format!("cannot make a key file: no randomness ({e})"),
    })?;
    write_private_file(path, created.as_bytes(), false)?;
    eprintln!(
        "Wrote a new key file to {}; keep it safe: the kdbx cannot be opened without it.",
        path.display()
    );
    Ok(SecretBytes::new(created.as_bytes().to_vec()))
}
