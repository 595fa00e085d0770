//! KeePass 2 XML, unencrypted: what `keepassxc-cli export -f xml` writes and
//! `keepassxc-cli import` reads. Same mapping as KDBX (custom protected strings, tags, times).

use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesStart, Event};

use super::keepass::MAX_GROUP_TAG;
use super::record::{CustomField, Native, Record};
use super::{Format, TransferError, line_column, utf8};
use crate::secret::{SecretBytes, SecretString};
use crate::vault::{Vault, parse_date};

/// Native KeePass fields (the KeePass formats share them).
pub(super) const NATIVE: Native = super::keepass::NATIVE;

/// Seconds from 0001-01-01 to 1970-01-01: KDBX 4 XML stores times as base64 seconds since
/// year 1.
const SECONDS_YEAR_ONE_TO_EPOCH: i64 = 62_135_596_800;

/// The vault as KeePass 2 XML.
pub fn export(vault: &Vault) -> Result<SecretBytes, TransferError> {
    let mut x = String::with_capacity(4096 + vault.entries.len() * 2048);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<KeePassFile>\n");
    x.push_str("\t<Meta>\n\t\t<Generator>keyward</Generator>\n");
    x.push_str("\t\t<DatabaseName>keyward export</DatabaseName>\n");
    x.push_str("\t\t<MemoryProtection>\n\t\t\t<ProtectTitle>False</ProtectTitle>\n");
    x.push_str("\t\t\t<ProtectUserName>False</ProtectUserName>\n");
    x.push_str("\t\t\t<ProtectPassword>True</ProtectPassword>\n");
    x.push_str("\t\t\t<ProtectURL>False</ProtectURL>\n\t\t\t<ProtectNotes>False</ProtectNotes>\n");
    x.push_str("\t\t</MemoryProtection>\n\t\t<RecycleBinEnabled>False</RecycleBinEnabled>\n");
    x.push_str("\t</Meta>\n\t<Root>\n\t\t<Group>\n");
    x.push_str(&format!(
        "\t\t\t<UUID>{}</UUID>\n\t\t\t<Name>keyward</Name>\n",
        uuid_b64(&uuid::Uuid::new_v4())
    ));
    for entry in &vault.entries {
        let rec = super::keepass::keepass_record(entry);
        let bad = |field: &str| TransferError::Unrepresentable {
            entry: entry.name.clone(),
            format: Format::KeepassXml,
            what: format!("its {field} holds a control character that XML cannot carry; use kdbx"),
        };
        x.push_str("\t\t\t<Entry>\n");
        x.push_str(&format!("\t\t\t\t<UUID>{}</UUID>\n", uuid_b64(&entry.id)));
        let tags = rec.tags.join(";");
        x.push_str(&format!(
            "\t\t\t\t<Tags>{}</Tags>\n",
            escape(&tags).ok_or_else(|| bad("tags"))?
        ));
        let created = rec.created.unwrap_or(entry.created_at);
        let modified = rec.modified.unwrap_or(created);
        x.push_str("\t\t\t\t<Times>\n");
        x.push_str(&format!(
            "\t\t\t\t\t<CreationTime>{}</CreationTime>\n",
            xml_time(created)
        ));
        x.push_str(&format!(
            "\t\t\t\t\t<LastModificationTime>{}</LastModificationTime>\n",
            xml_time(modified)
        ));
        x.push_str(&format!(
            "\t\t\t\t\t<ExpiryTime>{}</ExpiryTime>\n\t\t\t\t\t<Expires>{}</Expires>\n",
            xml_time(rec.expires.unwrap_or(modified)),
            if rec.expires.is_some() {
                "True"
            } else {
                "False"
            }
        ));
        x.push_str("\t\t\t\t</Times>\n");
        let mut strings: Vec<(&str, &str, bool)> = vec![
            ("Title", rec.title.as_str(), false),
            ("UserName", rec.username.as_str(), false),
            ("Password", rec.password.expose(), true),
            ("URL", rec.url.as_str(), false),
            ("Notes", rec.notes.as_str(), false),
        ];
        for f in &rec.fields {
            strings.push((f.name.as_str(), f.value.expose(), f.protected));
        }
        if let Some(totp) = &rec.totp {
            strings.push((super::keepass::OTP_FIELD, totp.expose(), true));
        }
        for (key, value, protected) in strings {
            let value = escape(value).ok_or_else(|| bad(key))?;
            let key = escape(key).ok_or_else(|| bad("custom field name"))?;
            let attr = if protected {
                " ProtectInMemory=\"True\""
            } else {
                ""
            };
            x.push_str(&format!(
                "\t\t\t\t<String>\n\t\t\t\t\t<Key>{key}</Key>\n\t\t\t\t\t<Value{attr}>{value}</Value>\n\t\t\t\t</String>\n"
            ));
        }
        x.push_str("\t\t\t</Entry>\n");
    }
    x.push_str("\t\t</Group>\n\t</Root>\n</KeePassFile>\n");
    Ok(SecretBytes::new(x.into_bytes()))
}

fn uuid_b64(id: &uuid::Uuid) -> String {
    base64::engine::general_purpose::STANDARD.encode(id.as_bytes())
}

fn xml_time(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Escapes text for an XML 1.0 element; `None` when it holds a character XML 1.0 cannot.
/// Carriage returns are written as `&#13;` because parsers turn literal ones into newlines.
fn escape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// An entry being read, with the index of its group in [`Groups`].
struct Pending {
    record: Record,
    group: usize,
    depth: usize,
    key: String,
    value: SecretString,
    protected: bool,
    expiry: Option<DateTime<Utc>>,
    expires: bool,
}

/// The entries of a KeePass 2 XML file (history versions and the recycle bin left out).
pub fn import(bytes: &[u8], path: &Path) -> Result<Vec<Record>, TransferError> {
    let text = utf8(bytes, path, Format::KeepassXml)?;
    let offset = bytes.len() - text.len();
    let malformed = |what: String| TransferError::Malformed {
        path: path.to_owned(),
        format: Format::KeepassXml,
        what,
    };
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().trim_text(false);
    let mut stack: Vec<String> = Vec::new();
    // Every group read, and the open ones (index into `groups`, element depth).
    let mut groups = Groups::default();
    let mut open_groups: Vec<(usize, usize)> = Vec::new();
    let mut buffer = String::new();
    let mut pending: Option<Pending> = None;
    let mut records: Vec<(Record, usize)> = Vec::new();
    let mut recycle_bin: Option<String> = None;
    let mut recycle_enabled = true;
    let mut saw_root = false;
    let (mut roots, mut root_groups) = (0usize, 0usize);
    loop {
        let position = |r: &quick_xml::Reader<&[u8]>| {
            let (line, column) = line_column(bytes, offset + r.error_position() as usize);
            format!("malformed XML at line {line}, column {column}")
        };
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => return Err(malformed(position(&reader))),
        };
        match event {
            Event::Start(start) => {
                let name = element_name(&start);
                if stack.is_empty() {
                    if name != "KeePassFile" {
                        return Err(malformed("the root element is not <KeePassFile>".into()));
                    }
                    saw_root = true;
                }
                buffer.clear();
                let depth = stack.len();
                let parent = stack.last().map(String::as_str);
                match (name.as_str(), parent) {
                    ("Root", Some("KeePassFile")) if depth == 1 => roots += 1,
                    ("Group", Some(p)) if pending.is_none() && (p == "Group" || depth == 2) => {
                        if depth == 2 {
                            if p != "Root" {
                                return Err(malformed(format!(
                                    "<Group> outside <Root>; {}",
                                    position(&reader)
                                )));
                            }
                            root_groups += 1;
                        }
                        let parent = open_groups.last().map(|g| g.0);
                        open_groups.push((groups.push(parent), depth));
                    }
                    ("Entry", Some("Group")) if pending.is_none() => {
                        let Some(&(group, _)) = open_groups.last() else {
                            return Err(malformed(position(&reader)));
                        };
                        pending = Some(Pending {
                            record: Record::default(),
                            group,
                            depth,
                            key: String::new(),
                            value: SecretString::default(),
                            protected: false,
                            expiry: None,
                            expires: false,
                        });
                    }
                    ("Value", Some("String")) => {
                        if let Some(p) = pending.as_mut().filter(|p| depth == p.depth + 2) {
                            p.protected = attr_true(&start, "ProtectInMemory");
                            if attr_true(&start, "Protected") {
                                return Err(malformed(
                                    "values are encrypted (Protected=\"True\"); export the XML \
                                     from KeePassXC, which writes them in clear"
                                        .into(),
                                ));
                            }
                        }
                    }
                    _ => {}
                }
                stack.push(name);
            }
            Event::End(_) => {
                let Some(name) = stack.pop() else {
                    return Err(malformed(position(&reader)));
                };
                let depth = stack.len();
                let text = std::mem::take(&mut buffer);
                let parent = stack.last().map(String::as_str);
                if let Some(p) = pending.as_mut() {
                    let rel = depth.saturating_sub(p.depth);
                    match (name.as_str(), parent, rel) {
                        ("Entry", _, 0) => {
                            if let Some(mut done) = pending.take() {
                                done.record.expires = done.expiry.filter(|_| done.expires);
                                legacy_totp(&mut done.record);
                                records.push((done.record, done.group));
                            }
                        }
                        ("Binary", _, 1) => p.record.unsupported.push("attachment".to_owned()),
                        ("Tags", _, 1) => {
                            p.record.tags = text
                                .split([',', ';'])
                                .map(str::trim)
                                .filter(|t| !t.is_empty())
                                .map(str::to_owned)
                                .collect();
                        }
                        ("CreationTime", Some("Times"), 2) => {
                            p.record.created = Some(xml_date(&text).ok_or_else(|| {
                                malformed(format!("entry {}: bad CreationTime", records.len() + 1))
                            })?);
                        }
                        ("LastModificationTime", Some("Times"), 2) => {
                            p.record.modified = xml_date(&text);
                        }
                        ("ExpiryTime", Some("Times"), 2) => p.expiry = xml_date(&text),
                        ("Expires", Some("Times"), 2) => {
                            p.expires = text.trim().eq_ignore_ascii_case("true");
                        }
                        ("Key", Some("String"), 2) => p.key = text,
                        ("Value", Some("String"), 2) => p.value = SecretString::new(text),
                        ("String", _, 1) => {
                            let key = std::mem::take(&mut p.key);
                            let value = std::mem::take(&mut p.value);
                            set_string(&mut p.record, key, value, p.protected);
                            p.protected = false;
                        }
                        _ => {}
                    }
                } else if name == "Group" && open_groups.last().map(|g| g.1) == Some(depth) {
                    open_groups.pop();
                } else if let Some(&(g, gd)) = open_groups.last() {
                    if depth == gd + 1 {
                        match name.as_str() {
                            "UUID" => groups.uuid[g] = text.trim().to_owned(),
                            "Name" => groups.name[g] = text,
                            _ => {}
                        }
                    }
                } else if parent == Some("Meta") {
                    match name.as_str() {
                        "RecycleBinUUID" => recycle_bin = Some(text.trim().to_owned()),
                        "RecycleBinEnabled" => {
                            recycle_enabled = text.trim().eq_ignore_ascii_case("true")
                        }
                        _ => {}
                    }
                }
            }
            Event::Text(t) => buffer.push_str(&t.xml10_content()),
            Event::CData(c) => {
                buffer.push_str(&c.into_inner());
            }
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => buffer.push(c),
                Ok(None) => match &*r.into_inner() {
                    "amp" => buffer.push('&'),
                    "lt" => buffer.push('<'),
                    "gt" => buffer.push('>'),
                    "quot" => buffer.push('"'),
                    "apos" => buffer.push('\''),
                    _ => return Err(malformed(format!("unknown entity; {}", position(&reader)))),
                },
                Err(_) => return Err(malformed(position(&reader))),
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(malformed(
            "no <KeePassFile> element; the file is empty".into(),
        ));
    }
    if let Some(open) = stack.last() {
        return Err(malformed(format!(
            "the file is truncated: it ends inside <{open}>"
        )));
    }
    if roots != 1 || root_groups != 1 {
        return Err(malformed(format!(
            "a KeePass XML file has one <KeePassFile> > <Root> holding one <Group>; this one has \
             {roots} <Root> and {root_groups} root <Group>"
        )));
    }
    let bin = recycle_bin.filter(|b| recycle_enabled && b != "AAAAAAAAAAAAAAAAAAAAAA==");
    let in_bin = groups.in_bin(bin.as_deref());
    Ok(records
        .into_iter()
        .filter(|(_, g)| !in_bin[*g])
        .map(|(mut r, g)| {
            r.group = groups.path(g);
            if !r.group.is_empty() {
                r.tags.push(r.group.clone());
            }
            r
        })
        .collect())
}

/// Every group of the file in document order (a parent before its children), so memory stays
/// linear in the file however deep the groups nest.
#[derive(Default)]
struct Groups {
    uuid: Vec<String>,
    name: Vec<String>,
    parent: Vec<Option<usize>>,
}

impl Groups {
    fn push(&mut self, parent: Option<usize>) -> usize {
        self.uuid.push(String::new());
        self.name.push(String::new());
        self.parent.push(parent);
        self.parent.len() - 1
    }

    /// Per group: whether it is the recycle bin or inside it.
    fn in_bin(&self, bin: Option<&str>) -> Vec<bool> {
        let mut inside = Vec::with_capacity(self.uuid.len());
        for (i, uuid) in self.uuid.iter().enumerate() {
            let parent = self.parent[i].is_some_and(|p| inside.get(p) == Some(&true));
            inside.push(parent || bin == Some(uuid.as_str()));
        }
        inside
    }

    /// The path of group `g` below the root group ("Exchanges/Spot"), cut to its last groups
    /// (after "…/") when longer than [`MAX_GROUP_TAG`].
    fn path(&self, g: usize) -> String {
        let mut names: Vec<&str> = Vec::new();
        let mut len = 0;
        let mut at = Some(g);
        while let Some(i) = at {
            at = self.parent[i];
            if at.is_none() {
                break; // the root group itself
            }
            len += self.name[i].len() + 1;
            if len > MAX_GROUP_TAG && !names.is_empty() {
                names.push("…");
                break;
            }
            names.push(self.name[i].as_str());
        }
        names.reverse();
        names.join("/")
    }
}

fn element_name(start: &BytesStart<'_>) -> String {
    start.name().as_ref().to_owned()
}

fn attr_true(start: &BytesStart<'_>, name: &str) -> bool {
    start
        .attributes()
        .flatten()
        .any(|a| a.key.as_ref() == name && a.value.as_ref().eq_ignore_ascii_case("true"))
}

/// KeePassXC 2.5 and older kept a TOTP as "TOTP Seed" and "TOTP Settings", not an `otp`
/// URI: the record's TOTP becomes the URI KeePassXC shows for them.
fn legacy_totp(record: &mut Record) {
    let field = |name: &str| {
        record
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.expose())
    };
    if field(super::keepass::OTP_FIELD).is_some() {
        return;
    }
    if let Some(seed) = field("TOTP Seed").filter(|s| !s.trim().is_empty()) {
        let uri = super::keepass::legacy_totp_uri(
            seed,
            field("TOTP Settings"),
            &record.title,
            &record.username,
        );
        record.totp = Some(SecretString::from(uri));
    }
}

fn set_string(record: &mut Record, key: String, value: SecretString, protected: bool) {
    match key.as_str() {
        "Title" => record.title = value.expose().to_owned(),
        "UserName" => record.username = value.expose().to_owned(),
        "Password" => record.password = value,
        "URL" => record.url = value.expose().to_owned(),
        "Notes" => record.notes = value.expose().to_owned(),
        _ => record.fields.push(CustomField {
            name: key,
            value,
            protected,
        }),
    }
}

/// A KeePass XML time: ISO 8601 (KDBX 3 style) or base64 of little-endian seconds since
/// 0001-01-01 (KDBX 4 style).
fn xml_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(d) = parse_date(text) {
        return Some(d);
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let secs = i64::from_le_bytes(raw.try_into().ok()?);
    DateTime::from_timestamp(secs.checked_sub(SECONDS_YEAR_ONE_TO_EPOCH)?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_time_encodings() {
        let iso = xml_date("2026-03-15T10:00:00Z").expect("iso");
        // 2026-03-15T10:00:00Z as seconds since year 1, little-endian, base64.
        let secs = iso.timestamp() + SECONDS_YEAR_ONE_TO_EPOCH;
        let b64 = base64::engine::general_purpose::STANDARD.encode(secs.to_le_bytes());
        assert_eq!(xml_date(&b64), Some(iso));
        assert_eq!(xml_date("yesterday"), None);
    }

    #[test]
    fn escaping_keeps_carriage_returns_and_refuses_control_characters() {
        assert_eq!(
            escape("a\r\n<&>\"'").as_deref(),
            Some("a&#13;\n&lt;&amp;&gt;&quot;&apos;")
        );
        assert_eq!(escape("bell\u{7}"), None);
    }
}
