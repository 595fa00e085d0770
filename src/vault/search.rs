//! The search over what a key shows without a reveal.

use super::entry::Entry;

/// True when `needle` (already lowercased) appears in what the key shows without a reveal:
/// the name, provider, purpose, notes, key id, tags, URL, the IP allow and deny rules, custom
/// field names and the values of unprotected custom fields. Never in a secret or a protected
/// value. The app's search box and `keyward list --search` both use it.
pub fn matches_search(entry: &Entry, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let has = |text: &str| text.to_lowercase().contains(needle);
    has(&entry.name)
        || has(&entry.provider)
        || has(&entry.purpose)
        || has(entry.credential.key_id())
        || has(&entry.notes)
        || has(&entry.url)
        || entry
            .ip_whitelist
            .iter()
            .chain(&entry.ip_blacklist)
            .any(|rule| has(&rule.to_string()))
        || entry.tags.iter().any(|t| has(t))
        || entry
            .custom_fields
            .iter()
            .any(|f| has(&f.name) || (!f.protected && has(f.value.expose())))
}

#[cfg(test)]
mod tests {
    use super::matches_search;
    use crate::vault::{Credential, Entry};
    use chrono::{TimeZone, Utc};

    fn entry() -> Entry {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        let mut e = Entry::new(
            "okx-bot",
            Credential::SharedSecret {
                key_id: "OKX-ID".into(),
                secret: "okx-hidden-secret".into(),
                passphrase: Some("okx-hidden-pass".into()),
            },
            now,
        );
        e.purpose = "Grid trading".into();
        e.notes = "Ask Dana before rotating".into();
        e.ip_whitelist = thin_vec::thin_vec!["203.0.113.0/24".parse().expect("rule")];
        e.ip_blacklist = thin_vec::thin_vec!["198.51.100.9".parse().expect("rule")];
        e
    }

    #[test]
    fn search_finds_ip_rules_purpose_and_notes_but_no_secret() {
        let e = entry();
        for hit in [
            "203.0.113",
            "113.0/24",
            "198.51.100.9",
            "grid",
            "dana",
            "okx-id",
        ] {
            assert!(matches_search(&e, hit), "{hit} should match");
        }
        for miss in ["okx-hidden", "hidden-pass", "10.0.0.1"] {
            assert!(!matches_search(&e, miss), "{miss} should not match");
        }
        assert!(matches_search(&e, ""), "an empty search shows every key");
    }
}
