//! The generic CSV import: the first line of the input is a comma-separated list of
//! `--map COLUMN=FIELD` options (possibly empty), the rest is the CSV.
#![no_main]

use std::path::Path;

use keyward::transfer::{self, Format, ImportOptions, parse_column_maps};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (maps, csv) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&data[..0], data),
    };
    let maps: Vec<String> = String::from_utf8_lossy(maps)
        .split(',')
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    let Ok(columns) = parse_column_maps(&maps) else {
        return;
    };
    let options = ImportOptions {
        columns,
        ..ImportOptions::default()
    };
    let _ = transfer::import(
        csv,
        Path::new("fuzz.csv"),
        Format::Csv,
        &options,
        chrono::Utc::now(),
    );
});
