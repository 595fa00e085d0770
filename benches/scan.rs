//! `keyward scan` against ripgrep (issue 6): the same tree, the same secrets (`rg -F -f`),
//! the same hits, and keyward's time at most 1.25× ripgrep's.
//!
//! Run: `cargo bench --bench scan` (needs `rg`, Debian package `ripgrep`). The tree is a copy
//! of `KEYWARD_SCAN_BENCH_TREE` (default: the cargo registry sources, `~/.cargo/registry/src`)
//! with secrets planted in a few files; the vault holds those plus 40 secrets that appear
//! nowhere. Each tool runs once to warm the page cache, then `KEYWARD_SCAN_BENCH_RUNS`
//! (default 7) alternating timed runs; the medians are compared. Exits 1 when the hits differ
//! or keyward is more than 1.25× slower.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RATIO_LIMIT: f64 = 1.25;

fn fail(msg: &str) -> ! {
    eprintln!("scan bench: {msg}");
    std::process::exit(1);
}

/// A deterministic pseudo-random secret (xorshift), 32 characters of base62.
fn secret(seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..32)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

fn run_ok(cmd: &mut Command, what: &str) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| fail(&format!("cannot run {what}: {e}")));
    // keyward scan and rg exit 1 when they find something.
    if !matches!(out.status.code(), Some(0 | 1)) {
        fail(&format!(
            "{what} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    out.stdout
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes --bench; a filter argument that is not ours skips this bench.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"scan".contains(a.as_str()))
    {
        return;
    }
    let source = std::env::var_os("KEYWARD_SCAN_BENCH_TREE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/registry/src")))
        .unwrap_or_else(|| fail("set KEYWARD_SCAN_BENCH_TREE"));
    let runs: usize = std::env::var("KEYWARD_SCAN_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7)
        .max(1);
    if Command::new("rg").arg("--version").output().is_err() {
        fail("ripgrep (rg) is not installed: apt-get install ripgrep");
    }

    let work = tempfile::tempdir().unwrap_or_else(|e| fail(&format!("temp dir: {e}")));
    let tree = work.path().join("tree");
    eprintln!("copying {} …", source.display());
    run_ok(
        Command::new("cp").arg("-a").arg(&source).arg(&tree),
        "cp -a",
    );

    // Secrets: 4 planted, 40 that appear nowhere.
    let planted: Vec<String> = (1..=4).map(secret).collect();
    let absent: Vec<String> = (100..140).map(secret).collect();
    let mut files = Vec::new();
    files_under(&tree, &mut files);
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    files.sort();
    if files.len() < 100 {
        fail("the tree has fewer than 100 .rs files");
    }
    let mut planted_places = 0;
    for (i, s) in planted.iter().enumerate() {
        for j in 0..3 {
            let f = &files[(i * 7919 + j * 104_729) % files.len()];
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(f)
                .unwrap_or_else(|e| fail(&format!("{}: {e}", f.display())));
            writeln!(file, "// leaked: const KEY: &str = \"{s}\";")
                .unwrap_or_else(|e| fail(&format!("{}: {e}", f.display())));
            planted_places += 1;
        }
    }

    // The vault.
    let keyward = env!("CARGO_BIN_EXE_keyward");
    let vault = work.path().join("bench.keyward");
    let password = work.path().join("password");
    std::fs::write(&password, "bench\n").unwrap_or_else(|e| fail(&e.to_string()));
    let base = |args: &[&str]| {
        let mut c = Command::new(keyward);
        c.arg("--vault")
            .arg(&vault)
            .arg("--password-file")
            .arg(&password)
            .args(args)
            .env_remove("KEYWARD_PASSWORD_COMMAND");
        c
    };
    run_ok(
        &mut base(&[
            "init",
            "--kdf-memory-mib",
            "1",
            "--kdf-iterations",
            "1",
            "--kdf-parallelism",
            "1",
        ]),
        "keyward init",
    );
    for (i, s) in planted.iter().chain(&absent).enumerate() {
        let mut child = base(&["add", &format!("key-{i}"), "--secret-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| fail(&e.to_string()));
        if let Some(mut stdin) = child.stdin.take() {
            let _ = writeln!(stdin, "{s}");
        }
        if !child.wait().is_ok_and(|s| s.success()) {
            fail("keyward add failed");
        }
    }
    let patterns = work.path().join("patterns");
    let all: Vec<&str> = planted.iter().chain(&absent).map(String::as_str).collect();
    std::fs::write(&patterns, all.join("\n") + "\n").unwrap_or_else(|e| fail(&e.to_string()));

    let tree_arg = tree.to_str().unwrap_or_else(|| fail("non-UTF-8 temp path"));
    let keyward_scan = || base(&["scan", "--json", tree_arg]);
    let rg = || {
        let mut c = Command::new("rg");
        c.args(["-F", "-f"])
            .arg(&patterns)
            .args([
                "--no-heading",
                "--with-filename",
                "-n",
                "--column",
                "-o",
                "--no-messages",
            ])
            .arg(&tree);
        c
    };

    // Same hits: (path, line, column).
    let k_out = run_ok(&mut keyward_scan(), "keyward scan");
    let json: serde_json::Value =
        serde_json::from_slice(&k_out).unwrap_or_else(|e| fail(&format!("scan JSON: {e}")));
    let k_hits: BTreeSet<(String, u64, u64)> = json["hits"]
        .as_array()
        .unwrap_or_else(|| fail("no hits array"))
        .iter()
        .map(|h| {
            (
                h["path"].as_str().unwrap_or_default().to_owned(),
                h["line"].as_u64().unwrap_or_default(),
                h["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let r_out = run_ok(&mut rg(), "rg");
    let r_hits: BTreeSet<(String, u64, u64)> = String::from_utf8_lossy(&r_out)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(4, ':');
            Some((
                parts.next()?.to_owned(),
                parts.next()?.parse().ok()?,
                parts.next()?.parse().ok()?,
            ))
        })
        .collect();
    if k_hits != r_hits || k_hits.len() != planted_places {
        fail(&format!(
            "hits differ: keyward {} ({:?}…), rg {} ({:?}…), planted {planted_places}",
            k_hits.len(),
            k_hits.iter().next(),
            r_hits.len(),
            r_hits.iter().next()
        ));
    }
    let files_scanned = json["files_scanned"].as_u64().unwrap_or_default();
    let mb = json["bytes_scanned"].as_u64().unwrap_or_default() as f64 / 1e6;

    // Timing: warm-up done above; alternate the tools.
    let time = |mut cmd: Command| {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let start = Instant::now();
        let status = cmd.status().unwrap_or_else(|e| fail(&e.to_string()));
        let elapsed = start.elapsed();
        if !matches!(status.code(), Some(0 | 1)) {
            fail(&format!("a timed run failed: {status}"));
        }
        elapsed
    };
    let mut k_times = Vec::new();
    let mut r_times = Vec::new();
    for _ in 0..runs {
        r_times.push(time(rg()));
        k_times.push(time(keyward_scan()));
    }
    let (k, r) = (median(k_times.clone()), median(r_times.clone()));
    let ratio = k.as_secs_f64() / r.as_secs_f64();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("## scan results");
    println!(
        "tree: {} ({files_scanned} files, {mb:.0} MB searched), {cpus} CPUs, {} secrets, {} hits (identical)",
        source.display(),
        all.len(),
        k_hits.len()
    );
    println!(
        "keyward scan: median {:.3} s of {runs} (min {:.3} s), {:.0} MB/s",
        k.as_secs_f64(),
        k_times.iter().min().map_or(0.0, Duration::as_secs_f64),
        mb / k.as_secs_f64()
    );
    println!(
        "rg -F -f:     median {:.3} s of {runs} (min {:.3} s)",
        r.as_secs_f64(),
        r_times.iter().min().map_or(0.0, Duration::as_secs_f64)
    );
    println!("ratio keyward/rg: {ratio:.2} (limit {RATIO_LIMIT})");
    if ratio > RATIO_LIMIT {
        fail(&format!(
            "keyward is {ratio:.2}× ripgrep's time (limit {RATIO_LIMIT})"
        ));
    }
}
