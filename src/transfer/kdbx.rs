//! KeePass 2 databases through the `keepass` crate: KDBX 4 written (Argon2id + ChaCha20 with
//! parameters set here, not the crate's weak default), KDBX 3.1 and 4 read.
//!
//! Before a file is decrypted its key-derivation parameters are read from the outer header
//! and capped, so a hostile file cannot make keyward allocate gigabytes or spin for hours.

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use keepass::config::{
    CompressionConfig, DatabaseConfig, DatabaseVersion, InnerCipherConfig, KdfConfig,
    OuterCipherConfig,
};
use keepass::db::{EntryId, EntryRef, GroupRef, Value, fields};
use keepass::error::{DatabaseKeyError, DatabaseOpenError};
use keepass::{Database, DatabaseKey};

use super::record::{self, CustomField, Native, Record};
use super::{Format, TransferError};
use crate::secret::{SecretBytes, SecretString};
use crate::vault::Vault;

/// Argon2id memory of an exported file, in bytes (64 MiB, RFC 9106's second recommendation).
pub const EXPORT_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
/// Argon2id passes of an exported file.
pub const EXPORT_ITERATIONS: u64 = 3;
/// Argon2id lanes of an exported file.
pub const EXPORT_PARALLELISM: u32 = 4;

/// Largest Argon2 memory accepted on import (2 GiB).
const MAX_IMPORT_MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Largest Argon2 pass count accepted on import.
const MAX_IMPORT_ITERATIONS: u64 = 10_000;
/// Largest Argon2 lane count accepted on import.
const MAX_IMPORT_PARALLELISM: u64 = 256;
/// Largest AES-KDF round count accepted on import (KeePassXC's one-second calibration gives
/// tens of millions on current hardware).
const MAX_IMPORT_AES_ROUNDS: u64 = 1_000_000_000;

/// Native KeePass fields: tags, times, custom strings.
pub(super) const NATIVE: Native = Native {
    tags: true,
    created: true,
    expires: true,
    custom_fields: true,
    totp: false,
};

/// The whole vault as a KDBX 4 file encrypted under `password`.
pub fn export(vault: &Vault, password: &SecretString) -> Result<SecretBytes, TransferError> {
    if password.is_empty() {
        return Err(TransferError::Usage(
            "the kdbx export password must not be empty".to_owned(),
        ));
    }
    let mut config = DatabaseConfig::default();
    // The crate's Argon2 version value is only reachable through its default config.
    let version = match DatabaseConfig::default().kdf_config {
        KdfConfig::Argon2 { version, .. } | KdfConfig::Argon2id { version, .. } => version,
        _ => return Err(internal("the keepass crate's default KDF is not Argon2")),
    };
    config.version = DatabaseVersion::KDB4(1);
    config.outer_cipher_config = OuterCipherConfig::ChaCha20;
    config.inner_cipher_config = InnerCipherConfig::ChaCha20;
    config.compression_config = CompressionConfig::GZip;
    config.kdf_config = KdfConfig::Argon2id {
        iterations: EXPORT_ITERATIONS,
        memory: EXPORT_MEMORY_BYTES,
        parallelism: EXPORT_PARALLELISM,
        version,
    };
    let mut db = Database::with_config(config);
    db.meta.generator = Some("keyward".to_owned());
    db.meta.database_name = Some("keyward export".to_owned());
    {
        let mut root = db.root_mut();
        root.name = "keyward".to_owned();
        for entry in &vault.entries {
            let rec = record::from_entry(entry, NATIVE);
            let mut kp = root
                .add_entry_with_id(EntryId::from(entry.id))
                .map_err(|_| internal("two entries share an id"))?;
            kp.set_unprotected(fields::TITLE, rec.title.as_str());
            kp.set_unprotected(fields::USERNAME, rec.username.as_str());
            kp.set_protected(fields::PASSWORD, rec.password.expose());
            kp.set_unprotected(fields::URL, rec.url.as_str());
            kp.set_unprotected(fields::NOTES, rec.notes.as_str());
            for f in &rec.fields {
                let value = if f.protected {
                    Value::protected(f.value.expose())
                } else {
                    Value::unprotected(f.value.expose())
                };
                kp.set(f.name.as_str(), value);
            }
            kp.tags = rec.tags.clone();
            if let Some(c) = rec.created {
                kp.times.creation = Some(naive(c));
            }
            if let Some(m) = rec.modified {
                kp.times.last_modification = Some(naive(m));
            }
            match rec.expires {
                Some(e) => {
                    kp.times.expiry = naive(e);
                    kp.times.expires = Some(true);
                }
                None => kp.times.expires = Some(false),
            }
        }
    }
    let mut out = Vec::new();
    db.save(
        &mut out,
        DatabaseKey::new().with_password(password.expose()),
    )
    .map_err(|e| internal(&e.to_string()))?;
    Ok(SecretBytes::new(out))
}

/// The entries of a KDBX 3.1 or 4 file (recycle bin and history left out).
pub fn import(
    bytes: &[u8],
    path: &Path,
    password: &SecretString,
) -> Result<Vec<Record>, TransferError> {
    let damaged = |what: String| TransferError::Damaged {
        path: path.to_owned(),
        format: Format::Kdbx,
        what,
    };
    check_kdf(bytes).map_err(damaged)?;
    let key = DatabaseKey::new().with_password(password.expose());
    let parsed =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Database::parse(bytes, key)))
            .map_err(|_| damaged("the file is malformed".to_owned()))?;
    let db = parsed.map_err(|e| match e {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey)
        | DatabaseOpenError::Cryptography(_) => TransferError::WrongPassword {
            path: path.to_owned(),
        },
        DatabaseOpenError::UnexpectedEof => damaged("the file is truncated".to_owned()),
        DatabaseOpenError::UnsupportedVersion => {
            damaged("KeePass 1 and KDBX 2 files are not supported".to_owned())
        }
        DatabaseOpenError::VersionParse(_) => damaged("not a KeePass database".to_owned()),
        DatabaseOpenError::Io(e) => damaged(e.to_string()),
        // Parse errors of the decrypted XML may quote its content: say only what failed.
        _ => damaged("the decrypted content is not a valid KeePass database".to_owned()),
    })?;
    let recycle_bin = db.recycle_bin().map(|g| g.id());
    let mut records = Vec::new();
    collect(db.root(), "", recycle_bin, &mut records);
    Ok(records)
}

fn collect(
    group: GroupRef<'_>,
    parent_path: &str,
    recycle_bin: Option<keepass::db::GroupId>,
    out: &mut Vec<Record>,
) {
    if Some(group.id()) == recycle_bin {
        return;
    }
    let path = if parent_path.is_empty() {
        group.name.clone()
    } else {
        format!("{parent_path}/{}", group.name)
    };
    let mut entries: Vec<EntryRef<'_>> = group.entries().collect();
    entries.sort_by_key(|e| {
        (
            e.times.creation,
            e.get_title().unwrap_or_default().to_owned(),
        )
    });
    for e in entries {
        out.push(to_record(&e, &path));
    }
    let mut groups: Vec<GroupRef<'_>> = group.groups().collect();
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    for g in groups {
        collect(g, &path, recycle_bin, out);
    }
}

fn to_record(e: &keepass::db::Entry, group: &str) -> Record {
    let get = |k: &str| e.get(k).unwrap_or_default().to_owned();
    let mut fields: Vec<CustomField> = e
        .fields
        .iter()
        .filter(|(k, _)| !fields::KNOWN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| CustomField {
            name: k.clone(),
            value: SecretString::from(v.get().as_str()),
            protected: v.is_protected(),
        })
        .collect();
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    Record {
        group: group.to_owned(),
        title: get(fields::TITLE),
        username: get(fields::USERNAME),
        password: SecretString::from(e.get(fields::PASSWORD).unwrap_or_default()),
        url: get(fields::URL),
        notes: get(fields::NOTES),
        fields,
        totp: None,
        unsupported: Vec::new(),
        tags: e.tags.clone(),
        created: e.times.creation.map(|t| t.and_utc()),
        modified: e.times.last_modification.map(|t| t.and_utc()),
        expires: (e.times.expires == Some(true)).then(|| e.times.expiry.and_utc()),
    }
}

fn naive(date: DateTime<Utc>) -> NaiveDateTime {
    date.naive_utc()
}

fn internal(what: &str) -> TransferError {
    TransferError::Internal {
        format: Format::Kdbx,
        what: what.to_owned(),
    }
}

/// Reads the KDF parameters from the outer header and refuses work beyond the caps. Files
/// whose header cannot be walked are left to the crate, which reports them as damaged.
fn check_kdf(bytes: &[u8]) -> Result<(), String> {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let (Some(major), true) = (
        u16_at(10),
        bytes.get(..4) == Some(&[0x03, 0xd9, 0xa2, 0x9a]),
    ) else {
        return Ok(());
    };
    let wide = major >= 4;
    let mut at = 12usize;
    loop {
        let Some(&id) = bytes.get(at) else {
            return Ok(());
        };
        let (len, data_at) = if wide {
            let Some(b) = bytes.get(at + 1..at + 5) else {
                return Ok(());
            };
            (
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
                at + 5,
            )
        } else {
            let Some(len) = u16_at(at + 1) else {
                return Ok(());
            };
            (usize::from(len), at + 3)
        };
        let Some(data) = bytes.get(data_at..data_at.saturating_add(len)) else {
            return Ok(());
        };
        match (id, wide) {
            (0, _) => return Ok(()),
            // KDBX 3: TransformRounds (AES-KDF).
            (6, false) => {
                if let Ok(raw) = <[u8; 8]>::try_from(data) {
                    cap(
                        "AES-KDF rounds",
                        u64::from_le_bytes(raw),
                        MAX_IMPORT_AES_ROUNDS,
                    )?;
                }
            }
            // KDBX 4: KdfParameters, a variant dictionary.
            (11, true) => check_variant_dictionary(data)?,
            _ => {}
        }
        at = data_at + len;
    }
}

fn check_variant_dictionary(data: &[u8]) -> Result<(), String> {
    let mut at = 2usize; // version
    loop {
        let Some(&kind) = data.get(at) else {
            return Ok(());
        };
        if kind == 0 {
            return Ok(());
        }
        let read_len = |at: usize| {
            data.get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        let Some(name_len) = read_len(at + 1) else {
            return Ok(());
        };
        let name_at = at + 5;
        let Some(name) = data.get(name_at..name_at.saturating_add(name_len)) else {
            return Ok(());
        };
        let Some(value_len) = read_len(name_at + name_len) else {
            return Ok(());
        };
        let value_at = name_at + name_len + 4;
        let Some(value) = data.get(value_at..value_at.saturating_add(value_len)) else {
            return Ok(());
        };
        let number = match value.len() {
            4 => value
                .try_into()
                .map(|b: [u8; 4]| u64::from(u32::from_le_bytes(b)))
                .ok(),
            8 => value.try_into().map(u64::from_le_bytes).ok(),
            _ => None,
        };
        if let Some(n) = number {
            match name {
                b"R" => cap("AES-KDF rounds", n, MAX_IMPORT_AES_ROUNDS)?,
                b"M" => cap("Argon2 memory (bytes)", n, MAX_IMPORT_MEMORY_BYTES)?,
                b"I" => cap("Argon2 iterations", n, MAX_IMPORT_ITERATIONS)?,
                b"P" => cap("Argon2 parallelism", n, MAX_IMPORT_PARALLELISM)?,
                _ => {}
            }
        }
        at = value_at + value_len;
    }
}

fn cap(what: &str, value: u64, max: u64) -> Result<(), String> {
    if value > max {
        Err(format!(
            "its key derivation asks for {what} = {value}, above keyward's limit of {max}"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_kdf_parameters_are_refused_before_decryption() {
        // KDBX 3.1 header with TransformRounds = u64::MAX.
        let mut file = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 3, 0];
        file.extend([6, 8, 0]);
        file.extend(u64::MAX.to_le_bytes());
        file.extend([0, 0, 0]);
        let err = check_kdf(&file).expect_err("capped");
        assert!(err.contains("AES-KDF rounds"), "{err}");
        // The same with a sane value passes.
        let mut ok = file.clone();
        ok.splice(15..23, 6000u64.to_le_bytes());
        assert!(check_kdf(&ok).is_ok());
    }

    #[test]
    fn hostile_argon2_memory_in_a_kdbx4_header_is_refused() {
        let mut dict = vec![0x00, 0x01]; // variant dictionary version 1.0
        for (name, value) in [(&b"I"[..], 2u64), (&b"M"[..], u64::MAX)] {
            dict.push(0x05); // UInt64
            dict.extend(u32::try_from(name.len()).expect("len").to_le_bytes());
            dict.extend(name);
            dict.extend(8u32.to_le_bytes());
            dict.extend(value.to_le_bytes());
        }
        dict.push(0);
        let mut file = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 4, 0];
        file.push(11);
        file.extend(u32::try_from(dict.len()).expect("len").to_le_bytes());
        file.extend(&dict);
        let err = check_kdf(&file).expect_err("capped");
        assert!(err.contains("Argon2 memory"), "{err}");
    }

    #[test]
    fn kdbx_keeps_carriage_returns_spaces_and_protection() {
        use crate::vault::{Credential, Entry};
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        let mut vault = Vault::default();
        let mut e = Entry::new(
            "cr",
            Credential::SharedSecret {
                key_id: "K".into(),
                secret: "  a\r\nb\r ".into(),
                passphrase: Some("p".into()),
            },
            now,
        );
        e.notes = "line\r\nnext\r\n".into();
        vault.add(e).expect("add");
        let password = SecretString::from("pw");
        let bytes = export(&vault, &password).expect("export");
        let records = import(bytes.expose(), Path::new("t.kdbx"), &password).expect("import");
        let back = record::to_entry(
            records[0].clone(),
            1,
            now,
            &mut crate::transfer::TransferReport::new(),
        );
        assert_eq!(back.credential.primary_secret().expose(), "  a\r\nb\r ");
        assert_eq!(back.notes, "line\r\nnext\r\n");
        let secret = records[0]
            .fields
            .iter()
            .find(|f| f.name == record::API_SECRET)
            .expect("API Secret field");
        assert!(secret.protected);
    }
}
