//! The one place that applies what the views ask for. Views emit [`Command`]s; this file
//! changes the vault through the library, starts saves and jobs, and says what happened.

use eframe::egui;
use std::path::PathBuf;

use chrono::Duration;
use uuid::Uuid;

use super::jobs::{self, Poll};
use super::{
    KeywardApp, Page, ReloadDone, Reveal, SaveDone, Screen, Session, StatusLine, ThemeChoice,
    detail, editor, forget_widget_state, unlock,
};
use crate::secret::SecretString;
use crate::store::{KdfParams, StoreError, VaultFile};
use crate::vault::{Entry, Field, VaultSettings};

/// Why the vault was locked (said in the status bar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockReason {
    Button,
    Shortcut,
    Idle(u32),
    Minimized,
}

/// Something a view asks for.
pub(crate) enum Command {
    /// Unlock with the password typed on the unlock screen.
    Unlock,
    /// Create the vault from the create screen.
    CreateVault,
    /// Show the unlock screen for the vault at this path.
    ShowUnlock(PathBuf),
    /// Ask for a vault file to open (file dialog).
    PickVaultFile,
    /// Ask where to create a new vault (file dialog).
    PickNewVaultFile,
    /// Lock now.
    Lock(LockReason),
    /// Open the editor on a new key.
    NewEntry,
    /// Open the editor on this key.
    EditEntry(Uuid),
    /// Open a dialog (rotate, compromise, confirm).
    OpenDialog(detail::DialogRequest),
    /// Store the editor's entry (new or changed).
    SaveEntry { entry: Box<Entry>, is_new: bool },
    /// Replace the primary secret; the old one goes to history.
    Rotate {
        id: Uuid,
        secret: SecretString,
        public_key: Option<String>,
    },
    /// Mark compromised with a reason.
    MarkCompromised { id: Uuid, reason: String },
    /// Open the mark-compromised dialog with the reason filled in (a leak scan hit).
    OpenCompromise { id: Uuid, reason: String },
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
    /// Copy text the app made (a test signature) to the timed clipboard.
    CopyText { text: String, label: String },
    /// Clear the clipboard now.
    ClearClipboard,
    /// Show a secret part for a few seconds.
    Reveal { id: Uuid, field: Field },
    /// Mask it again.
    Hide,
    /// Store new vault settings.
    UpdateSettings(VaultSettings),
    /// Re-encrypt with other KDF parameters.
    ChangeKdf(KdfParams),
    /// Change the theme (an app preference).
    SetTheme(ThemeChoice),
    /// Try the failed save again.
    RetrySave,
    /// The file changed on disk: load it, dropping the unsaved change in memory.
    ReloadFromDisk,
    /// The file changed on disk: keep the vault in memory and save it over the other change.
    KeepMine,
    /// Say this in the status bar.
    ShowStatus(StatusLine),
    /// Add the entries read from `source` under the clash rule, and save.
    ApplyImport {
        entries: Vec<Entry>,
        rule: crate::transfer::ClashRule,
        source: String,
    },
}

impl KeywardApp {
    /// Applies one command.
    pub(crate) fn apply(&mut self, command: Command) {
        let now = self.now();
        let ctx = self.ctx.clone();
        match command {
            Command::Unlock => {
                if let Screen::Unlock(state) = &mut self.screen {
                    unlock::start_unlock(state, &ctx);
                }
            }
            Command::CreateVault => {
                if let Screen::Create(state) = &mut self.screen {
                    unlock::start_create(state, &ctx, self.new_vault_kdf);
                }
            }
            Command::ShowUnlock(path) => {
                self.screen = Screen::Unlock(unlock::UnlockState::new(path));
                forget_widget_state(&ctx);
            }
            Command::PickVaultFile => {
                if let Screen::Unlock(state) = &mut self.screen {
                    state.pick = Some(unlock::pick_file(&ctx, false));
                }
            }
            Command::PickNewVaultFile => {
                if let Screen::Unlock(state) = &mut self.screen {
                    state.pick = Some(unlock::pick_file(&ctx, true));
                }
            }
            Command::Lock(reason) => self.lock(reason),
            Command::ClearClipboard => {
                self.status = match self.clipboard.clear_now() {
                    Some(crate::clipboard::ClearOutcome::Failed(e)) => {
                        StatusLine::error(e.to_string())
                    }
                    Some(crate::clipboard::ClearOutcome::AlreadyReplaced) => StatusLine::info(
                        "Clipboard left alone: it no longer held the copied secret",
                    ),
                    _ => StatusLine::info("Clipboard cleared"),
                };
            }
            Command::ShowStatus(status) => self.status = status,
            Command::SetTheme(theme) => {
                self.prefs.theme = theme;
                ctx.set_theme(theme.preference());
            }
            other => {
                let Screen::Main(session) = &mut self.screen else {
                    return;
                };
                if let Some(status) =
                    apply_to_session(session, other, &ctx, now, &mut self.clipboard)
                {
                    self.status = status;
                }
            }
        }
    }

    /// Drops every decrypted thing and shows the unlock screen.
    fn lock(&mut self, reason: LockReason) {
        let Screen::Main(_) = &self.screen else {
            return;
        };
        let placeholder = Screen::Unlock(unlock::UnlockState::new(PathBuf::new()));
        let Screen::Main(mut session) = std::mem::replace(&mut self.screen, placeholder) else {
            return;
        };
        let mut message = match reason {
            LockReason::Button | LockReason::Shortcut => "Locked".to_owned(),
            LockReason::Idle(m) => format!("Locked after {m} minutes without input"),
            LockReason::Minimized => "Locked when minimised".to_owned(),
        };
        let mut is_error = false;
        if let Some(job) = session.save_job.take() {
            // The save finishes in the background; its outcome is reported on the lock screen.
            self.orphan_saves.push(job);
        } else if session.unsaved() {
            is_error = true;
            message = format!(
                "{message}. A change could not be saved and was dropped: {}",
                session
                    .save_error
                    .clone()
                    .unwrap_or_else(|| "the file changed on disk".to_owned())
            );
        }
        let path = session.path.clone();
        drop(session);
        self.screen = Screen::Unlock(unlock::UnlockState::new(path));
        if let Some(crate::clipboard::ClearOutcome::Failed(e)) = self.clipboard.clear_now() {
            message = format!("{message}; {e}");
        }
        forget_widget_state(&self.ctx);
        self.status = StatusLine {
            text: message,
            is_error,
        };
    }
}

/// Applies a command that needs the unlocked vault. Returns what to say in the status bar.
fn apply_to_session(
    session: &mut Session,
    command: Command,
    ctx: &egui::Context,
    now: chrono::DateTime<chrono::Utc>,
    clipboard: &mut crate::clipboard::TimedClipboard,
) -> Option<StatusLine> {
    match command {
        Command::NewEntry => {
            session.page = Page::Keys;
            session.dialog = Some(detail::Dialog::Editor(Box::new(editor::EditorState::new(
                now,
            ))));
            None
        }
        Command::EditEntry(id) => {
            let entry = session.vault.by_id(id)?;
            session.dialog = Some(detail::Dialog::Editor(Box::new(editor::EditorState::edit(
                entry,
            ))));
            None
        }
        Command::OpenCompromise { id, reason } => {
            session.vault.by_id(id)?;
            session.dialog = Some(detail::Dialog::Compromise { id, reason });
            None
        }
        Command::OpenDialog(request) => {
            session.dialog = Some(request.open());
            None
        }
        Command::SaveEntry { entry, is_new } => {
            let name = entry.name.clone();
            let id = entry.id;
            let result = if is_new {
                session.vault.add(*entry)
            } else {
                session.vault.update(*entry)
            };
            match result {
                Ok(()) => {
                    session.dialog = None;
                    session.view.selected = Some(id);
                    session.changed(ctx);
                    Some(StatusLine::info(format!(
                        "{} '{name}'; saving…",
                        if is_new { "Added" } else { "Updated" }
                    )))
                }
                Err(e) => {
                    if let Some(detail::Dialog::Editor(state)) = &mut session.dialog {
                        state.error = Some(e.to_string());
                    }
                    None
                }
            }
        }
        Command::Rotate {
            id,
            secret,
            public_key,
        } => {
            let entry = session.vault.entries.iter_mut().find(|e| e.id == id)?;
            entry.rotate(secret, public_key, now);
            let name = entry.name.clone();
            session.dialog = None;
            session.reveal = None;
            session.changed(ctx);
            Some(StatusLine::info(format!(
                "Rotated '{name}': the old secret is in its history; saving…"
            )))
        }
        Command::MarkCompromised { id, reason } => {
            let entry = session.vault.entries.iter_mut().find(|e| e.id == id)?;
            entry.mark_compromised(reason, now);
            let name = entry.name.clone();
            session.dialog = None;
            session.changed(ctx);
            Some(StatusLine::info(format!(
                "Marked '{name}' compromised: work through its checklist; saving…"
            )))
        }
        Command::Revoke(id) => {
            let entry = session.vault.entries.iter_mut().find(|e| e.id == id)?;
            entry.revoke();
            let name = entry.name.clone();
            session.dialog = None;
            session.changed(ctx);
            Some(StatusLine::info(format!("Revoked '{name}'; saving…")))
        }
        Command::Duplicate(id) => {
            let original = session.vault.by_id(id)?;
            let mut copy = original.clone();
            copy.id = Uuid::new_v4();
            copy.name = session.vault.unused_name(&original.name);
            let name = copy.name.clone();
            let new_id = copy.id;
            if let Err(e) = session.vault.add(copy) {
                return Some(StatusLine::error(e.to_string()));
            }
            session.view.selected = Some(new_id);
            session.changed(ctx);
            Some(StatusLine::info(format!("Duplicated as '{name}'; saving…")))
        }
        Command::Delete(id) => {
            let name = session.vault.by_id(id)?.name.clone();
            session.dialog = None;
            match session.vault.remove(&name) {
                Ok(removed) => drop(removed),
                Err(e) => return Some(StatusLine::error(e.to_string())),
            }
            if session.view.selected == Some(id) {
                session.view.selected = None;
            }
            session.reveal = None;
            session.changed(ctx);
            Some(StatusLine::info(format!("Deleted '{name}'; saving…")))
        }
        Command::TickChecklist { id, item, done } => {
            let entry = session.vault.entries.iter_mut().find(|e| e.id == id)?;
            let step = entry.incident.as_mut()?.checklist.get_mut(item)?;
            step.done_at = done.then_some(now);
            session.changed(ctx);
            None
        }
        Command::Copy { id, field } => {
            let entry = session.vault.by_id(id)?;
            let Some(value) = entry.credential.field(field) else {
                return Some(StatusLine::error(format!(
                    "'{}' has no {field} to copy",
                    entry.name
                )));
            };
            let seconds = session.vault.settings.clipboard_seconds.max(1);
            let label = format!("{} of {}", detail::field_noun(field), entry.name);
            Some(
                match clipboard.copy(
                    value.expose(),
                    label.clone(),
                    Duration::seconds(i64::from(seconds)),
                    now,
                ) {
                    Ok(()) => StatusLine::info(format!("Copied the {label}")),
                    Err(e) => StatusLine::error(e.to_string()),
                },
            )
        }
        Command::CopyHistory { id, index } => {
            let entry = session.vault.by_id(id)?;
            let item = entry.history.get(index)?;
            let seconds = session.vault.settings.clipboard_seconds.max(1);
            let label = format!("previous {} of {}", item.field, entry.name);
            Some(
                match clipboard.copy(
                    item.value.expose(),
                    label.clone(),
                    Duration::seconds(i64::from(seconds)),
                    now,
                ) {
                    Ok(()) => StatusLine::info(format!("Copied the {label}")),
                    Err(e) => StatusLine::error(e.to_string()),
                },
            )
        }
        Command::CopyText { text, label } => {
            let seconds = session.vault.settings.clipboard_seconds.max(1);
            Some(
                match clipboard.copy(
                    &text,
                    label.clone(),
                    Duration::seconds(i64::from(seconds)),
                    now,
                ) {
                    Ok(()) => StatusLine::info(format!("Copied the {label}")),
                    Err(e) => StatusLine::error(e.to_string()),
                },
            )
        }
        Command::Reveal { id, field } => {
            let seconds = session.vault.settings.reveal_seconds.max(1);
            session.reveal = Some(Reveal {
                id,
                field,
                until: now + Duration::seconds(i64::from(seconds)),
            });
            None
        }
        Command::Hide => {
            session.reveal = None;
            None
        }
        Command::UpdateSettings(settings) => {
            session.vault.settings = settings;
            session.changed(ctx);
            Some(StatusLine::info("Settings changed; saving…"))
        }
        Command::ChangeKdf(kdf) => {
            match session.file.as_mut() {
                Some(file) => match file.set_password(session.password.clone(), kdf) {
                    Ok(()) => session.kdf = kdf,
                    Err(e) => return Some(StatusLine::error(e.to_string())),
                },
                None => session.pending_kdf = Some(kdf),
            }
            session.changed(ctx);
            Some(StatusLine::info(format!(
                "Key derivation set to {kdf}; re-encrypting…"
            )))
        }
        Command::ApplyImport {
            entries,
            rule,
            source,
        } => {
            let plan = match crate::transfer::plan_import(&session.vault, entries, rule) {
                Ok(plan) => plan,
                Err(e) => return Some(StatusLine::error(format!("Nothing imported: {e}"))),
            };
            let clashes = plan.clashes();
            if !clashes.is_empty() {
                return Some(StatusLine::error(format!(
                    "Nothing imported: {} name(s) already taken: {}",
                    clashes.len(),
                    clashes.join(", ")
                )));
            }
            let summary = super::transfer::summary(&plan);
            session.vault = plan.vault;
            session.dialog = None;
            // The file password field's undo history held what was typed.
            forget_widget_state(ctx);
            session.reveal = None;
            session.changed(ctx);
            Some(StatusLine::info(format!(
                "Imported from {source}: {summary}; saving…"
            )))
        }
        Command::RetrySave => {
            session.save_error = None;
            session.start_save(ctx);
            Some(StatusLine::info("Saving…"))
        }
        Command::ReloadFromDisk | Command::KeepMine => {
            let keep_mine = matches!(command, Command::KeepMine);
            if session.reload_job.is_some() || session.save_job.is_some() {
                return None;
            }
            let path = session.path.clone();
            let password = session.password.clone();
            session.reload_job = Some(jobs::spawn(ctx, move || ReloadDone {
                result: VaultFile::open(&path, password),
                keep_mine,
            }));
            Some(StatusLine::info("Reading the vault file again…"))
        }
        // Handled by the app before a session is needed.
        Command::Unlock
        | Command::CreateVault
        | Command::ShowUnlock(_)
        | Command::PickVaultFile
        | Command::PickNewVaultFile
        | Command::Lock(_)
        | Command::ClearClipboard
        | Command::ShowStatus(_)
        | Command::SetTheme(_) => None,
    }
}

/// Collects finished save and reload jobs. Returns what to say in the status bar.
pub(crate) fn poll_session_jobs(session: &mut Session, ctx: &egui::Context) -> Option<StatusLine> {
    let mut status = None;
    if let Some(job) = &session.save_job {
        match job.poll() {
            Poll::Pending => {}
            Poll::Ready(SaveDone {
                file,
                result,
                changes,
            }) => {
                session.save_job = None;
                session.file = Some(file);
                status = Some(match result {
                    Ok(()) => {
                        session.saved_changes = changes;
                        session.save_error = None;
                        StatusLine::info("Saved")
                    }
                    Err(StoreError::ChangedOnDisk { .. }) => {
                        session.changed_on_disk = true;
                        StatusLine::error(
                            "Not saved: the vault file was changed by another program. \
                             Reload it or keep your version (see the banner).",
                        )
                    }
                    Err(e) => {
                        let text = e.to_string();
                        session.save_error = Some(text.clone());
                        StatusLine::error(format!(
                            "Not saved: {text}. Your change is kept in memory; retry the save."
                        ))
                    }
                });
                // Changes made while this save ran need a save of their own.
                if session.save_error.is_none() {
                    session.start_save(ctx);
                }
            }
            Poll::Lost => {
                session.save_job = None;
                session.save_error = Some("the save stopped unexpectedly".to_owned());
                status = Some(StatusLine::error(
                    "Not saved: the save stopped unexpectedly. Your change is kept in memory; \
                     copy what you need and restart keyward.",
                ));
            }
        }
    }
    if let Some(job) = &session.reload_job {
        match job.poll() {
            Poll::Pending => {}
            Poll::Ready(ReloadDone { result, keep_mine }) => {
                session.reload_job = None;
                status = Some(match result {
                    Ok((file, vault)) => {
                        session.kdf = file.kdf();
                        session.file = Some(file);
                        session.changed_on_disk = false;
                        session.save_error = None;
                        if keep_mine {
                            session.changes += 1;
                            session.start_save(ctx);
                            StatusLine::info("Saving your version over the other change…")
                        } else {
                            session.vault = vault;
                            session.saved_changes = session.changes;
                            session.cache.invalidate();
                            session.reveal = None;
                            if session
                                .view
                                .selected
                                .is_some_and(|id| session.vault.by_id(id).is_none())
                            {
                                session.view.selected = None;
                            }
                            StatusLine::info("Reloaded the vault from disk")
                        }
                    }
                    Err(e) => StatusLine::error(format!("Could not reload: {e}")),
                });
            }
            Poll::Lost => {
                session.reload_job = None;
                status = Some(StatusLine::error("Could not reload: the read stopped"));
            }
        }
    }
    status
}
