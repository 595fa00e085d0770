//! The search over what a key shows without a reveal.

use super::entry::Entry;

/// True when `needle` (already lowercased) appears in what the key shows without a reveal:
/// the name, provider, purpose, key id, tags, URL, custom field names and the values of
/// unprotected custom fields. Never in a secret or a protected value.
pub fn matches_search(entry: &Entry, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let has = |text: &str| text.to_lowercase().contains(needle);
    has(&entry.name)
        || has(&entry.provider)
        || has(&entry.purpose)
        || has(entry.credential.key_id())
        || has(&entry.url)
        || entry.tags.iter().any(|t| has(t))
        || entry
            .custom_fields
            .iter()
            .any(|f| has(&f.name) || (!f.protected && has(f.value.expose())))
}
