//! KeePass import at scale: a 100k-entry KeePass XML file and the same as KDBX 4, imported
//! the way `keyward import` does it (`transfer::import_file`: a kdbx streamed from the file,
//! XML read whole; parse, map every entry), each in a child
//! process that reports its own peak memory (`VmHWM` of /proc/self/status), with the
//! binary's allocator (`memlock::WipeOnFree`).
//!
//! ```text
//! cargo bench --bench transfer                                # 100k entries (release)
//! KEYWARD_BENCH_ENTRIES=10000 cargo bench --bench transfer    # another size
//! ```
//!
//! A plain `main` (no criterion) that prints a table; docs/BENCHMARKS.md holds the figures.
//! Run without `--bench` (as `cargo test --benches` does) it only does a 1k-entry smoke run.
//! The goal (issue 10): at most 2 s and a peak of at most 4× the file size. With
//! `keepassxc-cli` installed, a KDBX 3.1 row imports the same entries as KeePassXC writes them
//! (`keepassxc-cli import` of the XML: AES-256, AES-KDF, Salsa20 inner stream). A last row times
//! the refusal of the same kdbx with its Argon2 passes patched to 10⁹ (refused before any
//! derivation).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use keyward::secret::SecretString;
use keyward::transfer::{self, ExportOptions, Format, ImportOptions};
use keyward::vault::{Credential, CustomField, Entry, Vault};

/// The binary's allocator (src/main.rs), so that the child imports as `keyward import` does:
/// its realloc copies, which the system allocator's in-place growth of large blocks hides.
#[global_allocator]
static ALLOCATOR: keyward::memlock::WipeOnFree = keyward::memlock::WipeOnFree;

const PASSWORD: &str = "benchmark export password";
const CHILD: &str = "KEYWARD_BENCH_CHILD";

fn vault(n: usize) -> Vault {
    let base = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut vault = Vault::default();
    for i in 0..n {
        let credential = Credential::SharedSecret {
            key_id: format!("AKIA{i:016}").into(),
            secret: format!("{:064x}", (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15)).into(),
            passphrase: (i % 3 == 0).then(|| format!("pass-{i}").into()),
        };
        let mut e = Entry::new(format!("provider-{i:06}"), credential, base);
        e.notes = format!("Key {i} for the trading bot; rotate quarterly.");
        e.set_tags(["prod", if i % 2 == 0 { "trading" } else { "ci" }]);
        e.url = format!("https://api.example.com/{i}");
        e.custom_fields =
            thin_vec::thin_vec![CustomField::new("Account", format!("acct-{i}"), false)];
        vault.entries.push(e);
    }
    vault
}

/// Child: import `path` as `format` and print the seconds taken, the entry count, the peak
/// resident set and what the imported keys hold (the resident set then, less the one before
/// reading: the imported vault in memory).
fn child(format: Format, path: &Path) {
    let before = own_status("VmRSS:").unwrap_or(0);
    let started = Instant::now();
    let options = ImportOptions {
        password: Some(SecretString::from(PASSWORD)),
        ..ImportOptions::default()
    };
    // As `keyward import` reads it: a kdbx file streamed, another format read whole.
    let imported = std::fs::File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            transfer::import_file(file, path, format, &options, Utc::now())
                .map_err(|e| e.to_string())
        });
    let seconds = started.elapsed().as_secs_f64();
    let held = own_status("VmRSS:").unwrap_or(0).saturating_sub(before);
    let count = match &imported {
        Ok(i) => i.entries.len(),
        Err(e) => {
            eprintln!("{e}");
            0
        }
    };
    println!(
        "{seconds} {count} {} {held}",
        own_status("VmHWM:").unwrap_or(0)
    );
    drop(imported);
}

/// A size line of this process's /proc/self/status (`VmHWM:`, the peak resident set, or
/// `VmRSS:`, the resident set now), in bytes. Unlike `ru_maxrss` from `wait4` the peak cannot
/// carry the parent's high-water mark across fork.
fn own_status(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs the child for one file; (seconds, entries, peak resident set, held), bytes.
fn measure(format: Format, path: &Path) -> Option<(f64, usize, u64, u64)> {
    let exe = std::env::current_exe().ok()?;
    let mut child = Command::new(exe)
        .env(CHILD, format!("{format}:{}", path.display()))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take();
    let result = read_child(stdout);
    child.wait().ok()?;
    result
}

/// Seconds, entries, peak and held bytes the child printed.
fn read_child(stdout: Option<std::process::ChildStdout>) -> Option<(f64, usize, u64, u64)> {
    let mut stdout = stdout?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut text).ok()?;
    let mut words = text.split_whitespace();
    let seconds = words.next()?.parse().ok()?;
    let entries = words.next()?.parse().ok()?;
    let peak = words.next()?.parse().ok().filter(|p| *p > 0)?;
    let held = words.next()?.parse().ok()?;
    Some((seconds, entries, peak, held))
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        if let Some((format, path)) = spec.split_once(':')
            && let Ok(format) = format.parse::<Format>()
        {
            child(format, Path::new(path));
        }
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let n = std::env::var("KEYWARD_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100_000 } else { 1_000 });
    let dir = tempfile::tempdir().expect("temp dir");
    let vault = vault(n);
    println!(
        "KeePass import of {n} entries (each in a child process); an Entry is {} bytes before \
         its heap parts",
        std::mem::size_of::<Entry>()
    );
    println!(
        "{:<12} {:>10} {:>9} {:>11} {:>9} {:>6} {:>9} {:>9}",
        "format", "file MiB", "import s", "peak MiB", "peak/file", "goal", "held MiB", "peak/held"
    );
    for format in [Format::KeepassXml, Format::Kdbx] {
        let options = ExportOptions {
            password: Some(SecretString::from(PASSWORD)),
            ..ExportOptions::default()
        };
        let exported = transfer::export(&vault, format, &options).expect("export");
        let path = dir.path().join(format!("bench.{format}"));
        std::fs::write(&path, exported.bytes.expose()).expect("write");
        let size = exported.bytes.expose().len() as f64;
        drop(exported);
        let Some((seconds, entries, peak, held)) = measure(format, &path) else {
            println!("{format:<12} the child failed");
            continue;
        };
        assert_eq!(entries, n, "{format}: imported {entries} of {n}");
        let mib = |b: f64| b / (1024.0 * 1024.0);
        let ratio = peak as f64 / size;
        let met = seconds <= 2.0 && ratio <= 4.0;
        println!(
            "{:<12} {:>10.1} {:>9.2} {:>11.1} {:>9.1} {:>6} {:>9.1} {:>9.1}",
            format.to_string(),
            mib(size),
            seconds,
            mib(peak as f64),
            ratio,
            if met { "met" } else { "NOT met" },
            mib(held as f64),
            peak as f64 / held.max(1) as f64
        );
        println!(
            "{:<12} held per key: {} bytes",
            "",
            held / (n.max(1) as u64)
        );
    }
    kdbx3_row(&dir.path().join("bench.keepass-xml"), dir.path(), n);
    slow_row(&dir.path().join("bench.kdbx"), dir.path());
    nested_row(if full { 10_000 } else { 500 }, dir.path());
}

/// The same entries as KDBX 3.1 (AES-256, AES-KDF, Salsa20 inner stream, gzip), written by
/// `keepassxc-cli import` from the XML file when KeePassXC is installed.
fn kdbx3_row(xml: &Path, dir: &Path, n: usize) {
    let path = dir.join("bench3.kdbx");
    let made = Command::new("keepassxc-cli")
        .args(["import", "-q", "-p", "-t", "100"])
        .arg(xml)
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            if let Some(mut stdin) = c.stdin.take() {
                use std::io::Write as _;
                writeln!(stdin, "{PASSWORD}\n{PASSWORD}")?;
            }
            c.wait()
        });
    if !made.is_ok_and(|s| s.success()) {
        println!("kdbx 3.1     keepassxc-cli is not installed or failed: no row");
        return;
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(1) as f64;
    let Some((seconds, entries, peak, held)) = measure(Format::Kdbx, &path) else {
        println!("kdbx 3.1     the child failed");
        return;
    };
    assert_eq!(entries, n, "kdbx 3.1: imported {entries} of {n}");
    let mib = |b: f64| b / (1024.0 * 1024.0);
    let ratio = peak as f64 / size;
    println!(
        "{:<12} {:>10.1} {:>9.2} {:>11.1} {:>9.1} {:>6} {:>9.1} {:>9.1}",
        "kdbx 3.1",
        mib(size),
        seconds,
        mib(peak as f64),
        ratio,
        if seconds <= 2.0 && ratio <= 4.0 {
            "met"
        } else {
            "NOT met"
        },
        mib(held as f64),
        peak as f64 / held.max(1) as f64
    );
}

/// Imports a KeePass XML whose `depth` groups nest one inside the other, one entry in each.
fn nested_row(depth: usize, dir: &Path) {
    let mut x = String::from("<KeePassFile><Meta></Meta><Root>");
    for i in 0..depth {
        x.push_str(&format!(
            "<Group><UUID>g{i}</UUID><Name>group {i}</Name><Entry><String><Key>Title</Key>\
             <Value>entry {i}</Value></String><String><Key>Password</Key><Value>pw{i}</Value>\
             </String></Entry>"
        ));
    }
    x.push_str(&"</Group>".repeat(depth));
    x.push_str("</Root></KeePassFile>");
    let path = dir.join("nested.xml");
    std::fs::write(&path, &x).expect("write");
    if let Some((seconds, entries, peak, _)) = measure(Format::KeepassXml, &path) {
        let mib = |b: f64| b / (1024.0 * 1024.0);
        println!(
            "{:<12} {:>10.1} {:>9.2} {:>11.1} {:>9.1} ({entries} entries, {depth} groups deep)",
            "xml nested",
            mib(x.len() as f64),
            seconds,
            mib(peak as f64),
            peak as f64 / x.len() as f64,
        );
    }
}

/// Times the refusal of `kdbx` with its Argon2 passes set to 10⁹.
fn slow_row(kdbx: &Path, dir: &Path) {
    let mut bytes = std::fs::read(kdbx).unwrap_or_default();
    // Variant dictionary item: UInt64 (0x05), name length 1, "I", value length 8.
    let pattern = [0x05, 1, 0, 0, 0, b'I', 8, 0, 0, 0];
    let Some(at) = bytes.windows(pattern.len()).position(|w| w == pattern) else {
        println!("kdbx (slow)  no Argon2 passes in the header");
        return;
    };
    let at = at + pattern.len();
    bytes[at..at + 8].copy_from_slice(&1_000_000_000u64.to_le_bytes());
    let path = dir.join("slow.kdbx");
    std::fs::write(&path, &bytes).expect("write");
    if let Some((seconds, entries, _, _)) = measure(Format::Kdbx, &path) {
        println!(
            "{:<12} {:>10} {:>9.3} refused: {}",
            "kdbx t=10^9",
            "",
            seconds,
            entries == 0
        );
    }
}
