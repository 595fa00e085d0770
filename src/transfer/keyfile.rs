//! KeePass key files, read the way KeePassXC reads them: an XML key file (version 1.0 with
//! base64 data, version 2.0 with hex data and a checksum), a 32-byte binary file, a file of
//! 64 hex digits, or any other file, whose SHA-256 is the key.

use base64::Engine;
use quick_xml::events::Event;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Length of a key file's key.
pub const KEY_LEN: usize = 32;

/// Why a key file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    /// The file is empty.
    #[error("the key file is empty; choose the key file the database was created with")]
    Empty,
    /// An XML key file of a version KeePass never wrote.
    #[error("the XML key file has version {0}, which keyward does not know (1.0 and 2.0 are)")]
    Version(String),
    /// An XML key file whose data is not base64 (1.0) or hex (2.0).
    #[error("the XML key file's data is not valid {0}; the key file is damaged")]
    Data(&'static str),
    /// A version 2.0 key file whose checksum does not match its data.
    #[error("the XML key file's checksum does not match its data; the key file is damaged")]
    Checksum,
}

/// The 32-byte key a key file stands for.
pub fn key_of(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyFileError> {
    if bytes.is_empty() {
        return Err(KeyFileError::Empty);
    }
    if let Some(key) = xml_key(bytes)? {
        return Ok(key);
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() == KEY_LEN {
        key.copy_from_slice(bytes);
        return Ok(key);
    }
    if bytes.len() == 2 * KEY_LEN
        && let Some(decoded) = hex(bytes)
    {
        key.copy_from_slice(&decoded);
        return Ok(key);
    }
    key.copy_from_slice(&Sha256::digest(bytes));
    Ok(key)
}

/// A new XML version 2.0 key file holding 32 random bytes, as KeePassXC writes them.
pub fn new_xml_v2() -> Result<Zeroizing<String>, getrandom::Error> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    getrandom::fill(&mut key[..])?;
    let checksum = Sha256::digest(&key[..]);
    let hex_key = Zeroizing::new(upper_hex(&key[..]));
    let mut lines = String::new();
    for (i, chunk) in hex_key.as_bytes().chunks(8).enumerate() {
        lines.push_str(if i % 4 == 0 { "\n            " } else { " " });
        lines.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    Ok(Zeroizing::new(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeyFile>\n    <Meta>\n        \
         <Version>2.0</Version>\n    </Meta>\n    <Key>\n        <Data Hash=\"{}\">{lines}\n        \
         </Data>\n    </Key>\n</KeyFile>\n",
        upper_hex(&checksum[..4])
    )))
}

/// The key of an XML key file; `None` when the file is not one (not XML, or its root element
/// is not `KeyFile`), so the other forms are tried.
fn xml_key(bytes: &[u8]) -> Result<Option<Zeroizing<[u8; KEY_LEN]>>, KeyFileError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(None);
    };
    let mut reader = quick_xml::Reader::from_str(text.strip_prefix('\u{feff}').unwrap_or(text));
    let mut path: Vec<String> = Vec::new();
    let mut version: Option<String> = None;
    let mut data: Option<(Zeroizing<String>, Option<String>)> = None;
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            // Not well-formed XML: another key file form (KeePassXC does the same).
            Err(_) => return Ok(None),
        };
        match event {
            Event::Start(start) => {
                let name = start.name().as_ref().to_owned();
                if path.is_empty() && name != "KeyFile" {
                    return Ok(None);
                }
                if path == ["KeyFile", "Key"] && name == "Data" {
                    let hash = start
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == "Hash")
                        .map(|a| a.value.as_ref().to_owned());
                    data = Some((Zeroizing::new(String::new()), hash));
                }
                path.push(name);
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                if path == ["KeyFile", "Meta", "Version"] {
                    version = Some(content.trim().to_owned());
                } else if path == ["KeyFile", "Key", "Data"]
                    && let Some((d, _)) = data.as_mut()
                {
                    d.push_str(&content);
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Empty(start) if path.is_empty() && start.name().as_ref() != "KeyFile" => {
                return Ok(None);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let Some(version) = version else {
        return Ok(None);
    };
    let Some((text, hash)) = data else {
        return Ok(None);
    };
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
    let raw: Zeroizing<Vec<u8>> = if version.starts_with("1.0") {
        Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|_| KeyFileError::Data("base64"))?,
        )
    } else if version == "2.0" {
        let raw = Zeroizing::new(hex(compact.as_bytes()).ok_or(KeyFileError::Data("hex"))?);
        let expected = hash.as_deref().and_then(|h| hex(h.trim().as_bytes()));
        if expected.as_deref() != Some(&Sha256::digest(&raw[..])[..4]) {
            return Err(KeyFileError::Checksum);
        }
        raw
    } else {
        return Err(KeyFileError::Version(version));
    };
    if raw.is_empty() {
        return Err(KeyFileError::Data(if version == "2.0" {
            "hex"
        } else {
            "base64"
        }));
    }
    // Shorter data is zero-padded and longer data cut, as KeePassXC does.
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let n = raw.len().min(KEY_LEN);
    key[..n].copy_from_slice(&raw[..n]);
    Ok(Some(key))
}

/// Bytes of an even-length string of hex digits.
fn hex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

fn upper_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_hex_and_hashed_forms() {
        let binary = [7u8; 32];
        assert_eq!(*key_of(&binary).expect("binary"), binary);
        let hex_file = "0102".repeat(16);
        let key = key_of(hex_file.as_bytes()).expect("hex");
        assert_eq!(key[..2], [1, 2]);
        // 64 bytes that are not hex: hashed.
        let not_hex = "zz".repeat(32);
        let hashed = key_of(not_hex.as_bytes()).expect("hashed");
        assert_eq!(hashed[..], Sha256::digest(not_hex.as_bytes())[..]);
        assert_eq!(key_of(b""), Err(KeyFileError::Empty));
    }

    #[test]
    fn xml_v2_written_here_reads_back_and_a_changed_digit_fails_its_checksum() {
        let file = new_xml_v2().expect("random");
        let key = key_of(file.as_bytes()).expect("reads");
        assert_ne!(*key, [0u8; 32]);
        // Change one hex digit of the data (the first after the Hash attribute's element).
        let at = file.find("\">").expect("data") + 15;
        let mut bytes = file.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        assert_eq!(key_of(&bytes), Err(KeyFileError::Checksum));
    }

    #[test]
    fn xml_v1_is_base64_and_other_xml_is_hashed() {
        let v1 = format!(
            "<KeyFile><Meta><Version>1.00</Version></Meta><Key><Data>{}</Data></Key></KeyFile>",
            base64::engine::general_purpose::STANDARD.encode([9u8; 32])
        );
        assert_eq!(*key_of(v1.as_bytes()).expect("v1"), [9u8; 32]);
        let broken = v1.replace("<Data>", "<Data>!!");
        assert_eq!(key_of(broken.as_bytes()), Err(KeyFileError::Data("base64")));
        let other = b"<html><body>not a key file</body></html>";
        assert_eq!(
            key_of(other).expect("hashed")[..],
            Sha256::digest(other)[..]
        );
    }
}
