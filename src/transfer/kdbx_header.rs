//! The outer header of a KeePass file, read before anything is decrypted: which kind of file
//! it is, where the header ends (for the KDBX 3.1 header hash) and which key derivation it
//! asks for (bounded by [`crate::store::kdf::check_work_factor`] before it runs).

use base64::Engine;
use quick_xml::events::Event;
use sha2::{Digest, Sha256};

use crate::store::kdf::ForeignKdf;

const SIGNATURE_1: [u8; 4] = [0x03, 0xd9, 0xa2, 0x9a];
const SIGNATURE_KDB: [u8; 4] = [0x65, 0xfb, 0x4b, 0xb5];
const SIGNATURE_KDBX: [u8; 4] = [0x67, 0xfb, 0x4b, 0xb5];

/// Which KeePass file a byte string claims to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// KeePass 1 (`.kdb`).
    Kdb,
    /// KeePass 2 (`.kdbx`) with this major version.
    Kdbx(u16),
    /// Neither.
    Unknown,
}

/// What the outer header of a KDBX file says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The major version (3 or 4).
    pub major: u16,
    /// Offset of the first byte after the header.
    pub end: usize,
    /// The key derivation, when the header names one keyward can weigh.
    pub kdf: Option<ForeignKdf>,
    /// The first thing wrong with the header's layout, if any: the file is then refused as
    /// damaged before anything is derived.
    pub flaw: Option<Flaw>,
}

/// A header layout keyward refuses, because readers would disagree about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// A field whose length is not the one its format fixes (the `keepass` crate would panic
    /// on it, or read past a 9-byte TransformRounds the bound never weighed).
    Length(u8),
    /// A field given twice: the work bound and the decryption could read different copies
    /// (found by fuzzing: a second TransformRounds ran unbounded).
    Repeated(u8),
    /// A KDBX 4 key-derivation parameter given twice, for the same reason.
    RepeatedParameter,
}

impl Flaw {
    /// What is wrong, as the end of "… is damaged: ".
    pub fn describe(self) -> String {
        match self {
            Flaw::Length(id) => {
                format!("its header field {id} does not have the length the KDBX format fixes")
            }
            Flaw::Repeated(id) => format!("its header field {id} appears more than once"),
            Flaw::RepeatedParameter => {
                "a key derivation parameter appears more than once in its header".to_owned()
            }
        }
    }
}

/// The KDF UUIDs of KDBX (`$UUID` in KDBX 4's KdfParameters).
pub(super) const KDF_AES_3: [u8; 16] = uuid(0xc9d9_f39a_628a_4460_bf74_0d08_c18a_4fea);
pub(super) const KDF_AES_4: [u8; 16] = uuid(0x7c02_bb82_79a7_4ac0_927d_114a_0064_8238);
pub(super) const KDF_ARGON2D: [u8; 16] = uuid(0xef63_6ddf_8c29_444b_91f7_a9a4_03e3_0a0c);
pub(super) const KDF_ARGON2ID: [u8; 16] = uuid(0x9e29_8b19_56db_4773_b23d_fc3e_c6f0_a1e6);

/// A UUID as the 16 bytes KDBX stores.
pub(super) const fn uuid(value: u128) -> [u8; 16] {
    value.to_be_bytes()
}

/// The length the KDBX format fixes for header field `id` (`wide`: KDBX 4), if any.
fn fixed_length(id: u8, wide: bool) -> Option<usize> {
    match (id, wide) {
        (2, _) => Some(16),             // CipherID
        (3, _) => Some(4),              // CompressionFlags
        (4, _) => Some(32),             // MasterSeed
        (5 | 8 | 9, false) => Some(32), // TransformSeed, ProtectedStreamKey, StreamStartBytes
        (6, false) => Some(8),          // TransformRounds
        (10, false) => Some(4),         // InnerRandomStreamID
        _ => None,
    }
}

/// The kind of KeePass file `bytes` claims to be.
pub fn kind(bytes: &[u8]) -> Kind {
    if bytes.get(..4) != Some(&SIGNATURE_1[..]) {
        return Kind::Unknown;
    }
    match bytes.get(4..8) {
        Some(s) if s == SIGNATURE_KDB => Kind::Kdb,
        Some(s) if s == SIGNATURE_KDBX => match u16_at(bytes, 10) {
            Some(major) => Kind::Kdbx(major),
            None => Kind::Unknown,
        },
        _ => Kind::Unknown,
    }
}

/// The outer header of a KDBX file; `None` when it cannot be walked (left to the parser,
/// which reports the file as truncated or damaged).
pub fn read(bytes: &[u8]) -> Option<Header> {
    let (major, fields, end) = fields(bytes)?;
    let wide = major >= 4;
    let mut kdf = None;
    let mut flaw = None;
    for (n, &(id, data)) in fields.iter().enumerate() {
        let dictionary = wide && matches!(id, 11 | 12); // KdfParameters, PublicCustomData
        if fixed_length(id, wide).is_some_and(|fixed| fixed != data.len())
            || (dictionary && !dictionary_lengths_ok(data))
        {
            flaw = flaw.or(Some(Flaw::Length(id)));
        }
        if fields[..n].iter().any(|f| f.0 == id) {
            flaw = flaw.or(Some(Flaw::Repeated(id)));
        }
        if dictionary && variant_dictionary(data).is_some_and(|items| repeats_a_name(&items)) {
            flaw = flaw.or(Some(Flaw::RepeatedParameter));
        }
        match (id, wide) {
            // KDBX 3: TransformRounds (AES-KDF).
            (6, false) => {
                if let Ok(raw) = <[u8; 8]>::try_from(data) {
                    kdf = Some(ForeignKdf::AesKdf {
                        rounds: u64::from_le_bytes(raw),
                    });
                }
            }
            // KDBX 4: KdfParameters, a variant dictionary.
            (11, true) => kdf = kdf_parameters(data),
            _ => {}
        }
    }
    Some(Header {
        major,
        end,
        kdf,
        flaw,
    })
}

/// The (id, data) fields of a header.
pub type Fields<'a> = Vec<(u8, &'a [u8])>;

/// The major version, the (id, data) fields and the end offset of a KDBX outer header.
pub fn fields(bytes: &[u8]) -> Option<(u16, Fields<'_>, usize)> {
    let Kind::Kdbx(major) = kind(bytes) else {
        return None;
    };
    let wide = major >= 4;
    let mut at = 12usize;
    let mut fields = Vec::new();
    loop {
        let id = *bytes.get(at)?;
        let (len, data_at) = if wide {
            (u32_at(bytes, at + 1)? as usize, at + 5)
        } else {
            (usize::from(u16_at(bytes, at + 1)?), at + 3)
        };
        let data = bytes.get(data_at..data_at.checked_add(len)?)?;
        if id == 0 {
            return Some((major, fields, data_at + len));
        }
        fields.push((id, data));
        at = data_at + len;
    }
}

/// False when an item of a KDBX 4 variant dictionary has a number type (UInt32, UInt64, Bool,
/// Int32, Int64) and a value of another length: the `keepass` crate panicked on a shorter one
/// (found by fuzzing) and a longer one hides its number from the work bound. A dictionary
/// cut short is left to the reader, which reports it.
fn dictionary_lengths_ok(data: &[u8]) -> bool {
    let mut at = 2usize;
    while at + 9 < data.len() {
        let kind = data[at];
        let Some(name_len) = u32_at(data, at + 1) else {
            return true;
        };
        let value_len_at = at + 5 + name_len as usize;
        let Some(value_len) = u32_at(data, value_len_at) else {
            return true;
        };
        let expected = match kind {
            0x04 | 0x0c => Some(4),
            0x05 | 0x0d => Some(8),
            0x08 => Some(1),
            _ => None,
        };
        if expected.is_some_and(|n| n != value_len) {
            return false;
        }
        at = value_len_at + 4 + value_len as usize;
    }
    true
}

/// The (name, value) items of a KDBX 4 variant dictionary.
pub fn variant_dictionary(data: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut at = 2usize; // the dictionary's version
    let mut items = Vec::new();
    while let Some(&kind) = data.get(at) {
        if kind == 0 {
            break;
        }
        let name_len = u32_at(data, at + 1)? as usize;
        let name_at = at + 5;
        let name = data.get(name_at..name_at.checked_add(name_len)?)?;
        let value_len = u32_at(data, name_at + name_len)? as usize;
        let value_at = name_at + name_len + 4;
        let value = data.get(value_at..value_at.checked_add(value_len)?)?;
        items.push((name, value));
        at = value_at + value_len;
    }
    Some(items)
}

/// True when two items of a variant dictionary have the same name.
fn repeats_a_name(items: &[(&[u8], &[u8])]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(n, item)| items[..n].iter().any(|earlier| earlier.0 == item.0))
}

/// A little-endian number of 4 or 8 bytes.
pub fn number(value: &[u8]) -> Option<u64> {
    match value.len() {
        4 => u32_at(value, 0).map(u64::from),
        8 => value.try_into().ok().map(u64::from_le_bytes),
        _ => None,
    }
}

/// The key derivation of a KDBX 4 `KdfParameters` variant dictionary: the one its `$UUID`
/// names (as the decryption reads it); for another UUID, AES-KDF when it holds rounds (`R`),
/// Argon2 when it holds memory or passes (`M`, `I`, `P`).
fn kdf_parameters(data: &[u8]) -> Option<ForeignKdf> {
    let (mut rounds, mut memory, mut iterations, mut parallelism) = (None, None, None, None);
    let mut named = None;
    for (name, value) in variant_dictionary(data)? {
        let number = number(value);
        match name {
            b"$UUID" => named = Some(value),
            b"R" => rounds = number,
            b"M" => memory = number,
            b"I" => iterations = number,
            b"P" => parallelism = number,
            _ => {}
        }
    }
    let argon2 = |memory: Option<u64>, iterations: Option<u64>, parallelism: Option<u64>| {
        ForeignKdf::Argon2 {
            memory_bytes: memory.unwrap_or(0),
            iterations: iterations.unwrap_or(0),
            parallelism: parallelism.unwrap_or(0),
        }
    };
    match named {
        Some(u) if u == KDF_AES_3 || u == KDF_AES_4 => {
            return Some(ForeignKdf::AesKdf {
                rounds: rounds.unwrap_or(0),
            });
        }
        Some(u) if u == KDF_ARGON2D || u == KDF_ARGON2ID => {
            return Some(argon2(memory, iterations, parallelism));
        }
        _ => {}
    }
    if let Some(rounds) = rounds {
        return Some(ForeignKdf::AesKdf { rounds });
    }
    if memory.is_none() && iterations.is_none() && parallelism.is_none() {
        return None;
    }
    Some(argon2(memory, iterations, parallelism))
}

/// For KDBX 3.1: whether the `Meta` › `HeaderHash` of the decrypted XML is the SHA-256 of
/// the outer header. `None` when the XML holds no header hash (KDBX 3.0 files have none).
pub fn header_hash_matches(bytes: &[u8], header: &Header, xml: &[u8]) -> Option<bool> {
    let stored = stored_header_hash(xml)?;
    let actual = Sha256::digest(bytes.get(..header.end)?);
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(stored.trim())
            .is_ok_and(|s| s[..] == actual[..]),
    )
}

/// The text of `KeePassFile` › `Meta` › `HeaderHash`, read without going past `Meta`.
fn stored_header_hash(xml: &[u8]) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut path: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(s) => {
                path.push(s.name().as_ref().to_owned());
                if path.len() == 2 && path[1] != "Meta" {
                    return None;
                }
            }
            Event::End(_) => {
                if path.len() == 2 {
                    return None;
                }
                path.pop();
            }
            Event::Text(t) if path.len() == 3 && path[2] == "HeaderHash" => {
                return Some(t.xml10_content().into_owned());
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn kdbx3_rounds_and_the_header_end() {
        let mut file = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 3, 0];
        file.extend([6, 8, 0]);
        file.extend(u64::MAX.to_le_bytes());
        file.extend([0, 4, 0, 13, 10, 13, 10]);
        let header = read(&file).expect("header");
        assert_eq!(header.major, 3);
        assert_eq!(header.end, file.len());
        assert_eq!(header.kdf, Some(ForeignKdf::AesKdf { rounds: u64::MAX }));
        assert_eq!(read(&file[..file.len() - 1]), None);
    }

    #[test]
    fn a_field_given_twice_is_a_flaw() {
        let mut file = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 3, 0];
        for rounds in [u64::MAX, 6000] {
            file.extend([6, 8, 0]);
            file.extend(rounds.to_le_bytes());
        }
        file.extend([0, 4, 0, 13, 10, 13, 10]);
        assert_eq!(read(&file).expect("header").flaw, Some(Flaw::Repeated(6)));
    }

    #[test]
    fn a_kdf_parameter_given_twice_is_a_flaw() {
        let file = kdbx4_with_kdf(&[(b"I", 2), (b"I", 1 << 40)]);
        assert_eq!(
            read(&file).expect("header").flaw,
            Some(Flaw::RepeatedParameter)
        );
        assert_eq!(
            read(&kdbx4_with_kdf(&[(b"I", 2)])).expect("header").flaw,
            None
        );
    }

    /// The decryption takes the KDF its `$UUID` names; so does the bound, even when the
    /// dictionary also holds an AES rounds item (which used to hide Argon2's memory).
    #[test]
    fn the_kdf_is_the_one_its_uuid_names() {
        let mut dict = vec![0x00, 0x01];
        let mut item = |kind: u8, name: &[u8], value: &[u8]| {
            dict.push(kind);
            dict.extend(u32::try_from(name.len()).expect("len").to_le_bytes());
            dict.extend(name);
            dict.extend(u32::try_from(value.len()).expect("len").to_le_bytes());
            dict.extend(value);
        };
        item(0x42, b"$UUID", &KDF_ARGON2ID);
        item(0x05, b"R", &10u64.to_le_bytes());
        item(0x05, b"M", &(1u64 << 40).to_le_bytes());
        item(0x05, b"I", &3u64.to_le_bytes());
        item(0x04, b"P", &2u32.to_le_bytes());
        dict.push(0);
        let mut file = vec![
            0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 4, 0, 11,
        ];
        file.extend(u32::try_from(dict.len()).expect("len").to_le_bytes());
        file.extend(&dict);
        file.extend([0, 0, 0, 0, 0]);
        assert_eq!(
            read(&file).expect("header").kdf,
            Some(ForeignKdf::Argon2 {
                memory_bytes: 1 << 40,
                iterations: 3,
                parallelism: 2,
            })
        );
    }

    /// A KDBX 4 header whose KdfParameters hold these UInt64 items and a UInt32 `P` = 8.
    pub(crate) fn kdbx4_with_kdf(items: &[(&[u8], u64)]) -> Vec<u8> {
        let mut dict = vec![0x00, 0x01]; // variant dictionary version 1.0
        for (name, value) in items {
            dict.push(0x05); // UInt64
            dict.extend(u32::try_from(name.len()).expect("len").to_le_bytes());
            dict.extend(*name);
            dict.extend(8u32.to_le_bytes());
            dict.extend(value.to_le_bytes());
        }
        dict.extend([0x04, 1, 0, 0, 0, b'P', 4, 0, 0, 0, 8, 0, 0, 0]);
        dict.push(0);
        let mut file = vec![0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 1, 0, 4, 0];
        file.push(11);
        file.extend(u32::try_from(dict.len()).expect("len").to_le_bytes());
        file.extend(&dict);
        file.extend([0, 0, 0, 0, 0]);
        file
    }

    #[test]
    fn kdbx4_argon2_parameters() {
        let file = kdbx4_with_kdf(&[(b"I", 2), (b"M", 1 << 30)]);
        let header = read(&file).expect("header");
        assert_eq!(
            header.kdf,
            Some(ForeignKdf::Argon2 {
                memory_bytes: 1 << 30,
                iterations: 2,
                parallelism: 8
            })
        );
        assert_eq!(kind(&file), Kind::Kdbx(4));
        let mut kdb = file.clone();
        kdb[4] = 0x65;
        assert_eq!(kind(&kdb), Kind::Kdb);
        assert_eq!(kind(b"not a database"), Kind::Unknown);
    }

    #[test]
    fn the_header_hash_is_found_in_meta_only() {
        let header = Header {
            major: 3,
            end: 3,
            kdf: None,
            flaw: None,
        };
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"abc"));
        let xml = format!(
            "<KeePassFile><Meta><Generator>x</Generator><HeaderHash>{hash}</HeaderHash></Meta></KeePassFile>"
        );
        assert_eq!(
            header_hash_matches(b"abcdef", &header, xml.as_bytes()),
            Some(true)
        );
        assert_eq!(
            header_hash_matches(b"abXdef", &header, xml.as_bytes()),
            Some(false)
        );
        let none = "<KeePassFile><Meta><Generator>x</Generator></Meta><Root/></KeePassFile>";
        assert_eq!(header_hash_matches(b"abc", &header, none.as_bytes()), None);
    }
}
