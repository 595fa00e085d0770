//! What the views ask for. A view draws and pushes [`Command`]s; `apply.rs` carries them out
//! (changing the vault through the library, starting jobs through `tasks.rs`). This file
//! imports no view: it is the vocabulary both sides share.

use std::path::PathBuf;

use uuid::Uuid;

use super::prefs::ThemeChoice;
use crate::keys::KeyAlgorithm;
use crate::secret::SecretString;
use crate::transfer::{ClashRule, Format};
use crate::vault::{Entry, Field, NewParts, VaultSettings};

/// Why the vault was locked (said in the status bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockReason {
    Button,
    Shortcut,
    Idle(u32),
    Minimized,
    /// SIGTERM, SIGINT or SIGHUP: the app is about to close.
    Signal,
}

/// The main window's pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Page {
    #[default]
    Keys,
    Settings,
    Reminders,
    Audit,
    Scan,
    /// The trashed keys, to restore or purge.
    Trash,
}

/// An action that asks first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Confirm {
    Delete(Uuid),
    Revoke(Uuid),
}

/// Which dialog to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DialogRequest {
    /// Rotate this key.
    Rotate(Uuid),
    /// Mark this key compromised; the reason is filled in (empty, or a leak scan's place).
    Compromise { id: Uuid, reason: String },
    /// Ask before deleting or revoking.
    Confirm(Confirm),
    /// The export dialog.
    Export,
    /// The import dialog.
    Import,
}

/// What a file dialog is asked for, and so where its answer goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FilePick {
    /// A vault to open (unlock screen).
    OpenVault,
    /// The vault's key file (unlock screen).
    KeyFile,
    /// Where to create a new vault (unlock screen).
    NewVault,
    /// The file the export dialog writes in this format (it suggests the file name).
    ExportTo(Format),
    /// The file the import dialog reads.
    ImportFrom,
    /// The folder the leak scan searches.
    ScanFolder,
    /// Where the reminders calendar (.ics) goes; asked by [`Command::ExportCalendar`].
    SaveCalendar,
    /// The vault file "Merge another vault…" reads.
    MergeFrom,
}

/// Asks the user for a file or folder and waits for the answer (`None`: cancelled). The app
/// uses [`rfd`]'s native dialogs (or the built-in browser, `chooser.rs`); tests answer
/// without a window.
pub(crate) type AskFile = fn(FilePick) -> Option<PathBuf>;

/// Something a view asks for.
pub(crate) enum Command {
    /// Unlock the vault on the unlock screen with this password.
    Unlock(SecretString),
    /// Unlock a vault whose key derivation is above the work bound, with the password the
    /// refused unlock kept: the user trusts the file ("Open anyway").
    UnlockAnyway,
    /// Create the vault from the create screen (its password fields are taken).
    CreateVault,
    /// Show the unlock screen for the vault at this path.
    ShowUnlock(PathBuf),
    /// Open a file dialog (on a worker thread).
    PickFile(FilePick),
    /// Turn desktop notifications on or off (an app preference).
    SetNotifications(bool),
    /// The built-in file browser closed with this choice (`None`: cancelled).
    BrowserDone(Option<PathBuf>),
    /// Lock now.
    Lock(LockReason),
    /// Show a page of the main window.
    ShowPage(Page),
    /// Select this key and show it on the keys page.
    ShowEntry(Uuid),
    /// Show the keys page with the search field focused.
    FocusSearch,
    /// Empty the search field (Esc on the main window).
    ClearSearch,
    /// Show the help window on a tab (F1, "?"), or close it (`None`).
    ShowHelp(Option<super::shortcuts::Help>),
    /// Hide the banner shown after unlocking.
    DismissBanner,
    /// Open the editor on a new key.
    NewEntry,
    /// Open the editor on this key.
    EditEntry(Uuid),
    /// Open a dialog (rotate, compromise, confirm, export, import).
    OpenDialog(DialogRequest),
    /// Close the open dialog (Cancel, Esc).
    CloseDialog,
    /// Store the editor's entry (new or changed).
    SaveEntry { entry: Box<Entry>, is_new: bool },
    /// Make a key pair for the editor's private and public key fields.
    GenerateKeyPair(KeyAlgorithm),
    /// Replace the primary secret and the other parts given; the old ones go to history.
    Rotate { id: Uuid, parts: NewParts },
    /// Mark compromised with a reason.
    MarkCompromised { id: Uuid, reason: String },
    /// Mark revoked.
    Revoke(Uuid),
    /// Copy the key under an unused name.
    Duplicate(Uuid),
    /// Remove the key.
    Delete(Uuid),
    /// Tick or untick an incident checklist step.
    TickChecklist { id: Uuid, item: usize, done: bool },
    /// Copy a part to the timed clipboard.
    Copy { id: Uuid, field: Field },
    /// Copy a previous secret from the history.
    CopyHistory { id: Uuid, index: usize },
    /// Copy the value of a custom field to the timed clipboard.
    CopyCustomField { id: Uuid, name: String },
    /// Copy text the app made (a test signature) to the timed clipboard.
    CopyText { text: String, label: String },
    /// Clear the clipboard now.
    ClearClipboard,
    /// Show a secret part for a few seconds.
    Reveal { id: Uuid, field: Field },
    /// Show a protected custom field for the same few seconds.
    RevealCustomField { id: Uuid, name: String },
    /// Mask it again.
    Hide,
    /// Store new vault settings.
    UpdateSettings(VaultSettings),
    /// Change the master password and/or the key derivation from the Settings page's master
    /// password section (its password fields are taken).
    ChangeMasterPassword,
    /// Change the theme (an app preference).
    SetTheme(ThemeChoice),
    /// Try the failed save again.
    RetrySave,
    /// Make the values chosen in the conflict dialog current, and save.
    ResolveConflicts,
    /// Close the conflict dialog, keeping the values the merge chose.
    KeepMerged,
    /// Write the export the export dialog describes.
    StartExport,
    /// Read the file the import dialog names, for its preview.
    PreviewImport,
    /// Add the entries read from `source` under the clash rule, and save.
    ApplyImport {
        entries: Vec<Entry>,
        rule: ClashRule,
        source: String,
    },
    /// Ask where to save the reminders as a calendar (.ics), and write it there.
    ExportCalendar,
    /// Scan the folder the scan page names for stored secrets.
    StartScan,
    /// Stop the running scan.
    StopScan,
    /// "Add to vault" on an unknown hit of the scan: preview, add, cancel.
    ScanAdd(ScanAdd),
    /// Locking, the recovery file, the offers at unlock, the trash, merging another vault.
    Sync(SyncCommand),
}

/// "Add to vault" on an unknown hit of the leak scan (`scan --unknown --add` in the app).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScanAdd {
    /// Plan the keys for the hit at this index of the results (and the other half of its
    /// pair), and show them: the dry run.
    Preview(usize),
    /// Create the keys the preview shows, and save.
    Confirm,
    /// Close the preview; nothing changes.
    Cancel,
}

/// What the views ask for about keeping every change: locking without losing one, merging
/// what the unlock found, the trash and "Merge another vault…".
pub(crate) enum SyncCommand {
    /// Lock although the change could not be saved: it goes to a recovery file.
    LockAnyway,
    /// Merge the recovery files the unlock found into the vault, save, and remove them.
    MergeRecovery,
    /// Delete the recovery files the unlock found, unmerged.
    DiscardRecovery,
    /// Merge the sync conflict copies the unlock found, save, and remove them.
    MergeCopies,
    /// Open the "Merge another vault" dialog.
    OpenMergeOther,
    /// Merge the vault file the dialog names (its password typed, else the vault's own).
    MergeOther,
    /// Bring the trashed key of this name back.
    Restore(String),
    /// Ask before removing the trashed key of this name for good.
    ConfirmPurge(String),
    /// Remove the trashed key of this name for good.
    Purge(String),
}
