//! Rules about time: rotation age and the rotation policy in force.

use chrono::{DateTime, Duration, Utc};

use super::{Entry, VaultSettings};

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
}
