//! Secret injection (PRODUCT §5, §9): run a command with keys in its environment, so bots
//! and scripts never need a `.env` file.
//!
//! - The secrets go only into the child's environment: never argv, never a file.
//! - The child's stdout and stderr pass through a [`Masker`] that replaces every injected
//!   value with [`MASK`], also when a value arrives split across several writes.
//! - Unix: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to keyward are forwarded to the child;
//!   the child's exit code is returned (death by signal N gives 128 + N, as shells do).
//! - Windows: keyward outlives Ctrl+C and Ctrl+Break (the console sends them to the child
//!   too) so it can return the child's exit code; the child runs in a job object that is
//!   killed when keyward dies or returns, so it never outlives keyward.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::secret::SecretString;
use crate::vault::Field;

#[cfg(unix)]
#[path = "exec/unix.rs"]
mod sys;
#[cfg(windows)]
#[path = "exec/windows.rs"]
mod sys;

/// What an injected value is replaced with in the child's output.
pub const MASK: &str = "<concealed by keyward>";

/// Environment variables that would let the child unlock the whole vault; they are removed
/// from the child's environment.
pub const WITHHELD_VARS: [&str; 3] = [
    "KEYWARD_PASSWORD_FILE",
    "KEYWARD_PASSWORD_COMMAND",
    "KEYWARD_NEW_PASSWORD_FILE",
];

/// What can go wrong before the child runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// An `--env` or template line that does not parse.
    #[error("{origin}: {reason}")]
    BadSpec {
        /// Where it came from (`--env` or `FILE:LINE`).
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// The command could not be started.
    #[error("cannot run {program}: {reason}")]
    Spawn {
        /// The program name.
        program: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Waiting for the child failed.
    #[error("waiting for the command failed: {0}")]
    Wait(String),
}

/// Where a variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A part of a stored key: the entry's name and the field (`None`: the key's main
    /// secret — the secret, token or private key).
    Key {
        /// The entry's name.
        name: String,
        /// The part; `None` for the primary secret.
        field: Option<Field>,
    },
    /// A plain value from a template line (not a secret; passed as written).
    Literal(String),
}

/// One variable to set in the child's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSpec {
    /// The variable's name.
    pub var: String,
    /// Its value's source.
    pub source: Source,
}

fn bad(origin: &str, reason: impl Into<String>) -> ExecError {
    ExecError::BadSpec {
        origin: origin.to_owned(),
        reason: reason.into(),
    }
}

fn check_var(origin: &str, var: &str) -> Result<(), ExecError> {
    let valid = !var.is_empty()
        && !var.starts_with(|c: char| c.is_ascii_digit())
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(bad(
            origin,
            format!("'{var}' is not a variable name (letters, digits and _, not first a digit)"),
        ))
    }
}

/// Parses `--env VAR=NAME[.field]`. The text after the last `.` is taken as a field when it
/// names one (`key`, `secret`, `passphrase`, `private-key`, `public-key`); otherwise the
/// whole text is the key's name. [`resolve_name`] settles names that contain dots.
pub fn parse_env_arg(text: &str) -> Result<EnvSpec, ExecError> {
    let origin = "--env";
    let (var, reference) = text
        .split_once('=')
        .ok_or_else(|| bad(origin, format!("'{text}' is not VAR=NAME[.field]")))?;
    let var = var.trim();
    check_var(origin, var)?;
    if reference.trim().is_empty() {
        return Err(bad(origin, format!("no key named for {var}")));
    }
    let (name, field) = match reference.rsplit_once('.') {
        Some((name, field)) if !name.is_empty() => match field.parse::<Field>() {
            Ok(f) => (name, Some(f)),
            Err(_) => (reference, None),
        },
        _ => (reference, None),
    };
    Ok(EnvSpec {
        var: var.to_owned(),
        source: Source::Key {
            name: name.to_owned(),
            field,
        },
    })
}

/// Decodes `%XX` escapes (a space in a key name is `%20`); other text is kept as is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// Parses a template file: one `VAR=VALUE` per line, where VALUE is either
/// `keyward://NAME/field` (`keyward://NAME` for the main secret; `%20` for a space in the
/// name) or a plain value passed as written. Blank lines and `#` comments are skipped; an
/// `export ` prefix and quotes around VALUE are accepted, so the file can look like a
/// `.env` file with references instead of secrets.
pub fn parse_template(text: &str, file_name: &str) -> Result<Vec<EnvSpec>, ExecError> {
    let mut specs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let origin = format!("{file_name}:{}", i + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (var, value) = line
            .split_once('=')
            .ok_or_else(|| bad(&origin, "expected VAR=keyward://NAME/field"))?;
        let var = var.trim();
        check_var(&origin, var)?;
        let mut value = value.trim();
        for q in ['"', '\''] {
            if value.len() >= 2 && value.starts_with(q) && value.ends_with(q) {
                value = &value[1..value.len() - 1];
            }
        }
        let source = match value.strip_prefix("keyward://") {
            Some(reference) => {
                let (name, field) = match reference.rsplit_once('/') {
                    Some((name, field)) => {
                        let field = field
                            .parse::<Field>()
                            .map_err(|e| bad(&origin, e.to_string()))?;
                        (name, Some(field))
                    }
                    None => (reference, None),
                };
                let name = percent_decode(name);
                if name.is_empty() {
                    return Err(bad(&origin, "no key named after keyward://"));
                }
                Source::Key { name, field }
            }
            None => Source::Literal(value.to_owned()),
        };
        specs.push(EnvSpec {
            var: var.to_owned(),
            source,
        });
    }
    Ok(specs)
}

/// Settles a `--env` reference whose name contains a dot: when `NAME.field` was split but
/// no key is named `NAME` while one is named `NAME.field` in full, the whole text is the
/// name. `exists` tells whether a key of that name exists.
pub fn resolve_name(source: Source, exists: impl Fn(&str) -> bool) -> Source {
    match source {
        Source::Key {
            name,
            field: Some(f),
        } if !exists(&name) => {
            let whole = format!("{name}.{}", f.as_str());
            if exists(&whole) {
                Source::Key {
                    name: whole,
                    field: None,
                }
            } else {
                Source::Key {
                    name,
                    field: Some(f),
                }
            }
        }
        other => other,
    }
}

/// Replaces secret values in a byte stream with [`MASK`], holding back only the bytes that
/// could still be the start of a secret, so output flows as soon as it is known to be safe.
///
/// Matching is leftmost-longest over all values; a match is emitted only when no longer
/// value could still start at or before it.
pub struct Masker {
    matcher: Option<AhoCorasick>,
    patterns: Vec<SecretString>,
    max_len: usize,
    pending: zeroize::Zeroizing<Vec<u8>>,
}

impl Masker {
    /// A masker for these values (empty ones are ignored). Multi-line values are also
    /// masked line by line (lines of 8 characters or more, PEM armour lines excepted), so a
    /// private key printed with other line endings is still hidden.
    pub fn new(values: &[SecretString]) -> Self {
        let mut patterns: Vec<SecretString> = Vec::new();
        let mut push = |p: &str| {
            if !p.is_empty() && !patterns.iter().any(|q| q.expose() == p) {
                patterns.push(SecretString::from(p));
            }
        };
        for v in values {
            push(v.expose());
            if v.expose().contains('\n') {
                for line in v.expose().lines() {
                    let line = line.trim_end_matches('\r');
                    if line.len() >= 8 && !line.starts_with("-----") {
                        push(line);
                    }
                }
            }
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|p| p.expose().as_bytes()))
                .ok()
        };
        let max_len = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
        Masker {
            matcher,
            patterns,
            max_len,
            pending: zeroize::Zeroizing::new(Vec::new()),
        }
    }

    /// The earliest position at or after `from` where the rest of `buf` is a proper prefix
    /// of a value (more input could complete it); `buf.len()` when there is none.
    fn hold_from(&self, buf: &[u8], from: usize) -> usize {
        let start = from.max(buf.len().saturating_sub(self.max_len.saturating_sub(1)));
        (start..buf.len())
            .find(|&i| {
                let rest = &buf[i..];
                self.patterns.iter().any(|p| {
                    let p = p.expose().as_bytes();
                    p.len() > rest.len() && p.starts_with(rest)
                })
            })
            .unwrap_or(buf.len())
    }

    /// Feeds `chunk`; writes everything that is known to be safe, masked, to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut impl Write) -> io::Result<()> {
        let Some(matcher) = &self.matcher else {
            return out.write_all(chunk);
        };
        self.pending.extend_from_slice(chunk);
        let buf: &[u8] = &self.pending;
        let mut pos = 0;
        loop {
            let hold = self.hold_from(buf, pos);
            match matcher.find(&buf[pos..]) {
                Some(m) if pos + m.start() < hold => {
                    out.write_all(&buf[pos..pos + m.start()])?;
                    out.write_all(MASK.as_bytes())?;
                    pos += m.end();
                }
                _ => {
                    out.write_all(&buf[pos..hold])?;
                    pos = hold;
                    break;
                }
            }
        }
        // Wipe the bytes that leave the buffer, then drop them.
        zeroize::Zeroize::zeroize(&mut self.pending[..pos]);
        self.pending.drain(..pos);
        Ok(())
    }

    /// At the end of the stream: writes what was held back (a value that never completed
    /// is not a value), masked.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        let rest = std::mem::take(&mut *self.pending);
        let rest = zeroize::Zeroizing::new(rest);
        match &self.matcher {
            Some(m) => {
                let masked = zeroize::Zeroizing::new(
                    m.replace_all_bytes(&rest, &vec![MASK.as_bytes(); self.patterns.len()]),
                );
                out.write_all(&masked)
            }
            None => out.write_all(&rest),
        }
    }
}

/// How to run the child.
pub struct Launch<'a> {
    /// The program and its arguments.
    pub command: &'a [String],
    /// The variables to add to the child's environment (name, value).
    pub env: &'a [(String, SecretString)],
    /// The values to mask in its output; `None` passes output through untouched.
    pub mask: Option<&'a [SecretString]>,
}

/// Runs the child and returns its exit code (128 + N when signal N ended it).
pub fn run(launch: &Launch<'_>) -> Result<u8, ExecError> {
    let Some((program, args)) = launch.command.split_first() else {
        return Err(bad("exec", "no command given after --"));
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    for var in WITHHELD_VARS {
        cmd.env_remove(var);
    }
    for (name, value) in launch.env {
        cmd.env(name, value.expose());
    }
    cmd.stdin(Stdio::inherit());
    if launch.mask.is_some() {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }

    // Ctrl+C and termination requests reach the child while keyward waits (sys::Supervisor).
    let mut supervisor = sys::Supervisor::install();
    let mut child = cmd.spawn().map_err(|e| ExecError::Spawn {
        program: program.clone(),
        reason: e.to_string(),
    })?;
    drop(cmd);
    supervisor.watch(&child);

    let mut pumps = Vec::new();
    if let Some(values) = launch.mask {
        let values: Arc<Vec<SecretString>> = Arc::new(values.to_vec());
        if let Some(out) = child.stdout.take() {
            let values = Arc::clone(&values);
            pumps.push(std::thread::spawn(move || {
                pump(out, &mut io::stdout(), &values);
            }));
        }
        if let Some(err) = child.stderr.take() {
            let values = Arc::clone(&values);
            pumps.push(std::thread::spawn(move || {
                pump(err, &mut io::stderr(), &values);
            }));
        }
    }
    let status = child.wait();
    for p in pumps {
        // A pump thread that panicked has nothing left to write.
        let _ = p.join();
    }
    drop(supervisor);
    let status = status.map_err(|e| ExecError::Wait(e.to_string()))?;
    Ok(sys::exit_code(status))
}

/// Copies `from` to `to` through a [`Masker`]. When `to` fails (a closed pipe), the read
/// end is dropped, so the child learns of it on its next write (SIGPIPE), as without keyward.
fn pump(mut from: impl Read, to: &mut impl Write, values: &[SecretString]) {
    let mut masker = Masker::new(values);
    let mut buf = zeroize::Zeroizing::new(vec![0u8; 64 * 1024]);
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        if masker
            .feed(&buf[..n], to)
            .and_then(|()| to.flush())
            .is_err()
        {
            return;
        }
    }
    let _ = masker.finish(to).and_then(|()| to.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(values: &[&str], chunks: &[&[u8]]) -> String {
        let values: Vec<SecretString> = values.iter().map(|v| SecretString::from(*v)).collect();
        let mut m = Masker::new(&values);
        let mut out = Vec::new();
        for c in chunks {
            m.feed(c, &mut out).expect("write");
        }
        m.finish(&mut out).expect("write");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn masks_whole_values() {
        assert_eq!(
            masked(&["s3cr3t-value"], &[b"a s3cr3t-value b s3cr3t-value\n"]),
            format!("a {MASK} b {MASK}\n")
        );
        assert_eq!(masked(&[], &[b"plain"]), "plain");
        assert_eq!(masked(&["zz"], &[b"no match here"]), "no match here");
    }

    #[test]
    fn masks_values_split_at_every_byte() {
        let secret = "abcabd-SECRET";
        let text = format!("x{secret}y abcab {secret}{secret}");
        let bytes = text.as_bytes();
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        let want = format!("x{MASK}y abcab {MASK}{MASK}");
        assert_eq!(masked(&[secret], &chunks), want);
        // Every split point of two chunks.
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(masked(&[secret], &[a, b]), want, "cut at {cut}");
        }
    }

    #[test]
    fn holds_back_only_possible_prefixes() {
        let values = [SecretString::from("SECRETVALUE")];
        let mut m = Masker::new(&values);
        let mut out = Vec::new();
        m.feed(b"hello SEC", &mut out).expect("write");
        assert_eq!(
            out, b"hello ",
            "the possible start of a secret is held back"
        );
        m.feed(b"OND", &mut out).expect("write");
        assert_eq!(
            out, b"hello SECOND",
            "released as soon as it cannot be a secret"
        );
        m.feed(b" SECRETVAL", &mut out).expect("write");
        m.feed(b"UE!", &mut out).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("hello SECOND {MASK}!")
        );
        m.feed(b" SECRE", &mut out).expect("write");
        m.finish(&mut out).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            format!("hello SECOND {MASK}! SECRE"),
            "an incomplete value at the end is not a value"
        );
    }

    #[test]
    fn a_longer_value_containing_a_shorter_one_is_masked_whole() {
        let values = ["inner123", "outer-inner123-tail"];
        let text = b"outer-inner123-tail and inner123";
        let want = format!("{MASK} and {MASK}");
        for cut in 0..=text.len() {
            let (a, b) = text.split_at(cut);
            assert_eq!(masked(&values, &[a, b]), want, "cut at {cut}");
        }
    }

    #[test]
    fn multi_line_values_are_masked_line_by_line_too() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEl1\nc2VjcmV0c2VjcmV0\n-----END PRIVATE KEY-----";
        let out = masked(
            &[pem],
            &[b"key: MC4CAQAwBQYDK2VwBCIEIEl1\r\nc2VjcmV0c2VjcmV0\r\n"],
        );
        assert!(
            !out.contains("MC4CAQAw") && !out.contains("c2VjcmV0"),
            "{out}"
        );
        assert!(out.starts_with("key: "));
    }

    #[test]
    fn env_args() {
        assert_eq!(
            parse_env_arg("API_SECRET=binance.secret"),
            Ok(EnvSpec {
                var: "API_SECRET".into(),
                source: Source::Key {
                    name: "binance".into(),
                    field: Some(Field::Secret)
                }
            })
        );
        assert_eq!(
            parse_env_arg("K=my.bot").map(|s| s.source),
            Ok(Source::Key {
                name: "my.bot".into(),
                field: None
            })
        );
        assert_eq!(
            parse_env_arg("K=bot.private-key").map(|s| s.source),
            Ok(Source::Key {
                name: "bot".into(),
                field: Some(Field::PrivateKey)
            })
        );
        for bad in ["K", "=x", "1K=x", "K-1=x", "K="] {
            assert!(parse_env_arg(bad).is_err(), "{bad}");
        }
        let exists = |n: &str| n == "a.key";
        assert_eq!(
            resolve_name(
                Source::Key {
                    name: "a".into(),
                    field: Some(Field::Key)
                },
                exists
            ),
            Source::Key {
                name: "a.key".into(),
                field: None
            }
        );
    }

    #[test]
    fn templates() {
        let text = "# bot\n\nexport API_KEY=keyward://binance%20main/key\nAPI_SECRET=\"keyward://binance main/secret\"\nPRIV=keyward://pair\nMODE=live\n";
        let specs = parse_template(text, "bot.env").expect("parse");
        assert_eq!(specs.len(), 4);
        assert_eq!(
            specs[0].source,
            Source::Key {
                name: "binance main".into(),
                field: Some(Field::Key)
            }
        );
        assert_eq!(
            specs[1].source,
            Source::Key {
                name: "binance main".into(),
                field: Some(Field::Secret)
            }
        );
        assert_eq!(
            specs[2].source,
            Source::Key {
                name: "pair".into(),
                field: None
            }
        );
        assert_eq!(specs[3].source, Source::Literal("live".into()));
        let err = parse_template("A=1\nB keyward://x\n", "t.env").expect_err("no =");
        assert!(err.to_string().starts_with("t.env:2:"), "{err}");
        assert!(parse_template("A=keyward://x/colour\n", "t").is_err());
    }
}
