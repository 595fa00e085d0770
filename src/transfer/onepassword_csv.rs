//! 1Password's CSV import layout: `title,website,username,password,notes` followed by custom
//! columns, here `passphrase`, `private key` and `public key`. Tags, expiry and the rest go
//! into notes lines.

use std::path::Path;

use super::keepassxc_csv::{csv_writer, finish, read_table, simplify, write_row};
use super::record::{
    self, API_KEY, API_SECRET, CustomField, Native, PASSPHRASE, PRIVATE_KEY, PUBLIC_KEY, Record,
};
use super::{Format, TransferError, utf8};
use crate::secret::{SecretBytes, SecretString};
use crate::vault::Vault;

/// The header keyward writes.
pub const HEADER: [&str; 8] = [
    "title",
    "website",
    "username",
    "password",
    "notes",
    "passphrase",
    "private key",
    "public key",
];

pub(super) const NATIVE: Native = Native {
    tags: false,
    created: false,
    expires: false,
    custom_fields: true,
    totp: false,
};

/// The custom columns and the record field each one carries.
const CUSTOM: [(usize, &str); 3] = [(5, PASSPHRASE), (6, PRIVATE_KEY), (7, PUBLIC_KEY)];

/// The vault as 1Password CSV. The keys' own custom fields follow as one column each (the
/// union of their names, in order of appearance).
pub fn export(vault: &Vault) -> Result<SecretBytes, TransferError> {
    let records: Vec<Record> = vault
        .entries
        .iter()
        .map(|entry| record::from_entry(entry, NATIVE))
        .collect();
    let mut extra: Vec<&str> = Vec::new();
    for rec in &records {
        for f in &rec.fields {
            let standard = CUSTOM.iter().any(|(_, n)| *n == f.name)
                || f.name == API_KEY
                || f.name == API_SECRET;
            if !standard && !extra.contains(&f.name.as_str()) {
                extra.push(&f.name);
            }
        }
    }
    let mut w = csv_writer();
    write_row(&mut w, HEADER.iter().copied().chain(extra.iter().copied()))?;
    for rec in &records {
        let custom = |name: &str| {
            rec.fields
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.value.expose())
                .unwrap_or_default()
        };
        let row = [
            rec.title.as_str(),
            rec.url.as_str(),
            rec.username.as_str(),
            rec.password.expose(),
            rec.notes.as_str(),
            custom(PASSPHRASE),
            custom(PRIVATE_KEY),
            custom(PUBLIC_KEY),
        ];
        write_row(
            &mut w,
            row.into_iter().chain(extra.iter().map(|n| custom(n))),
        )?;
    }
    finish(w, Format::OnePasswordCsv)
}

/// The rows of a 1Password CSV. With a header row, columns are found by name and any other
/// column becomes a custom field; without one, the first five are taken in 1Password's order.
pub fn import(bytes: &[u8], path: &Path) -> Result<Vec<Record>, TransferError> {
    let text = utf8(bytes, path, Format::OnePasswordCsv)?;
    let mut table = read_table(text, path, Format::OnePasswordCsv)?;
    let has_header = table
        .header
        .first()
        .is_some_and(|h| matches!(simplify(h).as_str(), "title" | "name"));
    if !has_header {
        table.rows.insert(0, std::mem::take(&mut table.header));
        table.header = HEADER.iter().map(|h| (*h).to_owned()).collect();
    }
    let find = |names: &[&str]| names.iter().find_map(|n| table.column(n));
    let title = find(&["title", "name"]);
    let website = find(&["website", "url", "login_uri"]);
    let user = find(&["username", "login_username"]);
    let pass = find(&["password", "login_password"]);
    let notes = find(&["notes", "notesPlain"]);
    let known = [title, website, user, pass, notes];
    Ok(table
        .rows
        .iter()
        .map(|row| {
            let cell = |c: Option<usize>| {
                c.and_then(|i| row.get(i))
                    .map(String::as_str)
                    .unwrap_or_default()
            };
            let fields = table
                .header
                .iter()
                .enumerate()
                .filter(|(i, _)| !known.contains(&Some(*i)))
                .filter_map(|(i, name)| {
                    let value = row.get(i).filter(|v| !v.is_empty())?;
                    let name = CUSTOM
                        .iter()
                        .find(|(_, f)| simplify(f) == simplify(name))
                        .map(|(_, f)| (*f).to_owned())
                        .unwrap_or_else(|| name.clone());
                    Some(CustomField {
                        protected: name != PUBLIC_KEY,
                        name,
                        value: SecretString::from(value.as_str()),
                    })
                })
                .collect();
            Record {
                title: cell(title).to_owned(),
                url: cell(website).to_owned(),
                username: cell(user).to_owned(),
                password: SecretString::from(cell(pass)),
                notes: cell(notes).to_owned(),
                fields,
                ..Record::default()
            }
        })
        .collect())
}
