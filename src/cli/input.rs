//! Where the CLI reads secrets from: the master password sources of PRODUCT §5 (restic's
//! conventions) and secret parts from stdin or a no-echo prompt — never from argv.

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::CliError;
use crate::secret::SecretString;

/// Reads secrets in order from one stdin stream, so a script can pipe the master password
/// and then the secret parts, one per line.
///
/// Reads are unbuffered: a line is read byte by byte up to its `\n` and nothing after it, so
/// what follows stays on stdin for the next reader, e.g. the command `exec` runs.
pub struct Input {
    stdin_is_terminal: bool,
    stdin: Box<dyn Read>,
}

impl Default for Input {
    fn default() -> Self {
        Self::new()
    }
}

impl Input {
    /// Input from the process's stdin (its file descriptor itself: `std::io::Stdin` would
    /// read ahead into a buffer of its own).
    pub fn new() -> Self {
        Input {
            stdin_is_terminal: io::stdin().is_terminal(),
            stdin: Box::new(RawStdin),
        }
    }

    /// Input from `reader` (tests), as if it were stdin and not a terminal.
    pub fn from_reader(reader: impl Read + 'static) -> Self {
        Input {
            stdin_is_terminal: false,
            stdin: Box::new(reader),
        }
    }

    /// True when stdin is a terminal (prompts are used instead of reading lines).
    pub fn is_terminal(&self) -> bool {
        self.stdin_is_terminal
    }

    /// The next line of stdin without its line ending; an error at end of input. Reads up to
    /// and including the `\n`, not one byte further.
    pub fn line(&mut self, what: &str) -> Result<SecretString, CliError> {
        let read_error =
            |e: io::Error| CliError::other(format!("reading the {what} from stdin: {e}"));
        let mut line = Zeroizing::new(Vec::with_capacity(128));
        let mut byte = Zeroizing::new([0u8; 1]);
        let mut ended = true;
        loop {
            match self.stdin.read(&mut byte[..]) {
                Ok(0) => break,
                Ok(_) => {
                    ended = false;
                    if byte[0] == b'\n' {
                        break;
                    }
                    push_wiping(&mut line, byte[0]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_error(e)),
            }
        }
        if ended {
            return Err(CliError::usage(format!(
                "expected the {what} on stdin, but stdin ended"
            )));
        }
        while line.last() == Some(&b'\r') {
            line.pop();
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| CliError::usage(format!("the {what} on stdin is not UTF-8 text")))?;
        Ok(SecretString::from(text))
    }

    /// Everything left on stdin, trailing newlines removed (a multi-line PEM key).
    pub fn rest(&mut self, what: &str) -> Result<SecretString, CliError> {
        let mut bytes = Zeroizing::new(Vec::new());
        let mut chunk = Zeroizing::new([0u8; 4096]);
        loop {
            match self.stdin.read(&mut chunk[..]) {
                Ok(0) => break,
                Ok(n) => extend_wiping(&mut bytes, &chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CliError::other(format!(
                        "reading the {what} from stdin: {e}"
                    )));
                }
            }
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| CliError::usage(format!("the {what} on stdin is not UTF-8 text")))?;
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            return Err(CliError::usage(format!("expected the {what} on stdin")));
        }
        Ok(SecretString::from(text))
    }

    /// A no-echo prompt on the terminal.
    pub fn prompt(&self, prompt: &str) -> Result<SecretString, CliError> {
        rpassword::prompt_password(prompt)
            .map(SecretString::new)
            .map_err(|e| CliError::other(format!("reading from the terminal: {e}")))
    }

    /// A secret part: the next stdin line when `from_stdin`, else a prompt on a terminal.
    pub fn secret(&mut self, what: &str, from_stdin: bool) -> Result<SecretString, CliError> {
        let value = if from_stdin {
            self.line(what)?
        } else if self.stdin_is_terminal {
            self.prompt(&format!("{what}: "))?
        } else {
            return Err(CliError::usage(format!(
                "the {what} is needed: pipe it with --secret-stdin, or run in a terminal"
            )));
        };
        if value.is_empty() {
            return Err(CliError::usage(format!("the {what} is empty")));
        }
        Ok(value)
    }
}

/// Appends `byte`, moving to a larger buffer by hand when full so that the old one is wiped
/// (a `Vec` growing by itself would free it with the secret in it).
fn push_wiping(buffer: &mut Zeroizing<Vec<u8>>, byte: u8) {
    extend_wiping(buffer, &[byte]);
}

/// Appends `bytes` as [`push_wiping`] does.
fn extend_wiping(buffer: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    let needed = buffer.len() + bytes.len();
    if needed > buffer.capacity() {
        let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(64).next_power_of_two()));
        bigger.extend_from_slice(buffer);
        *buffer = bigger;
    }
    buffer.extend_from_slice(bytes);
}

/// Standard input read straight from its file descriptor, without `std`'s buffer.
struct RawStdin;

impl Read for RawStdin {
    #[cfg(unix)]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: reads into a buffer we own, at most its length, from fd 0.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    #[cfg(windows)]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use windows_sys::Win32::Foundation::{
            ERROR_BROKEN_PIPE, ERROR_NO_DATA, INVALID_HANDLE_VALUE,
        };
        use windows_sys::Win32::Storage::FileSystem::ReadFile;
        use windows_sys::Win32::System::Console::{GetStdHandle, STD_INPUT_HANDLE};
        // `std::io::Stdin` reads ahead into its own buffer (8 KiB), so what follows the
        // password line would be gone from the handle exec's child inherits. ReadFile on the
        // handle itself reads at most `buf.len()` bytes (one, from `next_line`).
        // SAFETY: GetStdHandle has no preconditions.
        let handle = unsafe { GetStdHandle(STD_INPUT_HANDLE) };
        if handle.is_null() || handle == INVALID_HANDLE_VALUE {
            return Ok(0);
        }
        let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let mut read = 0u32;
        // SAFETY: `buf` is ours and at least `len` bytes long; no OVERLAPPED (a synchronous
        // read), `read` receives the count.
        let ok = unsafe {
            ReadFile(
                handle,
                buf.as_mut_ptr(),
                len,
                &mut read,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            let e = io::Error::last_os_error();
            // The writer of a pipe closed it: end of input, as std treats it.
            return match e.raw_os_error() {
                Some(c) if c == ERROR_BROKEN_PIPE as i32 || c == ERROR_NO_DATA as i32 => Ok(0),
                _ => Err(e),
            };
        }
        Ok(read as usize)
    }

    #[cfg(not(any(unix, windows)))]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Elsewhere std's stdin (buffered: exec's child may not get what follows).
        io::stdin().read(buf)
    }
}

/// The master password, from the first source that is set: `--password-file` /
/// `KEYWARD_PASSWORD_FILE`, `KEYWARD_PASSWORD_COMMAND`, a prompt on a terminal, else the
/// first line of stdin.
pub fn master_password(
    password_file: Option<&Path>,
    input: &mut Input,
) -> Result<SecretString, CliError> {
    if let Some(path) = password_file {
        return first_line_of_file(path, "password file");
    }
    if let Some(command) = std::env::var_os("KEYWARD_PASSWORD_COMMAND").filter(|c| !c.is_empty()) {
        return password_from_command(&command.to_string_lossy());
    }
    if input.is_terminal() {
        return input.prompt("Master password: ");
    }
    input.line("master password")
}

/// A new master password (for `init` and `passwd`): from the given file when set, else
/// from `KEYWARD_PASSWORD_COMMAND` when `use_command` (init only: for `passwd` that command
/// gives the old password), else prompted twice on a terminal, else the next stdin line.
pub fn new_master_password(
    file: Option<&Path>,
    use_command: bool,
    input: &mut Input,
) -> Result<SecretString, CliError> {
    let command = std::env::var_os("KEYWARD_PASSWORD_COMMAND").filter(|c| !c.is_empty());
    let password = if let Some(path) = file {
        first_line_of_file(path, "password file")?
    } else if let Some(command) = command.filter(|_| use_command) {
        password_from_command(&command.to_string_lossy())?
    } else if input.is_terminal() {
        let first = input.prompt("New master password: ")?;
        let second = input.prompt("Repeat it: ")?;
        if first != second {
            return Err(CliError::usage("the two passwords differ; nothing changed"));
        }
        first
    } else {
        input.line("new master password")?
    };
    if password.is_empty() {
        return Err(CliError::usage("the master password must not be empty"));
    }
    Ok(password)
}

/// The first line of a file, without its line ending.
pub fn first_line_of_file(path: &Path, what: &str) -> Result<SecretString, CliError> {
    let text = std::fs::read(path)
        .map_err(|e| CliError::other(format!("cannot read the {what} {}: {e}", path.display())))?;
    let text = SecretString::new(String::from_utf8(text).map_err(|e| {
        let mut bytes = e.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
        CliError::other(format!("the {what} {} is not UTF-8 text", path.display()))
    })?);
    Ok(SecretString::from(
        text.expose().lines().next().unwrap_or_default(),
    ))
}

fn password_from_command(command: &str) -> Result<SecretString, CliError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| CliError::other(format!("cannot run KEYWARD_PASSWORD_COMMAND: {e}")))?;
    let mut stdout = output.stdout;
    if !output.status.success() {
        zeroize::Zeroize::zeroize(&mut stdout);
        return Err(CliError::other(format!(
            "KEYWARD_PASSWORD_COMMAND failed ({})",
            output.status
        )));
    }
    let text = match String::from_utf8(stdout) {
        Ok(t) => SecretString::new(t),
        Err(e) => {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            return Err(CliError::other(
                "KEYWARD_PASSWORD_COMMAND printed something that is not UTF-8",
            ));
        }
    };
    Ok(SecretString::from(
        text.expose().lines().next().unwrap_or_default(),
    ))
}

/// The public key for a key pair, from a file (public keys may travel on argv as paths).
pub fn read_public_key(path: &PathBuf) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end().to_owned())
        .map_err(|e| {
            CliError::other(format!(
                "cannot read the public key {}: {e}",
                path.display()
            ))
        })
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
