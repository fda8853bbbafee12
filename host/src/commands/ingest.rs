//! `cairn ingest`: stores files or standard input as one snapshot.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use cairn_core::ingest::DEFAULT_ITEM;
use cairn_core::manifest::Snapshot;
use cairn_core::ops::{self, IngestBeginArgs, IngestItemArgs, SessionHandle};

use super::{with_repo, Globals, OpenRepo};
use crate::cli::{IngestArgs, ItemSpec};
use crate::error::{CliError, Result};
use crate::output;
use crate::progress::Progress;

/// Bytes handed to the engine per `write`.
const BLOCK: usize = 1 << 20;

/// One item to store, with its source opened.
struct Input {
    name: String,
    kind: Option<String>,
    path: PathBuf,
    reader: Box<dyn Read>,
    /// The size, if the source is a regular file.
    size: Option<u64>,
}

/// Runs `cairn ingest`.
pub fn run(g: &Globals, a: IngestArgs) -> Result<()> {
    let mut inputs = open_inputs(&a)?;
    let total: Option<u64> = inputs.iter().map(|i| i.size).sum();
    let progress = Progress::new(total, "ingesting");
    let args = IngestBeginArgs {
        tags: a.tags.into_iter().collect(),
        total_bytes: total,
    };

    let snapshot = with_repo(g, &a.repo, progress.sink(), |repo| {
        progress.show();
        let session = repo.call::<ops::IngestBegin>(&args)?;
        let result = store(repo, session, &mut inputs);
        if result.is_err() && !repo.runtime().is_dead() {
            // Best effort: the error being reported matters more than one from the abort.
            let _ = repo.call::<ops::IngestAbort>(&session);
        }
        result
    });
    progress.finish();
    g.print(&snapshot?, output::snapshot_summary)
}

/// Streams every input into the session and finishes it.
fn store(repo: &mut OpenRepo, session: SessionHandle, inputs: &mut [Input]) -> Result<Snapshot> {
    let mut buf = vec![0u8; BLOCK];
    for input in inputs.iter_mut() {
        repo.call::<ops::IngestItem>(&IngestItemArgs {
            session: session.session,
            name: input.name.clone(),
            kind: input.kind.clone(),
        })?;
        loop {
            let n = read_block(&mut input.reader, &mut buf).map_err(|source| CliError::ReadInput {
                path: input.path.clone(),
                source,
            })?;
            if n == 0 {
                break;
            }
            repo.runtime().write(session.session, &buf[..n])?;
        }
    }
    repo.call::<ops::IngestFinish>(&session)
}

/// Fills `buf` as far as the source allows; 0 only at the end.
fn read_block(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The items to store, opened before the repository is, so that a typo costs nothing.
fn open_inputs(a: &IngestArgs) -> Result<Vec<Input>> {
    let specs: Vec<ItemSpec> = match (&a.path, a.items.is_empty()) {
        (Some(_), false) => return Err(CliError::PathAndItems),
        (Some(path), true) => vec![ItemSpec {
            name: item_name(path),
            kind: None,
            path: path.clone(),
        }],
        (None, false) => a.items.clone(),
        (None, true) => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::NoInput);
            }
            vec![ItemSpec {
                name: DEFAULT_ITEM.into(),
                kind: None,
                path: "-".into(),
            }]
        }
    };
    if specs.iter().filter(|s| is_stdin(&s.path)).count() > 1 {
        return Err(CliError::StdinTwice);
    }
    specs.into_iter().map(open).collect()
}

fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// A single PATH's item name: its file name, or the engine's default item name for
/// standard input (the name the JS package gives a single stream too).
fn item_name(path: &Path) -> String {
    if is_stdin(path) {
        return DEFAULT_ITEM.into();
    }
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn open(spec: ItemSpec) -> Result<Input> {
    let ItemSpec { name, kind, path } = spec;
    if is_stdin(&path) {
        return Ok(Input {
            name,
            kind,
            path,
            reader: Box::new(std::io::stdin()),
            size: None,
        });
    }
    let read_error = |source| CliError::ReadInput {
        path: path.clone(),
        source,
    };
    let file = File::open(&path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    if meta.is_dir() {
        let source = std::io::Error::new(std::io::ErrorKind::InvalidInput, "it is a directory; give a file");
        return Err(CliError::ReadInput { path, source });
    }
    let size = meta.is_file().then_some(meta.len());
    Ok(Input {
        name,
        kind,
        path,
        reader: Box::new(file),
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_blocks() {
        assert_eq!(item_name(Path::new("/var/backups/db.sql")), "db.sql");
        assert_eq!(item_name(Path::new("-")), DEFAULT_ITEM);
        let data = vec![7u8; 2500];
        let mut r: &[u8] = &data;
        let mut buf = vec![0u8; 1000];
        let sizes: Vec<usize> = std::iter::from_fn(|| Some(read_block(&mut r, &mut buf).unwrap()))
            .take_while(|&n| n > 0)
            .collect();
        assert_eq!(sizes, vec![1000, 1000, 500]);
    }
}
