//! `cairn init`: creates a repository.

use std::path::Path;

use serde_json::{json, Value};

use super::{client, Globals};
use crate::cli::InitArgs;
use crate::error::{CliError, Result};
use crate::fs_storage::FsStorage;
use crate::output;
use crate::passphrase::{self, PASSPHRASE_ENV};
use crate::runtime::Runtime;

/// Runs `cairn init`.
pub fn run(g: &Globals, a: InitArgs) -> Result<()> {
    check_dir(&a.repo)?;
    let passphrase = if a.encrypt {
        Some(passphrase::new_passphrase(
            g.passphrase_file.as_deref(),
            PASSPHRASE_ENV,
            "--passphrase-file",
        )?)
    } else {
        None
    };
    let args = init_args(&a, passphrase);

    let created = !a.repo.exists();
    std::fs::create_dir_all(&a.repo).map_err(|source| CliError::CreateDir {
        path: a.repo.clone(),
        source,
    })?;
    let result = initialise(&a.repo, &args);
    if result.is_err() && created {
        // Leave nothing behind for a repository that was never made.
        let _ = std::fs::remove_dir_all(&a.repo);
    }
    let info = result?;
    g.print(&info, |info| describe(info, &a.repo))
}

/// `created encrypted repository at PATH` and its parameters, from the engine's repository info.
fn describe(info: &Value, path: &Path) -> String {
    let kind = if info["encrypted"].as_bool() == Some(true) {
        "encrypted"
    } else {
        "unencrypted"
    };
    let size = |v: &Value| output::human_bytes(v.as_u64().unwrap_or(0));
    let c = &info["chunking"];
    format!(
        "created {kind} repository at {}\n  compression {} level {}, chunks {} / {} / {}, packs {}, parity {}+{}",
        path.display(),
        info["compression"]["codec"].as_str().unwrap_or("?"),
        info["compression"]["level"],
        size(&c["min"]),
        size(&c["avg"]),
        size(&c["max"]),
        size(&info["packSize"]),
        info["parity"]["dataPacks"],
        info["parity"]["parityPacks"],
    )
}

/// Refuses a path that is a file, or a directory with other files and no repository.
/// (A directory that holds a repository is left to the engine, which says so.)
fn check_dir(path: &Path) -> Result<()> {
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

/// The arguments of the engine's `init` op.
fn init_args(a: &InitArgs, passphrase: Option<String>) -> Value {
    let mut args = json!({ "client": client() });
    if let Some(p) = passphrase {
        args["passphrase"] = json!(p);
    }
    if let Some(c) = a.compression {
        args["compression"] = json!(c.as_str());
    }
    if let Some(level) = a.compression_level {
        args["compressionLevel"] = json!(level);
    }
    if let Some(c) = a.chunking {
        args["chunking"] = json!({ "min": c.min, "avg": c.avg, "max": c.max });
    }
    if let Some(size) = a.pack_size {
        args["packSize"] = json!(size);
    }
    if let Some(p) = a.parity {
        args["parity"] = json!({ "dataPacks": p.data, "parityPacks": p.parity });
    }
    args
}

fn initialise(path: &Path, args: &Value) -> Result<Value> {
    let mut rt = Runtime::start(FsStorage::new(path), super::no_events())?;
    let info = rt.call("init", args)?;
    rt.call("close", &json!({}))?;
    Ok(info)
}
