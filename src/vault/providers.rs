//! Provider presets (PRODUCT §6): credential shape, signature scheme, permission names,
//! key-management page, environment variables, and documented rules the audit checks.
//!
//! The built-in list is `assets/providers.toml`, compiled in; a user's own file in the same
//! format extends or overrides it ([`Providers::merge`]). Parsing is pure: callers read files.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::{CredentialKind, Entry, policy::is_unrestricted};

/// The presets shipped with keyward.
pub const BUILTIN_TOML: &str = include_str!("../../assets/providers.toml");

/// How serious a finding is, least severe first (so `max()` is the worst).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Should be fixed soon.
    Medium,
    /// Fix now: real exposure or an outage coming.
    High,
    /// Funds or accounts are at immediate risk.
    Critical,
}

impl Severity {
    /// The name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Which date a rule counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Since {
    /// The key's creation.
    #[default]
    Created,
    /// The last rotation (else creation).
    Rotated,
    /// The last use (else the last rotation, else creation).
    LastUsed,
}

/// A documented provider rule, checked by the audit.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderRule {
    /// Stable identifier, used as the finding's code.
    pub code: String,
    /// How serious the finding is.
    pub severity: Severity,
    /// The rule applies to keys holding one of these permissions (empty: every key).
    #[serde(default)]
    pub permissions_any: Vec<String>,
    /// `Some(true)`: only keys without an IP whitelist.
    #[serde(default)]
    pub without_ip_whitelist: Option<bool>,
    /// The date the rule counts from.
    #[serde(default)]
    pub since: Since,
    /// Days after `since` when the rule bites; `None`: it applies at once.
    #[serde(default)]
    pub after_days: Option<u32>,
    /// The rule applies when the whitelist holds more entries than this.
    #[serde(default)]
    pub max_ip_whitelist: Option<usize>,
    /// Why it matters.
    pub reason: String,
    /// What to do.
    pub fix: String,
    /// Where the provider documents it.
    pub source: String,
}

/// One provider preset.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Stable identifier, matched case-insensitively against an entry's provider.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Credential kinds the provider issues; the first is the editor's default.
    pub kinds: Vec<CredentialKind>,
    /// How requests are signed.
    #[serde(default)]
    pub signature: String,
    /// Permission names the provider uses.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Where keys are managed (the incident checklist links to it).
    #[serde(default)]
    pub key_page: String,
    /// Environment variables tools conventionally read.
    #[serde(default)]
    pub env_vars: Vec<String>,
    /// Keys carry a passphrase besides key and secret.
    #[serde(default)]
    pub needs_passphrase: bool,
    /// Keys can be given an expiry date at the provider.
    #[serde(default)]
    pub supports_expiry: bool,
    /// Documented rules.
    #[serde(default, rename = "rule")]
    pub rules: Vec<ProviderRule>,
    /// The colour of its monogram in the app's table, `#RRGGBB`; empty: one made from the id.
    #[serde(default)]
    pub color: String,
}

impl Provider {
    /// The monogram's colour as red, green, blue, if the preset gives one.
    pub fn rgb(&self) -> Option<[u8; 3]> {
        parse_rgb(&self.color)
    }
}

/// `#RRGGBB` as three bytes.
fn parse_rgb(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    #[serde(default)]
    provider: Vec<Provider>,
}

/// What is wrong with a provider presets file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PresetsError {
    /// Not TOML, or a field of the wrong type or name (the text names the line).
    #[error("{0}; compare it with assets/providers.toml")]
    Toml(String),
    /// A `[[provider]]` without an id.
    #[error("a provider has an empty id: give each [[provider]] an id")]
    EmptyId,
    /// A provider that lists no credential kinds.
    #[error(
        "provider '{0}' lists no credential kinds: add kinds = [\"shared-secret\"] (or key-pair, token)"
    )]
    NoKinds(String),
    /// A colour that is not `#RRGGBB` (provider id, the text).
    #[error("provider '{0}' has color = \"{1}\": write it as \"#RRGGBB\", e.g. \"#1F6FEB\"")]
    BadColor(String, String),
}

/// A set of provider presets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Providers {
    /// The presets, in file order.
    pub list: Vec<Provider>,
}

impl Providers {
    /// The built-in presets.
    pub fn builtin() -> Self {
        // The built-in file is part of the source and tested; an error here is a build bug,
        // reported as "no presets" rather than a crash.
        Self::parse(BUILTIN_TOML).unwrap_or_default()
    }

    /// Parses a presets file; the error names the line and what is wrong.
    pub fn parse(text: &str) -> Result<Self, PresetsError> {
        let file: ProvidersFile = toml::from_str(text)
            .map_err(|e| PresetsError::Toml(e.to_string().trim_end().to_owned()))?;
        for p in &file.provider {
            if p.id.trim().is_empty() {
                return Err(PresetsError::EmptyId);
            }
            if p.kinds.is_empty() {
                return Err(PresetsError::NoKinds(p.id.clone()));
            }
            if !p.color.is_empty() && p.rgb().is_none() {
                return Err(PresetsError::BadColor(p.id.clone(), p.color.clone()));
            }
        }
        Ok(Providers {
            list: file.provider,
        })
    }

    /// Adds `other`'s providers; one with an id already present replaces it.
    pub fn merge(&mut self, other: Providers) {
        for p in other.list {
            match self
                .list
                .iter_mut()
                .find(|q| q.id.eq_ignore_ascii_case(&p.id))
            {
                Some(slot) => *slot = p,
                None => self.list.push(p),
            }
        }
    }

    /// The preset for an entry's provider text (by id or display name, any case).
    pub fn find(&self, provider: &str) -> Option<&Provider> {
        let wanted = provider.trim();
        if wanted.is_empty() {
            return None;
        }
        self.list
            .iter()
            .find(|p| p.id.eq_ignore_ascii_case(wanted) || p.name.eq_ignore_ascii_case(wanted))
    }
}

impl Providers {
    /// The one stored form of a provider name: the preset's id when the text names a preset
    /// (by id or display name, any case: "Binance" and "binance" are one provider), else the
    /// trimmed text in lowercase. The editor, the CLI and [`Providers::normalise`] all use it.
    pub fn canonical_id(&self, text: &str) -> String {
        match self.find(text) {
            Some(preset) => preset.id.clone(),
            None => text.trim().to_lowercase(),
        }
    }

    /// The name to show for a stored provider id: the preset's display name, else the id.
    pub fn display_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.find(id).map_or(id, |p| p.name.as_str())
    }

    /// Gives every entry of `vault` its canonical provider id (vaults written before the rule
    /// may hold "Binance" beside "binance"); applied when a vault is opened. Returns how many
    /// entries changed.
    pub fn normalise(&self, vault: &mut super::Vault) -> usize {
        let mut changed = 0;
        for entry in &mut vault.entries {
            let id = self.canonical_id(&entry.provider);
            if id != entry.provider {
                entry.provider = id.into();
                changed += 1;
            }
        }
        changed
    }
}

impl ProviderRule {
    /// When the rule bites for `entry`, if its conditions hold; `None` when it does not apply.
    /// A rule without `after_days` bites from the moment the conditions hold.
    pub fn bites_at(&self, entry: &Entry) -> Option<DateTime<Utc>> {
        if !self.permissions_any.is_empty()
            && !entry.permissions.iter().any(|p| {
                self.permissions_any
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(p.as_str()))
            })
        {
            return None;
        }
        if self.without_ip_whitelist == Some(true) && !is_unrestricted(entry) {
            return None;
        }
        if let Some(max) = self.max_ip_whitelist
            && entry.ip_whitelist.len() <= max
        {
            return None;
        }
        let start = match self.since {
            Since::Created => entry.created_at,
            Since::Rotated => entry.secret_since(),
            Since::LastUsed => entry.last_used_at.unwrap_or_else(|| entry.secret_since()),
        };
        Some(match self.after_days {
            Some(days) => start + Duration::days(i64::from(days)),
            None => start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, IpRule};
    use chrono::TimeZone;

    #[test]
    fn builtin_presets_parse_and_cover_the_named_providers() {
        let providers = Providers::parse(BUILTIN_TOML).expect("built-in presets parse");
        for id in [
            "binance", "coinbase", "kraken", "okx", "bybit", "kucoin", "github", "openai", "aws",
            "stripe",
        ] {
            let p = providers.find(id).unwrap_or_else(|| panic!("{id} missing"));
            assert!(p.key_page.starts_with("https://"), "{id} key page");
            assert!(!p.env_vars.is_empty(), "{id} env vars");
            for rule in &p.rules {
                assert!(rule.source.starts_with("https://"), "{} source", rule.code);
            }
        }
        assert_eq!(
            providers.find("OKX").map(|p| p.needs_passphrase),
            Some(true)
        );
        assert!(providers.find("").is_none());
    }

    #[test]
    fn user_file_overrides_and_extends() {
        let mut p = Providers::builtin();
        let user = Providers::parse(
            r#"
            [[provider]]
            id = "binance"
            name = "Binance (mine)"
            kinds = ["token"]
            [[provider]]
            id = "acme"
            name = "Acme"
            kinds = ["token"]
            "#,
        )
        .expect("user presets");
        let before = p.list.len();
        p.merge(user);
        assert_eq!(p.list.len(), before + 1);
        assert_eq!(
            p.find("binance").map(|b| b.name.as_str()),
            Some("Binance (mine)")
        );
        assert!(p.find("acme").is_some());
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = Providers::parse("[[provider]]\nid = \"x\"\nname = \"X\"\nkinds = []\n")
            .expect_err("no kinds");
        assert!(err.to_string().contains("no credential kinds"), "{err}");
        let err = Providers::parse(
            "[[provider]]\nid = \"x\"\nname = \"X\"\nkinds = [\"token\"]\ncolour = 1\n",
        )
        .expect_err("unknown field");
        assert!(err.to_string().contains("colour"), "{err}");
        let err = Providers::parse(
            "[[provider]]\nid = \"x\"\nname = \"X\"\nkinds = [\"token\"]\ncolor = \"red\"\n",
        )
        .expect_err("bad colour");
        assert!(err.to_string().contains("#RRGGBB"), "{err}");
        let good = Providers::parse(
            "[[provider]]\nid = \"x\"\nname = \"X\"\nkinds = [\"token\"]\ncolor = \"#1f6FEB\"\n",
        )
        .expect("a colour");
        assert_eq!(good.list[0].rgb(), Some([0x1f, 0x6f, 0xeb]));
        assert!(Providers::parse("not toml [").is_err());
    }

    #[test]
    fn one_provider_whatever_the_case() {
        let p = Providers::builtin();
        assert_eq!(p.canonical_id("Binance"), "binance");
        assert_eq!(p.canonical_id(" binance "), "binance");
        assert_eq!(p.canonical_id("BINANCE"), "binance");
        assert_eq!(
            p.canonical_id("My Exchange"),
            "my exchange",
            "no preset: lowercase"
        );
        assert_eq!(p.canonical_id(""), "");
        assert_eq!(p.display_name("binance"), "Binance");
        assert_eq!(p.display_name("my exchange"), "my exchange");
        let binance = p.find("binance").expect("binance");
        assert_eq!(
            p.canonical_id(&binance.name),
            binance.id,
            "display name → id"
        );

        let created = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        let mut vault = crate::vault::Vault::default();
        for (name, provider) in [("a", "Binance"), ("b", "binance"), ("c", "Acme ")] {
            let mut e = Entry::new(name, Credential::Token { token: "t".into() }, created);
            e.provider = provider.into();
            vault.add(e).expect("add");
        }
        assert_eq!(p.normalise(&mut vault), 2);
        let providers: Vec<&str> = vault.entries.iter().map(|e| e.provider.as_str()).collect();
        assert_eq!(providers, vec!["binance", "binance", "acme"]);
        assert_eq!(p.normalise(&mut vault), 0, "idempotent");
    }

    #[test]
    fn rule_conditions() {
        let providers = Providers::builtin();
        let binance = providers.find("binance").expect("binance");
        let lapse = &binance.rules[0];
        let created = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        let mut e = Entry::new("b", Credential::Token { token: "t".into() }, created);
        assert_eq!(lapse.bites_at(&e), None, "no trade permission");
        e.set_permissions(["read", "trade"]);
        assert_eq!(lapse.bites_at(&e), Some(created + Duration::days(30)));
        e.rotated_at = Some(created + Duration::days(10));
        assert_eq!(lapse.bites_at(&e), Some(created + Duration::days(40)));
        e.ip_whitelist
            .push("1.2.3.4".parse::<IpRule>().expect("ip"));
        assert_eq!(lapse.bites_at(&e), None, "whitelisted");

        let okx = providers.find("okx").expect("okx");
        let limit = &okx.rules[0];
        assert_eq!(limit.bites_at(&e), None, "1 address is fine");
        for i in 0..21u8 {
            e.ip_whitelist
                .push(format!("10.0.0.{i}").parse().expect("ip"));
        }
        assert!(limit.bites_at(&e).is_some(), "22 addresses is too many");
    }
}
