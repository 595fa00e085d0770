//! KeePass 1 (`.kdb`) databases, AES (Rijndael) encrypted: groups, entries and their dates.
//! KeePass 1 keeps its own settings (custom icons, group tree state) in `Meta-Info` entries;
//! those are left out. Twofish-encrypted files are refused with what to do.
//!
//! Times are stored without a time zone; they are read as UTC.

use std::path::Path;

use aes::Aes256;
use aes::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::keepass::{aes_kdf, sha256};
use super::record::Record;
use super::{TransferError, keyfile};
use crate::secret::SecretString;
use crate::store::kdf::{ForeignKdf, check_work_factor};

const HEADER_LEN: usize = 124;
const FLAG_RIJNDAEL: u32 = 2;
const FLAG_TWOFISH: u32 = 8;

/// The password and key file of a KeePass 1 database.
pub struct Key<'a> {
    /// The password (empty with a key file: the key file alone).
    pub password: Option<&'a SecretString>,
    /// The key file's content.
    pub key_file: Option<&'a [u8]>,
}

/// The entries of a KeePass 1 database, without its `Meta-Info` records. Each entry's group
/// path (below the top level groups' common root) becomes a tag, as for KDBX.
pub fn import(
    bytes: &[u8],
    path: &Path,
    key: &Key<'_>,
    allow_slow_kdf: bool,
) -> Result<Vec<Record>, TransferError> {
    let damaged = |what: &str| super::keepass::damaged(path, what);
    let header = bytes
        .get(..HEADER_LEN)
        .ok_or_else(|| damaged("the file is truncated"))?;
    let u32_at = |at: usize| {
        u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let flags = u32_at(8);
    if flags & FLAG_TWOFISH != 0 {
        return Err(damaged(
            "it is a Twofish-encrypted KeePass 1 database, which keyward does not read; open it \
             in KeePassXC (Database > Import > KeePass 1 database), save it as .kdbx and import \
             that",
        ));
    }
    if flags & FLAG_RIJNDAEL == 0 {
        return Err(damaged("its cipher is not one KeePass 1 writes"));
    }
    let rounds = u32_at(120);
    check_work_factor(
        ForeignKdf::AesKdf {
            rounds: u64::from(rounds),
        },
        allow_slow_kdf,
    )
    .map_err(|source| TransferError::WorkFactor {
        path: path.to_owned(),
        source,
    })?;
    let composite = composite_key(key)?;
    let seed: [u8; 32] = header[88..120]
        .try_into()
        .map_err(|_| damaged("bad header"))?;
    let transformed = aes_kdf(&composite, &seed, u64::from(rounds));
    let master = sha256(&[&header[16..32], &transformed[..]]);
    let body = &bytes[HEADER_LEN..];
    let mut plain = Zeroizing::new(vec![0u8; body.len()]);
    let decryptor = cbc::Decryptor::<Aes256>::new_from_slices(&master[..], &header[32..48])
        .map_err(|_| damaged("bad header"))?;
    let wrong = || TransferError::WrongPassword {
        path: path.to_owned(),
    };
    let len = decryptor
        .decrypt_padded_b2b::<Pkcs7>(body, &mut plain)
        .map_err(|_| wrong())?
        .len();
    plain.truncate(len);
    if Sha256::digest(&plain[..])[..] != header[56..88] {
        return Err(wrong());
    }
    let mut reader = Fields { data: &plain };
    let groups = read_groups(&mut reader, u32_at(48)).ok_or_else(|| damaged(MALFORMED))?;
    read_entries(&mut reader, u32_at(52), &groups).ok_or_else(|| damaged(MALFORMED))
}

const MALFORMED: &str = "its decrypted content is not a valid KeePass 1 database";

/// KeePass 1's composite key: SHA-256 of the password, or the key file's key, or SHA-256 of
/// both. Its key files are 32 raw bytes, 64 hex digits or hashed (no XML form).
fn composite_key(key: &Key<'_>) -> Result<Zeroizing<[u8; 32]>, TransferError> {
    let password = key
        .password
        .filter(|p| !(p.is_empty() && key.key_file.is_some()))
        .map(|p| sha256(&[p.expose().as_bytes()]));
    let file = key.key_file.map(keyfile::key_of).transpose()?;
    Ok(match (password, file) {
        (Some(p), Some(f)) => sha256(&[&p[..], &f[..]]),
        (Some(p), None) => p,
        (None, Some(f)) => f,
        (None, None) => sha256(&[b""]),
    })
}

/// The decrypted content: fields of (type u16, size u32, data).
struct Fields<'a> {
    data: &'a [u8],
}

impl<'a> Fields<'a> {
    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        let head = self.data.get(..6)?;
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let size = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
        let value = self.data.get(6..6usize.checked_add(size)?)?;
        self.data = &self.data[6 + size..];
        Some((kind, value))
    }
}

/// A group: its id and its path ("Internet/Subgroup 1").
struct Group {
    id: u32,
    path: String,
}

fn read_groups(reader: &mut Fields<'_>, count: u32) -> Option<Vec<Group>> {
    let mut groups = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let (mut id, mut name, mut level) = (None, String::new(), 0usize);
    while groups.len() < count as usize {
        let (kind, value) = reader.next()?;
        match kind {
            1 => id = Some(u32::from_le_bytes(value.try_into().ok()?)),
            2 => name = text(value),
            8 => level = usize::from(u16::from_le_bytes(value.try_into().ok()?)),
            0xffff => {
                stack.truncate(level);
                stack.push(std::mem::take(&mut name));
                groups.push(Group {
                    id: id.take()?,
                    path: stack.join("/"),
                });
                level = 0;
            }
            _ => {}
        }
    }
    Some(groups)
}

fn read_entries(reader: &mut Fields<'_>, count: u32, groups: &[Group]) -> Option<Vec<Record>> {
    let mut records = Vec::new();
    let mut seen = 0u32;
    let mut record = Record::default();
    let (mut group, mut binary_desc, mut has_binary) = (None, String::new(), false);
    while seen < count {
        let (kind, value) = reader.next()?;
        match kind {
            2 => group = Some(u32::from_le_bytes(value.try_into().ok()?)),
            4 => record.title = text(value),
            5 => record.url = text(value),
            6 => record.username = text(value),
            7 => record.password = SecretString::new(text(value)),
            8 => record.notes = text(value),
            9 => record.created = time(value),
            10 => record.modified = time(value),
            12 => record.expires = time(value).filter(|t| !is_never(t)),
            13 => binary_desc = text(value),
            14 => has_binary = !value.is_empty(),
            0xffff => {
                seen += 1;
                let mut done = std::mem::take(&mut record);
                let meta_info = done.title == "Meta-Info"
                    && done.username == "SYSTEM"
                    && done.url == "$"
                    && binary_desc == "bin-stream";
                if has_binary && !meta_info {
                    done.unsupported.push("attachment".to_owned());
                }
                let path = groups.iter().find(|g| Some(g.id) == group)?.path.clone();
                if !meta_info {
                    done.tags.push(path.clone());
                    done.group = path;
                    records.push(done);
                }
                (group, has_binary) = (None, false);
                binary_desc.clear();
            }
            _ => {}
        }
    }
    Some(records)
}

fn text(value: &[u8]) -> String {
    let end = value.iter().position(|b| *b == 0).unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end]).into_owned()
}

/// KeePass 1's packed 5-byte time.
fn time(v: &[u8]) -> Option<DateTime<Utc>> {
    let [a, b, c, d, e]: [u8; 5] = v.try_into().ok()?;
    let (a, b, c, d, e) = (
        u32::from(a),
        u32::from(b),
        u32::from(c),
        u32::from(d),
        u32::from(e),
    );
    let year = (a << 6) | (b >> 2);
    let month = ((b & 0x03) << 2) | (c >> 6);
    let day = (c >> 1) & 0x1f;
    let hour = ((c & 0x01) << 4) | (d >> 4);
    let minute = ((d & 0x0f) << 2) | (e >> 6);
    let second = e & 0x3f;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
        .and_hms_opt(hour, minute, second)
        .map(|t| t.and_utc())
}

/// KeePass 1's "never expires": 2999-12-28 23:59:59.
fn is_never(t: &DateTime<Utc>) -> bool {
    t.format("%Y").to_string() == "2999"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_times() {
        // 2012-05-09 10:32:00 packed as KeePass 1 does.
        let (y, mo, d, h, mi, s) = (2012u32, 5u32, 9u32, 10u32, 32u32, 0u32);
        let packed = [
            (y >> 6) as u8,
            (((y & 0x3f) << 2) | (mo >> 2)) as u8,
            (((mo & 3) << 6) | (d << 1) | (h >> 4)) as u8,
            (((h & 0x0f) << 4) | (mi >> 2)) as u8,
            (((mi & 3) << 6) | s) as u8,
        ];
        let t = time(&packed).expect("time");
        assert_eq!(t.to_rfc3339(), "2012-05-09T10:32:00+00:00");
        assert!(time(&[0, 0, 0, 0, 0]).is_none());
    }
}
