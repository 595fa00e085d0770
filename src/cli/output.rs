//! What `list` and `show` print: a stable JSON object per key (docs/CLI.md) and a plain
//! table. Neither ever contains a secret: the JSON type has no field that could hold one.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::vault::{Entry, Field, VaultSettings, exposure, policy};

/// One key as `list --json` and `show --json` print it.
#[derive(Debug, Serialize)]
pub struct EntryJson<'a> {
    name: &'a str,
    provider: &'a str,
    kind: &'static str,
    environment: &'static str,
    status: &'static str,
    key_id: &'a str,
    /// Which credential parts are set ("key", "secret", "passphrase", …), not their values.
    parts: Vec<&'static str>,
    tags: &'a [compact_str::CompactString],
    url: &'a str,
    /// Custom fields; a protected one's value is `null`.
    custom_fields: Vec<CustomFieldJson<'a>>,
    permissions: Vec<&'a str>,
    ip_whitelist: Vec<String>,
    ip_blacklist: Vec<String>,
    purpose: &'a str,
    notes: &'a str,
    created_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    rotate_every_days: Option<u32>,
    rotation_age_days: i64,
    rotation_due_at: Option<DateTime<Utc>>,
    history_count: usize,
}

/// A custom field as `show --json` prints it: the value only when it is not protected.
#[derive(Debug, Serialize)]
pub struct CustomFieldJson<'a> {
    name: &'a str,
    protected: bool,
    value: Option<&'a str>,
}

impl<'a> EntryJson<'a> {
    /// The JSON view of `entry` at `now`.
    pub fn new(entry: &'a Entry, settings: &VaultSettings, now: DateTime<Utc>) -> Self {
        EntryJson {
            name: &entry.name,
            provider: &entry.provider,
            kind: entry.credential.kind().as_str(),
            environment: entry.environment.as_str(),
            status: entry.status.as_str(),
            key_id: entry.credential.key_id(),
            parts: Field::ALL
                .iter()
                .filter(|f| entry.credential.field(**f).is_some())
                .map(|f| f.as_str())
                .collect(),
            tags: &entry.tags,
            url: &entry.url,
            custom_fields: entry
                .custom_fields
                .iter()
                .map(|f| CustomFieldJson {
                    name: &f.name,
                    protected: f.protected,
                    value: (!f.protected).then(|| f.value.expose()),
                })
                .collect(),
            permissions: entry.permissions.iter().map(|p| p.as_str()).collect(),
            ip_whitelist: entry.ip_whitelist.iter().map(|r| r.to_string()).collect(),
            ip_blacklist: entry.ip_blacklist.iter().map(|r| r.to_string()).collect(),
            purpose: &entry.purpose,
            notes: &entry.notes,
            created_at: entry.created_at,
            rotated_at: entry.rotated_at,
            expires_at: entry.expires_at,
            last_used_at: entry.last_used_at,
            rotate_every_days: policy::rotation_period_days(entry, settings),
            rotation_age_days: policy::rotation_age_days(entry, now),
            rotation_due_at: policy::rotation_due_at(entry, settings),
            history_count: entry.history.len(),
        }
    }
}

/// Writes data to stdout (messages go to stderr).
pub fn print(text: &str) -> Result<(), super::CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| super::CliError::other(format!("writing to stdout: {e}")))
}

/// Pretty JSON with a final newline.
pub fn json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
    text.push('\n');
    text
}

fn date(d: Option<DateTime<Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "never".to_owned())
}

fn ip_summary(entry: &Entry) -> String {
    if policy::is_unrestricted(entry) {
        "unrestricted".to_owned()
    } else {
        format!("{} allowed", entry.ip_whitelist.len())
    }
}

/// The plain table of `list`.
pub fn table(entries: &[&Entry], now: DateTime<Utc>) -> String {
    let header = [
        "NAME",
        "PROVIDER",
        "ENV",
        "KIND",
        "AGE",
        "EXPIRES",
        "IP",
        "PERMISSIONS",
        "STATUS",
    ];
    let rows: Vec<[String; 9]> = entries
        .iter()
        .map(|e| {
            [
                e.name.to_string(),
                e.provider.to_string(),
                e.environment.to_string(),
                e.credential.kind().to_string(),
                format!("{}d", policy::rotation_age_days(e, now)),
                date(e.expires_at),
                ip_summary(e),
                e.permissions
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                e.status.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header.map(str::to_owned));
    for row in &rows {
        line(row);
    }
    out
}

/// The plain view of `show`: every field, secret parts masked.
pub fn details(entry: &Entry, settings: &VaultSettings, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut put = |label: &str, value: String| {
        out.push_str(&format!("{label:<18}{value}\n"));
    };
    put("name:", entry.name.to_string());
    put("provider:", entry.provider.to_string());
    put("kind:", entry.credential.kind().to_string());
    put("environment:", entry.environment.to_string());
    put("status:", entry.status.to_string());
    for field in Field::ALL {
        if let Some(value) = entry.credential.field(field) {
            let shown = if field.is_secret() {
                "•••••••• (hidden; `keyward get --field ".to_owned() + field.as_str() + "`)"
            } else {
                value.expose().to_owned()
            };
            put(&format!("{field}:"), shown);
        }
    }
    if !entry.url.is_empty() {
        put("url:", entry.url.clone());
    }
    for field in &entry.custom_fields {
        let shown = if field.protected {
            format!(
                "•••••••• (protected; `keyward get --field 'field:{}'`)",
                field.name
            )
        } else {
            field.value.expose().to_owned()
        };
        put(&format!("{}:", field.name), shown);
    }
    put("purpose:", entry.purpose.clone());
    put("tags:", entry.tags.join(", "));
    put(
        "permissions:",
        entry
            .permissions
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    );
    let rules = |rules: &[crate::vault::IpRule]| {
        rules
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let whitelist = match (
        entry.ip_whitelist.is_empty(),
        exposure::unrestricted_note(entry),
    ) {
        (true, Some(note)) => format!("(none: unrestricted; {note})"),
        (false, Some(note)) => format!("{} (unrestricted; {note})", rules(&entry.ip_whitelist)),
        (_, None) => rules(&entry.ip_whitelist),
    };
    put("ip whitelist:", whitelist);
    put("ip blacklist:", rules(&entry.ip_blacklist));
    put("created:", date(Some(entry.created_at)));
    put("rotated:", date(entry.rotated_at));
    put(
        "rotation age:",
        format!("{} days", policy::rotation_age_days(entry, now)),
    );
    put(
        "rotate every:",
        policy::rotation_period_days(entry, settings)
            .map(|d| format!("{d} days"))
            .unwrap_or_else(|| "no policy".to_owned()),
    );
    put("expires:", date(entry.expires_at));
    put("last used:", date(entry.last_used_at));
    put(
        "history:",
        format!("{} replaced secret(s)", entry.history.len()),
    );
    if let Some(incident) = &entry.incident {
        put(
            "incident:",
            format!("{} {}", date(Some(incident.reported_at)), incident.reason),
        );
        for item in &incident.checklist {
            let mark = if item.done_at.is_some() { "x" } else { " " };
            put("", format!("[{mark}] {}", item.text));
        }
    }
    if !entry.notes.is_empty() {
        put("notes:", entry.notes.clone());
    }
    out
}
