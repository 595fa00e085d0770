//! `apply` without egui: each test builds an [`AppState`] on a real vault file in a temporary
//! folder, applies commands, lets the jobs they start finish through `tasks::poll`, and checks
//! the state (and the file) that results. Every [`Command`] variant has a test here.

use std::path::{Path, PathBuf};

use chrono::TimeZone;

use super::*;
use crate::app::command::Confirm;
use crate::app::prefs::{AppPrefs, ThemeChoice};
use crate::app::reminders::{Banner, BannerLine};
use crate::app::unlock::CreateState;
use crate::app::widgets::SecretBuffer;
use crate::clipboard::FakeClipboard;
use crate::store::{KdfParams, KdfPreset, VaultFile};
use crate::transfer::{ExportOptions, Format};
use crate::vault::merge::Side;
use crate::vault::{Credential, Field, NewParts, Status, Vault};

const PASSWORD: &str = "plaid-otter-quantum-harbor-71";
const SECRET: &str = "bnc-SECRET-9f8e7d6c5b4a";
const TOKEN: &str = "ghp_TOKEN_1234567890";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("date")
}

fn fast_kdf() -> KdfParams {
    KdfParams::from_mib(1, 1, 1).expect("test KDF parameters")
}

fn sample_vault() -> Vault {
    let mut vault = Vault::default();
    let mut binance = Entry::new(
        "binance-bot",
        Credential::SharedSecret {
            key_id: "BNC-KEY-1".into(),
            secret: SECRET.into(),
            passphrase: None,
        },
        t0() - Duration::days(120),
    );
    binance.provider = "binance".into();
    vault.add(binance).expect("add");
    let github = Entry::new(
        "github-ci",
        Credential::Token {
            token: TOKEN.into(),
        },
        t0() - Duration::days(10),
    );
    vault.add(github).expect("add");
    vault
}

/// The file dialogs' answers: a fixed path per question; the calendar goes to a file of
/// this process in the temp dir.
fn answer(pick: FilePick) -> Option<PathBuf> {
    Some(match pick {
        FilePick::SaveCalendar => calendar_path(),
        other => PathBuf::from(format!("/answered/{other:?}")),
    })
}

fn calendar_path() -> PathBuf {
    std::env::temp_dir().join(format!("keyward-apply-calendar-{}.ics", std::process::id()))
}

struct Fixture {
    state: AppState,
    clipboard: FakeClipboard,
    path: PathBuf,
    dir: tempfile::TempDir,
}

impl Fixture {
    /// The app on the screen `screen` makes for a vault path in a fresh folder.
    fn on(screen: impl FnOnce(&Path) -> Screen) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("vault.keyward");
        let clipboard = FakeClipboard::new();
        let mut state = AppState::new(
            AppPrefs::default(),
            TimedClipboard::new(Box::new(clipboard.clone())),
            Screen::Create(CreateState::new(path.clone())),
            t0(),
            Waker::default(),
            answer,
        );
        state.new_vault_kdf = Some(fast_kdf());
        VaultFile::create(&path, PASSWORD.into(), fast_kdf(), &sample_vault()).expect("create");
        state.screen = screen(&path);
        Fixture {
            state,
            clipboard,
            path,
            dir,
        }
    }

    /// The unlock screen on the sample vault.
    fn locked() -> Fixture {
        Self::on(|path| Screen::Unlock(UnlockState::new(path.to_owned())))
    }

    /// The sample vault, unlocked.
    fn unlocked() -> Fixture {
        Self::on(|path| {
            let (file, vault) = VaultFile::open(path, PASSWORD.into()).expect("open");
            let session = Session::new(path.to_owned(), file, vault);
            Screen::Main(Box::new(session))
        })
    }

    fn apply(&mut self, command: Command) {
        apply(&mut self.state, command, t0());
    }

    /// Polls until no job runs (the unlock screen's file dialog included).
    fn settle(&mut self) {
        for _ in 0..4000 {
            tasks::poll(&mut self.state, t0());
            let picking = matches!(&self.state.screen, Screen::Unlock(u) if u.pick.is_some());
            if !self.state.is_busy() && !picking {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("a job did not finish");
    }

    fn session(&self) -> &Session {
        self.state.session().expect("unlocked")
    }

    fn session_mut(&mut self) -> &mut Session {
        match &mut self.state.screen {
            Screen::Main(session) => session,
            _ => panic!("not unlocked"),
        }
    }

    fn id(&self, name: &str) -> Uuid {
        self.session().vault.get(name).expect("entry").id
    }

    fn status(&self) -> &str {
        &self.state.status.text
    }

    fn on_disk(&self) -> Vault {
        VaultFile::open(&self.path, PASSWORD.into())
            .expect("open")
            .1
    }

    fn dialog(&mut self) -> Option<&mut Dialog> {
        self.session_mut().dialog.as_mut()
    }
}

#[test]
fn unlock_asks_for_a_password_rejects_a_wrong_one_and_opens_with_the_right_one() {
    let mut f = Fixture::locked();
    f.apply(Command::Unlock("".into()));
    let Screen::Unlock(unlock) = &f.state.screen else {
        panic!("still locked");
    };
    assert_eq!(unlock.error.as_deref(), Some("Type the master password."));
    assert!(unlock.job.is_none());

    f.apply(Command::Unlock("not it".into()));
    f.settle();
    let Screen::Unlock(unlock) = &f.state.screen else {
        panic!("still locked");
    };
    assert!(
        unlock
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("Wrong password"))
    );

    f.state.forget_widgets = false;
    f.apply(Command::Unlock(PASSWORD.into()));
    assert!(
        f.state.forget_widgets,
        "the typed password's undo history goes"
    );
    f.settle();
    assert!(f.status().starts_with("Unlocked"), "{}", f.status());
    assert_eq!(f.session().vault.entries.len(), 2);
    assert_eq!(f.state.prefs.last_vault.as_deref(), Some(f.path.as_path()));
}

#[test]
fn create_vault_refuses_differing_passwords_then_creates_the_file() {
    let mut f = Fixture::on(|path| {
        let new = path.with_file_name("new.keyward");
        Screen::Create(CreateState::new(new))
    });
    let new = f.dir.path().join("new.keyward");
    let Screen::Create(create) = &mut f.state.screen else {
        panic!("create screen");
    };
    create.password = SecretBuffer::from_secret(&PASSWORD.into());
    create.repeat = SecretBuffer::from_secret(&"something else".into());
    f.apply(Command::CreateVault);
    let Screen::Create(create) = &mut f.state.screen else {
        panic!("create screen");
    };
    assert!(create.job.is_none(), "the two passwords differ");
    create.repeat = SecretBuffer::from_secret(&PASSWORD.into());
    f.apply(Command::CreateVault);
    f.settle();
    assert_eq!(f.status(), "Vault created and saved");
    assert!(f.session().vault.entries.is_empty());
    assert!(VaultFile::open(&new, PASSWORD.into()).is_ok());
}

#[test]
fn show_unlock_shows_the_unlock_screen_of_that_path() {
    let mut f = Fixture::on(|path| Screen::Create(CreateState::new(path.with_extension("x"))));
    f.apply(Command::ShowUnlock(f.path.clone()));
    let Screen::Unlock(unlock) = &f.state.screen else {
        panic!("unlock screen");
    };
    assert_eq!(unlock.path, f.path);
    assert!(f.state.forget_widgets);
}

#[test]
fn pick_file_on_the_unlock_screen_hands_a_new_path_to_the_create_screen() {
    for pick in [FilePick::OpenVault, FilePick::NewVault] {
        let mut f = Fixture::locked();
        f.apply(Command::PickFile(pick));
        f.settle();
        let Screen::Create(create) = &f.state.screen else {
            panic!("the answered path does not exist: the create screen shows");
        };
        assert_eq!(create.path, PathBuf::from(format!("/answered/{pick:?}")));
    }
}

#[test]
fn pick_file_fills_the_export_import_and_scan_paths() {
    let mut f = Fixture::unlocked();
    f.apply(Command::OpenDialog(DialogRequest::Export));
    f.apply(Command::PickFile(FilePick::ExportTo(Format::Kdbx)));
    f.settle();
    let Some(Dialog::Export(export)) = f.dialog() else {
        panic!("export dialog");
    };
    assert_eq!(export.path, "/answered/ExportTo(Kdbx)");

    f.apply(Command::OpenDialog(DialogRequest::Import));
    f.apply(Command::PickFile(FilePick::ImportFrom));
    f.settle();
    let Some(Dialog::Import(import)) = f.dialog() else {
        panic!("import dialog");
    };
    assert_eq!(import.path, "/answered/ImportFrom");

    f.apply(Command::PickFile(FilePick::ScanFolder));
    f.settle();
    assert_eq!(f.session().scan.folder, "/answered/ScanFolder");

    // The export dialog is not open: its pick has nowhere to go and nothing starts.
    f.apply(Command::PickFile(FilePick::ExportTo(Format::Kdbx)));
    f.apply(Command::PickFile(FilePick::SaveCalendar));
    assert!(!f.state.is_busy());
}

#[test]
fn lock_drops_the_vault_clears_the_clipboard_and_says_why() {
    for (reason, message) in [
        (LockReason::Button, "Locked"),
        (LockReason::Shortcut, "Locked"),
        (LockReason::Idle(5), "Locked after 5 minutes without input"),
        (LockReason::Minimized, "Locked when minimised"),
    ] {
        let mut f = Fixture::unlocked();
        let id = f.id("binance-bot");
        f.apply(Command::Copy {
            id,
            field: Field::Secret,
        });
        assert_eq!(f.clipboard.contents().as_deref(), Some(SECRET));
        f.apply(Command::Lock(reason));
        assert!(f.state.session().is_none());
        assert!(!f.state.holds_secrets());
        assert_eq!(f.status(), message);
        assert_eq!(f.clipboard.contents(), None, "the copied secret is cleared");
        assert!(f.state.forget_widgets);
    }
}

#[test]
fn a_save_running_at_lock_time_finishes_before_the_lock() {
    let mut f = Fixture::unlocked();
    let mut settings = f.session().vault.settings.clone();
    settings.reveal_seconds = 7;
    f.apply(Command::UpdateSettings(settings));
    assert!(f.session().save_job.is_some());
    f.apply(Command::Lock(LockReason::Button));
    assert!(f.state.session().is_none());
    assert!(f.state.orphan_saves.is_empty(), "the lock waited for it");
    assert_eq!(f.status(), "Locked");
    assert_eq!(f.on_disk().settings.reveal_seconds, 7);
    assert!(crate::store::find_recovery(&f.path).is_empty());
}

#[test]
fn show_page_switches_and_the_settings_page_starts_from_the_vault() {
    let mut f = Fixture::unlocked();
    f.session_mut().settings.vault.clipboard_seconds = 99;
    f.apply(Command::ShowPage(Page::Settings));
    assert_eq!(f.session().page, Page::Settings);
    let stored = f.session().vault.settings.clipboard_seconds;
    assert_eq!(f.session().settings.vault.clipboard_seconds, stored);
    f.apply(Command::ShowPage(Page::Audit));
    assert_eq!(f.session().page, Page::Audit);
}

#[test]
fn show_entry_selects_the_key_on_the_keys_page() {
    let mut f = Fixture::unlocked();
    f.apply(Command::ShowPage(Page::Reminders));
    let id = f.id("github-ci");
    f.apply(Command::ShowEntry(id));
    assert_eq!(f.session().view.selected, Some(id));
    assert_eq!(f.session().page, Page::Keys);
}

#[test]
fn focus_search_shows_the_keys_with_the_search_focused() {
    let mut f = Fixture::unlocked();
    f.apply(Command::ShowPage(Page::Scan));
    f.apply(Command::FocusSearch);
    assert_eq!(f.session().page, Page::Keys);
    assert!(f.session().view.focus_search);
}

#[test]
fn dismiss_banner_hides_it() {
    let mut f = Fixture::unlocked();
    f.session_mut().banner = Some(Banner {
        lines: vec![BannerLine {
            title: "Expired",
            names: vec!["github-ci".to_owned()],
        }],
    });
    f.apply(Command::DismissBanner);
    assert!(f.session().banner.is_none());
}

#[test]
fn new_entry_and_edit_entry_open_the_editor() {
    let mut f = Fixture::unlocked();
    f.apply(Command::ShowPage(Page::Audit));
    f.apply(Command::NewEntry);
    assert_eq!(f.session().page, Page::Keys);
    let Some(Dialog::Editor(editor)) = f.dialog() else {
        panic!("editor");
    };
    assert!(editor.is_new);
    assert_eq!(editor.name, "");

    let id = f.id("binance-bot");
    f.apply(Command::EditEntry(id));
    let Some(Dialog::Editor(editor)) = f.dialog() else {
        panic!("editor");
    };
    assert!(!editor.is_new);
    assert_eq!(editor.name, "binance-bot");
    assert_eq!(editor.secret.expose(), SECRET);

    f.apply(Command::CloseDialog);
    f.apply(Command::EditEntry(Uuid::new_v4()));
    assert!(
        f.session().dialog.is_none(),
        "no editor for a key that is not there"
    );
}

#[test]
fn open_dialog_opens_each_kind_and_nothing_for_a_missing_key() {
    let mut f = Fixture::unlocked();
    let id = f.id("binance-bot");
    f.apply(Command::OpenDialog(DialogRequest::Rotate(id)));
    assert!(matches!(f.dialog(), Some(Dialog::Rotate(r)) if r.id == id));
    f.apply(Command::OpenDialog(DialogRequest::Compromise {
        id,
        reason: "found in a log".into(),
    }));
    assert!(
        matches!(f.dialog(), Some(Dialog::Compromise { id: i, reason }) if *i == id && reason.as_str() == "found in a log")
    );
    f.apply(Command::OpenDialog(DialogRequest::Confirm(
        Confirm::Delete(id),
    )));
    assert!(matches!(f.dialog(), Some(Dialog::Confirm(Confirm::Delete(i))) if *i == id));
    f.apply(Command::OpenDialog(DialogRequest::Export));
    assert!(matches!(f.dialog(), Some(Dialog::Export(_))));
    f.apply(Command::OpenDialog(DialogRequest::Import));
    assert!(matches!(f.dialog(), Some(Dialog::Import(_))));

    f.apply(Command::CloseDialog);
    f.apply(Command::OpenDialog(DialogRequest::Rotate(Uuid::new_v4())));
    assert!(f.session().dialog.is_none());
}

#[test]
fn close_dialog_forgets_typed_passwords_of_the_transfer_dialogs_only() {
    let mut f = Fixture::unlocked();
    let id = f.id("binance-bot");
    f.apply(Command::OpenDialog(DialogRequest::Rotate(id)));
    f.apply(Command::CloseDialog);
    assert!(f.session().dialog.is_none());
    assert!(!f.state.forget_widgets);
    f.apply(Command::OpenDialog(DialogRequest::Export));
    f.apply(Command::CloseDialog);
    assert!(f.session().dialog.is_none());
    assert!(f.state.forget_widgets);
}

#[test]
fn save_entry_adds_and_saves_or_reports_a_taken_name_in_the_editor() {
    let mut f = Fixture::unlocked();
    f.apply(Command::NewEntry);
    let mut entry = Entry::new(
        "kraken-read",
        Credential::Token {
            token: "krk-token-value".into(),
        },
        t0(),
    );
    let id = entry.id;
    f.apply(Command::SaveEntry {
        entry: Box::new(entry.clone()),
        is_new: true,
    });
    assert_eq!(f.status(), "Added 'kraken-read'; saving…");
    assert!(f.session().dialog.is_none());
    assert_eq!(f.session().view.selected, Some(id));
    assert!(f.session().unsaved());
    f.settle();
    assert_eq!(f.status(), "Saved");
    assert!(!f.session().unsaved());
    assert!(f.on_disk().get("kraken-read").is_some());

    f.apply(Command::NewEntry);
    entry.id = Uuid::new_v4();
    f.apply(Command::SaveEntry {
        entry: Box::new(entry),
        is_new: true,
    });
    let Some(Dialog::Editor(editor)) = f.dialog() else {
        panic!("the editor stays open");
    };
    assert!(editor.error.is_some(), "the name is taken");
    assert_eq!(f.session().vault.entries.len(), 3);

    let mut changed = f.session().vault.get("github-ci").expect("entry").clone();
    changed.purpose = "CI deploys".into();
    f.apply(Command::SaveEntry {
        entry: Box::new(changed),
        is_new: false,
    });
    assert_eq!(f.status(), "Updated 'github-ci'; saving…");
    f.settle();
    assert_eq!(
        f.on_disk().get("github-ci").expect("entry").purpose,
        "CI deploys"
    );
}

#[test]
fn generate_key_pair_fills_the_editors_key_fields() {
    let mut f = Fixture::unlocked();
    f.apply(Command::NewEntry);
    f.apply(Command::GenerateKeyPair(KeyAlgorithm::Ed25519));
    f.settle();
    let Some(Dialog::Editor(editor)) = f.dialog() else {
        panic!("editor");
    };
    assert!(!editor.private_key.is_empty());
    assert!(editor.public_key.contains("BEGIN PUBLIC KEY"));
    let alg = KeyAlgorithm::Ed25519.to_string();
    assert!(
        matches!(&editor.keygen_note, Some(Ok(note)) if note.starts_with(&format!("Generated an {alg} key pair"))),
        "{:?}",
        editor.keygen_note
    );
}

#[test]
fn rotate_keeps_the_old_secret_in_history_and_copy_history_copies_it() {
    let mut f = Fixture::unlocked();
    let id = f.id("binance-bot");
    f.apply(Command::Reveal {
        id,
        field: Field::Secret,
    });
    f.apply(Command::Rotate {
        id,
        parts: NewParts::secret("bnc-NEW-secret-000".into()),
    });
    assert!(f.status().starts_with("Rotated 'binance-bot'"));
    assert!(f.session().reveal.is_none(), "nothing stays revealed");
    let entry = f.session().vault.by_id(id).expect("entry");
    assert_eq!(
        entry
            .credential
            .field(Field::Secret)
            .map(|v| v.expose().to_owned()),
        Some("bnc-NEW-secret-000".to_owned())
    );
    assert_eq!(entry.history.len(), 1);

    f.apply(Command::CopyHistory { id, index: 0 });
    assert_eq!(f.clipboard.contents().as_deref(), Some(SECRET));
    assert_eq!(f.status(), "Copied the previous secret of binance-bot");
    f.settle();
    assert_eq!(
        f.on_disk().get("binance-bot").expect("entry").history.len(),
        1
    );
}

#[test]
fn copy_custom_field_copies_its_value_and_nothing_for_an_unknown_name() {
    let mut f = Fixture::unlocked();
    let id = f.id("binance-bot");
    f.session_mut()
        .vault
        .get_mut("binance-bot")
        .expect("entry")
        .custom_fields =
        thin_vec::thin_vec![crate::vault::CustomField::new("Recovery", "rc-1234", true)];
    f.apply(Command::CopyCustomField {
        id,
        name: "Recovery".into(),
    });
    assert_eq!(f.clipboard.contents().as_deref(), Some("rc-1234"));
    assert_eq!(f.status(), "Copied the field Recovery of binance-bot");
    f.clipboard.set_by_other_program("other text");
    // The same name rule as `keyward copy --field field:recovery`: case does not matter.
    f.apply(Command::CopyCustomField {
        id,
        name: "RECOVERY".into(),
    });
    assert_eq!(f.clipboard.contents().as_deref(), Some("rc-1234"));
    f.clipboard.set_by_other_program("other text");
    f.apply(Command::CopyCustomField {
        id,
        name: "Nope".into(),
    });
    assert_eq!(
        f.clipboard.contents().as_deref(),
        Some("other text"),
        "no such field: nothing copied"
    );
}

#[test]
fn reveal_custom_field_finds_it_by_the_vaults_name_rule_and_an_edit_masks_it() {
    let mut f = Fixture::unlocked();
    let id = f.id("binance-bot");
    f.session_mut()
        .vault
        .get_mut("binance-bot")
        .expect("entry")
        .custom_fields = thin_vec::thin_vec![
        crate::vault::CustomField::new("Desk", "otc", false),
        crate::vault::CustomField::new("Recovery", "rc-1234", true),
    ];
    f.apply(Command::RevealCustomField {
        id,
        name: "recovery".into(),
    });
    let seconds = i64::from(f.session().vault.settings.reveal_seconds);
    assert_eq!(
        f.session().reveal,
        Some(Reveal {
            id,
            what: Revealed::Custom(1),
            until: t0() + Duration::seconds(seconds),
        }),
        "the same timed reveal as a secret part"
    );
    tick(&mut f.state, t0() + Duration::seconds(seconds));
    assert!(f.session().reveal.is_none(), "masked again by itself");
    f.apply(Command::RevealCustomField {
        id,
        name: "Nope".into(),
    });
    assert!(f.session().reveal.is_none(), "no such field: nothing shown");
    // An edit may put another field at the revealed place: saving masks it.
    f.apply(Command::RevealCustomField {
        id,
        name: "Recovery".into(),
    });
    let mut edited = f.session().vault.by_id(id).expect("entry").clone();
    edited.custom_fields.reverse();
    f.apply(Command::SaveEntry {
        entry: Box::new(edited),
        is_new: false,
    });
    assert!(
        f.session().reveal.is_none(),
        "saving the key masks its field"
    );
}

#[test]
fn mark_compromised_then_tick_and_untick_a_checklist_step() {
    let mut f = Fixture::unlocked();
    let id = f.id("github-ci");
    f.apply(Command::OpenDialog(DialogRequest::Compromise {
        id,
        reason: String::new(),
    }));
    f.apply(Command::MarkCompromised {
        id,
        reason: "pasted in a chat".into(),
    });
    assert!(f.session().dialog.is_none());
    let entry = f.session().vault.by_id(id).expect("entry");
    assert_eq!(entry.status, Status::Compromised);
    let incident = entry.incident.as_ref().expect("incident");
    assert_eq!(incident.reason, "pasted in a chat");
    assert!(!incident.checklist.is_empty());

    let before = f.session().changes;
    f.apply(Command::TickChecklist {
        id,
        item: 0,
        done: true,
    });
    let step = |f: &Fixture| {
        f.session()
            .vault
            .by_id(id)
            .expect("entry")
            .incident
            .as_ref()
            .expect("incident")
            .checklist[0]
            .done_at
    };
    assert_eq!(step(&f), Some(t0()));
    assert_eq!(f.session().changes, before + 1);
    f.apply(Command::TickChecklist {
        id,
        item: 0,
        done: false,
    });
    assert_eq!(step(&f), None);
    f.apply(Command::TickChecklist {
        id,
        item: 999,
        done: true,
    });
    assert_eq!(f.session().changes, before + 2, "no such step: no change");
}

#[test]
fn revoke_marks_the_key_revoked() {
    let mut f = Fixture::unlocked();
    let id = f.id("github-ci");
    f.apply(Command::Revoke(id));
    assert_eq!(f.status(), "Revoked 'github-ci'; saving…");
    assert_eq!(
        f.session().vault.by_id(id).expect("entry").status,
        Status::Revoked
    );
    f.settle();
    assert_eq!(
        f.on_disk().get("github-ci").expect("entry").status,
        Status::Revoked
    );
}

#[test]
fn duplicate_copies_under_an_unused_name_and_selects_the_copy() {
    let mut f = Fixture::unlocked();
    let id = f.id("github-ci");
    f.apply(Command::Duplicate(id));
    assert_eq!(f.session().vault.entries.len(), 3);
    let selected = f.session().view.selected.expect("the copy is selected");
    assert_ne!(selected, id);
    let copy = f.session().vault.by_id(selected).expect("copy");
    assert_ne!(copy.name, "github-ci");
    assert_eq!(
        f.status(),
        format!("Duplicated as '{}'; saving…", copy.name)
    );
}

#[test]
fn delete_moves_the_key_to_the_trash_and_clears_its_selection() {
    let mut f = Fixture::unlocked();
    let id = f.id("github-ci");
    f.apply(Command::ShowEntry(id));
    f.apply(Command::OpenDialog(DialogRequest::Confirm(
        Confirm::Delete(id),
    )));
    f.apply(Command::Delete(id));
    assert!(f.session().dialog.is_none());
    assert!(f.session().vault.by_id(id).is_none());
    assert_eq!(f.session().view.selected, None);
    assert_eq!(
        f.status(),
        "Moved 'github-ci' to the trash (Trash in the sidebar brings it back); saving…"
    );
    f.settle();
    let on_disk = f.on_disk();
    assert!(on_disk.get("github-ci").is_none());
    let trashed = on_disk.trashed("github-ci").expect("in the trash on disk");
    assert!(
        !trashed.entry.credential.primary_secret().is_empty(),
        "the trashed key keeps its secret"
    );
}

#[test]
fn copy_puts_the_part_on_the_clipboard_for_the_vaults_time() {
    let mut f = Fixture::unlocked();
    let id = f.id("binance-bot");
    f.apply(Command::Copy {
        id,
        field: Field::Secret,
    });
    assert_eq!(f.clipboard.contents().as_deref(), Some(SECRET));
    assert!(f.clipboard.marked_secret());
    assert_eq!(f.status(), "Copied the secret of binance-bot");
    let seconds = i64::from(f.session().vault.settings.clipboard_seconds);
    assert_eq!(f.state.clipboard.remaining_seconds(t0()), Some(seconds));
    assert_eq!(f.state.clipboard.label(), Some("secret of binance-bot"));

    f.apply(Command::Copy {
        id,
        field: Field::Passphrase,
    });
    assert!(f.state.status.is_error);
    assert_eq!(f.status(), "'binance-bot' has no passphrase to copy");
    assert_eq!(f.clipboard.contents().as_deref(), Some(SECRET), "unchanged");
}

#[test]
fn copy_text_copies_what_the_app_made() {
    let mut f = Fixture::unlocked();
    f.apply(Command::CopyText {
        text: "a1b2c3".into(),
        label: "signature by binance-bot".into(),
    });
    assert_eq!(f.clipboard.contents().as_deref(), Some("a1b2c3"));
    assert_eq!(f.status(), "Copied the signature by binance-bot");
}

#[test]
fn clear_clipboard_clears_ours_and_leaves_another_programs_copy() {
    let mut f = Fixture::unlocked();
    let id = f.id("github-ci");
    f.apply(Command::Copy {
        id,
        field: Field::Secret,
    });
    assert_eq!(f.clipboard.contents().as_deref(), Some(TOKEN));
    f.apply(Command::ClearClipboard);
    assert_eq!(f.clipboard.contents(), None);
    assert_eq!(f.status(), "Clipboard cleared");

    f.apply(Command::Copy {
        id,
        field: Field::Secret,
    });
    f.clipboard.set_by_other_program("someone else's text");
    f.apply(Command::ClearClipboard);
    assert_eq!(
        f.clipboard.contents().as_deref(),
        Some("someone else's text")
    );
    assert_eq!(
        f.status(),
        "Clipboard left alone: it no longer held the copied secret"
    );
}

#[test]
fn the_clipboard_clears_itself_when_its_time_is_up() {
    let mut f = Fixture::unlocked();
    let id = f.id("github-ci");
    f.apply(Command::Copy {
        id,
        field: Field::Secret,
    });
    let seconds = i64::from(f.session().vault.settings.clipboard_seconds);
    tick(&mut f.state, t0() + Duration::seconds(seconds - 1));
    assert_eq!(f.clipboard.contents().as_deref(), Some(TOKEN));
    tick(&mut f.state, t0() + Duration::seconds(seconds));
    assert_eq!(f.clipboard.contents(), None);
    assert_eq!(f.status(), "Clipboard cleared");
}

#[test]
fn reveal_shows_for_the_vaults_time_and_hide_masks_again() {
    let mut f = Fixture::unlocked();
    let id = f.id("binance-bot");
    f.apply(Command::Reveal {
        id,
        field: Field::Secret,
    });
    let seconds = i64::from(f.session().vault.settings.reveal_seconds);
    assert_eq!(
        f.session().reveal,
        Some(Reveal {
            id,
            what: Revealed::Part(Field::Secret),
            until: t0() + Duration::seconds(seconds),
        })
    );
    tick(&mut f.state, t0() + Duration::seconds(seconds - 1));
    assert!(f.session().reveal.is_some());
    tick(&mut f.state, t0() + Duration::seconds(seconds));
    assert!(f.session().reveal.is_none(), "masked again by itself");

    f.apply(Command::Reveal {
        id,
        field: Field::Secret,
    });
    f.apply(Command::Hide);
    assert!(f.session().reveal.is_none());
}

#[test]
fn update_settings_stores_them_in_the_vault_file() {
    let mut f = Fixture::unlocked();
    let mut settings = f.session().vault.settings.clone();
    settings.idle_lock_minutes = 15;
    f.apply(Command::UpdateSettings(settings));
    assert_eq!(f.status(), "Settings changed; saving…");
    f.settle();
    assert_eq!(f.on_disk().settings.idle_lock_minutes, 15);
}

#[test]
fn the_idle_time_and_a_minimised_window_call_for_a_lock() {
    let mut f = Fixture::unlocked();
    f.session_mut().vault.settings.idle_lock_minutes = 5;
    f.session_mut().vault.settings.lock_on_minimize = true;
    assert!(due_lock(&f.state, t0() + Duration::minutes(4), false).is_none());
    assert!(matches!(
        due_lock(&f.state, t0() + Duration::minutes(5), false),
        Some(Command::Lock(LockReason::Idle(5)))
    ));
    assert!(matches!(
        due_lock(&f.state, t0(), true),
        Some(Command::Lock(LockReason::Minimized))
    ));
}

/// Fills the Settings page's master password section.
fn fill_master(f: &mut Fixture, current: &str, new: &str, kdf: Option<KdfPreset>) {
    let draft = &mut f.session_mut().settings;
    draft.current = SecretBuffer::from_secret(&current.into());
    draft.new = SecretBuffer::from_secret(&new.into());
    draft.repeat = SecretBuffer::from_secret(&new.into());
    draft.strength = (!new.is_empty()).then(|| crate::store::PasswordStrength::of(new));
    draft.kdf = kdf;
}

#[test]
fn change_master_password_checks_the_current_one_and_re_encrypts() {
    const NEW: &str = "walnut-cobalt-meridian-lantern-93";
    let mut f = Fixture::unlocked();
    let salt_before = *f.session().key.salt();

    // A wrong current password changes nothing, and says so.
    fill_master(&mut f, "not the password", NEW, None);
    f.apply(Command::ChangeMasterPassword);
    assert!(
        f.session().settings.current.is_empty(),
        "the fields are taken"
    );
    f.settle();
    assert!(
        f.status().contains("current master password is wrong"),
        "{}",
        f.status()
    );
    assert!(VaultFile::open(&f.path, PASSWORD.into()).is_ok());
    assert!(VaultFile::open(&f.path, NEW.into()).is_err());

    // A weak new password is refused before anything runs, as on the create screen.
    fill_master(&mut f, PASSWORD, "password1", None);
    assert!(
        f.session()
            .settings
            .master_refusal(f.session().kdf)
            .is_some()
    );

    // The right one: the file opens with the new password only, under a new salt.
    fill_master(&mut f, PASSWORD, NEW, None);
    f.apply(Command::ChangeMasterPassword);
    f.settle();
    assert!(
        f.status()
            .starts_with("Master password and key derivation changed"),
        "{}",
        f.status()
    );
    assert!(VaultFile::open(&f.path, PASSWORD.into()).is_err());
    let (file, vault) = VaultFile::open(&f.path, NEW.into()).expect("opens with the new password");
    assert_ne!(*file.key().salt(), salt_before);
    assert!(
        f.session().key.same_as(file.key()),
        "the session holds the new key"
    );
    assert_eq!(vault.entries.len(), sample_vault().entries.len());

    // The strength alone, with the password kept (empty new password).
    let mut settings = f.session().vault.settings.clone();
    settings.reveal_seconds = 9;
    f.apply(Command::UpdateSettings(settings));
    fill_master(&mut f, NEW, "", Some(KdfPreset::Light));
    f.apply(Command::ChangeMasterPassword);
    f.settle();
    let (file, vault) = VaultFile::open(&f.path, NEW.into()).expect("open");
    assert_eq!(file.kdf(), KdfPreset::Light.params());
    assert_eq!(f.session().kdf, KdfPreset::Light.params());
    assert_eq!(vault.settings.reveal_seconds, 9);
}

#[test]
fn set_theme_is_an_app_preference() {
    let mut f = Fixture::locked();
    f.apply(Command::SetTheme(ThemeChoice::Dark));
    assert_eq!(f.state.prefs.theme, ThemeChoice::Dark);
    assert!(f.state.theme_changed);
}

#[test]
fn retry_save_writes_what_is_kept_in_memory() {
    let mut f = Fixture::unlocked();
    let session = f.session_mut();
    session.vault.settings.reminder_lead_days = 21;
    session.changes += 1;
    session.save_error = Some("disk full".into());
    f.apply(Command::RetrySave);
    assert_eq!(f.status(), "Saving…");
    assert!(f.session().save_error.is_none());
    f.settle();
    assert!(!f.session().unsaved());
    assert_eq!(f.on_disk().settings.reminder_lead_days, 21);
}

/// Another program (a second `VaultFile`, as the CLI is) adds `cli-added`, rotates
/// `github-ci` and deletes nothing; what it wrote is merged into the open session.
fn another_program_writes(f: &Fixture) {
    let (mut file, mut vault) = VaultFile::open(&f.path, PASSWORD.into()).expect("open");
    let added = Entry::new(
        "cli-added",
        Credential::Token {
            token: "cli-TOKEN-1".into(),
        },
        t0(),
    );
    vault.add(added).expect("add");
    let github = vault
        .entries
        .iter_mut()
        .find(|e| e.name == "github-ci")
        .expect("github");
    github.rotate("ghp_ROTATED_BY_CLI".into(), None, t0());
    file.save(&mut vault).expect("save");
}

/// Runs the jobs at `now` until none is left (the watch on the file included).
fn settle_at(f: &mut Fixture, now: DateTime<Utc>) {
    for _ in 0..4000 {
        tasks::poll(&mut f.state, now);
        if !f.state.is_busy() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("a job did not finish");
}

#[test]
fn a_save_merges_what_another_program_wrote_and_keeps_both_changes() {
    let mut f = Fixture::unlocked();
    another_program_writes(&f);
    let id = f.id("binance-bot");
    f.apply(Command::Revoke(id));
    f.settle();
    assert_eq!(
        f.status(),
        "Saved; 2 keys changed by another program were merged"
    );
    assert!(!f.state.status.is_error);
    assert!(!f.session().unsaved());
    let disk = f.on_disk();
    assert_eq!(
        disk.get("binance-bot").expect("entry").status,
        Status::Revoked
    );
    assert!(disk.get("cli-added").is_some(), "the other program's key");
    let github = disk.get("github-ci").expect("github");
    assert_eq!(
        github.credential.primary_secret().expose(),
        "ghp_ROTATED_BY_CLI"
    );
    assert!(github.history.iter().any(|h| h.value.expose() == TOKEN));
    // The session shows the merge too.
    assert!(f.session().vault.get("cli-added").is_some());
}

#[test]
fn a_change_made_while_a_merging_save_runs_is_kept() {
    let mut f = Fixture::unlocked();
    another_program_writes(&f);
    let binance = f.id("binance-bot");
    f.apply(Command::Revoke(binance));
    assert!(f.session().save_job.is_some());
    // Made while the save (which merges the file) runs on its clone of the vault.
    f.apply(Command::UpdateSettings(VaultSettings {
        reminder_lead_days: 33,
        ..f.session().vault.settings.clone()
    }));
    f.settle();
    assert!(!f.session().unsaved());
    let disk = f.on_disk();
    assert_eq!(
        disk.settings.reminder_lead_days, 33,
        "the change made meanwhile"
    );
    assert_eq!(
        disk.get("binance-bot").expect("entry").status,
        Status::Revoked
    );
    assert!(disk.get("cli-added").is_some(), "the other program's key");
    assert_eq!(f.session().vault.settings.reminder_lead_days, 33);
    assert!(f.session().vault.get("cli-added").is_some());
}

#[test]
fn the_watch_merges_another_programs_change_without_any_command() {
    let mut f = Fixture::unlocked();
    let github = f.id("github-ci");
    f.apply(Command::ShowEntry(github));
    f.apply(Command::Reveal {
        id: github,
        field: Field::Secret,
    });
    settle_at(&mut f, t0());
    assert!(f.session().disk.job.is_none(), "no look before it is due");
    another_program_writes(&f);
    let later = t0() + Duration::seconds(1);
    settle_at(&mut f, later);
    assert!(f.session().vault.get("cli-added").is_none(), "not due yet");
    let due = t0() + Duration::seconds(2);
    settle_at(&mut f, due);
    assert_eq!(f.status(), "2 keys changed by another program were merged");
    let session = f.session();
    assert!(session.vault.get("cli-added").is_some());
    assert_eq!(
        session
            .vault
            .get("github-ci")
            .expect("github")
            .credential
            .primary_secret()
            .expose(),
        "ghp_ROTATED_BY_CLI"
    );
    assert!(
        session.reveal.is_none(),
        "the changed key's secret is masked"
    );
    assert_eq!(session.view.selected, Some(github));
    assert!(!session.unsaved(), "nothing of this side's to save");
    assert!(session.file.is_some(), "the watch gave the file back");
}

#[test]
fn the_watch_drops_a_selection_whose_key_the_other_program_deleted() {
    let mut f = Fixture::unlocked();
    let github = f.id("github-ci");
    f.apply(Command::ShowEntry(github));
    settle_at(&mut f, t0());
    let (mut file, mut vault) = VaultFile::open(&f.path, PASSWORD.into()).expect("open");
    vault.delete_to_trash("github-ci", t0()).expect("delete");
    file.save(&mut vault).expect("save");
    drop(file);
    settle_at(&mut f, t0() + Duration::seconds(2));
    assert_eq!(f.status(), "1 key changed by another program was merged");
    assert!(f.session().vault.get("github-ci").is_none());
    assert!(f.session().view.selected.is_none());
    assert!(f.session().vault.trash.iter().any(|t| t.entry.id == github));
}

#[test]
fn an_unchanged_file_is_looked_at_without_a_merge() {
    let mut f = Fixture::unlocked();
    settle_at(&mut f, t0());
    f.state.status = StatusLine::info("before");
    for s in [2, 4, 6] {
        settle_at(&mut f, t0() + Duration::seconds(s));
        assert!(f.session().disk.seen.is_some(), "the file was looked at");
    }
    assert_eq!(f.status(), "before", "nothing to say");
    assert!(f.session().file.is_some());
}

/// Another program rotates `github-ci` an hour after the app's clock, then the app rotates it
/// too: the save's merge finds the secret and the rotation date changed on both sides.
fn both_rotate(f: &mut Fixture) {
    let (mut file, mut vault) = VaultFile::open(&f.path, PASSWORD.into()).expect("open");
    let github = vault
        .entries
        .iter_mut()
        .find(|e| e.name == "github-ci")
        .expect("github");
    github.rotate("ghp_OTHER".into(), None, t0() + Duration::hours(1));
    file.save(&mut vault).expect("save");
    drop(file);
    let id = f.id("github-ci");
    f.apply(Command::Rotate {
        id,
        parts: NewParts::secret("ghp_APP".into()),
    });
    f.settle();
}

#[test]
fn resolve_conflicts_makes_the_chosen_value_current_and_saves() {
    let mut f = Fixture::unlocked();
    both_rotate(&mut f);
    assert_eq!(
        f.status(),
        "Saved; 1 key changed by another program was merged; 2 fields were changed on both sides"
    );
    let rows = &f.session().conflicts.as_ref().expect("the dialog").rows;
    let fields: Vec<&str> = rows.iter().map(|r| r.conflict.field).collect();
    assert_eq!(fields, ["secret", "rotated"]);
    assert!(rows.iter().all(|r| r.choice == Side::Theirs), "newer first");
    let secret = |v: &Vault| {
        v.get("github-ci")
            .expect("github")
            .credential
            .primary_secret()
            .expose()
            .to_owned()
    };
    assert_eq!(
        secret(&f.on_disk()),
        "ghp_OTHER",
        "the merge kept the newer"
    );
    for row in &mut f.session_mut().conflicts.as_mut().expect("dialog").rows {
        row.choice = Side::Ours;
    }
    f.apply(Command::ResolveConflicts);
    assert!(f.session().conflicts.is_none());
    assert!(
        f.status().starts_with("Applied your choice for 2 fields"),
        "{}",
        f.status()
    );
    f.settle();
    let disk = f.on_disk();
    assert_eq!(secret(&disk), "ghp_APP", "this machine's secret is current");
    let github = disk.get("github-ci").expect("github");
    let history: Vec<&str> = github.history.iter().map(|h| h.value.expose()).collect();
    assert!(history.contains(&"ghp_OTHER"), "{history:?}");
    assert!(history.contains(&TOKEN));
    assert!(!history.contains(&"ghp_APP"));
    assert_eq!(
        github.rotated_at,
        Some(t0()),
        "this machine's rotation date"
    );
}

#[test]
fn keep_merged_closes_the_conflict_dialog_and_changes_nothing() {
    let mut f = Fixture::unlocked();
    both_rotate(&mut f);
    let before = f.on_disk();
    f.apply(Command::KeepMerged);
    assert!(f.session().conflicts.is_none());
    assert!(!f.session().unsaved());
    f.settle();
    assert_eq!(f.on_disk(), before);
}

#[test]
fn an_edit_saved_after_the_watch_merged_a_rotation_of_the_same_key_keeps_both() {
    let mut f = Fixture::unlocked();
    settle_at(&mut f, t0());
    let github = f.id("github-ci");
    f.apply(Command::EditEntry(github));
    // While the editor is open, another program rotates the key; the watch merges it.
    another_program_writes(&f);
    settle_at(&mut f, t0() + Duration::seconds(2));
    assert!(f.status().starts_with("2 keys changed"), "{}", f.status());
    // The editor still holds the key as it was; the user changes the notes and saves.
    let Some(Dialog::Editor(editor)) = f.dialog() else {
        panic!("editor");
    };
    let mut edited = editor.base.clone();
    edited.notes = "edited in the app".into();
    f.apply(Command::SaveEntry {
        entry: Box::new(edited),
        is_new: false,
    });
    f.settle();
    let disk = f.on_disk();
    let entry = disk.get("github-ci").expect("github");
    assert_eq!(entry.notes, "edited in the app");
    assert_eq!(
        entry.credential.primary_secret().expose(),
        "ghp_ROTATED_BY_CLI",
        "the rotation made while the editor was open"
    );
    assert!(entry.history.iter().any(|h| h.value.expose() == TOKEN));
    assert!(
        f.session().conflicts.is_none(),
        "different fields: no conflict"
    );
}

#[test]
fn start_export_writes_the_file_the_dialog_names_and_closes_it() {
    let mut f = Fixture::unlocked();
    let out = f.dir.path().join("out.xml");
    f.apply(Command::OpenDialog(DialogRequest::Export));
    f.apply(Command::StartExport);
    assert!(!f.state.is_busy(), "no path yet: nothing starts");
    let Some(Dialog::Export(export)) = f.dialog() else {
        panic!("export dialog");
    };
    export.format = Format::KeepassXml;
    export.path = out.display().to_string();
    f.apply(Command::StartExport);
    f.settle();
    assert!(f.session().dialog.is_none());
    assert!(f.state.forget_widgets);
    assert!(
        f.status().starts_with("Exported 2 key(s) to"),
        "{}",
        f.status()
    );
    let written = std::fs::read_to_string(&out).expect("written");
    assert!(written.contains("binance-bot"));
}

#[test]
fn preview_import_reads_the_file_and_apply_import_adds_its_keys() {
    let mut f = Fixture::unlocked();
    let mut other = Vault::default();
    other
        .add(Entry::new(
            "okx-bot",
            Credential::Token {
                token: "okx-token-value".into(),
            },
            t0(),
        ))
        .expect("add");
    let exported =
        crate::transfer::export(&other, Format::BitwardenJson, &ExportOptions::default())
            .expect("export");
    let file = f.dir.path().join("bitwarden.json");
    std::fs::write(&file, exported.bytes.expose()).expect("write");

    f.apply(Command::OpenDialog(DialogRequest::Import));
    let Some(Dialog::Import(import)) = f.dialog() else {
        panic!("import dialog");
    };
    import.format = Format::BitwardenJson;
    import.path = file.display().to_string();
    f.apply(Command::PreviewImport);
    f.settle();
    let Some(Dialog::Import(import)) = f.dialog() else {
        panic!("import dialog");
    };
    let read = import.read.as_ref().expect("read");
    let entries = read.entries.clone();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        f.session().vault.entries.len(),
        2,
        "a preview changes nothing"
    );

    f.apply(Command::ApplyImport {
        entries: entries.clone(),
        rule: ClashRule::Refuse,
        source: "bitwarden.json".into(),
    });
    assert!(
        f.status().starts_with("Imported from bitwarden.json"),
        "{}",
        f.status()
    );
    assert!(f.session().dialog.is_none());
    f.settle();
    assert!(f.on_disk().get("okx-bot").is_some());

    f.apply(Command::ApplyImport {
        entries,
        rule: ClashRule::Refuse,
        source: "bitwarden.json".into(),
    });
    assert!(f.state.status.is_error);
    assert!(f.status().starts_with("Nothing imported"), "{}", f.status());
    assert_eq!(f.session().vault.entries.len(), 3);
}

#[test]
fn export_calendar_writes_the_dates_and_no_secret() {
    let mut f = Fixture::unlocked();
    f.session_mut().vault.settings.default_rotation_days = 90;
    f.apply(Command::ExportCalendar);
    f.settle();
    let path = calendar_path();
    let ics = std::fs::read_to_string(&path).expect("calendar written");
    std::fs::remove_file(&path).expect("remove");
    assert!(
        f.status().starts_with("Calendar saved to"),
        "{}",
        f.status()
    );
    assert!(ics.contains("BEGIN:VCALENDAR"));
    assert!(ics.contains("binance-bot"));
    assert!(!ics.contains(SECRET) && !ics.contains(TOKEN));
}

#[test]
fn start_scan_finds_a_planted_secret_and_stop_scan_asks_it_to_stop() {
    let mut f = Fixture::unlocked();
    let folder = f.dir.path().join("project");
    std::fs::create_dir(&folder).expect("dir");
    std::fs::write(folder.join("config.env"), format!("KEY={SECRET}\n")).expect("write");
    f.session_mut().scan.folder = folder.display().to_string();
    f.apply(Command::StartScan);
    f.settle();
    assert_eq!(
        f.status(),
        "Scan finished: 1 place(s) hold a stored secret in plain text"
    );
    let done = f.session().scan.done.as_ref().expect("results");
    assert_eq!(done.report.hits.len(), 1);
    assert_eq!(done.report.hits[0].entry, "binance-bot");

    f.apply(Command::StartScan);
    f.apply(Command::StopScan);
    let running = f.session().scan.running.as_ref().expect("running");
    assert!(
        running
            .progress
            .cancel
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    f.settle();
    assert!(f.session().scan.running.is_none());
}

#[test]
fn sync_commands_restore_and_purge_through_the_trash() {
    use crate::app::command::SyncCommand;
    let mut f = Fixture::unlocked();
    let id = f.id("github-ci");
    f.apply(Command::Delete(id));
    f.settle();
    assert!(f.on_disk().trashed("github-ci").is_some());
    f.apply(Command::Sync(SyncCommand::Restore("github-ci".into())));
    assert_eq!(f.status(), "Restored 'github-ci'; saving…");
    f.settle();
    let restored = f.on_disk();
    assert_eq!(
        restored
            .get("github-ci")
            .map(|e| e.credential.primary_secret().expose().to_owned()),
        Some(TOKEN.to_owned())
    );
    f.apply(Command::Delete(id));
    f.apply(Command::Sync(SyncCommand::ConfirmPurge("github-ci".into())));
    assert!(matches!(f.dialog(), Some(Dialog::ConfirmPurge(n)) if n == "github-ci"));
    f.apply(Command::Sync(SyncCommand::Purge("github-ci".into())));
    assert!(f.dialog().is_none());
    f.settle();
    let purged = f.on_disk();
    assert!(purged.trash.is_empty());
    assert_eq!(purged.tombstones.len(), 1);
    // Not in the trash: said, nothing changes.
    f.apply(Command::Sync(SyncCommand::Restore("github-ci".into())));
    assert!(f.state.status.is_error, "{}", f.status());
}

#[test]
fn a_manual_lock_with_a_failing_save_asks_and_lock_anyway_keeps_the_change() {
    use crate::app::command::SyncCommand;
    let mut f = Fixture::unlocked();
    let bytes = std::fs::read(&f.path).expect("read");
    std::fs::remove_file(&f.path).expect("remove");
    std::fs::create_dir(&f.path).expect("a folder where the vault was");
    let id = f.id("binance-bot");
    f.apply(Command::Delete(id));
    f.settle();
    assert!(f.session().save_error.is_some());
    f.apply(Command::Lock(LockReason::Shortcut));
    assert!(matches!(f.dialog(), Some(Dialog::ConfirmLock(_))));
    assert!(crate::store::find_recovery(&f.path).is_empty());
    f.apply(Command::Sync(SyncCommand::LockAnyway));
    assert!(f.state.session().is_none());
    assert!(f.status().contains("offered for merging"), "{}", f.status());
    let found = crate::store::find_recovery(&f.path);
    assert_eq!(found.len(), 1);
    std::fs::remove_dir(&f.path).expect("remove the folder");
    std::fs::write(&f.path, bytes).expect("the vault back");
    let (_, kept) = VaultFile::open(&found[0], PASSWORD.into()).expect("the recovery opens");
    assert!(kept.trashed("binance-bot").is_some());
    // The next unlock offers it; Discard removes it unmerged.
    f.apply(Command::Unlock(PASSWORD.into()));
    f.settle();
    assert!(matches!(f.dialog(), Some(Dialog::Offers(o)) if o.recovery == found));
    f.apply(Command::Sync(SyncCommand::DiscardRecovery));
    assert!(!found[0].exists());
    assert!(f.on_disk().get("binance-bot").is_some());
}

#[test]
fn merge_other_refuses_no_file_and_the_vault_itself() {
    use crate::app::command::SyncCommand;
    let mut f = Fixture::unlocked();
    let own = f.path.display().to_string();
    f.apply(Command::Sync(SyncCommand::OpenMergeOther));
    f.apply(Command::Sync(SyncCommand::MergeOther));
    let Some(Dialog::MergeOther(state)) = f.dialog() else {
        panic!("the merge dialog");
    };
    assert_eq!(
        state.error.as_deref(),
        Some("Choose the vault file to merge.")
    );
    state.path = own;
    f.apply(Command::Sync(SyncCommand::MergeOther));
    let Some(Dialog::MergeOther(state)) = f.dialog() else {
        panic!("the merge dialog");
    };
    assert_eq!(
        state.error.as_deref(),
        Some("That is this vault; choose another copy.")
    );
    assert!(!f.state.is_busy(), "no merge started");
    f.apply(Command::PickFile(FilePick::MergeFrom));
    f.settle();
    let Some(Dialog::MergeOther(state)) = f.dialog() else {
        panic!("the merge dialog");
    };
    assert_eq!(
        state.path, "/answered/MergeFrom",
        "the file dialog's answer"
    );
}

#[test]
fn a_conflict_copy_that_does_not_open_stops_the_merge_and_nothing_is_lost() {
    use crate::app::command::SyncCommand;
    let mut f = Fixture::locked();
    let good = f
        .path
        .with_file_name("vault.sync-conflict-20261201-101530-AAAAAAA.keyward");
    let bad = f
        .path
        .with_file_name("vault.sync-conflict-20261201-111530-BBBBBBB.keyward");
    let mut theirs = f.on_disk();
    theirs
        .add(Entry::new(
            "from-copy",
            Credential::Token {
                token: "tok-copy".into(),
            },
            t0(),
        ))
        .expect("add");
    VaultFile::create(&good, PASSWORD.into(), fast_kdf(), &theirs).expect("good copy");
    VaultFile::create(&bad, "another password".into(), fast_kdf(), &theirs).expect("bad copy");
    f.apply(Command::Unlock(PASSWORD.into()));
    f.settle();
    assert!(matches!(f.dialog(), Some(Dialog::Offers(o)) if o.copies.len() == 2));
    f.apply(Command::Sync(SyncCommand::MergeCopies));
    f.settle();
    assert!(f.state.status.is_error, "{}", f.status());
    assert!(f.status().starts_with("Nothing merged"), "{}", f.status());
    let Some(Dialog::Offers(offers)) = f.dialog() else {
        panic!("the offers stay open");
    };
    assert_eq!(offers.copies.len(), 2, "still offered");
    assert!(offers.error.is_some());
    assert!(good.exists() && bad.exists(), "no copy removed");
    assert!(f.on_disk().get("from-copy").is_none());
    assert!(f.session().vault.get("from-copy").is_none());
    // The vault file came back from the job: a change still saves.
    let mut settings = f.session().vault.settings.clone();
    settings.reveal_seconds = 9;
    f.apply(Command::UpdateSettings(settings));
    f.settle();
    assert_eq!(f.on_disk().settings.reveal_seconds, 9);
}
