//! One API key and everything that decides how bad its leak would be.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use thin_vec::ThinVec;
use uuid::Uuid;

use super::UnknownName;
use super::custom::CustomField;
use super::incident::Incident;
use super::ip::IpRule;
use crate::secret::SecretString;

/// Where a key is used.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Production: real money, real data.
    #[default]
    Prod,
    /// Testnet, sandbox or staging.
    Test,
    /// Anything else.
    Other,
}

impl Environment {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Prod => "prod",
            Environment::Test => "test",
            Environment::Other => "other",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "prod" | "production" | "live" => Ok(Environment::Prod),
            "test" | "testnet" | "sandbox" | "staging" => Ok(Environment::Test),
            "other" => Ok(Environment::Other),
            _ => Err(UnknownName::new("environment", s, "prod, test or other")),
        }
    }
}

/// The shape of a credential, without its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialKind {
    /// Key id + HMAC secret (+ optional passphrase).
    SharedSecret,
    /// Key id + private key + public key.
    KeyPair,
    /// A single bearer token.
    Token,
}

impl CredentialKind {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::SharedSecret => "shared-secret",
            CredentialKind::KeyPair => "key-pair",
            CredentialKind::Token => "token",
        }
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CredentialKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "shared-secret" | "hmac" | "secret" => Ok(CredentialKind::SharedSecret),
            "key-pair" | "keypair" => Ok(CredentialKind::KeyPair),
            "token" | "bearer" => Ok(CredentialKind::Token),
            _ => Err(UnknownName::new(
                "kind",
                s,
                "shared-secret, key-pair or token",
            )),
        }
    }
}

/// The credential parts. Secret parts are [`SecretString`]s; public parts are plain text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Credential {
    /// An HMAC key: public key id, secret, optional passphrase (OKX, KuCoin).
    SharedSecret {
        /// The public key id ("API key").
        key_id: CompactString,
        /// The signing secret.
        secret: SecretString,
        /// The passphrase some exchanges add.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        passphrase: Option<SecretString>,
    },
    /// An asymmetric key: the provider's key id, the private key (PEM), the public key (PEM).
    KeyPair {
        /// The key id the provider issued for the uploaded public key.
        key_id: CompactString,
        /// The private key, PKCS#8 PEM or whatever the provider issued.
        private_key: SecretString,
        /// The public key (PEM); not secret.
        public_key: String,
    },
    /// A bearer token.
    Token {
        /// The token.
        token: SecretString,
    },
}

/// The name of one credential part, as `get --field` and `exec` spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    /// The public key id.
    Key,
    /// The secret (HMAC secret or token).
    Secret,
    /// The passphrase.
    Passphrase,
    /// The private key.
    PrivateKey,
    /// The public key.
    PublicKey,
}

impl Field {
    /// Every field, in display order.
    pub const ALL: [Field; 5] = [
        Field::Key,
        Field::Secret,
        Field::Passphrase,
        Field::PrivateKey,
        Field::PublicKey,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Key => "key",
            Field::Secret => "secret",
            Field::Passphrase => "passphrase",
            Field::PrivateKey => "private-key",
            Field::PublicKey => "public-key",
        }
    }

    /// True for parts that must never be shown unless asked for.
    pub fn is_secret(self) -> bool {
        matches!(self, Field::Secret | Field::Passphrase | Field::PrivateKey)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "key" | "key-id" | "api-key" => Ok(Field::Key),
            "secret" | "token" => Ok(Field::Secret),
            "passphrase" => Ok(Field::Passphrase),
            "private-key" => Ok(Field::PrivateKey),
            "public-key" => Ok(Field::PublicKey),
            _ => Err(UnknownName::new(
                "field",
                s,
                "key, secret, passphrase, private-key or public-key",
            )),
        }
    }
}

/// A value of a credential part: secret parts stay wrapped.
#[derive(Debug, Clone, Copy)]
pub enum FieldValue<'a> {
    /// A public part (key id, public key).
    Public(&'a str),
    /// A secret part.
    Secret(&'a SecretString),
}

impl<'a> FieldValue<'a> {
    /// The plain text; for a secret this is the one deliberate exposure.
    pub fn expose(&self) -> &'a str {
        match self {
            FieldValue::Public(s) => s,
            FieldValue::Secret(s) => s.expose(),
        }
    }
}

impl Credential {
    /// An empty credential of the given kind.
    pub fn empty(kind: CredentialKind) -> Self {
        match kind {
            CredentialKind::SharedSecret => Credential::SharedSecret {
                key_id: CompactString::default(),
                secret: SecretString::default(),
                passphrase: None,
            },
            CredentialKind::KeyPair => Credential::KeyPair {
                key_id: CompactString::default(),
                private_key: SecretString::default(),
                public_key: String::new(),
            },
            CredentialKind::Token => Credential::Token {
                token: SecretString::default(),
            },
        }
    }

    /// The shape of this credential.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credential::SharedSecret { .. } => CredentialKind::SharedSecret,
            Credential::KeyPair { .. } => CredentialKind::KeyPair,
            Credential::Token { .. } => CredentialKind::Token,
        }
    }

    /// The public key id, empty for a token.
    pub fn key_id(&self) -> &str {
        match self {
            Credential::SharedSecret { key_id, .. } | Credential::KeyPair { key_id, .. } => key_id,
            Credential::Token { .. } => "",
        }
    }

    /// One part, or `None` when this kind has no such part or it is empty.
    pub fn field(&self, field: Field) -> Option<FieldValue<'_>> {
        let value = match (self, field) {
            (Credential::SharedSecret { key_id, .. }, Field::Key)
            | (Credential::KeyPair { key_id, .. }, Field::Key) => FieldValue::Public(key_id),
            (Credential::SharedSecret { secret, .. }, Field::Secret) => FieldValue::Secret(secret),
            (Credential::Token { token }, Field::Secret) => FieldValue::Secret(token),
            (
                Credential::SharedSecret {
                    passphrase: Some(p),
                    ..
                },
                Field::Passphrase,
            ) => FieldValue::Secret(p),
            (Credential::KeyPair { private_key, .. }, Field::PrivateKey) => {
                FieldValue::Secret(private_key)
            }
            (Credential::KeyPair { public_key, .. }, Field::PublicKey) => {
                FieldValue::Public(public_key)
            }
            _ => return None,
        };
        (!value.expose().is_empty()).then_some(value)
    }

    /// The part that rotation replaces: the secret, the token or the private key.
    pub fn primary_secret(&self) -> &SecretString {
        match self {
            Credential::SharedSecret { secret, .. } => secret,
            Credential::KeyPair { private_key, .. } => private_key,
            Credential::Token { token } => token,
        }
    }

    /// The field name of [`Credential::primary_secret`].
    pub fn primary_field(&self) -> Field {
        match self {
            Credential::KeyPair { .. } => Field::PrivateKey,
            _ => Field::Secret,
        }
    }

    /// Every secret part that is set, with its field name.
    pub fn secrets(&self) -> Vec<(Field, &SecretString)> {
        Field::ALL
            .iter()
            .filter(|f| f.is_secret())
            .filter_map(|f| match self.field(*f) {
                Some(FieldValue::Secret(s)) => Some((*f, s)),
                _ => None,
            })
            .collect()
    }
}

/// A permission granted at the provider. Lowercase text; the well-known ones have constants.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permission(CompactString);

impl Permission {
    /// Read account data.
    pub const READ: &'static str = "read";
    /// Place and cancel orders.
    pub const TRADE: &'static str = "trade";
    /// Move funds off the exchange.
    pub const WITHDRAW: &'static str = "withdraw";
    /// Move funds between accounts.
    pub const TRANSFER: &'static str = "transfer";

    /// A permission by name (trimmed, lowercased). `None` for an empty name.
    pub fn new(name: &str) -> Option<Self> {
        let name = name.trim().to_lowercase();
        (!name.is_empty()).then(|| Self(name.into()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for permissions that can move funds away: a leaked key holding one empties the
    /// account unless an IP whitelist stops the thief.
    pub fn moves_funds(&self) -> bool {
        matches!(self.0.as_str(), Self::WITHDRAW | Self::TRANSFER)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a key is in use.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// In use.
    #[default]
    Active,
    /// Disabled at the provider; kept for the record.
    Revoked,
    /// Known or suspected to have leaked; see the entry's incident.
    Compromised,
}

impl Status {
    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Revoked => "revoked",
            Status::Compromised => "compromised",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret that was replaced by a rotation, with the other parts that rotation replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// Which part it was.
    pub field: Field,
    /// The old value.
    pub value: SecretString,
    /// When that value came into use (the rotation or creation date before the rotation).
    pub in_use_since: DateTime<Utc>,
    /// When it was replaced.
    pub replaced_at: DateTime<Utc>,
    /// The key id used with the old value, when the same rotation replaced the key id too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The old passphrase, when the same rotation replaced it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<SecretString>,
    /// The old public key, when the same rotation replaced it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// One API key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// A stable identity that survives renames.
    pub id: Uuid,
    /// Unique in the vault.
    pub name: CompactString,
    /// Free text; presets name the common ones ("binance", "github").
    #[serde(default)]
    pub provider: CompactString,
    /// Where the key is used.
    #[serde(default)]
    pub environment: Environment,
    /// Free tags, sorted and unique.
    #[serde(default)]
    pub tags: ThinVec<CompactString>,
    /// What this key is for (one key per task).
    #[serde(default)]
    pub purpose: String,
    /// Free notes.
    #[serde(default)]
    pub notes: String,
    /// The credential parts.
    pub credential: Credential,
    /// The address the key is used at or managed from; empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Extra named fields (a TOTP seed, a recovery code, an account id), in display order.
    #[serde(default, skip_serializing_if = "ThinVec::is_empty")]
    pub custom_fields: ThinVec<CustomField>,
    /// Permissions granted at the provider, sorted and unique.
    #[serde(default)]
    pub permissions: ThinVec<Permission>,
    /// Addresses allowed to use the key; empty means unrestricted.
    #[serde(default)]
    pub ip_whitelist: ThinVec<IpRule>,
    /// Addresses refused.
    #[serde(default)]
    pub ip_blacklist: ThinVec<IpRule>,
    /// When the key was created at the provider.
    pub created_at: DateTime<Utc>,
    /// When the secret was last replaced; `None` means never since creation.
    #[serde(default)]
    pub rotated_at: Option<DateTime<Utc>>,
    /// When the key stops working; `None` means never (itself a finding).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When the key was last used, if known.
    #[serde(default)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Rotate every N days; `None` follows the vault default, `Some(0)` means no policy.
    #[serde(default)]
    pub rotate_every_days: Option<u32>,
    /// In use, revoked or compromised.
    #[serde(default)]
    pub status: Status,
    /// Set when the key was marked compromised. Boxed: few keys ever have one, and inline it
    /// would make every [`Entry`] 56 bytes larger (serialised the same either way).
    #[serde(default)]
    pub incident: Option<Box<Incident>>,
    /// Replaced secrets, oldest first.
    #[serde(default)]
    pub history: ThinVec<HistoryItem>,
    /// When this entry last changed, stamped by every save; absent in vaults written before
    /// merging existed (then [`Entry::last_change`] falls back to the creation or rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<DateTime<Utc>>,
}

impl Entry {
    /// A new active entry created `now`, with the given credential and nothing else set.
    pub fn new(name: impl Into<CompactString>, credential: Credential, now: DateTime<Utc>) -> Self {
        Entry {
            id: Uuid::new_v4(),
            name: name.into(),
            provider: CompactString::default(),
            environment: Environment::default(),
            tags: ThinVec::new(),
            purpose: String::new(),
            notes: String::new(),
            credential,
            url: String::new(),
            custom_fields: ThinVec::new(),
            permissions: ThinVec::new(),
            ip_whitelist: ThinVec::new(),
            ip_blacklist: ThinVec::new(),
            created_at: now,
            rotated_at: None,
            expires_at: None,
            last_used_at: None,
            rotate_every_days: None,
            status: Status::Active,
            incident: None,
            history: ThinVec::new(),
            modified_at: None,
        }
    }

    /// When this entry last changed: its `modified_at`, else the latest of creation and
    /// rotation (for entries written before `modified_at` existed).
    pub fn last_change(&self) -> DateTime<Utc> {
        self.modified_at
            .unwrap_or_else(|| self.secret_since().max(self.created_at))
    }

    /// When the current secret came into use: the last rotation, else the creation.
    pub fn secret_since(&self) -> DateTime<Utc> {
        self.rotated_at.unwrap_or(self.created_at)
    }

    /// Sets the tags, trimmed, without empties, sorted and unique.
    pub fn set_tags<I: IntoIterator<Item = S>, S: AsRef<str>>(&mut self, tags: I) {
        let mut tags: ThinVec<CompactString> = tags
            .into_iter()
            .map(|t| CompactString::from(t.as_ref().trim()))
            .filter(|t| !t.is_empty())
            .collect();
        tags.sort();
        tags.dedup();
        // Collected through a filter, the list has room for at least four; a vault of 100k
        // keys would carry that spare room in each (issue 10: import memory).
        tags.shrink_to_fit();
        self.tags = tags;
    }

    /// Sets the permissions, normalised, sorted and unique.
    pub fn set_permissions<I: IntoIterator<Item = S>, S: AsRef<str>>(&mut self, perms: I) {
        let mut perms: ThinVec<Permission> = perms
            .into_iter()
            .filter_map(|p| Permission::new(p.as_ref()))
            .collect();
        perms.sort();
        perms.dedup();
        perms.shrink_to_fit();
        self.permissions = perms;
    }

    /// Marks the key compromised at `now`, with the standard checklist.
    pub fn mark_compromised(&mut self, reason: impl Into<String>, now: DateTime<Utc>) {
        self.status = Status::Compromised;
        self.incident = Some(Box::new(Incident {
            reported_at: now,
            reason: reason.into(),
            checklist: Incident::standard_checklist(),
        }));
    }

    /// Marks the key revoked. An incident record, if any, is kept.
    pub fn revoke(&mut self) {
        self.status = Status::Revoked;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 12, 0, 0)
            .single()
            .expect("valid date")
    }

    fn shared(secret: &str) -> Credential {
        Credential::SharedSecret {
            key_id: "AKID".into(),
            secret: secret.into(),
            passphrase: Some("pp".into()),
        }
    }

    #[test]
    fn fields_by_kind() {
        let token = Credential::Token {
            token: "ghp_x".into(),
        };
        assert_eq!(
            token.field(Field::Secret).map(|v| v.expose()),
            Some("ghp_x")
        );
        assert!(token.field(Field::Key).is_none());
        assert!(token.field(Field::Passphrase).is_none());
        let s = shared("sec");
        assert_eq!(s.secrets().len(), 2);
        assert!(
            Credential::empty(CredentialKind::KeyPair)
                .secrets()
                .is_empty()
        );
    }

    #[test]
    fn tags_and_permissions_are_normalised() {
        let mut e = Entry::new("x", shared("s"), t(1));
        e.set_tags(["b", " a ", "", "b"]);
        assert_eq!(e.tags, vec!["a", "b"]);
        e.set_permissions(["Trade", "read", "trade", " "]);
        let names: Vec<&str> = e.permissions.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, vec!["read", "trade"]);
        assert!(Permission::new("WITHDRAW").is_some_and(|p| p.moves_funds()));
    }

    #[test]
    fn an_entry_stays_small() {
        // 100k imported keys in 4x a kdbx file's size (issue 10): short texts inline, lists
        // one word each. Printed so a change shows its figure.
        let size = std::mem::size_of::<Entry>();
        println!(
            "Entry: {size} bytes, Credential: {}",
            std::mem::size_of::<Credential>()
        );
        assert!(size <= 352, "Entry grew to {size} bytes");
    }

    #[test]
    fn parse_names() {
        assert_eq!(
            "key-pair".parse::<CredentialKind>(),
            Ok(CredentialKind::KeyPair)
        );
        assert_eq!("private_key".parse::<Field>(), Ok(Field::PrivateKey));
        assert_eq!("Production".parse::<Environment>(), Ok(Environment::Prod));
        assert!("moon".parse::<Environment>().is_err());
    }

    #[test]
    fn compromise_then_revoke_keeps_the_record() {
        let mut e = Entry::new("x", shared("s"), t(1));
        e.mark_compromised("pasted in a public gist", t(3));
        assert_eq!(e.status, Status::Compromised);
        let inc = e.incident.as_ref().expect("incident");
        assert_eq!(inc.checklist.len(), 5);
        e.revoke();
        assert_eq!(e.status, Status::Revoked);
        assert!(e.incident.is_some());
    }
}
