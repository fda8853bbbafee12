//! `cairn key add|list|remove`: the passphrases that open an encrypted repository.

use cairn_core::ops::{self, KeyRef, NoArgs, PassphraseArgs};

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
            let added = with_repo(g, &g.locate(repo, &mut [])?, no_events(), |r| {
                let passphrase = match given {
                    Some(p) => p,
                    None => passphrase::prompt_new("New passphrase: ")?,
                };
                r.call::<ops::KeyAdd>(&PassphraseArgs { passphrase })
            })?;
            g.report(&added, |a| format!("added key {}", a.id))
        }
        KeyCommand::List { repo } => {
            let keys = with_repo(g, &g.locate(repo, &mut [])?, no_events(), |r| {
                r.call::<ops::KeyList>(&NoArgs {})
            })?;
            g.print(&keys, |k| output::keys_table(k))
        }
        KeyCommand::Remove { repo, mut id } => {
            let location = g.locate(repo, &mut [&mut id])?;
            let id = super::required(id, "ID")?;
            let wanted = KeyRef { id: id.clone() };
            let removed = with_repo(g, &location, no_events(), |r| r.call::<ops::KeyRemove>(&wanted))?;
            g.report(&removed, |_| format!("removed key {id}"))
        }
    }
}
