//! The one place that carries out what the views ask for. [`apply`] takes a [`Command`] and
//! changes the [`AppState`]: the vault through the library, the clipboard, the dialogs and
//! pages, and jobs through `tasks.rs`. It needs no egui: the frame loop hands it the time and
//! acts on the two flags it leaves for egui (`forget_widgets`, `theme_changed`).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::chooser::Asker;
use super::command::{Command, DialogRequest, FilePick, LockReason, Page, SyncCommand};
use super::detail::{Reveal, Revealed};
use super::dialogs::{self, Dialog};
use super::entry_form::EditorState;
use super::jobs::Waker;
use super::settings::SettingsDraft;
use super::state::{AppState, KeyChange, Screen, Session};
use super::status::StatusLine;
use super::sync_apply;
use super::tasks;
use super::unlock::UnlockState;
use super::widgets::capitalised;
use crate::clipboard::{ClearOutcome, TimedClipboard};
use crate::keys::KeyAlgorithm;
use crate::secret::SecretString;
use crate::store::{Credentials, KdfPreset, KeyFile};
use crate::transfer::ClashRule;
use crate::vault::{Entry, NewParts, VaultSettings};

#[path = "apply_copy.rs"]
mod copy;

/// Applies one command at `now`.
pub(crate) fn apply(state: &mut AppState, command: Command, now: DateTime<Utc>) {
    match command {
        Command::Unlock(password) => {
            if let Screen::Unlock(unlock) = &mut state.screen {
                start_unlock(unlock, password, &state.waker, &mut state.forget_widgets);
            }
        }
        Command::UnlockAnyway => {
            if let Screen::Unlock(unlock) = &mut state.screen
                && unlock.job.is_none()
                && let Some(password) = unlock.slow_kdf.take()
            {
                tasks::start_unlock(unlock, password, true, &state.waker);
            }
        }
        Command::CreateVault => {
            if let Screen::Create(create) = &mut state.screen
                && create.job.is_none()
                && create.refusal().is_none()
            {
                tasks::start_create(create, state.new_vault_kdf, &state.waker);
                state.forget_widgets = true;
            }
        }
        Command::ShowUnlock(path) => {
            state.screen = Screen::Unlock(UnlockState::new(path));
            state.forget_widgets = true;
        }
        Command::PickFile(
            pick @ (FilePick::OpenVault | FilePick::NewVault | FilePick::KeyFile),
        ) => {
            if let Screen::Unlock(unlock) = &mut state.screen
                && unlock.pick.is_none()
            {
                let job = tasks::start_pick(pick, state.ask_file.clone(), &state.waker);
                unlock.pick = Some((pick, job));
            }
        }
        Command::Lock(reason) => sync_apply::lock(state, reason, false, now),
        Command::Sync(SyncCommand::LockAnyway) => {
            sync_apply::lock(state, LockReason::Button, true, now)
        }
        Command::ClearClipboard => {
            state.status = state
                .clipboard
                .clear_now()
                .map_or_else(|| StatusLine::info("Clipboard cleared"), clear_message);
        }
        Command::BrowserDone(choice) => state.browser.finish(choice),
        Command::SetNotifications(on) => state.prefs.notifications = on,
        Command::SetTheme(theme) => {
            state.prefs.theme = theme;
            state.theme_changed = true;
        }
        other => {
            let AppState {
                screen,
                clipboard,
                waker,
                ask_file,
                forget_widgets,
                status,
                ..
            } = state;
            let Screen::Main(session) = screen else {
                return;
            };
            let mut env = Env {
                clipboard,
                waker,
                ask_file,
                forget_widgets,
                now,
            };
            if let Some(new_status) = apply_to_session(session, other, &mut env) {
                *status = new_status;
            }
        }
    }
}

/// What a command on the unlocked vault may use besides the session.
struct Env<'a> {
    clipboard: &'a mut TimedClipboard,
    waker: &'a Waker,
    ask_file: &'a Asker,
    forget_widgets: &'a mut bool,
    now: DateTime<Utc>,
}

/// Applies a command that needs the unlocked vault. Returns what to say in the status bar.
fn apply_to_session(session: &mut Session, command: Command, env: &mut Env) -> Option<StatusLine> {
    let now = env.now;
    match command {
        Command::ShowPage(page) => show_page(session, page),
        Command::ShowEntry(id) => {
            session.view.selected = Some(id);
            session.page = Page::Keys;
        }
        Command::FocusSearch => {
            session.page = Page::Keys;
            session.view.focus_search = true;
        }
        Command::ClearSearch => session.view.search.clear(),
        Command::ShowHelp(help) => session.help = help,
        Command::DismissBanner => session.banner = None,
        Command::Reveal { id, field } => reveal(session, id, Revealed::Part(field), now),
        Command::RevealCustomField { id, name } => reveal_custom_field(session, id, &name, now),
        Command::Hide => session.reveal = None,
        Command::NewEntry => {
            session.page = Page::Keys;
            session.dialog = Some(Dialog::Editor(Box::new(EditorState::new(now))));
        }
        Command::EditEntry(id) => {
            let entry = session.vault.by_id(id)?;
            session.dialog = Some(Dialog::Editor(Box::new(EditorState::edit(entry, now))));
        }
        Command::OpenDialog(request) => open_dialog(session, request),
        Command::CloseDialog => close_dialog(session, env.forget_widgets),
        Command::SaveEntry { entry, is_new } => return save_entry(session, *entry, is_new, env),
        Command::Rotate { id, parts } => return rotate(session, id, parts, env),
        Command::MarkCompromised { id, reason } => {
            return mark_compromised(session, id, reason, env);
        }
        Command::Revoke(id) => return revoke(session, id, env),
        Command::Duplicate(id) => return duplicate(session, id, env),
        Command::Delete(id) => return delete(session, id, env),
        Command::TickChecklist { id, item, done } => tick_checklist(session, id, item, done, env),
        Command::Copy { id, field } => return copy::field(session, id, field, env),
        Command::CopyHistory { id, index } => return copy::history(session, id, index, env),
        Command::CopyCustomField { id, name } => {
            return copy::custom_field(session, id, &name, env);
        }
        Command::CopyText { text, label } => {
            return Some(copy::to_clipboard(session, env, &text, label));
        }
        Command::UpdateSettings(settings) => return Some(update_settings(session, settings, env)),
        Command::ChangeMasterPassword => return Some(change_master_password(session, env)),
        Command::RetrySave => {
            session.save_error = None;
            tasks::start_save(session, env.waker);
            return Some(StatusLine::info("Saving…"));
        }
        Command::ResolveConflicts => return resolve_conflicts(session, env),
        Command::KeepMerged => session.conflicts = None,
        Command::ApplyImport {
            entries,
            rule,
            source,
        } => return Some(apply_import(session, entries, rule, &source, env)),
        Command::PickFile(pick) => pick_in_session(session, pick, env),
        Command::GenerateKeyPair(alg) => generate_key_pair(session, alg, env.waker),
        Command::StartExport => start_export(session, env.waker),
        Command::PreviewImport => {
            if let Some(Dialog::Import(state)) = &mut session.dialog
                && !state.is_busy()
            {
                tasks::start_import_read(state, now, env.waker);
            }
        }
        Command::ExportCalendar => {
            if session.calendar_job.is_none() {
                tasks::start_calendar(session, now, env.ask_file.clone(), env.waker);
            }
        }
        Command::StartScan => {
            if session.scan.running.is_none() {
                tasks::start_scan(&mut session.scan, &session.vault, env.waker);
            }
        }
        Command::StopScan => session.scan.stop(),
        Command::ScanAdd(c) => return super::scan_add::apply(session, c, env.waker, now),
        Command::Sync(command) => {
            return sync_apply::apply_sync(session, command, env.waker, now, env.forget_widgets);
        }
        // Handled by `apply` before a session is needed.
        Command::Unlock(_)
        | Command::UnlockAnyway
        | Command::CreateVault
        | Command::ShowUnlock(_)
        | Command::Lock(_)
        | Command::ClearClipboard
        | Command::SetTheme(_)
        | Command::SetNotifications(_)
        | Command::BrowserDone(_) => {}
    }
    None
}

/// Starts the unlock job, or asks for the password when none was typed.
fn start_unlock(
    state: &mut UnlockState,
    password: SecretString,
    waker: &Waker,
    forget_widgets: &mut bool,
) {
    if state.job.is_some() {
        return;
    }
    if password.expose().is_empty() {
        state.error = Some("Type the master password.".to_owned());
        state.focus_password = true;
        return;
    }
    // The password field's undo history held what was typed.
    *forget_widgets = true;
    tasks::start_unlock(state, password, false, waker);
}

/// Handles the clock: clears the clipboard and masks a revealed secret when their time has
/// come, and says so.
pub(crate) fn tick(state: &mut AppState, now: DateTime<Utc>) {
    if let Some(outcome) = state.clipboard.tick(now) {
        state.status = clear_message(outcome);
    }
    if let Screen::Main(session) = &mut state.screen
        && session.reveal.is_some_and(|r| r.until <= now)
    {
        session.reveal = None;
    }
}

/// The lock the idle time or a minimised window calls for, if any.
pub(crate) fn due_lock(state: &AppState, now: DateTime<Utc>, minimized: bool) -> Option<Command> {
    let session = state.session()?;
    let minutes = session.vault.settings.idle_lock_minutes;
    if minutes > 0 && now - state.last_input >= Duration::minutes(i64::from(minutes)) {
        return Some(Command::Lock(LockReason::Idle(minutes)));
    }
    (minimized && session.vault.settings.lock_on_minimize)
        .then_some(Command::Lock(LockReason::Minimized))
}

/// What the status bar says about a clipboard clear.
fn clear_message(outcome: ClearOutcome) -> StatusLine {
    match outcome {
        ClearOutcome::Cleared => StatusLine::info("Clipboard cleared"),
        ClearOutcome::AlreadyReplaced => {
            StatusLine::info("Clipboard left alone: it no longer held the copied secret")
        }
        ClearOutcome::Failed(e) => StatusLine::error(e.to_string()),
    }
}

/// Records a change to the vault and starts saving it.
fn changed(session: &mut Session, waker: &Waker) {
    session.changes += 1;
    session.cache.invalidate();
    tasks::start_save(session, waker);
}

fn show_page(session: &mut Session, page: Page) {
    if page == Page::Settings && session.page != Page::Settings {
        // The settings page starts from what the vault holds now.
        session.settings = SettingsDraft::new(&session.vault.settings, session.kdf);
    }
    session.page = page;
}

fn reveal(session: &mut Session, id: Uuid, what: Revealed, now: DateTime<Utc>) {
    let seconds = session.vault.settings.reveal_seconds.max(1);
    session.reveal = Some(Reveal {
        id,
        what,
        until: now + Duration::seconds(i64::from(seconds)),
    });
}

/// Reveals the custom field the vault's rule finds by `name` (case ignored), as a secret part.
fn reveal_custom_field(session: &mut Session, id: Uuid, name: &str, now: DateTime<Utc>) {
    let index = session.vault.by_id(id).and_then(|entry| {
        let found = crate::vault::find_custom_field(&entry.custom_fields, name)?;
        entry
            .custom_fields
            .iter()
            .position(|f| std::ptr::eq(f, found))
    });
    if let Some(index) = index {
        reveal(session, id, Revealed::Custom(index), now);
    }
}

fn open_dialog(session: &mut Session, request: DialogRequest) {
    let about = match &request {
        DialogRequest::Rotate(id) | DialogRequest::Compromise { id, .. } => Some(*id),
        DialogRequest::Confirm(_) | DialogRequest::Export | DialogRequest::Import => None,
    };
    if about.is_some_and(|id| session.vault.by_id(id).is_none()) {
        return;
    }
    session.dialog = Some(dialogs::open(request));
}

fn close_dialog(session: &mut Session, forget_widgets: &mut bool) {
    if let Some(dialog) = session.dialog.take() {
        // The export and import password fields' undo histories held what was typed.
        *forget_widgets |= matches!(
            dialog,
            Dialog::Export(_) | Dialog::Import(_) | Dialog::MergeOther(_)
        );
    }
}

fn save_entry(session: &mut Session, entry: Entry, is_new: bool, env: &Env) -> Option<StatusLine> {
    let name = entry.name.clone();
    let id = entry.id;
    let result = if is_new {
        session.vault.add(entry)
    } else {
        // Another program may have changed the key while the editor was open.
        let entry = tasks::keep_changes_made_meanwhile(session, entry, env.now);
        session.vault.update(entry)
    };
    if let Err(e) = result {
        if let Some(Dialog::Editor(state)) = &mut session.dialog {
            state.error = Some(e.to_string());
        }
        return None;
    }
    session.dialog = None;
    session.view.selected = Some(id);
    // A revealed custom field is known by its place, which an edit may give another field.
    if session
        .reveal
        .is_some_and(|r| r.id == id && matches!(r.what, Revealed::Custom(_)))
    {
        session.reveal = None;
    }
    changed(session, env.waker);
    let done = if is_new { "Added" } else { "Updated" };
    Some(StatusLine::info(format!("{done} '{name}'; saving…")))
}

fn rotate(session: &mut Session, id: Uuid, parts: NewParts, env: &Env) -> Option<StatusLine> {
    let entry = session.vault.entries.iter_mut().find(|e| e.id == id)?;
    if let Err(e) = entry.rotate_parts(parts, env.now) {
        // The dialog stays open with what was typed, and says why.
        let why = capitalised(&format!("{e}; nothing changed."));
        if let Some(Dialog::Rotate(state)) = &mut session.dialog {
            state.error = Some(why.clone());
        }
        return Some(StatusLine::error(why));
    }
    let name = entry.name.clone();
    session.dialog = None;
    session.reveal = None;
    changed(session, env.waker);
    Some(StatusLine::info(format!(
        "Rotated '{name}': the old parts are in its history; saving…"
    )))
}

fn mark_compromised(
    session: &mut Session,
    id: Uuid,
    reason: String,
    env: &Env,
) -> Option<StatusLine> {
    let entry = session.vault.entries.iter_mut().find(|e| e.id == id)?;
    entry.mark_compromised(reason, env.now);
    let name = entry.name.clone();
    session.dialog = None;
    changed(session, env.waker);
    Some(StatusLine::info(format!(
        "Marked '{name}' compromised: work through its checklist; saving…"
    )))
}

fn revoke(session: &mut Session, id: Uuid, env: &Env) -> Option<StatusLine> {
    let entry = session.vault.entries.iter_mut().find(|e| e.id == id)?;
    entry.revoke();
    let name = entry.name.clone();
    session.dialog = None;
    changed(session, env.waker);
    Some(StatusLine::info(format!("Revoked '{name}'; saving…")))
}

fn duplicate(session: &mut Session, id: Uuid, env: &Env) -> Option<StatusLine> {
    let original = session.vault.by_id(id)?;
    let mut copy = original.clone();
    copy.id = Uuid::new_v4();
    copy.name = session.vault.unused_name(&original.name).into();
    let name = copy.name.clone();
    let new_id = copy.id;
    if let Err(e) = session.vault.add(copy) {
        return Some(StatusLine::error(e.to_string()));
    }
    session.view.selected = Some(new_id);
    changed(session, env.waker);
    Some(StatusLine::info(format!("Duplicated as '{name}'; saving…")))
}

fn delete(session: &mut Session, id: Uuid, env: &Env) -> Option<StatusLine> {
    let name = session.vault.by_id(id)?.name.clone();
    session.dialog = None;
    if let Err(e) = session.vault.delete_to_trash(&name, env.now) {
        return Some(StatusLine::error(e.to_string()));
    }
    if session.view.selected == Some(id) {
        session.view.selected = None;
    }
    session.reveal = None;
    changed(session, env.waker);
    Some(StatusLine::info(format!(
        "Moved '{name}' to the trash (Trash in the sidebar brings it back); saving…"
    )))
}

fn tick_checklist(session: &mut Session, id: Uuid, item: usize, done: bool, env: &Env) {
    let Some(entry) = session.vault.entries.iter_mut().find(|e| e.id == id) else {
        return;
    };
    let Some(step) = entry
        .incident
        .as_mut()
        .and_then(|incident| incident.checklist.get_mut(item))
    else {
        return;
    };
    step.done_at = done.then_some(env.now);
    changed(session, env.waker);
}

fn update_settings(session: &mut Session, settings: VaultSettings, env: &Env) -> StatusLine {
    session.vault.settings = settings;
    changed(session, env.waker);
    StatusLine::info("Settings changed; saving…")
}

/// Takes the Settings page's master password fields into a change made by the next save job
/// (which checks the current password and derives the new key off the UI thread, through the
/// library's `VaultFile::change_credentials`, as `keyward passwd` does).
fn change_master_password(session: &mut Session, env: &mut Env) -> StatusLine {
    let draft = &mut session.settings;
    let kdf = draft.kdf.map_or(session.kdf, KdfPreset::params);
    if let Some(why) = draft.master_refusal(session.kdf) {
        draft.master_error = Some(why.to_owned());
        return StatusLine::error(why);
    }
    let key_file = match session.key_file.as_deref().map(KeyFile::read).transpose() {
        Ok(k) => k,
        Err(e) => {
            let why = e.to_string();
            draft.master_error = Some(why.clone());
            return StatusLine::error(why);
        }
    };
    let current = draft.current.take_secret();
    let new = if draft.new.is_empty() {
        current.clone()
    } else {
        draft.new.take_secret()
    };
    draft.repeat.wipe();
    draft.strength = None;
    draft.master_error = None;
    // The password fields' undo histories held what was typed.
    *env.forget_widgets = true;
    session.pending_key = Some(KeyChange {
        current: Credentials::new(current, key_file.clone()),
        new: Credentials::new(new, key_file),
        kdf,
    });
    changed(session, env.waker);
    StatusLine::info(format!(
        "Changing the master password ({kdf}); checking the current one and re-encrypting…"
    ))
}

fn apply_import(
    session: &mut Session,
    entries: Vec<Entry>,
    rule: ClashRule,
    source: &str,
    env: &mut Env,
) -> StatusLine {
    let plan = match crate::transfer::plan_import(&session.vault, entries, rule) {
        Ok(plan) => plan,
        Err(e) => return StatusLine::error(format!("Nothing imported: {e}")),
    };
    let clashes = plan.clashes();
    if !clashes.is_empty() {
        return StatusLine::error(format!(
            "Nothing imported: {} name(s) already taken: {}",
            clashes.len(),
            clashes.join(", ")
        ));
    }
    let summary = plan.summary();
    session.vault = plan.vault;
    session.providers.normalise(&mut session.vault);
    session.dialog = None;
    // The file password field's undo history held what was typed.
    *env.forget_widgets = true;
    session.reveal = None;
    changed(session, env.waker);
    StatusLine::info(format!("Imported from {source}: {summary}; saving…"))
}

/// Opens a file dialog for the open export or import dialog, or for the scan page.
fn pick_in_session(session: &mut Session, pick: FilePick, env: &Env) {
    let slot = match (pick, &mut session.dialog) {
        (FilePick::ExportTo(_), Some(Dialog::Export(state))) => &mut state.pick,
        (FilePick::ImportFrom, Some(Dialog::Import(state))) => &mut state.pick,
        (FilePick::ScanFolder, _) => &mut session.scan.pick,
        (FilePick::MergeFrom, Some(Dialog::MergeOther(state))) => &mut state.pick,
        _ => return,
    };
    if slot.is_none() {
        *slot = Some(tasks::start_pick(pick, env.ask_file.clone(), env.waker));
    }
}

fn generate_key_pair(session: &mut Session, alg: KeyAlgorithm, waker: &Waker) {
    if let Some(Dialog::Editor(state)) = &mut session.dialog
        && !state.is_busy()
    {
        tasks::start_keygen(state, alg, waker);
    }
}

/// Applies the conflict dialog's choices (the library's rule) and saves what changed.
fn resolve_conflicts(session: &mut Session, env: &Env) -> Option<StatusLine> {
    let state = session.conflicts.take()?;
    let (swapped, status) = tasks::apply_choices(&mut session.vault, state, env.now);
    if swapped {
        session.reveal = None;
        changed(session, env.waker);
    }
    Some(status)
}

fn start_export(session: &mut Session, waker: &Waker) {
    let Some(Dialog::Export(state)) = &mut session.dialog else {
        return;
    };
    let path = state.path.trim();
    let exists = !path.is_empty() && std::fs::symlink_metadata(path).is_ok();
    if !state.is_busy() && state.refusal(exists).is_none() {
        tasks::start_export(state, &session.vault, waker);
    }
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
