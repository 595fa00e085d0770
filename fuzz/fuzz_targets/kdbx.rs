//! KDBX 3.1/4 and KeePass 1 import (password "t", as the seeds'). Inputs whose key derivation
//! is more than a few MiB-passes are skipped: the work bound has its own tests, and a fuzzer
//! stuck in Argon2 finds nothing.
#![no_main]

use std::path::Path;

use keyward::secret::SecretString;
use keyward::store::kdf::ForeignKdf;
use keyward::transfer::kdbx_header::{self, Kind};
use keyward::transfer::{self, Format, ImportOptions};
use libfuzzer_sys::fuzz_target;

/// The most work an input may ask for, in Argon2 MiB-passes (AES-KDF rounds converted).
const CHEAP: u64 = 8;

fn cheap(data: &[u8]) -> bool {
    match kdbx_header::kind(data) {
        Kind::Kdb => data
            .get(120..124)
            .map(|r| u32::from_le_bytes([r[0], r[1], r[2], r[3]]))
            .is_none_or(|rounds| u64::from(rounds) <= CHEAP * 6_000),
        Kind::Kdbx(_) => match kdbx_header::read(data).and_then(|h| h.kdf) {
            Some(kdf @ ForeignKdf::Argon2 { parallelism, .. }) => {
                kdf.work() <= CHEAP && parallelism <= 4
            }
            Some(kdf) => kdf.work() <= CHEAP,
            // No key derivation keyward can weigh: the crate refuses such a header.
            None => true,
        },
        Kind::Unknown => true,
    }
}

fuzz_target!(|data: &[u8]| {
    if !cheap(data) {
        return;
    }
    let options = ImportOptions {
        password: Some(SecretString::from("t")),
        ..ImportOptions::default()
    };
    let _ = transfer::import(
        data,
        Path::new("fuzz.kdbx"),
        Format::Kdbx,
        &options,
        chrono::Utc::now(),
    );
});
