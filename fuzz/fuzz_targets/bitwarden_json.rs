//! The bitwarden_json import: any bytes give entries or an error, never a panic, a hang or an
//! unbounded allocation.
#![no_main]

use std::path::Path;

use keyward::transfer::{self, Format, ImportOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = transfer::import(
        data,
        Path::new("fuzz.input"),
        Format::BitwardenJson,
        &ImportOptions::default(),
        chrono::Utc::now(),
    );
});
