//! The streaming reader against the `keepass` crate's reading of the same files (KeePassXC's
//! own test databases: KDBX 2, 3.0, 3.1 and 4), and against damaged block streams.

use std::path::{Path, PathBuf};

use super::*;
use crate::secret::SecretString;
use crate::transfer::kdbx;

pub(super) fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/keepassxc")
        .join(name)
}

/// (database, password, key file, major version) as KeePassXC's tests open them.
const DATABASES: [(&str, &str, Option<&str>, u16); 12] = [
    ("Format300.kdbx", "a", None, 3),
    ("Format400.kdbx", "t", None, 4),
    ("Compressed.kdbx", "", None, 3),
    ("ProtectedStrings.kdbx", "masterpw", None, 3),
    ("NonAscii.kdbx", "Δöض", None, 3),
    ("NewDatabase.kdbx", "a", None, 3),
    ("FileKeyXml.kdbx", "", Some("FileKeyXml.key"), 2),
    ("FileKeyXmlV2.kdbx", "", Some("FileKeyXmlV2.keyx"), 3),
    ("FileKeyBinary.kdbx", "", Some("FileKeyBinary.key"), 2),
    ("FileKeyHex.kdbx", "", Some("FileKeyHex.key"), 2),
    ("FileKeyHashed.kdbx", "", Some("FileKeyHashed.key"), 2),
    (
        "KeyFileProtected.kdbx",
        "a",
        Some("KeyFileProtected.key"),
        4,
    ),
];

/// Records in a comparable order: fields by name, records by group, title and creation.
fn normalised(mut records: Vec<Record>) -> Vec<Record> {
    for r in &mut records {
        r.fields.sort_by(|a, b| a.name.cmp(&b.name));
    }
    records.sort_by(|a, b| {
        (&a.group, &a.title, a.created, &a.username).cmp(&(
            &b.group,
            &b.title,
            b.created,
            &b.username,
        ))
    });
    records
}

/// What the reader made of the file, and the records it handed to its sink.
fn ours(
    bytes: &[u8],
    password: &str,
    key_file: Option<&[u8]>,
) -> Result<(Read, Vec<Record>), TransferError> {
    let password = SecretString::from(password);
    let key = Key {
        password: Some(&password),
        key_file,
    };
    let mut records = Vec::new();
    // The prefix kdbx::import reads before calling the reader: the header, and for KDBX 4
    // the 64 bytes after it.
    let split = match kdbx_header::read(bytes) {
        Some(h) if h.major >= 4 => (h.end + 64).min(bytes.len()),
        Some(h) => h.end,
        None => bytes.len(),
    };
    let (prefix, mut body) = bytes.split_at(split);
    let read = read(
        prefix,
        &mut Source::new(&mut body),
        Path::new("t.kdbx"),
        &key,
        "header hash mismatch",
        &mut |r| records.push(r),
    )?;
    Ok((read, records))
}

fn records(read: Result<(Read, Vec<Record>), TransferError>) -> Vec<Record> {
    match read {
        Ok((Read::Done, r)) => r,
        Ok((Read::Other, r)) => panic!("left to the crate, {} records read first", r.len()),
        Err(e) => panic!("refused: {e}"),
    }
}

#[test]
fn keepassxc_databases_read_as_the_keepass_crate_reads_them() {
    let mut total = 0;
    for (file, password, key_file, major) in DATABASES {
        let bytes = std::fs::read(data(file)).expect("fixture");
        let key_bytes = key_file.map(|k| std::fs::read(data(k)).expect("key file"));
        assert_eq!(
            kdbx_header::kind(&bytes),
            kdbx_header::Kind::Kdbx(major),
            "{file}"
        );
        let mine = normalised(records(ours(&bytes, password, key_bytes.as_deref())));
        let pw = SecretString::from(password);
        let key = Key {
            password: Some(&pw),
            key_file: key_bytes.as_deref(),
        };
        let header = kdbx_header::read(&bytes).expect("header");
        let mut copy = bytes.clone();
        if major == 2 {
            // The crate reads KDBX 2 as the KDBX 3.0 it is laid out as (see kdbx::import).
            copy[10..12].copy_from_slice(&3u16.to_le_bytes());
        }
        let theirs = kdbx::import_with_crate(&copy, Path::new("t.kdbx"), &key, &header)
            .expect("the crate reads it");
        total += mine.len();
        assert_eq!(mine, normalised(theirs), "{file}");
    }
    assert!(total > 5, "only {total} entries in all");
}

#[test]
fn protected_strings_decrypt_in_order_and_attachments_are_reported() {
    // KeePassXC's TestKdbx3::testProtectedStrings: a 3.1 file (Salsa20 inner stream) whose
    // entry has a protected password and protected custom strings.
    let bytes = std::fs::read(data("ProtectedStrings.kdbx")).expect("fixture");
    let recs = records(ours(&bytes, "masterpw", None));
    let protected: Vec<&CustomField> = recs
        .iter()
        .flat_map(|r| &r.fields)
        .filter(|f| f.protected)
        .collect();
    assert!(!protected.is_empty(), "no protected custom string");
    // Decrypted text, not base64 of ciphertext.
    assert!(
        recs.iter().all(|r| !r.password.expose().ends_with('=')),
        "a password still looks like base64"
    );
    // KDBX 4 (ChaCha20 inner stream): Format400's entry carries one attachment.
    let bytes = std::fs::read(data("Format400.kdbx")).expect("fixture");
    let recs = records(ours(&bytes, "t", None));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].title, "Format400");
    assert_eq!(recs[0].unsupported, ["attachment"]);
}

use super::super::record::CustomField;

/// A keyward-written KDBX 4 file (Argon2id, ChaCha20, gzip, one HMAC block) of `n` entries.
pub(super) fn kdbx4(n: usize) -> Vec<u8> {
    use crate::vault::{Credential, Entry, Vault};
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time");
    let mut vault = Vault::default();
    for i in 0..n {
        let e = Entry::new(
            format!("key {i}"),
            Credential::Token {
                token: format!("token-{i}-{}", "x".repeat(64)).into(),
            },
            now,
        );
        vault.add(e).expect("add");
    }
    let pw = SecretString::from("pw");
    let key = Key {
        password: Some(&pw),
        key_file: None,
    };
    kdbx::export(&vault, &key)
        .expect("export")
        .expose()
        .to_vec()
}

fn refusal(read: Result<(Read, Vec<Record>), TransferError>) -> TransferError {
    match read {
        Err(e) => e,
        Ok(_) => panic!("a damaged file was read"),
    }
}

#[test]
fn kdbx4_blocks_are_checked_by_their_hmac() {
    let file = kdbx4(200);
    let good = records(ours(&file, "pw", None));
    assert_eq!(good.len(), 200);
    assert_eq!(
        good[7].password.expose(),
        format!("token-7-{}", "x".repeat(64))
    );
    assert!(matches!(
        refusal(ours(&file, "not pw", None)),
        TransferError::WrongPassword { .. }
    ));
    // One byte changed inside the first block's ciphertext.
    let mut flipped = file.clone();
    let at = flipped.len() - 100;
    flipped[at] ^= 1;
    let e = refusal(ours(&flipped, "pw", None));
    assert!(
        matches!(e, TransferError::Damaged { .. }) && e.to_string().contains("HMAC"),
        "{e}"
    );
    // Cut inside the block stream.
    let e = refusal(ours(&file[..file.len() - 40], "pw", None));
    assert!(e.to_string().contains("truncated"), "{e}");
}

#[test]
fn a_block_larger_than_a_chunk_is_decrypted_in_pieces_and_read_whole() {
    // keyward's export writes the payload as one HMAC block; past 64 KiB the reader
    // decrypts it a chunk at a time instead of copying it.
    let file = kdbx4(3000);
    let (_, _, end) = kdbx_header::fields(&file).expect("header");
    let block = u32::from_le_bytes(file[end + 96..end + 100].try_into().expect("4 bytes"));
    assert!(block as usize > 2 * 64 * 1024, "one block of {block} bytes");
    let read = records(ours(&file, "pw", None));
    assert_eq!(read.len(), 3000);
    assert_eq!(
        read[2999].password.expose(),
        format!("token-2999-{}", "x".repeat(64))
    );
}

#[test]
fn kdbx3_blocks_are_checked_by_their_hash_and_start_bytes() {
    let file = std::fs::read(data("NewDatabase.kdbx")).expect("fixture");
    let header = kdbx_header::read(&file).expect("header");
    let e = refusal(ours(&file, "b", None));
    assert!(matches!(e, TransferError::WrongPassword { .. }), "{e}");
    // A byte in the middle of the ciphertext: past the start bytes, before the padding.
    let mut flipped = file.clone();
    let at = header.end + (file.len() - header.end) / 2;
    flipped[at] ^= 0x40;
    let e = refusal(ours(&flipped, "a", None));
    assert!(
        matches!(e, TransferError::Damaged { .. }) && e.to_string().contains("hash check"),
        "{e}"
    );
    let cut = &file[..header.end + (file.len() - header.end) / 2];
    let e = refusal(ours(cut, "a", None));
    assert!(
        matches!(e, TransferError::Damaged { .. }) && e.to_string().contains("truncated"),
        "{e}"
    );
}
