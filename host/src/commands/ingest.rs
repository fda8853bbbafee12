//! `cairn ingest`: stores files or standard input as one snapshot.

use std::fs::File;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::thread::Scope;

use cairn_core::ingest::DEFAULT_ITEM;
use cairn_core::manifest::Snapshot;
use cairn_core::ops::{self, IngestBeginArgs, IngestItemArgs, IngestTreeArgs, SessionHandle};

use super::{with_repo, Globals, OpenRepo};
use crate::cli::{IngestArgs, ItemSpec};
use crate::error::{CliError, Result};
use crate::output;
use crate::progress::Progress;
use crate::tree::{walk, WalkOptions};

use super::trees::EngineSink;

/// Bytes handed to the engine per `write`.
const BLOCK: usize = 1 << 20;
/// Blocks read ahead of the engine, on a thread of their own.
const AHEAD: usize = 2;

/// One item to store, with its source opened.
struct Input {
    name: String,
    kind: Option<String>,
    path: PathBuf,
    /// A stream's bytes; `None` for a directory, stored as a tree.
    reader: Option<Box<dyn Read + Send>>,
    /// The size, if the source is a regular file.
    size: Option<u64>,
}

/// How directories are stored.
struct TreeOptions {
    walk: WalkOptions,
    parent: Option<String>,
    no_parent: bool,
    exclude: Vec<String>,
}

/// The exclude patterns of `--exclude` and then of each `--exclude-file`, in order (the
/// engine parses them: cairn_core::tree::pattern).
fn exclude_patterns(a: &IngestArgs) -> Result<Vec<String>> {
    let mut out = a.excludes.clone();
    for path in &a.exclude_files {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadInput {
            path: path.clone(),
            source,
        })?;
        out.extend(text.lines().map(str::to_string));
    }
    Ok(out)
}

/// Runs `cairn ingest`.
pub fn run(g: &Globals, mut a: IngestArgs) -> Result<()> {
    // With `--item`s there is no PATH: a second positional is then an error (below).
    let location = match a.items.is_empty() {
        true => g.locate(a.repo.take(), &mut [&mut a.path])?,
        false => g.locate(a.repo.take(), &mut [])?,
    };
    let mut inputs = open_inputs(&a)?;
    let exclude = exclude_patterns(&a)?;
    let trees = TreeOptions {
        walk: WalkOptions {
            one_file_system: a.one_file_system,
            exclude_caches: a.exclude_caches,
            read_ahead: true,
            excludes: !exclude.is_empty(),
        },
        parent: a.parent.clone(),
        no_parent: a.force,
        exclude,
    };
    let total: Option<u64> = inputs.iter().map(|i| i.size).sum();
    let progress = Progress::new(total, "ingesting");
    let args = IngestBeginArgs {
        tags: a.tags.into_iter().collect(),
        total_bytes: total,
        host: Some(a.host.unwrap_or_else(super::hostname)),
        user: super::user(),
    };

    let snapshot = with_repo(g, &location, progress.sink(), |repo| {
        progress.show();
        let session = repo.call::<ops::IngestBegin>(&args)?;
        let result = store(repo, session, &mut inputs, &trees);
        if result.is_err() && !repo.runtime().is_dead() {
            // Best effort: the error being reported matters more than one from the abort.
            let _ = repo.call::<ops::IngestAbort>(&session);
        }
        result
    });
    progress.finish();
    g.report(&snapshot?, output::snapshot_summary)
}

/// Streams every input into the session and finishes it.
fn store(
    repo: &mut OpenRepo,
    session: SessionHandle,
    inputs: &mut [Input],
    trees: &TreeOptions,
) -> Result<Snapshot> {
    for input in inputs.iter_mut() {
        let Some(reader) = input.reader.as_mut() else {
            repo.call::<ops::IngestTree>(&IngestTreeArgs {
                session: session.session,
                name: input.name.clone(),
                kind: input.kind.clone(),
                parent: trees.parent.clone(),
                no_parent: trees.no_parent,
                exclude: trees.exclude.clone(),
                path: Some(recorded_path(&input.path)),
            })?;
            let summary = walk(
                &input.path,
                &trees.walk,
                &mut EngineSink::new(repo, session.session),
            )?;
            if summary.sockets > 0 {
                output::note(&format!(
                    "note: {} sockets in {} were not stored",
                    summary.sockets,
                    input.path.display()
                ));
            }
            continue;
        };
        repo.call::<ops::IngestItem>(&IngestItemArgs {
            session: session.session,
            name: input.name.clone(),
            kind: input.kind.clone(),
            path: Some(recorded_path(&input.path)),
        })?;
        let path = &input.path;
        std::thread::scope(|scope| {
            let blocks = read_ahead(scope, reader);
            for block in &blocks.full {
                let block = block.map_err(|source| CliError::ReadInput {
                    path: path.clone(),
                    source,
                })?;
                if block.is_empty() {
                    break;
                }
                repo.runtime().write(session.session, &block)?;
                // The reader stops once the engine does: it has no buffer left to fill.
                let _ = blocks.empty.send(block);
            }
            Ok::<(), CliError>(())
        })?;
    }
    repo.call::<ops::IngestFinish>(&session)
}

/// Blocks read ahead: full ones to take (an empty block at the end), and where to give
/// them back once written.
struct ReadAhead {
    full: Receiver<std::io::Result<Vec<u8>>>,
    empty: Sender<Vec<u8>>,
}

/// Reads `reader` on a thread of `scope`, [`AHEAD`] blocks ahead of the engine, so that the
/// kernel's copy of the input overlaps the engine's work; buffers go round, none is
/// allocated per block.
fn read_ahead<'s, 'r: 's>(scope: &'s Scope<'s, '_>, reader: &'r mut Box<dyn Read + Send>) -> ReadAhead {
    let (full_tx, full) = sync_channel(AHEAD);
    let (empty, empty_rx) = channel::<Vec<u8>>();
    for _ in 0..=AHEAD {
        let _ = empty.send(vec![0u8; BLOCK]);
    }
    scope.spawn(move || {
        for mut buf in empty_rx {
            buf.resize(BLOCK, 0);
            let block = read_block(reader, &mut buf).map(|n| {
                buf.truncate(n);
                buf
            });
            let last = !matches!(&block, Ok(b) if !b.is_empty());
            if full_tx.send(block).is_err() || last {
                return;
            }
        }
    });
    ReadAhead { full, empty }
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
    let specs: Vec<ItemSpec> = match (a.path.as_ref().map(PathBuf::from), a.items.is_empty()) {
        (Some(_), false) => return Err(CliError::PathAndItems),
        (Some(path), true) => vec![ItemSpec {
            name: item_name(&path),
            kind: None,
            path,
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

/// The path an item records of its source: absolute (made so without resolving links,
/// as restic records it), `-` for standard input; not UTF-8 bytes replaced.
fn recorded_path(path: &Path) -> String {
    match is_stdin(path) {
        true => "-".into(),
        false => std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .into_owned(),
    }
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
    // `.` and `..` are named after the directory they stand for.
    let canonical = std::fs::canonicalize(path).ok();
    let name = path
        .file_name()
        .or_else(|| canonical.as_deref().and_then(Path::file_name));
    name.map_or_else(|| "root".to_string(), |n| n.to_string_lossy().into_owned())
}

fn open(spec: ItemSpec) -> Result<Input> {
    let ItemSpec { name, kind, path } = spec;
    if is_stdin(&path) {
        return Ok(Input {
            name,
            kind,
            path,
            reader: Some(Box::new(std::io::stdin())),
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
        return Ok(Input {
            name,
            kind,
            path,
            reader: None,
            size: None,
        });
    }
    let size = meta.is_file().then_some(meta.len());
    Ok(Input {
        name,
        kind,
        path,
        reader: Some(Box::new(file)),
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
