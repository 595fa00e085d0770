//! The facts a password manager has no field for, as readable `Label: value` lines at the top
//! of an entry's notes:
//!
//! ```text
//! Kind: shared-secret
//! Provider: binance
//! Environment: prod
//! Permissions: read, trade
//! IP whitelist: 203.0.113.10, 198.51.100.0/24
//! Rotated: 2026-05-01T09:00:00Z
//!
//! the user's own notes follow a blank line
//! ```
//!
//! On import the leading lines are read back only when every one of them, up to the first
//! blank line, is a known label with a valid value; otherwise the whole text is notes. The
//! block always holds `Kind` and `Environment`, so notes that happen to start with `Label:`
//! lines survive a round trip unchanged. Values are escaped (`\\`, `\n`, `\r`, and `\,`
//! inside lists) so any text fits on one line.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::vault::{CredentialKind, Environment, IpRule, Permission, Status, parse_date};

/// The metadata carried in the notes block. `None`/empty means "not stated".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotesMeta {
    /// The credential's shape.
    pub kind: Option<CredentialKind>,
    /// Provider.
    pub provider: Option<String>,
    /// Environment.
    pub environment: Option<Environment>,
    /// Purpose.
    pub purpose: Option<String>,
    /// Tags (for formats without native tags).
    pub tags: Option<Vec<String>>,
    /// Permissions.
    pub permissions: Option<Vec<String>>,
    /// IP whitelist.
    pub ip_whitelist: Option<Vec<IpRule>>,
    /// IP blacklist.
    pub ip_blacklist: Option<Vec<IpRule>>,
    /// Creation date (for formats without a native one).
    pub created: Option<DateTime<Utc>>,
    /// Last rotation.
    pub rotated: Option<DateTime<Utc>>,
    /// Expiry (for formats without a native one).
    pub expires: Option<DateTime<Utc>>,
    /// Last use.
    pub last_used: Option<DateTime<Utc>>,
    /// Rotation period in days.
    pub rotate_every_days: Option<u32>,
    /// Status, when not active.
    pub status: Option<Status>,
    /// Unprotected custom fields (for formats without custom fields), as (name, value).
    pub fields: Vec<(String, String)>,
}

const KIND: &str = "Kind";
const PROVIDER: &str = "Provider";
const ENVIRONMENT: &str = "Environment";
const PURPOSE: &str = "Purpose";
const TAGS: &str = "Tags";
const PERMISSIONS: &str = "Permissions";
const WHITELIST: &str = "IP whitelist";
const BLACKLIST: &str = "IP blacklist";
const CREATED: &str = "Created";
const ROTATED: &str = "Rotated";
const EXPIRES: &str = "Expires";
const LAST_USED: &str = "Last used";
const ROTATE_EVERY: &str = "Rotate every";
const STATUS: &str = "Status";
const FIELD: &str = "Field";

/// A date as the notes block writes it: RFC 3339 in UTC, `Z`, sub-seconds only when set.
pub fn format_date(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The notes text: the metadata block, then (after a blank line) the free notes.
pub fn compose(meta: &NotesMeta, free_notes: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut line = |label: &str, value: String| lines.push(format!("{label}: {value}"));
    if let Some(k) = meta.kind {
        line(KIND, k.as_str().to_owned());
    }
    if let Some(p) = meta.provider.as_deref().filter(|p| !p.is_empty()) {
        line(PROVIDER, escape(p));
    }
    if let Some(e) = meta.environment {
        line(ENVIRONMENT, e.as_str().to_owned());
    }
    if let Some(p) = meta.purpose.as_deref().filter(|p| !p.is_empty()) {
        line(PURPOSE, escape(p));
    }
    if let Some(t) = meta.tags.as_ref().filter(|t| !t.is_empty()) {
        line(TAGS, join_list(t.iter().map(String::as_str)));
    }
    if let Some(p) = meta.permissions.as_ref().filter(|p| !p.is_empty()) {
        line(PERMISSIONS, join_list(p.iter().map(String::as_str)));
    }
    for (label, rules) in [
        (WHITELIST, &meta.ip_whitelist),
        (BLACKLIST, &meta.ip_blacklist),
    ] {
        if let Some(r) = rules.as_ref().filter(|r| !r.is_empty()) {
            let texts: Vec<String> = r.iter().map(ToString::to_string).collect();
            line(label, texts.join(", "));
        }
    }
    for (label, date) in [
        (CREATED, meta.created),
        (ROTATED, meta.rotated),
        (EXPIRES, meta.expires),
        (LAST_USED, meta.last_used),
    ] {
        if let Some(d) = date {
            line(label, format_date(d));
        }
    }
    if let Some(days) = meta.rotate_every_days {
        line(ROTATE_EVERY, format!("{days} days"));
    }
    if let Some(s) = meta.status.filter(|s| *s != Status::Active) {
        line(STATUS, s.as_str().to_owned());
    }
    for (name, value) in &meta.fields {
        line(
            FIELD,
            format!("{}, {}", escape(name).replace(',', "\\,"), escape(value)),
        );
    }
    let mut text = lines.join("\n");
    if !free_notes.is_empty() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(free_notes);
    }
    text
}

/// Splits notes into the metadata block (when the leading lines form one) and the free notes.
pub fn parse(notes: &str) -> (NotesMeta, String) {
    let (block, rest) = match notes.split_once("\n\n") {
        Some((block, rest)) => (block, rest),
        None => (notes, ""),
    };
    let block_lines: Vec<&str> = block
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .collect();
    if block.trim().is_empty() {
        return (NotesMeta::default(), notes.to_owned());
    }
    let mut meta = NotesMeta::default();
    for line in &block_lines {
        if apply_line(&mut meta, line).is_none() {
            return (NotesMeta::default(), notes.to_owned());
        }
    }
    (meta, rest.to_owned())
}

/// Reads one `Label: value` line into `meta`; `None` when it is not one.
fn apply_line(meta: &mut NotesMeta, line: &str) -> Option<()> {
    let (label, raw) = line.split_once(':')?;
    // Free text keeps its own spaces: only the one after the colon belongs to the format.
    let text = raw.strip_prefix(' ').unwrap_or(raw);
    let value = raw.trim();
    match label.trim().to_ascii_lowercase().as_str() {
        "kind" => meta.kind = Some(value.parse().ok()?),
        "provider" => meta.provider = Some(unescape(text)),
        "environment" | "env" => meta.environment = Some(value.parse().ok()?),
        "purpose" => meta.purpose = Some(unescape(text)),
        "tags" => meta.tags = Some(split_list(value)),
        "permissions" => meta.permissions = Some(split_list(value)),
        "ip whitelist" | "ip allowlist" | "allowed ips" => meta.ip_whitelist = Some(rules(value)?),
        "ip blacklist" | "ip denylist" | "denied ips" => meta.ip_blacklist = Some(rules(value)?),
        "created" => meta.created = Some(parse_date(value).ok()?),
        "rotated" | "last rotated" => meta.rotated = Some(parse_date(value).ok()?),
        "expires" => meta.expires = Some(parse_date(value).ok()?),
        "last used" => meta.last_used = Some(parse_date(value).ok()?),
        "rotate every" => {
            let days = value.strip_suffix("days").unwrap_or(value).trim();
            meta.rotate_every_days = Some(days.parse().ok()?);
        }
        "field" => meta.fields.push(name_and_value(text)?),
        "status" => {
            meta.status = Some(match value.to_ascii_lowercase().as_str() {
                "active" => Status::Active,
                "revoked" => Status::Revoked,
                "compromised" => Status::Compromised,
                _ => return None,
            })
        }
        _ => return None,
    }
    Some(())
}

/// `NAME, VALUE` of a `Field:` line: the name ends at the first comma not escaped.
fn name_and_value(text: &str) -> Option<(String, String)> {
    let mut escaped = false;
    let comma = text.char_indices().find_map(|(i, c)| {
        let at = !escaped && c == ',';
        escaped = !escaped && c == '\\';
        at.then_some(i)
    })?;
    let (name, rest) = text.split_at(comma);
    let value = rest.strip_prefix(',').unwrap_or(rest);
    let name = unescape(name.trim());
    (!name.is_empty()).then(|| (name, unescape(value.strip_prefix(' ').unwrap_or(value))))
}

fn rules(value: &str) -> Option<Vec<IpRule>> {
    value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().ok())
        .collect()
}

/// Escapes a single-line value: backslash, newline, carriage return.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn join_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|i| escape(i).replace(',', "\\,"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push('\\');
                if let Some(n) = chars.next() {
                    current.push(n);
                }
            }
            ',' => items.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    items.push(current);
    items
        .iter()
        .map(|i| unescape(i.trim()))
        .filter(|i| !i.is_empty())
        .collect()
}

/// The permission names of an entry, for the block.
pub fn permission_names(perms: &[Permission]) -> Vec<String> {
    perms.iter().map(|p| p.as_str().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NotesMeta {
        NotesMeta {
            kind: Some(CredentialKind::SharedSecret),
            provider: Some("okx \\ main\nline".into()),
            environment: Some(Environment::Test),
            purpose: Some("  grid bot, \"v2\" ".into()),
            tags: Some(vec!["a,b".into(), "c\\d".into(), "東京".into()]),
            permissions: Some(vec!["read".into(), "spot trade".into()]),
            ip_whitelist: Some(vec![
                "203.0.113.10".parse().expect("ip"),
                "2001:db8::/32".parse().expect("net"),
            ]),
            ip_blacklist: None,
            created: parse_date("2026-01-10T09:00:00Z").ok(),
            rotated: parse_date("2026-02-01T00:00:00.5Z").ok(),
            expires: None,
            last_used: parse_date("2026-03-01").ok(),
            rotate_every_days: Some(30),
            status: Some(Status::Compromised),
            fields: vec![
                ("Region, primary".into(), " eu-west-1, then us".into()),
                ("Owner".into(), "".into()),
            ],
        }
    }

    #[test]
    fn block_round_trips_with_free_notes() {
        for free in [
            "",
            "plain",
            "Provider: looks like a label\n\nand more",
            "\nstarts blank",
        ] {
            let text = compose(&sample(), free);
            let (meta, rest) = parse(&text);
            assert_eq!(meta, sample(), "{text}");
            assert_eq!(rest, free);
        }
    }

    #[test]
    fn foreign_notes_stay_notes_unless_every_line_is_a_label() {
        let (meta, rest) = parse("Read + Trade, no withdraw. Straße");
        assert_eq!(meta, NotesMeta::default());
        assert_eq!(rest, "Read + Trade, no withdraw. Straße");
        let (meta, rest) = parse("IP whitelist: office\nPermissions: read");
        assert_eq!(meta, NotesMeta::default(), "an invalid IP keeps the text");
        assert_eq!(rest, "IP whitelist: office\nPermissions: read");
        let (meta, rest) =
            parse("IP whitelist: 203.0.113.10, 198.51.100.0/24\nPermissions: read, spot trade");
        assert_eq!(meta.ip_whitelist.map(|r| r.len()), Some(2));
        assert_eq!(
            meta.permissions,
            Some(vec!["read".to_owned(), "spot trade".to_owned()])
        );
        assert_eq!(rest, "");
    }
}
