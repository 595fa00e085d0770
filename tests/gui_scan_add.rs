//! "Add to vault" on an unknown hit of the leak scan (issue 15 item 3, the app): the scan
//! with "Keys not in the vault" lists keys the vault lacks; "Add to vault…" shows what
//! `scan --unknown --add --dry-run` would create (nothing changes yet), "Add" creates it
//! through the same library plan — preset, key id and secret paired, named from the variable
//! and the file, the places noted, the audit's "found in plain text" — and the hits then show
//! as stored.

mod gui_support;

use egui_kittest::kittest::{NodeT as _, Queryable};

use gui_support::*;
use keyward::vault::Credential;

// Made up in the providers' published formats (AWS key id and secret, GitHub token); no
// documented example value.
const AWS_ID: &str = "AKIAZ7QW3RTY5UIOPLKJ";
const AWS_SECRET: &str = "q8Zr3Kx9Lm2Vb7Nc4Tp6Wd1Hs5Jf0Gy3Ua8Ee2Ri";
const GH_TOKEN: &str = "ghp_R7tY2uI9oP4aS6dF1gH3jK5lZ8xC0vB2nM4q";

fn all_text(gui: &Gui) -> String {
    gui.harness
        .query_all_by(|_| true)
        .map(|n| {
            let node = n.accesskit_node();
            format!(
                "{} {}\n",
                node.label().unwrap_or_default(),
                node.value().unwrap_or_default()
            )
        })
        .collect()
}

fn add_buttons(gui: &Gui) -> usize {
    gui.harness.query_all_by_label("Add to vault…").count()
}

#[test]
fn an_unknown_hit_is_previewed_then_added_with_its_pair_and_shows_as_stored() {
    let mut gui = Gui::unlocked();
    let keys_before = gui.vault_on_disk().entries.len();
    let tree = tempfile::tempdir().expect("temp dir");
    let file = tree.path().join("bot.env");
    let original = format!(
        "AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nGITHUB_TOKEN={GH_TOKEN}\n"
    );
    std::fs::write(&file, &original).expect("write");

    gui.click("Scan a folder…");
    gui.type_into("Folder to scan", &tree.path().display().to_string());
    gui.click("Scan");
    assert!(
        !gui.has_label("Add to vault…"),
        "without \"Keys not in the vault\" only stored secrets are looked for"
    );
    gui.click("Keys not in the vault");
    gui.click("Scan");
    let status = gui.app().status_text();
    assert!(status.contains("3 a key not in the vault"), "{status}");
    assert_eq!(add_buttons(&gui), 3, "one button per unknown hit");
    assert!(
        gui.has_label_containing("unknown"),
        "the hits say they are unknown"
    );
    for secret in [AWS_SECRET, GH_TOKEN] {
        assert!(!all_text(&gui).contains(secret), "no secret on screen");
    }

    // The dry run: the AWS key id's button plans the pair, and nothing changes yet.
    gui.harness
        .query_all_by_label("Add to vault…")
        .next()
        .expect("a button")
        .click();
    gui.settle();
    let name = "aws_secret_access_key-bot-env";
    assert!(
        gui.has_label_containing(&format!("Will add '{name}' (shared-secret, provider aws)")),
        "the preview names the key, its kind and preset:\n{}",
        all_text(&gui)
    );
    assert!(
        gui.has_label_containing("bot.env:1:19"),
        "the key id's place"
    );
    assert!(
        gui.has_label_containing("bot.env:2:23"),
        "the secret's place"
    );
    assert!(gui.has_label_containing("nothing changes until you click Add"));
    assert_eq!(
        gui.vault_on_disk().entries.len(),
        keys_before,
        "a preview adds nothing"
    );
    assert!(
        !all_text(&gui).contains(AWS_SECRET),
        "the preview shows no secret"
    );

    // Cancel closes it; the button again, then Add.
    gui.click("Cancel");
    assert!(!gui.has_label_containing("Will add"));
    gui.harness
        .query_all_by_label("Add to vault…")
        .next()
        .expect("a button")
        .click();
    gui.settle();
    gui.click("Add");
    let vault = gui.vault_on_disk();
    assert_eq!(
        vault.entries.len(),
        keys_before + 1,
        "one key (the pair) saved"
    );
    let entry = vault.get(name).expect("the key is in the vault on disk");
    assert_eq!(entry.provider, "aws");
    match &entry.credential {
        Credential::SharedSecret { key_id, secret, .. } => {
            assert_eq!(key_id, AWS_ID);
            assert_eq!(secret.expose(), AWS_SECRET);
        }
        other => panic!("not a key id and secret: {:?}", other.kind()),
    }
    assert!(entry.tags.iter().any(|t| t == "found-in-plain-text"));
    assert!(entry.notes.contains("bot.env:2:23"), "{}", entry.notes);
    let findings = keyward::vault::audit::audit(
        &vault,
        &keyward::vault::providers::Providers::builtin(),
        chrono::Utc::now(),
    );
    assert!(
        findings
            .iter()
            .any(|f| f.name == name && f.code == "found_in_plain_text"),
        "the audit reports it as found in plain text"
    );
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        original,
        "the file is not changed"
    );

    // The pair's two hits now name the key; the token is still unknown.
    assert_eq!(add_buttons(&gui), 1, "only the token is left to add");
    assert!(gui.has_label(name), "the stored hits link to the key");
    assert!(gui.has_label("Mark compromised…"));
    assert!(!all_text(&gui).contains(AWS_SECRET));
}
