//! The options shared by several commands and the arguments of the entry commands (`add`,
//! `edit`, `rotate`, `passwd`, `init`'s KDF): clap definitions only, no rules.

use std::path::PathBuf;

use clap::Args;

/// Key derivation strength options of `init` and `passwd`.
#[derive(Debug, Args)]
pub struct KdfArgs {
    /// Argon2id memory in MiB (1..=1024)
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub kdf_memory_mib: u32,
    /// Argon2id passes (1..=100)
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub kdf_iterations: u32,
    /// Argon2id lanes, each on its own thread (1..=16)
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub kdf_parallelism: u32,
    /// Instead of --kdf-iterations: choose the passes so unlocking takes about this long on
    /// this machine (KeePassXC uses 1000)
    #[arg(long, value_name = "MS", conflicts_with = "kdf_iterations")]
    pub kdf_target_ms: Option<u64>,
    /// Instead of the --kdf-* numbers: light (19 MiB, 2 passes), standard (the defaults) or
    /// strong (256 MiB, 4 passes)
    #[arg(
        long,
        value_name = "PRESET",
        conflicts_with_all = ["kdf_memory_mib", "kdf_iterations", "kdf_parallelism", "kdf_target_ms"]
    )]
    pub kdf_preset: Option<String>,
    /// Read the new master password from the first line of this file
    #[arg(long, value_name = "FILE", env = "KEYWARD_NEW_PASSWORD_FILE")]
    pub new_password_file: Option<PathBuf>,
}

/// `passwd` options.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Argon2id memory in MiB (1..=1024) [default: the vault's, at least 64]
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes (1..=100) [default: the vault's, at least 3]
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes (1..=16) [default: the vault's, at least 4]
    #[arg(long, value_name = "N")]
    pub kdf_parallelism: Option<u32>,
    /// Instead of the --kdf-* numbers: light (19 MiB, 2 passes), standard (the defaults) or
    /// strong (256 MiB, 4 passes)
    #[arg(
        long,
        value_name = "PRESET",
        conflicts_with_all = ["kdf_memory_mib", "kdf_iterations", "kdf_parallelism"]
    )]
    pub kdf_preset: Option<String>,
    /// Read the new master password from the first line of this file
    #[arg(long, value_name = "FILE", env = "KEYWARD_NEW_PASSWORD_FILE")]
    pub new_password_file: Option<PathBuf>,
    /// Make this key file part of the new key (instead of the one given with --key-file)
    #[arg(long, value_name = "FILE", conflicts_with = "remove_key_file")]
    pub new_key_file: Option<PathBuf>,
    /// Stop needing a key file: the new key comes from the password alone
    #[arg(long)]
    pub remove_key_file: bool,
}

/// Metadata options shared by `add` and `edit`.
#[derive(Debug, Args, Default)]
pub struct MetaArgs {
    /// Provider (binance, github, aws, …)
    #[arg(long)]
    pub provider: Option<String>,
    /// The public key id ("API key")
    #[arg(long)]
    pub key_id: Option<String>,
    /// prod, test or other
    #[arg(long = "env", value_name = "ENV")]
    pub environment: Option<String>,
    /// Add a tag (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// What this key is for
    #[arg(long)]
    pub purpose: Option<String>,
    /// Add a permission granted at the provider: read, trade, withdraw, transfer, … (repeatable)
    #[arg(long = "permission", value_name = "NAME")]
    pub permissions: Vec<String>,
    /// Add an IP address or CIDR range to the whitelist (repeatable)
    #[arg(long = "allow", value_name = "ADDR_OR_CIDR")]
    pub allow: Vec<String>,
    /// Add an IP address or CIDR range to the blacklist (repeatable)
    #[arg(long = "deny", value_name = "ADDR_OR_CIDR")]
    pub deny: Vec<String>,
    /// Expiry date (YYYY-MM-DD or RFC 3339), or "never"
    #[arg(long, value_name = "DATE|never")]
    pub expires: Option<String>,
    /// Rotation period in days (0 = no policy)
    #[arg(long, value_name = "DAYS")]
    pub rotate_every: Option<u32>,
    /// Creation date (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub created: Option<String>,
    /// Last rotation date (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub rotated: Option<String>,
    /// Last use date (YYYY-MM-DD or RFC 3339), or "never"
    #[arg(long, value_name = "DATE|never")]
    pub last_used: Option<String>,
    /// Free notes
    #[arg(long)]
    pub notes: Option<String>,
    /// For key pairs: read the public key (PEM) from this file
    #[arg(long, value_name = "FILE")]
    pub public_key_file: Option<PathBuf>,
}

/// `add` options.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The key's name (unique in the vault)
    pub name: String,
    /// shared-secret, key-pair or token
    #[arg(long, default_value = "shared-secret")]
    pub kind: String,
    /// Read the secret from the next line of stdin (for a key pair: the private key, all of
    /// the rest of stdin)
    #[arg(long)]
    pub secret_stdin: bool,
    /// Read the passphrase from the line of stdin after the secret
    #[arg(long)]
    pub passphrase_stdin: bool,
    /// Metadata.
    #[command(flatten)]
    pub meta: MetaArgs,
}

/// `edit` options.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The key's name
    pub name: String,
    /// Rename the key
    #[arg(long, value_name = "NEW_NAME")]
    pub rename: Option<String>,
    /// Empty the IP whitelist before adding --allow rules
    #[arg(long)]
    pub clear_allow: bool,
    /// Empty the IP blacklist before adding --deny rules
    #[arg(long)]
    pub clear_deny: bool,
    /// Remove all tags before adding --tag ones
    #[arg(long)]
    pub clear_tags: bool,
    /// Remove all permissions before adding --permission ones
    #[arg(long)]
    pub clear_permissions: bool,
    /// Remove a tag (repeatable)
    #[arg(long = "untag", value_name = "TAG")]
    pub untag: Vec<String>,
    /// Remove a permission (repeatable)
    #[arg(long = "remove-permission", value_name = "NAME")]
    pub remove_permissions: Vec<String>,
    /// Follow the vault's default rotation period again
    #[arg(long, conflicts_with = "rotate_every")]
    pub default_rotation: bool,
    /// Metadata to change.
    #[command(flatten)]
    pub meta: MetaArgs,
}

/// `rotate` options.
#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The key's name
    pub name: String,
    /// The new key id ("API key") the provider issued with the new secret (it is public)
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,
    /// Read the new passphrase from the line of stdin after the new secret (OKX, KuCoin)
    #[arg(long)]
    pub passphrase_stdin: bool,
    /// For key pairs: the new public key (PEM) file
    #[arg(long, value_name = "FILE")]
    pub public_key_file: Option<PathBuf>,
}
