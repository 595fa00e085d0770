//! Vault scale and speed: unlock and save for 1k, 10k and 100k realistic entries, and
//! Argon2id at the default parameters with p = 4 against p = 1.
//!
//! ```text
//! cargo bench --bench store                                  # the full run (release)
//! KEYWARD_BENCH_SIZES=1000,10000 cargo bench --bench store   # chosen sizes
//! KEYWARD_BENCH_DIR=/some/disk cargo bench --bench store     # where the vaults are written
//! ```
//!
//! A plain `main` (no criterion) that prints tables; docs/BENCHMARKS.md holds the figures.
//! Run without `--bench` (as `cargo test --benches` does) it only does a quick smoke run.
//!
//! Save is measured two ways:
//! - (a) with the key already derived: serialise, encrypt, check the file is unchanged
//!   (`store::fingerprint_of_file`: its length, header and tag), durable write (temporary
//!   file, fsync, backup link, rename, fsync of the folder) and the new fingerprint — what
//!   `VaultFile::save` does apart from the KDF, done here step by step with the library's
//!   public pieces and the same file procedure;
//! - (b) the full `VaultFile::save`, which (since the key is derived once, at open) derives
//!   nothing: (a) + change detection, plus stamping `modified_at` (a comparison with the
//!   vault as last saved), the lock, and keeping a copy of the vault as saved (the base of a
//!   later merge).
//!
//! Then `keyward add` against `keyward list` through the binary at the default KDF: both
//! derive once (at open), so the ratio should be about 1 (it was 2.0 when every save derived
//! a new key).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Days, TimeZone, Utc};
use keyward::secret::{SecretBytes, SecretString};
use keyward::store::format::{self, HEADER_LEN, Header};
use keyward::store::kdf::{self, DerivedKey};
use keyward::store::{self, KdfParams, VaultFile, backup_path, parse_payload, serialize_payload};
use keyward::vault::{Credential, Entry, Environment, Field, HistoryItem, IpRule, Vault};

const PASSWORD: &str = "benchmark master password";

/// splitmix64, so every run benchmarks the same vault.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// A realistic exchange key: 64-character key id and secret, a passphrase on a third of
/// them, two or three tags, an IP whitelist of one to four rules, permissions, notes, dates,
/// and one replaced secret in the history of every fourth.
fn realistic_entry(i: usize, rng: &mut Rng, base: DateTime<Utc>) -> Entry {
    const PROVIDERS: [&str; 6] = ["binance", "kraken", "okx", "kucoin", "bybit", "coinbase"];
    const TAGS: [&str; 8] = [
        "bot", "spot", "futures", "hedge", "arb", "paper", "ci", "prod-eu",
    ];
    let created = base + Days::days(rng.below(700) as i64);
    let credential = Credential::SharedSecret {
        key_id: rng.token(64).into(),
        secret: SecretString::new(rng.token(64)),
        passphrase: i
            .is_multiple_of(3)
            .then(|| SecretString::new(rng.token(24))),
    };
    let provider = PROVIDERS[i % PROVIDERS.len()];
    let mut e = Entry::new(format!("{provider}-{i:06}"), credential, created);
    e.provider = provider.into();
    e.environment = if i.is_multiple_of(5) {
        Environment::Test
    } else {
        Environment::Prod
    };
    e.set_tags((0..2 + i % 2).map(|_| TAGS[rng.below(TAGS.len() as u64) as usize]));
    e.purpose = format!("grid bot #{i} on the {provider} spot market");
    e.notes = format!(
        "Created for strategy {}. Whitelisted from the VPS only; rotate with the bot config. \
         Ticket OPS-{}.",
        rng.token(8),
        rng.below(100_000)
    );
    e.set_permissions(if i.is_multiple_of(7) {
        vec!["read", "trade", "withdraw"]
    } else {
        vec!["read", "trade"]
    });
    let rules = 1 + rng.below(4);
    e.ip_whitelist = (0..rules)
        .map(|r| {
            let text = if r % 2 == 0 {
                format!("203.0.{}.{}", rng.below(256), 1 + rng.below(254))
            } else {
                format!("2001:db8:{:x}::/48", rng.below(0x10000))
            };
            text.parse::<IpRule>().expect("valid rule")
        })
        .collect();
    e.rotate_every_days = Some(30 + (i % 4) as u32 * 15);
    if i.is_multiple_of(4) {
        let rotated = created + Days::days(30);
        e.history.push(HistoryItem {
            field: Field::Secret,
            value: SecretString::new(rng.token(64)),
            in_use_since: created,
            replaced_at: rotated,
            key_id: None,
            passphrase: None,
            public_key: None,
        });
        e.rotated_at = Some(rotated);
    }
    e
}

fn realistic_vault(n: usize) -> Vault {
    let base = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let mut rng = Rng(0x6b65_7977_6172_6442 ^ n as u64);
    Vault {
        entries: (0..n).map(|i| realistic_entry(i, &mut rng, base)).collect(),
        ..Vault::default()
    }
}

/// Process CPU time (user + system), all threads.
#[cfg(unix)]
fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the zeroed struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(not(unix))]
fn cpu_time() -> Duration {
    unimplemented!("this benchmark reads CPU time with getrusage: run it on Linux or macOS")
}

/// Runs `f` `reps` times and returns the median wall time (and the last result).
fn median<T>(reps: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let start = Instant::now();
        let out = f();
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    (
        times[times.len() / 2],
        last.expect("at least one repetition"),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("randomness");
    out
}

/// The durable write of `VaultFile::save`, step for step: temporary file (0600, exclusive),
/// write, fsync, hard-link backup, rename over the vault, fsync of the folder.
fn durable_write(path: &Path, bytes: &[u8]) {
    let dir = path.parent().expect("folder");
    let name = path.file_name().expect("name").to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.bench.tmp", std::process::id()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).expect("temporary file");
    file.write_all(bytes).expect("write");
    file.sync_all().expect("fsync");
    drop(file);
    if path.exists() {
        let bak_tmp = dir.join(format!(".{name}.bak.{}.tmp", std::process::id()));
        let _ = fs::remove_file(&bak_tmp);
        fs::hard_link(path, &bak_tmp).expect("link");
        fs::rename(&bak_tmp, backup_path(path)).expect("backup");
    }
    fs::rename(&tmp, path).expect("rename");
    File::open(dir)
        .expect("folder")
        .sync_all()
        .expect("fsync folder");
}

/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID): unlike wall time, it hardly
/// changes when other processes compete for the cores.
#[cfg(unix)]
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux knows.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(not(unix))]
fn thread_cpu() -> Duration {
    unimplemented!("this benchmark reads CPU time with clock_gettime: run it on Linux or macOS")
}

/// A point in time, by the wall clock and by this thread's CPU clock.
#[derive(Clone, Copy)]
struct Stamp {
    wall: Instant,
    cpu: Duration,
}

impl Stamp {
    fn now() -> Self {
        Stamp {
            wall: Instant::now(),
            cpu: thread_cpu(),
        }
    }
}

/// Wall and CPU time of one step.
#[derive(Clone, Copy, Default)]
struct Span {
    wall: Duration,
    cpu: Duration,
}

impl std::ops::Sub for Stamp {
    type Output = Span;
    fn sub(self, earlier: Stamp) -> Span {
        Span {
            wall: self.wall - earlier.wall,
            cpu: self.cpu.saturating_sub(earlier.cpu),
        }
    }
}

impl std::ops::Add for Span {
    type Output = Span;
    fn add(self, other: Span) -> Span {
        Span {
            wall: self.wall + other.wall,
            cpu: self.cpu + other.cpu,
        }
    }
}

/// Save (a): everything but the KDF, with a key derived once beforehand.
struct SaveSteps {
    serialize: Span,
    seal: Span,
    check: Span,
    write: Span,
    total: Span,
}

fn save_with_derived_key(
    path: &Path,
    vault: &Vault,
    key: &DerivedKey,
    params: KdfParams,
    salt: [u8; 32],
    hint: usize,
    last_fingerprint: &mut [u8; 32],
) -> SaveSteps {
    let start = Stamp::now();
    let plaintext = serialize_payload(vault, hint).expect("serialise");
    let serialized = Stamp::now();
    // The salt must match the key; the nonce is fresh as in a real save.
    let header = Header {
        kdf: params,
        salt,
        nonce: random_array(),
        key_file: false,
    };
    let bytes = format::seal(&header, key, plaintext).expect("seal");
    let sealed = Stamp::now();
    let on_disk = store::fingerprint_of_file(path).expect("fingerprint");
    assert_eq!(
        &on_disk, last_fingerprint,
        "nobody else writes the bench vault"
    );
    let checked = Stamp::now();
    durable_write(path, &bytes);
    let written = Stamp::now();
    *last_fingerprint = store::fingerprint(&bytes);
    let end = Stamp::now();
    SaveSteps {
        serialize: serialized - start,
        seal: sealed - serialized,
        check: (checked - sealed) + (end - written),
        write: written - checked,
        total: end - start,
    }
}

/// The median of one column.
fn median_of(steps: &[SaveSteps], column: impl Fn(&SaveSteps) -> Duration) -> Duration {
    let mut values: Vec<Duration> = steps.iter().map(column).collect();
    values.sort();
    values[values.len() / 2]
}

fn bench_size(dir: &Path, n: usize, params: KdfParams, reps: usize) -> Vec<String> {
    let mut vault = realistic_vault(n);
    let path = dir.join(format!("bench-{n}.keyward"));
    let _ = fs::remove_file(&path);
    let _ = fs::remove_file(backup_path(&path));
    let password = SecretString::from(PASSWORD);
    VaultFile::create(&path, password.clone(), params, &vault).expect("create");
    let file_len = fs::metadata(&path).expect("metadata").len();

    // Unlock: the whole VaultFile::open, then its parts.
    let (open_total, (mut file, opened)) = median(reps, || {
        VaultFile::open(&path, password.clone()).expect("open")
    });
    assert_eq!(opened.entries.len(), n);
    let bytes = fs::read(&path).expect("read");
    let header = Header::parse(&bytes).expect("header").0;
    let (kdf_time, key) = median(reps, || {
        kdf::derive_key(&password, &header.salt, header.kdf).expect("derive")
    });
    // Decryption alone: what format::open does after the KDF (copy the ciphertext, decrypt
    // and authenticate in place), with the key bytes derived once beforehand.
    let raw_key = raw_key(&password, &header);
    let (decrypt, plaintext) = median(reps, || {
        let bytes = fs::read(&path).expect("read");
        decrypt_with(&raw_key, &bytes)
    });
    let hint = plaintext.expose().len();
    let (parse, parsed) = median(reps, || parse_payload(&path, &plaintext).expect("parse"));
    assert_eq!(parsed.entries.len(), n);

    // Save (a): key already derived.
    let mut fingerprint = store::fingerprint(&fs::read(&path).expect("read"));
    let mut steps = Vec::with_capacity(reps);
    for _ in 0..reps {
        steps.push(save_with_derived_key(
            &path,
            &vault,
            &key,
            header.kdf,
            header.salt,
            hint,
            &mut fingerprint,
        ));
    }

    // Save (b): the full VaultFile::save, with the key derived at open (no KDF). The file
    // was rewritten by (a), so reopen to be in step with it.
    drop(file);
    let (reopened, _) = VaultFile::open(&path, password.clone()).expect("reopen");
    file = reopened;
    let (full_save, ()) = median(reps, || file.save(&mut vault).expect("save"));

    let per_entry = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e6 / n as f64);
    vec![
        format!(
            "| {n} | {:.1} | {} | {} | {} | {} | {} |",
            file_len as f64 / 1e6,
            ms(open_total),
            ms(kdf_time),
            ms(decrypt),
            ms(parse),
            per_entry(decrypt + parse),
        ),
        format!(
            "| {n} | {} | {} | {} | **{}** | {} | {} | {} | {} | {} |",
            ms(median_of(&steps, |s| s.serialize.wall)),
            ms(median_of(&steps, |s| s.seal.wall)),
            ms(median_of(&steps, |s| s.write.wall)),
            ms(median_of(&steps, |s| (s.serialize + s.seal + s.write).wall)),
            ms(median_of(&steps, |s| s.check.wall)),
            ms(median_of(&steps, |s| s.total.wall)),
            per_entry(median_of(&steps, |s| s.total.wall)),
            ms(full_save),
            format!(
                "{:.2}",
                full_save.as_secs_f64() / kdf_time.as_secs_f64().max(1e-9)
            ),
        ),
        format!(
            "| {n} | {} | {} | {} | **{}** | {} | {} |",
            ms(median_of(&steps, |s| s.serialize.cpu)),
            ms(median_of(&steps, |s| s.seal.cpu)),
            ms(median_of(&steps, |s| s.write.cpu)),
            ms(median_of(&steps, |s| (s.serialize + s.seal + s.write).cpu)),
            ms(median_of(&steps, |s| s.check.cpu)),
            ms(median_of(&steps, |s| s.total.cpu)),
        ),
    ]
}

/// The vault key as bytes, from the argon2 crate directly (a `DerivedKey` cannot be copied
/// out of the library, on purpose).
fn raw_key(password: &SecretString, header: &Header) -> [u8; 32] {
    let mut key = [0u8; 32];
    argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(
            header.kdf.memory_kib,
            header.kdf.iterations,
            header.kdf.parallelism,
            Some(32),
        )
        .expect("params"),
    )
    .hash_password_into(password.expose().as_bytes(), &header.salt, &mut key)
    .expect("argon2");
    key
}

/// The decryption step of `format::open`: copy everything after the header into a zeroizing
/// buffer and decrypt it in place, authenticating the header.
fn decrypt_with(key: &[u8; 32], file: &[u8]) -> SecretBytes {
    use chacha20poly1305::aead::{AeadInOut, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let cipher = XChaCha20Poly1305::new(&(*key).into());
    let nonce: [u8; 24] = file[56..80].try_into().expect("nonce");
    let mut buffer = SecretBytes::new(file[HEADER_LEN..].to_vec());
    cipher
        .decrypt_in_place(
            &XNonce::from(nonce),
            &file[..HEADER_LEN],
            buffer.as_mut_vec(),
        )
        .expect("authentic");
    buffer
}

fn bench_kdf(params: KdfParams, reps: usize) -> String {
    let password = SecretString::from(PASSWORD);
    let salt = random_array::<32>();
    let cpu_before = cpu_time();
    let (wall, _) = median(reps, || {
        kdf::derive_key(&password, &salt, params).expect("derive")
    });
    let cpu = (cpu_time() - cpu_before) / reps as u32;
    format!(
        "| {params} | {} | {} | {:.2} |",
        ms(wall),
        ms(cpu),
        cpu.as_secs_f64() / wall.as_secs_f64()
    )
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = match std::env::var("KEYWARD_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("KEYWARD_BENCH_SIZES: numbers"))
            .collect(),
        Err(_) if full => vec![1_000, 10_000, 100_000],
        Err(_) => vec![100],
    };
    let params = if full {
        KdfParams::default()
    } else {
        KdfParams::from_mib(1, 1, 1).expect("params")
    };
    let base: PathBuf = std::env::var_os("KEYWARD_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("bench folder");
    let load = || {
        fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    };
    println!("load average before: {}", load());
    println!(
        "keyward store bench: {} mode, vaults in {}, {} CPUs, KDF {params}",
        if full { "full" } else { "smoke" },
        dir.path().display(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    let mut unlock = Vec::new();
    let mut save = Vec::new();
    let mut save_cpu = Vec::new();
    for &n in &sizes {
        let reps = if !full {
            1
        } else if n >= 100_000 {
            5
        } else {
            7
        };
        eprintln!("… {n} entries ({reps} repetitions)");
        let rows = bench_size(dir.path(), n, params, reps);
        unlock.push(rows[0].clone());
        save.push(rows[1].clone());
        save_cpu.push(rows[2].clone());
    }

    println!("\nUnlock (median; ms unless stated)\n");
    println!(
        "| entries | file MB | VaultFile::open | KDF | read + decrypt | parse | decrypt + parse µs/entry |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in &unlock {
        println!("{row}");
    }
    println!(
        "\nSave (median; ms unless stated). (a) serialise + encrypt + durable write, key already \
         derived; + change detection = everything VaultFile::save does; (b) VaultFile::save \
         itself, which reuses the key derived at open (no KDF): (b) / KDF is a save's cost in \
         key derivations\n"
    );
    println!(
        "| entries | serialise | encrypt | durable write | (a) | change detection | (a) + change detection | µs/entry | (b) VaultFile::save | (b) / KDF |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in &save {
        println!("{row}");
    }
    println!(
        "\nThe same saves (a), thread CPU time (median ms): the work itself, whatever else the \
         machine is doing; the durable write mostly waits for the disk\n"
    );
    println!(
        "| entries | serialise | encrypt | durable write | (a) | change detection | (a) + change detection |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in &save_cpu {
        println!("{row}");
    }

    let kdf_reps = if full { 5 } else { 1 };
    let p4 = KdfParams {
        parallelism: 4,
        ..params
    };
    let p1 = KdfParams {
        parallelism: 1,
        ..params
    };
    println!("\nArgon2id (median wall; CPU = process user + system time per derivation)\n");
    println!("| parameters | wall ms | CPU ms | CPU / wall |");
    println!("| --- | ---: | ---: | ---: |");
    println!("{}", bench_kdf(p4, kdf_reps));
    println!("{}", bench_kdf(p1, kdf_reps));
    add_against_list(dir.path(), params, if full { 5 } else { 1 });
    println!("\nload average after: {}", load());
}

/// `keyward add` against `keyward list` through the binary, on a small vault with `params`:
/// each opens the vault once (one derivation); `add` also saves, which derives nothing now.
fn add_against_list(dir: &Path, params: KdfParams, reps: usize) {
    let vault = dir.join("cli.keyward");
    let password_file = dir.join("password.txt");
    fs::write(&password_file, format!("{PASSWORD}\n")).expect("password file");
    let run = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyward"))
            .arg("--vault")
            .arg(&vault)
            .arg("--password-file")
            .arg(&password_file)
            .args(args)
            .env_remove("KEYWARD_VAULT")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("run keyward");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("stdin");
        }
        assert!(child.wait().expect("wait").success(), "keyward {args:?}");
    };
    let (m, t, p) = (
        (params.memory_kib / 1024).to_string(),
        params.iterations.to_string(),
        params.parallelism.to_string(),
    );
    run(
        &[
            "init",
            "--kdf-memory-mib",
            &m,
            "--kdf-iterations",
            &t,
            "--kdf-parallelism",
            &p,
        ],
        "",
    );
    let mut i = 0;
    let (add, ()) = median(reps, || {
        i += 1;
        run(
            &["add", &format!("key-{i}"), "--secret-stdin"],
            "sk_bench_secret\n",
        );
    });
    let (list, ()) = median(reps, || run(&["list"], ""));
    println!("\nCLI through the binary, KDF {params} (median of {reps})\n");
    println!("| keyward add | keyward list | add / list |");
    println!("| ---: | ---: | ---: |");
    println!(
        "| {} | {} | {:.2} |",
        ms(add),
        ms(list),
        add.as_secs_f64() / list.as_secs_f64().max(1e-9)
    );
}
