//! IP allow and deny rules: single IPv4/IPv6 addresses or CIDR ranges, validated.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One validated entry of an IP whitelist or blacklist.
///
/// ```
/// use keyward::vault::IpRule;
///
/// let office: IpRule = "203.0.113.0/24".parse().expect("a CIDR range");
/// assert!(office.contains("203.0.113.9".parse().expect("an address")));
/// // Host bits after the prefix are almost always a typo: refused, with the reason.
/// let typo = "203.0.113.7/24".parse::<IpRule>().expect_err("host bits set");
/// assert!(typo.to_string().contains("host bits"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpRule {
    /// A single address, e.g. `203.0.113.7` or `2001:db8::1`.
    Addr(IpAddr),
    /// A range in CIDR notation, e.g. `203.0.113.0/24` or `2001:db8::/32`.
    Net(IpNet),
}

/// Why a text is not an IP address or CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not an IPv4/IPv6 address or CIDR range ({why})")]
pub struct IpRuleError {
    /// The text as the user gave it.
    pub input: String,
    /// What is wrong with it, in words.
    pub why: &'static str,
}

impl IpRule {
    /// True when `addr` falls under this rule.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match self {
            IpRule::Addr(a) => *a == addr,
            IpRule::Net(n) => n.contains(&addr),
        }
    }

    /// True for a rule that admits every address (`0.0.0.0/0`, `::/0`): a whitelist holding
    /// it restricts nothing.
    pub fn is_everything(&self) -> bool {
        matches!(self, IpRule::Net(n) if n.prefix_len() == 0)
    }
}

impl FromStr for IpRule {
    type Err = IpRuleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let err = |why| IpRuleError {
            input: s.to_owned(),
            why,
        };
        if text.is_empty() {
            return Err(err("empty"));
        }
        if let Some((addr, prefix)) = text.split_once('/') {
            let addr: IpAddr = addr.parse().map_err(|_| err("bad address before '/'"))?;
            let prefix: u8 = prefix
                .parse()
                .map_err(|_| err("the prefix after '/' must be a number"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            if prefix > max {
                return Err(err(if addr.is_ipv4() {
                    "an IPv4 prefix is at most /32"
                } else {
                    "an IPv6 prefix is at most /128"
                }));
            }
            let net = IpNet::new(addr, prefix).map_err(|_| err("bad prefix length"))?;
            if net.network() != addr {
                // 10.0.0.5/24 is almost always a typo for 10.0.0.0/24 or 10.0.0.5/32; refuse
                // rather than silently widen or narrow what the user meant.
                return Err(err("host bits are set; did you mean the network address?"));
            }
            Ok(IpRule::Net(net))
        } else {
            text.parse::<IpAddr>()
                .map(IpRule::Addr)
                .map_err(|_| err("not an address"))
        }
    }
}

impl fmt::Display for IpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpRule::Addr(a) => write!(f, "{a}"),
            IpRule::Net(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for IpRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_addresses_and_ranges() {
        for ok in [
            "203.0.113.7",
            "2001:db8::1",
            "203.0.113.0/24",
            "2001:db8::/32",
            "0.0.0.0/0",
            "10.1.2.3/32",
            "::1",
            " 192.168.0.0/16 ",
        ] {
            let rule: IpRule = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(rule.to_string(), ok.trim());
        }
    }

    #[test]
    fn rejects_invalid_rules_with_a_reason() {
        for (bad, why) in [
            ("", "empty"),
            ("300.1.1.1", "not an address"),
            ("1.2.3", "not an address"),
            ("10.0.0.0/33", "at most /32"),
            ("2001:db8::/129", "at most /128"),
            ("10.0.0.5/24", "host bits"),
            ("10.0.0.0/x", "must be a number"),
            ("example.com", "not an address"),
            ("10.0.0.0/-1", "must be a number"),
        ] {
            let err = bad.parse::<IpRule>().expect_err(bad);
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn contains_and_everything() {
        let net: IpRule = "10.0.0.0/8".parse().expect("net");
        assert!(net.contains("10.200.1.1".parse().expect("ip")));
        assert!(!net.contains("11.0.0.1".parse().expect("ip")));
        assert!(!net.is_everything());
        assert!("::/0".parse::<IpRule>().expect("all").is_everything());
        let one: IpRule = "1.2.3.4".parse().expect("ip");
        assert!(one.contains("1.2.3.4".parse().expect("ip")));
    }

    #[test]
    fn serde_uses_the_text_form_and_validates() {
        let rules: Vec<IpRule> =
            serde_json::from_str(r#"["1.2.3.4","10.0.0.0/8"]"#).expect("valid rules");
        assert_eq!(
            serde_json::to_string(&rules).expect("ser"),
            r#"["1.2.3.4","10.0.0.0/8"]"#
        );
        assert!(serde_json::from_str::<Vec<IpRule>>(r#"["1.2.3.999"]"#).is_err());
    }
}
