//! KeePass 2 XML, unencrypted: what `keepassxc-cli export -f xml` writes and
//! `keepassxc-cli import` reads. Same mapping as KDBX (custom protected strings, tags, times).

use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Utc};

use super::keepass_xml_read;
use super::record::{Native, Record};
use super::{Format, TransferError, line_column, utf8};
use crate::secret::SecretBytes;
use crate::vault::Vault;

/// Native KeePass fields (the KeePass formats share them).
pub(super) const NATIVE: Native = super::keepass::NATIVE;

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
            entry: entry.name.to_string(),
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

/// The entries of a KeePass 2 XML file (history versions and the recycle bin left out),
/// handed to `sink` in document order as they are read.
pub fn import(
    bytes: &[u8],
    path: &Path,
    sink: &mut dyn FnMut(Record),
) -> Result<(), TransferError> {
    let text = utf8(bytes, path, Format::KeepassXml)?;
    let offset = bytes.len() - text.len();
    keepass_xml_read::read(text.as_bytes(), None, None, sink).map_err(|e| {
        let position = e.at.map(|at| {
            let at = usize::try_from(at).unwrap_or(usize::MAX);
            let (line, column) = line_column(bytes, offset.saturating_add(at));
            format!("malformed XML at line {line}, column {column}")
        });
        let what = match (e.what.is_empty(), position) {
            (true, Some(p)) => p,
            (false, Some(p)) => format!("{}; {p}", e.what),
            (_, None) => e.what,
        };
        TransferError::Malformed {
            path: path.to_owned(),
            format: Format::KeepassXml,
            what,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_carriage_returns_and_refuses_control_characters() {
        assert_eq!(
            escape("a\r\n<&>\"'").as_deref(),
            Some("a&#13;\n&lt;&amp;&gt;&quot;&apos;")
        );
        assert_eq!(escape("bell\u{7}"), None);
    }
}
