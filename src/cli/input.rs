//! Where the CLI reads secrets from: the master password sources of PRODUCT §5 (restic's
//! conventions) and secret parts from stdin or a no-echo prompt — never from argv.

use std::io::{self, BufRead, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::CliError;
use crate::secret::{SecretString, wipe};

/// Reads secrets in order from one stdin stream, so a script can pipe the master password
/// and then the secret parts, one per line.
pub struct Input {
    stdin_is_terminal: bool,
    stdin: Box<dyn BufRead>,
}

impl Default for Input {
    fn default() -> Self {
        Self::new()
    }
}

impl Input {
    /// Input from the process's stdin.
    pub fn new() -> Self {
        let stdin = io::stdin();
        Input {
            stdin_is_terminal: stdin.is_terminal(),
            stdin: Box::new(io::BufReader::new(stdin)),
        }
    }

    /// True when stdin is a terminal (prompts are used instead of reading lines).
    pub fn is_terminal(&self) -> bool {
        self.stdin_is_terminal
    }

    /// The next line of stdin without its line ending; an error at end of input.
    pub fn line(&mut self, what: &str) -> Result<SecretString, CliError> {
        let mut line = String::new();
        let n = self
            .stdin
            .read_line(&mut line)
            .map_err(|e| CliError::other(format!("reading the {what} from stdin: {e}")))?;
        if n == 0 {
            wipe(line);
            return Err(CliError::usage(format!(
                "expected the {what} on stdin, but stdin ended"
            )));
        }
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(SecretString::new(line))
    }

    /// Everything left on stdin, trailing newlines removed (a multi-line PEM key).
    pub fn rest(&mut self, what: &str) -> Result<SecretString, CliError> {
        let mut text = String::new();
        self.stdin
            .read_to_string(&mut text)
            .map_err(|e| CliError::other(format!("reading the {what} from stdin: {e}")))?;
        let trimmed = text.trim_end_matches(['\n', '\r']).len();
        text.truncate(trimmed);
        if text.is_empty() {
            return Err(CliError::usage(format!("expected the {what} on stdin")));
        }
        Ok(SecretString::new(text))
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
