//! What a leaked key could do: the danger of its permissions, and of holding them with no IP
//! whitelist. The audit, the views and `keyward show` all ask here, so a futures key is as
//! dangerous on screen as in the audit.

use super::providers::Severity;
use super::{Entry, Permission, policy::is_unrestricted};

/// What a permission lets whoever holds the key do, least dangerous first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PermissionRisk {
    /// Reads data, or a permission keyward does not know to be dangerous.
    Other,
    /// Places orders: trade, margin, futures, order (a leaked key can pump-and-dump).
    Trades,
    /// Moves funds away: withdraw, transfer.
    MovesFunds,
}

/// The words, found anywhere in a permission's name, that mean it can place orders
/// ("spot-trade", "futures", "margin", "order").
const TRADING_WORDS: [&str; 4] = ["trade", "margin", "futures", "order"];

/// How dangerous `permission` is in a thief's hands.
pub fn permission_risk(permission: &Permission) -> PermissionRisk {
    if permission.moves_funds() {
        PermissionRisk::MovesFunds
    } else if TRADING_WORDS
        .iter()
        .any(|w| permission.as_str().contains(w))
    {
        PermissionRisk::Trades
    } else {
        PermissionRisk::Other
    }
}

/// The most dangerous of the key's permissions (`Other` for a key with none).
pub fn entry_risk(entry: &Entry) -> PermissionRisk {
    entry
        .permissions
        .iter()
        .map(permission_risk)
        .max()
        .unwrap_or(PermissionRisk::Other)
}

/// How serious it is that the key has no IP whitelist: `None` when it has one; else critical
/// when it can move funds, high when it can trade, low otherwise (PRODUCT §6).
pub fn unrestricted_severity(entry: &Entry) -> Option<Severity> {
    if !is_unrestricted(entry) {
        return None;
    }
    Some(match entry_risk(entry) {
        PermissionRisk::MovesFunds => Severity::Critical,
        PermissionRisk::Trades => Severity::High,
        PermissionRisk::Other => Severity::Low,
    })
}

/// What the missing IP whitelist means for this key, in words shared by the detail view and
/// `keyward show`; `None` when it has a whitelist.
pub fn unrestricted_note(entry: &Entry) -> Option<&'static str> {
    Some(match unrestricted_severity(entry)? {
        Severity::Critical => "critical: a leaked key can move funds from anywhere",
        Severity::High => "high risk: a leaked key can trade from anywhere",
        _ => "a leaked key works from any address",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Credential, IpRule};
    use chrono::Utc;

    fn key(permissions: &[&str]) -> Entry {
        let mut e = Entry::new("k", Credential::Token { token: "t".into() }, Utc::now());
        e.set_permissions(permissions.iter().copied());
        e
    }

    #[test]
    fn each_permission_has_one_risk() {
        let risk = |name: &str| Permission::new(name).map(|p| permission_risk(&p));
        assert_eq!(risk("read"), Some(PermissionRisk::Other));
        for trading in ["trade", "Futures", "margin", "spot-order", "enable_trade"] {
            assert_eq!(risk(trading), Some(PermissionRisk::Trades), "{trading}");
        }
        assert_eq!(risk("withdraw"), Some(PermissionRisk::MovesFunds));
        assert_eq!(risk("transfer"), Some(PermissionRisk::MovesFunds));
    }

    #[test]
    fn an_unrestricted_futures_key_is_high_like_a_trade_key() {
        assert_eq!(unrestricted_severity(&key(&["read"])), Some(Severity::Low));
        assert_eq!(
            unrestricted_severity(&key(&["read", "futures"])),
            Some(Severity::High)
        );
        assert_eq!(
            unrestricted_severity(&key(&["trade"])),
            Some(Severity::High)
        );
        assert_eq!(
            unrestricted_severity(&key(&["futures", "withdraw"])),
            Some(Severity::Critical)
        );
        let mut listed = key(&["futures"]);
        listed
            .ip_whitelist
            .push("203.0.113.7".parse::<IpRule>().expect("ip"));
        assert_eq!(unrestricted_severity(&listed), None, "whitelisted");
        assert_eq!(unrestricted_note(&listed), None);
        assert_eq!(
            unrestricted_note(&key(&["futures"])),
            Some("high risk: a leaked key can trade from anywhere")
        );
        assert_eq!(entry_risk(&listed), PermissionRisk::Trades);
        assert_eq!(entry_risk(&key(&[])), PermissionRisk::Other);
    }
}
