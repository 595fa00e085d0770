//! Finding secrets that are not in the vault in one buffer: keyword prefilter, each enabled
//! rule's regex, the filters for placeholders and look-alikes, then pairing. A [`Found`]
//! holds byte offsets, never the value; [`scan_buffer`] joins these with the stored-secret
//! hits of the same buffer.

use super::needles::hits_in;
use super::rules::{Detectors, Rule};
use super::{Hit, HitStatus, Location, Needles, PairRef};

/// Bytes searched before a hit for the provider's name (`provider_from`).
const PROVIDER_WINDOW_BEFORE: usize = 4096;
/// Bytes searched after a hit for the provider's name.
const PROVIDER_WINDOW_AFTER: usize = 1024;
/// Values longer than this (private keys) skip the word and run checks.
const LONG_VALUE: usize = 200;

/// Words that mark a placeholder or a documented example.
const PLACEHOLDER_WORDS: [&str; 20] = [
    "example",
    "your_",
    "your-",
    "yourapi",
    "yourkey",
    "yoursecret",
    "yourtoken",
    "placeholder",
    "dummy",
    "sample",
    "changeme",
    "change_me",
    "redacted",
    "replace",
    "insert",
    "<",
    ">",
    "${",
    "{{",
    "****",
];

/// One value a rule found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Index of the rule in [`Detectors::rules`].
    pub rule: usize,
    /// The value's byte range in the buffer.
    pub start: usize,
    /// End of the value (exclusive).
    pub end: usize,
    /// Line of the value's start, from 1.
    pub line: u64,
    /// Column in bytes, from 1.
    pub column: u64,
    /// Line of the value's end.
    pub end_line: u64,
    /// Provider display name (from the rule, or named near the hit).
    pub provider: String,
    /// Provider preset id ("" when none).
    pub preset: String,
    /// The index in the same list of the other half of a pair.
    pub pair: Option<usize>,
    /// The variable or key the value is assigned to on its line ("" when none).
    pub variable: String,
}

/// Every unknown-secret candidate in `data`, in order of place.
pub fn find_unknown(detectors: &Detectors, data: &[u8]) -> Vec<Found> {
    let mut enabled = vec![false; detectors.rules.len()];
    for m in detectors.keywords.find_overlapping_iter(data) {
        for &r in &detectors.keyword_rules[m.pattern().as_usize()] {
            enabled[r] = true;
        }
    }
    let mut ranges: Vec<(usize, usize, usize)> = Vec::new();
    for (i, rule) in detectors.rules.iter().enumerate() {
        if !enabled[i] {
            continue;
        }
        for caps in rule.regex.captures_iter(data) {
            let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                continue;
            };
            let (start, end) = (m.start(), m.end());
            if !plausible(rule, &data[start..end]) || excluded_by_context(data, start) {
                continue;
            }
            ranges.push((start, end, i));
        }
    }
    ranges.sort();
    let mut found = Vec::with_capacity(ranges.len());
    let mut line = 1u64;
    let mut line_start = 0usize;
    let mut counted = 0usize;
    for (start, end, rule_index) in ranges {
        for (k, &b) in data[counted..start].iter().enumerate() {
            if b == b'\n' {
                line += 1;
                line_start = counted + k + 1;
            }
        }
        counted = start;
        let end_line = line + data[start..end].iter().filter(|&&b| b == b'\n').count() as u64;
        let rule = &detectors.rules[rule_index];
        let (provider, preset) = provider_of(rule, data, start, end);
        found.push(Found {
            rule: rule_index,
            start,
            end,
            line,
            column: (start - line_start) as u64 + 1,
            end_line,
            provider,
            preset,
            pair: None,
            variable: variable_before(&data[line_start..start]),
        });
    }
    // Hits that need a partner and have none go first (so a ccxt rule does not take a
    // freqtrade value from the rule that pairs it); then an earlier rule wins a value two
    // rules match; then the pairs are linked.
    let found = pair_up(detectors, found);
    let mut by_rule: Vec<usize> = (0..found.len()).collect();
    by_rule.sort_by_key(|&i| (found[i].rule, found[i].start));
    let mut keep = vec![false; found.len()];
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for i in by_rule {
        let f = &found[i];
        if !taken.iter().any(|&(s, e)| f.start < e && s < f.end) {
            taken.push((f.start, f.end));
            keep[i] = true;
        }
    }
    let mut k = 0;
    let mut found = found;
    found.retain(|_| {
        k += 1;
        keep[k - 1]
    });
    link_pairs(detectors, &mut found);
    found
}

/// The nearest hit of `found[i]`'s pair rule within its reach, if any.
fn partner(detectors: &Detectors, found: &[Found], i: usize) -> Option<usize> {
    let rule = &detectors.rules[found[i].rule];
    let want = rule.pair?;
    found
        .iter()
        .enumerate()
        .filter(|(j, f)| *j != i && f.rule == want)
        .filter(|(_, f)| f.line.abs_diff(found[i].line) <= rule.pair_lines)
        .min_by_key(|(_, f)| f.line.abs_diff(found[i].line))
        .map(|(j, _)| j)
}

/// Drops the hits that need a partner and have none near them.
fn pair_up(detectors: &Detectors, mut found: Vec<Found>) -> Vec<Found> {
    let keep: Vec<bool> = (0..found.len())
        .map(|i| {
            !detectors.rules[found[i].rule].spec.pair_required
                || partner(detectors, &found, i).is_some()
        })
        .collect();
    let mut i = 0;
    found.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    found
}

/// Links each hit to the nearest hit of its pair rule within reach.
fn link_pairs(detectors: &Detectors, found: &mut [Found]) {
    for i in 0..found.len() {
        found[i].pair = partner(detectors, found, i);
    }
    // A paired hit takes the provider its partner found near it (ccxt names the exchange
    // once for both halves).
    for i in 0..found.len() {
        if let Some(j) = found[i].pair
            && found[i].preset.is_empty()
            && !found[j].preset.is_empty()
        {
            found[i].preset = found[j].preset.clone();
            found[i].provider = found[j].provider.clone();
        }
    }
}

/// The value passes the rule's own checks and is no placeholder.
fn plausible(rule: &Rule, value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    if text.len() <= LONG_VALUE {
        let lower = text.to_ascii_lowercase();
        if PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) || has_placeholder_xs(text) {
            return false;
        }
        if has_run_or_sequence(value) {
            return false;
        }
        let mut distinct = [false; 256];
        value.iter().for_each(|&b| distinct[b as usize] = true);
        if value.len() >= 16 && distinct.iter().filter(|&&d| d).count() < 6 {
            return false;
        }
    }
    if rule.spec.entropy > 0.0 && entropy(value) < rule.spec.entropy {
        return false;
    }
    if rule.spec.digits
        && !(value.iter().any(u8::is_ascii_digit) && value.iter().any(u8::is_ascii_alphabetic))
    {
        return false;
    }
    if rule.reject_hash && is_hash(value) {
        return false;
    }
    if rule.reject_uuid && is_uuid(value) {
        return false;
    }
    true
}

/// Six equal bytes in a row, or six consecutive ascending letters or digits.
/// `xxxx` or `XXXX`, the usual mark of a value left out. In one case only: a random base64
/// secret holds some mix such as `XxXX` about once in 1 500 draws of 88 characters, but this
/// exact run 16 times less often.
fn has_placeholder_xs(text: &str) -> bool {
    text.contains("xxxx") || text.contains("XXXX")
}

/// Six equal or ascending characters (`aaaaaa`, `123456`) mark a made-up value; in a value
/// of 40 characters or more it takes eight, as random hex of 64 holds six ascending digits
/// about once in 15 000 draws (a real token missed) and eight almost never.
fn has_run_or_sequence(v: &[u8]) -> bool {
    let run = if v.len() >= 40 { 8 } else { 6 };
    v.windows(run).any(|w| {
        w.iter().all(|&b| b == w[0])
            || w.windows(2)
                .all(|p| p[1] == p[0].wrapping_add(1) && p[0].is_ascii_alphanumeric())
    })
}

/// Shannon entropy in bits per byte.
pub fn entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    v.iter().for_each(|&b| counts[b as usize] += 1);
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn is_hash(v: &[u8]) -> bool {
    matches!(v.len(), 32 | 40 | 64 | 128) && v.iter().all(u8::is_ascii_hexdigit)
}

fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Lockfile integrity strings, data URLs and lines marked `keyward:allow`.
fn excluded_by_context(data: &[u8], start: usize) -> bool {
    let line_start = data[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line_end = data[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |p| start + p);
    let before = &data[line_start..start];
    let line = &data[line_start..line_end];
    let ends_with = |s: &[u8]| before.len() >= s.len() && before[before.len() - s.len()..] == *s;
    if [&b"sha512-"[..], b"sha384-", b"sha256-", b"sha1-"]
        .iter()
        .any(|s| ends_with(s))
    {
        return true;
    }
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    (contains(before, b"data:") && contains(before, b";base64,"))
        || contains(line, b"keyward:allow")
}

/// The provider named near the hit (`provider_from`), else the rule's.
fn provider_of(rule: &Rule, data: &[u8], start: usize, end: usize) -> (String, String) {
    if let Some(re) = &rule.provider_from {
        let from = start.saturating_sub(PROVIDER_WINDOW_BEFORE);
        let to = (end + PROVIDER_WINDOW_AFTER).min(data.len());
        let window = &data[from..to];
        let hit_at = start - from;
        // The nearest naming before the hit, else the first after it.
        let mut best: Option<(usize, String)> = None;
        for caps in re.captures_iter(window) {
            let Some(name) = caps.iter().skip(1).flatten().next() else {
                continue;
            };
            let Ok(name) = std::str::from_utf8(name.as_bytes()) else {
                continue;
            };
            let at = caps.get(0).map_or(0, |m| m.start());
            let distance = at.abs_diff(hit_at);
            if best.as_ref().is_none_or(|(d, _)| distance < *d) {
                best = Some((distance, name.to_ascii_lowercase()));
            }
        }
        if let Some((_, name)) = best {
            let mut display = name.clone();
            if let Some(first) = display.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            return (display, name);
        }
    }
    (rule.spec.provider.clone(), rule.spec.preset.clone())
}

/// The name a value is assigned to: `NAME=`, `"name": `, `name = '`, `export NAME=`.
fn variable_before(before: &[u8]) -> String {
    let text = String::from_utf8_lossy(before);
    let t = text.trim_end_matches([' ', '\t', '"', '\'']);
    let Some(t) = t.strip_suffix(['=', ':']) else {
        return String::new();
    };
    let t = t.trim_end_matches([' ', '\t', '"', '\'']);
    let name: String = t
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    name
}

/// The stored-secret hits of one buffer and, with detectors, the unknown ones (a value that
/// is stored is reported once, as stored). `None` when the buffer is binary, something was
/// found and binary files are not wanted.
pub(super) fn scan_buffer(
    needles: &Needles,
    detectors: Option<&Detectors>,
    data: &[u8],
    binary_ok: bool,
    location: impl Fn() -> Location,
) -> Option<Vec<Hit>> {
    let mut hits = hits_in(needles, data, binary_ok, &location)?;
    let Some(detectors) = detectors else {
        return Some(hits);
    };
    let found = find_unknown(detectors, data);
    if found.is_empty() {
        return Some(hits);
    }
    if !binary_ok && data.contains(&0) {
        return None;
    }
    let stored: Vec<(u64, u64)> = hits.iter().map(|h| (h.line, h.column)).collect();
    for f in &found {
        let width = (f.end - f.start) as u64;
        let is_stored = stored.iter().any(|&(line, column)| {
            if f.line == f.end_line {
                line == f.line && column >= f.column && column < f.column + width
            } else {
                line >= f.line && line <= f.end_line
            }
        });
        if is_stored {
            continue;
        }
        let rule = &detectors.rules[f.rule];
        hits.push(Hit {
            location: location(),
            line: f.line,
            column: f.column,
            entry: String::new(),
            field: rule.spec.field,
            status: HitStatus::Unknown,
            rule: rule.spec.id.clone(),
            provider: f.provider.clone(),
            preset: f.preset.clone(),
            variable: f.variable.clone(),
            pair: f.pair.map(|j| PairRef {
                line: found[j].line,
                column: found[j].column,
                rule: detectors.rules[found[j].rule].spec.id.clone(),
            }),
        });
    }
    Some(hits)
}
