//! The keys page's sidebar of filters with counts, and the rows of the table (`table.rs` draws
//! them). What the user chose to see is [`ViewState`]; what was computed from the vault for
//! it (rows, counts, the audit's findings, the reminders' dates) is [`ViewCache`].

use eframe::egui;
use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use uuid::Uuid;

use std::collections::HashSet;

use super::command::{Command, Page, SyncCommand};
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
            Filter::Attention => attention.contains(entry.name.as_str()),
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
    pub(super) const ALL: [SortKey; 8] = [
        SortKey::Name,
        SortKey::Provider,
        SortKey::Environment,
        SortKey::RotationAge,
        SortKey::Expiry,
        SortKey::Ip,
        SortKey::Permissions,
        SortKey::Status,
    ];

    pub(super) fn title(self) -> &'static str {
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
    /// Each provider id with its display name and count.
    providers: Vec<(String, String, usize)>,
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
            self.counts = count(entries, settings, providers, now, &self.attention);
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
            .filter(|(_, e)| shown(view, &needle, e, settings, now, &self.attention))
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

impl ViewCache {
    /// True when the table shows `entry` under `view`'s filter and search (the rule of the
    /// rows; the detail panel of a key it hides closes). Uses the audit's verdict as last
    /// computed.
    pub fn shows(
        &self,
        view: &ViewState,
        entry: &Entry,
        settings: &VaultSettings,
        now: DateTime<Utc>,
    ) -> bool {
        let needle = view.search.trim().to_lowercase();
        shown(view, &needle, entry, settings, now, &self.attention)
    }
}

/// The one rule for a row: the sidebar filter and the search (`needle` lowercased).
fn shown(
    view: &ViewState,
    needle: &str,
    entry: &Entry,
    settings: &VaultSettings,
    now: DateTime<Utc>,
    attention: &HashSet<String>,
) -> bool {
    view.filter.matches(entry, settings, now, attention)
        && crate::vault::matches_search(entry, needle)
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
    presets: &Providers,
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
    // Stored providers are canonical ids (normalised on load), so "Binance" and "binance"
    // are one row, shown under the preset's display name.
    counts.providers = providers
        .into_iter()
        .map(|(p, n)| (p.to_owned(), presets.display_name(p).to_owned(), n))
        .collect();
    counts.tags = tags.into_iter().map(|(t, n)| (t.to_owned(), n)).collect();
    counts
}

/// Draws the sidebar of filters, each with its count.
pub(crate) fn sidebar_ui(
    ui: &mut Ui,
    view: &mut ViewState,
    cache: &ViewCache,
    trashed: usize,
    commands: &mut Vec<Command>,
) {
    // On a narrow window the sidebar yields room to the table.
    let max = (ui.available_width() * 0.2).clamp(150.0, 320.0);
    egui::Panel::left("filters")
        .default_size(210.0_f32.min(max))
        .max_size(max)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.add_space(6.0);
                let counts = &cache.counts;
                for (filter, n) in Filter::FIXED.iter().zip(counts.fixed) {
                    filter_button(ui, view, filter.clone(), &filter.label(), n);
                }
                if !counts.providers.is_empty() {
                    ui.add_space(8.0);
                    ui.label(RichText::new("Providers").strong());
                    for (id, name, n) in &counts.providers {
                        filter_button(ui, view, Filter::Provider(id.clone()), name, *n);
                    }
                }
                if !counts.tags.is_empty() {
                    ui.add_space(8.0);
                    ui.label(RichText::new("Tags").strong());
                    for (tag, n) in &counts.tags {
                        let filter = Filter::Tag(tag.clone());
                        let label = filter.label();
                        filter_button(ui, view, filter, &label, *n);
                    }
                }
                ui.add_space(8.0);
                ui.separator();
                let wide = egui::vec2(ui.available_width(), 0.0);
                if ui
                    .add(egui::Button::new(format!("Trash ({trashed})")).min_size(wide))
                    .on_hover_text("Deleted keys: restore them or delete them forever")
                    .clicked()
                {
                    commands.push(Command::ShowPage(Page::Trash));
                }
                if ui
                    .add(egui::Button::new("Merge another vault…").min_size(wide))
                    .on_hover_text("Bring in the keys and changes of another vault file")
                    .clicked()
                {
                    commands.push(Command::Sync(SyncCommand::OpenMergeOther));
                }
            });
        });
}

fn filter_button(ui: &mut Ui, view: &mut ViewState, filter: Filter, label: &str, n: usize) {
    let selected = view.filter == filter;
    let text = format!("{label} ({n})");
    let button =
        egui::Button::selectable(selected, text).min_size(egui::vec2(ui.available_width(), 0.0));
    if ui.add(button).clicked() {
        view.filter = filter;
    }
}
