//! What the KeePass formats (kdbx, KeePass 1 kdb, KeePass XML) share: the fields KeePass
//! holds natively, the TOTP field, tags KeePass would split, group tags and the error for a
//! file that cannot be read, and the AES-KDF both KeePass 1 and KDBX use.

use std::path::Path;

use aes::Aes256;
use aes::cipher::consts::U16;
use aes::cipher::{
    Array, Block, BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser,
    KeyInit,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::record::{self, Native, Record};
use super::{Format, TransferError, TransferReport};

/// SHA-256 of the concatenated `parts`, in memory that is wiped on drop.
pub(super) fn sha256(parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p);
    }
    Zeroizing::new(hash.finalize().into())
}

/// KeePass's AES-KDF (KeePass 1 and KDBX): each half of `composite` encrypted `rounds` times
/// with AES-256 under `seed`, then SHA-256 of the result. The caller bounds `rounds` first
/// ([`crate::store::kdf::check_work_factor`]).
///
/// All rounds run inside one call into the cipher's backend ([`Rounds`]): a call of
/// `encrypt_block` per block and round picked the backend (AES-NI) anew each time, which cost
/// about seven times the rounds themselves, and the two halves' independent chains now
/// overlap in the processor.
pub(super) fn aes_kdf(composite: &[u8; 32], seed: &[u8; 32], rounds: u64) -> Zeroizing<[u8; 32]> {
    let cipher = Aes256::new(seed.into());
    let mut key = Zeroizing::new(*composite);
    let (halves, _) = key.as_chunks_mut::<16>();
    cipher.encrypt_with_backend(Rounds {
        halves: Array::cast_slice_from_core_mut(halves),
        rounds,
    });
    sha256(&[&key[..]])
}

/// The AES-KDF rounds over both halves, run by the cipher's backend.
struct Rounds<'a> {
    halves: &'a mut [Block<Aes256>],
    rounds: u64,
}

impl BlockSizeUser for Rounds<'_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for Rounds<'_> {
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        for _ in 0..self.rounds {
            for half in self.halves.iter_mut() {
                backend.encrypt_block(half.into());
            }
        }
    }
}

/// Native KeePass fields: tags, times, custom strings.
pub(super) const NATIVE: Native = Native {
    tags: true,
    created: true,
    expires: true,
    custom_fields: true,
    totp: true,
};

/// The string field KeePassXC keeps a TOTP `otpauth://` URI in.
pub(super) const OTP_FIELD: &str = "otp";

/// The error for a KeePass file (kdbx or kdb) that cannot be read, saying `what` is wrong.
pub(super) fn damaged(path: &Path, what: &str) -> TransferError {
    TransferError::Damaged {
        path: path.to_owned(),
        format: Format::Kdbx,
        what: what.to_owned(),
    }
}

/// Longest group path kept as a tag, in bytes; deeper paths keep their last groups.
pub(super) const MAX_GROUP_TAG: usize = 200;

/// Characters KeePass splits a tag list on.
pub(super) const TAG_SEPARATORS: [char; 2] = [',', ';'];

/// The record of `entry` for KeePass (kdbx and XML). A tag holding `,` or `;` would come back
/// from KeePass as two tags: such an entry's KeePass tags show them as `_`, and its exact tags
/// travel in the notes' `Tags:` line, which keyward reads back in preference.
pub(super) fn keepass_record(entry: &crate::vault::Entry) -> Record {
    if !entry.tags.iter().any(|t| t.contains(TAG_SEPARATORS)) {
        return record::from_entry(entry, NATIVE);
    }
    let mut rec = record::from_entry(
        entry,
        Native {
            tags: false,
            ..NATIVE
        },
    );
    rec.tags = entry
        .tags
        .iter()
        .map(|t| t.replace(TAG_SEPARATORS, "_"))
        .collect();
    rec
}

/// Reports a key whose tags KeePass would split (see [`keepass_record`]).
pub(super) fn tag_losses(entry: &crate::vault::Entry, index: usize, report: &mut TransferReport) {
    if entry.tags.iter().any(|t| t.contains(TAG_SEPARATORS)) {
        report.changed(
            "tags",
            "KeePass splits tags on ',' and ';': they show as '_' in its tags, and the exact \
             tags travel in the notes' 'Tags:' line, which keyward reads back",
            index,
            &entry.name,
        );
    }
}

/// The `otpauth://` URI of a legacy KeePassXC TOTP: `settings` is "period;digits", or
/// "period;S" for Steam codes.
pub(super) fn legacy_totp_uri(
    seed: &str,
    settings: Option<&str>,
    title: &str,
    user: &str,
) -> String {
    use crate::vault::percent_encode;
    let mut parts = settings.unwrap_or("30;6").split(';').map(str::trim);
    let period = parts
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(30);
    let digits = parts.next().unwrap_or("6");
    let secret: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        seed.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect(),
    );
    let label = if user.is_empty() {
        percent_encode(title)
    } else {
        format!("{}:{}", percent_encode(title), percent_encode(user))
    };
    let kind = if digits == "S" {
        "&encoder=steam".to_owned()
    } else {
        format!("&digits={}", digits.parse::<u32>().unwrap_or(6))
    };
    format!(
        "otpauth://totp/{label}?secret={}&period={period}{kind}&issuer={}",
        percent_encode(&secret),
        percent_encode(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rounds as one `encrypt_block` call per half and round, as before.
    fn aes_kdf_by_blocks(composite: &[u8; 32], seed: &[u8; 32], rounds: u64) -> [u8; 32] {
        let cipher = Aes256::new(seed.into());
        let mut key = *composite;
        let (halves, _) = key.as_chunks_mut::<16>();
        for _ in 0..rounds {
            for half in halves.iter_mut() {
                cipher.encrypt_block(half.into());
            }
        }
        *sha256(&[&key[..]])
    }

    #[test]
    fn aes_kdf_in_the_backend_matches_block_by_block() {
        let composite: [u8; 32] = std::array::from_fn(|i| i as u8);
        let seed: [u8; 32] = std::array::from_fn(|i| 200 - i as u8);
        for rounds in [0, 1, 2, 1000] {
            assert_eq!(
                *aes_kdf(&composite, &seed, rounds),
                aes_kdf_by_blocks(&composite, &seed, rounds),
                "{rounds} rounds"
            );
        }
        assert_ne!(
            *aes_kdf(&composite, &seed, 1),
            *aes_kdf(&composite, &seed, 2)
        );
    }

    /// Rounds per second of both ways, in a release build:
    /// `cargo test --release --lib aes_kdf_rounds_per_second -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn aes_kdf_rounds_per_second() {
        let rounds = 20_000_000;
        let (composite, seed) = ([1u8; 32], [2u8; 32]);
        let started = std::time::Instant::now();
        let old = aes_kdf_by_blocks(&composite, &seed, rounds);
        let by_blocks = started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        let new = aes_kdf(&composite, &seed, rounds);
        let in_backend = started.elapsed().as_secs_f64();
        assert_eq!(old, *new);
        let rate = |s: f64| rounds as f64 / s / 1e6;
        println!(
            "AES-KDF: {:.2} M rounds/s one call per block, {:.2} M rounds/s in the backend",
            rate(by_blocks),
            rate(in_backend)
        );
    }
}
