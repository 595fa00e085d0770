//! What the process's own memory holds: secrets locked in RAM (issue 13 item 2) and nothing of
//! a secret left after the app locks (item 3). Linux only: they read /proc/self.
#![cfg(target_os = "linux")]

use chrono::{TimeZone, Utc};
use keyward::memlock;
use keyward::secret::SecretString;
use keyward::store::{KdfParams, VaultFile};
use keyward::vault::{Credential, Entry, FieldValue, Vault};

const KDF: KdfParams = KdfParams {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

#[test]
fn an_opened_vault_holds_its_secrets_in_locked_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vault.keyward");
    let now = Utc
        .with_ymd_and_hms(2026, 4, 1, 12, 0, 0)
        .single()
        .expect("date");
    let mut vault = Vault::default();
    for i in 0..50 {
        let entry = Entry::new(
            format!("key-{i}"),
            Credential::SharedSecret {
                key_id: format!("id-{i}"),
                secret: format!("sk_live_locked_secret_{i:04}_abcdefghijklmnop").into(),
                passphrase: None,
            },
            now,
        );
        vault.add(entry).expect("add");
    }
    VaultFile::create(&path, SecretString::from("memlock test pw"), KDF, &vault).expect("create");
    drop(vault);

    let (_file, opened) =
        VaultFile::open(&path, SecretString::from("memlock test pw")).expect("open");
    let kib = memlock::locked_kib().expect("VmLck in /proc/self/status");
    assert!(kib > 0, "VmLck is {kib} kB after opening a vault");
    assert!(!memlock::limit_reached(), "ulimit -l too low for 50 keys");
    for entry in &opened.entries {
        let secret = entry
            .credential
            .field(entry.credential.primary_field())
            .expect("a primary field");
        match secret {
            FieldValue::Secret(s) => assert!(s.is_locked(), "{} not locked", entry.name),
            FieldValue::Public(_) => panic!("the secret is public"),
        }
    }
}
