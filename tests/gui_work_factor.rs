//! The unlock screen and the work bound (issue 13 item 4, the app's part): a vault whose
//! header asks for more key derivation work than the bound is refused at once with the
//! parameters named, and "Open anyway" runs the derivation for a file the user trusts.

mod gui_support;

use std::time::Instant;

use gui_support::{Gui, PASSWORD, fast_kdf, sample_vault};
use keyward::store::VaultFile;

#[test]
fn a_vault_asking_too_much_work_is_refused_at_once_and_can_be_opened_anyway() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vault.keyward");
    VaultFile::create(&path, PASSWORD.into(), fast_kdf(), &sample_vault()).expect("create");
    // 64 MiB × 97 passes × 2 lanes: 6208 MiB-passes, just above 32 × the default's 192
    // (within the caps: 100 passes at most).
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[12..16].copy_from_slice(&(64u32 * 1024).to_le_bytes());
    bytes[16..20].copy_from_slice(&97u32.to_le_bytes());
    bytes[20..24].copy_from_slice(&2u32.to_le_bytes());
    std::fs::write(&path, bytes).expect("write");

    let mut gui = Gui::on(dir, path);
    let started = Instant::now();
    gui.unlock(PASSWORD);
    let refused_in = started.elapsed();
    assert!(gui.app().is_locked());
    assert!(
        gui.has_label_containing("m=64 MiB, t=97, p=2"),
        "the message names the parameters"
    );
    assert!(gui.has_label_containing("32× the work of keyward's own"));
    assert!(
        refused_in.as_secs_f64() < 1.0,
        "refused before deriving ({refused_in:?})"
    );
    assert!(
        gui.app().holds_secrets(),
        "the password is kept for Open anyway"
    );

    let started = Instant::now();
    gui.click("Open anyway");
    let derived_in = started.elapsed();
    eprintln!("refused in {refused_in:?}; Open anyway derived for {derived_in:?}");
    // The header was changed after the file was sealed, so the key derived from the slow
    // parameters cannot open it: the derivation ran and failed authentication.
    assert!(
        gui.has_label_containing("Wrong password"),
        "{}",
        gui.app().status_text()
    );
    assert!(
        !gui.has_label("Open anyway"),
        "offered only for the refusal"
    );
    assert!(
        derived_in > refused_in,
        "the slow derivation ran ({derived_in:?})"
    );
}
