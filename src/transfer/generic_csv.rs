//! Any CSV with a header row (import only). Columns map to keyward fields by their header
//! names (`name`, `key`, `secret`, `provider`, …) or by `--map COLUMN=FIELD`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::keepassxc_csv::{read_table, simplify};
use super::notes::{self, NotesMeta};
use super::record::{
    API_KEY, API_SECRET, CustomField, PASSPHRASE, PRIVATE_KEY, PUBLIC_KEY, Record,
};
use super::{Format, TransferError, utf8};
use crate::secret::SecretString;
use crate::vault::{IpRule, UnknownName, parse_date};

/// A keyward field a CSV column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvField {
    /// The key's name.
    Name,
    /// The key id.
    Key,
    /// The secret or token.
    Secret,
    /// The passphrase.
    Passphrase,
    /// The private key.
    PrivateKey,
    /// The public key.
    PublicKey,
    /// shared-secret, key-pair or token.
    Kind,
    /// Provider.
    Provider,
    /// prod, test or other.
    Environment,
    /// Purpose.
    Purpose,
    /// Free notes.
    Notes,
    /// Tags, separated by commas or semicolons.
    Tags,
    /// Permissions, separated by commas or semicolons.
    Permissions,
    /// IP whitelist, separated by commas, semicolons or spaces.
    Allow,
    /// IP blacklist.
    Deny,
    /// Creation date.
    Created,
    /// Last rotation date.
    Rotated,
    /// Expiry date.
    Expires,
    /// The URL.
    Url,
    /// A column to leave out.
    Ignore,
}

impl CsvField {
    /// The header names a column maps by itself, and the names `--map` accepts. `type` is
    /// not one: other programs' `type` columns (Bitwarden's `login`) are no key kinds.
    const NAMES: [(&'static str, CsvField); 37] = [
        ("name", CsvField::Name),
        ("title", CsvField::Name),
        ("key", CsvField::Key),
        ("keyid", CsvField::Key),
        ("apikey", CsvField::Key),
        ("username", CsvField::Key),
        ("secret", CsvField::Secret),
        ("apisecret", CsvField::Secret),
        ("token", CsvField::Secret),
        ("password", CsvField::Secret),
        ("passphrase", CsvField::Passphrase),
        ("privatekey", CsvField::PrivateKey),
        ("publickey", CsvField::PublicKey),
        ("kind", CsvField::Kind),
        ("url", CsvField::Url),
        ("website", CsvField::Url),
        ("provider", CsvField::Provider),
        ("environment", CsvField::Environment),
        ("env", CsvField::Environment),
        ("purpose", CsvField::Purpose),
        ("notes", CsvField::Notes),
        ("note", CsvField::Notes),
        ("tags", CsvField::Tags),
        ("tag", CsvField::Tags),
        ("permissions", CsvField::Permissions),
        ("allow", CsvField::Allow),
        ("ipwhitelist", CsvField::Allow),
        ("whitelist", CsvField::Allow),
        ("deny", CsvField::Deny),
        ("ipblacklist", CsvField::Deny),
        ("blacklist", CsvField::Deny),
        ("created", CsvField::Created),
        ("rotated", CsvField::Rotated),
        ("expires", CsvField::Expires),
        ("expiry", CsvField::Expires),
        ("ignore", CsvField::Ignore),
        ("skip", CsvField::Ignore),
    ];
}

impl FromStr for CsvField {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = simplify(s);
        CsvField::NAMES
            .iter()
            .find(|(n, _)| *n == want)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                UnknownName::new(
                    "field",
                    s,
                    "name, key, secret, passphrase, private-key, public-key, kind, provider, env, \
                     purpose, notes, tags, permissions, allow, deny, created, rotated, expires, \
                     url or ignore",
                )
            })
    }
}

impl fmt::Display for CsvField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// One `--map COLUMN=FIELD` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMap {
    /// The header name of the column.
    pub column: String,
    /// Where its values go.
    pub field: CsvField,
}

/// A `COLUMN=FIELD` option that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ColumnMapError {
    /// No `=` in the option.
    #[error("--map '{0}': use COLUMN=FIELD")]
    NoEquals(String),
    /// The field after `=` is not one keyward knows.
    #[error("--map '{option}': {field}")]
    UnknownField {
        /// The option as given.
        option: String,
        /// What is wrong with its field.
        field: UnknownName,
    },
}

/// Parses `COLUMN=FIELD` options.
pub fn parse_column_maps(options: &[String]) -> Result<Vec<ColumnMap>, ColumnMapError> {
    options
        .iter()
        .map(|o| {
            let (column, field) = o
                .rsplit_once('=')
                .ok_or_else(|| ColumnMapError::NoEquals(o.clone()))?;
            Ok(ColumnMap {
                column: column.trim().to_owned(),
                field: field
                    .parse()
                    .map_err(|field| ColumnMapError::UnknownField {
                        option: o.clone(),
                        field,
                    })?,
            })
        })
        .collect()
}

/// The rows of a CSV file, mapped by `maps` first and header names second.
pub fn import(bytes: &[u8], path: &Path, maps: &[ColumnMap]) -> Result<Vec<Record>, TransferError> {
    let text = utf8(bytes, path, Format::Csv)?;
    let table = read_table(text, path, Format::Csv)?;
    let malformed = |what: String| TransferError::Malformed {
        path: path.to_owned(),
        format: Format::Csv,
        what,
    };
    for m in maps {
        if table.column(&m.column).is_none() {
            return Err(malformed(format!(
                "--map names a column '{}' the header does not have",
                m.column
            )));
        }
    }
    // `None`: neither mapped nor a field name; its values are reported, not imported.
    let columns: Vec<Option<CsvField>> = table
        .header
        .iter()
        .map(|h| {
            maps.iter()
                .find(|m| simplify(&m.column) == simplify(h))
                .map(|m| m.field)
                .or_else(|| h.parse().ok())
        })
        .collect();
    let mapped: Vec<CsvField> = columns.iter().flatten().copied().collect();
    if !mapped.contains(&CsvField::Name) {
        return Err(malformed(
            "no column gives the key's name: add a 'name' column or --map COLUMN=name".into(),
        ));
    }
    if !mapped
        .iter()
        .any(|c| matches!(c, CsvField::Secret | CsvField::PrivateKey))
    {
        return Err(malformed(
            "no column gives a secret: add a 'secret' column or --map COLUMN=secret".into(),
        ));
    }
    let mut records = Vec::with_capacity(table.rows.len());
    for (row_index, row) in table.rows.iter().enumerate() {
        let line = row_index + 2;
        let bad =
            |column: &str, what: &str| malformed(format!("row {line}, column '{column}': {what}"));
        let mut record = Record::default();
        let mut meta = NotesMeta::default();
        let mut free_notes = String::new();
        let mut field = |name: &str, value: &str, protected: bool| {
            record.fields.push(CustomField {
                name: name.into(),
                value: SecretString::from(value),
                protected,
            });
        };
        let mut name = String::new();
        let mut url = String::new();
        let mut unmapped = Vec::new();
        for (i, kind) in columns.iter().enumerate() {
            let Some(value) = row.get(i).filter(|v| !v.is_empty()) else {
                continue;
            };
            let column = table.header.get(i).map(String::as_str).unwrap_or_default();
            let Some(kind) = kind else {
                unmapped.push(format!(
                    "column '{column}' (not mapped: add --map '{column}=FIELD', or \
                     --map '{column}=ignore' to leave it out)"
                ));
                continue;
            };
            match kind {
                CsvField::Name => name = value.clone(),
                CsvField::Key => field(API_KEY, value, false),
                CsvField::Secret => field(API_SECRET, value, true),
                CsvField::Passphrase => field(PASSPHRASE, value, true),
                CsvField::PrivateKey => field(PRIVATE_KEY, value, true),
                CsvField::PublicKey => field(PUBLIC_KEY, value, false),
                CsvField::Kind => {
                    meta.kind = Some(value.parse().map_err(|_| bad(column, "unknown kind"))?)
                }
                CsvField::Provider => meta.provider = Some(value.trim().to_owned()),
                CsvField::Environment => {
                    meta.environment = Some(
                        value
                            .parse()
                            .map_err(|_| bad(column, "unknown environment"))?,
                    )
                }
                CsvField::Purpose => meta.purpose = Some(value.clone()),
                CsvField::Notes => free_notes = value.clone(),
                CsvField::Tags => meta.tags = Some(split(value)),
                CsvField::Permissions => meta.permissions = Some(split(value)),
                CsvField::Allow | CsvField::Deny => {
                    let rules = split_ips(value)
                        .map_err(|_| bad(column, "not an IP address or CIDR range"))?;
                    if *kind == CsvField::Allow {
                        meta.ip_whitelist = Some(rules);
                    } else {
                        meta.ip_blacklist = Some(rules);
                    }
                }
                CsvField::Created | CsvField::Rotated | CsvField::Expires => {
                    let date = parse_date(value)
                        .map_err(|_| bad(column, "not a date (use YYYY-MM-DD or RFC 3339)"))?;
                    match kind {
                        CsvField::Created => meta.created = Some(date),
                        CsvField::Rotated => meta.rotated = Some(date),
                        _ => meta.expires = Some(date),
                    }
                }
                CsvField::Url => url = value.trim().to_owned(),
                CsvField::Ignore => {}
            }
        }
        record.title = name;
        record.url = url;
        record.unsupported = unmapped;
        record.notes = notes::compose(&meta, &free_notes);
        records.push(record);
    }
    Ok(records)
}

fn split(value: &str) -> Vec<String> {
    value
        .split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn split_ips(value: &str) -> Result<Vec<IpRule>, ()> {
    value
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| ()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_by_header_and_option() {
        let csv = "Label,Exchange,api_key,SECRET,allow,extra\nbot,binance,K1,S1,\"1.2.3.4, 10.0.0.0/8\",x\n";
        let maps =
            parse_column_maps(&["Label=name".into(), "Exchange=provider".into()]).expect("maps");
        let records = import(csv.as_bytes(), Path::new("k.csv"), &maps).expect("import");
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(r.title, "bot");
        assert_eq!(r.field(API_KEY).map(|v| v.expose()), Some("K1"));
        assert_eq!(r.field(API_SECRET).map(|v| v.expose()), Some("S1"));
        let (meta, _) = notes::parse(&r.notes);
        assert_eq!(meta.provider.as_deref(), Some("binance"));
        assert_eq!(meta.ip_whitelist.map(|v| v.len()), Some(2));
    }

    #[test]
    fn bad_cells_name_row_and_column_only() {
        let csv = "name,secret,allow\nbot,S3CR3T,not-an-ip\n";
        let err = import(csv.as_bytes(), Path::new("k.csv"), &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("row 2, column 'allow'"), "{err}");
        assert!(
            !err.contains("S3CR3T") && !err.contains("not-an-ip"),
            "{err}"
        );
        assert!(parse_column_maps(&["x".into()]).is_err());
        assert!(
            import(b"a,b\n1,2\n", Path::new("k.csv"), &[]).is_err(),
            "no name column"
        );
    }
}
