//! The reader of KeePass 2 XML, shared by the plain XML import ([`super::keepass_xml`]) and
//! the kdbx import ([`super::kdbx_read`]), which streams the decrypted, decompressed XML
//! through it. It reads any [`BufRead`], so a kdbx never holds its whole XML in memory;
//! values a kdbx protects (`Protected="True"`) are decrypted with the file's inner stream in
//! document order, as KeePass wrote them.
//!
//! Element names are matched to a small [`Tag`] set without allocating, the text of an
//! element is gathered in one reused buffer, and each entry goes to the caller's sink as soon
//! as its group's place is known ([`Emitter`]), so time and memory stay linear in the file
//! and the records of a large file are never all held at once.

use std::io::BufRead;

use base64::Engine;
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesStart, Event};
use zeroize::{Zeroize, Zeroizing};

use super::keepass::{OTP_FIELD, legacy_totp_uri};
use super::keepass_xml_groups::{Emitter, Groups};
use super::record::{CustomField, Record};
use crate::secret::SecretString;
use crate::vault::parse_date;

/// Seconds from 0001-01-01 to 1970-01-01: KDBX 4 XML stores times as base64 seconds since
/// year 1.
const SECONDS_YEAR_ONE_TO_EPOCH: i64 = 62_135_596_800;

/// The inner stream of a kdbx (Salsa20 or ChaCha20): XORs its next bytes onto `data`.
pub(super) trait InnerStream {
    /// Decrypts `data` in place with the next `data.len()` bytes of the key stream.
    fn apply(&mut self, data: &mut [u8]);
}

/// Why the XML could not be read: `what` (may be empty) and the byte position of a syntax
/// error. Never quotes the file's content.
#[derive(Debug)]
pub(super) struct XmlError {
    /// Byte offset into the XML where the parser stopped, for syntax errors.
    pub at: Option<u64>,
    /// What is wrong, in words.
    pub what: String,
    /// `Meta` › `HeaderHash` is not the SHA-256 the caller expected (KDBX 3.1).
    pub header_mismatch: bool,
}

impl XmlError {
    fn said(what: impl Into<String>) -> Self {
        XmlError {
            at: None,
            what: what.into(),
            header_mismatch: false,
        }
    }
}

/// The elements the reader looks at; every other name is [`Tag::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    KeePassFile,
    Meta,
    Root,
    Group,
    Entry,
    String,
    Key,
    Value,
    Times,
    CreationTime,
    LastModificationTime,
    ExpiryTime,
    Expires,
    Tags,
    Binary,
    Uuid,
    Name,
    RecycleBinUuid,
    RecycleBinEnabled,
    HeaderHash,
    Other,
}

impl Tag {
    fn of(name: &str) -> Tag {
        match name {
            "KeePassFile" => Tag::KeePassFile,
            "Meta" => Tag::Meta,
            "Root" => Tag::Root,
            "Group" => Tag::Group,
            "Entry" => Tag::Entry,
            "String" => Tag::String,
            "Key" => Tag::Key,
            "Value" => Tag::Value,
            "Times" => Tag::Times,
            "CreationTime" => Tag::CreationTime,
            "LastModificationTime" => Tag::LastModificationTime,
            "ExpiryTime" => Tag::ExpiryTime,
            "Expires" => Tag::Expires,
            "Tags" => Tag::Tags,
            "Binary" => Tag::Binary,
            "UUID" => Tag::Uuid,
            "Name" => Tag::Name,
            "RecycleBinUUID" => Tag::RecycleBinUuid,
            "RecycleBinEnabled" => Tag::RecycleBinEnabled,
            "HeaderHash" => Tag::HeaderHash,
            _ => Tag::Other,
        }
    }
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

/// Reads a KeePass 2 XML document from `input`. `inner` decrypts `Protected="True"` values
/// (a kdbx); without it such values are refused, as a plain XML file has them in clear.
/// `header_sha256`: a `Meta` › `HeaderHash` must hold it (KDBX 3.1), checked as soon as it
/// is read, before any protected value. The entries (history versions and the recycle bin
/// left out) go to `sink` in document order; on an error the caller drops what it was given.
pub(super) fn read<R: BufRead>(
    input: R,
    mut inner: Option<&mut dyn InnerStream>,
    header_sha256: Option<&[u8]>,
    sink: &mut dyn FnMut(Record),
) -> Result<(), XmlError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().trim_text(false);
    let at = |r: &quick_xml::Reader<R>, what: &str| XmlError {
        at: Some(r.error_position()),
        what: what.to_owned(),
        header_mismatch: false,
    };
    let mut buf: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(64 * 1024));
    let mut text: Zeroizing<String> = Zeroizing::new(String::with_capacity(4096));
    let mut stack: Vec<Tag> = Vec::with_capacity(32);
    // Every group read, and the open ones (index into `groups`, element depth).
    let mut groups = Groups::default();
    let mut open_groups: Vec<(usize, usize)> = Vec::new();
    let mut pending: Option<Pending> = None;
    let mut emitter = Emitter::new(sink);
    let mut recycle_bin: Option<String> = None;
    let mut recycle_enabled = true;
    // `Meta` has been read: the recycle bin is known.
    let mut meta_read = false;
    let mut saw_root = false;
    // The open element carries Protected="True" (its text is base64 of encrypted bytes).
    let mut encrypted = false;
    let (mut roots, mut root_groups) = (0usize, 0usize);
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(_) => return Err(at(&reader, "")),
        };
        match event {
            Event::Start(start) => {
                let tag = Tag::of(start.name().as_ref());
                if stack.is_empty() {
                    if tag != Tag::KeePassFile {
                        return Err(XmlError::said("the root element is not <KeePassFile>"));
                    }
                    saw_root = true;
                }
                text.clear();
                encrypted = attr_true(&start, "Protected");
                let depth = stack.len();
                let parent = stack.last().copied();
                match (tag, parent) {
                    (Tag::Root, Some(Tag::KeePassFile)) if depth == 1 => roots += 1,
                    (Tag::Group, Some(p))
                        if pending.is_none() && (p == Tag::Group || depth == 2) =>
                    {
                        if depth == 2 {
                            if p != Tag::Root {
                                return Err(at(&reader, "<Group> outside <Root>"));
                            }
                            root_groups += 1;
                        }
                        let parent = open_groups.last().map(|g| g.0);
                        open_groups.push((groups.push(parent), depth));
                    }
                    (Tag::Entry, Some(Tag::Group)) if pending.is_none() => {
                        let Some(&(group, _)) = open_groups.last() else {
                            return Err(at(&reader, ""));
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
                    (Tag::Value, Some(Tag::String)) => {
                        if let Some(p) = pending.as_mut().filter(|p| depth == p.depth + 2) {
                            p.protected = encrypted || attr_true(&start, "ProtectInMemory");
                            if encrypted && inner.is_none() {
                                return Err(XmlError::said(
                                    "values are encrypted (Protected=\"True\"); export the XML \
                                     from KeePassXC, which writes them in clear",
                                ));
                            }
                        }
                    }
                    _ => {}
                }
                stack.push(tag);
            }
            Event::End(_) => {
                let Some(tag) = stack.pop() else {
                    return Err(at(&reader, ""));
                };
                if std::mem::take(&mut encrypted)
                    && let Some(stream) = inner.as_mut()
                    && !decrypt(&mut text, &mut **stream)?
                    && tag == Tag::Value
                    && pending.is_some()
                {
                    return Err(XmlError::said(
                        "a protected value does not decrypt to text; the file is damaged",
                    ));
                }
                let depth = stack.len();
                let parent = stack.last().copied();
                if let Some(p) = pending.as_mut() {
                    let rel = depth.saturating_sub(p.depth);
                    match (tag, parent, rel) {
                        (Tag::Entry, _, 0) => {
                            if let Some(mut done) = pending.take() {
                                done.record.expires = done.expiry.filter(|_| done.expires);
                                legacy_totp(&mut done.record);
                                let bin = meta_read.then(|| bin_of(&recycle_bin, recycle_enabled));
                                emitter.entry(done.record, done.group, &groups, bin);
                            }
                        }
                        (Tag::Binary, _, 1) => p.record.unsupported.push("attachment".to_owned()),
                        (Tag::Tags, _, 1) => {
                            p.record.tags = text
                                .split([',', ';'])
                                .map(str::trim)
                                .filter(|t| !t.is_empty())
                                .map(str::to_owned)
                                .collect();
                        }
                        (Tag::CreationTime, Some(Tag::Times), 2) => {
                            p.record.created = Some(xml_date(&text).ok_or_else(|| {
                                XmlError::said(format!(
                                    "entry {}: bad CreationTime",
                                    emitter.count + 1
                                ))
                            })?);
                        }
                        (Tag::LastModificationTime, Some(Tag::Times), 2) => {
                            p.record.modified = xml_date(&text);
                        }
                        (Tag::ExpiryTime, Some(Tag::Times), 2) => p.expiry = xml_date(&text),
                        (Tag::Expires, Some(Tag::Times), 2) => {
                            p.expires = text.trim().eq_ignore_ascii_case("true");
                        }
                        (Tag::Key, Some(Tag::String), 2) => {
                            p.key.clear();
                            p.key.push_str(&text);
                        }
                        (Tag::Value, Some(Tag::String), 2) => {
                            p.value = SecretString::from(text.as_str());
                        }
                        (Tag::String, _, 1) => {
                            let value = std::mem::take(&mut p.value);
                            set_string(&mut p.record, &p.key, value, p.protected);
                            p.key.clear();
                            p.protected = false;
                        }
                        _ => {}
                    }
                } else if tag == Tag::Group && open_groups.last().map(|g| g.1) == Some(depth) {
                    open_groups.pop();
                } else if let Some(&(g, gd)) = open_groups.last() {
                    if depth == gd + 1 {
                        match tag {
                            Tag::Uuid => groups.set_uuid(g, &text),
                            Tag::Name => groups.set_name(g, &text),
                            _ => {}
                        }
                    }
                } else if tag == Tag::Meta && depth == 1 {
                    meta_read = true;
                } else if parent == Some(Tag::Meta) && depth == 2 {
                    match tag {
                        Tag::RecycleBinUuid => recycle_bin = Some(text.trim().to_owned()),
                        Tag::RecycleBinEnabled => {
                            recycle_enabled = text.trim().eq_ignore_ascii_case("true")
                        }
                        Tag::HeaderHash => {
                            let stored = base64::engine::general_purpose::STANDARD
                                .decode(text.trim())
                                .ok();
                            if let Some(expected) = header_sha256
                                && stored.as_deref() != Some(expected)
                            {
                                return Err(XmlError {
                                    header_mismatch: true,
                                    ..XmlError::said("the header hash does not match")
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                Ok(None) => match r.as_ref() {
                    "amp" => text.push('&'),
                    "lt" => text.push('<'),
                    "gt" => text.push('>'),
                    "quot" => text.push('"'),
                    "apos" => text.push('\''),
                    _ => return Err(at(&reader, "unknown entity")),
                },
                Err(_) => return Err(at(&reader, "")),
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(XmlError::said(
            "no <KeePassFile> element; the file is empty",
        ));
    }
    if let Some(open) = stack.last() {
        return Err(XmlError::said(format!(
            "the file is truncated: it ends inside <{}>",
            open.name()
        )));
    }
    if roots != 1 || root_groups != 1 {
        return Err(XmlError::said(format!(
            "a KeePass XML file has one <KeePassFile> > <Root> holding one <Group>; this one has \
             {roots} <Root> and {root_groups} root <Group>"
        )));
    }
    emitter.finish(&groups, bin_of(&recycle_bin, recycle_enabled));
    Ok(())
}

/// The recycle bin's UUID as `Meta` gives it, if the bin is in use.
fn bin_of(uuid: &Option<String>, enabled: bool) -> Option<&str> {
    uuid.as_deref()
        .filter(|b| enabled && *b != "AAAAAAAAAAAAAAAAAAAAAA==")
}

impl Tag {
    /// The element name, for messages (only the names the reader knows).
    fn name(self) -> &'static str {
        match self {
            Tag::KeePassFile => "KeePassFile",
            Tag::Meta => "Meta",
            Tag::Root => "Root",
            Tag::Group => "Group",
            Tag::Entry => "Entry",
            Tag::String => "String",
            Tag::Key => "Key",
            Tag::Value => "Value",
            Tag::Times => "Times",
            Tag::CreationTime => "CreationTime",
            Tag::LastModificationTime => "LastModificationTime",
            Tag::ExpiryTime => "ExpiryTime",
            Tag::Expires => "Expires",
            Tag::Tags => "Tags",
            Tag::Binary => "Binary",
            Tag::Uuid => "UUID",
            Tag::Name => "Name",
            Tag::RecycleBinUuid => "RecycleBinUUID",
            Tag::RecycleBinEnabled => "RecycleBinEnabled",
            Tag::HeaderHash => "HeaderHash",
            Tag::Other => "…",
        }
    }
}

/// Replaces the base64 `text` of a protected element by its decryption; false (and `text`
/// empty) when the decryption is not UTF-8 text.
fn decrypt(text: &mut Zeroizing<String>, stream: &mut dyn InnerStream) -> Result<bool, XmlError> {
    let damaged = || XmlError::said("a protected value is not valid base64");
    let mut raw = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| damaged())?,
    );
    stream.apply(&mut raw);
    text.clear();
    // A protected binary (KDBX 3.1 Meta) is not text; nothing reads it.
    let is_text = match std::str::from_utf8(&raw) {
        Ok(s) => {
            text.push_str(s);
            true
        }
        Err(_) => false,
    };
    raw.zeroize();
    Ok(is_text)
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
    if field(OTP_FIELD).is_some() {
        return;
    }
    if let Some(seed) = field("TOTP Seed").filter(|s| !s.trim().is_empty()) {
        let uri = legacy_totp_uri(
            seed,
            field("TOTP Settings"),
            &record.title,
            &record.username,
        );
        record.totp = Some(SecretString::from(uri));
    }
}

fn set_string(record: &mut Record, key: &str, value: SecretString, protected: bool) {
    match key {
        "Title" => record.title = value.expose().to_owned(),
        "UserName" => record.username = value.expose().to_owned(),
        "Password" => record.password = value,
        "URL" => record.url = value.expose().to_owned(),
        "Notes" => record.notes = value.expose().to_owned(),
        _ => record.fields.push(CustomField {
            name: key.into(),
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

    /// XORs a repeating byte pattern: enough to check protected values are decrypted in
    /// document order, one stream across values.
    struct Counter(u8);
    impl InnerStream for Counter {
        fn apply(&mut self, data: &mut [u8]) {
            for b in data {
                *b ^= self.0;
                self.0 = self.0.wrapping_add(1);
            }
        }
    }

    fn protect(plain: &str, stream: &mut Counter) -> String {
        let mut raw = plain.as_bytes().to_vec();
        stream.apply(&mut raw);
        base64::engine::general_purpose::STANDARD.encode(raw)
    }

    #[test]
    fn protected_values_are_decrypted_in_document_order_history_included() {
        let mut enc = Counter(7);
        let first = protect("first secret", &mut enc);
        let old = protect("old secret", &mut enc);
        let second = protect("second", &mut enc);
        let xml = format!(
            "<KeePassFile><Meta></Meta><Root><Group><Name>r</Name>\
             <Entry><String><Key>Title</Key><Value>a</Value></String>\
             <String><Key>Password</Key><Value Protected=\"True\">{first}</Value></String>\
             <History><Entry><String><Key>Password</Key><Value Protected=\"True\">{old}</Value>\
             </String></Entry></History></Entry>\
             <Entry><String><Key>Title</Key><Value>b</Value></String>\
             <String><Key>Token</Key><Value Protected=\"True\">{second}</Value></String></Entry>\
             </Group></Root></KeePassFile>"
        );
        let mut dec = Counter(7);
        let mut records = Vec::new();
        read(xml.as_bytes(), Some(&mut dec), None, &mut |r| {
            records.push(r)
        })
        .expect("parse");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].password.expose(), "first secret");
        assert_eq!(records[1].fields[0].value.expose(), "second");
        assert!(records[1].fields[0].protected);
        // Without the stream the same file is refused, never read as base64 garbage.
        assert!(read(xml.as_bytes(), None, None, &mut drop).is_err());
    }
    /// The records `read` hands to its sink for `xml` (every one, or those before an error).
    fn sunk(xml: &str) -> (Vec<Record>, bool) {
        let mut records = Vec::new();
        let ok = read(xml.as_bytes(), None, None, &mut |r| records.push(r)).is_ok();
        (records, ok)
    }

    const META: &str = "<Meta><RecycleBinUUID>BIN</RecycleBinUUID></Meta>";

    #[test]
    fn entries_stream_out_once_their_group_is_known() {
        // A file cut after its second entry: both were handed over before the error, so a
        // large file's records are not all held until its end.
        let xml = format!(
            "<KeePassFile>{META}<Root><Group><UUID>R</UUID><Name>Root</Name>\
             <Group><UUID>G</UUID><Name>Exchanges</Name>\
             <Entry><String><Key>Title</Key><Value>a</Value></String></Entry>\
             <Entry><String><Key>Title</Key><Value>b</Value></String></Entry>\
             <Entry><String><Key>Title</Key><Value>c</Value>"
        );
        let (records, ok) = sunk(&xml);
        assert!(!ok, "a truncated file is refused");
        let titles: Vec<&str> = records.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["a", "b"]);
        assert_eq!(records[0].group, "Exchanges");
        assert_eq!(records[0].tags, ["Exchanges"]);
    }

    #[test]
    fn entries_read_before_their_place_is_known_wait_for_the_end_in_order() {
        // The group's name after its first entry, Meta (naming the bin) after Root: nothing
        // can be placed early; at the end the same paths and bin apply, in document order.
        let xml = "<KeePassFile><Root><Group><UUID>R</UUID><Name>Root</Name>\
             <Group><UUID>G</UUID>\
             <Entry><String><Key>Title</Key><Value>a</Value></String></Entry>\
             <Name>Late</Name>\
             <Entry><String><Key>Title</Key><Value>b</Value></String></Entry></Group>\
             <Group><UUID>BIN</UUID><Name>Bin</Name>\
             <Entry><String><Key>Title</Key><Value>deleted</Value></String></Entry></Group>\
             <Entry><String><Key>Title</Key><Value>c</Value></String></Entry>\
             </Group></Root><Meta><RecycleBinUUID>BIN</RecycleBinUUID></Meta></KeePassFile>";
        let (records, ok) = sunk(xml);
        assert!(ok);
        let placed: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r.title.as_str(), r.group.as_str()))
            .collect();
        assert_eq!(placed, [("a", "Late"), ("b", "Late"), ("c", "")]);
        // The same file cut before its end hands over nothing: every entry was waiting.
        let cut = &xml[..xml.find("<Meta>").expect("meta")];
        let (records, ok) = sunk(cut);
        assert!(!ok && records.is_empty(), "{} handed over", records.len());
    }

    #[test]
    fn the_recycle_bin_is_left_out_when_streaming_too() {
        let xml = format!(
            "<KeePassFile>{META}<Root><Group><UUID>R</UUID><Name>Root</Name>\
             <Group><UUID>BIN</UUID><Name>Recycle Bin</Name>\
             <Group><UUID>S</UUID><Name>Sub</Name>\
             <Entry><String><Key>Title</Key><Value>gone</Value></String></Entry></Group>\
             <Entry><String><Key>Title</Key><Value>gone too</Value></String></Entry></Group>\
             <Entry><String><Key>Title</Key><Value>kept</Value></String></Entry>\
             </Group></Root></KeePassFile>"
        );
        let (records, ok) = sunk(&xml);
        assert!(ok);
        let titles: Vec<&str> = records.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["kept"]);
    }
}
