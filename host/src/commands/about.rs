//! `cairn completion` and `cairn version`: about the program itself, no repository.

use clap::CommandFactory;
use serde::Serialize;

use super::Globals;
use crate::cli::{Cli, CompletionArgs};
use crate::error::{CliError, Result};

/// Runs `cairn completion SHELL`: clap's completion script for the command line as defined.
pub fn completion(a: CompletionArgs) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "cairn", &mut script);
    let text = String::from_utf8(script)
        .map_err(|e| CliError::Protocol(format!("a completion script is not UTF-8: {e}")))?;
    crate::output::print_text(text.trim_end())
}

/// The format versions of one kind of file: written, and the range read.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FormatVersions {
    /// The version new files get (for manifests: of a snapshot with a tree item).
    pub writes: u64,
    /// The oldest version read.
    pub reads_from: u64,
    /// The newest version read.
    pub reads_to: u64,
}

/// What `cairn version` reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// The crate's version.
    pub version: &'static str,
    /// The commit it was built from (`unknown` outside a git checkout).
    pub commit: &'static str,
    /// The wasmtime that runs the engine.
    pub wasmtime: &'static str,
    /// The target triple the binary was built for.
    pub target: &'static str,
    /// `config.json`: the repository format.
    pub repository_format: FormatVersions,
    /// Snapshot manifests.
    pub manifest_format: FormatVersions,
    /// Directory-tree blobs.
    pub tree_format: FormatVersions,
    /// Parity group manifests.
    pub parity_group_format: FormatVersions,
}

/// The version information of this binary.
pub fn info() -> VersionInfo {
    use cairn_core::{config, manifest, parity, tree};
    let same = |v: u64| FormatVersions {
        writes: v,
        reads_from: 1,
        reads_to: v,
    };
    VersionInfo {
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("CAIRN_GIT_COMMIT"),
        wasmtime: env!("CAIRN_WASMTIME_VERSION"),
        target: env!("CAIRN_TARGET"),
        repository_format: same(config::FORMAT_VERSION),
        manifest_format: FormatVersions {
            writes: manifest::MANIFEST_VERSION_TREES,
            reads_from: manifest::MANIFEST_VERSION,
            reads_to: manifest::MANIFEST_VERSION_TREES,
        },
        tree_format: same(u64::from(tree::TREE_VERSION)),
        parity_group_format: same(parity::GROUP_VERSION),
    }
}

/// Runs `cairn version`.
pub fn version(g: &Globals) -> Result<()> {
    g.print(&info(), |v| {
        let f = |f: &FormatVersions| match f.reads_from == f.reads_to {
            true => format!("{} (reads {})", f.writes, f.reads_to),
            false => format!("{} (reads {}-{})", f.writes, f.reads_from, f.reads_to),
        };
        [
            format!("cairn {} (commit {})", v.version, v.commit),
            format!("  wasmtime           {}", v.wasmtime),
            format!("  target             {}", v.target),
            format!("  repository format  {}", f(&v.repository_format)),
            format!("  manifests          {}", f(&v.manifest_format)),
            format!("  trees              {}", f(&v.tree_format)),
            format!("  parity groups      {}", f(&v.parity_group_format)),
        ]
        .join("\n")
    })
}
