//! `keygen` and `sign`: key pairs for providers that take the user's public key, and a
//! signature over a sample payload to check a bot's signing code (PRODUCT §9).

use clap::Args;

use super::output::print;
use super::{CliError, Context, EXIT_OK, MetaArgs, entries};
use crate::keys::{self, KeyAlgorithm, SignatureAlgorithm, SignatureEncoding, SignatureScheme};
use crate::vault::{Credential, Entry};

/// `keygen` options.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The new key's name (unique in the vault)
    pub name: String,
    /// ed25519, rsa-2048 or rsa-4096
    #[arg(long, default_value = "ed25519")]
    pub alg: String,
    /// Give an existing key-pair key a new pair (a rotation: the old private key goes to its
    /// history; the key id is cleared unless --key-id is given)
    #[arg(long)]
    pub replace: bool,
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
    if args.replace || alg != KeyAlgorithm::Ed25519 {
        // An RSA key takes seconds: check the password and the name first, then generate
        // outside the lock and take it only for the read-modify-write.
        let (_file, vault) = ctx.open_unlocked(password.clone())?;
        check_target(&vault, args)?;
        if alg != KeyAlgorithm::Ed25519 {
            eprintln!("Generating an {alg} key…");
        }
    }
    let generated = keys::generate(alg).map_err(|e| CliError::other(e.to_string()))?;
    let public_key = generated.public_key.clone();
    let now = chrono::Utc::now();

    let (mut file, mut vault) = ctx.open_locked(password)?;
    check_target(&vault, args)?;
    if args.replace {
        let mut entry = vault.require(&args.name)?.clone();
        entry.rotate(generated.private_key, Some(generated.public_key), now);
        if let Credential::KeyPair { key_id, .. } = &mut entry.credential {
            // The provider issues a new id for the new public key.
            key_id.clear();
        }
        entries::apply_meta(&mut entry, &args.meta, parsed)?;
        vault.update(entry)?;
        ctx.save(&mut file, &mut vault)?;
        eprintln!(
            "Replaced the key pair of '{}' ({alg}); the old private key is kept in its history. \
             Upload the new public key below, then delete the old one at the provider.",
            args.name
        );
    } else {
        let mut entry = Entry::new(
            args.name.clone(),
            Credential::KeyPair {
                key_id: Default::default(),
                private_key: generated.private_key,
                public_key: generated.public_key,
            },
            now,
        );
        entries::apply_meta(&mut entry, &args.meta, parsed)?;
        vault.add(entry)?;
        ctx.save(&mut file, &mut vault)?;
        eprintln!(
            "Added '{}' ({alg} key pair). Upload the public key below to the provider; the \
             private key stays in the vault (`keyward get {} --field public-key` prints it again).",
            args.name, args.name
        );
    }
    print(&format!("{public_key}\n"))?;
    Ok(EXIT_OK)
}

/// `keygen` adds a new name, or with `--replace` renews an existing key pair.
fn check_target(vault: &crate::vault::Vault, args: &KeygenArgs) -> Result<(), CliError> {
    match (vault.get(&args.name), args.replace) {
        (Some(_), false) => Err(crate::vault::VaultError::DuplicateName(args.name.clone()).into()),
        (None, true) => Err(crate::vault::VaultError::NotFound(args.name.clone()).into()),
        (Some(e), true) if e.credential.kind() != crate::vault::CredentialKind::KeyPair => {
            Err(CliError::usage(format!(
                "'{}' is a {}, not a key pair; `keyward rotate {}` replaces its secret",
                args.name,
                e.credential.kind(),
                args.name
            )))
        }
        _ => Ok(()),
    }
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
    let vault = ctx.open_vault()?;
    let entry = vault.require(&args.name)?;

    let preset = ctx.providers().find(&entry.provider);
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
