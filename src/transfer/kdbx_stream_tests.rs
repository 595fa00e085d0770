//! The reader streaming from a `std::io::Read`: readers that hand out a few bytes at a time,
//! how much of the file is read before the key is checked, HMAC blocks damaged near their
//! start and end (one block, as keyward writes, and many, as KeePassXC writes), and files cut
//! in the header, a block's head and a block's data.

use std::path::Path;

use super::*;
use crate::secret::SecretString;
use crate::transfer::{Format, ImportOptions, kdbx};
// KeePassXC's test files, and a keyward-written KDBX 4 file (one HMAC block) of n entries.
use super::tests::{data, kdbx4};

/// A reader over `data` that hands out at most `step` bytes per call and keeps the most it
/// was asked for in one call and how many bytes it handed out in all.
struct Dribble<'a> {
    data: &'a [u8],
    step: usize,
    asked: usize,
    given: usize,
}

impl<'a> Dribble<'a> {
    fn new(data: &'a [u8], step: usize) -> Dribble<'a> {
        Dribble {
            data,
            step,
            asked: 0,
            given: 0,
        }
    }
}

impl std::io::Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.asked = self.asked.max(buf.len());
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.given += n;
        Ok(n)
    }
}

/// kdbx::import of what `reader` gives: the records handed to the sink, and the result.
fn import_from(
    reader: &mut dyn std::io::Read,
    password: &str,
    key_file: Option<&[u8]>,
) -> (Vec<Record>, Result<(), TransferError>) {
    let password = SecretString::from(password);
    let key = Key {
        password: Some(&password),
        key_file,
    };
    let mut records = Vec::new();
    let result = kdbx::import(reader, Path::new("t.kdbx"), &key, false, &mut |r| {
        records.push(r)
    });
    (records, result)
}

fn whole(file: &[u8], password: &str, key_file: Option<&[u8]>) -> Vec<Record> {
    let (records, result) = import_from(&mut &file[..], password, key_file);
    if let Err(e) = result {
        panic!("refused: {e}");
    }
    records
}

/// transfer::import's error for `file` (the entries are never seen on an error).
fn refused(file: &[u8], password: &str) -> TransferError {
    let options = ImportOptions {
        password: Some(SecretString::from(password)),
        ..ImportOptions::default()
    };
    let path = Path::new("t.kdbx");
    match crate::transfer::import(file, path, Format::Kdbx, &options, chrono::Utc::now()) {
        Err(e) => e,
        Ok(i) => panic!("a damaged file imported {} entries", i.entries.len()),
    }
}

fn assert_hmac_damaged(e: &TransferError) {
    assert!(
        matches!(e, TransferError::Damaged { .. }) && e.to_string().contains("HMAC"),
        "{e}"
    );
}

/// Where a KDBX 4 file's header ends and its first block's data starts.
fn first_block_data(file: &[u8]) -> (usize, usize) {
    let header = kdbx_header::read(file).expect("header");
    (header.end, header.end + 64 + 36)
}

/// `file` (KDBX 4) with its payload's ciphertext cut into HMAC blocks of `piece` bytes, as
/// KeePassXC cuts it into blocks of 1 MiB: the same file to any reader.
fn reblocked(file: &[u8], password: &str, key_file: Option<&[u8]>, piece: usize) -> Vec<u8> {
    let (_, fields, end) = kdbx_header::fields(file).expect("header");
    let field = |id: u8| {
        fields
            .iter()
            .find(|f| f.0 == id)
            .map(|f| f.1)
            .expect("field")
    };
    let items = variant_dictionary(field(11)).expect("kdf parameters");
    let item = |name: &[u8]| items.iter().find(|i| i.0 == name).map(|i| i.1);
    let number_of = |name: &[u8]| item(name).and_then(number).expect("kdf parameter");
    let kdf = Kdf::Argon2 {
        id: item(b"$UUID") == Some(&KDF_ARGON2ID[..]),
        salt: item(b"S").expect("salt"),
        memory: number_of(b"M"),
        passes: number_of(b"I"),
        lanes: number_of(b"P"),
        version: item(b"V").and_then(number).unwrap_or(0x13),
    };
    let pw = SecretString::from(password);
    let key = Key {
        password: Some(&pw),
        key_file,
    };
    let transformed = transform(&composite(&key).expect("key"), &kdf).expect("derived");
    let hmac_key = sha512(&[field(4), &transformed[..], &[1]]);
    let mut ciphertext = Vec::new();
    let mut at = end + 64;
    loop {
        let size = u32::from_le_bytes(file[at + 32..at + 36].try_into().expect("4")) as usize;
        if size == 0 {
            break;
        }
        ciphertext.extend_from_slice(&file[at + 36..at + 36 + size]);
        at += 36 + size;
    }
    let mut out = file[..end + 64].to_vec();
    let pieces = ciphertext.chunks(piece).chain([&[][..]]);
    for (index, block) in pieces.enumerate() {
        let size = (block.len() as u32).to_le_bytes();
        let index = index as u64;
        out.extend(hmac(
            &hmac_key,
            index,
            &[&index.to_le_bytes(), &size, block],
        ));
        out.extend(size);
        out.extend_from_slice(block);
    }
    out
}

/// A file, its password and its key file.
type Case = (Vec<u8>, &'static str, Option<Vec<u8>>);

#[test]
fn readers_handing_out_one_or_seven_bytes_give_the_same_entries() {
    let mut files: Vec<Case> = vec![(kdbx4(300), "pw", None)];
    for (name, password, key) in [
        ("NewDatabase.kdbx", "a", None),
        ("Format400.kdbx", "t", None),
        ("ProtectedStrings.kdbx", "masterpw", None),
        ("FileKeyXml.kdbx", "", Some("FileKeyXml.key")),
        ("KeyFileProtected.kdbx", "a", Some("KeyFileProtected.key")),
    ] {
        let key = key.map(|k| std::fs::read(data(k)).expect("key file"));
        files.push((std::fs::read(data(name)).expect("fixture"), password, key));
    }
    let kdb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/transfer/keepassxc");
    files.push((
        std::fs::read(kdb.join("basic.kdb")).expect("kdb"),
        "masterpw",
        None,
    ));
    let mut total = 0;
    for (file, password, key) in &files {
        let expected = whole(file, password, key.as_deref());
        total += expected.len();
        for step in [1, 7] {
            let mut reader = Dribble::new(file, step);
            let (records, result) = import_from(&mut reader, password, key.as_deref());
            assert!(result.is_ok(), "step {step}: {result:?}");
            assert_eq!(records, expected, "step {step}");
        }
    }
    assert!(total > 300, "{total} entries in all");
}

#[test]
fn the_body_is_not_read_before_the_key_is_checked_nor_held_whole() {
    // A wrong password: KDBX 4 stops at the header's HMAC, after the key derivation, having
    // read the header and the 64 bytes of hash and HMAC only.
    let file = kdbx4(3000);
    let (end, _) = first_block_data(&file);
    let mut reader = Dribble::new(&file, usize::MAX);
    let (_, result) = import_from(&mut reader, "not pw", None);
    assert!(matches!(result, Err(TransferError::WrongPassword { .. })));
    assert_eq!(reader.given, end + 64);
    // KDBX 3.1: the header and the 32 start bytes.
    let kdbx3 = std::fs::read(data("NewDatabase.kdbx")).expect("fixture");
    let header = kdbx_header::read(&kdbx3).expect("header");
    let mut reader = Dribble::new(&kdbx3, usize::MAX);
    let (_, result) = import_from(&mut reader, "b", None);
    assert!(matches!(result, Err(TransferError::WrongPassword { .. })));
    assert_eq!(reader.given, header.end + 32);
    // The right password: the file is asked for in pieces of at most a chunk (and 16 bytes
    // held back for CBC), and the first entry arrives long before the file's end.
    assert!(file.len() > 4 * CHUNK, "{} bytes", file.len());
    let password = SecretString::from("pw");
    let key = Key {
        password: Some(&password),
        key_file: None,
    };
    let mut reader = Dribble::new(&file, usize::MAX);
    let mut at_first = None;
    let mut count = 0;
    {
        let given = std::cell::Cell::new(0usize);
        let mut counting = Counting {
            inner: &mut reader,
            given: &given,
        };
        kdbx::import(&mut counting, Path::new("t.kdbx"), &key, false, &mut |_| {
            at_first.get_or_insert(given.get());
            count += 1;
        })
        .expect("import");
    }
    assert_eq!(count, 3000);
    assert!(reader.asked <= CHUNK + 16, "{}", reader.asked);
    let at_first = at_first.expect("an entry");
    assert!(at_first <= end + 64 + 36 + 2 * CHUNK, "{at_first}");
    assert_eq!(reader.given, file.len());
}

/// Passes reads on, counting the bytes given so far where the sink can see them.
struct Counting<'a> {
    inner: &'a mut dyn std::io::Read,
    given: &'a std::cell::Cell<usize>,
}

impl std::io::Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.given.set(self.given.get() + n);
        Ok(n)
    }
}

#[test]
fn one_block_damaged_near_its_end_or_its_start_is_damaged_and_imports_nothing() {
    let file = kdbx4(2000);
    let (_, data_at) = first_block_data(&file);
    // Near the end: entries parse before the HMAC is compared (all but those of the block's
    // last chunk, which is checked before it is decrypted); none may come out of the import.
    let mut flipped = file.clone();
    let at = file.len() - 36 - 3; // in the gzip trailer
    flipped[at] ^= 1;
    let (records, result) = import_from(&mut &flipped[..], "pw", None);
    assert_hmac_damaged(&result.expect_err("refused"));
    assert!(records.len() > 1000, "{} entries read first", records.len());
    assert_hmac_damaged(&refused(&flipped, "pw"));
    // Near the start: the gzip header is garbage, the parse fails at once, the rest of the
    // block is read and its HMAC fails: "damaged", not the parse error.
    let mut flipped = file.clone();
    flipped[data_at + 1] ^= 0x55;
    let (records, result) = import_from(&mut &flipped[..], "pw", None);
    assert_hmac_damaged(&result.expect_err("refused"));
    assert!(records.is_empty());
    assert_hmac_damaged(&refused(&flipped, "pw"));
}

#[test]
#[allow(clippy::type_complexity)]
fn keepassxc_files_cut_in_many_blocks_read_alike_and_fail_alike() {
    // Format400 (ChaCha20) and KeyFileProtected (AES-256-CBC) are KeePassXC's KDBX 4 files;
    // cut into blocks of 48 bytes (AES's block divides it), and keyward's own export into
    // blocks that straddle the reader's chunks.
    let key_file = std::fs::read(data("KeyFileProtected.key")).expect("key file");
    let mut cases: Vec<(Vec<u8>, &str, Option<&[u8]>, usize)> = vec![
        (
            std::fs::read(data("Format400.kdbx")).expect("fixture"),
            "t",
            None,
            48,
        ),
        (
            std::fs::read(data("KeyFileProtected.kdbx")).expect("fixture"),
            "a",
            Some(&key_file),
            48,
        ),
    ];
    cases.push((kdbx4(2000), "pw", None, CHUNK + 4321));
    for (file, password, key, piece) in cases {
        let expected = whole(&file, password, key);
        let many = reblocked(&file, password, key, piece);
        let (_, data_at) = first_block_data(&many);
        let blocks = (file.len() - data_at) / piece;
        assert!(blocks >= 3, "{blocks} blocks");
        assert_eq!(whole(&many, password, key), expected);
        let mut reader = Dribble::new(&many, 7);
        let (records, result) = import_from(&mut reader, password, key);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(records, expected);
        // A byte in the first block (the parse fails there) and one in the last.
        for at in [data_at + 1, many.len() - 36 - 5] {
            let mut flipped = many.clone();
            flipped[at] ^= 0x55;
            let (_, result) = import_from(&mut &flipped[..], password, key);
            assert_hmac_damaged(&result.expect_err("refused"));
        }
        // A block's stored HMAC changed: the next block's head, after the first block.
        let mut flipped = many.clone();
        flipped[data_at + piece] ^= 1;
        let (_, result) = import_from(&mut &flipped[..], password, key);
        assert_hmac_damaged(&result.expect_err("refused"));
    }
}

#[test]
fn files_cut_in_the_header_a_block_head_or_a_block_are_truncated() {
    let file = kdbx4(200);
    let (end, data_at) = first_block_data(&file);
    let kdbx3 = std::fs::read(data("NewDatabase.kdbx")).expect("fixture");
    let end3 = kdbx_header::read(&kdbx3).expect("header").end;
    let cuts: [(&[u8], &str, &str); 8] = [
        (&file[..20], "pw", "in the header"),
        (&file[..end - 3], "pw", "at the header's end"),
        (&file[..end + 40], "pw", "in the header's hash and HMAC"),
        (&file[..data_at - 10], "pw", "in the first block's head"),
        (&file[..data_at + 500], "pw", "in the first block's data"),
        (&file[..file.len() - 10], "pw", "in the end block's head"),
        (&kdbx3[..end3 - 5], "a", "in a KDBX 3.1 header"),
        (&kdbx3[..end3 + 20], "a", "in the start bytes"),
    ];
    for (cut, password, what) in cuts {
        for step in [usize::MAX, 1] {
            let (records, result) = import_from(&mut Dribble::new(cut, step), password, None);
            let e = result.expect_err(what);
            assert!(
                matches!(e, TransferError::Damaged { .. }) && e.to_string().contains("truncated"),
                "{what}: {e}"
            );
            // Cut after a whole (authentic) block, its entries were read; the import
            // returns none of them.
            assert!(records.is_empty() || cut.len() > data_at + 500, "{what}");
        }
        let e = refused(cut, password);
        assert!(e.to_string().contains("truncated"), "{what}: {e}");
    }
}

#[test]
fn a_read_error_is_an_io_error_not_a_damaged_file() {
    struct Failing<'a>(&'a [u8]);
    impl std::io::Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("the disk went away"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let file = kdbx4(200);
    let (_, data_at) = first_block_data(&file);
    for cut in [30, data_at + 300] {
        let (_, result) = import_from(&mut Failing(&file[..cut]), "pw", None);
        let e = result.expect_err("refused");
        assert!(matches!(e, TransferError::Io { .. }), "{cut}: {e}");
    }
}
