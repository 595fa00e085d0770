//! `keyward inject` (issue 15 item 4): JSON, YAML and .env templates filled from the vault,
//! JSON kept valid, OUT written with mode 0600, refused when it exists (without --force) and
//! always when it is a vault; stdin to stdout.

mod common;

use common::Sandbox;

const SECRET: &str = "s3cr\"et\\with-quote";
const KEY_ID: &str = "KEYID-123456";
const TOKEN: &str = "tok-abcdefghijklmnop";

fn sandbox() -> Sandbox {
    let s = Sandbox::with_vault();
    s.add(
        "bot",
        SECRET,
        &["--key-id", KEY_ID, "--provider", "binance"],
    );
    s.add("ci", TOKEN, &["--kind", "token"]);
    s
}

#[test]
fn json_yaml_and_env_templates_are_filled() {
    let s = sandbox();
    let json = s.write_file(
        "config.json.tpl",
        "{\n  \"exchange\": {\n    \"key\": \"keyward://bot/key\",\n    \"secret\": \"{{ keyward://bot/secret }}\"\n  }\n}\n",
    );
    let out = s.path("config.json");
    let run = s.run_pw(
        &[
            "inject",
            "-i",
            &json.to_string_lossy(),
            "-o",
            &out.to_string_lossy(),
        ],
        None,
    );
    run.ok().leaks_none(&[SECRET, TOKEN]);
    let text = std::fs::read_to_string(&out).expect("out");
    let v: serde_json::Value = serde_json::from_str(&text).expect("the output is valid JSON");
    assert_eq!(v["exchange"]["key"], KEY_ID);
    assert_eq!(v["exchange"]["secret"], SECRET);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let yaml = s.write_file(
        "c.yaml.tpl",
        "ci:\n  token: keyward://ci\n  quoted: \"keyward://bot\"\n",
    );
    let run = s.run_pw(&["inject", "-i", &yaml.to_string_lossy()], None);
    run.ok();
    assert_eq!(
        run.stdout,
        format!("ci:\n  token: {TOKEN}\n  quoted: \"s3cr\\\"et\\\\with-quote\"\n")
    );

    let env = s.write_file(
        ".env.tpl",
        "export CI_TOKEN=keyward://ci/secret\nMODE=live\n",
    );
    let run = s.run_pw(&["inject", "-i", &env.to_string_lossy()], None);
    run.ok();
    assert_eq!(run.stdout, format!("export CI_TOKEN={TOKEN}\nMODE=live\n"));
}

#[test]
fn stdin_to_stdout_after_the_password() {
    let s = sandbox();
    let run = s.run(
        &["inject"],
        Some(&format!("{}\nT=keyward://ci\n", common::PASSWORD)),
    );
    run.ok();
    assert_eq!(run.stdout, format!("T={TOKEN}\n"));
}

#[test]
fn existing_outputs_vaults_and_bad_references_are_refused() {
    let s = sandbox();
    let tpl = s.write_file("t.tpl", "T=keyward://ci\n");
    let out = s.write_file("out.env", "keep me\n");
    let tpl_arg = tpl.to_string_lossy().into_owned();
    let out_arg = out.to_string_lossy().into_owned();
    let run = s.run_pw(&["inject", "-i", &tpl_arg, "-o", &out_arg], None);
    run.expect_code(2).stderr_has("--force");
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "keep me\n");
    s.run_pw(&["inject", "-i", &tpl_arg, "-o", &out_arg, "--force"], None)
        .ok();
    assert_eq!(
        std::fs::read_to_string(&out).expect("out"),
        format!("T={TOKEN}\n")
    );

    let before = s.vault_bytes();
    let vault = s.vault.to_string_lossy().into_owned();
    let run = s.run_pw(&["inject", "-i", &tpl_arg, "-o", &vault, "--force"], None);
    assert_ne!(run.code, Some(0));
    assert_eq!(s.vault_bytes(), before, "the vault is untouched");

    let bad = s.write_file("bad.tpl", "a\nT=keyward://nobody/secret\n");
    let fresh = s.path("fresh.env");
    let run = s.run_pw(
        &[
            "inject",
            "-i",
            &bad.to_string_lossy(),
            "-o",
            &fresh.to_string_lossy(),
        ],
        None,
    );
    run.expect_code(2)
        .stderr_has("line 2: no key named 'nobody'");
    assert!(!fresh.exists());
}
