//! Export to and import from other password managers (PRODUCT §8): one file per format.
//!
//! Every format goes through one neutral shape, [`Record`] (title, username, password, URL,
//! notes, custom fields, tags, times), so the mapping between a keyward [`Entry`] and what a
//! password manager stores is written once, in [`record`]. Facts a format has no place for
//! travel as readable `Label: value` lines at the top of the notes ([`notes`]), and come back
//! from them on import.
//!
//! Pure apart from [`write_private_file`]: functions are given bytes and `now`, and return
//! bytes or entries; the CLI reads and writes the files.

mod bitwarden;
mod dotenv;
mod generic_csv;
mod kdb;
mod kdbx;
mod kdbx_blocks;
/// Public so that the fuzz targets (fuzz/) can keep the key derivation of their inputs cheap.
#[doc(hidden)]
pub mod kdbx_header;
mod kdbx_read;
mod kdbx_stream;
mod keepass;
mod keepass_xml;
mod keepass_xml_groups;
mod keepass_xml_read;
mod keepassxc_csv;
pub mod keyfile;
mod merge;
pub mod notes;
mod onepassword_csv;
pub mod openssh;
pub mod record;
mod report;
mod write;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, Utc};

pub use generic_csv::{ColumnMap, ColumnMapError, parse_column_maps};
pub use merge::{ClashRule, ImportAction, ImportPlan, ImportSummary, PlannedEntry, plan_import};
pub use record::{CustomField, Record};
pub use report::{Loss, Outcome, TransferReport};
pub use write::write_private_file;

use crate::secret::SecretString;
use crate::vault::{Entry, UnknownName, Vault};

/// A file format keyward exports to or imports from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// KeePass 2 database: KDBX 4 written, KDBX 3.1 and 4 read.
    Kdbx,
    /// KeePass 2 XML, unencrypted (`keepassxc-cli import` / `export -f xml`).
    KeepassXml,
    /// Bitwarden's unencrypted JSON export.
    BitwardenJson,
    /// KeePassXC's CSV export.
    KeepassxcCsv,
    /// 1Password's CSV import layout.
    OnePasswordCsv,
    /// `.env` files: `NAME=value` lines (import only).
    Dotenv,
    /// Any CSV with a header row and a column mapping (import only).
    Csv,
}

impl Format {
    /// Every format, in the order the help lists them.
    pub const ALL: [Format; 7] = [
        Format::Kdbx,
        Format::KeepassXml,
        Format::BitwardenJson,
        Format::KeepassxcCsv,
        Format::OnePasswordCsv,
        Format::Dotenv,
        Format::Csv,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Kdbx => "kdbx",
            Format::KeepassXml => "keepass-xml",
            Format::BitwardenJson => "bitwarden-json",
            Format::KeepassxcCsv => "keepassxc-csv",
            Format::OnePasswordCsv => "1password-csv",
            Format::Dotenv => "dotenv",
            Format::Csv => "csv",
        }
    }

    /// True for formats keyward can write.
    pub fn can_export(self) -> bool {
        !matches!(self, Format::Dotenv | Format::Csv)
    }

    /// True when the exported file is encrypted.
    pub fn is_encrypted(self) -> bool {
        self == Format::Kdbx
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        let alias = match wanted.as_str() {
            "keepass" | "keepassxc" | "kdbx4" => "kdbx",
            "xml" | "keepass2-xml" => "keepass-xml",
            "bitwarden" => "bitwarden-json",
            "1password" | "onepassword-csv" => "1password-csv",
            "env" | ".env" => "dotenv",
            other => other,
        };
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == alias)
            .ok_or_else(|| {
                UnknownName::new(
                    "format",
                    s,
                    "kdbx, keepass-xml, bitwarden-json, keepassxc-csv, 1password-csv, dotenv or csv",
                )
            })
    }
}

/// What went wrong reading or writing a transfer file. Messages never quote a value from
/// the file: parse errors name a line and column (or an entry and field) only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// The KDBX password is wrong (or the file was altered).
    #[error("wrong password for {path}, or the file was altered")]
    WrongPassword {
        /// The file.
        path: PathBuf,
    },
    /// An encrypted file is truncated, damaged or of a kind keyward cannot read.
    #[error("{path} cannot be read as {format}: {what}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The format it was read as.
        format: Format,
        /// What is wrong, in words.
        what: String,
    },
    /// A plaintext file (CSV, JSON, XML, .env) does not parse, or lacks what the format needs.
    #[error("{path} is not valid {format}: {what}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The format it was read as.
        format: Format,
        /// Where and what, without the file's values.
        what: String,
    },
    /// A value cannot be written in this format (a control character XML cannot hold, …).
    #[error("cannot export '{entry}' as {format}: {what}")]
    Unrepresentable {
        /// The key's name.
        entry: String,
        /// The target format.
        format: Format,
        /// Which field and why.
        what: String,
    },
    /// A KDBX file asks for a key derivation above the bound of
    /// [`crate::store::kdf::check_work_factor`]; nothing was derived.
    #[error("{path} was not opened: {source}")]
    WorkFactor {
        /// The file.
        path: PathBuf,
        /// The parameters and the bound.
        #[source]
        source: crate::store::kdf::WorkFactorError,
    },
    /// The KeePass key file cannot be used.
    #[error("{0}")]
    KeyFile(#[from] keyfile::KeyFileError),
    /// The format is import-only, or the options do not fit it.
    #[error("{0}")]
    Usage(String),
    /// The output path holds a keyward vault (never overwritten, even with `--force`).
    #[error(
        "{path} is a keyward vault; refusing to overwrite it with another file (choose another \
         output path)"
    )]
    WouldOverwriteVault {
        /// The vault.
        path: PathBuf,
    },
    /// The output exists and `--force` was not given.
    #[error("{path} already exists; pass --force to overwrite it")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// An operating system error.
    #[error("{}", crate::platform::io_sentence(action, path, source))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Encryption or serialisation failed for a reason other than the input.
    #[error("writing {format} failed: {what}")]
    Internal {
        /// The format.
        format: Format,
        /// What failed.
        what: String,
    },
}

/// Options of an export.
#[derive(Default)]
pub struct ExportOptions {
    /// The KDBX password (required for [`Format::Kdbx`] unless a key file is given, ignored
    /// otherwise).
    pub password: Option<SecretString>,
    /// The content of a KeePass key file the KDBX is also locked with.
    pub key_file: Option<crate::secret::SecretBytes>,
}

/// An export's bytes and the report to show the user.
pub struct Exported {
    /// The file content.
    pub bytes: crate::secret::SecretBytes,
    /// What the user must know: plaintext, and what the format could not carry.
    pub report: TransferReport,
}

/// Options of an import.
#[derive(Default)]
pub struct ImportOptions {
    /// The KDBX password (required for [`Format::Kdbx`]).
    pub password: Option<SecretString>,
    /// Column mapping for [`Format::Csv`] (ignored otherwise).
    pub columns: Vec<ColumnMap>,
    /// The content of the KDBX's key file, if it has one.
    pub key_file: Option<crate::secret::SecretBytes>,
    /// Run a KDBX key derivation above the work-factor bound.
    pub allow_slow_kdf: bool,
}

/// Entries read from a file, ready to be planned into a vault.
pub struct Imported {
    /// The entries, in file order, named after the file's titles (possibly clashing).
    pub entries: Vec<Entry>,
    /// What could not be carried, per field, and what else the user should know.
    pub report: TransferReport,
}

/// Writes `vault` in `format`. The warnings name what the format cannot carry.
pub fn export(
    vault: &Vault,
    format: Format,
    options: &ExportOptions,
) -> Result<Exported, TransferError> {
    let bytes = match format {
        Format::Kdbx => {
            if options.password.is_none() && options.key_file.is_none() {
                return Err(TransferError::Usage(
                    "a kdbx export needs a password or a key file".to_owned(),
                ));
            }
            let key = kdbx::Key {
                password: options.password.as_ref(),
                key_file: options.key_file.as_ref().map(|k| k.expose()),
            };
            kdbx::export(vault, &key)?
        }
        Format::KeepassXml => keepass_xml::export(vault)?,
        Format::BitwardenJson => bitwarden::export(vault)?,
        Format::KeepassxcCsv => keepassxc_csv::export(vault)?,
        Format::OnePasswordCsv => onepassword_csv::export(vault)?,
        Format::Dotenv | Format::Csv => {
            return Err(TransferError::Usage(format!(
                "{format} is an import format; export to kdbx, keepass-xml, bitwarden-json, \
                 keepassxc-csv or 1password-csv"
            )));
        }
    };
    Ok(Exported {
        bytes,
        report: export_report(vault, format),
    })
}

/// Reads the entries of a file in `format`. `path` is only used in messages.
pub fn import(
    bytes: &[u8],
    path: &std::path::Path,
    format: Format,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<Imported, TransferError> {
    import_from(Input::Bytes(bytes), path, format, options, now)
}

/// [`import`] of the file `file` (opened from `path`), what `keyward import` and the app's
/// import dialog call: a kdbx file is read as it is decrypted, in bounded chunks, never held
/// whole ([`kdbx::import`]); a file of another format is read whole into wiped memory first.
/// A read error is [`TransferError::Io`].
pub fn import_file(
    file: std::fs::File,
    path: &std::path::Path,
    format: Format,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<Imported, TransferError> {
    let mut file = file;
    if format == Format::Kdbx {
        return import_from(Input::Reader(&mut file), path, format, options, now);
    }
    let mut bytes = Vec::new();
    // `File`'s read_to_end sizes the buffer from the file's length: no reallocation leaves
    // an unwiped copy behind for a file that does not grow meanwhile.
    let read = std::io::Read::read_to_end(&mut file, &mut bytes);
    let bytes = crate::secret::SecretBytes::new(bytes);
    read.map_err(|source| TransferError::Io {
        action: "reading",
        path: path.to_owned(),
        source,
    })?;
    import(bytes.expose(), path, format, options, now)
}

/// What an import reads: bytes in memory, or a file read as it goes (kdbx only).
enum Input<'a> {
    Bytes(&'a [u8]),
    Reader(&'a mut dyn std::io::Read),
}

fn import_from(
    input: Input<'_>,
    path: &std::path::Path,
    format: Format,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<Imported, TransferError> {
    let bytes = match &input {
        Input::Bytes(bytes) => *bytes,
        // Only a kdbx import is given a reader (see `import_file`).
        Input::Reader(_) => &[][..],
    };
    let mut report = TransferReport::new();
    // Each record becomes an entry as soon as it is read, so the records of a large kdbx or
    // KeePass XML file are never all held beside the entries made of them.
    let mut entries: Vec<Entry> = Vec::new();
    let mut add = |r: Record, report: &mut TransferReport| {
        let index = entries.len() + 1;
        entries.push(record::to_entry(r, index, now, report));
    };
    let records = match format {
        Format::Kdbx => {
            if options.password.is_none() && options.key_file.is_none() {
                return Err(TransferError::Usage(
                    "a kdbx import needs the file's password or key file".to_owned(),
                ));
            }
            let key = kdbx::Key {
                password: options.password.as_ref(),
                key_file: options.key_file.as_ref().map(|k| k.expose()),
            };
            let allow = options.allow_slow_kdf;
            let mut slice = bytes;
            let reader: &mut dyn std::io::Read = match input {
                Input::Bytes(_) => &mut slice,
                Input::Reader(reader) => reader,
            };
            // The entries made so far are dropped with `entries` on an error: none of a
            // file whose HMAC check fails further on leaves this function.
            kdbx::import(reader, path, &key, allow, &mut |r| add(r, &mut report))?;
            Vec::new()
        }
        Format::KeepassXml => {
            keepass_xml::import(bytes, path, &mut |r| add(r, &mut report))?;
            Vec::new()
        }
        Format::BitwardenJson => {
            let (records, found) = bitwarden::import(bytes, path)?;
            report.merge(found);
            records
        }
        Format::KeepassxcCsv => keepassxc_csv::import(bytes, path)?,
        Format::OnePasswordCsv => onepassword_csv::import(bytes, path)?,
        Format::Dotenv => dotenv::import(bytes, path)?,
        Format::Csv => generic_csv::import(bytes, path, &options.columns)?,
    };
    for r in records {
        add(r, &mut report);
    }
    // No shrink_to_fit: under the binary's allocator (memlock::WipeOnFree, whose realloc is
    // allocate, copy, wipe, free) it copied every entry once more at the very end, 55 MiB of
    // peak for 100k keys; the spare capacity is never written, so it takes no memory.
    Ok(Imported { entries, report })
}

/// What a format holds natively (the same table its writer uses).
fn native(format: Format) -> Option<record::Native> {
    match format {
        Format::Kdbx => Some(kdbx::NATIVE),
        Format::KeepassXml => Some(keepass_xml::NATIVE),
        Format::BitwardenJson => Some(bitwarden::NATIVE),
        Format::KeepassxcCsv => Some(keepassxc_csv::NATIVE),
        Format::OnePasswordCsv => Some(onepassword_csv::NATIVE),
        Format::Dotenv | Format::Csv => None,
    }
}

/// What exporting `vault` as `format` cannot carry, per field, with how many keys lose it,
/// and the warning about the file's protection. The app shows it before the export; the
/// export returns the same report.
pub fn export_report(vault: &Vault, format: Format) -> TransferReport {
    let mut report = TransferReport::new();
    if format.is_encrypted() {
        report.note(
            "the exported file holds every secret, protected only by the export password; \
             keep it safe and delete it when it is no longer needed",
        );
    } else {
        report.note(format!(
            "{format} is PLAINTEXT: anyone who can read the file can read every secret in it; \
             delete it as soon as the other password manager has imported it"
        ));
    }
    if let Some(native) = native(format) {
        for (i, entry) in vault.entries.iter().enumerate() {
            record::export_losses(entry, i + 1, native, &mut report);
            if matches!(format, Format::Kdbx | Format::KeepassXml) {
                keepass::tag_losses(entry, i + 1, &mut report);
            }
            if format == Format::BitwardenJson {
                bitwarden::export_losses(entry, i + 1, &mut report);
            }
            if format == Format::OnePasswordCsv {
                onepassword_csv::export_losses(entry, i + 1, &mut report);
            }
            if matches!(format, Format::KeepassxcCsv | Format::OnePasswordCsv) {
                formula_guard_losses(entry, i + 1, native, &mut report);
            }
        }
    }
    report
}

/// Names the cells of a CSV export that start like a spreadsheet formula and so get the `'`
/// prefix OWASP recommends: the other program shows the `'` as part of the value.
fn formula_guard_losses(
    entry: &Entry,
    index: usize,
    native: record::Native,
    report: &mut TransferReport,
) {
    let rec = record::from_entry(entry, native);
    let mut cells: Vec<(&str, &str)> = vec![
        ("title", rec.title.as_str()),
        ("username", rec.username.as_str()),
        ("password", rec.password.expose()),
        ("url", rec.url.as_str()),
        ("notes", rec.notes.as_str()),
    ];
    if let Some(t) = &rec.totp {
        cells.push(("totp", t.expose()));
    }
    for f in &rec.fields {
        cells.push((f.name.as_str(), f.value.expose()));
    }
    for (field, value) in cells {
        if keepassxc_csv::starts_formula(value) {
            report.changed(
                field,
                "starts with = + - @, a tab or a line break, so it is written with a leading ' \
                 (OWASP's guard against formula injection); keyward removes it on import, \
                 another program shows it: delete it there, or use kdbx",
                index,
                &entry.name,
            );
        }
    }
}

/// Line and column (1-based) of a byte offset in `text`, for error messages that must not
/// quote the text itself.
pub(crate) fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or_default();
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, column)
}

/// The text of a plaintext file, or a [`TransferError::Malformed`] naming where the first
/// invalid byte is.
pub(crate) fn utf8<'a>(
    bytes: &'a [u8],
    path: &std::path::Path,
    format: Format,
) -> Result<&'a str, TransferError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        TransferError::Malformed {
            path: path.to_owned(),
            format,
            what: format!("not UTF-8 text (line {line}, column {column})"),
        }
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert_eq!("KeePassXC".parse::<Format>(), Ok(Format::Kdbx));
        assert!("pdf".parse::<Format>().is_err());
        assert!(!Format::Dotenv.can_export() && Format::Kdbx.can_export());
    }

    #[test]
    fn line_and_column_of_an_offset() {
        assert_eq!(line_column(b"ab\ncd", 0), (1, 1));
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column(b"ab", 99), (1, 3));
    }
}
