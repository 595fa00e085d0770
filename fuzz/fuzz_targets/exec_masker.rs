//! `exec`'s masking of the child's output: the same stream gives the same masked output
//! however it is cut into chunks (the masker holds back only what could still become a
//! secret), and no secret survives whole.
//!
//! Input: up to three secrets (lines before the first empty line), then the stream; each
//! stream byte 0xff cuts a chunk there (and is dropped).
#![no_main]

use keyward::exec::{MASK, Masker};
use keyward::secret::SecretString;
use libfuzzer_sys::fuzz_target;

fn masked<'a>(secrets: &[SecretString], chunks: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut masker = Masker::new(secrets);
    let mut out = Vec::new();
    for chunk in chunks {
        masker.feed(chunk, &mut out).expect("writing to a Vec");
    }
    masker.finish(&mut out).expect("writing to a Vec");
    out
}

fuzz_target!(|data: &[u8]| {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, stream) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => return,
    };
    let secrets: Vec<SecretString> = String::from_utf8_lossy(head)
        .split('\n')
        .take(3)
        .filter(|s| !s.is_empty())
        .map(SecretString::from)
        .collect();
    let whole: Vec<u8> = stream.iter().copied().filter(|&b| b != 0xff).collect();
    let at_once = masked(&secrets, std::iter::once(&whole[..]));
    let chunked = masked(&secrets, stream.split(|&b| b == 0xff));
    assert_eq!(at_once, chunked, "masking depends on how the output is cut");
    let byte_by_byte = masked(&secrets, whole.chunks(1));
    assert_eq!(
        at_once, byte_by_byte,
        "masking depends on how the output is cut"
    );
    // A secret that contains no part of the mask's text and shares no byte with it cannot
    // be formed by a mask next to other text: then it must not appear in the output.
    for s in &secrets {
        let s = s.expose().as_bytes();
        if s.iter().all(|b| !MASK.as_bytes().contains(b)) {
            assert!(
                !at_once.windows(s.len()).any(|w| w == s),
                "a secret survives masking"
            );
        }
    }
});
