//! The keys table: sortable, virtualized, each row a key with its provider's monogram; the
//! columns share out the room there is and scroll sideways when not even their narrowest
//! widths fit. The rows and their order are `list.rs`'s [`ViewCache`].

use eframe::egui;

use chrono::{DateTime, Utc};
use egui::{Align, Layout, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::list::{SortKey, ViewCache, ViewState};
use super::monogram;
use super::widgets::{date, exposure_color, urgency_color};
use crate::vault::exposure;
use crate::vault::policy::{self, Urgency};
use crate::vault::providers::Providers;
use crate::vault::{Status, Vault};

/// Draws the table of the keys `cache` holds for `view`; a click selects a key.
pub(crate) fn table_ui(
    ui: &mut Ui,
    view: &mut ViewState,
    cache: &ViewCache,
    vault: &Vault,
    providers: &Providers,
    now: DateTime<Utc>,
) {
    let rows = cache.rows();
    if vault.entries.is_empty() {
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
    let widths = column_widths(ui, view.sort);
    if widths.iter().sum::<f32>() + ui.spacing().item_spacing.x * 8.0 > ui.available_width() {
        // Not even the narrowest columns fit: the table scrolls sideways.
        egui::ScrollArea::horizontal()
            .id_salt("keys-table-scroll")
            .show(ui, |ui| {
                table(ui, view, rows, vault, providers, now, &widths)
            });
    } else {
        table(ui, view, rows, vault, providers, now, &widths);
    }
}

/// The width of each column for the room there is, the table sorted by `sorted`. Every
/// column has a narrowest width (its header, with room for the sort arrow only in the sorted
/// column, or the widest short value it shows) and a preferred one (room for the arrow in
/// every header, so that in a wide window sorting moves no column, plus extra room); the
/// columns give up their extra room first, and the last column takes what is left over.
fn column_widths(ui: &Ui, sorted: SortKey) -> [f32; 8] {
    let (min, preferred) = column_bounds(ui, sorted);
    let spacing = ui.spacing().item_spacing.x * 8.0;
    let room = ui.available_width() - spacing;
    let (sum_min, sum_preferred) = (min.iter().sum::<f32>(), preferred.iter().sum::<f32>());
    let mut widths = min;
    if room >= sum_preferred {
        widths = preferred;
        widths[7] += room - sum_preferred;
    } else if room > sum_min {
        let share = (room - sum_min) / (sum_preferred - sum_min);
        for (w, (lo, hi)) in widths.iter_mut().zip(min.iter().zip(preferred)) {
            *w = lo + (hi - lo) * share;
        }
    }
    widths.map(f32::floor)
}

/// The width the table sorted by `sorted` needs to show every column at its narrowest (the
/// detail panel leaves it that much).
pub(crate) fn min_table_width(ui: &Ui, sorted: SortKey) -> f32 {
    column_bounds(ui, sorted).0.iter().sum::<f32>() + ui.spacing().item_spacing.x * 8.0
}

/// Each column's narrowest and preferred width when the table is sorted by `sorted`. Only
/// the sorted column's header shows the arrow, so only its narrowest width makes room for
/// it: reserving it in all eight headers cost the 800-pixel window its last column.
fn column_bounds(ui: &Ui, sorted: SortKey) -> ([f32; 8], [f32; 8]) {
    let strong = egui::TextStyle::Body.resolve(ui.style());
    let text_width = |text: &str| {
        ui.painter()
            .layout_no_wrap(text.to_owned(), strong.clone(), egui::Color32::WHITE)
            .size()
            .x
    };
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    let arrow = ui
        .painter()
        .layout_no_wrap("↓".to_owned(), mono, egui::Color32::WHITE)
        .size()
        .x
        + ui.spacing().item_spacing.x
        + 4.0;
    let mut min = [0.0_f32; 8];
    let mut preferred = [0.0_f32; 8];
    for (i, key) in SortKey::ALL.iter().enumerate() {
        let header = text_width(key.title());
        let (sample, extra) = match key {
            // The monogram stands before the name.
            SortKey::Name => (
                text_width("binance-b") + monogram::SIZE + ui.spacing().item_spacing.x,
                80.0,
            ),
            SortKey::Provider => (text_width("binance"), 30.0),
            SortKey::Environment => (text_width("other"), 0.0),
            SortKey::RotationAge => (text_width("9999 d"), 0.0),
            SortKey::Expiry => (text_width("2026-12-31"), 0.0),
            SortKey::Ip => (text_width("any IP").max(text_width("99 allowed")), 0.0),
            SortKey::Permissions => (text_width("read, trade"), 70.0),
            SortKey::Status => (text_width("compromised"), 0.0),
        };
        let with_arrow = (header + arrow).max(sample).ceil();
        min[i] = if *key == sorted {
            with_arrow
        } else {
            header.max(sample).ceil()
        };
        preferred[i] = with_arrow + extra;
    }
    (min, preferred)
}

fn table(
    ui: &mut Ui,
    view: &mut ViewState,
    rows: &[usize],
    vault: &Vault,
    providers: &Providers,
    now: DateTime<Utc>,
    widths: &[f32; 8],
) {
    let settings = &vault.settings;
    let entries = &vault.entries;
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let mut builder = TableBuilder::new(ui)
        .id_salt("keys-table")
        .striped(true)
        .sense(egui::Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center));
    for width in widths {
        builder = builder.column(Column::exact(*width).clip(true));
    }
    builder
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
                    let preset = providers.find(&entry.provider);
                    let shown = if entry.provider.is_empty() {
                        entry.name.as_str()
                    } else {
                        providers.display_name(&entry.provider)
                    };
                    let id = if entry.provider.is_empty() {
                        &entry.name
                    } else {
                        &entry.provider
                    };
                    monogram::monogram_ui(ui, shown, monogram::fill(preset, id))
                        .on_hover_text(shown);
                    clicked |= ui
                        .add(egui::Button::selectable(selected, entry.name.as_str()).frame(false))
                        .clicked();
                });
                row.col(|ui| {
                    ui.label(entry.provider.as_str());
                });
                row.col(|ui| {
                    ui.label(entry.environment.as_str());
                });
                row.col(|ui| {
                    let urgency = policy::rotation_urgency(entry, settings, now);
                    let days = policy::rotation_age_days(entry, now);
                    ui.colored_label(urgency_color(ui, urgency), format!("{days} d"));
                });
                row.col(|ui| match entry.expires_at {
                    None => {
                        ui.label(RichText::new("never").weak());
                    }
                    Some(at) => {
                        let urgency =
                            policy::expiry_urgency(entry, settings, now).unwrap_or(Urgency::Fine);
                        ui.colored_label(urgency_color(ui, urgency), date(at));
                    }
                });
                row.col(|ui| {
                    if let Some(severity) = exposure::unrestricted_severity(entry) {
                        let note = exposure::unrestricted_note(entry).unwrap_or_default();
                        ui.colored_label(exposure_color(ui, severity), "any IP")
                            .on_hover_text(note);
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
