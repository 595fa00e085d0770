//! The detector rules for secrets that are not in the vault (`assets/detectors.toml`):
//! loading, checking and compiling them into one keyword prefilter plus one regex each.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;
use serde::Deserialize;

use crate::vault::Field;

/// The built-in detectors.
pub const BUILTIN_DETECTORS: &str = include_str!("../../assets/detectors.toml");

/// Default distance in lines between the two halves of a pair.
const DEFAULT_PAIR_LINES: u64 = 6;

/// One rule as written in the file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable rule id.
    pub id: String,
    /// Display name of the provider.
    pub provider: String,
    /// The provider preset a key is created with.
    #[serde(default)]
    pub preset: String,
    /// Which credential part the value is.
    pub field: Field,
    /// Prefilter keywords (lower case).
    pub keywords: Vec<String>,
    /// The pattern; group 1 is the value.
    pub regex: String,
    /// Minimum Shannon entropy in bits per character.
    #[serde(default)]
    pub entropy: f64,
    /// Shapes that are never this secret: "hash", "uuid".
    #[serde(default)]
    pub reject: Vec<String>,
    /// The value must hold a digit and a letter.
    #[serde(default)]
    pub digits: bool,
    /// The rule of the other half.
    #[serde(default)]
    pub pair: String,
    /// Lines between the halves.
    #[serde(default)]
    pub pair_lines: Option<u64>,
    /// Drop a hit without its other half.
    #[serde(default)]
    pub pair_required: bool,
    /// A regex whose group 1 (or 2) names the provider near the hit.
    #[serde(default)]
    pub provider_from: String,
    /// Where the provider documents the format.
    pub source: String,
    /// A line in the format (template, see [`expand_sample`]).
    pub sample: String,
    /// A look-alike that is not a secret (template).
    pub negative: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    detector: Vec<RuleSpec>,
}

/// A compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    pub(super) regex: Regex,
    pub(super) provider_from: Option<Regex>,
    pub(super) pair: Option<usize>,
    pub(super) pair_lines: u64,
    pub(super) reject_hash: bool,
    pub(super) reject_uuid: bool,
}

/// What is wrong with a detectors file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// Not TOML, or a field of the wrong type or name.
    #[error("{0}; compare it with assets/detectors.toml")]
    Toml(String),
    /// A regex that does not compile.
    #[error("detector '{id}': the regex does not compile: {error}")]
    Regex {
        /// The rule.
        id: String,
        /// Why.
        error: String,
    },
    /// A rule that breaks a file-wide rule (duplicate id, unknown pair, no keyword, ...).
    #[error("detector '{id}': {problem}")]
    Invalid {
        /// The rule.
        id: String,
        /// What is wrong.
        problem: String,
    },
}

/// The compiled detectors: a keyword prefilter over all rules, then each rule's regex.
#[derive(Clone, Debug)]
pub struct Detectors {
    /// The rules, in file order (an earlier rule wins a value two rules match).
    pub rules: Vec<Rule>,
    pub(super) keywords: AhoCorasick,
    /// For each keyword pattern: the rules it enables.
    pub(super) keyword_rules: Vec<Vec<usize>>,
}

impl Detectors {
    /// The built-in detectors.
    pub fn builtin() -> Result<Self, RulesError> {
        Self::parse(BUILTIN_DETECTORS)
    }

    /// Parses and compiles a detectors file.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let file: RulesFile =
            toml::from_str(text).map_err(|e| RulesError::Toml(e.to_string().trim().to_owned()))?;
        let invalid = |id: &str, problem: &str| RulesError::Invalid {
            id: id.to_owned(),
            problem: problem.to_owned(),
        };
        let mut rules: Vec<Rule> = Vec::new();
        for spec in &file.detector {
            if rules.iter().any(|r| r.spec.id == spec.id) {
                return Err(invalid(&spec.id, "the id is used twice"));
            }
            if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.is_empty()) {
                return Err(invalid(&spec.id, "give it at least one non-empty keyword"));
            }
            if spec.keywords.iter().any(|k| k.to_lowercase() != *k) {
                return Err(invalid(&spec.id, "keywords are written in lower case"));
            }
            let compile = |re: &str| {
                Regex::new(re).map_err(|e| RulesError::Regex {
                    id: spec.id.clone(),
                    error: e.to_string(),
                })
            };
            let regex = compile(&spec.regex)?;
            let provider_from = if spec.provider_from.is_empty() {
                None
            } else {
                Some(compile(&spec.provider_from)?)
            };
            for r in &spec.reject {
                if r != "hash" && r != "uuid" {
                    return Err(invalid(&spec.id, "reject takes \"hash\" and \"uuid\""));
                }
            }
            rules.push(Rule {
                regex,
                provider_from,
                pair: None,
                pair_lines: spec.pair_lines.unwrap_or(DEFAULT_PAIR_LINES),
                reject_hash: spec.reject.iter().any(|r| r == "hash"),
                reject_uuid: spec.reject.iter().any(|r| r == "uuid"),
                spec: spec.clone(),
            });
        }
        for i in 0..rules.len() {
            let pair = rules[i].spec.pair.clone();
            if pair.is_empty() {
                if rules[i].spec.pair_required {
                    return Err(invalid(&rules[i].spec.id, "pair_required without a pair"));
                }
                continue;
            }
            let Some(j) = rules.iter().position(|r| r.spec.id == pair) else {
                return Err(invalid(&rules[i].spec.id, "its pair names no detector"));
            };
            rules[i].pair = Some(j);
        }
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for k in &rule.spec.keywords {
                match words.iter().position(|w| w == k) {
                    Some(at) => keyword_rules[at].push(i),
                    None => {
                        words.push(k.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&words)
            .map_err(|e| invalid("keywords", &e.to_string()))?;
        Ok(Detectors {
            rules,
            keywords,
            keyword_rules,
        })
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.spec.id == id)
    }
}

/// Fills a sample template with fresh random text: `{alnum:N}`, `{alpha:N}`, `{hex:N}`,
/// `{HEX:N}`, `{upper:N}`, `{lower:N}`, `{digits:N}`, `{b64:N}`, `{b64url:N}`, `{b32:N}`,
/// `{bech:N}`, `{uuid}`; `{{text}}` is `text` as written; `\n` is a newline. Used by the tests
/// and the benchmark to build keys in each published format at run time.
pub fn expand_sample(template: &str, random: &mut dyn FnMut() -> u32) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '\\']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(t) = tail.strip_prefix("\\n") {
            out.push('\n');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("{{")
            && let Some(end) = t.find("}}")
        {
            out.push_str(&t[..end]);
            rest = &t[end + 2..];
        } else if let Some(end) = tail.find('}') {
            let spec = &tail[1..end];
            let (class, n) = spec.split_once(':').unwrap_or((spec, "0"));
            let n: usize = n.parse().unwrap_or(0);
            if class == "uuid" {
                let hex = random_text("0123456789abcdef", 32, random);
                out.push_str(&format!(
                    "{}-{}-4{}-a{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[13..16],
                    &hex[17..20],
                    &hex[20..32]
                ));
            } else {
                let alphabet = match class {
                    "alnum" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                    "alpha" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    "hex" => "0123456789abcdef",
                    "HEX" => "0123456789ABCDEF",
                    "upper" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                    "lower" => "abcdefghijklmnopqrstuvwxyz",
                    "digits" => "0123456789",
                    "b64" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                    "b64url" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                    "b32" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                    "bech" => "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
                    _ => "",
                };
                if alphabet.is_empty() {
                    out.push_str(&tail[..=end]);
                } else {
                    out.push_str(&random_text(alphabet, n, random));
                }
            }
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

fn random_text(alphabet: &str, n: usize, random: &mut dyn FnMut() -> u32) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    (0..n)
        .map(|_| chars[random() as usize % chars.len()])
        .collect()
}
