//! Rotation reminders: the banner shown after unlocking (what is due, expiring or at risk),
//! the Reminders view (every rotation due date and expiry by date) and the calendar (.ics)
//! export. The dates and their urgency come from [`crate::vault::audit`].

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::{Align, Layout, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::command::{Command, Page};
use super::widgets::{date, relative_days, urgency_color};
use crate::vault::Vault;
use crate::vault::audit::{self, DueReason, ScheduleKind, ScheduledDate};
use crate::vault::providers::Providers;

/// How many names a banner line shows before "and N more".
const NAMES_SHOWN: usize = 3;

/// One line of the banner: a kind of trouble, how many keys have it, the first few names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BannerLine {
    pub title: &'static str,
    pub names: Vec<String>,
}

impl BannerLine {
    /// "Rotation overdue (4): a, b, c and 1 more".
    fn text(&self) -> String {
        format!(
            "{} ({}): {}",
            self.title,
            self.names.len(),
            self.names_text()
        )
    }

    /// "a, b, c and 1 more".
    fn names_text(&self) -> String {
        let shown: Vec<&str> = self
            .names
            .iter()
            .take(NAMES_SHOWN)
            .map(String::as_str)
            .collect();
        let more = self.names.len().saturating_sub(NAMES_SHOWN);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    }
}

/// What needs the user, found when the vault was unlocked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Banner {
    pub lines: Vec<BannerLine>,
}

/// Codes of findings that a dated banner line already names.
const DATED_CODES: [&str; 4] = [
    "compromised",
    "rotation_overdue",
    "expired",
    "expiring_soon",
];

impl Banner {
    /// The banner for `vault` at `now`: compromised keys, overdue and soon-due rotations,
    /// expired and expiring keys (the due report over the reminder lead time), and keys with
    /// other findings that need attention. `None` when all is well.
    pub fn on_unlock(vault: &Vault, providers: &Providers, now: DateTime<Utc>) -> Option<Banner> {
        let findings = audit::audit(vault, providers, now);
        let due = audit::due(vault, vault.settings.reminder_lead_days, now);
        let due_names = |reason: DueReason| -> Vec<String> {
            let mut names: Vec<String> = Vec::new();
            for item in due.iter().filter(|i| i.reason == reason) {
                if !names.contains(&item.name) {
                    names.push(item.name.clone());
                }
            }
            names
        };
        let finding_names = |pick: &dyn Fn(&audit::Finding) -> bool| -> Vec<String> {
            let mut names: Vec<String> = Vec::new();
            for f in findings.iter().filter(|f| pick(f)) {
                if !names.contains(&f.name) {
                    names.push(f.name.clone());
                }
            }
            names
        };
        let lines = [
            ("Compromised", finding_names(&|f| f.code == "compromised")),
            ("Rotation overdue", due_names(DueReason::RotationOverdue)),
            ("Expired", due_names(DueReason::Expired)),
            ("Expiring soon", due_names(DueReason::ExpiringSoon)),
            ("Rotation due soon", due_names(DueReason::RotationDueSoon)),
            (
                "At risk",
                finding_names(&|f| {
                    audit::needs_attention(f) && !DATED_CODES.contains(&f.code.as_str())
                }),
            ),
        ]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(title, names)| BannerLine { title, names })
        .collect::<Vec<_>>();
        (!lines.is_empty()).then_some(Banner { lines })
    }

    /// One sentence for the status bar: "Rotation overdue: a, b. Expired: c."
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .lines
            .iter()
            .map(|l| format!("{}: {}", l.title, l.names_text()))
            .collect();
        format!("{}.", parts.join(". "))
    }
}

/// Draws the banner under the top bar, with buttons to the reminders and the audit.
pub(crate) fn banner_ui(ui: &mut Ui, banner: &Banner, commands: &mut Vec<Command>) {
    egui::Panel::top("unlock-banner").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.vertical(|ui| {
                ui.label(RichText::new("Needs your attention").strong());
                for line in &banner.lines {
                    let color = match line.title {
                        "Rotation due soon" | "Expiring soon" => ui.visuals().warn_fg_color,
                        _ => ui.visuals().error_fg_color,
                    };
                    ui.colored_label(color, line.text());
                }
            });
            ui.with_layout(Layout::right_to_left(Align::Min), |ui| {
                if ui.button("Dismiss").clicked() {
                    commands.push(Command::DismissBanner);
                }
                if ui.button("Open audit").clicked() {
                    commands.push(Command::ShowPage(Page::Audit));
                }
                if ui.button("Open reminders").clicked() {
                    commands.push(Command::ShowPage(Page::Reminders));
                }
            });
        });
        ui.add_space(2.0);
    });
}

/// Draws the Reminders view: every rotation due date and expiry, earliest first.
/// `schedule` is the audit's, `lead_days` the vault's reminder lead time, `exporting` true
/// while the calendar export runs.
pub(crate) fn reminders_ui(
    ui: &mut Ui,
    schedule: &[ScheduledDate],
    lead_days: u32,
    exporting: bool,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("Reminders");
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let busy = exporting;
                if busy {
                    ui.spinner();
                }
                if ui
                    .add_enabled(!busy, egui::Button::new("Export calendar (.ics)…"))
                    .on_hover_text(
                        "Save the dates as an iCalendar file, so your calendar reminds you while \
                         keyward is closed (no secret is in it)",
                    )
                    .clicked()
                {
                    commands.push(Command::ExportCalendar);
                }
            });
        });
        ui.label(
            RichText::new(format!(
                "Rotation due dates and expiries of the keys not revoked, earliest first. Red: \
                 past; amber: within the {} day reminder lead time. Click a row to open the key.",
                lead_days
            ))
            .weak(),
        );
        ui.add_space(4.0);
        if schedule.is_empty() {
            ui.label("Nothing scheduled: no key has a rotation policy or an expiry date.");
            return;
        }
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        TableBuilder::new(ui)
            .id_salt("reminders-table")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(Column::initial(100.0))
            .column(Column::initial(110.0))
            .column(Column::initial(220.0).clip(true))
            .column(Column::remainder())
            .header(22.0, |mut header| {
                for title in ["Date", "When", "Key", "What"] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, schedule.len(), |mut row| {
                    let Some(item) = schedule.get(row.index()) else {
                        return;
                    };
                    let mut clicked = false;
                    row.col(|ui| {
                        ui.colored_label(urgency_color(ui, item.urgency), date(item.at));
                    });
                    row.col(|ui| {
                        ui.colored_label(
                            urgency_color(ui, item.urgency),
                            relative_days(item.at, now),
                        );
                    });
                    row.col(|ui| {
                        clicked |= ui.add(egui::Button::new(&item.name).frame(false)).clicked();
                    });
                    row.col(|ui| {
                        let past = item.days < 0 || item.at <= now;
                        ui.label(match (item.kind, past) {
                            (ScheduleKind::Rotation, false) => "Rotation due",
                            (ScheduleKind::Rotation, true) => "Rotation overdue",
                            (ScheduleKind::Expiry, false) => "Expires",
                            (ScheduleKind::Expiry, true) => "Expired",
                        });
                    });
                    if clicked || row.response().clicked() {
                        commands.push(Command::ShowEntry(item.id));
                    }
                });
            });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_banner_line_names_the_first_few_keys() {
        let line = BannerLine {
            title: "Expired",
            names: ["a", "b", "c", "d", "e"].map(str::to_owned).to_vec(),
        };
        assert_eq!(line.text(), "Expired (5): a, b, c and 2 more");
        let banner = Banner {
            lines: vec![
                BannerLine {
                    title: "Rotation overdue",
                    names: vec!["x".to_owned()],
                },
                line,
            ],
        };
        assert_eq!(
            banner.summary(),
            "Rotation overdue: x. Expired: a, b, c and 2 more."
        );
    }
}
