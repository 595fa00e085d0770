//! The command line (PRODUCT §5): parse, call the library, print. No rules live here.
//!
//! Messages go to stderr, data to stdout. Exit codes: 0 success, 1 findings, 2 usage error,
//! 3 wrong password or damaged vault, 4 vault locked by another process, 5 other errors.

mod args;
mod copy;
mod entries;
mod exec;
mod generate;
mod hook;
mod inject;
mod input;
mod keys;
mod mount;
mod output;
mod reports;
mod scan;
mod sync;
mod transfer;
mod vaults;

use std::fmt;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use args::{AddArgs, EditArgs, KdfArgs, MetaArgs, PasswdArgs, RotateArgs};
pub use generate::{completions, man_pages, run_generator};
pub use input::Input;

use crate::secret::SecretString;
use crate::store::{Credentials, KeyFile, StoreError, VaultFile, default_vault_path};
use crate::vault::providers::Providers;
use crate::vault::{Vault, VaultError};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a report found something (due, audit, scan).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: the command line or its input is wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: wrong password, or the vault is damaged or of an unknown format.
pub const EXIT_UNREADABLE: u8 = 3;
/// Exit code: another process holds the vault's lock.
pub const EXIT_LOCKED: u8 = 4;
/// Exit code: any other error.
pub const EXIT_OTHER: u8 = 5;

/// keyward: a vault for API keys. Without a command it opens the desktop app.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about, long_about = None, after_help = EXIT_HELP)]
pub struct Cli {
    /// The vault file [default: <data dir>/keyward/vault.keyward]
    #[arg(long, global = true, env = "KEYWARD_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// Read the master password from the first line of this file
    #[arg(
        long,
        global = true,
        env = "KEYWARD_PASSWORD_FILE",
        value_name = "FILE"
    )]
    pub password_file: Option<PathBuf>,

    /// A key file as a second factor: made part of the key by `init`, needed by every
    /// command that opens a vault made with one (KeePassXC's key files are read the same way)
    #[arg(long, global = true, env = "KEYWARD_KEY_FILE", value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// Run a key derivation above keyward's bound (32x the work of its default), which can
    /// take minutes or hours: the vault's own, or a kdbx import's. Only for a file you trust
    #[arg(long, global = true)]
    pub allow_slow_kdf: bool,

    /// What to do; without one, the desktop app opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

const EXIT_HELP: &str = "\
Master password, first source that is set: --password-file / KEYWARD_PASSWORD_FILE, \
KEYWARD_PASSWORD_COMMAND (its stdout), a no-echo prompt on a terminal, else the first line \
of stdin. Secret parts are read after it, from stdin or a prompt, never from arguments.

Exit codes: 0 success, 1 findings, 2 usage error, 3 wrong password or damaged vault, \
4 vault locked by another process, 5 other errors.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app
    Gui,
    /// Create a new vault (a weak master password or key derivation draws a warning)
    Init(KdfArgs),
    /// List keys with provider, rotation age, expiry, IP restriction, status (no secrets)
    List {
        /// Print JSON (documented in docs/CLI.md)
        #[arg(long)]
        json: bool,
        /// Only keys whose name, provider, purpose, notes, key id, tags, URL, IP rules or
        /// custom fields contain TEXT (case ignored; secrets and protected fields are not searched)
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Show one key's metadata, secrets masked
    Show {
        /// The key's name
        name: String,
        /// Print JSON (documented in docs/CLI.md)
        #[arg(long)]
        json: bool,
    },
    /// Add a key; secret parts come from stdin (--secret-stdin) or a prompt, never argv
    Add(AddArgs),
    /// Change a key's metadata (IP lists, permissions, dates, policy, tags)
    Edit(EditArgs),
    /// Print one part of a key to stdout
    Get {
        /// The key's name
        name: String,
        /// key, secret, passphrase, private-key, public-key, or field:NAME for a custom field
        #[arg(long, short, default_value = "secret")]
        field: String,
    },
    /// Copy one part to the clipboard and clear it after a while; stays running as the
    /// clipboard owner until then (Ctrl+C clears at once)
    Copy {
        /// The key's name
        name: String,
        /// key, secret, passphrase, private-key, public-key, or field:NAME for a custom field
        #[arg(long, short, default_value = "secret")]
        field: String,
        /// Seconds before the clipboard is cleared [default: the vault's setting, 20]
        #[arg(long, value_name = "S")]
        clear_after: Option<u32>,
    },
    /// Replace a key's secret with a new one read from stdin; the old one goes to history
    Rotate(RotateArgs),
    /// Mark a key compromised and attach the incident checklist
    Compromised {
        /// The key's name
        name: String,
        /// Why (what happened)
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Mark a key revoked (disabled at the provider)
    Revoke {
        /// The key's name
        name: String,
    },
    /// Change the master password (and the key derivation strength); warns as init does
    Passwd(PasswdArgs),
    /// Export every key for another password manager (see docs/TRANSFER.md)
    Export(transfer::ExportArgs),
    /// Import keys from a password manager's export, a .env file or a CSV
    Import(transfer::ImportArgs),
    /// Rotations and expiries that are past or due soon; exit 1 when anything is overdue
    Due {
        /// Look this many days ahead [default: the vault's reminder lead time, 14]
        #[arg(long, value_name = "DAYS")]
        within: Option<u32>,
        /// Print JSON (documented in docs/CLI.md)
        #[arg(long)]
        json: bool,
    },
    /// Risk findings, most severe first; exit 1 when any is high or critical
    Audit {
        /// Print JSON (documented in docs/CLI.md)
        #[arg(long)]
        json: bool,
    },
    /// Write rotation and expiry reminders as an iCalendar file for your own calendar
    Reminders {
        /// The .ics file to write (never a vault)
        #[arg(long, value_name = "FILE")]
        ics: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },
    /// Move a key to the trash (restorable with `trash --restore`)
    Delete {
        /// The key's name
        name: String,
    },
    /// List the trash, restore a key from it, or purge one for good
    Trash(sync::TrashArgs),
    /// Merge another copy of the vault into this one (see docs/CLI.md): another vault file,
    /// or with --conflicts every sync conflict copy beside the vault
    Merge(sync::MergeArgs),
    /// Generate a key pair (Ed25519 or RSA) as a new key; print its public key (PEM)
    Keygen(keys::KeygenArgs),
    /// Sign a sample payload with a key, to check a bot's signing code (see docs/BEYOND.md)
    Sign(keys::SignArgs),
    /// Run a command with keys in its environment, masked in its output
    Exec(exec::ExecArgs),
    /// Find stored secrets in plain text under folders (leak scan); exit 1 when found
    Scan(scan::ScanArgs),
    /// Fill keyward://NAME/field references in a text file (JSON, YAML, .env, ...); writes
    /// OUT atomically with mode 0600
    Inject(inject::InjectArgs),
    /// Serve the filled template through a FIFO at PATH while keyward runs (Linux, macOS),
    /// for programs that insist on reading a .env: the secrets never sit in a regular file
    Mount(mount::MountArgs),
    /// Git hooks: `hook install` writes a pre-commit hook that runs `scan --staged --unknown`
    #[command(subcommand)]
    Hook(hook::HookCommand),
}

/// An error with the exit code it maps to. Its message never holds a secret.
#[derive(Debug)]
pub struct CliError {
    /// The process exit code.
    pub code: u8,
    /// What went wrong and what to do, for stderr.
    pub message: String,
}

impl CliError {
    /// A usage error (exit 2), from a message or a library error.
    pub fn usage(message: impl fmt::Display) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }

    /// Any other error (exit 5), from a message or a library error.
    pub fn other(message: impl fmt::Display) -> Self {
        CliError {
            code: EXIT_OTHER,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        let code = if e.is_unreadable() {
            EXIT_UNREADABLE
        } else if matches!(e, StoreError::Locked { .. }) {
            EXIT_LOCKED
        } else {
            EXIT_OTHER
        };
        CliError {
            code,
            message: e.to_string(),
        }
    }
}

impl From<VaultError> for CliError {
    fn from(e: VaultError) -> Self {
        CliError::other(e.to_string())
    }
}

/// What a command needs from its surroundings: the vault path, the password source, stdin,
/// and stdout/stderr for output.
pub struct Context {
    /// The vault file.
    pub vault: PathBuf,
    /// `--password-file`, if given.
    pub password_file: Option<PathBuf>,
    /// stdin, read in order.
    pub input: Input,
    /// `--allow-slow-kdf`: accept a key derivation above the work bound.
    pub allow_slow_kdf: bool,
    /// `--key-file`, if given.
    pub key_file: Option<PathBuf>,
    /// The provider presets, loaded on first use.
    providers: Option<Providers>,
}

impl Context {
    /// The master password of an existing vault. A missing vault is reported first, so
    /// nobody types a password for a file that is not there.
    fn master_password(&mut self) -> Result<SecretString, CliError> {
        if !self.vault.exists() {
            return Err(StoreError::NotFound {
                path: self.vault.clone(),
            }
            .into());
        }
        input::master_password(self.password_file.as_deref(), &mut self.input)
    }

    /// Asks for the master password and opens the vault to read it (no lock: saves replace
    /// the file atomically).
    fn open_vault(&mut self) -> Result<Vault, CliError> {
        let password = self.master_password()?;
        let (_file, vault) = self.open_unlocked(password)?;
        Ok(vault)
    }

    /// `password` with the `--key-file`, read, if one was given.
    fn credentials(&self, password: SecretString) -> Result<Credentials, CliError> {
        let key_file = self.key_file.as_deref().map(KeyFile::read).transpose()?;
        Ok(Credentials::new(password, key_file))
    }

    /// Opens the vault with `password` (and `--key-file`) to read it; provider names are
    /// normalised (as the app does on unlock). The password is wiped once the key is derived.
    fn open_unlocked(&mut self, password: SecretString) -> Result<(VaultFile, Vault), CliError> {
        let credentials = self.credentials(password)?;
        let (file, mut vault) =
            VaultFile::open_with(&self.vault, credentials, self.allow_slow_kdf)?;
        warn_of_recovery(&self.vault);
        self.providers().normalise(&mut vault);
        Ok((file, vault))
    }

    /// Opens the vault with `password` under its lock, to change it; provider names are
    /// normalised.
    fn open_locked(&mut self, password: SecretString) -> Result<(VaultFile, Vault), CliError> {
        let credentials = self.credentials(password)?;
        self.open_locked_with(credentials)
    }

    /// [`Context::open_locked`] with credentials already read.
    fn open_locked_with(
        &mut self,
        credentials: Credentials,
    ) -> Result<(VaultFile, Vault), CliError> {
        let (file, mut vault) =
            VaultFile::open_locked_with(&self.vault, credentials, self.allow_slow_kdf)?;
        warn_of_recovery(&self.vault);
        self.providers().normalise(&mut vault);
        Ok((file, vault))
    }

    /// Saves `vault` to `file`, every provider name in its canonical form first (so a key
    /// added as "Binance" is stored as the preset's id, as the editor stores it).
    fn save(&mut self, file: &mut VaultFile, vault: &mut Vault) -> Result<(), CliError> {
        self.providers().normalise(vault);
        file.save(vault)?;
        Ok(())
    }

    /// The built-in provider presets and the user's own; a user file that cannot be used is
    /// reported once on stderr.
    fn providers(&mut self) -> &Providers {
        self.providers.get_or_insert_with(|| {
            let (providers, warning) = crate::presets::load();
            if let Some(w) = warning {
                eprintln!("keyward: warning: {w}");
            }
            providers
        })
    }
}

/// One line on stderr when the app left a recovery file beside the vault (a change it could
/// not save when it locked): the app merges it at the next unlock, `keyward merge` now.
fn warn_of_recovery(vault: &std::path::Path) {
    if let Some(recovery) = crate::store::find_recovery(vault).first() {
        eprintln!(
            "keyward: warning: {} holds changes the app could not save; unlock the vault in \
             the app to merge them, or run `keyward merge {}` (which removes it once merged)",
            recovery.display(),
            recovery.display()
        );
    }
}

/// Runs a parsed command line and returns the process exit code; errors are printed to
/// stderr here.
pub fn run(cli: Cli) -> u8 {
    let vault = match cli.vault.clone().or_else(default_vault_path) {
        Some(v) => v,
        None => {
            eprintln!(
                "keyward: cannot find a data folder for the default vault; pass --vault PATH"
            );
            return EXIT_USAGE;
        }
    };
    let command = match cli.command {
        #[cfg(feature = "gui")]
        None | Some(Command::Gui) => {
            return match crate::app::run(Some(vault)) {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    eprintln!("keyward: {e}");
                    EXIT_OTHER
                }
            };
        }
        #[cfg(not(feature = "gui"))]
        None | Some(Command::Gui) => {
            eprintln!("keyward: this build has no desktop app (built without the gui feature)");
            return EXIT_USAGE;
        }
        Some(c) => c,
    };
    let mut ctx = Context {
        vault,
        password_file: cli.password_file,
        input: Input::new(),
        allow_slow_kdf: cli.allow_slow_kdf,
        key_file: cli.key_file,
        providers: None,
    };
    let result = match command {
        Command::Gui => Ok(EXIT_OK),
        Command::Init(args) => vaults::init(&mut ctx, &args),
        Command::Passwd(args) => vaults::passwd(&mut ctx, &args),
        Command::List { json, search } => entries::list(&mut ctx, json, search.as_deref()),
        Command::Show { name, json } => entries::show(&mut ctx, &name, json),
        Command::Add(args) => entries::add(&mut ctx, args),
        Command::Edit(args) => entries::edit(&mut ctx, args),
        Command::Get { name, field } => entries::get(&mut ctx, &name, &field),
        Command::Rotate(args) => entries::rotate(&mut ctx, &args),
        Command::Copy {
            name,
            field,
            clear_after,
        } => copy::copy(&mut ctx, &name, &field, clear_after),
        Command::Compromised { name, reason } => entries::compromised(&mut ctx, &name, &reason),
        Command::Revoke { name } => entries::revoke(&mut ctx, &name),
        Command::Export(args) => transfer::export(&mut ctx, &args),
        Command::Import(args) => transfer::import(&mut ctx, &args),
        Command::Due { within, json } => reports::due(&mut ctx, within, json),
        Command::Audit { json } => reports::audit(&mut ctx, json),
        Command::Reminders { ics, force } => reports::reminders(&mut ctx, &ics, force),
        Command::Delete { name } => sync::delete(&mut ctx, &name),
        Command::Trash(args) => sync::trash(&mut ctx, &args),
        Command::Merge(args) => sync::merge(&mut ctx, &args),
        Command::Keygen(args) => keys::keygen(&mut ctx, &args),
        Command::Sign(args) => keys::sign(&mut ctx, &args),
        Command::Exec(args) => exec::exec(&mut ctx, &args),
        Command::Scan(args) => scan::scan(&mut ctx, &args),
        Command::Inject(args) => inject::inject(&mut ctx, &args),
        Command::Mount(args) => mount::mount(&mut ctx, &args),
        Command::Hook(command) => hook::hook(&command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("keyward: {e}");
            e.code
        }
    }
}
