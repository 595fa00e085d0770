//! `keygen` and `sign`: key pairs for providers that take the user's public key, and a
//! signature over a sample payload to check a bot's signing code (PRODUCT §9).

use clap::Args;

use super::output::print;
use super::{CliError, Context, EXIT_OK, MetaArgs, entries};
use crate::keys::{self, KeyAlgorithm, SignatureAlgorithm, SignatureEncoding, SignatureScheme};
use crate::store::VaultFile;
use crate::vault::{Credential, Entry};

/// `keygen` options.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The new key's name (unique in the vault)
    pub name: String,
    /// ed25519, rsa-2048 or rsa-4096
    #[arg(long, default_value = "ed25519")]
    pub alg: String,
    /// Metadata, as for `add` (the key id is the one the provider issues once the public key
    /// is uploaded).
    #[command(flatten)]
    pub meta: MetaArgs,
}

/// `sign` options.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The key's name
    pub name: String,
    /// The text to sign, exactly as given (a query string, a JSON body, …)
    #[arg(long, allow_hyphen_values = true)]
    pub payload: String,
    /// hmac-sha256, hmac-sha512, ed25519 or rsa-sha256 [default: from the key's kind and
    /// provider]
    #[arg(long)]
    pub alg: Option<String>,
    /// hex or base64 [default: from the provider; else hex for HMAC, base64 otherwise]
    #[arg(long)]
    pub encoding: Option<String>,
}

fn usage(e: impl ToString) -> CliError {
    CliError::usage(e.to_string())
}

/// `keyward keygen NAME --alg ALG`: adds a key-pair entry and prints its public key (PEM).
pub fn keygen(ctx: &mut Context, args: &KeygenArgs) -> Result<u8, CliError> {
    let alg: KeyAlgorithm = args.alg.parse().map_err(usage)?;
    crate::vault::validate_name(&args.name).map_err(usage)?;
    if args.meta.public_key_file.is_some() {
        return Err(CliError::usage(
            "keygen makes the public key; drop --public-key-file",
        ));
    }
    let parsed = entries::parse_meta(&args.meta)?;

    let password = ctx.master_password()?;
    if alg != KeyAlgorithm::Ed25519 {
        // An RSA key takes seconds: check the password and the name first, then generate
        // outside the lock and take it only for the read-modify-write.
        let (_file, vault) = VaultFile::open(&ctx.vault, password.clone())?;
        if vault.get(&args.name).is_some() {
            return Err(CliError::from(crate::vault::VaultError::DuplicateName(
                args.name.clone(),
            )));
        }
        eprintln!("Generating an {alg} key…");
    }
    let generated = keys::generate(alg).map_err(|e| CliError::other(e.to_string()))?;
    let public_key = generated.public_key.clone();

    let mut entry = Entry::new(
        args.name.clone(),
        Credential::KeyPair {
            key_id: String::new(),
            private_key: generated.private_key,
            public_key: generated.public_key,
        },
        chrono::Utc::now(),
    );
    entries::apply_meta(&mut entry, &args.meta, parsed)?;

    let (mut file, mut vault) = VaultFile::open_locked(&ctx.vault, password)?;
    vault.add(entry)?;
    file.save(&vault)?;
    eprintln!(
        "Added '{}' ({alg} key pair). Upload the public key below to the provider; the \
         private key stays in the vault (`keyward get {} --field public-key` prints it again).",
        args.name, args.name
    );
    print(&format!("{public_key}\n"))?;
    Ok(EXIT_OK)
}

/// `keyward sign NAME --payload TEXT`: prints the signature on stdout, the scheme on stderr.
pub fn sign(ctx: &mut Context, args: &SignArgs) -> Result<u8, CliError> {
    let alg: Option<SignatureAlgorithm> = args
        .alg
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(usage)?;
    let encoding: Option<SignatureEncoding> = args
        .encoding
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(usage)?;
    let password = ctx.master_password()?;
    let (_file, vault) = VaultFile::open(&ctx.vault, password)?;
    let entry = vault.require(&args.name)?;

    let (providers, warning) = crate::presets::load();
    if let Some(w) = warning {
        eprintln!("keyward: {w}");
    }
    let preset = providers.find(&entry.provider);
    let defaults = keys::default_scheme(&entry.credential, preset.map(|p| p.signature.as_str()));
    let scheme = match (alg, defaults) {
        (Some(algorithm), Ok(d)) => SignatureScheme {
            algorithm,
            encoding: encoding.unwrap_or(if algorithm == d.algorithm {
                d.encoding
            } else {
                fallback_encoding(algorithm)
            }),
        },
        (Some(algorithm), Err(_)) => SignatureScheme {
            algorithm,
            encoding: encoding.unwrap_or(fallback_encoding(algorithm)),
        },
        (None, Ok(d)) => SignatureScheme {
            algorithm: d.algorithm,
            encoding: encoding.unwrap_or(d.encoding),
        },
        (None, Err(e)) => return Err(sign_error(e)),
    };
    let signature = keys::sign(&entry.credential, scheme.algorithm, args.payload.as_bytes())
        .map_err(sign_error)?;
    eprintln!(
        "{} signature ({}) of the {}-byte payload with '{}'{}:",
        scheme.algorithm,
        scheme.encoding,
        args.payload.len(),
        entry.name,
        preset
            .map(|p| format!(" ({} preset)", p.name))
            .unwrap_or_default()
    );
    print(&format!("{}\n", scheme.encoding.encode(&signature)))?;
    Ok(EXIT_OK)
}

fn fallback_encoding(algorithm: SignatureAlgorithm) -> SignatureEncoding {
    if algorithm.is_hmac() {
        SignatureEncoding::Hex
    } else {
        SignatureEncoding::Base64
    }
}

fn sign_error(e: keys::KeyError) -> CliError {
    match e {
        keys::KeyError::WrongKey { .. } | keys::KeyError::NoDefaultForToken => usage(e),
        _ => CliError::other(e.to_string()),
    }
}
