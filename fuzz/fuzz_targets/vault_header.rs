//! The vault header: `Header::parse` and `format::open` must agree, never panic, never reach
//! the KDF for a refused header, and a parsed header must write back to the same bytes.
#![no_main]

use keyward::store::format::{self, HEADER_LEN, Header};
use keyward::store::kdf::KdfError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = Header::parse(data);
    let mut derived = false;
    let opened = format::open(data, |_| {
        derived = true;
        Err(KdfError::Argon2("not derived while fuzzing".into()))
    });
    match &parsed {
        Ok((header, aad)) => {
            assert!(derived, "an accepted header reaches the KDF");
            assert_eq!(&header.to_bytes()[..], &data[..HEADER_LEN]);
            assert_eq!(*aad, &data[..HEADER_LEN]);
            assert!(header.kdf.check().is_ok() && header.kdf.check_work(false).is_ok());
        }
        Err(e) => {
            assert!(!derived, "a refused header never reaches the KDF");
            assert_eq!(opened.as_ref().err(), Some(e));
        }
    }
});
