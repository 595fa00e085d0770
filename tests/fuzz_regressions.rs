//! Inputs the fuzz targets (fuzz/, scripts/fuzz.sh) found, kept so they stay fixed: each one
//! must give an error, never a panic (not even one caught inside keyward, which used to
//! print a panic message and backtrace to the user). The files are in tests/testdata/fuzz/.

use std::path::{Path, PathBuf};

use keyward::secret::SecretString;
use keyward::transfer::{self, Format, ImportOptions, TransferError};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/fuzz")
        .join(name)
}

/// Runs `f` with a panic hook that records any panic, caught or not, and returns whether
/// one happened.
fn panics(f: impl FnOnce()) -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static PANICKED: AtomicBool = AtomicBool::new(false);
    PANICKED.store(false, Ordering::SeqCst);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| PANICKED.store(true, Ordering::SeqCst)));
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err();
    std::panic::set_hook(previous);
    unwound || PANICKED.load(Ordering::SeqCst)
}

fn import_kdbx(bytes: &[u8]) -> Result<usize, TransferError> {
    let options = ImportOptions {
        password: Some(SecretString::from("t")),
        ..ImportOptions::default()
    };
    transfer::import(
        bytes,
        Path::new("fuzz.kdbx"),
        Format::Kdbx,
        &options,
        chrono::Utc::now(),
    )
    .map(|imported| imported.entries.len())
}

/// The kdbx target's finds: a KDBX 2 header whose CompressionFlags field is empty (18 bytes
/// after minimising), the file it was minimised from, and (second run) a KDBX 4 header whose
/// KdfParameters hold a number shorter than its type. The `keepass` crate panicked reading
/// them (byteorder, "range end index 4 out of range for slice of length 0"); now the
/// header's field lengths are checked first.
#[test]
fn a_kdbx_header_field_of_the_wrong_length_is_damage_not_a_panic() {
    for name in [
        "kdbx-compression-flags-empty.kdbx",
        "kdbx-crash-4524c8fa.kdbx",
        "kdbx4-kdf-parameter-short.kdbx",
    ] {
        let bytes = std::fs::read(data(name)).expect("test file");
        let mut result = None;
        assert!(
            !panics(|| result = Some(import_kdbx(&bytes))),
            "{name} panics"
        );
        let err = result.expect("ran").expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("header field") && text.contains("length"),
            "{name}: {text}"
        );
    }
}

/// TransformRounds of 9 bytes: the crate would read the first 8 as the rounds, which the
/// work bound (which weighs only an 8-byte field) never saw. Refused as damaged.
#[test]
fn a_kdbx3_transform_rounds_field_of_nine_bytes_is_refused_before_deriving() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/keepassxc/Format300.kdbx");
    let mut bytes = std::fs::read(fixture).expect("fixture");
    // KDBX 3 header fields: id (1 byte), length (u16), data; TransformRounds is id 6.
    let mut at = 12;
    while bytes[at] != 6 {
        let len = u16::from_le_bytes([bytes[at + 1], bytes[at + 2]]) as usize;
        at += 3 + len;
    }
    assert_eq!(u16::from_le_bytes([bytes[at + 1], bytes[at + 2]]), 8);
    bytes[at + 1] = 9;
    bytes[at + 3..at + 11].copy_from_slice(&u64::MAX.to_le_bytes());
    bytes.insert(at + 11, 0xff);
    let started = std::time::Instant::now();
    let err = import_kdbx(&bytes).expect_err("refused");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "derived: {err}"
    );
    assert!(err.to_string().contains("header field 6"), "{err}");
}

/// Argon2 passes (`I`, UInt64) given 9 bytes in a KDBX 4 header: keyward's bound saw no
/// passes while the crate would read the first 8. Refused as damaged, before deriving.
#[test]
fn a_kdbx4_kdf_parameter_of_nine_bytes_is_refused_before_deriving() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/keepassxc/Format400.kdbx");
    let mut bytes = std::fs::read(fixture).expect("fixture");
    // KDBX 4 header fields: id (1 byte), length (u32), data; KdfParameters is id 11.
    let mut at = 12;
    while bytes[at] != 11 {
        let len = u32::from_le_bytes([bytes[at + 1], bytes[at + 2], bytes[at + 3], bytes[at + 4]]);
        at += 5 + len as usize;
    }
    let field_len =
        u32::from_le_bytes([bytes[at + 1], bytes[at + 2], bytes[at + 3], bytes[at + 4]]);
    bytes[at + 1..at + 5].copy_from_slice(&(field_len + 1).to_le_bytes());
    let pattern = [0x05, 1, 0, 0, 0, b'I', 8, 0, 0, 0];
    let item = bytes
        .windows(pattern.len())
        .position(|w| w == pattern)
        .expect("the fixture's Argon2 passes");
    bytes[item + 6] = 9;
    let value = item + pattern.len();
    bytes[value..value + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    bytes.insert(value + 8, 0xff);
    let started = std::time::Instant::now();
    let err = import_kdbx(&bytes).expect_err("refused");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "derived: {err}"
    );
    assert!(err.to_string().contains("header field 11"), "{err}");
}

/// The kdbx target's timeout (a 10-minute run): a KDBX 3 header that gives TransformRounds
/// twice. The work bound read the last copy (a few thousand rounds) while the decryption read
/// the first (about 1.8 × 10¹⁹) and ran AES-KDF for hours. Refused as damaged, before deriving.
#[test]
fn a_kdbx_header_field_given_twice_is_refused_before_deriving() {
    let bytes = std::fs::read(data("kdbx3-transform-rounds-twice.kdbx")).expect("test file");
    let started = std::time::Instant::now();
    let err = import_kdbx(&bytes).expect_err("refused");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "derived: {err}"
    );
    assert!(err.to_string().contains("more than once"), "{err}");
}
