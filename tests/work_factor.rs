//! The one bound on key derivation work (issue 13 item 4): a vault header or a KDBX import
//! asking for more than 32× the work of keyward's default is refused before anything is
//! derived, with a message naming the parameters and `--allow-slow-kdf`; the two go through
//! the same `check_work_factor`. Timings of the refusals are printed (`--nocapture`).

mod common;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{PASSWORD, Sandbox};
use keyward::secret::SecretString;
use keyward::store::format::{self, FormatError, Header};
use keyward::store::kdf::{self, KdfError, KdfParams, SLOW_FACTOR, WorkFactorError};
use keyward::store::{StoreError, VaultFile};
use keyward::transfer::{self, Format, ImportOptions, TransferError};
use keyward::vault::Vault;

const MIB_KIB: u32 = 1024;

fn params(mib: u32, t: u32, p: u32) -> KdfParams {
    KdfParams {
        memory_kib: mib * MIB_KIB,
        iterations: t,
        parallelism: p,
    }
}

/// A real vault (1 MiB, t = 1, p = 1) whose header is then patched to ask for `kdf`.
fn vault_asking_for(dir: &Path, name: &str, kdf: KdfParams) -> PathBuf {
    let path = dir.join(name);
    VaultFile::create(
        &path,
        SecretString::from(PASSWORD),
        params(1, 1, 1),
        &Vault::default(),
    )
    .expect("create");
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[12..16].copy_from_slice(&kdf.memory_kib.to_le_bytes());
    bytes[16..20].copy_from_slice(&kdf.iterations.to_le_bytes());
    bytes[20..24].copy_from_slice(&kdf.parallelism.to_le_bytes());
    std::fs::write(&path, bytes).expect("write");
    path
}

/// KeePassXC's Format400.kdbx (Argon2d 1 MiB, t = 2, p = 2, password "t") with its Argon2
/// memory, passes and lanes set to `kdf`'s (the header HMAC no longer matches, which is
/// checked only after the work factor).
fn kdbx_asking_for(kdf: KdfParams) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/testdata/transfer/keepassxc/Format400.kdbx");
    let mut bytes = std::fs::read(path).expect("fixture");
    let mut set = |kind: u8, name: u8, value: &[u8]| {
        // Variant dictionary item: type, name length 1, the name, value length, value.
        let pattern = [kind, 1, 0, 0, 0, name, value.len() as u8, 0, 0, 0];
        let at = bytes
            .windows(pattern.len())
            .position(|w| w == pattern)
            .expect("the fixture's Argon2 parameter")
            + pattern.len();
        bytes[at..at + value.len()].copy_from_slice(value);
    };
    set(
        0x05,
        b'M',
        &(u64::from(kdf.memory_kib) * 1024).to_le_bytes(),
    );
    set(0x05, b'I', &u64::from(kdf.iterations).to_le_bytes());
    set(0x04, b'P', &kdf.parallelism.to_le_bytes());
    bytes
}

fn kdbx_decision(kdf: KdfParams) -> Result<(), WorkFactorError> {
    let bytes = kdbx_asking_for(kdf);
    let options = ImportOptions {
        password: Some(SecretString::from("t")),
        ..ImportOptions::default()
    };
    match transfer::import(
        &bytes,
        Path::new("slow.kdbx"),
        Format::Kdbx,
        &options,
        chrono::Utc::now(),
    ) {
        Err(TransferError::WorkFactor { source, .. }) => Err(source),
        // Within the bound the KDF runs (the patched header then fails its HMAC, or the
        // small original opens): either way it was not a work-factor refusal.
        _ => Ok(()),
    }
}

fn header_decision(file: &[u8]) -> Result<(), WorkFactorError> {
    match Header::parse(file) {
        Ok(_) => Ok(()),
        Err(FormatError::KdfRejected(KdfError::WorkFactor(e))) => Err(e),
        Err(other) => panic!("not a work-factor decision: {other:?}"),
    }
}

#[test]
fn a_slow_vault_header_is_refused_before_deriving() {
    let dir = tempfile::tempdir().expect("temp dir");
    // (memory MiB, passes, lanes, refused): the header, the bound's edges.
    let cases = [
        (1024, 100, 16, true),
        (1024, 7, 1, true),
        (1024, 6, 1, false),
        (64, 97, 4, true),
        (64, 96, 4, false),
        (64, 3, 4, false),
        (256, 4, 4, false),
    ];
    for (i, (mib, t, p, refused)) in cases.into_iter().enumerate() {
        let kdf = params(mib, t, p);
        let path = vault_asking_for(dir.path(), &format!("v{i}.keyward"), kdf);
        let bytes = std::fs::read(&path).expect("read");
        let derived = Cell::new(false);
        let opened = format::open(&bytes, |_| {
            derived.set(true);
            Err(KdfError::Argon2("not derived in this test".into()))
        });
        assert_eq!(
            derived.get(),
            !refused,
            "{kdf}: the KDF ran = {}",
            derived.get()
        );
        if !refused {
            assert!(header_decision(&bytes).is_ok(), "{kdf}");
            continue;
        }
        let Err(FormatError::KdfRejected(KdfError::WorkFactor(WorkFactorError::Slow {
            times,
            ..
        }))) = opened
        else {
            panic!("{kdf}: {opened:?}");
        };
        assert_eq!(
            u64::from(mib) * u64::from(t) / kdf::default_work(),
            times,
            "{kdf}"
        );
        // The file level: the same refusal, naming the file and what to do, exit code 3.
        let started = Instant::now();
        let err = VaultFile::open(&path, SecretString::from(PASSWORD)).expect_err("refused");
        let took = started.elapsed();
        eprintln!("{kdf}: refused in {took:?} ({times}x the default's work)");
        let text = err.to_string();
        assert!(matches!(err, StoreError::KdfRejected { .. }), "{err:?}");
        assert!(err.is_unreadable(), "exit code 3: {text}");
        for needed in [
            &format!("m={mib} MiB, t={t}, p={p}") as &str,
            &format!("{times}×"),
            "--allow-slow-kdf",
            &path.to_string_lossy(),
        ] {
            assert!(text.contains(needed), "{text:?} lacks {needed:?}");
        }
        // Allowed, the header passes and the KDF is reached (here a stand-in that fails).
        assert!(Header::parse_with(&bytes, true).is_ok(), "{kdf}");
        let derived = Cell::new(false);
        let opened = format::open_with(&bytes, true, |_| {
            derived.set(true);
            Err(KdfError::Argon2("stand-in".into()))
        });
        assert!(derived.get(), "{kdf}: allowed, the KDF must run");
        assert!(matches!(opened, Err(FormatError::Kdf(_))), "{opened:?}");
    }
}

#[test]
fn the_caps_still_hold_when_slow_work_is_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (at, value) in [(12usize, 2 * 1024 * 1024u32), (16, 101), (20, 17)] {
        let path = vault_asking_for(dir.path(), &format!("cap{at}.keyward"), params(1, 1, 1));
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        let err = Header::parse_with(&bytes, true).expect_err("beyond the caps");
        assert!(
            matches!(err, FormatError::KdfRejected(ref k) if !matches!(k, KdfError::WorkFactor(_))),
            "offset {at} = {value}: {err:?}"
        );
    }
}

#[test]
fn vault_headers_and_kdbx_imports_share_one_bound() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bound = SLOW_FACTOR * kdf::default_work();
    for (i, kdf) in [
        params(1024, 100, 16),
        params(1024, 7, 2),
        params(64, 97, 2),
        params(512, 13, 1),
        params(1024, 6, 2),
        params(64, 96, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let vault = std::fs::read(vault_asking_for(dir.path(), &format!("s{i}.keyward"), kdf))
            .expect("read");
        let started = Instant::now();
        let from_vault = header_decision(&vault);
        let vault_took = started.elapsed();
        let work = u64::from(kdf.memory_kib / 1024) * u64::from(kdf.iterations);
        if work <= bound {
            // Within the bound a KDBX import derives: keep these cheap cases out of it.
            assert!(from_vault.is_ok(), "{kdf}");
            assert_eq!(kdf.check_work(false), Ok(()), "{kdf}");
            continue;
        }
        let started = Instant::now();
        let from_kdbx = kdbx_decision(kdf);
        let kdbx_took = started.elapsed();
        eprintln!("{kdf}: vault header refused in {vault_took:?}, kdbx in {kdbx_took:?}");
        assert!(from_vault.is_err(), "{kdf} ({work} MiB-passes > {bound})");
        // The same function decides: the same error, the same words (the KDBX file's
        // Argon2 is named as the vault's is).
        let (Err(a), Err(b)) = (&from_vault, &from_kdbx) else {
            panic!("{kdf}: vault {from_vault:?}, kdbx {from_kdbx:?}");
        };
        assert_eq!(a, b, "{kdf}");
        assert_eq!(a.to_string(), b.to_string());
    }
}

#[test]
fn the_cli_refuses_a_slow_vault_with_exit_3_and_leaves_it_unchanged() {
    let sandbox = Sandbox::new();
    let path = vault_asking_for(
        sandbox.path("").as_path(),
        "vault.keyward",
        params(1024, 100, 16),
    );
    assert_eq!(path, sandbox.vault);
    let before = sandbox.vault_bytes();
    for args in [
        vec!["list"],
        vec!["get", "any"],
        vec!["add", "new", "--secret-stdin"],
    ] {
        let started = Instant::now();
        let run = sandbox.run_pw(&args, Some("sk-new\n"));
        eprintln!("keyward {args:?}: exit after {:?}", started.elapsed());
        run.expect_code(3)
            .stderr_has("m=1024 MiB, t=100, p=16")
            .stderr_has("--allow-slow-kdf")
            .no_panic();
        assert_eq!(sandbox.vault_bytes(), before, "{args:?} changed the vault");
    }
}

#[test]
fn init_refuses_a_setting_every_unlock_would_refuse() {
    let sandbox = Sandbox::new();
    let run = sandbox.run_pw(
        &[
            "init",
            "--kdf-memory-mib",
            "1024",
            "--kdf-iterations",
            "100",
            "--kdf-parallelism",
            "1",
        ],
        None,
    );
    run.expect_code(2)
        .stderr_has("533x the work of the default")
        .stderr_has("--allow-slow-kdf")
        .no_panic();
    assert!(!sandbox.vault.exists(), "no vault is made");
}

#[test]
fn calibration_never_crosses_the_bound() {
    for (mib, most) in [(1024, 6), (512, 12), (64, 96), (19, 100), (1, 100)] {
        let base = params(mib, 1, 1);
        assert_eq!(kdf::bounded_iterations(base), most, "{mib} MiB");
        let at_most = KdfParams {
            iterations: most,
            ..base
        };
        assert_eq!(at_most.check_work(false), Ok(()), "{at_most}");
        if most < kdf::MAX_ITERATIONS {
            let over = KdfParams {
                iterations: most + 1,
                ..base
            };
            assert!(over.check_work(false).is_err(), "{over}");
        }
    }
}
