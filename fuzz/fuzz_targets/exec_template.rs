//! `exec`'s template files (`VAR=keyward://NAME/field` lines) and `--env VAR=NAME[.field]`
//! arguments: any text parses or gives an error naming the line, never a panic.
#![no_main]

use keyward::exec::{parse_env_arg, parse_template};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(specs) = parse_template(text, "fuzz.env") {
        assert!(specs.len() <= text.lines().count());
    }
    for line in text.lines() {
        let _ = parse_env_arg(line);
    }
});
