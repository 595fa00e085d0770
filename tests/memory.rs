//! What the process's own memory holds: secrets locked in RAM (issue 13 item 2) and nothing of
//! a secret left after the app locks (item 3). Linux only: they read /proc/self.
#![cfg(target_os = "linux")]

use chrono::{TimeZone, Utc};
use keyward::memlock;
use keyward::secret::SecretString;
use keyward::store::{KdfParams, VaultFile};
use keyward::vault::{Credential, Entry, FieldValue, Vault};

/// The allocator of the keyward binary (src/main.rs): freed blocks are zeroed.
#[global_allocator]
static ALLOCATOR: memlock::WipeOnFree = memlock::WipeOnFree;

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
                key_id: format!("id-{i}").into(),
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

mod gui_support;
mod memory_support;

use gui_support::Gui;
use memory_support::{Needle, runs, scan_self};
use zeroize::Zeroize;

/// A random secret of `len` letters and digits, and its needle. The secret's only copy goes
/// into the vault; the test keeps hashes.
fn random_secret(len: usize) -> (SecretString, Needle) {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut raw = vec![0u8; len];
    getrandom::fill(&mut raw).expect("random");
    let mut text = String::with_capacity(len);
    for b in &mut raw {
        text.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        *b = 0;
    }
    let needle = Needle::new(text.as_bytes());
    (SecretString::new(text), needle)
}

#[test]
fn nothing_of_a_revealed_and_copied_secret_is_left_after_lock() {
    let (secret, needle) = random_secret(64);
    let now = gui_support::start();
    let mut vault = Vault::default();
    vault
        .add(Entry::new(
            "scan-me",
            Credential::SharedSecret {
                key_id: "SCAN-KEY-ID".into(),
                secret,
                passphrase: None,
            },
            now,
        ))
        .expect("add");
    let mut gui = Gui::unlocked_on(&vault);
    drop(vault);
    gui.select("scan-me");
    gui.click("Reveal secret");
    assert!(gui.has_label("Hide secret"), "the secret shows");
    for _ in 0..3 {
        gui.harness.step();
    }
    gui.click("Copy secret");
    assert!(gui.clipboard.marked_secret(), "the secret was copied");
    let (before_lock, _) = scan_self(&needle);
    assert!(
        !before_lock.is_empty(),
        "the scan finds the secret while it is unlocked (else it could not fail)"
    );
    gui.click("Lock");
    assert!(gui.app().is_locked(), "{}", gui.app().status_text());
    for _ in 0..5 {
        gui.harness.step();
    }
    let (hits, scanned) = scan_self(&needle);
    let runs = runs(&hits);
    eprintln!(
        "scanned {} MiB: {} windows of the secret before the lock, {} after ({} runs: {:?})",
        scanned >> 20,
        before_lock.len(),
        hits.len(),
        runs.len(),
        runs.iter()
            .map(|(a, len, m)| format!("{a:#x}+{len} {m}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        hits.len(),
        0,
        "pieces of the secret are left after the lock"
    );
    let mut probe = String::from("unused");
    probe.zeroize();
}

/// Issue 13 item 9: SIGTERM (as SIGINT and SIGHUP) reaches the app's lock path through the
/// real handler: the session is wiped, the clipboard cleared, the window asked to close.
#[test]
fn a_stop_signal_locks_clears_the_clipboard_and_closes_the_window() {
    let mut gui = Gui::unlocked();
    gui.select("binance-bot");
    gui.click("Copy secret");
    assert!(gui.clipboard.marked_secret(), "copied");
    let flag = keyward::app::stop_flag();
    gui.harness.state_mut().stop_on(flag);
    gui.harness.step();
    assert!(!gui.app().is_locked(), "no signal yet: still unlocked");
    // SAFETY: the handler stop_flag installed only sets an atomic flag.
    assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
    gui.harness.step();
    assert!(gui.app().stop_requested(), "the stop was carried out");
    assert!(gui.app().is_locked(), "locked");
    assert!(!gui.app().holds_secrets(), "nothing decrypted is held");
    assert!(
        !gui.clipboard.marked_secret(),
        "the clipboard no longer holds the copied secret"
    );
    assert!(gui.app().status_text().contains("stop signal"));
}
