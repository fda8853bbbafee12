//! `cairn key add|list|remove`: the passphrases that open an encrypted repository.

use serde_json::json;

use super::{no_events, with_repo, Globals};
use crate::cli::KeyCommand;
use crate::error::{CliError, Result};
use crate::output;
use crate::passphrase::{self, NEW_PASSPHRASE_ENV};

/// Runs `cairn key ...`.
pub fn run(g: &Globals, k: KeyCommand) -> Result<()> {
    match k {
        KeyCommand::Add {
            repo,
            new_passphrase_file,
        } => {
            let file = new_passphrase_file.as_deref();
            // Fail before the (slow) opening when no new passphrase can be had.
            let given = passphrase::given(file, NEW_PASSPHRASE_ENV)?;
            if given.is_none() && !passphrase::can_prompt() {
                return Err(CliError::NewPassphraseRequired {
                    env: NEW_PASSPHRASE_ENV,
                    flag: "--new-passphrase-file",
                });
            }
            let added = with_repo(g, &repo, no_events(), |r| {
                let new = match given {
                    Some(p) => p,
                    None => passphrase::prompt_new("New passphrase: ")?,
                };
                r.call("key_add", json!({ "passphrase": new }))
            })?;
            g.print(&added, |a| {
                format!("added key {}", a["id"].as_str().unwrap_or(""))
            })
        }
        KeyCommand::List { repo } => {
            let keys = with_repo(g, &repo, no_events(), |r| r.call("key_list", json!({})))?;
            g.print(&keys, |k| {
                output::keys_table(k.as_array().map_or(&[], Vec::as_slice))
            })
        }
        KeyCommand::Remove { repo, id } => {
            let removed = with_repo(g, &repo, no_events(), |r| {
                r.call("key_remove", json!({ "id": id }))
            })?;
            g.print(&removed, |_| format!("removed key {id}"))
        }
    }
}
