//! `init` and `passwd`: commands about the vault file itself.

use super::{CliError, Context, EXIT_OK, KdfArgs, PasswdArgs, input};
use crate::secret::SecretString;
use crate::store::{Credentials, KdfParams, KdfPreset, PasswordStrength, VaultFile, kdf, strength};
use crate::vault::Vault;

/// The preset named by `--kdf-preset`, if given.
fn preset(name: Option<&str>) -> Result<Option<KdfPreset>, CliError> {
    name.map(str::parse::<KdfPreset>)
        .transpose()
        .map_err(|e| CliError::usage(e.to_string()))
}

/// Refuses a new vault setting above the work bound unless `--allow-slow-kdf`: every later
/// unlock would need that option too (and the app would refuse the vault).
fn within_bound(kdf: KdfParams, allow_slow_kdf: bool) -> Result<KdfParams, CliError> {
    match kdf.check_work(allow_slow_kdf) {
        Ok(()) => Ok(kdf),
        Err(kdf::KdfError::WorkFactor(kdf::WorkFactorError::Slow { times, .. })) => {
            Err(CliError::usage(format!(
                "{kdf} is {times}x the work of the default, above the limit of {}x: every \
                 unlock would take long and need --allow-slow-kdf; use less memory or fewer \
                 passes, or pass --allow-slow-kdf to use it anyway",
                kdf::SLOW_FACTOR
            )))
        }
        Err(e) => Err(CliError::usage(format!(
            "invalid key derivation setting: {e}"
        ))),
    }
}

fn kdf_params(args: &KdfArgs) -> Result<KdfParams, CliError> {
    if let Some(preset) = preset(args.kdf_preset.as_deref())? {
        return Ok(preset.params());
    }
    let params = KdfParams::from_mib(
        args.kdf_memory_mib,
        args.kdf_iterations,
        args.kdf_parallelism,
    )
    .map_err(|e| CliError::usage(format!("invalid key derivation setting: {e}")))?;
    match args.kdf_target_ms {
        Some(ms) => {
            eprintln!("Measuring this machine to choose the key derivation passes…");
            kdf::calibrate(params, std::time::Duration::from_millis(ms))
                .map_err(|e| CliError::other(e.to_string()))
        }
        None => Ok(params),
    }
}

/// Prints the master password policy's warnings (a weak password, a weak KDF) on stderr. The
/// CLI warns where the app refuses: scripts make throw-away test vaults.
fn warn_about_setup(password: &SecretString, kdf: KdfParams) {
    let strength = PasswordStrength::of(password.expose());
    for warning in strength::setup_warnings(&strength, kdf) {
        eprintln!("keyward: warning: {warning}");
    }
}

/// `keyward init`: creates an empty vault.
pub fn init(ctx: &mut Context, args: &KdfArgs) -> Result<u8, CliError> {
    let kdf = within_bound(kdf_params(args)?, ctx.allow_slow_kdf)?;
    if ctx.vault.exists() {
        return Err(CliError::other(format!(
            "a vault already exists at {}; refusing to overwrite it",
            ctx.vault.display()
        )));
    }
    let file = args
        .new_password_file
        .as_deref()
        .or(ctx.password_file.as_deref());
    let password = input::new_master_password(file, true, &mut ctx.input)?;
    warn_about_setup(&password, kdf);
    let with_key_file = ctx.key_file.is_some();
    let credentials = ctx.credentials(password)?;
    VaultFile::create_with(&ctx.vault, credentials, kdf, &Vault::default())?;
    if with_key_file {
        eprintln!(
            "Created {} ({kdf}, with a key file: every command needs --key-file; keep a copy \
             of the key file, the vault cannot be opened without it)",
            ctx.vault.display()
        );
    } else {
        eprintln!("Created {} ({kdf})", ctx.vault.display());
    }
    Ok(EXIT_OK)
}

/// `keyward passwd`: re-encrypts the vault under a new master password. A KDF setting not
/// given keeps the vault's own value, raised to the default if it is weaker, so changing the
/// password never silently weakens the vault.
pub fn passwd(ctx: &mut Context, args: &PasswdArgs) -> Result<u8, CliError> {
    let default = KdfParams::default();
    let preset = preset(args.kdf_preset.as_deref())?;
    // Check the values given before asking for anything.
    KdfParams::from_mib(
        args.kdf_memory_mib.unwrap_or(default.memory_kib / 1024),
        args.kdf_iterations.unwrap_or(default.iterations),
        args.kdf_parallelism.unwrap_or(default.parallelism),
    )
    .map_err(|e| CliError::usage(format!("invalid key derivation setting: {e}")))?;
    let old = ctx.master_password()?;
    let old = ctx.credentials(old)?;
    let new_key_file = match (&args.new_key_file, args.remove_key_file) {
        (Some(path), _) => Some(crate::store::KeyFile::read(path)?),
        (None, true) => None,
        (None, false) => old.key_file.clone(),
    };
    let (mut file, mut vault) = ctx.open_locked_with(old)?;
    let current = file.kdf();
    let kdf = match preset {
        Some(preset) => preset.params(),
        None => KdfParams::from_mib(
            args.kdf_memory_mib
                .unwrap_or(current.memory_kib.max(default.memory_kib) / 1024),
            args.kdf_iterations
                .unwrap_or(current.iterations.max(default.iterations)),
            args.kdf_parallelism
                .unwrap_or(current.parallelism.max(default.parallelism)),
        )
        .map_err(|e| CliError::usage(format!("invalid key derivation setting: {e}")))?,
    };
    let kdf = within_bound(kdf, ctx.allow_slow_kdf)?;
    let new = input::new_master_password(args.new_password_file.as_deref(), false, &mut ctx.input)?;
    warn_about_setup(&new, kdf);
    let with_key_file = new_key_file.is_some();
    // Opening the vault with `old` (moved in and dropped there) derived its key: that was the check of the current
    // credentials, so they are not derived a second time (`change_credentials`, which the
    // app's Settings use, checks a password typed again on an open vault). The save
    // derives the new key: two derivations in all.
    file.set_credentials(Credentials::new(new, new_key_file), kdf)?;
    ctx.save(&mut file, &mut vault)?;
    if with_key_file {
        eprintln!("The vault needs its key file (--key-file) from now on.");
    }
    eprintln!(
        "Changed the master password of {} ({kdf}); the backup encrypted with the old \
         password was removed.",
        ctx.vault.display()
    );
    Ok(EXIT_OK)
}
