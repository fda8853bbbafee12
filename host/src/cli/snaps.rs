//! The arguments of the commands that handle snapshots as a whole, and the snapshot
//! filter they share (the engine's `SnapshotFilter`).

use std::ffi::OsString;

use cairn_core::manifest::SnapshotFilter;
use clap::Args;

use super::parse_tag;

/// What narrows `latest` in commands that name their item themselves (`restore`, `ls`,
/// `diff`): the host and tags.
#[derive(Debug, Clone, Default, Args)]
pub struct NarrowArgs {
    /// Only snapshots taken on HOST; `latest` is the newest of them.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Only snapshots with this tag (repeatable: all must match); `latest` is the newest of them.
    #[arg(long = "tag", value_name = "K=V", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,
}

impl NarrowArgs {
    /// The engine's filter of these flags.
    pub fn filter(&self) -> SnapshotFilter {
        SnapshotFilter {
            host: self.host.clone(),
            tags: self.tags.iter().cloned().collect(),
            ..SnapshotFilter::default()
        }
    }
}

/// Which snapshots a command takes: by host, tags, item name and item path.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Host and tags.
    #[command(flatten)]
    pub narrow: NarrowArgs,
    /// Only snapshots with an item of this name; `latest` is the newest of them.
    #[arg(long, value_name = "NAME")]
    pub item: Option<String>,
    /// Only snapshots with an item read from PATH, exactly as recorded (absolute, or `-`
    /// for standard input).
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
}

impl FilterArgs {
    /// The engine's filter of these flags.
    pub fn filter(&self) -> SnapshotFilter {
        SnapshotFilter {
            item: self.item.clone(),
            path: self.path.clone(),
            ..self.narrow.filter()
        }
    }
}

/// `cairn snapshots`.
#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// Host, tags, item and path.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only snapshots created at or after DATE (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub after: Option<String>,
    /// Only snapshots created before DATE (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub before: Option<String>,
}

/// `cairn show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The repository: a path, s3://BUCKET/PREFIX or http(s)://URL (or -r, or $CAIRN_REPOSITORY).
    pub repo: Option<OsString>,
    /// A snapshot id, a unique prefix of one, or `latest`.
    pub snapshot: Option<OsString>,
    /// Host, tags, item and path: `latest` is the newest snapshot that matches.
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// A retention policy (restic's `forget` rules), for `prune` and `forget`.
#[derive(Debug, Clone, Default, Args)]
pub struct KeepArgs {
    /// Keep the N newest snapshots.
    #[arg(long, value_name = "N")]
    pub keep_last: Option<u32>,
    /// Keep the newest snapshot of each of the last N hours that have snapshots.
    #[arg(long, value_name = "N")]
    pub keep_hourly: Option<u32>,
    /// Keep the newest snapshot of each of the last N days that have snapshots.
    #[arg(long, value_name = "N")]
    pub keep_days: Option<u32>,
    /// Keep the newest snapshot of each of the last N ISO weeks that have snapshots.
    #[arg(long, value_name = "N")]
    pub keep_weeks: Option<u32>,
    /// Keep the newest snapshot of each of the last N months that have snapshots.
    #[arg(long, value_name = "N")]
    pub keep_months: Option<u32>,
    /// Keep the newest snapshot of each of the last N years that have snapshots.
    #[arg(long, value_name = "N")]
    pub keep_yearly: Option<u32>,
    /// Keep every snapshot with this tag, KEY or KEY=VALUE (repeatable).
    #[arg(long = "keep-tag", value_name = "TAG")]
    pub keep_tags: Vec<String>,
    /// Run even when the policy keeps no snapshot (every count 0, or no snapshot
    /// matches), which removes every snapshot.
    #[arg(long)]
    pub allow_empty: bool,
}

/// `cairn forget`.
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The repository (or -r, or $CAIRN_REPOSITORY), then the snapshots to forget: ids,
    /// unique prefixes, or `latest`.
    #[arg(value_name = "REPO|SNAPSHOT")]
    pub args: Vec<OsString>,
    /// Or forget by policy: the snapshots it does not keep.
    #[command(flatten)]
    pub keep: KeepArgs,
    /// Only snapshots with this host, tags, item or path (`latest` is the newest of them;
    /// a policy decides among them alone).
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only say what would be forgotten; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Then free the space only the forgotten snapshots used, as `prune` does.
    #[arg(long)]
    pub prune: bool,
}

/// `cairn tag`.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// The repository (or -r, or $CAIRN_REPOSITORY), then the snapshots to tag: ids,
    /// unique prefixes, or `latest`.
    #[arg(value_name = "REPO|SNAPSHOT", required = true)]
    pub args: Vec<OsString>,
    /// Add this tag, or give it this value (repeatable).
    #[arg(long, value_name = "K=V", value_parser = parse_tag)]
    pub add: Vec<(String, String)>,
    /// Remove this tag: KEY, or KEY=VALUE to remove it only with that value (repeatable).
    #[arg(long, value_name = "K[=V]")]
    pub remove: Vec<String>,
    /// Replace every tag with these (repeatable; applied before --remove and --add).
    #[arg(long, value_name = "K=V", value_parser = parse_tag)]
    pub set: Vec<(String, String)>,
    /// Only snapshots with this host, tags, item or path (`latest` is the newest of them).
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `cairn stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The repository (or -r, or $CAIRN_REPOSITORY), then the snapshots to count: ids,
    /// unique prefixes, or `latest` (default: every snapshot the filter passes).
    #[arg(value_name = "REPO|SNAPSHOT")]
    pub args: Vec<OsString>,
    /// Only snapshots with this host, tags, item or path.
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `cairn cat`.
#[derive(Debug, Args)]
pub struct CatArgs {
    /// The repository (or -r, or $CAIRN_REPOSITORY), then what to show: `config`,
    /// `snapshot ID`, `index` or `pack ID` (ids or unique prefixes; a snapshot may be `latest`).
    #[arg(value_name = "REPO|WHAT|ID", required = true)]
    pub args: Vec<OsString>,
}

/// `cairn copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The source (or -r), the destination, then the snapshots to copy: ids, unique
    /// prefixes or `latest` (default: every snapshot the filter passes).
    #[arg(value_name = "SRC|DST|SNAPSHOT", required = true)]
    pub args: Vec<OsString>,
    /// Only snapshots with this host, tags, item or path.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Read the destination's passphrase from the first line of FILE (otherwise
    /// --to-passphrase-command, CAIRN_TO_PASSPHRASE, CAIRN_TO_PASSPHRASE_COMMAND, a prompt).
    #[arg(long, value_name = "FILE")]
    pub to_passphrase_file: Option<std::path::PathBuf>,
    /// Run CMD with `sh -c` and take the first line it prints as the destination's passphrase.
    #[arg(long, value_name = "CMD", conflicts_with = "to_passphrase_file")]
    pub to_passphrase_command: Option<OsString>,
}
