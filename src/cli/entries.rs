//! Commands about keys: list, show, add, edit, get, rotate, compromised, revoke.

use chrono::{DateTime, Utc};

use super::output::{self, EntryJson, print};
use super::{AddArgs, CliError, Context, EXIT_OK, EditArgs, MetaArgs, RotateArgs, input};
use crate::secret::SecretString;
use crate::vault::{
    Credential, CredentialKind, DateInput, Entry, Environment, Field, FieldValue, IpRule, NewParts,
    Vault,
};

/// Metadata options, parsed and validated before anything is asked or opened, so that a
/// typo costs neither a password prompt nor a KDF run.
pub(super) struct ParsedMeta {
    environment: Option<Environment>,
    allow: Vec<IpRule>,
    deny: Vec<IpRule>,
    expires: Option<Option<DateInput>>,
    created: Option<DateInput>,
    rotated: Option<DateInput>,
    last_used: Option<Option<DateInput>>,
    public_key: Option<String>,
}

fn parse_rules(texts: &[String]) -> Result<Vec<IpRule>, CliError> {
    texts
        .iter()
        .map(|t| {
            t.parse::<IpRule>()
                .map_err(|e| CliError::usage(e.to_string()))
        })
        .collect()
}

pub(super) fn parse_meta(meta: &MetaArgs) -> Result<ParsedMeta, CliError> {
    Ok(ParsedMeta {
        environment: meta
            .environment
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(CliError::usage)?,
        allow: parse_rules(&meta.allow)?,
        deny: parse_rules(&meta.deny)?,
        expires: meta
            .expires
            .as_deref()
            .map(DateInput::parse_optional)
            .transpose()
            .map_err(|e| CliError::usage(format!("--expires: {e}")))?,
        created: meta
            .created
            .as_deref()
            .map(DateInput::parse)
            .transpose()
            .map_err(|e| CliError::usage(format!("--created: {e}")))?,
        rotated: meta
            .rotated
            .as_deref()
            .map(DateInput::parse)
            .transpose()
            .map_err(|e| CliError::usage(format!("--rotated: {e}")))?,
        last_used: meta
            .last_used
            .as_deref()
            .map(DateInput::parse_optional)
            .transpose()
            .map_err(|e| CliError::usage(format!("--last-used: {e}")))?,
        public_key: meta
            .public_key_file
            .as_ref()
            .map(input::read_public_key)
            .transpose()?,
    })
}

/// Applies the options that were given; list options add to what the entry has.
pub(super) fn apply_meta(
    entry: &mut Entry,
    meta: &MetaArgs,
    parsed: ParsedMeta,
) -> Result<(), CliError> {
    if let Some(p) = &meta.provider {
        entry.provider = p.trim().into();
    }
    if let Some(env) = parsed.environment {
        entry.environment = env;
    }
    if let Some(p) = &meta.purpose {
        entry.purpose = p.clone();
    }
    if let Some(n) = &meta.notes {
        entry.notes = n.clone();
    }
    if !meta.tags.is_empty() {
        let tags: Vec<String> = entry
            .tags
            .iter()
            .map(|t| t.to_string())
            .chain(meta.tags.iter().cloned())
            .collect();
        entry.set_tags(tags);
    }
    if !meta.permissions.is_empty() {
        let perms: Vec<String> = entry
            .permissions
            .iter()
            .map(|p| p.as_str().to_owned())
            .chain(meta.permissions.iter().cloned())
            .collect();
        entry.set_permissions(perms);
    }
    add_rules(&mut entry.ip_whitelist, parsed.allow);
    add_rules(&mut entry.ip_blacklist, parsed.deny);
    // A date naming the day already stored keeps its time (the same rule as the editor's).
    if let Some(e) = parsed.expires {
        entry.expires_at = e.map(|d| d.resolve(entry.expires_at));
    }
    if let Some(days) = meta.rotate_every {
        entry.rotate_every_days = Some(days);
    }
    if let Some(c) = parsed.created {
        entry.created_at = c.resolve(Some(entry.created_at));
    }
    if let Some(r) = parsed.rotated {
        entry.rotated_at = Some(r.resolve(entry.rotated_at));
    }
    if let Some(u) = parsed.last_used {
        entry.last_used_at = u.map(|d| d.resolve(entry.last_used_at));
    }
    if let Some(id) = &meta.key_id {
        match &mut entry.credential {
            Credential::SharedSecret { key_id, .. } | Credential::KeyPair { key_id, .. } => {
                *key_id = id.trim().into();
            }
            Credential::Token { .. } => {
                return Err(CliError::usage("a token has no key id; drop --key-id"));
            }
        }
    }
    if let Some(pk) = parsed.public_key {
        match &mut entry.credential {
            Credential::KeyPair { public_key, .. } => *public_key = pk,
            _ => {
                return Err(CliError::usage(
                    "only a key pair has a public key; drop --public-key-file",
                ));
            }
        }
    }
    Ok(())
}

fn add_rules(list: &mut thin_vec::ThinVec<IpRule>, rules: Vec<IpRule>) {
    for rule in rules {
        if !list.contains(&rule) {
            list.push(rule);
        }
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Opens the vault for a read-modify-write under its lock, applies `change`, saves.
pub(super) fn modify(
    ctx: &mut Context,
    password: SecretString,
    change: impl FnOnce(&mut Vault) -> Result<String, CliError>,
) -> Result<u8, CliError> {
    let (mut file, mut vault) = ctx.open_locked(password)?;
    let message = change(&mut vault)?;
    ctx.save(&mut file, &mut vault)?;
    eprintln!("{message}");
    Ok(EXIT_OK)
}

/// `keyward list`.
pub fn list(ctx: &mut Context, json: bool, search: Option<&str>) -> Result<u8, CliError> {
    let vault = ctx.open_vault()?;
    let now = now();
    let needle = search.unwrap_or("").trim().to_lowercase();
    let shown: Vec<&Entry> = vault
        .entries
        .iter()
        .filter(|e| crate::vault::matches_search(e, &needle))
        .collect();
    if json {
        let items: Vec<EntryJson> = shown
            .iter()
            .map(|e| EntryJson::new(e, &vault.settings, now))
            .collect();
        print(&output::json(&items))?;
    } else if vault.entries.is_empty() {
        eprintln!("The vault is empty; add a key with `keyward add NAME`.");
    } else if shown.is_empty() {
        eprintln!("No key matches the search.");
    } else {
        print(&output::table(&shown, now))?;
    }
    Ok(EXIT_OK)
}

/// `keyward show NAME`.
pub fn show(ctx: &mut Context, name: &str, json: bool) -> Result<u8, CliError> {
    let vault = ctx.open_vault()?;
    let entry = vault.require(name)?;
    let now = now();
    if json {
        print(&output::json(&EntryJson::new(entry, &vault.settings, now)))?;
    } else {
        print(&output::details(entry, &vault.settings, now))?;
    }
    Ok(EXIT_OK)
}

/// `keyward add NAME`.
pub fn add(ctx: &mut Context, args: AddArgs) -> Result<u8, CliError> {
    let kind: CredentialKind = args.kind.parse().map_err(CliError::usage)?;
    crate::vault::validate_name(&args.name).map_err(|e| CliError::usage(e.to_string()))?;
    let parsed = parse_meta(&args.meta)?;
    if args.passphrase_stdin && kind != CredentialKind::SharedSecret {
        return Err(CliError::usage(
            "only a shared secret has a passphrase; drop --passphrase-stdin",
        ));
    }
    let password = ctx.master_password()?;
    let credential = match kind {
        CredentialKind::SharedSecret => {
            let secret = ctx.input.secret("API secret", args.secret_stdin)?;
            let passphrase = if args.passphrase_stdin {
                Some(ctx.input.secret("passphrase", true)?)
            } else {
                None
            };
            Credential::SharedSecret {
                key_id: Default::default(),
                secret,
                passphrase,
            }
        }
        CredentialKind::Token => Credential::Token {
            token: ctx.input.secret("token", args.secret_stdin)?,
        },
        CredentialKind::KeyPair => {
            let private_key = if args.secret_stdin {
                ctx.input.rest("private key (PEM)")?
            } else {
                ctx.input.secret("private key", false)?
            };
            Credential::KeyPair {
                key_id: Default::default(),
                private_key,
                public_key: String::new(),
            }
        }
    };
    let name = args.name.clone();
    modify(ctx, password, move |vault| {
        let mut entry = Entry::new(name.clone(), credential, now());
        apply_meta(&mut entry, &args.meta, parsed)?;
        vault.add(entry)?;
        Ok(format!("Added '{name}'."))
    })
}

/// `keyward edit NAME`.
pub fn edit(ctx: &mut Context, args: EditArgs) -> Result<u8, CliError> {
    let parsed = parse_meta(&args.meta)?;
    if let Some(new) = &args.rename {
        crate::vault::validate_name(new).map_err(|e| CliError::usage(e.to_string()))?;
    }
    let password = ctx.master_password()?;
    modify(ctx, password, move |vault| {
        let mut entry = vault.require(&args.name)?.clone();
        if args.clear_allow {
            entry.ip_whitelist.clear();
        }
        if args.clear_deny {
            entry.ip_blacklist.clear();
        }
        if args.clear_tags {
            entry.tags.clear();
        }
        if args.clear_permissions {
            entry.permissions.clear();
        }
        entry.tags.retain(|t| !args.untag.iter().any(|u| u == t));
        entry.permissions.retain(|p| {
            !args
                .remove_permissions
                .iter()
                .any(|r| r.trim().eq_ignore_ascii_case(p.as_str()))
        });
        if args.default_rotation {
            entry.rotate_every_days = None;
        }
        apply_meta(&mut entry, &args.meta, parsed)?;
        if let Some(new) = &args.rename {
            entry.name = new.into();
        }
        let name = entry.name.clone();
        vault.update(entry)?;
        Ok(format!("Updated '{name}'."))
    })
}

/// One part of a key, or an error naming what the key lacks.
pub fn require_field<'v>(
    vault: &'v Vault,
    name: &str,
    field: Field,
) -> Result<FieldValue<'v>, CliError> {
    let entry = vault.require(name)?;
    entry.credential.field(field).ok_or_else(|| {
        CliError::other(format!(
            "'{name}' ({}) has no {field}",
            entry.credential.kind()
        ))
    })
}

/// What `--field` names: a part of the credential, or `field:NAME`, a custom field.
pub(super) enum Part<'a> {
    /// key, secret, passphrase, private-key, public-key.
    Field(Field),
    /// A custom field, by name (matched ignoring case).
    Custom(&'a str),
}

impl<'a> Part<'a> {
    /// Parses `--field` (before the password is asked, so a typo costs nothing).
    pub(super) fn parse(text: &'a str) -> Result<Self, CliError> {
        match text.strip_prefix("field:").map(str::trim) {
            Some("") => Err(CliError::usage(
                "field: needs a custom field's name (field:NAME)",
            )),
            Some(name) => Ok(Part::Custom(name)),
            None => text.parse().map(Part::Field).map_err(CliError::usage),
        }
    }

    /// The part's value in key `name`, or an error that says what the key has.
    pub(super) fn value<'v>(&self, vault: &'v Vault, name: &str) -> Result<&'v str, CliError> {
        match *self {
            Part::Field(field) => Ok(require_field(vault, name, field)?.expose()),
            Part::Custom(wanted) => {
                crate::vault::find_custom_field(&vault.require(name)?.custom_fields, wanted)
                    .map(|f| f.value.expose())
                    .ok_or_else(|| {
                        CliError::other(format!(
                            "'{name}' has no custom field '{wanted}' (see `keyward show {name}`)"
                        ))
                    })
            }
        }
    }
}

impl std::fmt::Display for Part<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Field(field) => write!(f, "{field}"),
            Part::Custom(name) => write!(f, "custom field '{name}'"),
        }
    }
}

/// `keyward get NAME --field F`: prints exactly the value and a newline.
pub fn get(ctx: &mut Context, name: &str, field: &str) -> Result<u8, CliError> {
    let part = Part::parse(field)?;
    let vault = ctx.open_vault()?;
    let value = part.value(&vault, name)?;
    // One buffer of the right size, zeroized on drop.
    let mut line = String::with_capacity(value.len() + 1);
    line.push_str(value);
    line.push('\n');
    print(SecretString::new(line).expose())?;
    Ok(EXIT_OK)
}

/// `keyward rotate NAME [--key-id ID] [--passphrase-stdin] [--public-key-file FILE]`: the
/// new secret is the next stdin line (for a key pair, the rest of stdin), or a prompt on a
/// terminal; with `--passphrase-stdin` the new passphrase is the line after it. The vault's
/// [`Entry::rotate_parts`] checks and applies them, as the app's rotate dialog does.
pub fn rotate(ctx: &mut Context, args: &RotateArgs) -> Result<u8, CliError> {
    let public_key = args
        .public_key_file
        .as_ref()
        .map(input::read_public_key)
        .transpose()?;
    let password = ctx.master_password()?;
    let (mut file, mut vault) = ctx.open_locked(password)?;
    let kind = vault.require(&args.name)?.credential.kind();
    if public_key.is_some() && kind != CredentialKind::KeyPair {
        return Err(CliError::usage(
            "only a key pair has a public key; drop --public-key-file",
        ));
    }
    if args.passphrase_stdin && kind != CredentialKind::SharedSecret {
        return Err(CliError::usage(
            "only a shared secret has a passphrase; drop --passphrase-stdin",
        ));
    }
    if args.key_id.is_some() && kind == CredentialKind::Token {
        return Err(CliError::usage("a token has no key id; drop --key-id"));
    }
    let new_secret = match kind {
        CredentialKind::KeyPair if !ctx.input.is_terminal() => {
            ctx.input.rest("new private key (PEM)")?
        }
        _ if ctx.input.is_terminal() => {
            let first = ctx.input.prompt("New secret: ")?;
            let again = ctx.input.prompt("Repeat it: ")?;
            if first != again {
                return Err(CliError::usage("the two entries differ; nothing changed"));
            }
            first
        }
        _ => ctx.input.line("new secret")?,
    };
    let passphrase = if args.passphrase_stdin {
        Some(ctx.input.line("new passphrase")?)
    } else {
        None
    };
    let parts = NewParts {
        secret: new_secret,
        key_id: args.key_id.clone(),
        passphrase,
        public_key,
    };
    vault
        .require_mut(&args.name)?
        .rotate_parts(parts, now())
        .map_err(|e| CliError::usage(format!("{e}; nothing changed")))?;
    ctx.save(&mut file, &mut vault)?;
    eprintln!(
        "Rotated '{}'; the old parts are kept in its history.",
        args.name
    );
    Ok(EXIT_OK)
}

/// `keyward compromised NAME`.
pub fn compromised(ctx: &mut Context, name: &str, reason: &str) -> Result<u8, CliError> {
    let password = ctx.master_password()?;
    modify(ctx, password, |vault| {
        vault.require_mut(name)?.mark_compromised(reason, now());
        Ok(format!(
            "Marked '{name}' compromised. Next: disable it at the provider, create a \
             replacement and `keyward rotate {name}`, review account activity since the last \
             rotation (see `keyward show {name}`)."
        ))
    })
}

/// `keyward revoke NAME`.
pub fn revoke(ctx: &mut Context, name: &str) -> Result<u8, CliError> {
    let password = ctx.master_password()?;
    modify(ctx, password, |vault| {
        vault.require_mut(name)?.revoke();
        Ok(format!("Marked '{name}' revoked."))
    })
}
