//! `.env` files (import only): each `NAME=value` line becomes a token named `NAME`.
//!
//! Understood: blank lines and `#` comments, an optional `export ` prefix, unquoted values
//! (a ` #` starts a comment), single quotes (literal) and double quotes (with `\n`, `\r`,
//! `\t`, `\"` and `\\` escapes, possibly spanning lines).

use std::path::Path;

use super::record::Record;
use super::{Format, TransferError, utf8};
use crate::secret::SecretString;

/// The variables of a `.env` file as token records.
pub fn import(bytes: &[u8], path: &Path) -> Result<Vec<Record>, TransferError> {
    let text = utf8(bytes, path, Format::Dotenv)?;
    let malformed = |line: usize, what: &str| TransferError::Malformed {
        path: path.to_owned(),
        format: Format::Dotenv,
        what: format!("line {line}: {what}"),
    };
    let mut records = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((number, line)) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let trimmed = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let Some((name, raw)) = trimmed.split_once('=') else {
            return Err(malformed(number, "expected NAME=value"));
        };
        let name = name.trim();
        let valid_name = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        if !valid_name {
            return Err(malformed(number, "the variable name is not valid"));
        }
        let raw = raw.trim_start();
        let value = if let Some(rest) = raw.strip_prefix('"') {
            let mut buf = rest.to_owned();
            loop {
                if let Some(v) = closed_double_quoted(&buf) {
                    break v;
                }
                let Some((_, next)) = lines.next() else {
                    return Err(malformed(number, "a double quote is never closed"));
                };
                buf.push('\n');
                buf.push_str(next);
            }
        } else if let Some(rest) = raw.strip_prefix('\'') {
            match rest.find('\'') {
                Some(end) => rest[..end].to_owned(),
                None => return Err(malformed(number, "a single quote is never closed")),
            }
        } else {
            let value = match raw.find(" #") {
                Some(i) => &raw[..i],
                None => raw,
            };
            value.trim_end().to_owned()
        };
        records.push(Record {
            title: name.to_owned(),
            password: SecretString::new(value),
            ..Record::default()
        });
    }
    Ok(records)
}

/// The value of a double-quoted text when its closing quote is in `text`.
fn closed_double_quoted(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => return None,
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_shapes() {
        let text =
            "# comment\n\nexport A=plain # note\nB='lit $x \\n'\nC=\"multi\nline \\\"q\\\"\"\nD=\n";
        let records = import(text.as_bytes(), Path::new(".env")).expect("parse");
        let got: Vec<(&str, &str)> = records
            .iter()
            .map(|r| (r.title.as_str(), r.password.expose()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("A", "plain"),
                ("B", "lit $x \\n"),
                ("C", "multi\nline \"q\""),
                ("D", ""),
            ]
        );
    }

    #[test]
    fn errors_name_the_line_not_the_value() {
        let err = import(b"OK=1\nsecret-without-equals\n", Path::new(".env"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("secret-without"), "{err}");
        assert!(import(b"A=\"open\n", Path::new(".env")).is_err());
    }
}
