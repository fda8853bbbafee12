//! Where passphrases come from: a file given by option, an environment variable, or a
//! no-echo prompt on the terminal. Never a plain command-line argument.

use std::io::IsTerminal;
use std::path::Path;

use crate::error::{CliError, Result};

/// The variable that carries the repository's passphrase.
pub const PASSPHRASE_ENV: &str = "CAIRN_PASSPHRASE";
/// The variable that carries the passphrase `key add` adds.
pub const NEW_PASSPHRASE_ENV: &str = "CAIRN_NEW_PASSPHRASE";

/// A passphrase given without asking: the first line of `file` if one is named, else `env`.
pub fn given(file: Option<&Path>, env: &str) -> Result<Option<String>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadInput {
            path: path.to_path_buf(),
            source,
        })?;
        return Ok(Some(text.lines().next().unwrap_or("").to_string()));
    }
    Ok(std::env::var(env).ok())
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

/// A new passphrase: from `file` or `env` if given, else asked twice on a terminal.
pub fn new_passphrase(file: Option<&Path>, env: &'static str, flag: &'static str) -> Result<String> {
    if let Some(p) = given(file, env)? {
        return Ok(p);
    }
    if can_prompt() {
        return prompt_new("New passphrase: ");
    }
    Err(CliError::NewPassphraseRequired { env, flag })
}
