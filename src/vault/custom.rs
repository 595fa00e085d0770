//! Custom fields on a key (name, value, protected flag), the TOTP seed kept as one of them,
//! and the search over what a key shows.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::secret::SecretString;

/// The name of the protected field that holds a key's TOTP seed, as an `otpauth://` URI
/// (or the `steam://` form Bitwarden stores).
pub const TOTP_FIELD: &str = "TOTP";

/// Names a custom field may not take, compared ignoring case, spaces and punctuation: the
/// names keyward's own parts travel under in other password managers ("API Key", …) and
/// KeePass's standard fields. A field so named would be read back as that part.
pub const RESERVED_FIELD_NAMES: [&str; 10] = [
    "API Key",
    "API Secret",
    "Passphrase",
    "Private Key",
    "Public Key",
    "Title",
    "UserName",
    "Password",
    "URL",
    "Notes",
];

/// One extra field of a key: a name, a value and whether the value is protected (masked in
/// `show` and the app, never searched). The value is held as a [`SecretString`] either way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    /// Unique within the key (ignoring case); see [`validate_custom_fields`].
    pub name: CompactString,
    /// The value; may be empty.
    pub value: SecretString,
    /// True when the value is secret.
    #[serde(default)]
    pub protected: bool,
}

impl CustomField {
    /// A field with this name, value and protection.
    pub fn new(
        name: impl Into<CompactString>,
        value: impl Into<SecretString>,
        protected: bool,
    ) -> Self {
        CustomField {
            name: name.into(),
            value: value.into(),
            protected,
        }
    }

    /// The protected TOTP field for a seed: an `otpauth://` or `steam://` URI is kept as it
    /// is; a bare base32 seed becomes `otpauth://totp/LABEL?secret=SEED`.
    pub fn totp(seed: &str, label: &str) -> Self {
        CustomField::new(TOTP_FIELD, totp_uri(seed, label), true)
    }
}

/// Why a list of custom fields is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CustomFieldError {
    /// Empty, padded, or holding a control character.
    #[error(
        "custom field name '{0}' is not valid: use a non-empty name without control characters or surrounding spaces"
    )]
    InvalidName(String),
    /// Two fields share a name (ignoring case).
    #[error("two custom fields are named '{0}'; give one another name")]
    Duplicate(String),
    /// The name is one keyward's own parts use.
    #[error("'{0}' is the name of a standard part; choose another name for the custom field")]
    Reserved(String),
}

/// Lowercase letters and digits only: how field names are compared.
pub fn normalised_field_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `name` is one of [`RESERVED_FIELD_NAMES`] (ignoring case and punctuation).
pub fn is_reserved_field_name(name: &str) -> bool {
    let wanted = normalised_field_name(name);
    RESERVED_FIELD_NAMES
        .iter()
        .any(|r| normalised_field_name(r) == wanted)
}

/// The field called `name` among `fields`, ignoring case as [`validate_custom_fields`] does
/// for uniqueness: how the app and `keyward get/copy --field field:NAME` find a field.
pub fn find_custom_field<'f>(fields: &'f [CustomField], name: &str) -> Option<&'f CustomField> {
    let wanted = name.to_lowercase();
    fields.iter().find(|f| f.name.to_lowercase() == wanted)
}

/// Checks a key's custom fields: every name valid, unique ignoring case, not reserved.
pub fn validate_custom_fields(fields: &[CustomField]) -> Result<(), CustomFieldError> {
    let mut seen = std::collections::HashSet::new();
    for field in fields {
        let name = &field.name;
        if name.trim().is_empty() || name.trim() != name || name.chars().any(char::is_control) {
            return Err(CustomFieldError::InvalidName(name.to_string()));
        }
        if is_reserved_field_name(name) {
            return Err(CustomFieldError::Reserved(name.to_string()));
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(CustomFieldError::Duplicate(name.to_string()));
        }
    }
    Ok(())
}

/// A valid name for a field named `wanted` joining `existing`: control characters become
/// spaces and the ends are trimmed; an empty name becomes "Field"; a reserved name gets
/// " (custom)"; a taken one " (2)", " (3)", ….
pub fn usable_field_name(existing: &[CustomField], wanted: &str) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut base = cleaned.trim().to_owned();
    if base.is_empty() {
        base = "Field".to_owned();
    }
    if is_reserved_field_name(&base) {
        base.push_str(" (custom)");
    }
    let taken = |n: &str| {
        existing
            .iter()
            .any(|f| f.name.to_lowercase() == n.to_lowercase())
    };
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base} ({n})"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// The `otpauth://` URI for a TOTP seed (see [`CustomField::totp`]).
pub fn totp_uri(seed: &str, label: &str) -> String {
    let seed = seed.trim();
    let lower = seed.to_ascii_lowercase();
    if lower.starts_with("otpauth://") || lower.starts_with("steam://") {
        return seed.to_owned();
    }
    let secret: Zeroizing<String> = Zeroizing::new(
        seed.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect(),
    );
    let encoded = Zeroizing::new(percent_encode(&secret));
    let mut uri = format!("otpauth://totp/{}?secret=", percent_encode(label));
    uri.push_str(&encoded);
    uri
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Credential;
    use crate::vault::{Entry, matches_search};
    use chrono::{TimeZone, Utc};

    fn entry() -> Entry {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        let mut e = Entry::new(
            "deploy",
            Credential::Token {
                token: "ghp_topsecret".into(),
            },
            now,
        );
        e.url = "https://github.com/acme".into();
        e.custom_fields = thin_vec::thin_vec![
            CustomField::new("Region", "eu-west-1", false),
            CustomField::new("Recovery code", "rc-hidden-7788", true),
        ];
        e
    }

    #[test]
    fn a_field_is_found_by_name_ignoring_case_and_only_by_its_whole_name() {
        let fields = vec![
            CustomField::new("Recovery", "rc-1", true),
            CustomField::new("Äccount", "acct", false),
        ];
        let value = |name: &str| find_custom_field(&fields, name).map(|f| f.value.expose());
        assert_eq!(value("recovery"), Some("rc-1"));
        assert_eq!(value("RECOVERY"), Some("rc-1"));
        assert_eq!(value("äCCOUNT"), Some("acct"));
        assert_eq!(value("Recover"), None);
        assert_eq!(value(""), None);
    }

    #[test]
    fn search_finds_url_names_and_plain_values_but_no_protected_value() {
        let e = entry();
        for hit in ["github.com/acme", "region", "eu-west", "recovery"] {
            assert!(matches_search(&e, hit), "{hit}");
        }
        for miss in ["rc-hidden", "topsecret", "zzz"] {
            assert!(!matches_search(&e, miss), "{miss}");
        }
    }

    #[test]
    fn names_are_checked() {
        let ok = [
            CustomField::new("Region", "x", false),
            CustomField::new("Owner", "", false),
        ];
        assert_eq!(validate_custom_fields(&ok), Ok(()));
        let dup = [
            CustomField::new("Region", "x", false),
            CustomField::new("region", "y", false),
        ];
        assert_eq!(
            validate_custom_fields(&dup),
            Err(CustomFieldError::Duplicate("region".into()))
        );
        for (bad, err) in [
            (" a", CustomFieldError::InvalidName(" a".into())),
            ("", CustomFieldError::InvalidName("".into())),
            ("a\nb", CustomFieldError::InvalidName("a\nb".into())),
            ("api_key", CustomFieldError::Reserved("api_key".into())),
            ("URL", CustomFieldError::Reserved("URL".into())),
        ] {
            assert_eq!(
                validate_custom_fields(&[CustomField::new(bad, "v", false)]),
                Err(err)
            );
        }
    }

    #[test]
    fn usable_names_never_clash() {
        let existing = vec![
            CustomField::new("Region", "x", false),
            CustomField::new("Region (2)", "x", false),
        ];
        assert_eq!(usable_field_name(&existing, "region"), "region (3)");
        assert_eq!(usable_field_name(&existing, " \n"), "Field");
        assert_eq!(
            usable_field_name(&existing, "Password"),
            "Password (custom)"
        );
        assert_eq!(usable_field_name(&existing, "a\tb"), "a b");
        let mut all = existing.clone();
        all.push(CustomField::new(
            usable_field_name(&existing, "REGION"),
            "",
            false,
        ));
        assert_eq!(validate_custom_fields(&all), Ok(()));
    }

    #[test]
    fn totp_seeds_become_uris() {
        assert_eq!(
            totp_uri("jbsw y3dp-ehpk 3pxp", "GitHub: me"),
            "otpauth://totp/GitHub%3A%20me?secret=JBSWY3DPEHPK3PXP"
        );
        let uri = "otpauth://totp/x?secret=ABC&period=60";
        assert_eq!(totp_uri(uri, "ignored"), uri);
        assert_eq!(totp_uri(" steam://ABC ", "x"), "steam://ABC");
        let f = CustomField::totp("ABC", "k");
        assert!(f.protected && f.name == TOTP_FIELD);
    }
}
