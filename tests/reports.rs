//! End to end: `due`, `audit` and `reminders --ics` on a vault built with back-dated
//! `--created/--rotated/--expires`, checked against the JSON, the exit codes and a real
//! iCalendar parser.

mod common;

use chrono::{Duration, NaiveDate, Utc};
use common::Sandbox;
use icalendar::{Calendar, CalendarComponent, Component};

use serde_json::Value;

fn day(offset_days: i64) -> String {
    (Utc::now() + Duration::days(offset_days))
        .format("%Y-%m-%d")
        .to_string()
}

fn date(offset_days: i64) -> NaiveDate {
    (Utc::now() + Duration::days(offset_days)).date_naive()
}

/// A sandbox whose config folder is its own, so a user's presets never leak in.
fn sandbox() -> Sandbox {
    Sandbox::with_vault()
}

fn run(s: &Sandbox, args: &[&str]) -> common::Run {
    let mut cmd = s.command_pw(args);
    cmd.env("XDG_CONFIG_HOME", s.path("config"));
    common::run_command(cmd, None)
}

/// Five keys, each with one date problem (days relative to today):
/// - `overdue`: rotated 100 days ago, 90-day policy → rotation overdue by 10 days
/// - `soon`: rotated 80 days ago → rotation due in 10 days
/// - `expired`: expired 3 days ago
/// - `expiring`: expires in 5 days
/// - `fine`: rotated today, expires in a year
fn dated_vault() -> Sandbox {
    let s = sandbox();
    let ip = ["--allow", "203.0.113.7"];
    let add = |name: &str, extra: &[&str]| {
        let mut options: Vec<&str> = ip.to_vec();
        options.extend_from_slice(extra);
        s.add(name, &format!("secret-of-{name}-0123456789"), &options);
    };
    let (d100, d80, d3, d5, d365, d0, d400) = (
        day(-100),
        day(-80),
        day(-3),
        day(5),
        day(365),
        day(0),
        day(-400),
    );
    add(
        "overdue",
        &["--created", &d400, "--rotated", &d100, "--expires", &d365],
    );
    add("soon", &["--created", &d80, "--expires", &d365]);
    add("expired", &["--created", &d0, "--expires", &d3]);
    add("expiring", &["--created", &d0, "--expires", &d5]);
    add("fine", &["--created", &d0, "--expires", &d365]);
    s
}

fn items(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a JSON array")
}

/// One string field of every object in a JSON array printed by the run.
fn column(r: &common::Run, field: &str) -> Vec<String> {
    items(&r.json())
        .iter()
        .map(|i| i[field].as_str().expect("a string field").to_owned())
        .collect()
}

#[test]
fn due_lists_overdue_and_soon_with_days_and_exits_1() {
    let s = dated_vault();
    let r = run(&s, &["due", "--json"]);
    r.expect_code(1).no_panic();
    let got: Vec<(String, String, i64)> = items(&r.json())
        .iter()
        .map(|i| {
            (
                i["name"].as_str().expect("name").to_owned(),
                i["reason"].as_str().expect("reason").to_owned(),
                i["days"].as_i64().expect("days"),
            )
        })
        .collect();
    // days are whole days from now to the due date, negative when past; a date given as
    // YYYY-MM-DD is midnight UTC, so the count depends on the time of day by up to one.
    let expect = [
        ("overdue", "rotation_overdue", -10),
        ("expired", "expired", -3),
        ("expiring", "expiring_soon", 5),
        ("soon", "rotation_due_soon", 10),
    ];
    assert_eq!(got.len(), expect.len(), "{got:?}");
    for ((name, reason, days), (en, er, ed)) in got.iter().zip(expect) {
        assert_eq!((name.as_str(), reason.as_str()), (en, er), "{got:?}");
        assert!(
            (days - ed).abs() <= 1,
            "{name}: {days} days, expected about {ed}"
        );
    }
    for i in items(&r.json()) {
        let due_at = i["due_at"].as_str().expect("due_at");
        assert!(
            chrono::DateTime::parse_from_rfc3339(due_at).is_ok(),
            "{due_at}"
        );
    }
    // a narrower window drops the "soon" ones but still exits 1 for the overdue ones
    let r = run(&s, &["due", "--within", "2", "--json"]);
    r.expect_code(1);
    let names = column(&r, "reason");
    assert_eq!(names, ["rotation_overdue", "expired"]);
    // the plain report names every key and says nothing secret
    let r = run(&s, &["due"]);
    r.expect_code(1).leaks_none(&["secret-of-"]);
    for name in ["overdue", "soon", "expired", "expiring"] {
        assert!(r.stdout.contains(name), "{name} missing:\n{}", r.stdout);
    }
}

#[test]
fn due_exits_0_when_only_soon_things_remain() {
    let s = sandbox();
    s.add(
        "soon",
        "secret-soon-0123456789",
        &["--created", &day(-85), "--expires", &day(300)],
    );
    let r = run(&s, &["due", "--json"]);
    r.expect_code(0);
    assert_eq!(items(&r.json()).len(), 1);
    let r = run(&s, &["due", "--within", "1", "--json"]);
    r.expect_code(0);
    assert!(items(&r.json()).is_empty());
}

#[test]
fn audit_reports_findings_most_severe_first_and_exits_by_severity() {
    let s = sandbox();
    let far = day(300);
    s.add(
        "withdrawer",
        "secret-w-0123456789",
        &["--permission", "withdraw", "--expires", &far],
    );
    s.add(
        "trader",
        "secret-t-0123456789",
        &[
            "--permission",
            "trade",
            "--expires",
            &far,
            "--provider",
            "kraken",
        ],
    );
    s.add(
        "tidy",
        "secret-x-0123456789",
        &["--allow", "10.0.0.0/8", "--expires", &far],
    );
    s.add(
        "twin-a",
        "same-secret-0123456789",
        &["--allow", "10.0.0.1", "--expires", &far],
    );
    s.add(
        "twin-b",
        "same-secret-0123456789",
        &["--allow", "10.0.0.2", "--expires", &far],
    );
    run(&s, &["compromised", "tidy", "--reason", "pasted in chat"]).ok();
    let r = run(&s, &["audit", "--json"]);
    r.expect_code(1).no_panic().leaks_none(&[
        "secret-w-",
        "secret-t-",
        "secret-x-",
        "same-secret-",
    ]);
    let findings = r.json();
    let got: Vec<(&str, &str, &str)> = items(&findings)
        .iter()
        .map(|f| {
            for field in ["reason", "fix"] {
                assert!(!f[field].as_str().expect("text").is_empty(), "{f}");
            }
            (
                f["severity"].as_str().expect("severity"),
                f["code"].as_str().expect("code"),
                f["name"].as_str().expect("name"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("critical", "compromised", "tidy"),
            ("critical", "withdraw_without_ip_whitelist", "withdrawer"),
            ("high", "trade_without_ip_whitelist", "trader"),
            ("high", "duplicate_secret", "twin-a"),
            ("high", "duplicate_secret", "twin-b"),
        ]
    );
    // fixing the serious ones leaves nothing high: exit 0
    for name in ["tidy", "twin-b"] {
        run(&s, &["revoke", name]).ok();
    }
    run(&s, &["edit", "withdrawer", "--allow", "192.0.2.1"]).ok();
    run(&s, &["edit", "trader", "--allow", "192.0.2.2"]).ok();
    let r = run(&s, &["audit", "--json"]);
    r.expect_code(0);
    assert!(items(&r.json()).is_empty(), "{}", r.stdout);
    // a key without expiry is a low finding: reported, exit still 0
    s.add("forever", "secret-f-0123456789", &["--allow", "192.0.2.3"]);
    let r = run(&s, &["audit", "--json"]);
    r.expect_code(0);
    let codes = column(&r, "code");
    assert_eq!(codes, ["no_expiry"]);
}

#[test]
fn audit_uses_the_users_own_presets_and_survives_a_broken_file() {
    let s = sandbox();
    s.add(
        "acme-key",
        "secret-acme-0123456789",
        &[
            "--provider",
            "acme",
            "--allow",
            "192.0.2.9",
            "--expires",
            &day(300),
        ],
    );
    let config = s.path("config").join("keyward");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("providers.toml"),
        r#"
[[provider]]
id = "acme"
name = "Acme"
kinds = ["shared-secret"]
key_page = "https://acme.example/keys"

[[provider.rule]]
code = "acme_keys_need_tags"
severity = "high"
reason = "Acme revokes untagged keys"
fix = "tag it"
source = "https://acme.example/rules"
"#,
    )
    .expect("write presets");
    let r = run(&s, &["audit", "--json"]);
    r.expect_code(1);
    let codes = column(&r, "code");
    assert_eq!(codes, ["acme_keys_need_tags"]);
    std::fs::write(config.join("providers.toml"), "[[provider]]\nid = ").expect("break it");
    let r = run(&s, &["audit", "--json"]);
    r.expect_code(0)
        .stderr_has("ignoring your provider presets");
}

#[test]
fn reminders_ics_parses_with_one_event_per_date_and_alarms() {
    let s = dated_vault();
    let ics_path = s.path("reminders.ics");
    let r = run(
        &s,
        &["reminders", "--ics", ics_path.to_str().expect("utf-8 path")],
    );
    r.ok().leaks_none(&["secret-of-"]);
    let text = std::fs::read_to_string(&ics_path).expect("ics written");
    assert!(!text.contains("secret-of-"), "no secret in the calendar");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&ics_path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let calendar: Calendar = text.parse().expect("a valid iCalendar file");
    let events: Vec<&icalendar::Event> = calendar
        .components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    // every key has a rotation date (90-day default) and an expiry: 5 × 2
    assert_eq!(events.len(), 10, "{text}");
    let find = |summary_part: &str| {
        events
            .iter()
            .find(|e| e.get_summary().is_some_and(|s| s.contains(summary_part)))
            .unwrap_or_else(|| panic!("no event '{summary_part}'"))
    };
    let start = |e: &icalendar::Event| match e.get_start() {
        Some(icalendar::DatePerhapsTime::Date(d)) => d,
        other => panic!("all-day start expected, got {other:?}"),
    };
    // rotation of `soon`: 80 days ago + 90 = in 10 days
    assert_eq!(start(find("Rotate API key soon")), date(10));
    // overdue and expired events are moved to today so the calendar still shows them
    assert_eq!(start(find("Overdue: Rotate API key overdue")), date(0));
    assert_eq!(start(find("API key expired has expired")), date(0));
    assert_eq!(start(find("API key expiring expires")), date(5));
    // each event carries one display alarm: 14 days ahead, or at once when overdue
    let alarms = text.matches("BEGIN:VALARM").count();
    assert_eq!(alarms, 10);
    assert_eq!(text.matches("TRIGGER:PT0S").count(), 2, "overdue + expired");
    assert_eq!(text.matches("TRIGGER:-P14D").count(), 8);
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "unfolded line: {line}");
    }
}
