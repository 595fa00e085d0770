//! Two writers on one vault file: a save merges what the other saved (under the lock) instead
//! of refusing or overwriting it, and saves stamp `modified_at` on what changed.

use chrono::Utc;
use keyward::secret::SecretString;
use keyward::store::{KdfParams, VaultFile};
use keyward::vault::{Credential, Entry, Vault};

const KDF: KdfParams = KdfParams {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

fn pw() -> SecretString {
    "two writers".into()
}

fn token(name: &str, value: &str) -> Entry {
    Entry::new(
        name,
        Credential::Token {
            token: value.into(),
        },
        Utc::now(),
    )
}

#[test]
fn a_save_merges_what_another_writer_saved_meanwhile() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vault.keyward");
    let mut base = Vault::default();
    base.add(token("shared", "s0")).expect("add");
    VaultFile::create(&path, pw(), KDF, &base).expect("create");

    let (mut app, mut app_vault) = VaultFile::open(&path, pw()).expect("app opens");
    let (mut cli, mut cli_vault) = VaultFile::open(&path, pw()).expect("cli opens");
    cli_vault.add(token("from-cli", "cli-secret")).expect("add");
    cli_vault.get_mut("shared").expect("shared").notes = "cli note".into();
    cli.save(&mut cli_vault).expect("cli saves");

    assert!(app.changed_on_disk().expect("check"));
    app_vault.add(token("from-app", "app-secret")).expect("add");
    app_vault.get_mut("shared").expect("shared").purpose = "app purpose".into();
    let report = app
        .save_merging(&mut app_vault)
        .expect("save merges")
        .expect("something came from disk");
    assert_eq!(report.added, vec!["from-cli".to_owned()]);
    assert!(report.conflicts.is_empty(), "{:?}", report.conflicts);

    let (_, on_disk) = VaultFile::open(&path, pw()).expect("reopen");
    let names: Vec<&str> = on_disk.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["shared", "from-app", "from-cli"]);
    let shared = on_disk.get("shared").expect("shared");
    assert_eq!(
        (shared.notes.as_str(), shared.purpose.as_str()),
        ("cli note", "app purpose")
    );
    assert!(shared.modified_at.is_some(), "the changed entry is stamped");
    assert!(
        !app.changed_on_disk().expect("check"),
        "in step after the save"
    );
    assert_eq!(on_disk, app_vault);
}

#[test]
fn merge_from_disk_is_a_no_op_when_nothing_changed() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vault.keyward");
    let mut v = Vault::default();
    v.add(token("a", "t")).expect("add");
    VaultFile::create(&path, pw(), KDF, &v).expect("create");
    let (mut file, mut vault) = VaultFile::open(&path, pw()).expect("open");
    let before = vault.clone();
    assert!(file.merge_from_disk(&mut vault).expect("merge").is_none());
    assert_eq!(vault, before);
}
