//! A public key as OpenSSH writes it (`ssh-ed25519 AAAA…`) and its `SHA256:` fingerprint,
//! from the PEM (SubjectPublicKeyInfo) keyward stores: what a Bitwarden SSH key item holds.
//! Ed25519, ECDSA P-256/P-384 and RSA keys are understood; anything else is `None`.

use base64::Engine as _;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

/// The OpenSSH public key line and its fingerprint.
pub struct OpensshPublicKey {
    /// `TYPE BASE64` (no comment).
    pub line: String,
    /// `SHA256:` and the unpadded base64 of the SHA-256 of the key blob.
    pub fingerprint: String,
}

/// DER prefixes of the SubjectPublicKeyInfo of fixed-size keys, before the key bytes.
const ED25519_SPKI: &[u8] = &[
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const P256_SPKI: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
const P384_SPKI: &[u8] = &[
    0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
    0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
];

/// The OpenSSH form of a PEM public key, or `None` when it is not one keyward understands.
/// A line already in OpenSSH form is taken as it is.
pub fn from_pem(pem: &str) -> Option<OpensshPublicKey> {
    let pem = pem.trim();
    let blob = if pem.starts_with("ssh-") || pem.starts_with("ecdsa-") {
        let b64 = pem.split_whitespace().nth(1)?;
        base64::engine::general_purpose::STANDARD.decode(b64).ok()?
    } else {
        spki_to_blob(&spki_der(pem)?)?
    };
    let kind = blob_kind(&blob)?;
    let digest = Sha256::digest(&blob);
    Some(OpensshPublicKey {
        line: format!(
            "{kind} {}",
            base64::engine::general_purpose::STANDARD.encode(&blob)
        ),
        fingerprint: format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
        ),
    })
}

fn spki_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    if !pem.starts_with("-----BEGIN PUBLIC KEY-----") {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

fn spki_to_blob(der: &[u8]) -> Option<Vec<u8>> {
    let mut blob = Vec::new();
    if let Some(key) = der.strip_prefix(ED25519_SPKI).filter(|k| k.len() == 32) {
        put_string(&mut blob, b"ssh-ed25519");
        put_string(&mut blob, key);
    } else if let Some(point) = der.strip_prefix(P256_SPKI).filter(|k| k.len() == 65) {
        put_string(&mut blob, b"ecdsa-sha2-nistp256");
        put_string(&mut blob, b"nistp256");
        put_string(&mut blob, point);
    } else if let Some(point) = der.strip_prefix(P384_SPKI).filter(|k| k.len() == 97) {
        put_string(&mut blob, b"ecdsa-sha2-nistp384");
        put_string(&mut blob, b"nistp384");
        put_string(&mut blob, point);
    } else {
        let key = rsa::PublicKey::from_public_key_der(der).ok()?;
        put_string(&mut blob, b"ssh-rsa");
        put_mpint(&mut blob, &key.e().to_be_bytes_trimmed_vartime());
        put_mpint(&mut blob, &key.n().to_be_bytes_trimmed_vartime());
    }
    Some(blob)
}

/// The key type named at the start of an SSH key blob.
fn blob_kind(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4 + len)?;
    let name = std::str::from_utf8(name).ok()?;
    (name.starts_with("ssh-") || name.starts_with("ecdsa-")).then(|| name.to_owned())
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// An SSH mpint: big-endian, a leading zero byte when the top bit is set.
fn put_mpint(out: &mut Vec<u8>, bytes: &[u8]) {
    let trimmed: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(i) => &bytes[i..],
        None => &[],
    };
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        out.extend_from_slice(&((trimmed.len() + 1) as u32).to_be_bytes());
        out.push(0);
        out.extend_from_slice(trimmed);
    } else {
        put_string(out, trimmed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssh_lines_match_ssh_keygen() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/testdata/transfer/openssh");
        for name in ["ed25519", "ecdsab256", "ecdsab384", "rsab2048"] {
            let read = |ext: &str| {
                std::fs::read_to_string(dir.join(format!("{name}.{ext}")))
                    .unwrap_or_else(|e| panic!("{name}.{ext}: {e}"))
                    .trim()
                    .to_owned()
            };
            let key = from_pem(&read("pem")).unwrap_or_else(|| panic!("{name} is understood"));
            assert_eq!(key.line, read("pub"), "{name}");
            assert_eq!(key.fingerprint, read("fingerprint"), "{name}");
            let again = from_pem(&read("pub")).expect("an OpenSSH line is taken as it is");
            assert_eq!(again.fingerprint, key.fingerprint, "{name}");
        }
        assert!(from_pem("not a key").is_none());
        assert!(from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_none());
    }
}
