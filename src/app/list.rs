//! The main window: top bar (search, new key, settings, lock), sidebar of filters with counts,
//! and the sortable, virtualized table of keys.

use eframe::egui;
use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use egui::{Align, Layout, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use uuid::Uuid;

use std::collections::HashSet;

use super::commands::{Command, LockReason};
use super::widgets::urgency_color;
use super::{Page, Session, audit_view, detail, reminders, scan_view, settings};
use crate::vault::audit::{self, Finding, ScheduledDate};
use crate::vault::policy::{self, Urgency};
use crate::vault::providers::Providers;
use crate::vault::{Entry, Status, Vault, VaultSettings};

/// A sidebar filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Filter {
    #[default]
    All,
    Attention,
    RotationDue,
    ExpiringSoon,
    Expired,
    Unrestricted,
    CompromisedOrRevoked,
    Provider(String),
    Tag(String),
}

impl Filter {
    const FIXED: [Filter; 7] = [
        Filter::All,
        Filter::Attention,
        Filter::RotationDue,
        Filter::ExpiringSoon,
        Filter::Expired,
        Filter::Unrestricted,
        Filter::CompromisedOrRevoked,
    ];

    fn label(&self) -> String {
        match self {
            Filter::All => "All keys".to_owned(),
            Filter::Attention => "Needs attention".to_owned(),
            Filter::RotationDue => "Rotation due".to_owned(),
            Filter::ExpiringSoon => "Expiring soon".to_owned(),
            Filter::Expired => "Expired".to_owned(),
            Filter::Unrestricted => "Unrestricted IP".to_owned(),
            Filter::CompromisedOrRevoked => "Compromised or revoked".to_owned(),
            Filter::Provider(p) => p.clone(),
            Filter::Tag(t) => format!("#{t}"),
        }
    }

    /// True when `entry` belongs under this filter. The rules are the vault's policy; "needs
    /// attention" is the audit's verdict (`attention` holds the names it flags).
    fn matches(
        &self,
        entry: &Entry,
        settings: &VaultSettings,
        now: DateTime<Utc>,
        attention: &HashSet<String>,
    ) -> bool {
        match self {
            Filter::All => true,
            Filter::Attention => attention.contains(&entry.name),
            Filter::RotationDue => policy::rotation_urgency(entry, settings, now) != Urgency::Fine,
            Filter::ExpiringSoon => {
                policy::expiry_urgency(entry, settings, now) == Some(Urgency::Soon)
            }
            Filter::Expired => {
                policy::expiry_urgency(entry, settings, now) == Some(Urgency::Overdue)
            }
            Filter::Unrestricted => {
                entry.status != Status::Revoked && policy::is_unrestricted(entry)
            }
            Filter::CompromisedOrRevoked => entry.status != Status::Active,
            Filter::Provider(p) => entry.provider == *p,
            Filter::Tag(t) => entry.tags.iter().any(|tag| tag == t),
        }
    }
}

/// A sortable column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum SortKey {
    #[default]
    Name,
    Provider,
    Environment,
    RotationAge,
    Expiry,
    Ip,
    Permissions,
    Status,
}

impl SortKey {
    const ALL: [SortKey; 8] = [
        SortKey::Name,
        SortKey::Provider,
        SortKey::Environment,
        SortKey::RotationAge,
        SortKey::Expiry,
        SortKey::Ip,
        SortKey::Permissions,
        SortKey::Status,
    ];

    fn title(self) -> &'static str {
        match self {
            SortKey::Name => "Name",
            SortKey::Provider => "Provider",
            SortKey::Environment => "Env",
            SortKey::RotationAge => "Rotation age",
            SortKey::Expiry => "Expiry",
            SortKey::Ip => "IP",
            SortKey::Permissions => "Permissions",
            SortKey::Status => "Status",
        }
    }

    fn compare(self, a: &Entry, b: &Entry) -> Ordering {
        match self {
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Provider => a.provider.to_lowercase().cmp(&b.provider.to_lowercase()),
            SortKey::Environment => a.environment.cmp(&b.environment),
            // Older secret = greater age.
            SortKey::RotationAge => b.secret_since().cmp(&a.secret_since()),
            // No expiry sorts last.
            SortKey::Expiry => match (a.expires_at, b.expires_at) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            SortKey::Ip => a.ip_whitelist.len().cmp(&b.ip_whitelist.len()),
            SortKey::Permissions => a.permissions.cmp(&b.permissions),
            SortKey::Status => a.status.cmp(&b.status),
        }
    }
}

/// What the user chose to see.
#[derive(Default)]
pub(crate) struct ViewState {
    pub search: String,
    pub filter: Filter,
    pub sort: SortKey,
    pub descending: bool,
    pub selected: Option<Uuid>,
    pub focus_search: bool,
}

#[derive(Clone, PartialEq, Eq)]
struct RowsKey {
    epoch: u64,
    day: i64,
    search: String,
    filter: Filter,
    sort: SortKey,
    descending: bool,
}

#[derive(Default)]
struct Counts {
    fixed: [usize; 7],
    providers: Vec<(String, usize)>,
    tags: Vec<(String, usize)>,
}

/// The filtered, sorted rows, the sidebar counts, the audit's findings and the reminders'
/// dates, recomputed only when the vault, the filter, the search, the sort or the day
/// changes (100k rows stay smooth).
#[derive(Default)]
pub(crate) struct ViewCache {
    epoch: u64,
    rows_key: Option<RowsKey>,
    rows: Vec<usize>,
    counts_key: Option<(u64, i64)>,
    counts: Counts,
    findings: Vec<Finding>,
    attention: HashSet<String>,
    schedule: Vec<ScheduledDate>,
}

impl ViewCache {
    /// Forgets everything computed (the vault changed).
    pub fn invalidate(&mut self) {
        self.epoch += 1;
    }

    /// Indexes into the vault's entries, in display order, as last computed.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// The audit's findings, most severe first, as last computed.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Every rotation due date and expiry, earliest first, as last computed.
    pub fn schedule(&self) -> &[ScheduledDate] {
        &self.schedule
    }

    pub fn refresh(
        &mut self,
        view: &ViewState,
        vault: &Vault,
        providers: &Providers,
        now: DateTime<Utc>,
    ) {
        let entries = &vault.entries;
        let settings = &vault.settings;
        let day = now.timestamp().div_euclid(86_400);
        if self.counts_key != Some((self.epoch, day)) {
            self.findings = audit::audit(vault, providers, now);
            self.attention = attention_names(&self.findings);
            self.schedule = audit::schedule(vault, now);
            self.counts = count(entries, settings, now, &self.attention);
            self.counts_key = Some((self.epoch, day));
        }
        let key = RowsKey {
            epoch: self.epoch,
            day,
            search: view.search.clone(),
            filter: view.filter.clone(),
            sort: view.sort,
            descending: view.descending,
        };
        if self.rows_key.as_ref() == Some(&key) {
            return;
        }
        let needle = view.search.trim().to_lowercase();
        let mut rows: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                view.filter.matches(e, settings, now, &self.attention) && matches_search(e, &needle)
            })
            .map(|(i, _)| i)
            .collect();
        rows.sort_by(|&a, &b| {
            let (a, b) = (&entries[a], &entries[b]);
            let order = view.sort.compare(a, b).then_with(|| a.name.cmp(&b.name));
            if view.descending {
                order.reverse()
            } else {
                order
            }
        });
        self.rows = rows;
        self.rows_key = Some(key);
    }
}

/// True when the search text appears in the name, provider, tags, purpose or key id (never
/// in a secret).
fn matches_search(entry: &Entry, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let has = |text: &str| text.to_lowercase().contains(needle);
    has(&entry.name)
        || has(&entry.provider)
        || has(&entry.purpose)
        || has(entry.credential.key_id())
        || entry.tags.iter().any(|t| has(t))
}

/// The names of the keys the audit says need attention (a finding of medium or worse).
pub(crate) fn attention_names(findings: &[Finding]) -> HashSet<String> {
    findings
        .iter()
        .filter(|f| audit::needs_attention(f))
        .map(|f| f.name.clone())
        .collect()
}

fn count(
    entries: &[Entry],
    settings: &VaultSettings,
    now: DateTime<Utc>,
    attention: &HashSet<String>,
) -> Counts {
    let mut counts = Counts::default();
    let mut providers = std::collections::BTreeMap::<&str, usize>::new();
    let mut tags = std::collections::BTreeMap::<&str, usize>::new();
    for entry in entries {
        for (slot, filter) in counts.fixed.iter_mut().zip(Filter::FIXED.iter()) {
            if filter.matches(entry, settings, now, attention) {
                *slot += 1;
            }
        }
        if !entry.provider.is_empty() {
            *providers.entry(&entry.provider).or_default() += 1;
        }
        for tag in &entry.tags {
            *tags.entry(tag).or_default() += 1;
        }
    }
    counts.providers = providers
        .into_iter()
        .map(|(p, n)| (p.to_owned(), n))
        .collect();
    counts.tags = tags.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
    counts
}

/// Draws the unlocked main window.
pub(crate) fn main_ui(
    ui: &mut Ui,
    session: &mut Session,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    session
        .cache
        .refresh(&session.view, &session.vault, &session.providers, now);
    top_bar(ui, session, commands);
    if session.changed_on_disk {
        changed_on_disk_banner(ui, session, commands);
    }
    if session.banner.is_some() {
        reminders::banner_ui(ui, session);
    }
    match session.page {
        Page::Settings => return settings::settings_ui(ui, session, commands),
        Page::Reminders => return reminders::reminders_ui(ui, session, now),
        Page::Audit => return audit_view::audit_ui(ui, session),
        Page::Scan => return scan_view::scan_ui(ui, session, commands),
        Page::Keys => {}
    }
    sidebar(ui, session);
    if let Some(id) = session.view.selected {
        if session.vault.by_id(id).is_some() {
            detail::detail_panel(ui, session, id, now, commands);
        } else {
            session.view.selected = None;
        }
    }
    egui::CentralPanel::default().show(ui, |ui| {
        table(ui, session, now);
    });
}

fn top_bar(ui: &mut Ui, session: &mut Session, commands: &mut Vec<Command>) {
    egui::Panel::top("top-bar").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.heading("keyward");
            ui.separator();
            let label = ui.label("Search");
            let search = ui
                .add(
                    egui::TextEdit::singleline(&mut session.view.search)
                        .hint_text("name, provider, tag, key id (Ctrl+F)")
                        .desired_width(280.0),
                )
                .labelled_by(label.id);
            if session.view.focus_search {
                search.request_focus();
                session.view.focus_search = false;
                session.page = Page::Keys;
            }
            if search.changed() {
                session.page = Page::Keys;
            }
            if !session.view.search.is_empty() && ui.button("Clear search").clicked() {
                session.view.search.clear();
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .button("Lock")
                    .on_hover_text("Lock the vault (Ctrl+L)")
                    .clicked()
                {
                    commands.push(Command::Lock(LockReason::Button));
                }
                let settings_open = session.page == Page::Settings;
                if ui
                    .add(egui::Button::selectable(settings_open, "Settings"))
                    .clicked()
                {
                    session.page = if settings_open {
                        Page::Keys
                    } else {
                        session.settings =
                            settings::SettingsDraft::new(&session.vault.settings, session.kdf);
                        Page::Settings
                    };
                }
                if ui
                    .button("Import…")
                    .on_hover_text("Add keys from another password manager's file")
                    .clicked()
                {
                    commands.push(Command::OpenDialog(detail::DialogRequest::Import));
                }
                if ui
                    .button("Export…")
                    .on_hover_text("Write the keys for another password manager")
                    .clicked()
                {
                    commands.push(Command::OpenDialog(detail::DialogRequest::Export));
                }
                page_button(ui, &mut session.page, Page::Scan, "Scan a folder…")
                    .on_hover_text("Find files that hold a stored secret in plain text");
                page_button(ui, &mut session.page, Page::Audit, "Audit")
                    .on_hover_text("Every risk finding with its fix");
                page_button(ui, &mut session.page, Page::Reminders, "Reminders")
                    .on_hover_text("Rotation due dates and expiries by date");
                if ui
                    .button("New key")
                    .on_hover_text("Add a key (Ctrl+N)")
                    .clicked()
                {
                    commands.push(Command::NewEntry);
                }
            });
        });
        ui.add_space(2.0);
    });
}

/// A top-bar button that shows `page`, or the keys again when it already shows.
fn page_button(ui: &mut Ui, current: &mut Page, page: Page, text: &str) -> egui::Response {
    let open = *current == page;
    let response = ui.add(egui::Button::selectable(open, text));
    if response.clicked() {
        *current = if open { Page::Keys } else { page };
    }
    response
}

fn changed_on_disk_banner(ui: &mut Ui, session: &Session, commands: &mut Vec<Command>) {
    egui::Panel::top("changed-on-disk").show(ui, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The vault file was changed by another program since it was opened.",
            );
            let busy = session.reload_job.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Reload from disk"))
                .on_hover_text("Load the other version; your unsaved change is dropped")
                .clicked()
            {
                commands.push(Command::ReloadFromDisk);
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Keep my version"))
                .on_hover_text("Save the vault shown here over the other version")
                .clicked()
            {
                commands.push(Command::KeepMine);
            }
        });
    });
}

fn sidebar(ui: &mut Ui, session: &mut Session) {
    egui::Panel::left("filters")
        .default_size(210.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.add_space(6.0);
                let view = &mut session.view;
                let counts = &session.cache.counts;
                for (filter, n) in Filter::FIXED.iter().zip(counts.fixed) {
                    filter_button(ui, view, filter.clone(), n);
                }
                if !counts.providers.is_empty() {
                    ui.add_space(8.0);
                    ui.label(RichText::new("Providers").strong());
                    for (provider, n) in &counts.providers {
                        filter_button(ui, view, Filter::Provider(provider.clone()), *n);
                    }
                }
                if !counts.tags.is_empty() {
                    ui.add_space(8.0);
                    ui.label(RichText::new("Tags").strong());
                    for (tag, n) in &counts.tags {
                        filter_button(ui, view, Filter::Tag(tag.clone()), *n);
                    }
                }
            });
        });
}

fn filter_button(ui: &mut Ui, view: &mut ViewState, filter: Filter, n: usize) {
    let selected = view.filter == filter;
    let text = format!("{} ({n})", filter.label());
    let button =
        egui::Button::selectable(selected, text).min_size(egui::vec2(ui.available_width(), 0.0));
    if ui.add(button).clicked() {
        view.filter = filter;
    }
}

fn table(ui: &mut Ui, session: &mut Session, now: DateTime<Utc>) {
    let rows = session.cache.rows().to_vec();
    if session.vault.entries.is_empty() {
        ui.add_space(30.0);
        ui.vertical_centered(|ui| {
            ui.label("No keys yet. Add your first one with \"New key\" (Ctrl+N).");
        });
        return;
    }
    if rows.is_empty() {
        ui.label("No key matches the search and filter.");
        return;
    }
    let settings = session.vault.settings.clone();
    let view = &mut session.view;
    let entries = &session.vault.entries;
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    TableBuilder::new(ui)
        .id_salt("keys-table")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center))
        .column(Column::initial(170.0).at_least(80.0).clip(true))
        .column(Column::initial(90.0).clip(true))
        .column(Column::initial(50.0))
        .column(Column::initial(95.0))
        .column(Column::initial(105.0))
        .column(Column::initial(95.0))
        .column(Column::initial(130.0).clip(true))
        .column(Column::remainder().at_least(80.0))
        .header(22.0, |mut header| {
            for key in SortKey::ALL {
                header.col(|ui| {
                    let sorted = view.sort == key;
                    let response = ui
                        .add(egui::Button::new(RichText::new(key.title()).strong()).frame(false))
                        .on_hover_text(format!("Sort by {}", key.title().to_lowercase()));
                    if sorted {
                        let arrow = if view.descending { "↓" } else { "↑" };
                        ui.label(RichText::new(arrow).monospace().strong());
                    }
                    if response.clicked() {
                        if sorted {
                            view.descending = !view.descending;
                        } else {
                            view.sort = key;
                            // Oldest secret first is the useful order for ages.
                            view.descending = key == SortKey::RotationAge;
                        }
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let Some(entry) = rows.get(row.index()).and_then(|&i| entries.get(i)) else {
                    return;
                };
                let selected = view.selected == Some(entry.id);
                row.set_selected(selected);
                let mut clicked = false;
                row.col(|ui| {
                    clicked |= ui
                        .add(egui::Button::selectable(selected, &entry.name).frame(false))
                        .clicked();
                });
                row.col(|ui| {
                    ui.label(&entry.provider);
                });
                row.col(|ui| {
                    ui.label(entry.environment.as_str());
                });
                row.col(|ui| {
                    let urgency = policy::rotation_urgency(entry, &settings, now);
                    let days = policy::rotation_age_days(entry, now);
                    ui.colored_label(urgency_color(ui, urgency), format!("{days} d"));
                });
                row.col(|ui| match entry.expires_at {
                    None => {
                        ui.label(RichText::new("never").weak());
                    }
                    Some(at) => {
                        let urgency =
                            policy::expiry_urgency(entry, &settings, now).unwrap_or(Urgency::Fine);
                        ui.colored_label(urgency_color(ui, urgency), super::widgets::date(at));
                    }
                });
                row.col(|ui| {
                    if policy::is_unrestricted(entry) {
                        let risky = entry.permissions.iter().any(|p| {
                            p.moves_funds() || p.as_str() == crate::vault::Permission::TRADE
                        });
                        let color = if risky {
                            ui.visuals().error_fg_color
                        } else {
                            ui.visuals().warn_fg_color
                        };
                        ui.colored_label(color, "any IP");
                    } else {
                        ui.label(format!("{} allowed", entry.ip_whitelist.len()));
                    }
                });
                row.col(|ui| {
                    let names: Vec<&str> = entry.permissions.iter().map(|p| p.as_str()).collect();
                    let moves = entry.permissions.iter().any(|p| p.moves_funds());
                    let text = names.join(", ");
                    if moves {
                        ui.colored_label(ui.visuals().error_fg_color, text);
                    } else {
                        ui.label(text);
                    }
                });
                row.col(|ui| {
                    let text = entry.status.as_str();
                    match entry.status {
                        Status::Active => ui.label(text),
                        Status::Revoked => ui.label(RichText::new(text).weak()),
                        Status::Compromised => ui.colored_label(ui.visuals().error_fg_color, text),
                    };
                });
                if clicked || row.response().clicked() {
                    view.selected = if selected { None } else { Some(entry.id) };
                }
            });
        });
}
