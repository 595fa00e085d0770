//! 1Password CSV. Export: the header 1Password 8 writes in its own CSV export
//! (`Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes`), then one column per
//! part 1Password has no field for (`passphrase`, `private key`, `public key`) and per custom
//! field of the keys. Import: the header row names the columns (1Password 8's, 1Password 7's
//! `UUID`, `TITLE`, … on Windows and Mac, 1Password 4–6's, or keyward's older
//! `title,website,…`), columns are found by name, never by position, and a file without a
//! recognisable header is refused rather than guessed at.

use std::path::Path;

use super::keepassxc_csv::{Table, csv_writer, finish, read_table, simplify, write_row};
use super::record::{
    self, API_KEY, API_SECRET, CustomField, Native, PASSPHRASE, PRIVATE_KEY, PUBLIC_KEY, Record,
};
use super::report::TransferReport;
use super::{Format, TransferError, utf8};
use crate::secret::{SecretBytes, SecretString};
use crate::vault::{Entry, TOTP_FIELD, Vault};

/// The columns 1Password 8 writes (and reads back), in its order.
pub const HEADER: [&str; 9] = [
    "Title", "Url", "Username", "Password", "OTPAuth", "Favorite", "Archived", "Tags", "Notes",
];

/// keyward's parts that get a column of their own after [`HEADER`].
const PART_COLUMNS: [(&str, &str); 3] = [
    ("passphrase", PASSPHRASE),
    ("private key", PRIVATE_KEY),
    ("public key", PUBLIC_KEY),
];

/// Tags travel both as the Tags cell (for 1Password) and as a notes line (exact, commas
/// included, for the way back).
pub(super) const NATIVE: Native = Native {
    tags: false,
    created: false,
    expires: false,
    custom_fields: true,
    totp: true,
};

/// The vault as 1Password CSV.
pub fn export(vault: &Vault) -> Result<SecretBytes, TransferError> {
    let records: Vec<Record> = vault
        .entries
        .iter()
        .map(|entry| record::from_entry(entry, NATIVE))
        .collect();
    let mut extra: Vec<&str> = Vec::new();
    for rec in &records {
        for f in &rec.fields {
            let standard = PART_COLUMNS.iter().any(|(_, n)| *n == f.name)
                || f.name == API_KEY
                || f.name == API_SECRET;
            if !standard && !extra.contains(&f.name.as_str()) {
                extra.push(&f.name);
            }
        }
    }
    let mut w = csv_writer();
    let header = HEADER
        .iter()
        .copied()
        .chain(PART_COLUMNS.iter().map(|(c, _)| *c))
        .chain(extra.iter().copied());
    write_row(&mut w, header)?;
    for (rec, entry) in records.iter().zip(&vault.entries) {
        let custom = |name: &str| {
            rec.fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.value.expose())
                .unwrap_or_default()
        };
        let tags = entry.tags.join(",");
        let totp = rec
            .totp
            .as_ref()
            .map(SecretString::expose)
            .unwrap_or_default();
        let row = [
            rec.title.as_str(),
            rec.url.as_str(),
            rec.username.as_str(),
            rec.password.expose(),
            totp,
            "false",
            "false",
            tags.as_str(),
            rec.notes.as_str(),
        ];
        let parts = PART_COLUMNS.iter().map(|(_, n)| custom(n));
        write_row(
            &mut w,
            row.into_iter()
                .chain(parts)
                .chain(extra.iter().map(|n| custom(n))),
        )?;
    }
    finish(w, Format::OnePasswordCsv)
}

/// What 1Password CSV changes of `entry`: a tag holding a comma (the Tags cell is split on
/// commas) and the protected flag of custom fields (columns have none).
pub(super) fn export_losses(entry: &Entry, index: usize, report: &mut TransferReport) {
    if entry.tags.iter().any(|t| t.contains(',')) {
        report.changed(
            "tags",
            "a tag holding a comma shows as several tags in 1Password (the Tags cell is split \
             on commas; the exact tags are in a notes line)",
            index,
            &entry.name,
        );
    }
    for field in entry
        .custom_fields
        .iter()
        .filter(|f| !f.protected && f.name != TOTP_FIELD)
    {
        report.changed(
            &format!("custom field '{}'", field.name),
            "written as a column; 1Password CSV has no protected flag, so keyward reads it \
             back as protected",
            index,
            &entry.name,
        );
    }
}

/// Header names of each role, simplified (lowercase letters and digits).
const TITLE: &[&str] = &["title", "name"];
const URL: &[&str] = &["url", "website", "loginuri", "urls"];
const USERNAME: &[&str] = &["username", "loginusername"];
const PASSWORD: &[&str] = &["password", "loginpassword"];
const NOTES: &[&str] = &["notes", "notesplain", "note"];
const OTP: &[&str] = &["otpauth", "onetimepassword", "otp", "totp"];
const TAGS: &[&str] = &["tags"];
const TYPE: &[&str] = &["type"];
const FAVORITE: &[&str] = &["favorite", "favourite"];
const ARCHIVED: &[&str] = &["archived"];
/// 1Password's own item id: keyward gives every key its own.
const UUID: &[&str] = &["uuid"];
/// 1Password 7 for Mac's times (Unix seconds).
const CREATED: &[&str] = &["createddate"];
const MODIFIED: &[&str] = &["modifieddate"];
/// 1Password 7's fill settings (`Default` unless the user changed them).
const FILL: &[&str] = &["scope", "autosubmit"];

/// The rows of a 1Password CSV, columns found by their header names. Any other column with
/// a value becomes a protected custom field (a public key column stays unprotected).
pub fn import(bytes: &[u8], path: &Path) -> Result<Vec<Record>, TransferError> {
    let text = utf8(bytes, path, Format::OnePasswordCsv)?;
    let unescaped;
    let text = if mac_seven(text) {
        // 1Password 7 for Mac escapes a quote inside a quoted cell as `\"` (Bitwarden's
        // importer reads it with `\` as the escape character); CSV doubles it.
        unescaped = text.replace("\\\"", "\"\"");
        unescaped.as_str()
    } else {
        text
    };
    let table = read_table(text, path, Format::OnePasswordCsv)?;
    let find = |names: &[&str]| {
        table
            .header
            .iter()
            .position(|h| names.contains(&simplify(h).as_str()))
    };
    let (title, password) = (find(TITLE), find(PASSWORD));
    // 1Password 7 writes only the columns its items use: an export of identities or cards
    // has no Password column, its header being known by UUID first or Mac's `label(id)`s.
    let seven = mac_seven(text) || table.header.first().is_some_and(|h| simplify(h) == "uuid");
    if title.is_none() || (password.is_none() && !seven) {
        return Err(TransferError::Malformed {
            path: path.to_owned(),
            format: Format::OnePasswordCsv,
            what: "the first row is not a 1Password header (it needs a Title and a Password \
                   column, or 1Password 7's UUID and TITLE); a file without a header is not guessed at: add the header row, or \
                   import it with --format csv --map COLUMN=FIELD"
                .into(),
        });
    }
    let roles = Roles {
        title,
        url: find(URL),
        username: find(USERNAME),
        password,
        notes: find(NOTES),
        otp: find(OTP),
        tags: find(TAGS),
        kind: find(TYPE),
        favorite: find(FAVORITE),
        archived: find(ARCHIVED),
        uuid: find(UUID),
        created: find(CREATED),
        modified: find(MODIFIED),
        fill: table
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| FILL.contains(&simplify(h).as_str()))
            .map(|(i, _)| i)
            .collect(),
    };
    Ok(table
        .rows
        .iter()
        .filter(|row| row.iter().any(|c| !c.trim().is_empty()))
        .map(|row| to_record(&table, &roles, row))
        .collect())
}

/// True when the header row is 1Password 7 for Mac's: `label(id)` columns beside `Created
/// Date` (Unix seconds).
fn mac_seven(text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    first.contains("\"Created Date\"")
        && first
            .split(',')
            .any(|c| c.trim_matches('"').ends_with(')') && c.contains('('))
}

/// 1Password 7 for Windows' section headings (`SECTION 2: ADDRESS`, whose cells hold the
/// section's title, not a value; its fields are the `ADDRESS 1: …` columns).
fn section_heading(name: &str) -> bool {
    let Some(rest) = name.trim().strip_prefix("SECTION ") else {
        return false;
    };
    rest.split_once(':')
        .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The tags of a Tags cell: comma-separated, or 1Password 7 for Mac's `{( "a", "b" )}`.
fn tags_of(cell: &str) -> Vec<String> {
    let cell = cell.trim();
    let inner = cell
        .strip_prefix("{(")
        .and_then(|c| c.strip_suffix(")}"))
        .unwrap_or(cell);
    inner
        .split(',')
        .map(|t| t.trim().trim_matches('"').trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// A time cell of 1Password 7 for Mac (Unix seconds).
fn unix_time(cell: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let seconds: i64 = cell.trim().parse().ok()?;
    chrono::DateTime::from_timestamp(seconds, 0)
}

/// Which column holds what.
struct Roles {
    title: Option<usize>,
    url: Option<usize>,
    username: Option<usize>,
    password: Option<usize>,
    notes: Option<usize>,
    otp: Option<usize>,
    tags: Option<usize>,
    kind: Option<usize>,
    favorite: Option<usize>,
    archived: Option<usize>,
    uuid: Option<usize>,
    created: Option<usize>,
    modified: Option<usize>,
    fill: Vec<usize>,
}

impl Roles {
    fn known(&self) -> [Option<usize>; 13] {
        [
            self.title,
            self.url,
            self.username,
            self.password,
            self.notes,
            self.otp,
            self.tags,
            self.kind,
            self.favorite,
            self.archived,
            self.uuid,
            self.created,
            self.modified,
        ]
    }
}

fn to_record(table: &Table, roles: &Roles, row: &[String]) -> Record {
    let cell = |c: Option<usize>| {
        c.and_then(|i| row.get(i))
            .map(String::as_str)
            .unwrap_or_default()
    };
    let known = roles.known();
    let mut fields = Vec::new();
    let mut unsupported = Vec::new();
    for (i, name) in table.header.iter().enumerate() {
        if known.contains(&Some(i)) || section_heading(name) {
            continue;
        }
        let Some(value) = row.get(i).filter(|v| !v.is_empty()) else {
            continue;
        };
        if roles.fill.contains(&i) {
            if !value.eq_ignore_ascii_case("default") {
                unsupported.push(format!("1Password fill setting {}", name.trim()));
            }
            continue;
        }
        // 1Password 7 for Windows repeats the URL in URLS.
        if simplify(name) == "urls" && value.trim() == cell(roles.url).trim() {
            continue;
        }
        let name = PART_COLUMNS
            .iter()
            .find(|(column, _)| simplify(column) == simplify(name))
            .map(|(_, part)| (*part).to_owned())
            .unwrap_or_else(|| name.trim().to_owned());
        fields.push(CustomField {
            protected: name != PUBLIC_KEY,
            name: name.into(),
            value: SecretString::from(value.as_str()),
        });
    }
    let mut tags = tags_of(cell(roles.tags));
    // 1Password 4–7 name the item's category (or the user's folder) in Type.
    let kind = cell(roles.kind).trim();
    if !kind.is_empty() {
        tags.push(kind.to_owned());
    }
    if cell(roles.favorite).eq_ignore_ascii_case("true") {
        unsupported.push("favorite mark".to_owned());
    }
    if cell(roles.archived).eq_ignore_ascii_case("true") {
        unsupported.push("archived state (imported as an active key)".to_owned());
    }
    let otp = cell(roles.otp);
    Record {
        title: cell(roles.title).to_owned(),
        url: cell(roles.url).to_owned(),
        username: cell(roles.username).to_owned(),
        password: SecretString::from(cell(roles.password)),
        notes: cell(roles.notes).to_owned(),
        totp: (!otp.is_empty()).then(|| SecretString::from(otp)),
        fields,
        tags,
        unsupported,
        created: unix_time(cell(roles.created)),
        modified: unix_time(cell(roles.modified)),
        ..Record::default()
    }
}
