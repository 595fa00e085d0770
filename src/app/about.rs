//! The help window: every keyboard shortcut (F1, the "?" button), read from the one table of
//! `shortcuts.rs`, and About (the version and the vault's path).

use std::path::Path;

use eframe::egui;
use egui::RichText;

use super::command::Command;
use super::shortcuts::{Help, SHORTCUTS, Scope};

/// Draws the help window on `help`'s tab. Esc, a click beside it or Close closes it.
pub(crate) fn help_window(
    ctx: &egui::Context,
    help: Help,
    vault_path: &Path,
    commands: &mut Vec<Command>,
) {
    let mut close = false;
    let response = egui::Modal::new(egui::Id::unique("help-window")).show(ctx, |ui| {
        ui.set_width(460.0);
        ui.horizontal(|ui| {
            for (tab, title) in [(Help::Shortcuts, "Shortcuts"), (Help::About, "About")] {
                if ui.selectable_label(help == tab, title).clicked() && help != tab {
                    commands.push(Command::ShowHelp(Some(tab)));
                }
            }
        });
        ui.separator();
        match help {
            Help::Shortcuts => shortcuts_tab(ui),
            Help::About => about_tab(ui, vault_path),
        }
        ui.add_space(6.0);
        if ui.button("Close").clicked() {
            close = true;
        }
    });
    if close || response.should_close() {
        commands.push(Command::ShowHelp(None));
    }
}

fn shortcuts_tab(ui: &mut egui::Ui) {
    for scope in [Scope::Main, Scope::SelectedKey, Scope::Editor] {
        ui.label(RichText::new(scope.title()).strong());
        egui::Grid::new(("shortcuts", scope.title()))
            .num_columns(2)
            .spacing([24.0, 4.0])
            .show(ui, |ui| {
                for shortcut in SHORTCUTS.iter().filter(|s| s.scope == scope) {
                    ui.label(RichText::new(shortcut.keys()).monospace());
                    ui.label(shortcut.does);
                    ui.end_row();
                }
            });
        ui.add_space(6.0);
    }
}

fn about_tab(ui: &mut egui::Ui, vault_path: &Path) {
    ui.heading(format!("keyward {}", env!("CARGO_PKG_VERSION")));
    ui.label("A vault for API keys: encrypted on disk, secrets masked until asked for.");
    ui.add_space(6.0);
    ui.label(RichText::new("Vault").strong());
    ui.add(
        egui::Label::new(RichText::new(vault_path.display().to_string()).monospace())
            .selectable(true),
    );
    ui.add_space(6.0);
    ui.label(format!("Licence: {}", env!("CARGO_PKG_LICENSE")));
}
