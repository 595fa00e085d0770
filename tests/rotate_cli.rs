//! `keyward rotate` with every part that changes (issue 12 item 2): a new key id from
//! `--key-id`, a new passphrase from `--passphrase-stdin`, and the old parts in one history
//! record, read back from the vault file itself.

mod common;

use common::{PASSWORD, Sandbox};
use keyward::secret::SecretString;
use keyward::store::VaultFile;
use keyward::vault::{Field, Vault};

fn open(s: &Sandbox) -> Vault {
    let (_, vault) = VaultFile::open(&s.path("vault.keyward"), SecretString::from(PASSWORD))
        .expect("the vault opens");
    vault
}

fn add_okx(s: &Sandbox) {
    s.run_pw(
        &[
            "add",
            "okx-bot",
            "--provider",
            "okx",
            "--key-id",
            "OLD-KID",
            "--secret-stdin",
            "--passphrase-stdin",
        ],
        Some("old-secret\nold-pass\n"),
    )
    .ok();
}

#[test]
fn rotate_an_okx_key_with_a_new_key_id_secret_and_passphrase() {
    let s = Sandbox::with_vault();
    add_okx(&s);
    s.run_pw(
        &[
            "rotate",
            "okx-bot",
            "--key-id",
            "NEW-KID",
            "--passphrase-stdin",
        ],
        Some("new-secret\nnew-pass\n"),
    )
    .ok()
    .stderr_has("old parts are kept in its history")
    .leaks_none(&["old-secret", "new-secret", "old-pass", "new-pass"]);
    assert_eq!(s.get("okx-bot", "key"), "NEW-KID\n");
    assert_eq!(s.get("okx-bot", "secret"), "new-secret\n");
    assert_eq!(s.get("okx-bot", "passphrase"), "new-pass\n");
    assert_eq!(
        s.show("okx-bot")["history_count"],
        1,
        "one record per rotation"
    );

    let vault = open(&s);
    let entry = vault.get("okx-bot").expect("entry");
    let record = &entry.history[0];
    assert_eq!(record.field, Field::Secret);
    assert_eq!(record.value.expose(), "old-secret");
    assert_eq!(record.key_id.as_deref(), Some("OLD-KID"));
    assert_eq!(
        record.passphrase.as_ref().map(|p| p.expose()),
        Some("old-pass")
    );
}

#[test]
fn a_rotation_without_the_options_keeps_the_key_id_and_passphrase() {
    let s = Sandbox::with_vault();
    add_okx(&s);
    s.run_pw(&["rotate", "okx-bot"], Some("new-secret\n")).ok();
    assert_eq!(s.get("okx-bot", "key"), "OLD-KID\n");
    assert_eq!(s.get("okx-bot", "passphrase"), "old-pass\n");
    let vault = open(&s);
    let record = &vault.get("okx-bot").expect("entry").history[0];
    assert_eq!((&record.key_id, &record.passphrase), (&None, &None));
}

#[test]
fn parts_the_key_does_not_have_or_empty_ones_are_refused_and_nothing_changes() {
    let s = Sandbox::with_vault();
    add_okx(&s);
    s.add("gh", "ghp_old", &["--kind", "token"]);
    let before = s.vault_bytes();
    s.run_pw(&["rotate", "gh", "--key-id", "X"], Some("ghp_new\n"))
        .expect_code(2)
        .stderr_has("a token has no key id");
    s.run_pw(
        &["rotate", "gh", "--passphrase-stdin"],
        Some("ghp_new\npp\n"),
    )
    .expect_code(2)
    .stderr_has("only a shared secret has a passphrase");
    s.run_pw(
        &["rotate", "okx-bot", "--passphrase-stdin"],
        Some("new-secret\n\n"),
    )
    .expect_code(2)
    .stderr_has("the new passphrase is empty; nothing changed")
    .leaks_none(&["new-secret"]);
    s.run_pw(
        &["rotate", "okx-bot", "--key-id", " "],
        Some("new-secret\n"),
    )
    .expect_code(2)
    .stderr_has("the new key id is empty");
    s.run_pw(
        &["rotate", "okx-bot", "--passphrase-stdin"],
        Some("new-secret\n"),
    )
    .expect_code(2)
    .stderr_has("stdin ended");
    assert_eq!(
        s.vault_bytes(),
        before,
        "no refused rotation wrote the vault"
    );
}
