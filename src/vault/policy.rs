//! Rules about time: rotation age, the rotation policy in force, rotation and expiry states.
//!
//! Every date is stored in UTC; whole days are counted between UTC instants, so the answer
//! does not depend on the machine's time zone (the GUI shows dates in local time).

use chrono::{DateTime, Duration, Utc};

use super::{Entry, Status, VaultSettings};

/// Where a key stands against its rotation policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationState {
    /// No policy applies (period 0), or the key is revoked.
    NoPolicy,
    /// Due later than the lead time.
    Ok {
        /// When rotation is due.
        due_at: DateTime<Utc>,
    },
    /// Due within the lead time.
    DueSoon {
        /// When rotation is due.
        due_at: DateTime<Utc>,
        /// Whole days left (0 = due within a day).
        days_left: i64,
    },
    /// The due date has passed.
    Overdue {
        /// When rotation was due.
        due_at: DateTime<Utc>,
        /// Whole days since it was due (0 = less than a day).
        days_over: i64,
    },
}

impl RotationState {
    /// The rotation due date, when a policy applies.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        match *self {
            RotationState::NoPolicy => None,
            RotationState::Ok { due_at }
            | RotationState::DueSoon { due_at, .. }
            | RotationState::Overdue { due_at, .. } => Some(due_at),
        }
    }

    /// How urgent the rotation is: fine without a policy or before the lead time.
    pub fn urgency(&self) -> Urgency {
        match self {
            RotationState::NoPolicy | RotationState::Ok { .. } => Urgency::Fine,
            RotationState::DueSoon { .. } => Urgency::Soon,
            RotationState::Overdue { .. } => Urgency::Overdue,
        }
    }
}

/// Where a key stands against its expiry date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryState {
    /// No expiry date: the key works until someone revokes it.
    NotSet,
    /// Expires later than the lead time.
    Ok {
        /// When it expires.
        expires_at: DateTime<Utc>,
    },
    /// Expires within the lead time.
    ExpiringSoon {
        /// When it expires.
        expires_at: DateTime<Utc>,
        /// Whole days left (0 = expires within a day, e.g. later today).
        days_left: i64,
    },
    /// Has expired.
    Expired {
        /// When it expired.
        expires_at: DateTime<Utc>,
        /// Whole days since (0 = less than a day ago).
        days_ago: i64,
    },
}

impl ExpiryState {
    /// The expiry date, when one is set.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        match *self {
            ExpiryState::NotSet => None,
            ExpiryState::Ok { expires_at }
            | ExpiryState::ExpiringSoon { expires_at, .. }
            | ExpiryState::Expired { expires_at, .. } => Some(expires_at),
        }
    }

    /// How urgent the expiry is: fine when none is set or it is beyond the lead time.
    pub fn urgency(&self) -> Urgency {
        match self {
            ExpiryState::NotSet | ExpiryState::Ok { .. } => Urgency::Fine,
            ExpiryState::ExpiringSoon { .. } => Urgency::Soon,
            ExpiryState::Expired { .. } => Urgency::Overdue,
        }
    }
}

/// Whole days the current secret has been in use at `now` (0 for a date in the future).
pub fn rotation_age_days(entry: &Entry, now: DateTime<Utc>) -> i64 {
    (now - entry.secret_since()).num_days().max(0)
}

/// The rotation period in force for `entry`: its own, else the vault default. `None` when
/// there is no policy (a period of 0).
pub fn rotation_period_days(entry: &Entry, settings: &VaultSettings) -> Option<u32> {
    let days = entry
        .rotate_every_days
        .unwrap_or(settings.default_rotation_days);
    (days > 0).then_some(days)
}

/// When the current secret should be replaced, if a policy applies.
pub fn rotation_due_at(entry: &Entry, settings: &VaultSettings) -> Option<DateTime<Utc>> {
    rotation_period_days(entry, settings)
        .map(|days| entry.secret_since() + Duration::days(i64::from(days)))
}

/// How soon a date-driven task (rotation, expiry) needs doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    /// Nothing to do within the reminder lead time.
    Fine,
    /// Due within the vault's reminder lead time.
    Soon,
    /// Past its date.
    Overdue,
}

/// How urgent the rotation of `entry` is at `now` (a summary of [`rotation_state`]). A
/// revoked key, or one without a rotation policy, never needs rotating.
pub fn rotation_urgency(entry: &Entry, settings: &VaultSettings, now: DateTime<Utc>) -> Urgency {
    rotation_state(entry, settings, now).urgency()
}

/// How close `entry` is to its expiry at `now` (a summary of [`expiry_state`]); `None` when
/// it has no expiry date. A revoked key's expiry no longer matters ([`Urgency::Fine`]).
pub fn expiry_urgency(
    entry: &Entry,
    settings: &VaultSettings,
    now: DateTime<Utc>,
) -> Option<Urgency> {
    let state = expiry_state(entry, settings.reminder_lead_days, now);
    state.expires_at()?;
    Some(if entry.status == Status::Revoked {
        Urgency::Fine
    } else {
        state.urgency()
    })
}

/// True when no IP whitelist restricts the key: the list is empty or admits every address.
pub fn is_unrestricted(entry: &Entry) -> bool {
    entry.ip_whitelist.is_empty() || entry.ip_whitelist.iter().any(|r| r.is_everything())
}

/// The key's rotation state at `now`, with reminders starting `settings.reminder_lead_days`
/// before the due date. Revoked keys need no rotation.
pub fn rotation_state(
    entry: &Entry,
    settings: &VaultSettings,
    now: DateTime<Utc>,
) -> RotationState {
    if entry.status == Status::Revoked {
        return RotationState::NoPolicy;
    }
    let Some(due_at) = rotation_due_at(entry, settings) else {
        return RotationState::NoPolicy;
    };
    if now >= due_at {
        RotationState::Overdue {
            due_at,
            days_over: (now - due_at).num_days(),
        }
    } else {
        let days_left = (due_at - now).num_days();
        if days_left < i64::from(settings.reminder_lead_days) {
            RotationState::DueSoon { due_at, days_left }
        } else {
            RotationState::Ok { due_at }
        }
    }
}

/// The key's expiry state at `now`, with `lead_days` of warning.
pub fn expiry_state(entry: &Entry, lead_days: u32, now: DateTime<Utc>) -> ExpiryState {
    let Some(expires_at) = entry.expires_at else {
        return ExpiryState::NotSet;
    };
    if now >= expires_at {
        ExpiryState::Expired {
            expires_at,
            days_ago: (now - expires_at).num_days(),
        }
    } else {
        let days_left = (expires_at - now).num_days();
        if days_left < i64::from(lead_days) {
            ExpiryState::ExpiringSoon {
                expires_at,
                days_left,
            }
        } else {
            ExpiryState::Ok { expires_at }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Credential;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn age_counts_from_the_last_rotation() {
        let mut e = Entry::new("k", Credential::Token { token: "t".into() }, at(2024, 2, 1));
        assert_eq!(
            rotation_age_days(&e, at(2024, 3, 1)),
            29,
            "2024 is a leap year"
        );
        e.rotated_at = Some(at(2024, 2, 28));
        assert_eq!(rotation_age_days(&e, at(2024, 3, 1)), 2);
        assert_eq!(rotation_age_days(&e, at(2024, 1, 1)), 0, "never negative");
    }

    #[test]
    fn period_falls_back_to_the_vault_default_and_zero_means_none() {
        let settings = VaultSettings::default();
        let mut e = Entry::new("k", Credential::Token { token: "t".into() }, at(2025, 1, 1));
        assert_eq!(rotation_period_days(&e, &settings), Some(90));
        assert_eq!(rotation_due_at(&e, &settings), Some(at(2025, 4, 1)));
        e.rotate_every_days = Some(30);
        assert_eq!(rotation_due_at(&e, &settings), Some(at(2025, 1, 31)));
        e.rotate_every_days = Some(0);
        assert_eq!(rotation_period_days(&e, &settings), None);
        assert_eq!(rotation_due_at(&e, &settings), None);
    }

    #[test]
    fn urgency_of_rotation_and_expiry() {
        let settings = VaultSettings::default(); // 90-day rotation, 14-day lead
        let mut e = Entry::new("k", Credential::Token { token: "t".into() }, at(2025, 1, 1));
        assert_eq!(
            rotation_urgency(&e, &settings, at(2025, 2, 1)),
            Urgency::Fine
        );
        assert_eq!(
            rotation_urgency(&e, &settings, at(2025, 3, 25)),
            Urgency::Soon
        );
        assert_eq!(
            rotation_urgency(&e, &settings, at(2025, 4, 1)),
            Urgency::Overdue
        );
        assert_eq!(expiry_urgency(&e, &settings, at(2025, 2, 1)), None);
        e.expires_at = Some(at(2025, 2, 10));
        assert_eq!(
            expiry_urgency(&e, &settings, at(2025, 1, 2)),
            Some(Urgency::Fine)
        );
        assert_eq!(
            expiry_urgency(&e, &settings, at(2025, 2, 1)),
            Some(Urgency::Soon)
        );
        assert_eq!(
            expiry_urgency(&e, &settings, at(2025, 2, 10)),
            Some(Urgency::Overdue)
        );
        e.revoke();
        assert_eq!(
            rotation_urgency(&e, &settings, at(2026, 1, 1)),
            Urgency::Fine
        );
        assert_eq!(
            expiry_urgency(&e, &settings, at(2026, 1, 1)),
            Some(Urgency::Fine)
        );
    }

    #[test]
    fn unrestricted_means_no_whitelist_or_one_admitting_everything() {
        let mut e = Entry::new("k", Credential::Token { token: "t".into() }, at(2025, 1, 1));
        assert!(is_unrestricted(&e), "no whitelist");
        e.ip_whitelist = thin_vec::thin_vec!["0.0.0.0/0".parse().expect("rule")];
        assert!(is_unrestricted(&e), "0.0.0.0/0 restricts nothing");
        e.ip_whitelist = thin_vec::thin_vec!["203.0.113.7".parse().expect("rule")];
        assert!(!is_unrestricted(&e));
    }

    fn token_entry(created: DateTime<Utc>) -> Entry {
        Entry::new("k", Credential::Token { token: "t".into() }, created)
    }

    #[test]
    fn rotation_states_table() {
        let settings = VaultSettings {
            default_rotation_days: 30,
            reminder_lead_days: 7,
            ..VaultSettings::default()
        };
        let created = at(2025, 1, 1); // due 2025-01-31 09:00
        let due = at(2025, 1, 31);
        let cases = [
            (at(2025, 1, 10), RotationState::Ok { due_at: due }),
            (at(2025, 1, 24), RotationState::Ok { due_at: due }),
            (
                at(2025, 1, 25),
                RotationState::DueSoon {
                    due_at: due,
                    days_left: 6,
                },
            ),
            (
                due - Duration::hours(1),
                RotationState::DueSoon {
                    due_at: due,
                    days_left: 0,
                },
            ),
            (
                due,
                RotationState::Overdue {
                    due_at: due,
                    days_over: 0,
                },
            ),
            (
                at(2025, 3, 2),
                RotationState::Overdue {
                    due_at: due,
                    days_over: 30,
                },
            ),
        ];
        let e = token_entry(created);
        for (now, expected) in cases {
            assert_eq!(rotation_state(&e, &settings, now), expected, "at {now}");
        }
        let mut revoked = token_entry(created);
        revoked.revoke();
        assert_eq!(
            rotation_state(&revoked, &settings, at(2026, 1, 1)),
            RotationState::NoPolicy
        );
        let mut none = token_entry(created);
        none.rotate_every_days = Some(0);
        assert_eq!(
            rotation_state(&none, &settings, at(2030, 1, 1)),
            RotationState::NoPolicy
        );
    }

    #[test]
    fn rotation_due_across_a_leap_day() {
        let settings = VaultSettings {
            default_rotation_days: 1,
            ..VaultSettings::default()
        };
        let e = token_entry(at(2024, 2, 28));
        assert_eq!(rotation_due_at(&e, &settings), Some(at(2024, 2, 29)));
        let e = token_entry(at(2023, 2, 28));
        assert_eq!(rotation_due_at(&e, &settings), Some(at(2023, 3, 1)));
    }

    #[test]
    fn expiry_states_table() {
        let mut e = token_entry(at(2025, 1, 1));
        assert_eq!(expiry_state(&e, 14, at(2025, 6, 1)), ExpiryState::NotSet);
        // expires at midnight UTC starting 2025-06-15
        let exp = Utc
            .with_ymd_and_hms(2025, 6, 15, 0, 0, 0)
            .single()
            .expect("date");
        e.expires_at = Some(exp);
        let cases = [
            (at(2025, 5, 1), ExpiryState::Ok { expires_at: exp }),
            (
                at(2025, 6, 1),
                ExpiryState::ExpiringSoon {
                    expires_at: exp,
                    days_left: 13,
                },
            ),
            // expiry "today": later the same day it is still expiring, 0 days left
            (
                exp - Duration::hours(3),
                ExpiryState::ExpiringSoon {
                    expires_at: exp,
                    days_left: 0,
                },
            ),
            (
                exp,
                ExpiryState::Expired {
                    expires_at: exp,
                    days_ago: 0,
                },
            ),
            (
                at(2025, 6, 20),
                ExpiryState::Expired {
                    expires_at: exp,
                    days_ago: 5,
                },
            ),
        ];
        for (now, expected) in cases {
            assert_eq!(expiry_state(&e, 14, now), expected, "at {now}");
        }
        assert_eq!(
            expiry_state(&e, 0, at(2025, 6, 14)),
            ExpiryState::Ok { expires_at: exp }
        );
    }
}
