//! The arguments of the commands that move data in and out: `ingest`, `restore`, `ls`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;

use super::NarrowArgs;

/// One named input of `cairn ingest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSpec {
    /// The item's name in the snapshot.
    pub name: String,
    /// Its optional type (free text, such as a MIME type).
    pub kind: Option<String>,
    /// The file to read, or `-` for standard input.
    pub path: PathBuf,
}

/// `cairn ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// A tag of the snapshot (repeatable).
    #[arg(long = "tag", value_name = "K=V", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// A named item (repeatable, stored in order); PATH `-` is standard input, a directory
    /// is stored as a tree.
    #[arg(long = "item", value_name = "NAME[:TYPE]=PATH", value_parser = parse_item)]
    pub items: Vec<ItemSpec>,
    /// One file or directory to store, named after its file name; `-` or nothing for
    /// standard input.
    pub path: Option<OsString>,
    /// Directories: take unchanged files from this snapshot (default: the newest snapshot
    /// with a tree item of the same name).
    #[arg(long, value_name = "SNAPSHOT", conflicts_with = "force")]
    pub parent: Option<String>,
    /// Directories: read every file again, ignoring any parent snapshot.
    #[arg(long)]
    pub force: bool,
    /// Directories: do not descend into other file systems (mount points are kept, empty).
    #[arg(short = 'x', long)]
    pub one_file_system: bool,
    /// Directories: skip the contents of directories holding a valid CACHEDIR.TAG.
    #[arg(long)]
    pub exclude_caches: bool,
    /// Directories: leave out entries matching a gitignore-style PATTERN (repeatable):
    /// `*.o`, `/build` (at the root), `cache/` (directories), `!keep.o` (re-include).
    #[arg(short = 'e', long = "exclude", value_name = "PATTERN")]
    pub excludes: Vec<String>,
    /// Directories: read exclude patterns from FILE, one per line (`#` starts a comment).
    #[arg(long = "exclude-file", value_name = "FILE")]
    pub exclude_files: Vec<PathBuf>,
    /// The host name recorded in the snapshot (default: this machine's name).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

/// `cairn restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// A snapshot id, a unique prefix of one, or `latest`.
    pub snapshot: Option<OsString>,
    /// Restore only this item (`latest` is then the newest snapshot that has it).
    #[arg(long)]
    pub item: Option<String>,
    /// Host and tags the snapshot must have (`latest`: the newest that has them).
    #[command(flatten)]
    pub narrow: NarrowArgs,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE", conflicts_with = "target")]
    pub output: Option<PathBuf>,
    /// Restore a directory tree into DIR (created if missing), with its metadata.
    #[arg(short = 't', long, value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// With --target: restore only this file or directory of the tree (a path below its root).
    #[arg(long, value_name = "PATH", requires = "target")]
    pub path: Option<OsString>,
    /// With --target: restore only entries this pattern matches (gitignore's syntax, against
    /// paths below the tree's root), all below them and the directories on the way (repeatable).
    #[arg(short = 'i', long = "include", value_name = "PATTERN", requires = "target")]
    pub include: Vec<String>,
    /// With --target: leave out entries this pattern matches (repeatable).
    #[arg(short = 'e', long = "exclude", value_name = "PATTERN", requires = "target")]
    pub exclude: Vec<String>,
}

/// `cairn find`.
#[derive(Debug, Args)]
pub struct FindArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// What to look for, in gitignore's syntax: a name (`*.conf`) at any depth, or a path
    /// from the tree's root (`/etc/*.conf`); several find entries any one matches.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Look only in this snapshot (id, unique prefix or `latest`; repeatable; default: all).
    #[arg(short = 's', long = "snapshot", value_name = "ID")]
    pub snapshots: Vec<String>,
    /// Look only in the tree item of this name.
    #[arg(long)]
    pub item: Option<String>,
    /// Only snapshots with this tag (repeatable: all must match).
    #[arg(long = "tag", value_name = "K=V", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
    /// Long format: kind and mode, owner, size, modification time, path.
    #[arg(short = 'l', long)]
    pub long: bool,
}

/// `cairn ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// A snapshot id, a unique prefix of one, or `latest`.
    pub snapshot: Option<OsString>,
    /// A directory or file of the tree: list it and its entries (default: the whole tree).
    pub path: Option<OsString>,
    /// The tree item, when the snapshot holds several (`latest` is then the newest
    /// snapshot that has it).
    #[arg(long)]
    pub item: Option<String>,
    /// Host and tags the snapshot must have (`latest`: the newest that has them).
    #[command(flatten)]
    pub narrow: NarrowArgs,
    /// Everything below PATH, not only its entries.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Long format: kind and mode, owner, size, modification time, path.
    #[arg(short = 'l', long)]
    pub long: bool,
}

/// Parses `K=V`.
pub fn parse_tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}

/// Parses `NAME[:TYPE]=PATH`.
pub fn parse_item(s: &str) -> Result<ItemSpec, String> {
    let (head, path) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME[:TYPE]=PATH"))?;
    let (name, kind) = match head.split_once(':') {
        Some((name, kind)) => (name, Some(kind.to_string()).filter(|k| !k.is_empty())),
        None => (head, None),
    };
    if name.is_empty() || path.is_empty() {
        return Err(format!("`{s}` is not NAME[:TYPE]=PATH"));
    }
    Ok(ItemSpec {
        name: name.to_string(),
        kind,
        path: PathBuf::from(path),
    })
}

/// `cairn diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// The older snapshot (id, unique prefix, or `latest`).
    pub from: Option<OsString>,
    /// The newer snapshot.
    pub to: Option<OsString>,
    /// The tree item, when the newer snapshot holds several.
    #[arg(long)]
    pub item: Option<String>,
    /// Host and tags the snapshots must have (`latest`: the newest that has them).
    #[command(flatten)]
    pub narrow: NarrowArgs,
}
