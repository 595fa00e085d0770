//! Key pairs and signatures (PRODUCT §9): generate Ed25519 and RSA key pairs for providers
//! that take the user's public key, and sign a sample payload with a stored secret or private
//! key, to check a bot's signing code against a known-good signature.
//!
//! Private keys are PKCS#8 PEM, public keys SPKI PEM (what `openssl pkey` reads and what
//! Binance and Bybit ask for). Every private value is held in zeroizing memory and no error
//! message ever quotes key material.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use rsa::pkcs8::LineEnding;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use zeroize::Zeroizing;

use crate::secret::SecretString;
use crate::vault::{Credential, CredentialKind};

/// What can go wrong when generating keys or signing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// An algorithm name that keyward does not know.
    #[error("unknown algorithm '{0}' ({1})")]
    UnknownAlgorithm(String, &'static str),
    /// An encoding name that keyward does not know.
    #[error("unknown encoding '{0}' (use hex or base64)")]
    UnknownEncoding(String),
    /// The operating system's random number generator failed.
    #[error("the system's random number generator failed: {0}")]
    Random(String),
    /// Key generation or PEM encoding failed.
    #[error("cannot generate the key: {0}")]
    Generate(String),
    /// The stored private key is not a PEM key keyward can sign with.
    #[error(
        "the private key is not an Ed25519 or RSA key in PKCS#8 (or PKCS#1) PEM; \
         keyward cannot sign with it"
    )]
    UnsupportedPrivateKey,
    /// The algorithm needs a different kind of credential, or another type of key.
    #[error("{alg} cannot sign with {what}")]
    WrongKey {
        /// The requested algorithm.
        alg: SignatureAlgorithm,
        /// What the entry holds instead.
        what: String,
    },
    /// The credential part needed for signing is empty.
    #[error("the key has no {0} to sign with")]
    Missing(&'static str),
    /// A bearer token is not a signing key; there is no default algorithm for it.
    #[error(
        "a bearer token is sent as it is, not used to sign; pass --alg hmac-sha256 (or \
         hmac-sha512) to use it as an HMAC key anyway"
    )]
    NoDefaultForToken,
    /// The signing primitive failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// The algorithm of a key pair that `keygen` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// RSA, 2048-bit modulus, exponent 65537.
    Rsa2048,
    /// RSA, 4096-bit modulus, exponent 65537.
    Rsa4096,
}

impl KeyAlgorithm {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Rsa2048 => "rsa-2048",
            KeyAlgorithm::Rsa4096 => "rsa-4096",
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "ed25519" => Ok(KeyAlgorithm::Ed25519),
            "rsa-2048" | "rsa2048" => Ok(KeyAlgorithm::Rsa2048),
            "rsa-4096" | "rsa4096" => Ok(KeyAlgorithm::Rsa4096),
            _ => Err(KeyError::UnknownAlgorithm(
                s.to_owned(),
                "use ed25519, rsa-2048 or rsa-4096",
            )),
        }
    }
}

/// A freshly generated key pair.
#[derive(Debug)]
pub struct GeneratedKeyPair {
    /// The private key, PKCS#8 PEM, without a final newline.
    pub private_key: SecretString,
    /// The public key, SPKI PEM (`BEGIN PUBLIC KEY`), without a final newline.
    pub public_key: String,
}

/// Generates a key pair with the operating system's random number generator.
pub fn generate(alg: KeyAlgorithm) -> Result<GeneratedKeyPair, KeyError> {
    let (private_pem, public_pem) = match alg {
        KeyAlgorithm::Ed25519 => {
            let mut seed = Zeroizing::new([0u8; 32]);
            getrandom::fill(seed.as_mut()).map_err(|e| KeyError::Random(e.to_string()))?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let private = ed25519_pkcs8_v1_pem(&seed);
            let public = key
                .verifying_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            (private, public)
        }
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa4096 => {
            let bits = if alg == KeyAlgorithm::Rsa2048 {
                2048
            } else {
                4096
            };
            let key = rsa::PrivateKey::new(&mut getrandom::SysRng, bits)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            let private = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            let public = key
                .to_public_key()
                .to_public_key_pem(LineEnding::LF)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            (private, public)
        }
    };
    Ok(GeneratedKeyPair {
        private_key: SecretString::from(private_pem.trim_end()),
        public_key: public_pem.trim_end().to_owned(),
    })
}

/// An Ed25519 private key as PKCS#8 v1 PEM (RFC 8410), the form `openssl genpkey` writes.
/// ed25519-dalek writes v2 (with the public key), which OpenSSL 3.0 cannot read.
fn ed25519_pkcs8_v1_pem(seed: &[u8; 32]) -> Zeroizing<String> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    let mut der = Zeroizing::new(Vec::with_capacity(48));
    der.extend_from_slice(&PREFIX);
    der.extend_from_slice(seed);
    let body = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der.as_slice()));
    let mut pem = Zeroizing::new(String::with_capacity(body.len() + 64));
    pem.push_str("-----BEGIN PRIVATE KEY-----\n");
    // 64 base64 characters: one line, as PEM wants at most 64 per line.
    pem.push_str(&body);
    pem.push_str("\n-----END PRIVATE KEY-----\n");
    pem
}

/// A signing algorithm of `keyward sign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// HMAC-SHA256 keyed with the secret's text (Binance, OKX, KuCoin, Bybit HMAC keys).
    HmacSha256,
    /// HMAC-SHA512 keyed with the secret's text.
    HmacSha512,
    /// Ed25519 over the payload (Binance Ed25519 keys).
    Ed25519,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (Binance and Bybit RSA keys).
    RsaSha256,
}

impl SignatureAlgorithm {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::HmacSha256 => "hmac-sha256",
            SignatureAlgorithm::HmacSha512 => "hmac-sha512",
            SignatureAlgorithm::Ed25519 => "ed25519",
            SignatureAlgorithm::RsaSha256 => "rsa-sha256",
        }
    }

    /// True for the HMAC algorithms (they sign with a shared secret, not a private key).
    pub fn is_hmac(self) -> bool {
        matches!(
            self,
            SignatureAlgorithm::HmacSha256 | SignatureAlgorithm::HmacSha512
        )
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "hmac-sha256" => Ok(SignatureAlgorithm::HmacSha256),
            "hmac-sha512" => Ok(SignatureAlgorithm::HmacSha512),
            "ed25519" => Ok(SignatureAlgorithm::Ed25519),
            "rsa-sha256" | "rsa" => Ok(SignatureAlgorithm::RsaSha256),
            _ => Err(KeyError::UnknownAlgorithm(
                s.to_owned(),
                "use hmac-sha256, hmac-sha512, ed25519 or rsa-sha256",
            )),
        }
    }
}

/// How a signature is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Lowercase hexadecimal.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

impl SignatureEncoding {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureEncoding::Hex => "hex",
            SignatureEncoding::Base64 => "base64",
        }
    }

    /// The signature bytes as text.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            SignatureEncoding::Hex => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }
}

impl fmt::Display for SignatureEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureEncoding {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hex" => Ok(SignatureEncoding::Hex),
            "base64" | "b64" => Ok(SignatureEncoding::Base64),
            _ => Err(KeyError::UnknownEncoding(s.to_owned())),
        }
    }
}

/// A parsed private key that can sign.
pub enum PrivateKey {
    /// An Ed25519 key (zeroized on drop by ed25519-dalek).
    Ed25519(Box<ed25519_dalek::SigningKey>),
    /// An RSA key (zeroized on drop by the rsa crate).
    Rsa(Box<rsa::PrivateKey>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrivateKey::Ed25519(_) => f.write_str("PrivateKey::Ed25519([redacted])"),
            PrivateKey::Rsa(_) => f.write_str("PrivateKey::Rsa([redacted])"),
        }
    }
}

impl PrivateKey {
    /// Parses an Ed25519 or RSA private key: PKCS#8 PEM, or PKCS#1 PEM for RSA.
    pub fn from_pem(pem: &SecretString) -> Result<Self, KeyError> {
        let text = pem.expose().trim();
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(text) {
            return Ok(PrivateKey::Ed25519(Box::new(key)));
        }
        if let Ok(key) = rsa::PrivateKey::from_pkcs8_pem(text) {
            return Ok(PrivateKey::Rsa(Box::new(key)));
        }
        if let Ok(key) = <rsa::PrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_pem(text)
        {
            return Ok(PrivateKey::Rsa(Box::new(key)));
        }
        Err(KeyError::UnsupportedPrivateKey)
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        match self {
            PrivateKey::Ed25519(_) => SignatureAlgorithm::Ed25519,
            PrivateKey::Rsa(_) => SignatureAlgorithm::RsaSha256,
        }
    }

    /// The matching public key as SPKI PEM, without a final newline.
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        let pem = match self {
            PrivateKey::Ed25519(k) => k.verifying_key().to_public_key_pem(LineEnding::LF),
            PrivateKey::Rsa(k) => k.to_public_key().to_public_key_pem(LineEnding::LF),
        }
        .map_err(|e| KeyError::Generate(e.to_string()))?;
        Ok(pem.trim_end().to_owned())
    }

    fn describe(&self) -> &'static str {
        match self {
            PrivateKey::Ed25519(_) => "an Ed25519 key",
            PrivateKey::Rsa(_) => "an RSA key",
        }
    }
}

/// The algorithm and encoding `sign` uses when none is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureScheme {
    /// The algorithm.
    pub algorithm: SignatureAlgorithm,
    /// The encoding of the printed signature.
    pub encoding: SignatureEncoding,
}

/// The default scheme for a credential, read from its provider preset's `signature` text
/// when there is one.
///
/// - Shared secret: HMAC-SHA512 when the preset's HMAC clause names SHA-512, else
///   HMAC-SHA256; the encoding that clause names, else hex.
/// - Key pair: the private key's own algorithm (Ed25519, or RSA-SHA256); the encoding the
///   preset's Ed25519/RSA clause names, else base64.
/// - Token: no default ([`KeyError::NoDefaultForToken`]).
///
/// The preset text is split into clauses at `;`; the clause naming the credential's family
/// decides, so "HMAC-SHA256 (hex) for HMAC keys; Ed25519 or RSA (base64) for key pairs"
/// gives hex for Binance shared secrets and base64 for its key pairs.
pub fn default_scheme(
    credential: &Credential,
    provider_signature: Option<&str>,
) -> Result<SignatureScheme, KeyError> {
    let clause = |words: &[&str]| -> Option<String> {
        provider_signature?
            .split(';')
            .map(str::to_ascii_lowercase)
            .find(|c| words.iter().any(|w| c.contains(w)))
    };
    let encoding_in = |clause: &Option<String>, fallback| match clause {
        Some(c) if c.contains("hex") => SignatureEncoding::Hex,
        Some(c) if c.contains("base64") => SignatureEncoding::Base64,
        _ => fallback,
    };
    match credential.kind() {
        CredentialKind::SharedSecret => {
            let c = clause(&["hmac"]);
            let algorithm = match &c {
                Some(c) if c.contains("sha512") || c.contains("sha-512") => {
                    SignatureAlgorithm::HmacSha512
                }
                _ => SignatureAlgorithm::HmacSha256,
            };
            Ok(SignatureScheme {
                algorithm,
                encoding: encoding_in(&c, SignatureEncoding::Hex),
            })
        }
        CredentialKind::KeyPair => {
            let key = signing_key(credential)?;
            let algorithm = key.algorithm();
            let c = match algorithm {
                SignatureAlgorithm::Ed25519 => clause(&["ed25519"]),
                _ => clause(&["rsa"]),
            };
            Ok(SignatureScheme {
                algorithm,
                encoding: encoding_in(&c, SignatureEncoding::Base64),
            })
        }
        CredentialKind::Token => Err(KeyError::NoDefaultForToken),
    }
}

fn signing_key(credential: &Credential) -> Result<PrivateKey, KeyError> {
    match credential {
        Credential::KeyPair { private_key, .. } if private_key.is_empty() => {
            Err(KeyError::Missing("private key"))
        }
        Credential::KeyPair { private_key, .. } => PrivateKey::from_pem(private_key),
        other => Err(KeyError::WrongKey {
            alg: SignatureAlgorithm::Ed25519,
            what: format!("a {}", other.kind()),
        }),
    }
}

/// Signs `payload` with the credential: HMAC with a shared secret's (or token's) text as
/// the key, Ed25519 or RSA-SHA256 (PKCS#1 v1.5) with a key pair's private key.
pub fn sign(
    credential: &Credential,
    algorithm: SignatureAlgorithm,
    payload: &[u8],
) -> Result<Vec<u8>, KeyError> {
    if algorithm.is_hmac() {
        let secret = match credential {
            Credential::SharedSecret { secret, .. } => secret,
            Credential::Token { token } => token,
            Credential::KeyPair { .. } => {
                return Err(KeyError::WrongKey {
                    alg: algorithm,
                    what: "a key pair (use ed25519 or rsa-sha256)".to_owned(),
                });
            }
        };
        if secret.is_empty() {
            return Err(KeyError::Missing("secret"));
        }
        return Ok(hmac_sign(algorithm, secret.expose().as_bytes(), payload));
    }
    let key = match credential {
        Credential::KeyPair { .. } => signing_key(credential)?,
        other => {
            return Err(KeyError::WrongKey {
                alg: algorithm,
                what: format!("a {} (use hmac-sha256 or hmac-sha512)", other.kind()),
            });
        }
    };
    match (algorithm, &key) {
        (SignatureAlgorithm::Ed25519, PrivateKey::Ed25519(k)) => {
            use ed25519_dalek::Signer as _;
            Ok(k.sign(payload).to_bytes().to_vec())
        }
        (SignatureAlgorithm::RsaSha256, PrivateKey::Rsa(k)) => {
            use rsa::signature::{SignatureEncoding as _, Signer as _};
            let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.as_ref().clone());
            let signature = signer
                .try_sign(payload)
                .map_err(|e| KeyError::Sign(e.to_string()))?;
            Ok(signature.to_vec())
        }
        _ => Err(KeyError::WrongKey {
            alg: algorithm,
            what: key.describe().to_owned(),
        }),
    }
}

fn hmac_sign(algorithm: SignatureAlgorithm, key: &[u8], payload: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; the fallback keeps
    // the function total without a panic path.
    match algorithm {
        SignatureAlgorithm::HmacSha512 => match hmac::Hmac::<sha2::Sha512>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(payload);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
        _ => match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(payload);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BINANCE_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const BINANCE_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    const BINANCE_SIGNATURE: &str =
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    const BINANCE_TEXT: &str =
        "HMAC-SHA256 (hex) for HMAC keys; Ed25519 or RSA (base64) for key pairs";

    fn shared(secret: &str) -> Credential {
        Credential::SharedSecret {
            key_id: Default::default(),
            secret: secret.into(),
            passphrase: None,
        }
    }

    fn pair(generated: GeneratedKeyPair) -> Credential {
        Credential::KeyPair {
            key_id: Default::default(),
            private_key: generated.private_key,
            public_key: generated.public_key,
        }
    }

    #[test]
    fn binance_published_hmac_example() {
        let sig = sign(
            &shared(BINANCE_SECRET),
            SignatureAlgorithm::HmacSha256,
            BINANCE_PAYLOAD.as_bytes(),
        )
        .expect("sign");
        assert_eq!(SignatureEncoding::Hex.encode(&sig), BINANCE_SIGNATURE);
    }

    #[test]
    fn rfc4231_hmac_sha512_case_2() {
        let sig = sign(
            &shared("Jefe"),
            SignatureAlgorithm::HmacSha512,
            b"what do ya want for nothing?",
        )
        .expect("sign");
        assert_eq!(
            SignatureEncoding::Hex.encode(&sig),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
    }

    #[test]
    fn encodings() {
        assert_eq!(SignatureEncoding::Hex.encode(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(SignatureEncoding::Base64.encode(b"ab?"), "YWI/");
        assert_eq!("B64".parse(), Ok(SignatureEncoding::Base64));
        assert!("base32".parse::<SignatureEncoding>().is_err());
    }

    #[test]
    fn ed25519_pair_signs_and_verifies() {
        use ed25519_dalek::Verifier as _;
        use ed25519_dalek::pkcs8::DecodePublicKey as _;
        let generated = generate(KeyAlgorithm::Ed25519).expect("generate");
        assert!(
            generated
                .private_key
                .expose()
                .starts_with("-----BEGIN PRIVATE KEY-----")
        );
        assert!(
            generated
                .public_key
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        let public =
            ed25519_dalek::VerifyingKey::from_public_key_pem(&generated.public_key).expect("spki");
        let key = PrivateKey::from_pem(&generated.private_key).expect("parse");
        assert_eq!(
            key.public_key_pem().expect("public"),
            generated.public_key,
            "the stored public key belongs to the private key"
        );
        let credential = pair(generated);
        let sig = sign(&credential, SignatureAlgorithm::Ed25519, b"hello").expect("sign");
        let sig = ed25519_dalek::Signature::from_slice(&sig).expect("64 bytes");
        assert!(public.verify(b"hello", &sig).is_ok());
        assert!(public.verify(b"hellO", &sig).is_err());
        assert!(matches!(
            sign(&credential, SignatureAlgorithm::RsaSha256, b"x"),
            Err(KeyError::WrongKey { .. })
        ));
        assert!(matches!(
            sign(&credential, SignatureAlgorithm::HmacSha256, b"x"),
            Err(KeyError::WrongKey { .. })
        ));
    }

    #[test]
    fn defaults_follow_kind_and_preset() {
        let scheme = default_scheme(&shared("s"), Some(BINANCE_TEXT)).expect("binance hmac");
        assert_eq!(
            (scheme.algorithm, scheme.encoding),
            (SignatureAlgorithm::HmacSha256, SignatureEncoding::Hex)
        );
        let okx = "HMAC-SHA256 (base64) over timestamp + method + path + body; key + secret";
        let scheme = default_scheme(&shared("s"), Some(okx)).expect("okx");
        assert_eq!(scheme.encoding, SignatureEncoding::Base64);
        let kraken = "HMAC-SHA512 over the URI path, secret base64-decoded";
        let scheme = default_scheme(&shared("s"), Some(kraken)).expect("kraken");
        assert_eq!(scheme.algorithm, SignatureAlgorithm::HmacSha512);
        let scheme = default_scheme(&shared("s"), None).expect("generic");
        assert_eq!(
            (scheme.algorithm, scheme.encoding),
            (SignatureAlgorithm::HmacSha256, SignatureEncoding::Hex)
        );

        let ed = pair(generate(KeyAlgorithm::Ed25519).expect("generate"));
        for text in [Some(BINANCE_TEXT), None] {
            let scheme = default_scheme(&ed, text).expect("ed25519");
            assert_eq!(
                (scheme.algorithm, scheme.encoding),
                (SignatureAlgorithm::Ed25519, SignatureEncoding::Base64)
            );
        }
        let hex_pairs = "HMAC-SHA256 (base64); Ed25519 (hex) for key pairs";
        let scheme = default_scheme(&ed, Some(hex_pairs)).expect("hex pairs");
        assert_eq!(scheme.encoding, SignatureEncoding::Hex);

        let token = Credential::Token { token: "t".into() };
        assert_eq!(
            default_scheme(&token, None),
            Err(KeyError::NoDefaultForToken)
        );
    }

    #[test]
    fn unreadable_private_keys_are_refused_without_quoting_them() {
        let bad = Credential::KeyPair {
            key_id: Default::default(),
            private_key:
                "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWdhcmJhZ2U=\n-----END PRIVATE KEY-----"
                    .into(),
            public_key: String::new(),
        };
        let err = sign(&bad, SignatureAlgorithm::Ed25519, b"x").expect_err("garbage key");
        assert_eq!(err, KeyError::UnsupportedPrivateKey);
        assert!(!err.to_string().contains("c2VjcmV0"));
        let empty = Credential::empty(CredentialKind::KeyPair);
        assert_eq!(
            sign(&empty, SignatureAlgorithm::Ed25519, b"x"),
            Err(KeyError::Missing("private key"))
        );
    }

    #[test]
    fn names_parse() {
        assert_eq!("RSA-4096".parse(), Ok(KeyAlgorithm::Rsa4096));
        assert!("dsa".parse::<KeyAlgorithm>().is_err());
        assert_eq!("hmac_sha512".parse(), Ok(SignatureAlgorithm::HmacSha512));
        assert!("md5".parse::<SignatureAlgorithm>().is_err());
    }
}
