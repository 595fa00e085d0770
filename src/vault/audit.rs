//! The risk audit (PRODUCT §6) and the due report: what needs the user, most severe first,
//! each finding with why it matters and what to do.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::exposure::{self, PermissionRisk};
use super::policy::{self, ExpiryState, RotationState};
use super::providers::{Providers, Severity};
use super::{Entry, Status, Vault};

/// One risk finding about one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The key's name.
    pub name: String,
    /// How serious it is.
    pub severity: Severity,
    /// A stable identifier of the kind of finding (documented in docs/CLI.md).
    pub code: String,
    /// Why it matters, one line.
    pub reason: String,
    /// What to do, one line, as a CLI user does it (may name a `keyward` command).
    pub fix: String,
    /// What to do in the desktop app (what to click), when it differs from [`Finding::fix`];
    /// not part of the CLI's JSON.
    #[serde(skip)]
    pub fix_in_app: Option<String>,
}

impl Finding {
    /// The advice the desktop app shows: what to click, never a CLI command.
    pub fn app_fix(&self) -> &str {
        self.fix_in_app.as_deref().unwrap_or(&self.fix)
    }
}

/// The app's wording of the findings whose CLI advice names a command.
fn fix_in_app(code: &str, key_page: &str, provider_expires_keys: bool) -> Option<String> {
    Some(match code {
        "found_in_plain_text" => "replace the value in that file with a keyward:// reference, \
             click Rotate… in the key's panel, then Edit and remove the found-in-plain-text tag"
            .to_owned(),
        "rotation_overdue" => {
            format!(
                "create a new key at the provider{key_page}, then click Rotate… in the key's panel"
            )
        }
        "no_expiry" if provider_expires_keys => {
            "this provider can expire keys: set an expiry there, then Edit › Expires here"
                .to_owned()
        }
        "no_expiry" => "click Edit and set Expires, or rotate on schedule".to_owned(),
        _ => return None,
    })
}

impl Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The finding codes keyward itself raises, in the order PRODUCT §6 ranks them; provider
/// rules come after these at equal severity.
pub const CODES: [&str; 10] = [
    "compromised",
    "found_in_plain_text",
    "withdraw_without_ip_whitelist",
    "trade_without_ip_whitelist",
    "rotation_overdue",
    "expired",
    "expiring_soon",
    "no_expiry",
    "duplicate_secret",
    "unrestricted_ip",
];

fn code_rank(code: &str) -> usize {
    CODES.iter().position(|c| *c == code).unwrap_or(CODES.len())
}

fn days_text(days: i64) -> String {
    match days {
        0 => "today".to_owned(),
        1 => "1 day".to_owned(),
        n => format!("{n} days"),
    }
}

/// Every finding for the vault at `now`, most severe first (then by §6's order, then name).
/// Revoked keys raise nothing: they no longer work.
pub fn audit(vault: &Vault, providers: &Providers, now: DateTime<Utc>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let duplicates = duplicate_secrets(vault);
    for entry in vault.entries.iter().filter(|e| e.status != Status::Revoked) {
        entry_findings(entry, vault, providers, now, &mut findings);
        if let Some(others) = duplicates.get(entry.name.as_str()) {
            findings.push(Finding {
                name: entry.name.to_string(),
                severity: Severity::High,
                code: "duplicate_secret".into(),
                reason: format!(
                    "the same secret is also stored in {}: one leak exposes both, and rotating one \
                     leaves the other",
                    others.join(", ")
                ),
                fix: "use one key per task: create a separate key at the provider for each use"
                    .into(),
                fix_in_app: None,
            });
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| code_rank(&a.code).cmp(&code_rank(&b.code)))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.code.cmp(&b.code))
    });
    findings
}

/// True when a finding is serious enough to count toward "needs attention" (medium or worse).
pub fn needs_attention(finding: &Finding) -> bool {
    finding.severity >= Severity::Medium
}

fn entry_findings(
    entry: &Entry,
    vault: &Vault,
    providers: &Providers,
    now: DateTime<Utc>,
    out: &mut Vec<Finding>,
) {
    let settings = &vault.settings;
    let preset = providers.find(&entry.provider);
    let key_page = preset
        .map(|p| format!(" ({})", p.key_page))
        .unwrap_or_default();
    let expires_keys = preset.is_some_and(|p| p.supports_expiry);
    let mut push = |severity, code: &str, reason: String, fix: String| {
        out.push(Finding {
            name: entry.name.to_string(),
            severity,
            code: code.to_owned(),
            reason,
            fix,
            fix_in_app: fix_in_app(code, &key_page, expires_keys),
        })
    };

    if entry.status == Status::Compromised {
        let open = entry
            .incident
            .as_ref()
            .map(|i| i.checklist.iter().filter(|c| c.done_at.is_none()).count())
            .unwrap_or(1);
        if open > 0 {
            push(
                Severity::Critical,
                "compromised",
                format!("marked compromised and still active: {open} incident step(s) open"),
                format!(
                    "disable the key at the provider{key_page}, rotate it, then tick the checklist \
                     or revoke it"
                ),
            );
        }
    }
    if entry.tags.iter().any(|t| t == "found-in-plain-text") {
        push(
            Severity::High,
            "found_in_plain_text",
            "this key was found in plain text in a file (its notes say where): anyone who can \
             read that file, its backups or its git history has it"
                .into(),
            "replace it there with a keyward:// reference (`keyward scan --unknown --add \
             --replace`), rotate it, then remove the found-in-plain-text tag"
                .into(),
        );
    }
    match exposure::unrestricted_severity(entry) {
        Some(Severity::Critical) => {
            let moves_funds: Vec<&str> = entry
                .permissions
                .iter()
                .filter(|p| exposure::permission_risk(p) == PermissionRisk::MovesFunds)
                .map(|p| p.as_str())
                .collect();
            push(
                Severity::Critical,
                "withdraw_without_ip_whitelist",
                format!(
                    "{} permission with no IP whitelist: whoever holds the key can move funds \
                     from anywhere",
                    moves_funds.join("/")
                ),
                format!(
                    "whitelist your servers' IPs at the provider{key_page}, or drop the permission"
                ),
            );
        }
        Some(Severity::High) => push(
            Severity::High,
            "trade_without_ip_whitelist",
            "trade permission with no IP whitelist: a leaked key can trade your account from \
             anywhere (pump-and-dump)"
                .into(),
            format!("whitelist your bot's IPs at the provider{key_page}"),
        ),
        Some(_) => push(
            Severity::Low,
            "unrestricted_ip",
            "no IP whitelist: a leaked key works from any address".into(),
            "whitelist the addresses that use it, if the provider allows".into(),
        ),
        None => {}
    }
    if let RotationState::Overdue { days_over, .. } = policy::rotation_state(entry, settings, now) {
        let age = policy::rotation_age_days(entry, now);
        push(
            Severity::High,
            "rotation_overdue",
            format!(
                "rotation overdue by {}: the secret is {age} days old, and the older a secret the \
                 more places it has leaked to",
                days_text(days_over)
            ),
            format!("create a new key at the provider{key_page} and run `keyward rotate`"),
        );
    }
    match policy::expiry_state(entry, settings.reminder_lead_days, now) {
        ExpiryState::Expired { days_ago, .. } => push(
            Severity::High,
            "expired",
            format!(
                "expired {}: anything using it has stopped working",
                if days_ago == 0 {
                    "today".to_owned()
                } else {
                    format!("{} ago", days_text(days_ago))
                }
            ),
            "replace it with a new key and rotate, or revoke it if it is no longer used".into(),
        ),
        ExpiryState::ExpiringSoon { days_left, .. } => push(
            Severity::Medium,
            "expiring_soon",
            format!(
                "expires {}: whatever uses it will stop working",
                if days_left == 0 {
                    "today".to_owned()
                } else {
                    format!("in {}", days_text(days_left))
                }
            ),
            "create the replacement now and rotate before the date".into(),
        ),
        ExpiryState::NotSet => push(
            Severity::Low,
            "no_expiry",
            "no expiry date: a forgotten copy works forever".into(),
            if expires_keys {
                "this provider can expire keys: set an expiry there and with `keyward edit \
                 --expires`"
                    .into()
            } else {
                "record the expiry with `keyward edit --expires`, or rotate on schedule".into()
            },
        ),
        ExpiryState::Ok { .. } => {}
    }
    for rule in preset.map(|p| p.rules.as_slice()).unwrap_or_default() {
        let Some(bites_at) = rule.bites_at(entry) else {
            continue;
        };
        let lead = Duration::days(i64::from(settings.reminder_lead_days));
        if rule.after_days.is_some() && now < bites_at - lead {
            continue;
        }
        let when = if rule.after_days.is_none() {
            String::new()
        } else if now >= bites_at {
            format!(" (since {})", bites_at.format("%Y-%m-%d"))
        } else {
            format!(" (on {})", bites_at.format("%Y-%m-%d"))
        };
        push(
            rule.severity,
            &rule.code,
            format!("{}{when}", rule.reason),
            format!("{} — {}", rule.fix, rule.source),
        );
    }
}

/// For each key whose secret (any secret part) is also stored in another active key: the
/// names of those others.
fn duplicate_secrets(vault: &Vault) -> HashMap<&str, Vec<String>> {
    let mut by_value: HashMap<&str, Vec<&str>> = HashMap::new();
    for entry in vault.entries.iter().filter(|e| e.status != Status::Revoked) {
        for (_, secret) in entry.credential.secrets() {
            let names = by_value.entry(secret.expose()).or_default();
            if !names.contains(&entry.name.as_str()) {
                names.push(&entry.name);
            }
        }
    }
    let mut out: HashMap<&str, Vec<String>> = HashMap::new();
    for names in by_value.values().filter(|n| n.len() > 1) {
        for name in names {
            let others = out.entry(name).or_default();
            for other in names.iter().filter(|o| *o != name) {
                if !others.iter().any(|x| x == other) {
                    others.push((*other).to_owned());
                }
            }
        }
    }
    for others in out.values_mut() {
        others.sort();
    }
    out
}

/// Why a key appears in the due report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueReason {
    /// The rotation due date has passed.
    RotationOverdue,
    /// Rotation is due within the window.
    RotationDueSoon,
    /// The key has expired.
    Expired,
    /// The key expires within the window.
    ExpiringSoon,
}

impl DueReason {
    /// True for the reasons that make `keyward due` exit 1.
    pub fn is_overdue(self) -> bool {
        matches!(self, DueReason::RotationOverdue | DueReason::Expired)
    }
}

/// One line of the due report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DueItem {
    /// The key's name.
    pub name: String,
    /// Why it is listed.
    pub reason: DueReason,
    /// The rotation due date or the expiry.
    pub due_at: DateTime<Utc>,
    /// Whole days from `now` to `due_at`: negative when past.
    pub days: i64,
}

/// Rotations and expiries that are past or fall within `within_days` of `now`, soonest
/// (most overdue) first. Revoked keys are left out.
pub fn due(vault: &Vault, within_days: u32, now: DateTime<Utc>) -> Vec<DueItem> {
    use policy::Urgency;
    dated_tasks(vault, within_days, now)
        .into_iter()
        .filter_map(|task| {
            let reason = match (task.kind, task.urgency) {
                (_, Urgency::Fine) => return None,
                (ScheduleKind::Rotation, Urgency::Overdue) => DueReason::RotationOverdue,
                (ScheduleKind::Rotation, Urgency::Soon) => DueReason::RotationDueSoon,
                (ScheduleKind::Expiry, Urgency::Overdue) => DueReason::Expired,
                (ScheduleKind::Expiry, Urgency::Soon) => DueReason::ExpiringSoon,
            };
            Some(DueItem {
                name: task.name,
                reason,
                due_at: task.at,
                days: task.days,
            })
        })
        .collect()
}

/// Which date of a key a [`ScheduledDate`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// The rotation due date.
    Rotation,
    /// The expiry.
    Expiry,
}

/// One dated task of one key: its rotation due date or its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduledDate {
    /// The key's identity.
    pub id: uuid::Uuid,
    /// The key's name.
    pub name: String,
    /// Rotation or expiry.
    pub kind: ScheduleKind,
    /// The date itself.
    pub at: DateTime<Utc>,
    /// Whole days from `now` to `at`: negative when past.
    pub days: i64,
    /// Past, within the vault's reminder lead time, or later.
    pub urgency: policy::Urgency,
}

/// Every rotation due date and expiry of the keys that are not revoked, earliest first (so
/// what is past comes first), each with its urgency under the vault's reminder lead time.
pub fn schedule(vault: &Vault, now: DateTime<Utc>) -> Vec<ScheduledDate> {
    dated_tasks(vault, vault.settings.reminder_lead_days, now)
}

/// Every rotation due date and expiry of the keys that are not revoked, earliest first,
/// with urgencies under a lead time of `lead_days`: what both the due report and the
/// schedule are made of.
fn dated_tasks(vault: &Vault, lead_days: u32, now: DateTime<Utc>) -> Vec<ScheduledDate> {
    let settings = super::VaultSettings {
        reminder_lead_days: lead_days,
        ..vault.settings.clone()
    };
    let mut out = Vec::new();
    for entry in vault.entries.iter().filter(|e| e.status != Status::Revoked) {
        let rotation = policy::rotation_state(entry, &settings, now);
        let expiry = policy::expiry_state(entry, lead_days, now);
        let dates = [
            (
                ScheduleKind::Rotation,
                rotation.due_at(),
                rotation.urgency(),
            ),
            (ScheduleKind::Expiry, expiry.expires_at(), expiry.urgency()),
        ];
        for (kind, at, urgency) in dates {
            if let Some(at) = at {
                out.push(ScheduledDate {
                    id: entry.id,
                    name: entry.name.to_string(),
                    kind,
                    at,
                    days: signed_days(now, at),
                    urgency,
                });
            }
        }
    }
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.name.cmp(&b.name)));
    out
}

/// Whole days from `now` to `at`, rounded toward zero: `-3` three days ago.
fn signed_days(now: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    (at - now).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, IpRule};
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("date")
    }

    fn shared(name: &str, secret: &str, created: DateTime<Utc>) -> Entry {
        Entry::new(
            name,
            Credential::SharedSecret {
                key_id: format!("{name}-id").into(),
                secret: secret.into(),
                passphrase: None,
            },
            created,
        )
    }

    fn codes(findings: &[Finding], name: &str) -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.name == name)
            .map(|f| f.code.clone())
            .collect()
    }

    fn vault(entries: Vec<Entry>) -> Vault {
        Vault {
            entries,
            ..Vault::default()
        }
    }

    #[test]
    fn each_rule_fires_alone() {
        let now = at(2026, 6, 1);
        let fresh = now - Duration::days(1);
        let whitelist = |e: &mut Entry| {
            e.ip_whitelist
                .push("1.2.3.4".parse::<IpRule>().expect("ip"))
        };
        let expiring = |e: &mut Entry| e.expires_at = Some(now + Duration::days(200));
        let providers = Providers::builtin();
        type Setup = fn(&mut Entry, DateTime<Utc>);
        let cases: [(&str, Setup, &[&str]); 9] = [
            ("clean", |_, _| {}, &[]),
            (
                "compromised",
                |e, now| e.mark_compromised("leak", now),
                &["compromised"],
            ),
            (
                "withdraw",
                |e, _| {
                    e.ip_whitelist.clear();
                    e.set_permissions(["read", "withdraw"]);
                },
                &["withdraw_without_ip_whitelist"],
            ),
            (
                "trade",
                |e, _| {
                    e.ip_whitelist.clear();
                    e.set_permissions(["trade"]);
                },
                &["trade_without_ip_whitelist"],
            ),
            (
                "everything-allowed",
                |e, _| {
                    e.ip_whitelist = thin_vec::thin_vec!["0.0.0.0/0".parse().expect("all")];
                    e.set_permissions(["futures"]);
                },
                &["trade_without_ip_whitelist"],
            ),
            (
                "old",
                |e, now| e.rotated_at = Some(now - Duration::days(100)),
                &["rotation_overdue"],
            ),
            (
                "expired",
                |e, now| e.expires_at = Some(now - Duration::days(2)),
                &["expired"],
            ),
            ("no-expiry", |e, _| e.expires_at = None, &["no_expiry"]),
            (
                "found-in-a-file",
                |e, _| e.tags.push("found-in-plain-text".into()),
                &["found_in_plain_text"],
            ),
        ];
        for (name, setup, expected) in cases {
            let mut e = shared(name, &format!("secret-{name}"), fresh);
            whitelist(&mut e);
            expiring(&mut e);
            setup(&mut e, now);
            let findings = audit(&vault(vec![e]), &providers, now);
            assert_eq!(codes(&findings, name), expected.to_vec(), "{name}");
            for f in &findings {
                assert!(!f.reason.is_empty() && !f.fix.is_empty(), "{name}: {f:?}");
                // The app's advice says what to click, never a CLI command.
                assert!(
                    !f.app_fix().contains('`') && !f.app_fix().contains("keyward "),
                    "{name}: {}",
                    f.app_fix()
                );
            }
        }
    }

    #[test]
    fn checklist_done_or_revoked_clears_the_compromise() {
        let now = at(2026, 6, 1);
        let mut e = shared("k", "s", now - Duration::days(1));
        e.ip_whitelist.push("1.2.3.4".parse().expect("ip"));
        e.expires_at = Some(now + Duration::days(100));
        e.mark_compromised("leak", now);
        let p = Providers::builtin();
        assert_eq!(
            codes(&audit(&vault(vec![e.clone()]), &p, now), "k"),
            ["compromised"]
        );
        if let Some(inc) = e.incident.as_mut() {
            for item in &mut inc.checklist {
                item.done_at = Some(now);
            }
        }
        assert!(codes(&audit(&vault(vec![e.clone()]), &p, now), "k").is_empty());
        e.mark_compromised("again", now);
        e.revoke();
        assert!(
            audit(&vault(vec![e]), &p, now).is_empty(),
            "revoked keys raise nothing"
        );
    }

    #[test]
    fn duplicates_name_each_other() {
        let now = at(2026, 6, 1);
        let mut a = shared("a", "dup-S3CRET", now);
        let mut b = shared("b", "other", now);
        b.credential = Credential::SharedSecret {
            key_id: "x".into(),
            secret: "x".into(),
            passphrase: Some("dup-S3CRET".into()),
        };
        let c = shared("c", "unique", now);
        for e in [&mut a, &mut b] {
            e.ip_whitelist.push("1.2.3.4".parse().expect("ip"));
        }
        let f = audit(&vault(vec![a, b, c]), &Providers::default(), now);
        let dup: Vec<&Finding> = f.iter().filter(|f| f.code == "duplicate_secret").collect();
        assert_eq!(dup.len(), 2);
        assert!(dup.iter().any(|f| f.name == "a" && f.reason.contains('b')));
        assert!(dup.iter().any(|f| f.name == "b" && f.reason.contains('a')));
        assert!(
            !dup.iter()
                .any(|f| f.reason.contains("S3CRET") || f.fix.contains("S3CRET")),
            "never the secret itself"
        );
    }

    #[test]
    fn most_severe_first() {
        let now = at(2026, 6, 1);
        let mut low = shared("low", "1", now);
        low.expires_at = None;
        low.ip_whitelist.push("1.2.3.4".parse().expect("ip"));
        let mut crit = shared("crit", "2", now);
        crit.set_permissions(["withdraw"]);
        crit.expires_at = Some(now + Duration::days(3));
        let f = audit(&vault(vec![low, crit]), &Providers::default(), now);
        let order: Vec<(&str, &str)> = f
            .iter()
            .map(|f| (f.name.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("crit", "withdraw_without_ip_whitelist"),
                ("crit", "expiring_soon"),
                ("low", "no_expiry"),
            ]
        );
        assert!(f.windows(2).all(|w| w[0].severity >= w[1].severity));
    }

    #[test]
    fn provider_rules_fire_within_the_lead_time() {
        let created = at(2026, 1, 1);
        let mut e = shared("bot", "s", created);
        e.provider = "Binance".into();
        e.set_permissions(["trade"]);
        e.expires_at = Some(created + Duration::days(365));
        let p = Providers::builtin();
        let rule = "binance_trading_lapses_without_ip_whitelist";
        // lead time 14 days: the 30-day lapse shows from day 16
        let before = audit(&vault(vec![e.clone()]), &p, created + Duration::days(15));
        assert!(!codes(&before, "bot").contains(&rule.to_owned()));
        let soon = audit(&vault(vec![e.clone()]), &p, created + Duration::days(17));
        let f = soon.iter().find(|f| f.code == rule).expect("rule fires");
        assert!(
            f.reason.contains("2026-01-31") && f.fix.contains("https://"),
            "{f:?}"
        );
        let kucoin_idle = {
            let mut k = e.clone();
            k.provider = "kucoin".into();
            k.last_used_at = Some(created + Duration::days(100));
            k
        };
        let f = audit(&vault(vec![kucoin_idle]), &p, created + Duration::days(110));
        assert!(!codes(&f, "bot").contains(&"kucoin_idle_key_without_ip_whitelist".to_owned()));
    }

    #[test]
    fn due_report() {
        let now = at(2026, 6, 1);
        let mut overdue = shared("overdue", "1", now - Duration::days(100));
        overdue.expires_at = Some(now + Duration::days(10));
        let mut soon = shared("soon", "2", now - Duration::days(85));
        soon.expires_at = Some(now - Duration::days(1));
        let mut revoked = shared("revoked", "3", now - Duration::days(400));
        revoked.revoke();
        let fine = shared("fine", "4", now);
        let v = vault(vec![overdue, soon, revoked, fine]);
        let items = due(&v, 14, now);
        let got: Vec<(&str, DueReason, i64)> = items
            .iter()
            .map(|i| (i.name.as_str(), i.reason, i.days))
            .collect();
        assert_eq!(
            got,
            [
                ("overdue", DueReason::RotationOverdue, -10),
                ("soon", DueReason::Expired, -1),
                ("soon", DueReason::RotationDueSoon, 5),
                ("overdue", DueReason::ExpiringSoon, 10),
            ]
        );
        assert!(due(&v, 3, now).iter().all(|i| i.reason.is_overdue()));
    }

    #[test]
    fn schedule_lists_every_date_past_first_with_its_urgency() {
        use policy::Urgency;
        let now = at(2026, 6, 1);
        let mut overdue = shared("overdue", "a", now - Duration::days(100));
        overdue.rotate_every_days = Some(90);
        let mut expiring = shared("expiring", "b", now);
        expiring.rotate_every_days = Some(0);
        expiring.expires_at = Some(now + Duration::days(5));
        let mut later = shared("later", "c", now);
        later.rotate_every_days = Some(365);
        let mut gone = shared("gone", "d", now - Duration::days(400));
        gone.revoke();
        let v = vault(vec![later, gone, expiring, overdue]);
        let got: Vec<(String, ScheduleKind, i64, Urgency)> = schedule(&v, now)
            .into_iter()
            .map(|d| (d.name, d.kind, d.days, d.urgency))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "overdue".to_owned(),
                    ScheduleKind::Rotation,
                    -10,
                    Urgency::Overdue
                ),
                (
                    "expiring".to_owned(),
                    ScheduleKind::Expiry,
                    5,
                    Urgency::Soon
                ),
                (
                    "later".to_owned(),
                    ScheduleKind::Rotation,
                    365,
                    Urgency::Fine
                ),
            ]
        );
    }
}
