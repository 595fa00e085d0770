//! KeePass 2 databases: KDBX 4 written through the `keepass` crate (Argon2id + ChaCha20 with
//! parameters set here, not the crate's weak default), KDBX 3.1 and 4 read by keyward's own
//! streaming reader ([`super::kdbx_read`]), and by the crate for what that reader does not
//! cover (Twofish, Argon2 with a secret key, …).
//!
//! Before a file is decrypted its key-derivation parameters are read from the outer header
//! and bounded by [`check_work_factor`], so a hostile file cannot make keyward allocate
//! gigabytes or spin for hours. On the crate's path KDBX 4's header hash and HMAC are checked
//! by the crate and the KDBX 3.1 header hash (inside the encrypted XML) here, which decrypts
//! a 3.1 file twice. KeePass 1 files are read by [`super::kdb`].

use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use keepass::config::{
    CompressionConfig, DatabaseConfig, DatabaseVersion, InnerCipherConfig, KdfConfig,
    OuterCipherConfig,
};
use keepass::db::{EntryId, EntryRef, GroupRef, Value, fields};
use keepass::error::{DatabaseFormatError, DatabaseKeyError, DatabaseOpenError, Kdbx4OpenError};
use keepass::{Database, DatabaseKey};

use super::kdbx_header::{self, Kind};
use super::kdbx_stream::Source;
use super::keepass::{OTP_FIELD, damaged, keepass_record, legacy_totp_uri};
use super::record::{CustomField, Native, Record};
use super::{Format, TransferError, keyfile};
use crate::secret::{SecretBytes, SecretString};
use crate::store::kdf::check_work_factor;
use crate::vault::Vault;
use zeroize::Zeroizing;

/// Argon2id memory of an exported file, in bytes (64 MiB, RFC 9106's second recommendation).
pub const EXPORT_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
/// Argon2id passes of an exported file.
pub const EXPORT_ITERATIONS: u64 = 3;
/// Argon2id lanes of an exported file.
pub const EXPORT_PARALLELISM: u32 = 4;

/// Native KeePass fields (the KeePass formats share them).
pub(super) const NATIVE: Native = super::keepass::NATIVE;

/// The whole vault as a KDBX 4 file encrypted under `password`.
pub fn export(vault: &Vault, key: &Key<'_>) -> Result<SecretBytes, TransferError> {
    if key.password.is_none_or(|p| p.is_empty()) && key.key_file.is_none() {
        return Err(TransferError::Usage(
            "the kdbx export password must not be empty (unless a key file is given)".to_owned(),
        ));
    }
    let db_key = database_key(key)?;
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
            let rec = keepass_record(entry);
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
            if let Some(totp) = &rec.totp {
                kp.set(OTP_FIELD, Value::protected(totp.expose()));
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
    db.save(&mut out, db_key)
        .map_err(|e| internal(&e.to_string()))?;
    Ok(SecretBytes::new(out))
}

/// The password and key file of a KeePass database. An empty password with a key file means
/// the key file alone, as KeePassXC treats an empty password field.
#[derive(Clone, Copy, Default)]
pub struct Key<'a> {
    /// The password.
    pub password: Option<&'a SecretString>,
    /// The key file's content.
    pub key_file: Option<&'a [u8]>,
}

/// The crate's key for `key`.
fn database_key(key: &Key<'_>) -> Result<DatabaseKey, TransferError> {
    let mut db_key = DatabaseKey::new();
    match (key.password, key.key_file) {
        (Some(p), Some(_)) if p.is_empty() => {}
        (Some(p), _) => db_key = db_key.with_password(p.expose()),
        (None, _) => {}
    }
    if let Some(file) = key.key_file {
        let raw = keyfile::key_of(file)?;
        // The 32 bytes are handed over as a binary key file, which the crate takes as they are.
        db_key = db_key
            .with_keyfile(&mut &raw[..])
            .map_err(|e| internal(&e.to_string()))?;
    }
    Ok(db_key)
}

/// The entries of a KDBX 3.1 or 4 file (recycle bin and history left out), handed to `sink`
/// in document order, as soon as each is read where keyward's own reader reads the file;
/// attachments are listed in each record's `unsupported`, so the import report counts them.
///
/// The file is read from `reader`: its header first (the work factor is checked before any
/// key is derived), then, where keyward's own reader covers the file, its body in bounded
/// chunks ([`super::kdbx_read`]); a KeePass 1 file and what is left to the `keepass` crate are
/// read whole into wiped memory. Entries handed to `sink` are authentic only once this
/// returns `Ok`: the caller must drop them on an error (as [`super::import`] does).
pub fn import(
    reader: &mut dyn std::io::Read,
    path: &Path,
    key: &Key<'_>,
    allow_slow_kdf: bool,
    sink: &mut dyn FnMut(Record),
) -> Result<(), TransferError> {
    let damaged = |what: &str| damaged(path, what);
    let mut source = Source::new(reader);
    let mut prefix = Zeroizing::new(Vec::new());
    source.append(&mut prefix, 12);
    source.take_error(path).map_or(Ok(()), Err)?;
    match kdbx_header::kind(&prefix) {
        Kind::Kdbx(_) => {}
        Kind::Kdb => {
            let key = super::kdb::Key {
                password: key.password,
                key_file: key.key_file,
            };
            source.append_rest(&mut prefix);
            source.take_error(path).map_or(Ok(()), Err)?;
            super::kdb::import(&prefix, path, &key, allow_slow_kdf)?
                .into_iter()
                .for_each(sink);
            return Ok(());
        }
        Kind::Unknown if prefix.len() < 12 && prefix.starts_with(&[0x03, 0xd9]) => {
            return Err(damaged("the file is truncated"));
        }
        Kind::Unknown => return Err(damaged("not a KeePass database")),
    }
    read_header(&mut source, &mut prefix);
    source.take_error(path).map_or(Ok(()), Err)?;
    let header = kdbx_header::read(&prefix).ok_or_else(|| damaged("the file is truncated"))?;
    if let Some(flaw) = header.flaw {
        return Err(damaged(&flaw.describe()));
    }
    if header.major < 4 && header.kdf.is_none() {
        return Err(damaged("its header names no key derivation rounds"));
    }
    if let Some(kdf) = header.kdf {
        check_work_factor(kdf, allow_slow_kdf).map_err(|source| TransferError::WorkFactor {
            path: path.to_owned(),
            source,
        })?;
    }
    if header.major >= 4 {
        // The header's SHA-256 and HMAC, checked once the key is derived.
        source.append(&mut prefix, 64);
    }
    if header.major <= 4 {
        let read = super::kdbx_read::read(&prefix, &mut source, path, key, HEADER_MISMATCH, sink);
        match read? {
            super::kdbx_read::Read::Done => return Ok(()),
            super::kdbx_read::Read::Other => {}
        }
    }
    // Nothing of the body was read yet: the crate gets the whole file.
    source.append_rest(&mut prefix);
    source.take_error(path).map_or(Ok(()), Err)?;
    import_with_crate(&prefix, path, key, &header)?
        .into_iter()
        .for_each(sink);
    Ok(())
}

/// Appends the fields of a KDBX outer header to `prefix` (its first 12 bytes), up to the end
/// field or the file's end; [`kdbx_header::read`] then tells whether it is whole.
fn read_header(source: &mut Source<'_>, prefix: &mut Zeroizing<Vec<u8>>) {
    let Kind::Kdbx(major) = kdbx_header::kind(prefix) else {
        return;
    };
    let len_bytes = if major >= 4 { 4 } else { 2 };
    loop {
        let at = prefix.len();
        if source.append(prefix, 1 + len_bytes) < 1 + len_bytes {
            return;
        }
        let len = prefix[at + 1..]
            .iter()
            .rev()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        if source.append(prefix, len) < len || prefix[at] == 0 {
            return;
        }
    }
}

/// The entries of a KDBX file read by the `keepass` crate (what [`super::kdbx_read`] does
/// not cover), the work factor already checked.
pub(super) fn import_with_crate(
    bytes: &[u8],
    path: &Path,
    key: &Key<'_>,
    header: &kdbx_header::Header,
) -> Result<Vec<Record>, TransferError> {
    let damaged = |what: &str| damaged(path, what);
    let db_key = database_key(key)?;
    let open_error = |e: DatabaseOpenError| open_error(e, path);
    // KDBX 2 (KeePass 2.0 to 2.19, KeePassX) has the layout of KDBX 3.0, which the crate
    // reads; only the version number differs, and no header hash is stored to cover it.
    let patched;
    let bytes = if header.major == 2 {
        let mut copy = zeroize::Zeroizing::new(bytes.to_vec());
        copy[10..12].copy_from_slice(&3u16.to_le_bytes());
        patched = copy;
        &patched[..]
    } else {
        bytes
    };
    if header.major < 4 {
        let xml = guarded(|| Database::get_xml(&mut &bytes[..], db_key.clone()))
            .ok_or_else(|| damaged("the file is malformed"))?
            .map(zeroize::Zeroizing::new)
            .map_err(open_error)?;
        if kdbx_header::header_hash_matches(bytes, header, &xml) == Some(false) {
            return Err(damaged(HEADER_MISMATCH));
        }
    }
    let db = guarded(|| Database::parse(bytes, db_key))
        .ok_or_else(|| damaged("the file is malformed"))?
        .map_err(open_error)?;
    let recycle_bin = db.recycle_bin().map(|g| g.id());
    let mut walk = Walk {
        recycle_bin,
        records: Vec::new(),
    };
    walk.group(db.root(), None);
    Ok(walk.records)
}

const HEADER_MISMATCH: &str = "its header does not match the header hash stored inside it; the \
                               file is damaged or was altered (KeePassXC refuses it too)";

/// Runs the crate's parser, turning a panic on a malformed file into `None`.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

fn open_error(e: DatabaseOpenError, path: &Path) -> TransferError {
    let damaged = |what: &str| damaged(path, what);
    match e {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey)
        | DatabaseOpenError::Cryptography(_) => TransferError::WrongPassword {
            path: path.to_owned(),
        },
        DatabaseOpenError::Format(DatabaseFormatError::Kdbx4(
            Kdbx4OpenError::HeaderHashMismatch,
        )) => damaged(HEADER_MISMATCH),
        DatabaseOpenError::UnexpectedEof => damaged("the file is truncated"),
        DatabaseOpenError::UnsupportedVersion => damaged("KDBX 2 files are not supported"),
        DatabaseOpenError::VersionParse(_) => damaged("not a KeePass database"),
        DatabaseOpenError::Io(e) => damaged(&e.to_string()),
        // Parse errors of the decrypted XML may quote its content: say only what failed.
        _ => damaged("the decrypted content is not a valid KeePass database"),
    }
}

/// The walk over a database's groups and the records found.
struct Walk {
    recycle_bin: Option<keepass::db::GroupId>,
    records: Vec<Record>,
}

impl Walk {
    /// Collects `group`'s entries and those of its subgroups. `path` is the group path below
    /// the root group (`None` for the root itself), which becomes a tag of each entry.
    fn group(&mut self, group: GroupRef<'_>, path: Option<&str>) {
        if Some(group.id()) == self.recycle_bin {
            return;
        }
        let mut entries: Vec<EntryRef<'_>> = group.entries().collect();
        entries.sort_by_key(|e| {
            (
                e.times.creation,
                e.get_title().unwrap_or_default().to_owned(),
            )
        });
        for e in entries {
            let mut record = to_record(&e, path);
            record
                .unsupported
                .extend(e.attachments().map(|_| "attachment".to_owned()));
            self.records.push(record);
        }
        let mut groups: Vec<GroupRef<'_>> = group.groups().collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        for g in groups {
            let sub = match path {
                Some(p) => format!("{p}/{}", g.name),
                None => g.name.clone(),
            };
            self.group(g, Some(&sub));
        }
    }
}

fn to_record(e: &keepass::db::Entry, group: Option<&str>) -> Record {
    let get = |k: &str| e.get(k).unwrap_or_default().to_owned();
    let mut fields: Vec<CustomField> = e
        .fields
        .iter()
        .filter(|(k, _)| !fields::KNOWN_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| CustomField {
            name: k.as_str().into(),
            value: SecretString::from(v.get().as_str()),
            protected: v.is_protected(),
        })
        .collect();
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    let mut tags = e.tags.clone();
    tags.extend(group.filter(|g| !g.is_empty()).map(group_tag));
    Record {
        group: group.unwrap_or_default().to_owned(),
        title: get(fields::TITLE),
        username: get(fields::USERNAME),
        password: SecretString::from(e.get(fields::PASSWORD).unwrap_or_default()),
        url: get(fields::URL),
        notes: get(fields::NOTES),
        fields,
        totp: legacy_totp(e),
        unsupported: Vec::new(),
        changed: Vec::new(),
        tags,
        created: e.times.creation.map(|t| t.and_utc()),
        modified: e.times.last_modification.map(|t| t.and_utc()),
        expires: (e.times.expires == Some(true)).then(|| e.times.expiry.and_utc()),
    }
}

/// A group path as a tag: at most [`super::keepass::MAX_GROUP_TAG`] bytes, keeping the
/// last groups after "…/" when longer (as the XML import does).
fn group_tag(path: &str) -> String {
    let max = super::keepass::MAX_GROUP_TAG;
    if path.len() <= max {
        return path.to_owned();
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut len = 0;
    for name in path.rsplit('/') {
        len += name.len() + 1;
        if len > max && !kept.is_empty() {
            break;
        }
        kept.push(name);
    }
    kept.push("…");
    kept.reverse();
    kept.join("/")
}

/// The TOTP of an entry KeePassXC 2.5 and older wrote as "TOTP Seed" and "TOTP Settings"
/// instead of an `otp` URI, as the URI KeePassXC shows for it.
fn legacy_totp(e: &keepass::db::Entry) -> Option<SecretString> {
    if e.get(OTP_FIELD).is_some() {
        return None;
    }
    let seed = e.get("TOTP Seed").filter(|s| !s.trim().is_empty())?;
    Some(SecretString::from(legacy_totp_uri(
        seed,
        e.get("TOTP Settings"),
        e.get_title().unwrap_or_default(),
        e.get_username().unwrap_or_default(),
    )))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::record;

    fn import_error(file: &[u8]) -> TransferError {
        let password = SecretString::from("pw");
        let key = Key {
            password: Some(&password),
            key_file: None,
        };
        match import(&mut &file[..], Path::new("t.kdbx"), &key, false, &mut drop) {
            Err(e) => e,
            Ok(_) => panic!("a header-only file imported"),
        }
    }

    #[test]
    fn long_group_paths_keep_their_last_groups() {
        assert_eq!(group_tag("a/b"), "a/b");
        let deep = vec!["group"; 100].join("/");
        let tag = group_tag(&deep);
        assert!(
            tag.starts_with("…/group/") && tag.ends_with("/group"),
            "{tag}"
        );
        assert!(tag.len() <= super::super::keepass::MAX_GROUP_TAG + "…/".len());
    }

    #[test]
    fn hostile_kdf_parameters_are_refused_before_decryption() {
        // KDBX 3.1 header with TransformRounds = u64::MAX.
        let mut file = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 3, 0];
        file.extend([6, 8, 0]);
        file.extend(u64::MAX.to_le_bytes());
        file.extend([0, 0, 0]);
        let err = import_error(&file).to_string();
        assert!(err.contains("AES-KDF"), "{err}");
        // The same with a sane value passes the bound (and fails later, on the missing body).
        let mut ok = file.clone();
        ok.splice(15..23, 6000u64.to_le_bytes());
        let err = import_error(&ok);
        assert!(!matches!(err, TransferError::WorkFactor { .. }), "{err}");
    }

    #[test]
    fn hostile_argon2_memory_in_a_kdbx4_header_is_refused() {
        let file = kdbx_header::tests::kdbx4_with_kdf(&[(b"I", 2), (b"M", u64::MAX)]);
        let err = import_error(&file).to_string();
        assert!(err.contains("Argon2 m="), "{err}");
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
        let key = Key {
            password: Some(&password),
            key_file: None,
        };
        let bytes = export(&vault, &key).expect("export");
        let mut records = Vec::new();
        import(
            &mut bytes.expose(),
            Path::new("t.kdbx"),
            &key,
            false,
            &mut |r| records.push(r),
        )
        .expect("import");
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
