//! Reports: `due`, `audit`, `reminders`.

use std::path::Path;

use chrono::Utc;

use super::output::{self, print};
use super::{CliError, Context, EXIT_FINDINGS, EXIT_OK};
use crate::calendar;
use crate::transfer::write_private_file;
use crate::vault::audit::{self, DueReason};
use crate::vault::providers::Severity;

/// `keyward due`: rotations and expiries past or within the window; exit 1 when anything is
/// overdue or expired.
pub fn due(ctx: &mut Context, within: Option<u32>, json: bool) -> Result<u8, CliError> {
    let vault = ctx.open_vault()?;
    let within = within.unwrap_or(vault.settings.reminder_lead_days);
    let now = Utc::now();
    let items = audit::due(&vault, within, now);
    if json {
        print(&output::json(&items))?;
    } else if items.is_empty() {
        eprintln!("Nothing due within {within} days.");
    } else {
        let mut text = String::new();
        for item in &items {
            let what = match item.reason {
                DueReason::RotationOverdue => "rotation overdue",
                DueReason::RotationDueSoon => "rotation due",
                DueReason::Expired => "expired",
                DueReason::ExpiringSoon => "expires",
            };
            let when = match item.days {
                d if d < 0 => format!("{} days ago", -d),
                0 => "today".to_owned(),
                d => format!("in {d} days"),
            };
            text.push_str(&format!(
                "{}  {:<18} {}  ({when})\n",
                item.due_at.format("%Y-%m-%d"),
                what,
                item.name
            ));
        }
        print(&text)?;
    }
    Ok(if items.iter().any(|i| i.reason.is_overdue()) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// `keyward audit`: risk findings, most severe first; exit 1 when any is high or critical.
pub fn audit(ctx: &mut Context, json: bool) -> Result<u8, CliError> {
    let vault = ctx.open_vault()?;
    let findings = audit::audit(&vault, ctx.providers(), Utc::now());
    if json {
        print(&output::json(&findings))?;
    } else if findings.is_empty() {
        eprintln!("No findings.");
    } else {
        let mut text = String::new();
        for f in &findings {
            text.push_str(&format!(
                "{:<8}  {}  [{}]\n          why: {}\n          fix: {}\n",
                f.severity.as_str().to_uppercase(),
                f.name,
                f.code,
                f.reason,
                f.fix
            ));
        }
        let keys = findings
            .iter()
            .filter(|f| audit::needs_attention(f))
            .map(|f| f.name.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        text.push_str(&format!(
            "\n{} finding(s); {keys} key(s) need attention.\n",
            findings.len()
        ));
        print(&text)?;
    }
    Ok(if findings.iter().any(|f| f.severity >= Severity::High) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// `keyward reminders --ics FILE [--force]`: writes the iCalendar file (atomically, mode
/// 0600); never over a vault, and over an existing file only with `--force`.
pub fn reminders(ctx: &mut Context, ics: &Path, force: bool) -> Result<u8, CliError> {
    // Refused before the password is asked: a vault or an existing file without --force.
    if crate::store::holds_vault(ics) {
        return Err(CliError::usage(
            crate::transfer::TransferError::WouldOverwriteVault {
                path: ics.to_owned(),
            }
            .to_string(),
        ));
    }
    if !force && std::fs::symlink_metadata(ics).is_ok() {
        return Err(CliError::usage(format!(
            "{} already exists; pass --force to replace it",
            ics.display()
        )));
    }
    let vault = ctx.open_vault()?;
    let now = Utc::now();
    let reminders = calendar::reminders(&vault, now);
    let text = calendar::to_ics(&reminders, vault.settings.reminder_lead_days, now);
    write_private_file(ics, text.as_bytes(), force)?;
    eprintln!(
        "Wrote {} reminder(s) to {} (alarms {} days ahead).",
        reminders.len(),
        ics.display(),
        vault.settings.reminder_lead_days
    );
    Ok(EXIT_OK)
}
