//! Rotation: a provider issues a new key, and every part it changed is replaced at once —
//! the secret (or token, or private key) always; the key id when the provider issues a new
//! one with the secret (Binance, OKX, Kraken); OKX's passphrase; a key pair's public key.
//! The old parts go to the history together, as one record.

use std::fmt;

use chrono::{DateTime, Utc};

use super::entry::{Credential, CredentialKind, Entry, Field, HistoryItem};
use crate::secret::SecretString;

/// The new parts of a rotation. `None` keeps a part as it is.
#[derive(Debug, Default)]
pub struct NewParts {
    /// The new secret, token or private key (always replaced).
    pub secret: SecretString,
    /// The new key id ("API key") the provider issued with the secret.
    pub key_id: Option<String>,
    /// The new passphrase (shared secrets only).
    pub passphrase: Option<SecretString>,
    /// The new public key (key pairs only).
    pub public_key: Option<String>,
}

impl NewParts {
    /// Only a new secret; every other part stays.
    pub fn secret(secret: SecretString) -> Self {
        NewParts {
            secret,
            ..NewParts::default()
        }
    }
}

/// Why a rotation was refused. Nothing changed. No message holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateError {
    /// The new secret (or another given part) is empty.
    Empty(Field),
    /// The new secret is the one in use.
    SameSecret,
    /// This kind of key has no such part.
    NoSuchPart(Field, CredentialKind),
}

impl fmt::Display for RotateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RotateError::Empty(field) => write!(f, "the new {} is empty", part_noun(*field)),
            RotateError::SameSecret => f.write_str("the new secret is the same as the current one"),
            RotateError::NoSuchPart(field, kind) => {
                write!(f, "a {kind} key has no {}", part_noun(*field))
            }
        }
    }
}

impl std::error::Error for RotateError {}

/// How a message names a part.
fn part_noun(field: Field) -> &'static str {
    match field {
        Field::Key => "key id",
        Field::Secret => "secret",
        Field::Passphrase => "passphrase",
        Field::PrivateKey => "private key",
        Field::PublicKey => "public key",
    }
}

impl Entry {
    /// Rotates the key: replaces the primary secret and each other part given in `new`,
    /// keeps the old values in one history record, and records the rotation at `now`.
    /// Refuses (changing nothing) an empty part, the secret in use, or a part this kind of
    /// key does not have. The app and the CLI both rotate through this.
    pub fn rotate_parts(&mut self, new: NewParts, now: DateTime<Utc>) -> Result<(), RotateError> {
        let kind = self.credential.kind();
        let primary = self.credential.primary_field();
        if new.secret.is_empty() {
            return Err(RotateError::Empty(primary));
        }
        if self.credential.primary_secret() == &new.secret {
            return Err(RotateError::SameSecret);
        }
        if new.key_id.is_some() && kind == CredentialKind::Token {
            return Err(RotateError::NoSuchPart(Field::Key, kind));
        }
        if new.passphrase.is_some() && kind != CredentialKind::SharedSecret {
            return Err(RotateError::NoSuchPart(Field::Passphrase, kind));
        }
        if new.public_key.is_some() && kind != CredentialKind::KeyPair {
            return Err(RotateError::NoSuchPart(Field::PublicKey, kind));
        }
        if new.key_id.as_deref().is_some_and(|k| k.trim().is_empty()) {
            return Err(RotateError::Empty(Field::Key));
        }
        if new.passphrase.as_ref().is_some_and(SecretString::is_empty) {
            return Err(RotateError::Empty(Field::Passphrase));
        }
        if new
            .public_key
            .as_deref()
            .is_some_and(|k| k.trim().is_empty())
        {
            return Err(RotateError::Empty(Field::PublicKey));
        }
        self.replace_parts(new, now);
        Ok(())
    }

    /// Replaces the primary secret with `new_secret` (and a key pair's public key with
    /// `new_public_key`) without the checks of [`Entry::rotate_parts`]: for tests and
    /// fixtures that build a history.
    pub fn rotate(
        &mut self,
        new_secret: SecretString,
        new_public_key: Option<String>,
        now: DateTime<Utc>,
    ) {
        let public_key =
            new_public_key.filter(|_| self.credential.kind() == CredentialKind::KeyPair);
        self.replace_parts(
            NewParts {
                public_key,
                ..NewParts::secret(new_secret)
            },
            now,
        );
    }

    fn replace_parts(&mut self, new: NewParts, now: DateTime<Utc>) {
        let field = self.credential.primary_field();
        let since = self.secret_since();
        let NewParts {
            secret,
            key_id: new_key_id,
            passphrase: new_passphrase,
            public_key: new_public_key,
        } = new;
        let mut old_key_id = None;
        let mut old_passphrase = None;
        let mut old_public_key = None;
        let mut swap_key_id = |key_id: &mut compact_str::CompactString| {
            if let Some(new) = new_key_id.as_deref().map(str::trim)
                && new != key_id.as_str()
            {
                old_key_id = Some(std::mem::replace(key_id, new.into()).to_string())
                    .filter(|k| !k.is_empty());
            }
        };
        let old = match &mut self.credential {
            Credential::SharedSecret {
                key_id,
                secret: current,
                passphrase,
            } => {
                swap_key_id(key_id);
                if let Some(new) = new_passphrase
                    && passphrase.as_ref() != Some(&new)
                {
                    old_passphrase = passphrase.replace(new).filter(|p| !p.is_empty());
                }
                std::mem::replace(current, secret)
            }
            Credential::KeyPair {
                key_id,
                private_key,
                public_key,
            } => {
                swap_key_id(key_id);
                if let Some(new) = new_public_key.map(|k| k.trim().to_owned())
                    && new != *public_key
                {
                    old_public_key =
                        Some(std::mem::replace(public_key, new)).filter(|k| !k.is_empty());
                }
                std::mem::replace(private_key, secret)
            }
            Credential::Token { token } => std::mem::replace(token, secret),
        };
        if !old.is_empty() {
            self.history.push(HistoryItem {
                field,
                value: old,
                in_use_since: since,
                replaced_at: now,
                key_id: old_key_id,
                passphrase: old_passphrase,
                public_key: old_public_key,
            });
        }
        self.rotated_at = Some(now);
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

    fn okx() -> Entry {
        Entry::new(
            "okx-bot",
            Credential::SharedSecret {
                key_id: "OLD-KID".into(),
                secret: "old".into(),
                passphrase: Some("old-pp".into()),
            },
            t(1),
        )
    }

    fn pair() -> Entry {
        Entry::new(
            "kp",
            Credential::KeyPair {
                key_id: "k1".into(),
                private_key: "PRIV1".into(),
                public_key: "PUB1".into(),
            },
            t(1),
        )
    }

    fn part(e: &Entry, field: Field) -> Option<&str> {
        e.credential.field(field).map(|v| v.expose())
    }

    #[test]
    fn rotate_moves_the_old_secret_to_history() {
        let mut e = okx();
        e.rotate_parts(NewParts::secret("new".into()), t(10))
            .expect("rotated");
        assert_eq!(e.credential.primary_secret().expose(), "new");
        assert_eq!(e.rotated_at, Some(t(10)));
        assert_eq!(e.history.len(), 1);
        let h = &e.history[0];
        assert_eq!(
            (h.field, h.value.expose(), h.in_use_since, h.replaced_at),
            (Field::Secret, "old", t(1), t(10))
        );
        assert_eq!((&h.key_id, &h.passphrase), (&None, &None));
        e.rotate_parts(NewParts::secret("newer".into()), t(20))
            .expect("rotated");
        assert_eq!(e.history[1].value.expose(), "new");
        assert_eq!(e.history[1].in_use_since, t(10));
        // parts not given are untouched
        assert_eq!(part(&e, Field::Passphrase), Some("old-pp"));
        assert_eq!(part(&e, Field::Key), Some("OLD-KID"));
    }

    #[test]
    fn every_part_of_an_okx_key_goes_to_one_history_record() {
        let mut e = okx();
        let new = NewParts {
            secret: "new".into(),
            key_id: Some(" NEW-KID ".into()),
            passphrase: Some("new-pp".into()),
            public_key: None,
        };
        e.rotate_parts(new, t(5)).expect("rotated");
        assert_eq!(part(&e, Field::Key), Some("NEW-KID"));
        assert_eq!(part(&e, Field::Secret), Some("new"));
        assert_eq!(part(&e, Field::Passphrase), Some("new-pp"));
        assert_eq!(e.history.len(), 1, "one record per rotation");
        let h = &e.history[0];
        assert_eq!(h.value.expose(), "old");
        assert_eq!(h.key_id.as_deref(), Some("OLD-KID"));
        assert_eq!(h.passphrase.as_ref().map(|p| p.expose()), Some("old-pp"));
        assert_eq!(h.public_key, None);
    }

    #[test]
    fn an_unchanged_key_id_or_passphrase_is_not_recorded_as_replaced() {
        let mut e = okx();
        let new = NewParts {
            secret: "new".into(),
            key_id: Some("OLD-KID".into()),
            passphrase: Some("old-pp".into()),
            public_key: None,
        };
        e.rotate_parts(new, t(5)).expect("rotated");
        assert_eq!(
            (&e.history[0].key_id, &e.history[0].passphrase),
            (&None, &None)
        );
    }

    #[test]
    fn a_key_pair_replaces_the_private_and_public_key_and_key_id() {
        let mut e = pair();
        let new = NewParts {
            secret: "PRIV2".into(),
            key_id: Some("k2".into()),
            passphrase: None,
            public_key: Some("PUB2\n".into()),
        };
        e.rotate_parts(new, t(2)).expect("rotated");
        assert_eq!(part(&e, Field::PublicKey), Some("PUB2"));
        assert_eq!(part(&e, Field::Key), Some("k2"));
        let h = &e.history[0];
        assert_eq!((h.field, h.value.expose()), (Field::PrivateKey, "PRIV1"));
        assert_eq!(h.public_key.as_deref(), Some("PUB1"));
        assert_eq!(h.key_id.as_deref(), Some("k1"));
    }

    #[test]
    fn refusals_change_nothing() {
        let token = Entry::new(
            "gh",
            Credential::Token {
                token: "ghp_old".into(),
            },
            t(1),
        );
        let cases: Vec<(Entry, NewParts, RotateError)> = vec![
            (
                okx(),
                NewParts::secret("".into()),
                RotateError::Empty(Field::Secret),
            ),
            (
                pair(),
                NewParts::secret("".into()),
                RotateError::Empty(Field::PrivateKey),
            ),
            (
                okx(),
                NewParts::secret("old".into()),
                RotateError::SameSecret,
            ),
            (
                okx(),
                NewParts {
                    key_id: Some("  ".into()),
                    ..NewParts::secret("n".into())
                },
                RotateError::Empty(Field::Key),
            ),
            (
                okx(),
                NewParts {
                    passphrase: Some("".into()),
                    ..NewParts::secret("n".into())
                },
                RotateError::Empty(Field::Passphrase),
            ),
            (
                token.clone(),
                NewParts {
                    key_id: Some("x".into()),
                    ..NewParts::secret("n".into())
                },
                RotateError::NoSuchPart(Field::Key, CredentialKind::Token),
            ),
            (
                pair(),
                NewParts {
                    passphrase: Some("x".into()),
                    ..NewParts::secret("n".into())
                },
                RotateError::NoSuchPart(Field::Passphrase, CredentialKind::KeyPair),
            ),
            (
                okx(),
                NewParts {
                    public_key: Some("x".into()),
                    ..NewParts::secret("n".into())
                },
                RotateError::NoSuchPart(Field::PublicKey, CredentialKind::SharedSecret),
            ),
        ];
        for (mut entry, new, want) in cases {
            let before = entry.clone();
            assert_eq!(entry.rotate_parts(new, t(3)), Err(want));
            assert_eq!(entry, before, "{want}");
        }
        assert_eq!(
            RotateError::NoSuchPart(Field::Passphrase, CredentialKind::KeyPair).to_string(),
            "a key-pair key has no passphrase"
        );
    }

    #[test]
    fn an_old_record_without_the_new_members_still_reads_and_writes_the_same() {
        let json = r#"{"field":"secret","value":"s","in_use_since":"2026-01-01T00:00:00Z","replaced_at":"2026-01-02T00:00:00Z"}"#;
        let item: HistoryItem = serde_json::from_str(json).expect("old record");
        assert_eq!(
            (&item.key_id, &item.passphrase, &item.public_key),
            (&None, &None, &None)
        );
        assert_eq!(serde_json::to_string(&item).expect("json"), json);
    }
}
