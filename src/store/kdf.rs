//! Key derivation: Argon2id from the master password, with parameters that are checked
//! against hard caps before any memory is allocated.

use std::fmt;

use keyward_argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::memlock::Locked;
use crate::secret::SecretString;

/// A derived 256-bit key: in locked memory while it lives (best effort, [`Locked`]),
/// zeroized on drop, never printed.
#[derive(Clone)]
pub struct DerivedKey(pub(crate) Locked<[u8; KEY_LEN]>);

impl fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::secret::REDACTED)
    }
}

impl DerivedKey {
    /// A key from its bytes, derived elsewhere: for tests and the fuzz targets, which must
    /// not pay for Argon2 on every input.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        DerivedKey(Locked::new(bytes))
    }

    /// The key copied into locked memory from a buffer that wipes itself.
    pub(crate) fn from_buffer(bytes: &Zeroizing<[u8; KEY_LEN]>) -> Self {
        let mut key = Locked::<[u8; KEY_LEN]>::new_default();
        key.copy_from_slice(&bytes[..]);
        DerivedKey(key)
    }
}

/// Length of the derived key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the KDF salt in bytes.
pub const SALT_LEN: usize = 32;

/// The largest memory cost accepted, in KiB (1 GiB). A file asking for more is refused before
/// anything is allocated.
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
/// The largest iteration count accepted.
pub const MAX_ITERATIONS: u32 = 100;
/// The largest parallelism accepted.
pub const MAX_PARALLELISM: u32 = 16;
/// The smallest memory cost accepted, in KiB: Argon2 needs 8 KiB per lane, and anything below
/// 1 MiB is no protection at all.
pub const MIN_MEMORY_KIB: u32 = 1024;

/// Why key derivation parameters are refused, or why the derivation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KdfError {
    /// The memory cost is outside [`MIN_MEMORY_KIB`]..=[`MAX_MEMORY_KIB`].
    #[error(
        "memory {0} KiB is outside {MIN_MEMORY_KIB}..={MAX_MEMORY_KIB} KiB: use 1 MiB to 1 GiB \
         (64 MiB is the default)"
    )]
    Memory(u32),
    /// The pass count is outside 1..=[`MAX_ITERATIONS`].
    #[error(
        "iterations {0} is outside 1..={MAX_ITERATIONS}: use 1 to {MAX_ITERATIONS} passes (3 is the default)"
    )]
    Iterations(u32),
    /// The lane count is outside 1..=[`MAX_PARALLELISM`].
    #[error(
        "parallelism {0} is outside 1..={MAX_PARALLELISM}: use 1 to {MAX_PARALLELISM} lanes (4 is the default)"
    )]
    Parallelism(u32),
    /// Argon2 needs 8 KiB of memory per lane.
    #[error("memory must be at least 8 KiB per lane: raise the memory or use fewer lanes")]
    MemoryPerLane,
    /// The Argon2 implementation refused the parameters or failed while deriving.
    #[error("key derivation failed: {0}; try again, and report it if it persists")]
    Argon2(String),
    /// Within the caps, but more work than the bound of [`check_work_factor`] allows unasked.
    #[error(transparent)]
    WorkFactor(#[from] WorkFactorError),
}

/// Argon2id parameters as stored in the vault header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Number of passes over the memory.
    pub iterations: u32,
    /// Lanes computed in parallel.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// RFC 9106's second recommended option: 64 MiB, t = 3, p = 4.
    fn default() -> Self {
        Self {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
        }
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Argon2id m={} MiB, t={}, p={}",
            self.memory_kib / 1024,
            self.iterations,
            self.parallelism
        )
    }
}

impl KdfParams {
    /// Parameters from the CLI's units (memory in MiB), validated.
    pub fn from_mib(memory_mib: u32, iterations: u32, parallelism: u32) -> Result<Self, KdfError> {
        let params = Self {
            memory_kib: memory_mib.saturating_mul(1024),
            iterations,
            parallelism,
        };
        params.check()?;
        Ok(params)
    }

    /// True when guessing costs less than under the default: less memory or fewer passes.
    /// Fewer lanes over the same memory is not weaker.
    pub fn is_below_default(&self) -> bool {
        let default = Self::default();
        self.memory_kib < default.memory_kib || self.iterations < default.iterations
    }

    /// The same parameters in the terms of [`check_work_factor`], the one bound on the work
    /// of a key derivation read from any file (the vault's header or a KDBX import).
    pub fn as_work(&self) -> ForeignKdf {
        ForeignKdf::Argon2 {
            memory_bytes: u64::from(self.memory_kib) * 1024,
            iterations: u64::from(self.iterations),
            parallelism: u64::from(self.parallelism),
        }
    }

    /// Refuses parameters above the work bound ([`SLOW_FACTOR`] × the default) unless
    /// `allow_slow`: [`check_work_factor`] applied to the vault's own KDF.
    pub fn check_work(&self, allow_slow: bool) -> Result<(), KdfError> {
        check_work_factor(self.as_work(), allow_slow).map_err(KdfError::WorkFactor)
    }

    /// Refuses parameters outside the caps, saying which one and why. Called on every header
    /// read, before the KDF allocates its memory.
    pub fn check(&self) -> Result<(), KdfError> {
        if self.memory_kib < MIN_MEMORY_KIB || self.memory_kib > MAX_MEMORY_KIB {
            return Err(KdfError::Memory(self.memory_kib));
        }
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return Err(KdfError::Iterations(self.iterations));
        }
        if self.parallelism == 0 || self.parallelism > MAX_PARALLELISM {
            return Err(KdfError::Parallelism(self.parallelism));
        }
        if self.memory_kib < 8 * self.parallelism {
            return Err(KdfError::MemoryPerLane);
        }
        Ok(())
    }
}

/// The named key derivation strengths offered when a vault is made or re-encrypted (the
/// app's Strength menu, `--kdf-preset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfPreset {
    /// 19 MiB, 2 passes, 1 lane: OWASP's minimum, for old or small machines.
    Light,
    /// The default (RFC 9106's second option).
    Standard,
    /// 256 MiB, 4 passes: slower to unlock, dearer to attack.
    Strong,
}

impl KdfPreset {
    /// Every preset, weakest first.
    pub const ALL: [KdfPreset; 3] = [KdfPreset::Light, KdfPreset::Standard, KdfPreset::Strong];

    /// The Argon2id parameters of the preset.
    pub fn params(self) -> KdfParams {
        match self {
            KdfPreset::Light => KdfParams {
                memory_kib: 19 * 1024,
                iterations: 2,
                parallelism: 1,
            },
            KdfPreset::Standard => KdfParams::default(),
            KdfPreset::Strong => KdfParams {
                memory_kib: 256 * 1024,
                iterations: 4,
                parallelism: 4,
            },
        }
    }

    /// The name `--kdf-preset` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            KdfPreset::Light => "light",
            KdfPreset::Standard => "standard",
            KdfPreset::Strong => "strong",
        }
    }

    /// A one-line description for a menu.
    pub fn label(self) -> &'static str {
        match self {
            KdfPreset::Light => "Light: 19 MiB, 2 passes (old or small machines)",
            KdfPreset::Standard => "Standard: 64 MiB, 3 passes (recommended)",
            KdfPreset::Strong => "Strong: 256 MiB, 4 passes (slower unlock)",
        }
    }

    /// The preset whose parameters are exactly `params`, if any.
    pub fn of(params: KdfParams) -> Option<KdfPreset> {
        Self::ALL.into_iter().find(|c| c.params() == params)
    }
}

/// A `--kdf-preset` name that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown key derivation preset '{0}': use light, standard or strong")]
pub struct UnknownPreset(pub String);

impl std::str::FromStr for KdfPreset {
    type Err = UnknownPreset;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPreset(s.to_owned()))
    }
}

/// How many times the work of the vault's own default KDF ([`KdfParams::default`]) a key
/// derivation read from a file may ask for before keyward refuses to run it unasked. age caps
/// scrypt's work factor the same way, relative to its default; 32× keyward's default is
/// 6 GiB of Argon2 memory passes, several seconds on a current machine and far beyond what
/// KeePassXC's one-second calibration writes.
pub const SLOW_FACTOR: u64 = 32;

/// The largest Argon2 memory a file may ask for, even when slow derivations are allowed
/// (64× the default, 4 GiB): beyond it the allocation itself is the danger.
pub const HARD_MAX_MEMORY_BYTES: u64 = 64 * DEFAULT_MEMORY_BYTES;

/// The largest Argon2 lane count a file may ask for, even when slow derivations are allowed.
pub const HARD_MAX_PARALLELISM: u64 = 256;

/// AES-KDF rounds counted as the work of one Argon2 pass over one MiB, as timed on the
/// machine of docs/BENCHMARKS.md (AES-NI, the `keepass` crate's AES-KDF): Argon2id 64 MiB
/// t=3 p=1 took 0.51 s and 10 M AES-KDF rounds 4.56 s, so a MiB-pass is about 6 000 rounds
/// and the bound is about 37 M rounds.
pub const AES_ROUNDS_PER_MIB_PASS: u64 = 6_000;

const DEFAULT_MEMORY_BYTES: u64 = 64 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// A key derivation a file asks for, as read from its header: another program's (KDBX, KDB)
/// or the vault's own ([`KdfParams::as_work`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForeignKdf {
    /// Argon2d or Argon2id.
    Argon2 {
        /// Memory in bytes.
        memory_bytes: u64,
        /// Passes over the memory.
        iterations: u64,
        /// Lanes.
        parallelism: u64,
    },
    /// KeePass's AES-KDF.
    AesKdf {
        /// Rounds of AES-256.
        rounds: u64,
    },
}

impl fmt::Display for ForeignKdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForeignKdf::Argon2 {
                memory_bytes,
                iterations,
                parallelism,
            } => write!(
                f,
                "Argon2 m={} MiB, t={iterations}, p={parallelism}",
                memory_bytes / MIB
            ),
            ForeignKdf::AesKdf { rounds } => write!(f, "AES-KDF {rounds} rounds"),
        }
    }
}

impl ForeignKdf {
    /// Its work in Argon2 MiB-passes (memory, rounded up to whole MiB and at least one, ×
    /// passes; AES-KDF rounds converted with [`AES_ROUNDS_PER_MIB_PASS`]). Rounding up
    /// matters: 512 KiB × 10⁹ passes is hours of work, not none.
    pub fn work(&self) -> u64 {
        match *self {
            ForeignKdf::Argon2 {
                memory_bytes,
                iterations,
                ..
            } => memory_bytes.div_ceil(MIB).max(1).saturating_mul(iterations),
            ForeignKdf::AesKdf { rounds } => rounds / AES_ROUNDS_PER_MIB_PASS,
        }
    }
}

/// The work of the vault's default KDF in Argon2 MiB-passes.
pub fn default_work() -> u64 {
    let d = KdfParams::default();
    u64::from(d.memory_kib / 1024) * u64::from(d.iterations)
}

/// Why a file's key derivation is not run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkFactorError {
    /// More work than [`SLOW_FACTOR`] × the default: it could run for minutes or hours.
    #[error(
        "its key derivation ({kdf}) is {times}× the work of keyward's own ({default}), above \
         the limit of {SLOW_FACTOR}×, and could run for minutes or hours; if you trust the \
         file, pass --allow-slow-kdf to run it anyway"
    )]
    Slow {
        /// What the file asks for.
        kdf: ForeignKdf,
        /// Its work relative to the default, rounded down.
        times: u64,
        /// The vault's default, for comparison.
        default: KdfParams,
    },
    /// More memory or lanes than keyward ever allocates.
    #[error(
        "its key derivation ({kdf}) asks for more than {} MiB of memory or {HARD_MAX_PARALLELISM} \
         lanes; keyward never runs that, even with --allow-slow-kdf",
        HARD_MAX_MEMORY_BYTES / MIB
    )]
    TooLarge {
        /// What the file asks for.
        kdf: ForeignKdf,
    },
}

/// The bound on a key derivation read from a file, checked before anything is derived: no
/// more than [`SLOW_FACTOR`] × the default's work (unless `allow_slow`) and never more than
/// [`HARD_MAX_MEMORY_BYTES`] or [`HARD_MAX_PARALLELISM`].
pub fn check_work_factor(kdf: ForeignKdf, allow_slow: bool) -> Result<(), WorkFactorError> {
    if let ForeignKdf::Argon2 {
        memory_bytes,
        parallelism,
        ..
    } = kdf
        && (memory_bytes > HARD_MAX_MEMORY_BYTES || parallelism > HARD_MAX_PARALLELISM)
    {
        return Err(WorkFactorError::TooLarge { kdf });
    }
    let default = default_work().max(1);
    let work = kdf.work();
    if !allow_slow && work > SLOW_FACTOR.saturating_mul(default) {
        return Err(WorkFactorError::Slow {
            kdf,
            times: work / default,
            default: KdfParams::default(),
        });
    }
    Ok(())
}

/// The iteration count that makes one derivation take about `target`, given its fixed cost
/// (allocating and filling the memory once) and the cost of each pass; clamped to
/// `1..=MAX_ITERATIONS`.
pub fn iterations_for(
    target: std::time::Duration,
    fixed: std::time::Duration,
    per_pass: std::time::Duration,
) -> u32 {
    let per_pass = per_pass.as_secs_f64().max(1e-6);
    let t = ((target.as_secs_f64() - fixed.as_secs_f64()) / per_pass).round();
    t.clamp(1.0, f64::from(MAX_ITERATIONS)) as u32
}

/// Calibrates the iteration count so that unlocking takes about `target` on this machine
/// (KeePassXC's approach; it uses 1 s), keeping `base`'s memory and parallelism. Runs the
/// KDF with one and with three passes to separate the fixed cost from the cost per pass.
pub fn calibrate(base: KdfParams, target: std::time::Duration) -> Result<KdfParams, KdfError> {
    let time = |iterations| -> Result<std::time::Duration, KdfError> {
        let started = std::time::Instant::now();
        let probe = KdfParams { iterations, ..base };
        derive_key(&SecretString::from("calibration"), &[0; SALT_LEN], probe)?;
        Ok(started.elapsed())
    };
    let one = time(1)?;
    let three = time(3)?;
    let per_pass = three.saturating_sub(one) / 2;
    let fixed = one.saturating_sub(per_pass);
    Ok(KdfParams {
        iterations: iterations_for(target, fixed, per_pass).min(bounded_iterations(base)),
        ..base
    })
}

/// The most passes `base`'s memory may make without crossing the work bound (at least 1):
/// a calibrated vault always opens without `--allow-slow-kdf`.
pub fn bounded_iterations(base: KdfParams) -> u32 {
    let mib = u64::from(base.memory_kib / 1024).max(1);
    let most = SLOW_FACTOR.saturating_mul(default_work()) / mib;
    u32::try_from(most)
        .unwrap_or(u32::MAX)
        .clamp(1, MAX_ITERATIONS)
}

thread_local! {
    static DERIVATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times [`derive_key`] has run Argon2id on the calling thread: lets a test count
/// what a command derives (a whole `keyward passwd` must derive exactly two keys) without
/// timing it. Per thread, so tests running side by side do not see each other's.
pub fn derivations_on_this_thread() -> u64 {
    DERIVATIONS.with(std::cell::Cell::get)
}

/// Derives the vault key from the password and salt with keyward's own Argon2id
/// (crates/argon2id): the lanes of each slice run on threads, one per lane up to the number
/// of cores, so p = 4 really uses four cores where there are four, and the block fill uses
/// AVX2 where the processor has it.
pub fn derive_key(
    password: &SecretString,
    salt: &[u8; SALT_LEN],
    params: KdfParams,
) -> Result<DerivedKey, KdfError> {
    params.check()?;
    DERIVATIONS.with(|n| n.set(n.get() + 1));
    let argon = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params {
            memory_kib: params.memory_kib,
            passes: params.iterations,
            lanes: params.parallelism,
        },
    );
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_into(password.expose().as_bytes(), salt, &mut key[..])
        .map_err(|e| KdfError::Argon2(e.to_string()))?;
    Ok(DerivedKey::from_buffer(&key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_named_and_found_again() {
        for preset in KdfPreset::ALL {
            preset.params().check().expect("a preset passes the caps");
            assert_eq!(KdfPreset::of(preset.params()), Some(preset));
            assert_eq!(preset.as_str().parse::<KdfPreset>(), Ok(preset));
        }
        assert_eq!(
            KdfPreset::of(KdfParams::default()),
            Some(KdfPreset::Standard)
        );
        assert!(KdfPreset::Light.params().is_below_default());
        assert!(!KdfPreset::Strong.params().is_below_default());
        assert_eq!(" Strong".parse::<KdfPreset>(), Ok(KdfPreset::Strong));
        let err = "medium".parse::<KdfPreset>().expect_err("unknown");
        assert!(
            err.to_string().contains("light, standard or strong"),
            "{err}"
        );
        let custom = KdfParams {
            iterations: 5,
            ..KdfParams::default()
        };
        assert_eq!(KdfPreset::of(custom), None);
    }

    #[test]
    fn foreign_work_factors_are_bounded_relative_to_the_default() {
        let argon = |mib: u64, t: u64, p: u64| ForeignKdf::Argon2 {
            memory_bytes: mib * MIB,
            iterations: t,
            parallelism: p,
        };
        // KeePassXC's defaults and its one-second calibrations pass.
        assert_eq!(check_work_factor(argon(64, 10, 2), false), Ok(()));
        assert_eq!(
            check_work_factor(ForeignKdf::AesKdf { rounds: 20_000_000 }, false),
            Ok(())
        );
        // Exactly the bound passes; one pass more does not.
        let at_bound = argon(64, 3 * SLOW_FACTOR, 1);
        assert_eq!(check_work_factor(at_bound, false), Ok(()));
        let err = check_work_factor(argon(64, 3 * SLOW_FACTOR + 1, 1), false).expect_err("slow");
        let text = err.to_string();
        assert!(
            text.contains("t=97") && text.contains("--allow-slow-kdf"),
            "{text}"
        );
        assert!(check_work_factor(argon(64, 3 * SLOW_FACTOR + 1, 1), true).is_ok());
        // The hostile files.
        let aes = ForeignKdf::AesKdf {
            rounds: 1_000_000_000,
        };
        assert!(matches!(
            check_work_factor(aes, false),
            Err(WorkFactorError::Slow { .. })
        ));
        assert!(check_work_factor(argon(2048, 10_000, 2), false).is_err());
        // Less than a MiB of memory does not make the passes free.
        let tiny = ForeignKdf::Argon2 {
            memory_bytes: 512 * 1024,
            iterations: 1_000_000_000,
            parallelism: 1,
        };
        assert!(matches!(
            check_work_factor(tiny, false),
            Err(WorkFactorError::Slow { .. })
        ));
        assert_eq!(tiny.work(), 1_000_000_000);
        // Memory beyond the hard cap is refused even when allowed.
        assert!(matches!(
            check_work_factor(argon(8192, 1, 1), true),
            Err(WorkFactorError::TooLarge { .. })
        ));
        assert!(check_work_factor(argon(64, 1, 1000), true).is_err());
    }

    #[test]
    fn caps_refuse_absurd_parameters() {
        let huge = KdfParams {
            memory_kib: u32::MAX,
            iterations: 3,
            parallelism: 4,
        };
        assert!(
            huge.check()
                .expect_err("too much memory")
                .to_string()
                .contains("memory")
        );
        let slow = KdfParams {
            iterations: 1_000_000,
            ..KdfParams::default()
        };
        assert!(
            slow.check()
                .expect_err("too slow")
                .to_string()
                .contains("iterations")
        );
        let wide = KdfParams {
            parallelism: 255,
            ..KdfParams::default()
        };
        assert!(
            wide.check()
                .expect_err("too wide")
                .to_string()
                .contains("parallelism")
        );
        assert_eq!(wide.check(), Err(KdfError::Parallelism(255)));
        assert!(KdfParams::default().check().is_ok());
        assert!(KdfParams::from_mib(0, 1, 1).is_err());
        assert!(KdfParams::from_mib(2048, 1, 1).is_err());
    }

    #[test]
    fn iterations_scale_with_the_target_and_stay_in_bounds() {
        use std::time::Duration;
        let ms = Duration::from_millis;
        for (target, fixed, per_pass, expected) in [
            (ms(1000), ms(0), ms(100), 10),
            (ms(1000), ms(100), ms(100), 9),
            (ms(1000), ms(0), ms(300), 3),
            (ms(1000), ms(50), ms(5000), 1),
            (ms(1000), ms(2000), ms(100), 1),
            (ms(1000), ms(0), ms(0), MAX_ITERATIONS),
            (ms(0), ms(0), ms(100), 1),
            (ms(250), ms(0), ms(100), 3),
        ] {
            assert_eq!(
                iterations_for(target, fixed, per_pass),
                expected,
                "{target:?} {fixed:?} {per_pass:?}"
            );
        }
        let calibrated = calibrate(
            KdfParams::from_mib(1, 1, 1).expect("params"),
            Duration::from_millis(1),
        )
        .expect("calibrate");
        assert_eq!((calibrated.memory_kib, calibrated.parallelism), (1024, 1));
        assert!(calibrated.check().is_ok());
    }

    #[test]
    fn derivation_is_deterministic_and_salted() {
        let p = KdfParams::from_mib(1, 1, 2).expect("params");
        let pw = SecretString::from("correct horse");
        let a = derive_key(&pw, &[1; SALT_LEN], p).expect("derive");
        let b = derive_key(&pw, &[1; SALT_LEN], p).expect("derive");
        let c = derive_key(&pw, &[2; SALT_LEN], p).expect("derive");
        assert_eq!(*a.0, *b.0);
        assert_ne!(*a.0, *c.0);
        assert_eq!(format!("{a:?}"), crate::secret::REDACTED);
    }

    #[test]
    fn matches_an_independent_argon2id_vector() {
        // keyward's own Argon2 (crates/argon2id, tested there against RFC 9106's vectors)
        // against an independent implementation, the RustCrypto argon2 crate, with p = 4 so
        // the lanes run on threads.
        let p = KdfParams::from_mib(1, 2, 4).expect("params");
        let pw = SecretString::from("password");
        let ours = derive_key(&pw, &[7; SALT_LEN], p).expect("derive");
        let mut reference = [0u8; KEY_LEN];
        argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(1024, 2, 4, Some(KEY_LEN)).expect("params"),
        )
        .hash_password_into(b"password", &[7; SALT_LEN], &mut reference)
        .expect("reference");
        assert_eq!(*ours.0, reference);
    }
}
