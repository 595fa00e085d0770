//! What the app's fold of another program's change costs on the UI thread: the three-way
//! `merge(session, merged_by_the_job, base)` that `tasks/disk.rs` runs when a save or the
//! look at the file merged something, for 1k, 10k and 100k keys where the other program
//! changed two keys. The anchor, measured in the same run, is `Vault::clone` of the same
//! vault: the copy every save already makes on the UI thread for its job.
//!
//! ```text
//! cargo bench --bench merge                                 # 1k, 10k, 100k (release)
//! KEYWARD_BENCH_SIZES=1000,10000 cargo bench --bench merge  # chosen sizes
//! ```
//!
//! A plain `main` that prints a table; docs/BENCHMARKS.md holds the figures. Run without
//! `--bench` (as `cargo test --benches` does) it only does a quick smoke run.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use keyward::vault::merge::merge;
use keyward::vault::{Credential, Entry, Vault};

fn vault(n: usize) -> Vault {
    let at = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let mut v = Vault::default();
    for i in 0..n {
        let mut e = Entry::new(
            format!("key-{i:06}"),
            Credential::SharedSecret {
                key_id: format!("KEYID-{i:06}-{}", "k".repeat(48)).into(),
                secret: format!("secret-{i:06}-{}", "s".repeat(48)).into(),
                passphrase: (i % 3 == 0).then(|| format!("pass-{i}").into()),
            },
            at,
        );
        e.provider = ["binance", "kraken", "github", "aws"][i % 4].into();
        e.notes = format!("notes for key {i}");
        e.set_tags(["bot", if i % 2 == 0 { "prod" } else { "test" }]);
        e.modified_at = Some(at);
        v.entries.push(e);
    }
    v
}

/// The median of `reps` runs of `f`.
fn median(reps: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[reps / 2]
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
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average before: {}", load.trim());
    println!("| keys | Vault::clone (anchor, ms) | fold: three-way merge (ms) | ratio |");
    println!("| ---: | ---: | ---: | ---: |");
    for n in sizes {
        let reps = if !full {
            1
        } else if n >= 100_000 {
            5
        } else {
            11
        };
        let base = vault(n);
        // The job's vault: the other program rotated one key and added one.
        let mut merged = base.clone();
        let later = Utc
            .with_ymd_and_hms(2026, 2, 1, 0, 0, 0)
            .single()
            .expect("date");
        merged.entries[n / 2].rotate("rotated-elsewhere".into(), None, later);
        merged.entries[n / 2].modified_at = Some(later);
        let mut added = Entry::new(
            "added-elsewhere",
            Credential::Token { token: "t".into() },
            later,
        );
        added.modified_at = Some(later);
        merged.entries.push(added);
        // The session: one key edited here while the job ran.
        let mut session = base.clone();
        session.entries[1].notes = "edited here meanwhile".into();
        let clone = median(reps, || {
            std::hint::black_box(session.clone());
        });
        let mut keys = 0;
        let fold = median(reps, || {
            let m = merge(&session, &merged, Some(&base));
            keys = m.report.keys_affected();
            std::hint::black_box(m);
        });
        assert_eq!(keys, 2, "the fold takes the two keys changed elsewhere");
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {n} | {:.1} | {:.1} | {:.1}x |",
            ms(clone),
            ms(fold),
            ms(fold) / ms(clone).max(0.001)
        );
    }
}
