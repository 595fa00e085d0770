//! What the KeePass formats (kdbx, KeePass 1 kdb, KeePass XML) share: the fields KeePass
//! holds natively, the TOTP field, tags KeePass would split, group tags and the error for a
//! file that cannot be read, and the AES-KDF both KeePass 1 and KDBX use.

use std::path::Path;

use aes::Aes256;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
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
pub(super) fn aes_kdf(composite: &[u8; 32], seed: &[u8; 32], rounds: u64) -> Zeroizing<[u8; 32]> {
    let cipher = Aes256::new(seed.into());
    let mut key = Zeroizing::new(*composite);
    let ([a, b], _) = key.as_chunks_mut::<16>() else {
        unreachable!("32 bytes are two blocks of 16")
    };
    for _ in 0..rounds {
        cipher.encrypt_block(a.into());
        cipher.encrypt_block(b.into());
    }
    sha256(&[&key[..]])
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
