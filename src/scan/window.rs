//! A filter in front of the automaton when the vault holds many values (more than the
//! automaton's SIMD prefilter takes, about a hundred): 1000 random tokens start with every
//! letter, so the automaton alone would step through every byte.
//!
//! Every value is at least [`MIN_VALUE_LEN`] bytes long, so each of its places in a buffer
//! holds a [`WINDOW`]-byte window that starts at a multiple of [`STRIDE`] and at one of the
//! value's first `STRIDE` bytes. The filter holds a bit for each such window of each value
//! (a hash into a table that stays in the CPU cache); the buffer is checked at every
//! `STRIDE`-th byte only, and the automaton runs only around the positions whose bit is
//! set. It finds exactly what the automaton finds over the whole buffer: every match has
//! such a position, and the stretches searched start no later than any match they hold.

use aho_corasick::{AhoCorasick, Input, Match};

/// Bytes hashed at each checked position.
const WINDOW: usize = 4;
/// Distance between checked positions.
const STRIDE: usize = 5;
/// The shortest value the filter can stand in front of.
pub(super) const MIN_VALUE_LEN: usize = STRIDE - 1 + WINDOW;
/// Set bits per table bit at most (about 1 position in 64 checked is a false candidate).
const BITS_PER_WINDOW: usize = 64;
/// The largest table: 2^23 bits, 1 MiB.
const MAX_TABLE_BITS: u32 = 23;

/// The windows of many values.
pub(super) struct WindowFilter {
    table: Vec<u64>,
    shift: u32,
    max_len: usize,
}

impl WindowFilter {
    /// A filter for `values`, or `None` when one is shorter than [`MIN_VALUE_LEN`].
    pub(super) fn new<'v>(values: impl Iterator<Item = &'v [u8]> + Clone) -> Option<Self> {
        let mut count = 0usize;
        let mut max_len = 0usize;
        for v in values.clone() {
            if v.len() < MIN_VALUE_LEN {
                return None;
            }
            count += 1;
            max_len = max_len.max(v.len());
        }
        let wanted = (count * STRIDE * BITS_PER_WINDOW).max(1 << 12);
        let bits = wanted
            .next_power_of_two()
            .trailing_zeros()
            .min(MAX_TABLE_BITS);
        let mut filter = WindowFilter {
            table: vec![0; (1usize << bits) / 64],
            shift: 32 - bits,
            max_len,
        };
        for v in values {
            for offset in 0..STRIDE {
                let slot = filter.slot(&v[offset..offset + WINDOW]);
                filter.table[slot / 64] |= 1 << (slot % 64);
            }
        }
        Some(filter)
    }

    fn slot(&self, window: &[u8]) -> usize {
        let mut w = [0u8; WINDOW];
        w.copy_from_slice(window);
        (u32::from_le_bytes(w).wrapping_mul(0x9E37_79B1) >> self.shift) as usize
    }

    fn is_candidate(&self, data: &[u8], at: usize) -> bool {
        let slot = self.slot(&data[at..at + WINDOW]);
        self.table[slot / 64] & (1 << (slot % 64)) != 0
    }

    /// Every leftmost match of `matcher` in `data`, in order, as `matcher.find_iter` gives
    /// them over the whole buffer.
    pub(super) fn for_each_match(
        &self,
        matcher: &AhoCorasick,
        data: &[u8],
        mut found: impl FnMut(Match),
    ) {
        // The stretch to search next, and where the last match ended.
        let mut stretch: Option<(usize, usize)> = None;
        let mut resume = 0usize;
        let mut search = |(start, end): (usize, usize), resume: &mut usize| {
            let start = start.max(*resume);
            if start >= end {
                return;
            }
            for m in matcher.find_iter(Input::new(data).span(start..end)) {
                *resume = m.end();
                found(m);
            }
        };
        let mut at = 0usize;
        while at + WINDOW <= data.len() {
            if self.is_candidate(data, at) {
                // A match holding this window starts at most STRIDE - 1 bytes before it.
                let start = at.saturating_sub(STRIDE - 1);
                let end = (at + self.max_len).min(data.len());
                stretch = match stretch {
                    Some((s, e)) if start <= e => Some((s, e.max(end))),
                    Some(done) => {
                        search(done, &mut resume);
                        Some((start, end))
                    }
                    None => Some((start, end)),
                };
            }
            at += STRIDE;
        }
        if let Some(done) = stretch {
            search(done, &mut resume);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, MatchKind};

    fn matches_both_ways(values: &[&str], data: &[u8]) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values)
            .expect("automaton");
        let filter =
            WindowFilter::new(values.iter().map(|v| v.as_bytes())).expect("values long enough");
        let whole: Vec<_> = ac
            .find_iter(data)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        let mut filtered = Vec::new();
        filter.for_each_match(&ac, data, |m| {
            filtered.push((m.pattern().as_usize(), m.start(), m.end()))
        });
        assert_eq!(filtered, whole, "the filter changed what is found");
        whole
    }

    #[test]
    fn finds_what_the_automaton_finds_at_every_offset() {
        let values = [
            "abcdefgh",
            "bcdefghijklm",
            "zzzzzzzzzz",
            "12345678901234567890",
        ];
        for pad in 0..12 {
            let text = format!(
                "{}abcdefgh bcdefghijklm abcdefghijklm zzzzzzzzzzzz 12345678901234567890abcdefgh",
                "x".repeat(pad)
            );
            let found = matches_both_ways(&values, text.as_bytes());
            assert_eq!(found.len(), 6, "pad {pad}: {found:?}");
        }
        // At the very end and the very start of the buffer, and nothing in short buffers.
        assert_eq!(matches_both_ways(&values, b"abcdefgh").len(), 1);
        assert_eq!(matches_both_ways(&values, b"abcdefg").len(), 0);
        assert_eq!(matches_both_ways(&values, b"").len(), 0);
    }

    #[test]
    fn many_random_values_in_random_text() {
        let mut x = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
        let values: Vec<String> = (0..1000)
            .map(|i| {
                let len = 8 + i % 30;
                (0..len)
                    .map(|_| alphabet[(next() % 32) as usize] as char)
                    .collect()
            })
            .collect();
        let mut text = Vec::new();
        for i in 0..3000 {
            if i % 10 == 0 {
                text.extend_from_slice(values[(next() % 1000) as usize].as_bytes());
            } else {
                text.push(alphabet[(next() % 32) as usize]);
            }
        }
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        assert!(matches_both_ways(&refs, &text).len() >= 300);
    }

    #[test]
    fn a_short_value_gets_no_filter() {
        assert!(WindowFilter::new([b"1234567".as_slice()].into_iter()).is_none());
    }
}
