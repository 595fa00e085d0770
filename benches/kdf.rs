//! Argon2id: keyward's own Argon2 (crates/argon2id, `keyward_argon2`) and the RustCrypto
//! `argon2` crate against libsodium's `crypto_pwhash` (through PyNaCl, in a Python process
//! started once), in the same run, alternating one derivation of each, so all see the same
//! machine load.
//!
//! ```text
//! cargo bench --bench kdf                      # 9 rounds of each (release)
//! KEYWARD_BENCH_ROUNDS=21 cargo bench --bench kdf
//! ```
//!
//! Prints the median and minimum wall time of each, the median CPU time, the CPU time per
//! wall time (how many cores p lanes really used), and the ratios of the CPU medians of the
//! new implementation and of the crate to libsodium's. libsodium's `crypto_pwhash` always
//! computes one lane, so it is compared with p = 1; the new p = 4 (the vault's default) is
//! shown beside it. All compute the same function: the bench checks that they give the same
//! 32 bytes for the same password and salt before timing anything.
//!
//! Needs `python3` with PyNaCl (`pip install pynacl`); without it the libsodium column is
//! skipped with the reason printed. Run without `--bench` (as `cargo test --benches` does) it
//! only does a quick smoke run at 1 MiB. docs/BENCHMARKS.md ("Argon2id against libsodium")
//! holds the figures.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use keyward::store::KdfParams;
use keyward::store::kdf::SALT_LEN;

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

/// Which Argon2id.
#[derive(Clone, Copy)]
enum Implementation {
    /// keyward's own (crates/argon2id), as `store::kdf` runs it.
    New,
    /// The RustCrypto `argon2` crate, one lane on the calling thread.
    Crate,
}

/// One derivation of 32 bytes from the bench password and `salt`, and its output.
fn derive(which: Implementation, params: KdfParams, salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    match which {
        Implementation::New => keyward_argon2::Argon2::new(
            keyward_argon2::Algorithm::Argon2id,
            keyward_argon2::Version::V0x13,
            keyward_argon2::Params {
                memory_kib: params.memory_kib,
                passes: params.iterations,
                lanes: params.parallelism,
            },
        )
        .hash_into(PASSWORD.as_bytes(), salt, &mut out)
        .expect("keyward_argon2"),
        Implementation::Crate => Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(
                params.memory_kib,
                params.iterations,
                params.parallelism,
                Some(32),
            )
            .expect("params"),
        )
        .hash_password_into(PASSWORD.as_bytes(), salt, &mut out)
        .expect("argon2"),
    }
    out
}

/// One timed derivation.
fn timed(which: Implementation, params: KdfParams) -> Sample {
    let cpu = cpu_time();
    let started = Instant::now();
    std::hint::black_box(derive(which, params, &[7; SALT_LEN]));
    Sample {
        wall: started.elapsed(),
        cpu: cpu_time() - cpu,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

    // The same function before anything is timed: keyward's new Argon2 gives the argon2
    // crate's output at p = 1 and p = 4, and libsodium's (16-byte salt, one lane).
    let salt16: Vec<u8> = (0..16).collect();
    let new1 = hex(&derive(Implementation::New, p1, &salt16));
    assert_eq!(
        new1,
        hex(&derive(Implementation::Crate, p1, &salt16)),
        "keyward_argon2 and the argon2 crate disagree at p=1"
    );
    assert_eq!(
        hex(&derive(Implementation::New, p4, &salt16)),
        hex(&derive(Implementation::Crate, p4, &salt16)),
        "keyward_argon2 and the argon2 crate disagree at p=4"
    );
    let mut sodium = match Sodium::start() {
        Ok(s) => Some(s),
        Err(why) => {
            println!("libsodium skipped: {why}");
            None
        }
    };
    if let Some(s) = sodium.as_mut() {
        let (_, theirs) = s.derive(memory_kib, t);
        assert_eq!(new1, theirs, "keyward_argon2 and libsodium disagree");
    }
    println!(
        "same output from all for the same input: {}… (AVX2 fill: {})",
        &new1[..16],
        keyward_argon2::Backend::avx2_available()
    );

    let (mut n1, mut n4, mut c1, mut na) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        n1.push(timed(Implementation::New, p1));
        if let Some(s) = sodium.as_mut() {
            na.push(s.derive(memory_kib, t).0);
        }
        c1.push(timed(Implementation::Crate, p1));
        n4.push(timed(Implementation::New, p4));
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
    let (n1, c1) = (summary(&n1), summary(&c1));
    row("keyward Argon2 (new) p=1", &n1);
    row("keyward Argon2 (new) p=4", &summary(&n4));
    row("argon2 crate p=1", &c1);
    if !na.is_empty() {
        let na = summary(&na);
        row("libsodium crypto_pwhash (p=1)", &na);
        println!();
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        for (name, s) in [("new", &n1), ("crate", &c1)] {
            println!(
                "{name} p=1 / libsodium: {:.2}x CPU time per derivation (medians), {:.2}x wall \
                 (medians), {:.2}x wall (minimums); goal 1.15x",
                ratio(s.cpu, na.cpu),
                ratio(s.wall, na.wall),
                ratio(s.min, na.min)
            );
        }
    }
}
