//! The unlocked main window: the top bar (search, pages, import, export, new key, lock), the
//! banners under it, the page switch, and the open dialog over it all.

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::{Align, Layout, Ui};

use super::command::{Command, DialogRequest, LockReason, Page};
use super::detail::{self, DetailContext, Placement};
use super::state::Session;
use super::style::{TOOLBAR_HEIGHT, toolbar_button, toolbar_spacing};
use super::{
    audit_view, conflict_view, dialogs, list, reminders, scan_view, settings, table, trash_view,
};

/// Draws the unlocked main window for `session`.
pub(crate) fn main_window_ui(
    ui: &mut Ui,
    session: &mut Session,
    now: DateTime<Utc>,
    commands: &mut Vec<Command>,
) {
    session
        .cache
        .refresh(&session.view, &session.vault, &session.providers, now);
    session.close_filtered_out(now);
    top_bar(ui, session, commands);
    if let Some(banner) = &session.banner {
        reminders::banner_ui(ui, banner, commands);
    }
    page_ui(ui, session, now, commands);
    if let Some(dialog) = &mut session.dialog {
        dialogs::dialog_ui(
            ui.ctx(),
            dialog,
            &session.vault,
            &session.providers,
            commands,
        );
    } else if let Some(conflicts) = &mut session.conflicts {
        conflict_view::conflict_dialog(ui.ctx(), conflicts, commands);
    } else if let Some(help) = session.help {
        super::about::help_window(ui.ctx(), help, &session.path, commands);
    }
}

/// Draws the page chosen in the top bar.
fn page_ui(ui: &mut Ui, session: &mut Session, now: DateTime<Utc>, commands: &mut Vec<Command>) {
    match session.page {
        Page::Settings => settings::settings_ui(
            ui,
            &mut session.settings,
            &session.vault.settings,
            session.kdf,
            commands,
        ),
        Page::Reminders => reminders::reminders_ui(
            ui,
            session.cache.schedule(),
            session.vault.settings.reminder_lead_days,
            session.calendar_job.is_some(),
            now,
            commands,
        ),
        Page::Audit => {
            audit_view::audit_ui(ui, session.cache.findings(), &session.vault, commands);
        }
        Page::Scan => scan_view::scan_ui(ui, &mut session.scan, &session.vault, commands),
        Page::Trash => trash_view::trash_ui(ui, &session.vault.trash, commands),
        Page::Keys => keys_page(ui, session, now, commands),
    }
}

/// The keys page: the sidebar, the detail panel of the selected key (beside the table, or
/// under it in a narrow window), and the table.
fn keys_page(ui: &mut Ui, session: &mut Session, now: DateTime<Utc>, commands: &mut Vec<Command>) {
    let trashed = session.vault.trash.len();
    list::sidebar_ui(ui, &mut session.view, &session.cache, trashed, commands);
    if let Some(id) = session.view.selected {
        match session.vault.by_id(id) {
            Some(entry) => {
                let context = DetailContext {
                    settings: &session.vault.settings,
                    providers: &session.providers,
                    reveal: session.reveal,
                    changes: session.changes,
                    now,
                };
                // The table keeps room for every column at its narrowest: the panel beside it
                // is at most what is left, and goes under it when not even its narrowest fits.
                let room =
                    ui.available_width() - table::min_table_width(ui, session.view.sort) - 24.0;
                let placement = if room >= detail::MIN_WIDTH {
                    Placement::Right { max: room }
                } else {
                    Placement::Below
                };
                detail::detail_panel(
                    ui,
                    placement,
                    entry,
                    &context,
                    &mut session.signature,
                    commands,
                );
            }
            // The key went away (another program's change merged): nothing is selected any more.
            None => session.view.selected = None,
        }
    }
    egui::CentralPanel::default().show(ui, |ui| {
        table::table_ui(
            ui,
            &mut session.view,
            &session.cache,
            &session.vault,
            &session.providers,
            now,
        );
    });
}

/// The top bar's buttons right of the search box, in the order they are drawn (right to
/// left, after Lock): "New key" stays out; the rest fold into "More…" when they do not fit.
const FOLDING: [&str; 6] = [
    "Settings",
    "Import…",
    "Export…",
    "Scan a folder…",
    "Audit",
    "Reminders",
];

/// The label of the overflow menu of a narrow top bar (the default fonts have no "☰").
pub(crate) const MORE: &str = "More…";

/// The width a row of buttons labelled `labels` takes.
fn buttons_width(ui: &Ui, labels: &[&str]) -> f32 {
    let font = egui::TextStyle::Button.resolve(ui.style());
    let spacing = ui.spacing();
    labels
        .iter()
        .map(|label| {
            let text = ui
                .painter()
                .layout_no_wrap((*label).to_owned(), font.clone(), egui::Color32::WHITE)
                .size()
                .x;
            text + 2.0 * spacing.button_padding.x + spacing.item_spacing.x
        })
        .sum()
}

fn top_bar(ui: &mut Ui, session: &mut Session, commands: &mut Vec<Command>) {
    egui::Panel::top("top-bar").show(ui, |ui| {
        // One kind of button, one height, one gap (`style.rs`).
        toolbar_spacing(ui);
        ui.add_space(4.0);
        // What the left side needs besides the search box: the name, a separator, the label,
        // the Clear button while there is a search.
        let heading = egui::TextStyle::Heading.resolve(ui.style());
        let name = ui
            .painter()
            .layout_no_wrap("keyward".to_owned(), heading, egui::Color32::WHITE)
            .size()
            .x;
        let mut left = name + buttons_width(ui, &["Search"]) + 3.0 * ui.spacing().item_spacing.x;
        if !session.view.search.is_empty() {
            left += buttons_width(ui, &["Clear search"]);
        }
        let always = buttons_width(ui, &["?", "Lock", "New key"]);
        let room = ui.available_width() - left - always - 8.0;
        let full_search = 280.0;
        let fold = room < full_search + buttons_width(ui, &FOLDING);
        let right = if fold {
            buttons_width(ui, &[MORE])
        } else {
            buttons_width(ui, &FOLDING)
        };
        let search_width = (room - right).clamp(100.0, full_search);
        ui.horizontal(|ui| {
            ui.heading("keyward");
            ui.separator();
            let label = ui.label("Search");
            let search = ui
                .add(
                    egui::TextEdit::singleline(&mut session.view.search)
                        .hint_text("name, provider, tag, key id (Ctrl+F)")
                        .desired_width(search_width)
                        .min_size(egui::vec2(0.0, TOOLBAR_HEIGHT))
                        .align(egui::Align2::LEFT_CENTER),
                )
                .labelled_by(label.id);
            if session.view.focus_search {
                search.request_focus();
                session.view.focus_search = false;
            }
            if search.changed() && session.page != Page::Keys {
                commands.push(Command::ShowPage(Page::Keys));
            }
            if !session.view.search.is_empty()
                && ui.add(toolbar_button("Clear search", false)).clicked()
            {
                session.view.search.clear();
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .add(toolbar_button("?", false))
                    .on_hover_text("Keyboard shortcuts and About (F1)")
                    .clicked()
                {
                    commands.push(Command::ShowHelp(Some(super::shortcuts::Help::Shortcuts)));
                }
                if ui
                    .add(toolbar_button("Lock", false))
                    .on_hover_text("Lock the vault (Ctrl+L)")
                    .clicked()
                {
                    commands.push(Command::Lock(LockReason::Button));
                }
                if fold {
                    egui::containers::menu::MenuButton::from_button(toolbar_button(MORE, false))
                        .ui(ui, |ui| {
                            // A menu lists top to bottom.
                            ui.with_layout(Layout::top_down_justified(Align::Min), |ui| {
                                folding_buttons(ui, session.page, commands, true);
                            });
                        })
                        .0
                        .on_hover_text("Reminders, audit, scan, export, import, settings");
                } else {
                    folding_buttons(ui, session.page, commands, false);
                }
                if ui
                    .add(toolbar_button("New key", false))
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

/// The buttons that fold into the overflow menu: drawn right to left in the bar, top to
/// bottom (reversed) in the menu.
fn folding_buttons(ui: &mut Ui, page: Page, commands: &mut Vec<Command>, in_menu: bool) {
    let mut order = FOLDING;
    if in_menu {
        order.reverse();
    }
    for label in order {
        let clicked = match label {
            "Settings" => page_button(ui, page, Page::Settings, label, commands),
            "Scan a folder…" => page_button(ui, page, Page::Scan, label, commands)
                .on_hover_text("Find files that hold a stored secret in plain text"),
            "Audit" => page_button(ui, page, Page::Audit, label, commands)
                .on_hover_text("Every risk finding with its fix"),
            "Reminders" => page_button(ui, page, Page::Reminders, label, commands)
                .on_hover_text("Rotation due dates and expiries by date"),
            "Import…" => {
                let response = ui
                    .add(toolbar_button(label, false))
                    .on_hover_text("Add keys from another password manager's file");
                if response.clicked() {
                    commands.push(Command::OpenDialog(DialogRequest::Import));
                }
                response
            }
            _ => {
                let response = ui
                    .add(toolbar_button(label, false))
                    .on_hover_text("Write the keys for another password manager");
                if response.clicked() {
                    commands.push(Command::OpenDialog(DialogRequest::Export));
                }
                response
            }
        }
        .clicked();
        if clicked && in_menu {
            ui.close();
        }
    }
}

/// A top-bar button that shows `page`, or the keys again when it already shows.
fn page_button(
    ui: &mut Ui,
    current: Page,
    page: Page,
    text: &str,
    commands: &mut Vec<Command>,
) -> egui::Response {
    let open = current == page;
    let response = ui.add(toolbar_button(text, open));
    if response.clicked() {
        commands.push(Command::ShowPage(if open { Page::Keys } else { page }));
    }
    response
}
