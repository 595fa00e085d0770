//! Opening a vault with a fixed key (no Argon2 per input): the input as a whole file, and the
//! input as a payload sealed under a fixed header, opened again and parsed; a payload that
//! parses must serialise and parse back to the same vault.
#![no_main]

use std::path::Path;

use keyward::secret::SecretBytes;
use keyward::store::format::{self, Header};
use keyward::store::kdf::{DerivedKey, KdfParams};
use keyward::store::{parse_payload, serialize_payload};
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [0x42; 32];

fn header() -> Header {
    Header {
        kdf: KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
        salt: [7; 32],
        nonce: [9; 24],
        key_file: false,
    }
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.keyward");
    // As a whole file: almost always refused, never a panic.
    if let Ok((_, plain)) = format::open(data, |_| Ok(DerivedKey::from_bytes(KEY))) {
        let _ = parse_payload(path, &plain);
    }
    // As a payload: what an authentic file with this content does.
    let sealed = format::seal(
        &header(),
        &DerivedKey::from_bytes(KEY),
        SecretBytes::new(data.to_vec()),
    )
    .expect("sealing never fails with a valid key");
    let (_, plain) = format::open(&sealed, |_| Ok(DerivedKey::from_bytes(KEY))).expect("authentic");
    assert_eq!(plain.expose(), data);
    if let Ok(vault) = parse_payload(path, &plain) {
        let again = serialize_payload(&vault, 0).expect("a parsed vault serialises");
        let back = parse_payload(path, &again).expect("what keyward writes, it reads");
        assert_eq!(back, vault);
    }
});
