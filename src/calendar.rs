//! Rotation and expiry reminders as an iCalendar file (RFC 5545), so the user's own calendar
//! reminds them while keyward is closed. The file names keys and dates, never a secret.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::vault::policy;
use crate::vault::{Entry, Status, Vault};

/// One all-day reminder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    /// Stable across exports, so re-importing updates instead of duplicating.
    pub uid: String,
    /// The day of the event (UTC date of the due date; today for one already past).
    pub date: NaiveDate,
    /// The one-line title.
    pub summary: String,
    /// Details: provider, key id, where to rotate.
    pub description: String,
    /// True when the date is already past (the event was moved to today): its alarm fires at
    /// once instead of the lead time before.
    pub overdue: bool,
}

/// The reminders for every active or compromised key: one per rotation due date, one per
/// expiry. Dates already past are moved to today so the calendar still shows them.
pub fn reminders(vault: &Vault, now: DateTime<Utc>) -> Vec<Reminder> {
    let today = now.date_naive();
    let mut out = Vec::new();
    for entry in vault.entries.iter().filter(|e| e.status != Status::Revoked) {
        let what = describe(entry);
        if let Some(due_at) = policy::rotation_state(entry, &vault.settings, now).due_at() {
            let overdue = due_at <= now;
            out.push(Reminder {
                uid: format!("{}-rotation@keyward", entry.id),
                date: due_at.date_naive().max(today),
                summary: format!(
                    "{}Rotate API key {}",
                    if overdue { "Overdue: " } else { "" },
                    entry.name
                ),
                description: format!(
                    "{what}\nRotation due {} (every {} days).\nCreate a new key at the provider, \
                     then run: keyward rotate {}",
                    due_at.format("%Y-%m-%d"),
                    policy::rotation_period_days(entry, &vault.settings).unwrap_or_default(),
                    entry.name
                ),
                overdue,
            });
        }
        if let Some(expires_at) = entry.expires_at {
            let expired = expires_at <= now;
            out.push(Reminder {
                uid: format!("{}-expiry@keyward", entry.id),
                date: expires_at.date_naive().max(today),
                summary: format!(
                    "API key {} {}",
                    entry.name,
                    if expired { "has expired" } else { "expires" }
                ),
                description: format!(
                    "{what}\nExpires {}.\nCreate the replacement before then and rotate it in.",
                    expires_at.format("%Y-%m-%d %H:%M UTC")
                ),
                overdue: expired,
            });
        }
    }
    out.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.uid.cmp(&b.uid)));
    out
}

fn describe(entry: &Entry) -> String {
    let mut parts = vec![format!("Key: {}", entry.name)];
    if !entry.provider.is_empty() {
        parts.push(format!("Provider: {}", entry.provider));
    }
    parts.push(format!("Environment: {}", entry.environment));
    parts.join("\n")
}

/// The reminders as an RFC 5545 calendar, each event with a display alarm `lead_days`
/// before it (at the start of its day when 0, or when the reminder is already overdue).
pub fn to_ics(reminders: &[Reminder], lead_days: u32, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let mut line = |text: String| fold_into(&mut out, &text);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line(format!(
        "PRODID:-//keyward//keyward {}//EN",
        env!("CARGO_PKG_VERSION")
    ));
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line("X-WR-CALNAME:keyward API key reminders".into());
    for r in reminders {
        let trigger = if lead_days == 0 || r.overdue {
            "PT0S".to_owned()
        } else {
            format!("-P{lead_days}D")
        };
        let end = r.date + Duration::days(1);
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&r.uid)));
        line(format!("DTSTAMP:{stamp}"));
        line(format!("DTSTART;VALUE=DATE:{}", r.date.format("%Y%m%d")));
        line(format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
        line(format!("SUMMARY:{}", escape(&r.summary)));
        line(format!("DESCRIPTION:{}", escape(&r.description)));
        line("CATEGORIES:keyward".into());
        line("TRANSP:TRANSPARENT".into());
        line("BEGIN:VALARM".into());
        line("ACTION:DISPLAY".into());
        line(format!("DESCRIPTION:{}", escape(&r.summary)));
        line(format!("TRIGGER:{trigger}"));
        line("END:VALARM".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// RFC 5545 TEXT escaping: backslash, semicolon, comma, newline.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded at 75 octets (never inside a UTF-8 character), CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Credential;
    use chrono::TimeZone;

    #[test]
    fn folding_and_escaping() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        fold_into(&mut out, &long);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        assert_eq!(out.replace("\r\n ", ""), format!("{long}\r\n"));
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn past_dates_move_to_today_and_revoked_keys_are_left_out() {
        let now = Utc
            .with_ymd_and_hms(2026, 6, 1, 8, 0, 0)
            .single()
            .expect("date");
        let mut v = Vault::default();
        let mut old = Entry::new(
            "old",
            Credential::Token { token: "t".into() },
            now - Duration::days(200),
        );
        old.expires_at = Some(now + Duration::days(30));
        let mut gone = Entry::new("gone", Credential::Token { token: "u".into() }, now);
        gone.revoke();
        v.entries = vec![old, gone];
        let r = reminders(&v, now);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].date, now.date_naive());
        assert!(r[0].summary.starts_with("Overdue") && r[0].overdue);
        assert!(!r[1].overdue);
        let ics = to_ics(&r, 14, now);
        assert_eq!(
            ics.matches("TRIGGER:PT0S").count(),
            1,
            "the overdue one alarms at once"
        );
        assert_eq!(ics.matches("TRIGGER:-P14D").count(), 1);
        assert_eq!(r[1].date, (now + Duration::days(30)).date_naive());
    }
}
