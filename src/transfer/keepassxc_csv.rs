//! KeePassXC's CSV export: `"Group","Title","Username","Password","URL","Notes","TOTP","Icon",
//! "Last Modified","Created"`. No custom fields and no expiry: tags, expiry and the rest go
//! into notes lines; passphrases and public keys cannot be carried.

use std::path::Path;

use super::notes::format_date;
use super::record::{self, Native, Record};
use super::{Format, TransferError, utf8};
use crate::secret::{SecretBytes, SecretString};
use crate::vault::{Vault, parse_date};

/// The header KeePassXC writes.
pub const HEADER: [&str; 10] = [
    "Group",
    "Title",
    "Username",
    "Password",
    "URL",
    "Notes",
    "TOTP",
    "Icon",
    "Last Modified",
    "Created",
];

pub(super) const NATIVE: Native = Native {
    tags: false,
    created: true,
    expires: false,
    custom_fields: false,
    totp: true,
};

/// The vault as KeePassXC CSV (every field quoted, `\n` line ends, as KeePassXC writes).
pub fn export(vault: &Vault) -> Result<SecretBytes, TransferError> {
    let mut w = csv_writer();
    write_row(&mut w, HEADER.iter().copied())?;
    for entry in &vault.entries {
        let rec = record::from_entry(entry, NATIVE);
        let modified = rec.modified.map(format_date).unwrap_or_default();
        let created = rec.created.map(format_date).unwrap_or_default();
        let totp = rec
            .totp
            .as_ref()
            .map(SecretString::expose)
            .unwrap_or_default();
        write_row(
            &mut w,
            [
                "Root",
                rec.title.as_str(),
                rec.username.as_str(),
                rec.password.expose(),
                rec.url.as_str(),
                rec.notes.as_str(),
                totp,
                "0",
                modified.as_str(),
                created.as_str(),
            ],
        )?;
    }
    finish(w, Format::KeepassxcCsv)
}

/// The rows of a KeePassXC CSV file (columns found by their header names).
pub fn import(bytes: &[u8], path: &Path) -> Result<Vec<Record>, TransferError> {
    let text = utf8(bytes, path, Format::KeepassxcCsv)?;
    let table = read_table(text, path, Format::KeepassxcCsv)?;
    let col = |name: &str| table.column(name);
    let totp = col("TOTP");
    let (title, user, pass, url, notes, created, modified, group) = (
        col("Title"),
        col("Username"),
        col("Password"),
        col("URL"),
        col("Notes"),
        col("Created"),
        col("Last Modified"),
        col("Group"),
    );
    if title.is_none() || pass.is_none() {
        return Err(TransferError::Malformed {
            path: path.to_owned(),
            format: Format::KeepassxcCsv,
            what: "the header has no \"Title\" or no \"Password\" column".into(),
        });
    }
    Ok(table
        .rows
        .iter()
        .map(|row| {
            let cell = |c: Option<usize>| c.and_then(|i| row.get(i)).map(String::as_str);
            Record {
                group: cell(group).unwrap_or_default().to_owned(),
                title: cell(title).unwrap_or_default().to_owned(),
                username: cell(user).unwrap_or_default().to_owned(),
                password: SecretString::from(cell(pass).unwrap_or_default()),
                url: cell(url).unwrap_or_default().to_owned(),
                notes: cell(notes).unwrap_or_default().to_owned(),
                created: cell(created).and_then(|d| parse_date(d).ok()),
                modified: cell(modified).and_then(|d| parse_date(d).ok()),
                totp: cell(totp).filter(|t| !t.is_empty()).map(SecretString::from),
                ..Record::default()
            }
        })
        .collect())
}

/// A CSV writer into memory with every field quoted and `\n` line ends.
pub(crate) fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(4096))
}

/// The characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection").
pub(crate) const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// True when a spreadsheet would read `cell` as a formula.
pub(crate) fn starts_formula(cell: &str) -> bool {
    cell.starts_with(FORMULA_STARTS)
}

/// Writes one row, each cell that would start a formula prefixed with `'` as OWASP
/// recommends (the row is quoted throughout); errors here are only I/O into memory.
pub(crate) fn write_row<'a>(
    w: &mut csv::Writer<Vec<u8>>,
    row: impl IntoIterator<Item = &'a str>,
) -> Result<(), TransferError> {
    let row = row.into_iter().map(|cell| {
        if starts_formula(cell) {
            let mut guarded = zeroize::Zeroizing::new(String::with_capacity(cell.len() + 1));
            guarded.push('\'');
            guarded.push_str(cell);
            Cell::Guarded(guarded)
        } else {
            Cell::Plain(cell)
        }
    });
    w.write_record(row).map_err(|_| TransferError::Internal {
        format: Format::Csv,
        what: "writing a CSV row failed".into(),
    })
}

/// A cell as written: as it is, or with the formula guard (zeroized, it may be a secret).
enum Cell<'a> {
    Plain(&'a str),
    Guarded(zeroize::Zeroizing<String>),
}

impl AsRef<[u8]> for Cell<'_> {
    fn as_ref(&self) -> &[u8] {
        match self {
            Cell::Plain(s) => s.as_bytes(),
            Cell::Guarded(s) => s.as_bytes(),
        }
    }
}

/// Undoes the formula guard of [`write_row`]: a `'` followed by a formula character is
/// dropped (keyward's own CSV exports, read back).
pub(crate) fn unguard(cell: String) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) => rest.to_owned(),
        _ => cell,
    }
}

/// The written bytes.
pub(crate) fn finish(
    w: csv::Writer<Vec<u8>>,
    format: Format,
) -> Result<SecretBytes, TransferError> {
    w.into_inner()
        .map(SecretBytes::new)
        .map_err(|_| TransferError::Internal {
            format,
            what: "flushing the CSV failed".into(),
        })
}

/// A parsed CSV file: its header and its rows.
pub(crate) struct Table {
    /// The header cells.
    pub header: Vec<String>,
    /// The data rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The index of the column with this header (case-insensitive, spaces and `_` ignored).
    pub fn column(&self, name: &str) -> Option<usize> {
        let want = simplify(name);
        self.header.iter().position(|h| simplify(h) == want)
    }
}

/// A header name reduced to lowercase letters and digits.
pub(crate) fn simplify(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads a CSV with a header row. Errors name the line only: a CSV message can quote a cell.
pub(crate) fn read_table(text: &str, path: &Path, format: Format) -> Result<Table, TransferError> {
    let malformed = |what: String| TransferError::Malformed {
        path: path.to_owned(),
        format,
        what,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            malformed(format!("malformed CSV near line {line}"))
        })?;
        rows.push(
            record
                .iter()
                .map(|c| unguard(c.to_owned()))
                .collect::<Vec<_>>(),
        );
    }
    // A quoted field left open swallows the rest of the file: the csv crate accepts that,
    // but it is a truncated or broken file.
    if unbalanced_quotes(text) {
        return Err(malformed(
            "a quoted field is never closed (the file is truncated or broken)".into(),
        ));
    }
    if rows.is_empty() {
        return Err(malformed("the file is empty (no header row)".into()));
    }
    let header = rows.remove(0);
    Ok(Table { header, rows })
}

/// True when the file ends inside a quoted field.
fn unbalanced_quotes(text: &str) -> bool {
    let mut inside = false;
    let mut at_field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if inside {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                } else {
                    inside = false;
                }
            }
        } else {
            match c {
                '"' if at_field_start => inside = true,
                ',' | '\n' | '\r' => {
                    at_field_start = true;
                    continue;
                }
                _ => {}
            }
        }
        at_field_start = false;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_quotes_are_detected() {
        assert!(!unbalanced_quotes("\"a\",\"b\"\"c\"\n\"d,\ne\"\n"));
        assert!(unbalanced_quotes("\"a\",\"b\n"));
        assert!(
            !unbalanced_quotes("a\"b,c\n"),
            "a quote inside an unquoted field"
        );
    }
}
