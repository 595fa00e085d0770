//! Scanning the test process's own memory for pieces of a secret, without the scanner keeping
//! a copy: the needle is kept only as rolling hashes and salted SHA-256 digests of its
//! 10-byte windows.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fs::File;
use std::os::unix::fs::FileExt as _;

use sha2::{Digest, Sha256};

pub mod xvfb;

/// The length of the pieces looked for.
pub const WINDOW: usize = 10;
const BASE: u64 = 0x100_0000_01b3;
const BLOOM_BITS: u32 = 22;

/// The windows of a secret, as hashes only.
pub struct Needle {
    bloom: Vec<u64>,
    digests: HashSet<[u8; 32]>,
    salt: [u8; 16],
    /// BASE^(WINDOW-1), to roll the oldest byte out.
    top: u64,
}

fn rolling(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |h, &b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(b))
    })
}

fn bloom_index(h: u64) -> usize {
    usize::try_from(h >> (64 - BLOOM_BITS)).unwrap_or(0)
}

impl Needle {
    /// The hashes of every 10-byte window of `secret`; the caller zeroizes `secret` after.
    pub fn new(secret: &[u8]) -> Needle {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("random salt");
        let mut bloom = vec![0u64; (1 << BLOOM_BITS) / 64];
        let mut digests = HashSet::new();
        for window in secret.windows(WINDOW) {
            let i = bloom_index(rolling(window));
            bloom[i / 64] |= 1 << (i % 64);
            digests.insert(digest(&salt, window));
        }
        let top = (1..WINDOW).fold(1u64, |p, _| p.wrapping_mul(BASE));
        Needle {
            bloom,
            digests,
            salt,
            top,
        }
    }

    fn is_hit(&self, window: &[u8]) -> bool {
        self.digests.contains(&digest(&self.salt, window))
    }

    /// Offsets in `hay` where a 10-byte window of the secret starts.
    pub fn find(&self, hay: &[u8], hits: &mut Vec<usize>) {
        if hay.len() < WINDOW {
            return;
        }
        let mut h = rolling(&hay[..WINDOW]);
        let mut i = 0;
        loop {
            let b = bloom_index(h);
            if self.bloom[b / 64] & (1 << (b % 64)) != 0 && self.is_hit(&hay[i..i + WINDOW]) {
                hits.push(i);
            }
            if i + WINDOW >= hay.len() {
                return;
            }
            h = h
                .wrapping_sub(u64::from(hay[i]).wrapping_mul(self.top))
                .wrapping_mul(BASE)
                .wrapping_add(u64::from(hay[i + WINDOW]));
            i += 1;
        }
    }
}

fn digest(salt: &[u8; 16], window: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(window);
    h.finalize().into()
}

/// A piece of the secret found in memory.
#[derive(Debug)]
pub struct Hit {
    pub address: usize,
    /// The mapping it is in (`[heap]`, `[stack]`, a file, or empty for anonymous memory).
    pub mapping: String,
}

/// Every place in this process's readable memory (/proc/self/maps, read through
/// /proc/self/mem) where a 10-byte window of the needle's secret starts.
pub fn scan_self(needle: &Needle) -> (Vec<Hit>, usize) {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let mem = File::open("/proc/self/mem").expect("/proc/self/mem");
    const CHUNK: usize = 1 << 20;
    let mut buffer = vec![0u8; CHUNK + WINDOW];
    let own = buffer.as_ptr() as usize..buffer.as_ptr() as usize + buffer.len();
    let mut hits = Vec::new();
    let mut scanned = 0;
    let mut found = Vec::new();
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (Some(range), Some(perms)) = (parts.next(), parts.next()) else {
            continue;
        };
        let mapping = parts.nth(3).unwrap_or("").to_owned();
        if !perms.starts_with('r') || mapping.starts_with("[vvar") || mapping == "[vsyscall]" {
            continue;
        }
        let Some((lo, hi)) = range.split_once('-') else {
            continue;
        };
        let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
        else {
            continue;
        };
        let mut at = lo;
        while at < hi {
            // The scanner's own buffer holds a copy of the last chunk read: skip it.
            if own.contains(&at) {
                at = own.end;
                continue;
            }
            let mut len = (hi - at).min(CHUNK + WINDOW);
            if at < own.start && own.start < at + len {
                len = own.start - at;
            }
            let Ok(read) = mem.read_at(&mut buffer[..len], at as u64) else {
                break;
            };
            if read == 0 {
                break;
            }
            scanned += read;
            found.clear();
            needle.find(&buffer[..read], &mut found);
            for &offset in &found {
                // A hit in the overlap is found again by the next chunk.
                if offset < CHUNK || at + read >= hi {
                    hits.push(Hit {
                        address: at + offset,
                        mapping: mapping.clone(),
                    });
                }
            }
            at += read.min(CHUNK);
        }
    }
    buffer.fill(0);
    (hits, scanned)
}

/// The hits grouped into runs (one copy of the secret, or of a piece, gives many windows).
pub fn runs(hits: &[Hit]) -> Vec<(usize, usize, String)> {
    let mut sorted: Vec<&Hit> = hits.iter().collect();
    sorted.sort_by_key(|h| h.address);
    let mut runs: Vec<(usize, usize, String)> = Vec::new();
    for hit in sorted {
        match runs.last_mut() {
            Some((start, len, _)) if hit.address <= *start + *len + WINDOW => {
                *len = hit.address + WINDOW - *start;
            }
            _ => runs.push((hit.address, WINDOW, hit.mapping.clone())),
        }
    }
    runs
}
