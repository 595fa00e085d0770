//! End-to-end tests of `keygen` and `sign` (issue 6): the real binary, checked against the
//! real `openssl` (OpenSSL 3: `pkey`, `pkeyutl -rawin`) and Binance's published example.
//!
//! Needs the `openssl` command (Debian package `openssl`).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;
use common::{Run, Sandbox};

const BINANCE_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const BINANCE_PAYLOAD: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
const BINANCE_SIGNATURE: &str = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

/// Runs `openssl ARGS` with `stdin`; the whole run.
fn openssl(args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new("openssl");
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    common::run_command(cmd, stdin)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// The body of a PEM (its base64 lines), to look for it in other output.
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// `openssl pkeyutl -verify` of `signature` over `payload` with the PEM public key in
/// `public_key`; true when OpenSSL says the signature is valid.
fn openssl_verifies(
    s: &Sandbox,
    public_key: &Path,
    payload: &str,
    signature: &[u8],
    rsa: bool,
) -> bool {
    let msg = s.path("payload.bin");
    let sig = s.path("signature.bin");
    std::fs::write(&msg, payload).expect("write payload");
    std::fs::write(&sig, signature).expect("write signature");
    let mut args = vec![
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        path_str(public_key),
        "-rawin",
        "-in",
        path_str(&msg),
        "-sigfile",
        path_str(&sig),
    ];
    if rsa {
        args.extend(["-digest", "sha256"]);
    }
    let run = openssl(&args, None);
    let verified = run.code == Some(0) && run.stdout.contains("Signature Verified Successfully");
    assert!(
        verified || run.stdout.contains("Verification Failure"),
        "openssl did not run the check: {run:#?}"
    );
    verified
}

fn keygen(s: &Sandbox, name: &str, alg: &str) -> String {
    let run = s.run_pw(
        &["keygen", name, "--alg", alg, "--provider", "binance"],
        None,
    );
    run.ok().no_panic();
    run.stdout
}

#[test]
fn keygen_pems_are_read_by_openssl_and_match() {
    let s = Sandbox::with_vault();
    for alg in ["ed25519", "rsa-2048", "rsa-4096"] {
        let name = format!("bot-{alg}");
        let printed = keygen(&s, &name, alg);
        assert!(
            printed.starts_with("-----BEGIN PUBLIC KEY-----\n")
                && printed.ends_with("-----END PUBLIC KEY-----\n"),
            "{alg}: keygen prints an SPKI PEM: {printed}"
        );
        assert_eq!(s.get(&name, "public-key"), printed, "{alg}: get public-key");

        let private = s.get(&name, "private-key");
        assert!(
            private.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{alg}: PKCS#8 PEM"
        );
        // OpenSSL reads the private key and derives the public key from it.
        let derived = openssl(&["pkey", "-pubout"], Some(&private));
        derived.ok();
        assert_eq!(derived.stdout, printed, "{alg}: derived public key");
        // And reads the printed public key on its own, as the expected type.
        let text = openssl(&["pkey", "-pubin", "-noout", "-text"], Some(&printed));
        text.ok();
        let wanted = match alg {
            "ed25519" => "ED25519 Public-Key",
            "rsa-2048" => "Public-Key: (2048 bit)",
            _ => "Public-Key: (4096 bit)",
        };
        assert!(text.stdout.contains(wanted), "{alg}: {}", text.stdout);

        let show = s.show(&name);
        assert_eq!(show["kind"], "key-pair");
        assert_eq!(show["provider"], "binance");
        // The private key never appears in keygen's or show's output.
        let body = pem_body(&private);
        assert!(!printed.contains(&body) && !show.to_string().contains(&body));
    }
}

#[test]
fn keygen_refuses_a_taken_name_and_bad_options_without_changing_the_vault() {
    let s = Sandbox::with_vault();
    keygen(&s, "k", "ed25519");
    let before = s.vault_bytes();
    s.run_pw(&["keygen", "k", "--alg", "ed25519"], None)
        .expect_code(5)
        .stderr_has("already exists");
    s.run_pw(&["keygen", "k", "--alg", "rsa-2048"], None)
        .expect_code(5)
        .stderr_has("already exists");
    s.run_pw(&["keygen", "k2", "--alg", "dsa"], None)
        .expect_code(2)
        .stderr_has("rsa-2048");
    s.run_pw(&["keygen", "k3", "--allow", "not-an-ip"], None)
        .expect_code(2);
    assert_eq!(s.vault_bytes(), before);
    assert_eq!(s.names(), ["k"]);
}

#[test]
fn keygen_metadata_is_stored() {
    let s = Sandbox::with_vault();
    let args = [
        "keygen",
        "meta",
        "--alg",
        "ed25519",
        "--provider",
        "bybit",
        "--key-id",
        "KID-7",
        "--env",
        "test",
        "--tag",
        "bot",
        "--permission",
        "trade",
        "--allow",
        "10.1.2.3",
        "--expires",
        "2030-01-01",
        "--rotate-every",
        "30",
        "--purpose",
        "grid bot",
    ];
    s.run_pw(&args, None).ok();
    let show = s.show("meta");
    assert_eq!(show["provider"], "bybit");
    assert_eq!(show["key_id"], "KID-7");
    assert_eq!(show["environment"], "test");
    assert_eq!(show["tags"], serde_json::json!(["bot"]));
    assert_eq!(show["permissions"], serde_json::json!(["trade"]));
    assert_eq!(show["ip_whitelist"], serde_json::json!(["10.1.2.3"]));
    assert_eq!(show["rotate_every_days"], 30);
    assert_eq!(show["purpose"], "grid bot");
    assert!(
        show["expires_at"]
            .as_str()
            .is_some_and(|d| d.starts_with("2030-01-01")),
        "{show}"
    );
}

#[test]
fn sign_binance_published_hmac_example() {
    let s = Sandbox::with_vault();
    s.add(
        "binance-hmac",
        BINANCE_SECRET,
        &[
            "--provider",
            "binance",
            "--key-id",
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
        ],
    );
    // Default for a Binance shared secret: HMAC-SHA256, hex.
    let run = s.run_pw(
        &["sign", "binance-hmac", "--payload", BINANCE_PAYLOAD],
        None,
    );
    run.ok().leaks_none(&[BINANCE_SECRET]);
    assert_eq!(run.stdout, format!("{BINANCE_SIGNATURE}\n"));
    run.stderr_has("hmac-sha256").stderr_has("hex");

    // The same bytes in base64 when asked.
    let run = s.run_pw(
        &[
            "sign",
            "binance-hmac",
            "--payload",
            BINANCE_PAYLOAD,
            "--encoding",
            "base64",
        ],
        None,
    );
    run.ok().leaks_none(&[BINANCE_SECRET]);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(run.stdout.trim_end())
        .expect("base64");
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, BINANCE_SIGNATURE);

    // A different payload gives a different signature (the payload is really used).
    let run = s.run_pw(
        &["sign", "binance-hmac", "--payload", "symbol=LTCBTC"],
        None,
    );
    run.ok();
    assert_ne!(run.stdout.trim_end(), BINANCE_SIGNATURE);
    assert_eq!(run.stdout.trim_end().len(), 64);

    // HMAC-SHA512 on request: 64 bytes, 128 hex digits.
    let run = s.run_pw(
        &[
            "sign",
            "binance-hmac",
            "--payload",
            BINANCE_PAYLOAD,
            "--alg",
            "hmac-sha512",
        ],
        None,
    );
    run.ok();
    assert_eq!(run.stdout.trim_end().len(), 128);
}

#[test]
fn sign_generic_shared_secret_defaults_to_hmac_sha256_hex() {
    let s = Sandbox::with_vault();
    s.add("plain", BINANCE_SECRET, &[]);
    let run = s.run_pw(&["sign", "plain", "--payload", BINANCE_PAYLOAD], None);
    run.ok().leaks_none(&[BINANCE_SECRET]);
    assert_eq!(run.stdout, format!("{BINANCE_SIGNATURE}\n"));
}

#[test]
fn ed25519_signature_verifies_with_openssl() {
    let s = Sandbox::with_vault();
    let public = keygen(&s, "ed", "ed25519");
    let public_file = s.write_file("ed.pub", &public);
    let payload = "symbol=BTCUSDT&side=SELL&type=LIMIT&quantity=1&timestamp=1";
    let run = s.run_pw(&["sign", "ed", "--payload", payload], None);
    run.ok().stderr_has("ed25519").stderr_has("base64");
    let signature = base64::engine::general_purpose::STANDARD
        .decode(run.stdout.trim_end())
        .expect("binance default for key pairs is base64");
    assert_eq!(signature.len(), 64);
    assert!(openssl_verifies(
        &s,
        &public_file,
        payload,
        &signature,
        false
    ));
    assert!(
        !openssl_verifies(&s, &public_file, "symbol=BTCUSDT", &signature, false),
        "a signature over another payload must not verify"
    );

    // hex on request: the same signature (Ed25519 is deterministic).
    let run = s.run_pw(
        &["sign", "ed", "--payload", payload, "--encoding", "hex"],
        None,
    );
    run.ok();
    let hex: String = signature.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(run.stdout.trim_end(), hex);
}

#[test]
fn rsa_signature_verifies_with_openssl() {
    let s = Sandbox::with_vault();
    let public = keygen(&s, "rsa", "rsa-2048");
    let public_file = s.write_file("rsa.pub", &public);
    let payload = "timestamp=1700000000000&recvWindow=5000";
    let run = s.run_pw(&["sign", "rsa", "--payload", payload], None);
    run.ok().stderr_has("rsa-sha256");
    let signature = base64::engine::general_purpose::STANDARD
        .decode(run.stdout.trim_end())
        .expect("base64");
    assert_eq!(signature.len(), 256);
    assert!(openssl_verifies(
        &s,
        &public_file,
        payload,
        &signature,
        true
    ));
    assert!(!openssl_verifies(
        &s,
        &public_file,
        "timestamp=1",
        &signature,
        true
    ));
}

#[test]
fn keys_made_by_openssl_sign_too() {
    let s = Sandbox::with_vault();
    // Ed25519 PKCS#8 and RSA in the old PKCS#1 form ("BEGIN RSA PRIVATE KEY").
    let ed = openssl(&["genpkey", "-algorithm", "ed25519"], None);
    ed.ok();
    let rsa = openssl(&["genrsa", "-traditional", "2048"], None);
    rsa.ok();
    assert!(rsa.stdout.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    for (name, private, is_rsa) in [
        ("ossl-ed", &ed.stdout, false),
        ("ossl-rsa", &rsa.stdout, true),
    ] {
        let public = openssl(&["pkey", "-pubout"], Some(private));
        public.ok();
        let public_file = s.write_file(&format!("{name}.pub"), &public.stdout);
        let run = s.run_pw(
            &[
                "add",
                name,
                "--kind",
                "key-pair",
                "--secret-stdin",
                "--public-key-file",
                path_str(&public_file),
            ],
            Some(private),
        );
        run.ok();
        let run = s.run_pw(&["sign", name, "--payload", "abc"], None);
        run.ok().leaks_none(&[&pem_body(private)]);
        let signature = base64::engine::general_purpose::STANDARD
            .decode(run.stdout.trim_end())
            .expect("base64");
        assert!(
            openssl_verifies(&s, &public_file, "abc", &signature, is_rsa),
            "{name}"
        );
    }
}

#[test]
fn sign_refuses_what_cannot_sign() {
    let s = Sandbox::with_vault();
    keygen(&s, "pair", "ed25519");
    s.add("hmac", BINANCE_SECRET, &[]);
    s.add("tok", "ghp_tokenvalue123456", &["--kind", "token"]);
    s.run_pw(
        &["sign", "pair", "--payload", "x", "--alg", "hmac-sha256"],
        None,
    )
    .expect_code(2)
    .stderr_has("key pair");
    s.run_pw(
        &["sign", "pair", "--payload", "x", "--alg", "rsa-sha256"],
        None,
    )
    .expect_code(2)
    .stderr_has("ed25519");
    s.run_pw(
        &["sign", "hmac", "--payload", "x", "--alg", "ed25519"],
        None,
    )
    .expect_code(2)
    .leaks_none(&[BINANCE_SECRET]);
    s.run_pw(&["sign", "hmac", "--payload", "x", "--alg", "md5"], None)
        .expect_code(2);
    s.run_pw(
        &["sign", "hmac", "--payload", "x", "--encoding", "base32"],
        None,
    )
    .expect_code(2);
    s.run_pw(&["sign", "tok", "--payload", "x"], None)
        .expect_code(2)
        .stderr_has("token")
        .leaks_none(&["ghp_tokenvalue123456"]);
    // A token can still be used as an HMAC key when asked explicitly.
    s.run_pw(
        &["sign", "tok", "--payload", "x", "--alg", "hmac-sha256"],
        None,
    )
    .ok()
    .leaks_none(&["ghp_tokenvalue123456"]);
    s.run_pw(&["sign", "missing", "--payload", "x"], None)
        .expect_code(5)
        .stderr_has("no key named");
    // A private key that is not a key: refused, never quoted.
    let garbage = "-----BEGIN PRIVATE KEY-----\nbm90LWEta2V5LWF0LWFsbC1zZWNyZXQ=\n-----END PRIVATE KEY-----\n";
    s.run_pw(
        &["add", "junk", "--kind", "key-pair", "--secret-stdin"],
        Some(garbage),
    )
    .ok();
    s.run_pw(&["sign", "junk", "--payload", "x"], None)
        .expect_code(5)
        .stderr_has("pkcs#8")
        .leaks_none(&["bm90LWEta2V5LWF0LWFsbC1zZWNyZXQ"]);
}

#[test]
fn keygen_replace_rotates_a_key_pair() {
    let s = Sandbox::with_vault();
    let first = keygen(&s, "bot", "ed25519");
    s.run_pw(&["edit", "bot", "--key-id", "OLD-ID"], None).ok();
    let old_private = s.get("bot", "private-key");

    let run = s.run_pw(&["keygen", "bot", "--alg", "rsa-2048", "--replace"], None);
    run.ok().leaks_none(&[&pem_body(&old_private)]);
    let second = run.stdout.clone();
    assert_ne!(second, first, "a new public key");
    assert_eq!(s.get("bot", "public-key"), second);
    let derived = openssl(&["pkey", "-pubout"], Some(&s.get("bot", "private-key")));
    derived.ok();
    assert_eq!(derived.stdout, second, "the new private key matches");
    let show = s.show("bot");
    assert_eq!(
        show["history_count"], 1,
        "the old private key is in the history"
    );
    assert_eq!(
        show["key_id"], "",
        "the old key id belonged to the old public key"
    );
    assert!(show["rotated_at"].is_string());

    // Only an existing key pair can be replaced.
    s.run_pw(&["keygen", "nope", "--replace"], None)
        .expect_code(5)
        .stderr_has("no key named");
    s.add("hmac", BINANCE_SECRET, &[]);
    let before = s.vault_bytes();
    s.run_pw(&["keygen", "hmac", "--replace"], None)
        .expect_code(2)
        .stderr_has("keyward rotate hmac");
    assert_eq!(s.vault_bytes(), before);
}
