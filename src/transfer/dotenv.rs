//! `.env` files (import only), read the way motdotla/dotenv's `parse` reads them; each
//! variable becomes a token named after it.
//!
//! A line is `[export ]NAME=value` or `NAME: value` (NAME of letters, digits, `_`, `.`, `-`),
//! surrounding spaces ignored. The value is unquoted (it ends at a `#`, which starts a
//! comment, and is trimmed), or in single quotes, double quotes or backticks, which may span
//! lines and keep everything inside; a `#` after the closing quote starts a comment. Only
//! double-quoted values expand `\n` and `\r`; no other escape is processed. Blank lines and
//! `#` lines are skipped; `\r\n` and `\r` line ends count as `\n`. A name given twice keeps
//! its last value (reported). Where dotenv would silently skip a line keyward cannot read, or
//! where a quote is never closed, the import stops with an error naming the line, and nothing
//! of the file reaches the vault.

use std::path::Path;

use super::record::Record;
use super::{Format, TransferError, utf8};
use crate::secret::SecretString;

/// One variable as read: its name, value and 1-based line.
struct Variable {
    name: String,
    value: String,
    line: usize,
}

/// The variables of a `.env` file as token records, in the order of their last definition.
pub fn import(bytes: &[u8], path: &Path) -> Result<Vec<Record>, TransferError> {
    let text = utf8(bytes, path, Format::Dotenv)?;
    let variables = parse(text).map_err(|(line, what)| TransferError::Malformed {
        path: path.to_owned(),
        format: Format::Dotenv,
        what: format!("line {line}: {what}; nothing was imported"),
    })?;
    let mut records: Vec<Record> = Vec::with_capacity(variables.len());
    for var in variables {
        if let Some(pos) = records.iter().position(|r| r.title == var.name) {
            let mut earlier = records.remove(pos);
            earlier.password = SecretString::new(var.value);
            earlier.changed.push((
                "value".to_owned(),
                format!(
                    "the name is set more than once; the last value (line {}) is kept, as \
                     dotenv does",
                    var.line
                ),
            ));
            records.push(earlier);
            continue;
        }
        records.push(Record {
            title: var.name,
            password: SecretString::new(var.value),
            ..Record::default()
        });
    }
    Ok(records)
}

/// Every variable of `text`, or the line and reason of the first thing that is not one.
fn parse(text: &str) -> Result<Vec<Variable>, (usize, &'static str)> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    let mut line = 1;
    loop {
        // Blank lines and comment lines.
        let start = rest.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c']);
        line += rest[..rest.len() - start.len()].matches('\n').count();
        rest = start;
        if rest.is_empty() {
            return Ok(out);
        }
        if rest.starts_with('#') {
            rest = rest.find('\n').map_or("", |i| &rest[i..]);
            continue;
        }
        let (var, after) = variable(rest, line)?;
        line += rest[..rest.len() - after.len()].matches('\n').count();
        rest = after;
        out.push(var);
    }
}

/// One `NAME=value` starting at `text` (no leading space), and the text after its line.
fn variable(text: &str, line: usize) -> Result<(Variable, &str), (usize, &'static str)> {
    let mut rest = text;
    if let Some(after) = rest
        .strip_prefix("export")
        .filter(|a| a.starts_with([' ', '\t']))
    {
        rest = after.trim_start_matches([' ', '\t']);
    }
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(rest.len());
    if name_len == 0 {
        return Err((
            line,
            "expected NAME=value (a name of letters, digits, _ . -)",
        ));
    }
    let name = &rest[..name_len];
    rest = &rest[name_len..];
    let spaced = rest.trim_start_matches([' ', '\t']);
    if let Some(after) = spaced.strip_prefix('=') {
        rest = after;
    } else if let Some(after) = rest
        .strip_prefix(':')
        .filter(|a| a.starts_with([' ', '\t']))
    {
        rest = after;
    } else {
        return Err((line, "expected = after the variable name"));
    }
    let value_start = rest.trim_start_matches([' ', '\t']);
    let end_of_line = |s: &str| s.find('\n').unwrap_or(s.len());
    if let Some(quote) = value_start
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))
    {
        match closing_quote(&value_start[1..], quote) {
            Some(close) => {
                let inner = &value_start[1..1 + close];
                let after = &value_start[1 + close + 1..];
                let tail = &after[..end_of_line(after)];
                let tail_trimmed = tail.trim_start_matches([' ', '\t']);
                if tail_trimmed.is_empty() || tail_trimmed.starts_with('#') {
                    let value = if quote == '"' {
                        inner.replace("\\n", "\n").replace("\\r", "\r")
                    } else {
                        inner.to_owned()
                    };
                    let var = Variable {
                        name: name.to_owned(),
                        value,
                        line,
                    };
                    return Ok((var, &after[tail.len()..]));
                }
                // Text after the closing quote: dotenv reads the line as unquoted.
            }
            None => return Err((line, "a quote is opened and never closed")),
        }
    }
    let line_end = end_of_line(rest);
    let raw = &rest[..line_end];
    let raw = raw.find('#').map_or(raw, |i| &raw[..i]).trim();
    // dotenv strips one pair of matching quotes around what is left.
    let value = match raw.chars().next() {
        Some(q @ ('\'' | '"' | '`')) if raw.len() >= 2 && raw.ends_with(q) => {
            &raw[1..raw.len() - 1]
        }
        _ => raw,
    };
    let var = Variable {
        name: name.to_owned(),
        value: value.to_owned(),
        line,
    };
    Ok((var, &rest[line_end..]))
}

/// The byte offset of the quote closing a value that opened with `quote`; a backslash before
/// it escapes it (and stays in the value, as in dotenv).
fn closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if c == quote && !escaped {
            return Some(i);
        }
        escaped = c == '\\' && !escaped;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        import(text.as_bytes(), Path::new(".env"))
            .expect("parse")
            .into_iter()
            .map(|r| (r.title, r.password.expose().to_owned()))
            .collect()
    }

    #[test]
    fn reads_the_usual_shapes() {
        let text = "# comment\n\nexport A=plain # note\nB='lit $x \\n'\nC=\"multi\nline \\n\"\nD=\nE: colon\r\nF=`back'tick\"`\n";
        let got = values(text);
        let want = [
            ("A", "plain"),
            ("B", "lit $x \\n"),
            ("C", "multi\nline \n"),
            ("D", ""),
            ("E", "colon"),
            ("F", "back'tick\""),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_last_of_a_repeated_name_wins_and_is_reported() {
        let records = import(b"DUP=one\nDUP=two\n", Path::new(".env")).expect("parse");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].password.expose(), "two");
        assert_eq!(records[0].changed.len(), 1);
    }

    #[test]
    fn errors_name_the_line_not_the_value() {
        for (text, line) in [
            ("OK=1\nsecret-without-equals\n", "line 2"),
            ("OK=1\n\nA=\"s3cr3t\nmore", "line 3"),
            ("A='x'\n  = no name", "line 2"),
        ] {
            let err = import(text.as_bytes(), Path::new(".env"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(line), "{text:?}: {err}");
            assert!(
                !err.contains("secret-without") && !err.contains("s3cr3t"),
                "{err}"
            );
        }
    }
}
