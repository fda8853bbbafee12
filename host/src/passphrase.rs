//! Where passphrases come from: a file given by option, a command given by option, an
//! environment variable, or a no-echo prompt on the terminal. Never a plain command-line
//! argument.

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{CliError, Result};

/// The variable that carries the repository's passphrase.
pub const PASSPHRASE_ENV: &str = "CAIRN_PASSPHRASE";
/// The variable that names a command printing the repository's passphrase (as
/// `--passphrase-command`, which takes precedence over both variables).
pub const PASSPHRASE_COMMAND_ENV: &str = "CAIRN_PASSPHRASE_COMMAND";
/// The variable that carries the passphrase `key add` adds.
pub const NEW_PASSPHRASE_ENV: &str = "CAIRN_NEW_PASSPHRASE";
/// The variables of the destination repository of `copy`, as [`PASSPHRASE_ENV`] and
/// [`PASSPHRASE_COMMAND_ENV`] are of the repository.
pub const TO_VARS: Vars = Vars {
    passphrase: "CAIRN_TO_PASSPHRASE",
    command: "CAIRN_TO_PASSPHRASE_COMMAND",
};

/// The environment variables a passphrase may come from: itself, or a command.
#[derive(Debug, Clone, Copy)]
pub struct Vars {
    /// The variable holding the passphrase.
    pub passphrase: &'static str,
    /// The variable holding a command that prints it.
    pub command: &'static str,
}

impl Default for Vars {
    /// The repository's: [`PASSPHRASE_ENV`], [`PASSPHRASE_COMMAND_ENV`].
    fn default() -> Vars {
        Vars {
            passphrase: PASSPHRASE_ENV,
            command: PASSPHRASE_COMMAND_ENV,
        }
    }
}

/// Where the repository's passphrase may be had without asking, as the global options
/// give it.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// `--passphrase-file FILE`: its first line.
    pub file: Option<PathBuf>,
    /// `--passphrase-command CMD`: the first line it prints.
    pub command: Option<OsString>,
    /// The environment variables to read when neither is given.
    pub vars: Vars,
}

impl Sources {
    /// The repository's passphrase without asking, in this order: `--passphrase-file`,
    /// `--passphrase-command`, [`PASSPHRASE_ENV`], [`PASSPHRASE_COMMAND_ENV`] (or the
    /// variables `vars` names); `None` when none is given.
    pub fn given(&self) -> Result<Option<String>> {
        if let Some(path) = &self.file {
            return first_line_of_file(path).map(Some);
        }
        if let Some(command) = &self.command {
            return run_command(command).map(Some);
        }
        if let Ok(p) = std::env::var(self.vars.passphrase) {
            return Ok(Some(p));
        }
        match std::env::var_os(self.vars.command).filter(|c| !c.is_empty()) {
            Some(command) => run_command(&command).map(Some),
            None => Ok(None),
        }
    }
}

/// A passphrase given without asking: the first line of `file` if one is named, else `env`.
pub fn given(file: Option<&Path>, env: &str) -> Result<Option<String>> {
    if let Some(path) = file {
        return first_line_of_file(path).map(Some);
    }
    Ok(std::env::var(env).ok())
}

fn first_line_of_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text.lines().next().unwrap_or("").to_string())
}

/// Runs `command` with `sh -c` (standard input and error stay the terminal's, so that a
/// password manager can ask for its own unlock) and answers the first line it prints.
/// A command that cannot start, fails, or prints no passphrase is an error that names it.
pub fn run_command(command: &OsStr) -> Result<String> {
    let failed = |problem: String| CliError::PassphraseCommand {
        command: command.to_string_lossy().into_owned(),
        problem,
    };
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| failed(format!("cannot be run: {e}")))?;
    if !out.status.success() {
        return Err(failed(match out.status.code() {
            Some(code) => format!("failed with exit status {code}"),
            None => "was killed by a signal".into(),
        }));
    }
    let text =
        String::from_utf8(out.stdout).map_err(|_| failed("printed something that is not UTF-8".into()))?;
    match text.lines().next() {
        Some(line) if !line.is_empty() => Ok(line.to_string()),
        _ => Err(failed("printed no passphrase".into())),
    }
}

/// True when a person can be asked: the process is attached to a terminal.
pub fn can_prompt() -> bool {
    std::io::stdin().is_terminal() || std::io::stderr().is_terminal()
}

/// Asks once, without echo.
pub fn prompt(message: &str) -> Result<String> {
    rpassword::prompt_password(message).map_err(CliError::Prompt)
}

/// Asks twice for a new passphrase, without echo, and insists that both answers agree.
pub fn prompt_new(message: &str) -> Result<String> {
    let first = prompt(message)?;
    let second = prompt("Repeat it: ")?;
    if first != second {
        return Err(CliError::PassphraseMismatch);
    }
    Ok(first)
}

/// A new passphrase: `given` if there is one, else asked twice on a terminal; without
/// either, an error naming `env` and `flag`, the ways to give it.
pub fn new_passphrase(given: Option<String>, env: &'static str, flag: &'static str) -> Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    if can_prompt() {
        return prompt_new("New passphrase: ");
    }
    Err(CliError::NewPassphraseRequired { env, flag })
}
