//! The command line, parsed with clap. Values the engine defines (codecs, verify levels)
//! are parsed into the engine's own types.

use std::ffi::OsString;
use std::path::PathBuf;

use cairn_core::codec::CodecName;
use cairn_core::verify::VerifyLevel;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

/// Content-addressed, deduplicating, optionally encrypted backups.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, propagate_version = true)]
pub struct Cli {
    /// Print exactly one JSON document on standard output (errors as {"error": {code, message}}).
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the repository's passphrase from the first line of FILE (otherwise
    /// --passphrase-command, CAIRN_PASSPHRASE, CAIRN_PASSPHRASE_COMMAND, a prompt on the terminal).
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Run CMD with `sh -c` and take the first line it prints as the passphrase (restic's
    /// --password-command; also $CAIRN_PASSPHRASE_COMMAND).
    #[arg(
        long,
        global = true,
        value_name = "CMD",
        visible_alias = "password-command",
        conflicts_with = "passphrase_file"
    )]
    pub passphrase_command: Option<OsString>,
    /// Print only answers and errors: no progress bars, no summaries of what was done.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: each item of a snapshot, each file restored into a directory.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Threads that compress, encrypt, decrypt and check chunks (default: the machine's
    /// cores); the number changes nothing that is stored.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Follow symbolic links inside the repository (for example `packs` on another disk);
    /// without it they are refused, so nothing outside the repository is touched.
    #[arg(long, global = true)]
    pub follow_symlinks: bool,
    /// The repository: a path, file:///PATH, s3://BUCKET/PREFIX or http(s)://URL
    /// (read-only); instead of the command's REPO, which otherwise defaults to $CAIRN_REPOSITORY.
    #[arg(
        id = "repo_option",
        short = 'r',
        long = "repo",
        global = true,
        value_name = "REPO"
    )]
    pub repo: Option<OsString>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

mod data;
pub use data::*;
mod snaps;
pub use snaps::*;

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a repository.
    Init(InitArgs),
    /// Store files or standard input as one new snapshot.
    Ingest(IngestArgs),
    /// Write a snapshot (or one of its items) to standard output or a file, or a
    /// directory tree into a directory.
    Restore(RestoreArgs),
    /// List the entries of a directory tree in a snapshot.
    Ls(LsArgs),
    /// Show what changed in a directory tree between two snapshots.
    Diff(DiffArgs),
    /// Find files and directories by name or path in the trees of snapshots.
    Find(FindArgs),
    /// List snapshots.
    Snapshots(SnapshotsArgs),
    /// Show one snapshot.
    Show(ShowArgs),
    /// Check the repository: exit status 1 when anything is damaged.
    Verify(VerifyArgs),
    /// Forget snapshots a retention policy does not keep, and free the space only they used.
    Prune(PruneArgs),
    /// Forget snapshots by id (or by policy), leaving their data for `prune` (or `--prune`) to free.
    Forget(ForgetArgs),
    /// Change the tags of snapshots (each gets a new id).
    Tag(TagArgs),
    /// Sizes, deduplication, compression, chunks, packs and parity of snapshots or the repository.
    Stats(StatsArgs),
    /// Print the configuration, a snapshot's manifest, the index or a pack's entry table as JSON.
    Cat(CatArgs),
    /// Copy snapshots into another repository, storing only what it lacks.
    Copy(CopyArgs),
    /// Rebuild damaged packs from parity, damaged sidecars and the index; remove stale locks.
    Repair(RepairArgs),
    /// Rebuild the global index from the packs' `.idx` sidecars.
    Reindex(RepoArg),
    /// Remove stale locks (or all with --force).
    Unlock(UnlockArgs),
    /// Manage the passphrases that open an encrypted repository.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Print a completion script for a shell (`source <(cairn completion bash)`).
    Completion(CompletionArgs),
    /// Show the version, the build and the repository formats this binary reads and writes.
    Version,
}

mod extra;
pub use extra::*;

/// A value parser for one of the engine's enums: the possible values are its serde names,
/// so the CLI offers exactly the values the engine's table accepts.
pub fn engine_enum<T>() -> impl TypedValueParser<Value = T>
where
    T: serde::Serialize
        + serde::de::DeserializeOwned
        + strum::IntoEnumIterator
        + Clone
        + Send
        + Sync
        + 'static,
{
    let names: Vec<&'static str> = T::iter()
        .map(|v| {
            let name = serde_json::to_value(v)
                .ok()
                .and_then(|j| j.as_str().map(str::to_owned));
            // The names live as long as the process: clap wants them `'static`.
            &*Box::leak(name.expect("engine enums serialise as strings").into_boxed_str())
        })
        .collect();
    PossibleValuesParser::new(names)
        .map(|s| serde_json::from_value(serde_json::Value::String(s)).expect("clap checked the value"))
}

/// `cairn verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// How deep to check: quick (index, packs, groups and snapshots agree), standard (also
    /// every pack's bytes and every group's parity), full (also every chunk decoded).
    #[arg(long, value_parser = engine_enum::<VerifyLevel>(), default_value = "standard")]
    pub level: VerifyLevel,
    /// Read only part of the packs: N/M (part N of M, by pack id) or P% (a random share).
    #[arg(long, value_name = "N/M|P%")]
    pub read_data_subset: Option<String>,
    /// Without the passphrase of an encrypted repository: check packs and parity only.
    #[arg(long)]
    pub keyless: bool,
}

/// `cairn prune`: restic's `forget --prune` rules.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// Which snapshots to keep.
    #[command(flatten)]
    pub keep: KeepArgs,
    /// Apply the policy only to the snapshots with this host, tags, item or path; keep the others.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only say what would be removed; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Accept the loss of snapshots whose manifest vanished without a prune (prune
    /// refuses to run while there are any, to keep their data).
    #[arg(long)]
    pub forget_vanished: bool,
}

/// `cairn repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// Without the passphrase of an encrypted repository: rebuild packs from parity only.
    #[arg(long)]
    pub keyless: bool,
}

/// A command that takes only the repository.
#[derive(Debug, Args)]
pub struct RepoArg {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
}

/// `cairn unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// Remove every lock, also those of operations that may still be running.
    #[arg(long)]
    pub force: bool,
}

/// Content-defined chunk sizes in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// Smallest chunk.
    pub min: u64,
    /// Average chunk.
    pub avg: u64,
    /// Largest chunk.
    pub max: u64,
}

/// Parity: `parity` parity packs for every `data` data packs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parity {
    /// Data packs per group (K).
    pub data: u64,
    /// Parity packs per group (M).
    pub parity: u64,
}

/// `cairn init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create it (a path, created if absent and empty if present; or
    /// s3://BUCKET/PREFIX, an empty prefix; or -r REPO, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// Encrypt the repository under a passphrase (asked twice on a terminal).
    #[arg(long)]
    pub encrypt: bool,
    /// Compression codec: zstd (the default, level 1 unless --compression-level), gzip
    /// (deflate, level 1), none.
    #[arg(long, value_parser = engine_enum::<CodecName>())]
    pub compression: Option<CodecName>,
    /// Compression level of the codec (zstd: 1-19; gzip: 1-9).
    #[arg(long, value_name = "N")]
    pub compression_level: Option<u32>,
    /// Chunk sizes in bytes: smallest, average, largest (suffixes K, M, KiB, MiB allowed).
    #[arg(long, value_name = "MIN,AVG,MAX", value_parser = parse_chunking)]
    pub chunking: Option<Chunking>,
    /// Target size of a pack file in bytes (suffixes K, M, KiB, MiB allowed).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub pack_size: Option<u64>,
    /// Parity: M parity packs for every K data packs.
    #[arg(long, value_name = "K,M", value_parser = parse_parity)]
    pub parity: Option<Parity>,
}

/// `cairn key ...`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Add a passphrase (CAIRN_NEW_PASSPHRASE, --new-passphrase-file, or a prompt).
    Add {
        /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
        repo: Option<OsString>,
        /// Read the new passphrase from the first line of FILE.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// List the keys.
    List {
        /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
        repo: Option<OsString>,
    },
    /// Remove a key (never the last one).
    Remove {
        /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
        repo: Option<OsString>,
        /// The key's id, as `key list` shows it.
        id: Option<OsString>,
    },
}

/// Parses a byte count: digits with an optional binary suffix (K, KiB, M, MiB, G, GiB).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a byte count"))?;
    let mult: u64 = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        _ => return Err(format!("`{s}` has an unknown unit (use K, M or G)")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("`{s}` is too large"))
}

fn parse_list<const N: usize>(
    s: &str,
    what: &str,
    item: fn(&str) -> Result<u64, String>,
) -> Result<[u64; N], String> {
    let parts: Vec<&str> = s.split(',').collect();
    if parts.len() != N {
        return Err(format!("`{s}` is not {what}"));
    }
    let mut out = [0u64; N];
    for (o, p) in out.iter_mut().zip(parts) {
        *o = item(p)?;
    }
    Ok(out)
}

/// Parses `MIN,AVG,MAX`.
pub fn parse_chunking(s: &str) -> Result<Chunking, String> {
    let [min, avg, max] = parse_list(s, "MIN,AVG,MAX", parse_size)?;
    Ok(Chunking { min, avg, max })
}

/// Parses `K,M`.
pub fn parse_parity(s: &str) -> Result<Parity, String> {
    let count = |p: &str| {
        p.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{p}` is not a number"))
    };
    let [data, parity] = parse_list(s, "K,M", count)?;
    Ok(Parity { data, parity })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_values() {
        assert_eq!(parse_tag("host=a=b"), Ok(("host".into(), "a=b".into())));
        assert!(parse_tag("=x").is_err());
        assert_eq!(
            parse_item("db:application/sql=/tmp/x=y"),
            Ok(ItemSpec {
                name: "db".into(),
                kind: Some("application/sql".into()),
                path: "/tmp/x=y".into()
            })
        );
        assert_eq!(parse_item("log=-").unwrap().kind, None);
        assert!(parse_item("=x").is_err());
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert!(parse_size("3 parsecs").is_err());
        assert_eq!(
            parse_chunking("16K,64K,256K"),
            Ok(Chunking {
                min: 16 << 10,
                avg: 64 << 10,
                max: 256 << 10
            })
        );
        assert!(parse_chunking("1,2").is_err());
        assert_eq!(parse_parity("20,1"), Ok(Parity { data: 20, parity: 1 }));
    }

    #[test]
    fn engine_enums_parse_by_their_serde_names() {
        use clap::Parser;
        let cli = Cli::try_parse_from(["cairn", "verify", "r", "--level", "full"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Verify(VerifyArgs {
                level: VerifyLevel::Full,
                ..
            })
        ));
        assert!(Cli::try_parse_from(["cairn", "verify", "r", "--level", "deep"]).is_err());
        let cli = Cli::try_parse_from(["cairn", "init", "r", "--compression", "zstd"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Init(InitArgs {
                compression: Some(CodecName::Zstd),
                ..
            })
        ));
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
