//! `keyward inject` (and `mount`): fills `keyward://NAME/field` references in any text file,
//! `{{ keyward://NAME/field }}` too (1Password's `op inject` is the model). A value inside a
//! double-quoted string is escaped the way JSON (and YAML's and dotenv's double quotes)
//! read it, so a JSON template stays valid JSON.

use zeroize::Zeroizing;

use crate::exec::percent_decode;
use crate::secret::SecretString;
use crate::vault::{Field, Vault};

const SCHEME: &str = "keyward://";

/// What is wrong with a template or a reference in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InjectError {
    /// A reference that does not parse.
    #[error("line {line}: {reason}")]
    BadReference {
        /// The template line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A reference to a key or part the vault does not have.
    #[error("line {line}: {reason}")]
    Missing {
        /// The template line, from 1.
        line: usize,
        /// Which key or part.
        reason: String,
    },
}

/// One reference found in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Byte range replaced in the template (the braces of `{{ … }}` included).
    pub start: usize,
    /// End of the range (exclusive).
    pub end: usize,
    /// The template line, from 1.
    pub line: usize,
    /// The key's name (percent-decoded).
    pub name: String,
    /// The part; `None` for the key's main secret.
    pub field: Option<Field>,
    /// Inside a double-quoted string: the value is escaped.
    pub quoted: bool,
}

fn is_ref_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'~' | b'%' | b'+' | b'/')
}

/// Every reference in `template`, in order.
pub fn references(template: &str) -> Result<Vec<Reference>, InjectError> {
    let bytes = template.as_bytes();
    let mut refs = Vec::new();
    let mut from = 0;
    while let Some(at) = template[from..].find(SCHEME) {
        let start = from + at;
        let body_start = start + SCHEME.len();
        let mut body_end = body_start;
        while body_end < bytes.len() && is_ref_char(bytes[body_end]) {
            body_end += 1;
        }
        // A sentence may end right after a reference.
        while body_end > body_start && matches!(bytes[body_end - 1], b'.' | b'/') {
            body_end -= 1;
        }
        let line = template[..start].matches('\n').count() + 1;
        let body = &template[body_start..body_end];
        let (name, field) = match body.rsplit_once('/') {
            Some((name, field)) => {
                let field = field
                    .parse::<Field>()
                    .map_err(|e| InjectError::BadReference {
                        line,
                        reason: e.to_string(),
                    })?;
                (name, Some(field))
            }
            None => (body, None),
        };
        let name = percent_decode(name);
        if name.is_empty() {
            return Err(InjectError::BadReference {
                line,
                reason: "no key named after keyward://".into(),
            });
        }
        // `{{ keyward://… }}`: the braces go too.
        let (mut s, mut e) = (start, body_end);
        let before = template[..start].trim_end_matches([' ', '\t']);
        let after = template[body_end..].trim_start_matches([' ', '\t']);
        if before.ends_with("{{") && after.starts_with("}}") {
            s = before.len() - 2;
            e = template.len() - after.len() + 2;
        }
        let line_start = template[..s].rfind('\n').map_or(0, |p| p + 1);
        refs.push(Reference {
            start: s,
            end: e,
            line,
            name,
            field,
            quoted: in_double_quotes(&template[line_start..s]),
        });
        from = e;
    }
    Ok(refs)
}

/// True when `before` (the line up to the reference) leaves a double-quoted string open.
fn in_double_quotes(before: &str) -> bool {
    let mut open = false;
    let mut escaped = false;
    for c in before.chars() {
        match c {
            '\\' if open && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => open = !open,
            _ => {}
        }
        escaped = false;
    }
    open
}

/// The value of one part of a stored key: `field` or, with `None`, the key's main secret.
/// The one lookup `inject`, `mount` and `exec` templates share.
pub fn value_of(vault: &Vault, name: &str, field: Option<Field>) -> Result<SecretString, String> {
    let entry = vault
        .get(name)
        .ok_or_else(|| format!("no key named '{name}'"))?;
    let field = field.unwrap_or_else(|| entry.credential.primary_field());
    let value = entry
        .credential
        .field(field)
        .ok_or_else(|| format!("'{name}' ({}) has no {field}", entry.credential.kind()))?;
    Ok(SecretString::from(value.expose()))
}

/// Escapes `value` for a JSON string (also valid in YAML's and dotenv's double quotes).
fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// The template with every reference replaced by its value; wiped on drop.
pub fn inject(template: &str, vault: &Vault) -> Result<Zeroizing<String>, InjectError> {
    let refs = references(template)?;
    let mut out = Zeroizing::new(String::with_capacity(template.len() + 64 * refs.len()));
    let mut at = 0;
    for r in &refs {
        out.push_str(&template[at..r.start]);
        let value = value_of(vault, &r.name, r.field).map_err(|reason| InjectError::Missing {
            line: r.line,
            reason,
        })?;
        if r.quoted {
            push_escaped(&mut out, value.expose());
        } else {
            out.push_str(value.expose());
        }
        at = r.end;
    }
    out.push_str(&template[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, Entry};

    fn vault() -> Vault {
        let mut v = Vault::default();
        let now = chrono::Utc::now();
        v.add(Entry::new(
            "bin ance",
            Credential::SharedSecret {
                key_id: "KEYID".into(),
                secret: "se\"cr\\et".into(),
                passphrase: None,
            },
            now,
        ))
        .expect("add");
        v.add(Entry::new(
            "pem",
            Credential::KeyPair {
                key_id: Default::default(),
                private_key: "-----A-----\nline\n-----B-----".into(),
                public_key: String::new(),
            },
            now,
        ))
        .expect("add");
        v
    }

    #[test]
    fn references_are_found_with_braces_fields_and_quotes() {
        let t = "a: keyward://x/key.\nb: \"{{ keyward://bin%20ance/secret }}\"\nc='keyward://y'";
        let refs = references(t).expect("parse");
        assert_eq!(refs.len(), 3);
        assert_eq!(
            (refs[0].name.as_str(), refs[0].field),
            ("x", Some(Field::Key))
        );
        assert_eq!(&t[refs[0].start..refs[0].end], "keyward://x/key");
        assert_eq!(refs[1].name, "bin ance");
        assert!(refs[1].quoted && !refs[0].quoted && !refs[2].quoted);
        assert_eq!(
            &t[refs[1].start..refs[1].end],
            "{{ keyward://bin%20ance/secret }}"
        );
        assert!(references("x keyward://a/colour").is_err());
        assert!(references("x keyward:// y").is_err());
    }

    #[test]
    fn values_in_double_quotes_are_escaped_and_others_are_not() {
        let v = vault();
        let out = inject(
            "{\"s\": \"keyward://bin%20ance\", \"k\": \"keyward://pem/private-key\"}\nraw=keyward://bin%20ance/key\n",
            &v,
        )
        .expect("inject");
        let first = out.lines().next().expect("line");
        let json: serde_json::Value = serde_json::from_str(first).expect("valid JSON");
        assert_eq!(json["s"], "se\"cr\\et");
        assert_eq!(json["k"], "-----A-----\nline\n-----B-----");
        assert!(out.ends_with("raw=KEYID\n"), "{}", out.as_str());
        let err = inject("\n\nx=keyward://nope", &v).expect_err("missing");
        assert_eq!(err.to_string(), "line 3: no key named 'nope'");
    }
}
