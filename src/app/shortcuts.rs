//! The keyboard shortcuts: one table ([`SHORTCUTS`]) that the handlers read to know which
//! keys do what, and that the help window (F1, "?") lists.

use eframe::egui;
use egui::{InputState, Key, KeyboardShortcut, Modifiers};

use super::command::{Command, LockReason};
use super::state::Session;
use crate::vault::Field;

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Lock,
    FocusSearch,
    ClearSearch,
    NewEntry,
    CopyKeyId,
    CopySecret,
    CopyPassphrase,
    Help,
    SaveForm,
    CloseForm,
}

/// Where a shortcut works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The main window, with no dialog open.
    Main,
    /// The main window with a key selected and no text field focused.
    SelectedKey,
    /// The key editor.
    Editor,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Main => "Main window",
            Scope::SelectedKey => "Selected key (no text field focused)",
            Scope::Editor => "Key editor",
        }
    }
}

/// One shortcut: the keys, what they do, where.
pub(crate) struct Shortcut {
    pub action: Action,
    pub scope: Scope,
    pub modifiers: Modifiers,
    pub key: Key,
    pub does: &'static str,
}

impl Shortcut {
    /// The keys as the help window shows them ("Ctrl+Shift+C").
    pub fn keys(&self) -> String {
        let mut text = String::new();
        if self.modifiers.command || self.modifiers.ctrl {
            text.push_str("Ctrl+");
        }
        if self.modifiers.alt {
            text.push_str("Alt+");
        }
        if self.modifiers.shift {
            text.push_str("Shift+");
        }
        text.push_str(match self.key {
            Key::Escape => "Esc",
            other => other.name(),
        });
        text
    }

    fn keyboard(&self) -> KeyboardShortcut {
        KeyboardShortcut::new(self.modifiers, self.key)
    }
}

const CTRL: Modifiers = Modifiers::COMMAND;
const CTRL_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);
const NONE: Modifiers = Modifiers::NONE;

const fn shortcut(
    action: Action,
    scope: Scope,
    modifiers: Modifiers,
    key: Key,
    does: &'static str,
) -> Shortcut {
    Shortcut {
        action,
        scope,
        modifiers,
        key,
        does,
    }
}

/// Every shortcut of the app. A shortcut with more modifiers comes before the same key with
/// fewer (Ctrl+Shift+C before Ctrl+C): egui matches Ctrl+C also when Shift is held.
pub(crate) const SHORTCUTS: [Shortcut; 10] = [
    shortcut(Action::Lock, Scope::Main, CTRL, Key::L, "Lock the vault"),
    shortcut(Action::FocusSearch, Scope::Main, CTRL, Key::F, "Search"),
    shortcut(
        Action::ClearSearch,
        Scope::Main,
        NONE,
        Key::Escape,
        "Clear the search",
    ),
    shortcut(Action::NewEntry, Scope::Main, CTRL, Key::N, "Add a key"),
    shortcut(
        Action::Help,
        Scope::Main,
        NONE,
        Key::F1,
        "Show these shortcuts",
    ),
    shortcut(
        Action::CopyPassphrase,
        Scope::SelectedKey,
        CTRL_SHIFT,
        Key::C,
        "Copy the passphrase",
    ),
    shortcut(
        Action::CopyKeyId,
        Scope::SelectedKey,
        CTRL,
        Key::B,
        "Copy the key id",
    ),
    shortcut(
        Action::CopySecret,
        Scope::SelectedKey,
        CTRL,
        Key::C,
        "Copy the secret (the token, the private key)",
    ),
    shortcut(
        Action::SaveForm,
        Scope::Editor,
        CTRL,
        Key::Enter,
        "Save the key",
    ),
    shortcut(
        Action::CloseForm,
        Scope::Editor,
        NONE,
        Key::Escape,
        "Close (asks first when something changed)",
    ),
];

/// The table's entry for `action`.
pub(crate) fn of(action: Action) -> &'static Shortcut {
    SHORTCUTS
        .iter()
        .find(|s| s.action == action)
        .unwrap_or(&SHORTCUTS[0])
}

/// The hint a button shows for `action` ("Ctrl+N").
pub(crate) fn hint(action: Action) -> String {
    of(action).keys()
}

/// Takes `action`'s key press out of this frame's input; true when it was pressed.
pub(crate) fn consume(input: &mut InputState, action: Action) -> bool {
    input.consume_shortcut(&of(action).keyboard())
}

/// The shortcuts of the main window: pushes the commands of those pressed this frame.
/// `text_focused`: a text field has the keyboard (its own copy works, the key's does not).
pub(crate) fn main_window(
    input: &mut InputState,
    session: &Session,
    text_focused: bool,
    commands: &mut Vec<Command>,
) {
    if consume(input, Action::Lock) {
        commands.push(Command::Lock(LockReason::Shortcut));
        return;
    }
    if session.dialog.is_some() {
        return;
    }
    if session.help.is_none() && consume(input, Action::Help) {
        commands.push(Command::ShowHelp(Some(Help::Shortcuts)));
    }
    if session.help.is_some() {
        return;
    }
    if !session.view.search.is_empty() && consume(input, Action::ClearSearch) {
        commands.push(Command::ClearSearch);
    }
    if consume(input, Action::FocusSearch) {
        commands.push(Command::FocusSearch);
    }
    if consume(input, Action::NewEntry) {
        commands.push(Command::NewEntry);
    }
    let Some(id) = session.view.selected else {
        return;
    };
    if text_focused || session.vault.by_id(id).is_none() {
        return;
    }
    let copy = |field| Command::Copy { id, field };
    // In order: Ctrl+Shift+C is taken before Ctrl+C can match it.
    if consume(input, Action::CopyPassphrase) {
        commands.push(copy(Field::Passphrase));
    }
    if consume(input, Action::CopyKeyId) {
        commands.push(copy(Field::Key));
    }
    // Integrations turn Ctrl+C into a Copy event; a test harness sends the key itself.
    let copy_event = input.events.iter().any(|e| matches!(e, egui::Event::Copy));
    if consume(input, Action::CopySecret) || copy_event {
        input.events.retain(|e| !matches!(e, egui::Event::Copy));
        if let Some(entry) = session.vault.by_id(id) {
            commands.push(copy(entry.credential.primary_field()));
        }
    }
}

/// A window of the help: the shortcuts or About.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Help {
    Shortcuts,
    About,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_shortcut_and_longer_chords_come_first() {
        for (i, a) in SHORTCUTS.iter().enumerate() {
            assert_eq!(
                SHORTCUTS.iter().filter(|s| s.action == a.action).count(),
                1,
                "{:?}",
                a.action
            );
            for b in &SHORTCUTS[i + 1..] {
                let same_keys = a.key == b.key && a.scope == b.scope;
                assert!(
                    !(same_keys && a.modifiers == b.modifiers),
                    "{} twice in one place",
                    a.keys()
                );
                assert!(
                    !(same_keys && b.modifiers.shift && !a.modifiers.shift),
                    "{} must come before {}",
                    b.keys(),
                    a.keys()
                );
            }
        }
    }

    #[test]
    fn keys_are_spelled_as_the_help_shows_them() {
        assert_eq!(of(Action::CopyPassphrase).keys(), "Ctrl+Shift+C");
        assert_eq!(of(Action::CopyKeyId).keys(), "Ctrl+B");
        assert_eq!(of(Action::ClearSearch).keys(), "Esc");
        assert_eq!(of(Action::Help).keys(), "F1");
    }
}
