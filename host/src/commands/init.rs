//! `cairn init`: creates a repository.

use std::path::Path;

use cairn_core::chunker::ChunkingParams;
use cairn_core::config::{InitOptions, ParityParams};
use cairn_core::ops::{self, NoArgs};
use cairn_core::repo::RepoInfo;
use cairn_core::wire;

use super::{client, Globals};
use crate::cli::InitArgs;
use crate::error::{CliError, Result};
use crate::location::Location;
use crate::output;
use crate::passphrase::{self, PASSPHRASE_ENV};
use crate::runtime::Runtime;
use crate::storage::SharedStorage;

/// Said on standard error by `init --encrypt` (even with `--quiet`: it is a warning), before
/// the passphrase is asked for.
pub const LOST_PASSPHRASE_WARNING: &str =
    "warning: keep the passphrase safe (and a second one with `cairn key add`): \
without it nobody, not even Cairn, can read this repository's data again";

/// Runs `cairn init`.
pub fn run(g: &Globals, mut a: InitArgs) -> Result<()> {
    let location = g.locate(a.repo.take(), &mut [])?;
    if !location.writable() {
        return Err(CliError::ReadOnlyLocation {
            location: location.to_string(),
        });
    }
    let storage = location.open(g.follow_symlinks)?;
    match location.local_path() {
        Some(path) => check_dir(path)?,
        None => check_empty(&storage, &location)?,
    }
    let passphrase = if a.encrypt {
        eprintln!("{LOST_PASSPHRASE_WARNING}");
        Some(passphrase::new_passphrase(
            g.passphrase.given()?,
            PASSPHRASE_ENV,
            "--passphrase-file or --passphrase-command",
        )?)
    } else {
        None
    };
    let args = init_args(&a, passphrase);

    let created = location.local_path().filter(|p| !p.exists());
    if let Some(path) = location.local_path() {
        std::fs::create_dir_all(path).map_err(|source| CliError::CreateDir {
            path: path.to_path_buf(),
            source,
        })?;
    }
    let result = initialise(storage, &args);
    if let (Err(_), Some(path)) = (&result, created) {
        // Leave nothing behind for a repository that was never made.
        let _ = std::fs::remove_dir_all(path);
    }
    let info = result?;
    g.report(&info, |info| describe(info, &location))
}

/// Refuses a storage location that holds objects of the repository grammar but no
/// repository. (One that holds a repository is left to the engine, which says so.)
fn check_empty(storage: &SharedStorage, location: &Location) -> Result<()> {
    let keys = storage
        .list("")
        .map_err(|e| CliError::Storage(format!("{location}: {}", wire::failure_message(&e, ""))))?;
    if keys.is_empty() || keys.iter().any(|k| k == cairn_core::layout::CONFIG) {
        Ok(())
    } else {
        Err(CliError::LocationNotEmpty {
            location: location.to_string(),
        })
    }
}

/// `created encrypted repository at PATH` and its parameters, from the engine's repository info.
fn describe(info: &RepoInfo, location: &Location) -> String {
    let kind = if info.encrypted {
        "encrypted"
    } else {
        "unencrypted"
    };
    let size = |n: u32| output::human_bytes(n as u64);
    let c = &info.chunking;
    let codec = serde_json::to_value(info.compression.codec).unwrap_or_default();
    format!(
        "created {kind} repository at {location}\n  compression {} level {}, chunks {} / {} / {}, packs {}, parity {}+{}",
        codec.as_str().unwrap_or("?"),
        info.compression.level,
        size(c.min),
        size(c.avg),
        size(c.max),
        size(info.pack_size),
        info.parity.data_packs,
        info.parity.parity_packs,
    )
}

/// Refuses a path that is a file, or a directory with other files and no repository.
/// (A directory that holds a repository is left to the engine, which says so.)
fn check_dir(path: &Path) -> Result<()> {
    refuse_non_directory(path)?;
    match std::fs::read_dir(path) {
        Ok(mut entries) => {
            if entries.next().is_none() || path.join(cairn_core::layout::CONFIG).exists() {
                Ok(())
            } else {
                Err(CliError::NotEmpty {
                    path: path.to_path_buf(),
                })
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(CliError::CreateDir {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Refuses a repository path that is, or lies below, something other than a directory
/// (a file, a device): a usage error, not a storage failure.
pub fn refuse_non_directory(path: &Path) -> Result<()> {
    let Some(existing) = path.ancestors().find(|p| !p.as_os_str().is_empty() && p.exists()) else {
        return Ok(());
    };
    match std::fs::metadata(existing) {
        Ok(m) if !m.is_dir() => Err(CliError::NotADirectory {
            path: existing.to_path_buf(),
            hint: "a repository is a directory (or s3://BUCKET/PREFIX, http(s)://URL)",
        }),
        _ => Ok(()),
    }
}

/// A count from the command line as the `u32` the engine takes; too large a count becomes
/// `u32::MAX`, which the engine's validation refuses with a sentence naming the option.
fn count(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The arguments of the engine's `init` operation.
fn init_args(a: &InitArgs, passphrase: Option<String>) -> ops::InitArgs {
    ops::InitArgs {
        passphrase,
        client: client(),
        options: InitOptions {
            compression: a.compression,
            compression_level: a.compression_level,
            chunking: a.chunking.map(|c| ChunkingParams {
                min: count(c.min),
                avg: count(c.avg),
                max: count(c.max),
            }),
            pack_size: a.pack_size,
            parity: a.parity.map(|p| ParityParams {
                data_packs: count(p.data),
                parity_packs: count(p.parity),
            }),
            kdf: None,
        },
    }
}

fn initialise(storage: SharedStorage, args: &ops::InitArgs) -> Result<RepoInfo> {
    // Creating a repository seals a key file and a config: nothing worth a thread.
    let mut rt = Runtime::start(storage, super::no_events(), 1)?;
    let info = rt.call::<ops::Init>(args)?;
    rt.call::<ops::Close>(&NoArgs {})?;
    Ok(info)
}
