//! Argon2id: keyward's key derivation (the RustCrypto `argon2` crate, `store::kdf`) against
//! libsodium's `crypto_pwhash` (through PyNaCl, in a Python process started once), in the
//! same run, alternating one derivation of each, so both see the same machine load.
//!
//! ```text
//! cargo bench --bench kdf                      # 9 rounds of each (release)
//! KEYWARD_BENCH_ROUNDS=21 cargo bench --bench kdf
//! ```
//!
//! Prints the median and minimum wall time of each, their ratio, and the CPU time per wall
//! time of keyward's derivations (how many cores p lanes really used). libsodium's
//! `crypto_pwhash` always computes one lane, so it is compared with p = 1; keyward's p = 4
//! (the default) is shown beside it. Both compute the same function: the bench checks that
//! they give the same 32 bytes for the same password and salt before timing anything.
//!
//! Needs `python3` with PyNaCl (`pip install pynacl`); without it the libsodium column is
//! skipped with the reason printed. Run without `--bench` (as `cargo test --benches` does) it
//! only does a quick smoke run at 1 MiB. docs/BENCHMARKS.md ("Argon2id against libsodium")
//! holds the figures.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use keyward::secret::SecretString;
use keyward::store::KdfParams;
use keyward::store::kdf::{self, SALT_LEN};

const PASSWORD: &str = "benchmark master password";

/// The libsodium side: one derivation per request line ("M T" with M in bytes and T
/// passes), answered with "WALL_SECONDS CPU_SECONDS HEX".
const SODIUM: &str = r#"
import sys, time
import nacl.pwhash.argon2id as a
salt = bytes(range(16))
print("ready", flush=True)
for line in sys.stdin:
    m, t = (int(x) for x in line.split())
    started, cpu = time.perf_counter(), time.process_time()
    key = a.kdf(32, b"benchmark master password", salt, opslimit=t, memlimit=m)
    print(time.perf_counter() - started, time.process_time() - cpu, key.hex(), flush=True)
"#;

struct Sodium {
    _child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Sodium {
    fn start() -> Result<Sodium, String> {
        let mut child = Command::new("python3")
            .args(["-c", SODIUM])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        let input = child.stdin.take().ok_or("no stdin")?;
        let mut output = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        output.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.trim() != "ready" {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            let last = err.lines().last().unwrap_or("no output").to_owned();
            return Err(format!("PyNaCl is not usable ({last}); pip install pynacl"));
        }
        Ok(Sodium {
            _child: child,
            input,
            output,
        })
    }

    /// One derivation at `memory_kib` and `t` passes: its wall and CPU time (measured
    /// inside Python, around the call only) and output.
    fn derive(&mut self, memory_kib: u32, t: u32) -> (Sample, String) {
        writeln!(self.input, "{} {t}", u64::from(memory_kib) * 1024).expect("write to python");
        let mut line = String::new();
        self.output.read_line(&mut line).expect("read from python");
        let mut parts = line.split_whitespace();
        let mut seconds = || {
            let s: f64 = parts.next().expect("a field").parse().expect("seconds");
            Duration::from_secs_f64(s)
        };
        let (wall, cpu) = (seconds(), seconds());
        let hex = parts.next().expect("HEX").to_owned();
        (Sample { wall, cpu }, hex)
    }
}

#[cfg(unix)]
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(not(unix))]
fn cpu_time() -> Duration {
    unimplemented!("this benchmark reads CPU time with getrusage: run it on Linux or macOS")
}

/// One derivation's wall time and CPU time (all threads).
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
}

/// keyward's derivation as the vault does it (`store::kdf::derive_key`).
fn keyward(params: KdfParams) -> Sample {
    let password = SecretString::from(PASSWORD);
    let cpu = cpu_time();
    let started = Instant::now();
    kdf::derive_key(&password, &[7; SALT_LEN], params).expect("derive");
    Sample {
        wall: started.elapsed(),
        cpu: cpu_time() - cpu,
    }
}

/// Median wall, minimum wall, median CPU, and total CPU / total wall.
struct Summary {
    wall: Duration,
    min: Duration,
    cpu: Duration,
    cores: f64,
}

fn summary(samples: &[Sample]) -> Summary {
    let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
    let cpus: Vec<Duration> = samples.iter().map(|s| s.cpu).collect();
    let wall_sum: Duration = walls.iter().sum();
    let cpu_sum: Duration = cpus.iter().sum();
    Summary {
        wall: median(walls.clone()),
        min: walls.iter().copied().min().unwrap_or_default(),
        cpu: median(cpus),
        cores: cpu_sum.as_secs_f64() / wall_sum.as_secs_f64().max(1e-9),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("KEYWARD_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if full { 9 } else { 1 });
    let memory_kib = if full { 64 * 1024 } else { 1024 };
    let t = 3;
    let p1 = KdfParams {
        memory_kib,
        iterations: t,
        parallelism: 1,
    };
    let p4 = KdfParams {
        parallelism: 4,
        ..p1
    };
    println!(
        "Argon2id m={} MiB, t={t}: {rounds} rounds, alternating; {} cores",
        memory_kib / 1024,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut sodium = match Sodium::start() {
        Ok(s) => Some(s),
        Err(why) => {
            println!("libsodium skipped: {why}");
            None
        }
    };
    if let Some(s) = sodium.as_mut() {
        // The same function: libsodium's output for its 16-byte salt equals the argon2
        // crate's (one lane, as crypto_pwhash computes).
        let (_, theirs) = s.derive(memory_kib, t);
        let mut ours = [0u8; 32];
        Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(memory_kib, t, 1, Some(32)).expect("params"),
        )
        .hash_password_into(
            PASSWORD.as_bytes(),
            &(0..16).collect::<Vec<u8>>(),
            &mut ours,
        )
        .expect("argon2");
        let ours: String = ours.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(ours, theirs, "argon2 crate and libsodium disagree");
        println!("same output from both for the same input: {}…", &ours[..16]);
    }

    let (mut k1, mut k4, mut na) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        k1.push(keyward(p1));
        if let Some(s) = sodium.as_mut() {
            na.push(s.derive(memory_kib, t).0);
        }
        k4.push(keyward(p4));
    }
    println!();
    println!("| derivation | median ms | min ms | median CPU ms | CPU/wall |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let row = |name: &str, s: &Summary| {
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} | {:.2} |",
            ms(s.wall),
            ms(s.min),
            ms(s.cpu),
            s.cores
        );
    };
    let k1 = summary(&k1);
    row("keyward p=1", &k1);
    row("keyward p=4", &summary(&k4));
    if !na.is_empty() {
        let na = summary(&na);
        row("libsodium crypto_pwhash (p=1)", &na);
        println!();
        println!(
            "keyward p=1 / libsodium: {:.2}x CPU time per derivation (medians), {:.2}x wall \
             (medians), {:.2}x wall (minimums); goal 1.15x",
            k1.cpu.as_secs_f64() / na.cpu.as_secs_f64(),
            k1.wall.as_secs_f64() / na.wall.as_secs_f64(),
            k1.min.as_secs_f64() / na.min.as_secs_f64()
        );
    }
}
