//! Merging the vault settings.

use super::MergeReport;
use crate::vault::{Vault, VaultSettings};

/// Three-way per setting when the base is known; otherwise the newer settings win whole.
pub(super) fn merge_settings(
    ours: &Vault,
    theirs: &Vault,
    base: Option<&Vault>,
    result: &mut Vault,
    report: &mut MergeReport,
) {
    let (o, t) = (&ours.settings, &theirs.settings);
    result.settings_modified_at = ours.settings_modified_at.max(theirs.settings_modified_at);
    if o == t {
        result.settings = o.clone();
        return;
    }
    let theirs_newer = theirs.settings_modified_at > ours.settings_modified_at;
    let Some(base) = base.map(|b| &b.settings) else {
        result.settings = if theirs_newer { t.clone() } else { o.clone() };
        report.settings_changed = theirs_newer;
        return;
    };
    let mut took_theirs = false;
    let mut one = |o: u32, t: u32, b: u32| -> u32 {
        if o == t || t == b {
            o
        } else if o == b || theirs_newer {
            took_theirs = true;
            t
        } else {
            o
        }
    };
    // No `..`: a new setting is a compile error until it is merged here.
    let VaultSettings {
        default_rotation_days,
        reminder_lead_days,
        clipboard_seconds,
        reveal_seconds,
        idle_lock_minutes,
        lock_on_minimize,
    } = *o;
    let merged = VaultSettings {
        default_rotation_days: one(
            default_rotation_days,
            t.default_rotation_days,
            base.default_rotation_days,
        ),
        reminder_lead_days: one(
            reminder_lead_days,
            t.reminder_lead_days,
            base.reminder_lead_days,
        ),
        clipboard_seconds: one(
            clipboard_seconds,
            t.clipboard_seconds,
            base.clipboard_seconds,
        ),
        reveal_seconds: one(reveal_seconds, t.reveal_seconds, base.reveal_seconds),
        idle_lock_minutes: one(
            idle_lock_minutes,
            t.idle_lock_minutes,
            base.idle_lock_minutes,
        ),
        lock_on_minimize: one(
            u32::from(lock_on_minimize),
            u32::from(t.lock_on_minimize),
            u32::from(base.lock_on_minimize),
        ) == 1,
    };
    result.settings = merged;
    report.settings_changed = took_theirs;
}
