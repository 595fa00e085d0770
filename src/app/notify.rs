//! Desktop notifications: a key whose rotation falls due or that expires while the app is
//! open, and a summary of what is due at the first unlock of the day. What is due is the
//! library's rule ([`crate::vault::audit::schedule`] and [`crate::vault::audit::due`], as the
//! Reminders view and `keyward due`). A notification names keys, never a secret. On or off
//! in Settings ([`super::AppPrefs::notifications`]).
//!
//! A notification is sent on a worker thread by the system's backend (`notify_os.rs`): the
//! freedesktop D-Bus service on Linux, `osascript` on macOS, a notification-area balloon on
//! Windows. Where the backend is missing (no session bus, no daemon, no osascript, no
//! notification area) the app says so once on stderr and carries on.

use chrono::{DateTime, Duration, Local, NaiveDate, Utc};

use crate::vault::Vault;
use crate::vault::audit::{self, DueReason, ScheduleKind};
use crate::vault::policy::Urgency;

/// Something that shows a desktop notification. Never blocks the caller.
pub trait Notifier: Send {
    /// Shows `summary` with `body`.
    fn notify(&self, summary: &str, body: &str);
}

/// A notifier that shows nothing (the default of a [`super::KeywardApp`] made by tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn notify(&self, _summary: &str, _body: &str) {}
}

/// The desktop's notifications (D-Bus on Linux, osascript on macOS, a balloon on Windows).
#[derive(Debug, Default, Clone, Copy)]
pub struct DesktopNotifier;

impl Notifier for DesktopNotifier {
    fn notify(&self, summary: &str, body: &str) {
        let (summary, body) = (summary.to_owned(), body.to_owned());
        let spawned = std::thread::Builder::new()
            .name("keyward-notify".into())
            .spawn(move || {
                if let Err(why) = super::notify_os::send(&summary, &body) {
                    say_once(&why);
                }
            });
        if spawned.is_err() {
            say_once("no thread could be started");
        }
    }
}

/// Says on stderr, once per run, that notifications are not shown.
fn say_once(why: &str) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::SeqCst) {
        eprintln!(
            "keyward: desktop notifications are not shown ({why}); the app carries on without them"
        );
    }
}

/// One notification to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Notice {
    pub summary: String,
    pub body: String,
}

/// How often the vault is looked at for dates that passed.
const CHECK_EVERY: i64 = 60;

/// The watch over the open vault's dates: what fell due since it last looked.
#[derive(Clone, Debug, Default)]
pub(crate) struct DueWatch {
    /// The vault was looked at up to here (`None`: locked).
    checked: Option<DateTime<Utc>>,
}

impl DueWatch {
    /// The vault was unlocked at `now`: the summary if this is the day's first unlock with
    /// notifications `on` and something is due (`summary_day` is the day of the last one; it
    /// becomes `today`). Dates already past are the summary's, not a notification each.
    pub fn unlocked(
        &mut self,
        vault: &Vault,
        now: DateTime<Utc>,
        on: bool,
        summary_day: &mut Option<NaiveDate>,
    ) -> Option<Notice> {
        self.checked = Some(now);
        let today = now.with_timezone(&Local).date_naive();
        if !on || *summary_day == Some(today) {
            return None;
        }
        *summary_day = Some(today);
        summary(&audit::due(vault, vault.settings.reminder_lead_days, now))
    }

    /// Locked: nothing is watched.
    pub fn locked(&mut self) {
        self.checked = None;
    }

    /// The keys whose rotation fell due or that expired since the last look, if a minute
    /// has passed (`None` when it is not time to look). Nothing shows when `on` is false,
    /// but the look moves on (turning notifications on does not bring back old ones).
    pub fn tick(&mut self, vault: &Vault, now: DateTime<Utc>, on: bool) -> Option<Vec<Notice>> {
        let since = self.checked?;
        if now - since < Duration::seconds(CHECK_EVERY) {
            return None;
        }
        self.checked = Some(now);
        if !on {
            return Some(Vec::new());
        }
        let notices = audit::schedule(vault, now)
            .into_iter()
            .filter(|d| d.urgency == Urgency::Overdue && d.at > since && d.at <= now)
            .map(|d| match d.kind {
                ScheduleKind::Rotation => Notice {
                    summary: format!("Rotation due: {}", d.name),
                    body: "Rotate it in keyward: select it and choose Rotate.".to_owned(),
                },
                ScheduleKind::Expiry => Notice {
                    summary: format!("Key expired: {}", d.name),
                    body: "Replace it at the provider, then rotate it in keyward.".to_owned(),
                },
            })
            .collect();
        Some(notices)
    }

    /// True while a vault is watched (unlocked).
    pub fn is_watching(&self) -> bool {
        self.checked.is_some()
    }

    /// When to look next so that a date passing while the app is idle is noticed: the
    /// earliest date of `schedule` (the vault's, earliest first) after `now`, at least the
    /// check interval away; `None` when locked or nothing is ahead.
    pub fn next_look(
        &self,
        schedule: &[audit::ScheduledDate],
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let since = self.checked?;
        let next = schedule.iter().map(|d| d.at).find(|at| *at > now)?;
        Some(next.max(since + Duration::seconds(CHECK_EVERY)))
    }
}

/// The day's summary of `due` (the due report over the reminder lead time), if anything is
/// due: how many of each kind, with their names.
fn summary(due: &[audit::DueItem]) -> Option<Notice> {
    if due.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    for (reason, title) in [
        (DueReason::RotationOverdue, "Rotation overdue"),
        (DueReason::Expired, "Expired"),
        (DueReason::RotationDueSoon, "Rotation due soon"),
        (DueReason::ExpiringSoon, "Expiring soon"),
    ] {
        let mut names: Vec<&str> = Vec::new();
        for item in due.iter().filter(|i| i.reason == reason) {
            if !names.contains(&item.name.as_str()) {
                names.push(&item.name);
            }
        }
        if !names.is_empty() {
            lines.push(format!("{title} ({}): {}", names.len(), names.join(", ")));
        }
    }
    let mut keys: Vec<&str> = due.iter().map(|i| i.name.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let count = keys.len();
    let noun = if count == 1 { "key needs" } else { "keys need" };
    Some(Notice {
        summary: format!("keyward: {count} {noun} attention today"),
        body: lines.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, Entry};
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
            .single()
            .expect("date")
    }

    /// A vault with a key that expires at `expires` and one rotated on day 1 every 10 days
    /// (due on day 11, noon).
    fn vault(expires: DateTime<Utc>) -> Vault {
        let mut vault = Vault::default();
        vault.settings.reminder_lead_days = 3;
        let token = || Credential::Token {
            token: "secret-token".into(),
        };
        let mut expiring = Entry::new("kraken-reporting", token(), at(1, 12));
        expiring.expires_at = Some(expires);
        expiring.rotate_every_days = Some(0);
        let mut rotating = Entry::new("okx-arbitrage", token(), at(1, 12));
        rotating.rotate_every_days = Some(10);
        rotating.expires_at = Some(at(28, 12) + Duration::days(400));
        vault.entries.push(expiring);
        vault.entries.push(rotating);
        vault
    }

    #[test]
    fn a_date_passing_while_open_notifies_once_and_names_the_key_only() {
        let vault = vault(at(5, 12));
        let mut watch = DueWatch::default();
        let mut day = Some(at(4, 9).with_timezone(&Local).date_naive());
        // Unlocked on day 4 at 9 (the day's summary already shown).
        assert_eq!(watch.unlocked(&vault, at(4, 9), true, &mut day), None);
        assert_eq!(
            watch.tick(&vault, at(4, 9) + Duration::seconds(30), true),
            None
        );
        assert_eq!(watch.tick(&vault, at(5, 11), true), Some(vec![]));
        let passed = watch.tick(&vault, at(5, 13), true).expect("looked");
        assert_eq!(
            passed,
            vec![Notice {
                summary: "Key expired: kraken-reporting".into(),
                body: "Replace it at the provider, then rotate it in keyward.".into(),
            }]
        );
        assert_eq!(
            watch.tick(&vault, at(6, 13), true),
            Some(vec![]),
            "only once"
        );
        let rotation = watch.tick(&vault, at(11, 13), true).expect("looked");
        assert_eq!(rotation.len(), 1);
        assert_eq!(rotation[0].summary, "Rotation due: okx-arbitrage");
        for notice in passed.iter().chain(&rotation) {
            assert!(!notice.body.contains("secret-"), "{notice:?}");
        }
    }

    #[test]
    fn off_shows_nothing_and_turning_on_brings_back_no_old_dates() {
        let vault = vault(at(5, 12));
        let mut watch = DueWatch::default();
        let mut day = None;
        assert_eq!(watch.unlocked(&vault, at(4, 9), false, &mut day), None);
        assert_eq!(day, None, "off: the day's summary is still to come");
        assert_eq!(watch.tick(&vault, at(5, 13), false), Some(vec![]));
        assert_eq!(watch.tick(&vault, at(5, 14), true), Some(vec![]));
    }

    #[test]
    fn locked_nothing_is_watched() {
        let vault = vault(at(5, 12));
        let mut watch = DueWatch::default();
        assert_eq!(watch.tick(&vault, at(6, 0), true), None, "never unlocked");
        let mut day = None;
        watch.unlocked(&vault, at(4, 9), true, &mut day);
        watch.locked();
        assert_eq!(watch.tick(&vault, at(6, 0), true), None);
        assert_eq!(
            watch.next_look(&audit::schedule(&vault, at(4, 10)), at(4, 10)),
            None
        );
    }

    #[test]
    fn the_summary_comes_at_the_first_unlock_of_the_day_only() {
        let vault = vault(at(5, 12));
        let mut watch = DueWatch::default();
        let mut day = None;
        // Day 3: the expiry (day 5) is within the 3-day lead, the rotation (day 11) is not.
        let first = watch
            .unlocked(&vault, at(3, 8), true, &mut day)
            .expect("summary");
        assert_eq!(first.summary, "keyward: 1 key needs attention today");
        assert_eq!(first.body, "Expiring soon (1): kraken-reporting");
        assert_eq!(day, Some(at(3, 8).with_timezone(&Local).date_naive()));
        assert_eq!(
            watch.unlocked(&vault, at(3, 8) + Duration::minutes(5), true, &mut day),
            None
        );
        // The next day: again; two kinds.
        let next = watch
            .unlocked(&vault, at(9, 12), true, &mut day)
            .expect("summary");
        assert_eq!(next.summary, "keyward: 2 keys need attention today");
        assert_eq!(
            next.body,
            "Expired (1): kraken-reporting\nRotation due soon (1): okx-arbitrage"
        );
    }

    #[test]
    fn a_day_with_nothing_due_shows_no_summary_but_counts_as_the_first_unlock() {
        let vault = vault(at(28, 12));
        let mut watch = DueWatch::default();
        let mut day = None;
        assert_eq!(watch.unlocked(&vault, at(2, 8), true, &mut day), None);
        assert!(day.is_some());
    }

    #[test]
    fn the_next_look_is_the_next_date_but_not_before_the_check_interval() {
        let vault = vault(at(5, 12));
        let mut watch = DueWatch::default();
        let mut day = None;
        watch.unlocked(&vault, at(4, 9), true, &mut day);
        assert_eq!(
            watch.next_look(&audit::schedule(&vault, at(4, 9)), at(4, 9)),
            Some(at(5, 12))
        );
        let soon = vault.clone();
        let mut watch = DueWatch::default();
        let start = at(5, 12) - Duration::seconds(5);
        watch.unlocked(&soon, start, true, &mut day);
        assert_eq!(
            watch.next_look(&audit::schedule(&soon, start), start),
            Some(start + Duration::seconds(CHECK_EVERY))
        );
        // Past the expiry and the rotation: the other key's expiry is next.
        assert_eq!(
            watch.next_look(&audit::schedule(&vault, at(20, 0)), at(20, 0)),
            Some(at(28, 12) + Duration::days(400))
        );
        assert_eq!(watch.next_look(&[], at(20, 0)), None, "nothing ahead");
    }
}
