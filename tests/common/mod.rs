//! Helpers shared by the end-to-end CLI tests: a vault in a temporary folder, the real
//! binary run with a clean environment, and readers for its output.
//!
//! Every test file includes this module but uses only part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The master password of every test vault.
pub const PASSWORD: &str = "correct horse battery staple";

/// The fast key derivation settings for test vaults (the KDF is not what these tests test).
pub const FAST_KDF: [&str; 6] = [
    "--kdf-memory-mib",
    "1",
    "--kdf-iterations",
    "1",
    "--kdf-parallelism",
    "1",
];

/// Environment variables keyward reads; removed from every child unless a test sets them.
const KEYWARD_VARS: [&str; 4] = [
    "KEYWARD_VAULT",
    "KEYWARD_PASSWORD_FILE",
    "KEYWARD_PASSWORD_COMMAND",
    "KEYWARD_NEW_PASSWORD_FILE",
];

/// The binary under test.
pub fn keyward_bin() -> &'static str {
    env!("CARGO_BIN_EXE_keyward")
}

/// A `keyward` command with every `KEYWARD_*` variable removed and stdin closed (not a
/// terminal, so nothing is ever prompted).
pub fn keyward_command() -> Command {
    let mut cmd = Command::new(keyward_bin());
    for name in KEYWARD_VARS {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("KEYWARD_") {
            cmd.env_remove(name);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    /// Everything printed to stdout.
    pub stdout: String,
    /// Everything printed to stderr.
    pub stderr: String,
}

impl Run {
    /// Converts a finished process's output.
    pub fn from_output(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with the whole run when the exit code is not `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code; run: {self:#?}"
        );
        self
    }

    /// Panics unless the run succeeded.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.expect_code(0)
    }

    /// Panics unless stderr contains `text` (case-insensitive).
    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.to_lowercase().contains(&text.to_lowercase()),
            "stderr should mention {text:?}; run: {self:#?}"
        );
        self
    }

    /// Panics if stdout or stderr contains any of `secrets`, or if the process panicked.
    #[track_caller]
    pub fn leaks_none(&self, secrets: &[&str]) -> &Self {
        for secret in secrets {
            assert!(
                !self.stdout.contains(secret) && !self.stderr.contains(secret),
                "a secret appeared in the output: {self:#?}"
            );
        }
        self.no_panic()
    }

    /// Panics if the process panicked (or was killed by a signal).
    #[track_caller]
    pub fn no_panic(&self) -> &Self {
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked: {self:#?}"
        );
        assert!(
            self.code.is_some(),
            "the binary died of a signal: {self:#?}"
        );
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); run: {self:#?}"))
    }
}

/// Runs `cmd` with `stdin` written to its standard input (nothing: stdin is closed).
pub fn run_command(mut cmd: Command, stdin: Option<&str>) -> Run {
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("start keyward");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // The child may exit before reading (a usage error): a broken pipe is not a failure.
        let _ = pipe.write_all(text.as_bytes());
    }
    Run::from_output(child.wait_with_output().expect("wait for keyward"))
}

/// A temporary folder with a password file and a vault path in it. The vault exists only
/// after [`Sandbox::init`] (or when made with [`Sandbox::with_vault`]).
pub struct Sandbox {
    /// Removed when the sandbox is dropped.
    pub dir: TempDir,
    /// The vault file.
    pub vault: PathBuf,
    /// A file whose first line is [`PASSWORD`].
    pub password_file: PathBuf,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// A folder without a vault yet.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::in_dir(dir)
    }

    /// A sandbox in an existing temporary folder.
    pub fn in_dir(dir: TempDir) -> Self {
        let vault = dir.path().join("vault.keyward");
        let password_file = dir.path().join("password.txt");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).expect("write password file");
        Sandbox {
            dir,
            vault,
            password_file,
        }
    }

    /// A sandbox with an empty vault made with the fast KDF settings.
    pub fn with_vault() -> Self {
        let sandbox = Self::new();
        sandbox.init();
        sandbox
    }

    /// Creates the vault (fast KDF), asserting success.
    pub fn init(&self) {
        let mut args = vec!["init"];
        args.extend(FAST_KDF);
        self.run_pw(&args, None).ok();
        assert!(self.vault.exists(), "init made no vault");
    }

    /// A path inside the sandbox folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the sandbox and returns its path.
    pub fn write_file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write file");
        path
    }

    /// `keyward --vault <vault> <args>` with a clean environment; no password source.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = keyward_command();
        cmd.arg("--vault").arg(&self.vault).args(args);
        cmd
    }

    /// Like [`Sandbox::command`], with `--password-file` added.
    pub fn command_pw(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(args);
        cmd.arg("--password-file").arg(&self.password_file);
        cmd
    }

    /// Runs keyward with no password source, feeding `stdin`.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        run_command(self.command(args), stdin)
    }

    /// Runs keyward with `--password-file`, feeding `stdin`.
    pub fn run_pw(&self, args: &[&str], stdin: Option<&str>) -> Run {
        run_command(self.command_pw(args), stdin)
    }

    /// Adds a key whose secret is `secret` (read from stdin), with extra `add` options;
    /// asserts success.
    pub fn add(&self, name: &str, secret: &str, options: &[&str]) {
        let mut args = vec!["add", name, "--secret-stdin"];
        args.extend_from_slice(options);
        self.run_pw(&args, Some(&format!("{secret}\n")))
            .ok()
            .leaks_none(&[secret]);
    }

    /// `list --json`, asserting success; the array of keys.
    pub fn list(&self) -> Vec<Value> {
        let run = self.run_pw(&["list", "--json"], None);
        run.ok().no_panic();
        match run.json() {
            Value::Array(items) => items,
            other => panic!("list --json is not an array: {other}"),
        }
    }

    /// The names `list --json` reports, in order.
    pub fn names(&self) -> Vec<String> {
        self.list()
            .iter()
            .map(|e| e["name"].as_str().expect("name is a string").to_owned())
            .collect()
    }

    /// `show NAME --json`, asserting success.
    pub fn show(&self, name: &str) -> Value {
        let run = self.run_pw(&["show", name, "--json"], None);
        run.ok().no_panic();
        run.json()
    }

    /// `get NAME --field FIELD`, asserting success; stdout exactly.
    pub fn get(&self, name: &str, field: &str) -> String {
        let run = self.run_pw(&["get", name, "--field", field], None);
        run.ok().no_panic();
        run.stdout
    }

    /// The vault file's bytes.
    pub fn vault_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.vault).expect("read vault")
    }

    /// The backup beside the vault.
    pub fn backup(&self) -> PathBuf {
        let mut s = self.vault.as_os_str().to_owned();
        s.push(".bak");
        PathBuf::from(s)
    }

    /// Files in the sandbox folder whose names end in `.tmp` (left-over temporary files).
    pub fn temp_files(&self) -> Vec<PathBuf> {
        temp_files_in(self.dir.path())
    }

    /// Spawns `keyward <args>` with `--password-file`, stdin closed, output piped.
    pub fn spawn_pw(&self, args: &[&str]) -> Child {
        self.command_pw(args).spawn().expect("start keyward")
    }
}

/// Files directly in `dir` whose names end in `.tmp`.
pub fn temp_files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// A key's JSON without the fields that depend on the clock of the run, to compare one
/// state with another.
pub fn without_clock(entry: &Value) -> Value {
    let mut entry = entry.clone();
    if let Value::Object(map) = &mut entry {
        map.remove("rotation_age_days");
    }
    entry
}

/// The Unix permission bits of a file.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// A small pseudo-random generator (xorshift64*), seeded from the OS, for delays and noise;
/// the seed is printed so a failing run can be repeated.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `KEYWARD_TEST_SEED` when set, else from the OS.
    pub fn new() -> Self {
        let seed = std::env::var("KEYWARD_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let mut b = [0u8; 8];
                getrandom::fill(&mut b).expect("OS randomness");
                u64::from_le_bytes(b)
            })
            | 1;
        eprintln!("random seed: {seed} (set KEYWARD_TEST_SEED={seed} to repeat)");
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

impl Default for Rng {
    fn default() -> Self {
        Self::new()
    }
}

/// True when `keepassxc-cli` runs. Without it a test must not pass silently: under CI
/// (`CI=true`) this fails; elsewhere it prints why `test` is skipped and returns false.
pub fn have_keepassxc(test: &str) -> bool {
    let found = Command::new("keepassxc-cli")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "keepassxc-cli is missing under CI: install the Debian package keepassxc"
        );
        eprintln!("SKIPPED {test}: keepassxc-cli not found (apt-get install keepassxc)");
    }
    found
}
