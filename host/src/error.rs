//! The CLI's errors: the engine's, carried with their code, and the host's own, each
//! mapped to an engine [`ErrorCode`] so that `--json` output and exit codes are uniform.

use std::io;
use std::path::PathBuf;

use cairn_core::error::ErrorCode;

/// Every way a `cairn` command can fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The engine refused or failed an operation; `message` is its sentence.
    #[error("{message}")]
    Engine {
        /// The engine's stable code.
        code: ErrorCode,
        /// The engine's message.
        message: String,
    },
    /// The module trapped (a panic in the engine); the instance is dead.
    #[error("internal error (a bug in Cairn, please report it): the engine stopped: {message}")]
    Trap {
        /// The panic message the module sent, or the trap's description.
        message: String,
    },
    /// The module answered something that breaks the ABI.
    #[error("internal error (a bug in Cairn, please report it): the engine's answer is malformed: {0}")]
    Protocol(String),
    /// wasmtime could not compile or instantiate the embedded module.
    #[error("internal error: could not start the engine: {0}")]
    Runtime(wasmtime::Error),
    /// `init` was pointed at a directory that holds other files.
    #[error("{} is not empty and holds no Cairn repository: choose a new or empty directory", path.display())]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// A repository location that cannot be parsed or used, or a positional argument missing.
    #[error("{0}")]
    Location(String),
    /// `init` was pointed at an S3 prefix that holds other objects.
    #[error("{location} holds objects and no Cairn repository: choose a new or empty prefix")]
    LocationNotEmpty {
        /// The location.
        location: String,
    },
    /// A command that writes was pointed at a read-only (HTTP) location.
    #[error("{location} is read-only (served over HTTP): create and change repositories through a path or s3:// location")]
    ReadOnlyLocation {
        /// The location.
        location: String,
    },
    /// Storage failed before the engine ran (reading what a location holds).
    #[error("{0}")]
    Storage(String),
    /// The repository directory could not be created.
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// An input to ingest (or a passphrase file) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadInput {
        /// The file, or `-` for standard input.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Restored data could not be written.
    #[error("cannot write {}: {source}", path.display())]
    WriteOutput {
        /// The file, or `-` for standard output.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// `restore` without `-o` while standard output is a terminal.
    #[error("refusing to write a snapshot's bytes to the terminal: give `-o FILE` or pipe the output")]
    OutputIsTerminal,
    /// `restore --json` without `-o`: standard output would carry both the data and the JSON.
    #[error("`restore --json` needs `-o FILE`: standard output carries the restored bytes")]
    JsonNeedsOutput,
    /// `ingest` with no PATH and no `--item` while standard input is a terminal.
    #[error("nothing to ingest: give a PATH, `--item NAME=PATH`, or pipe data to standard input")]
    NoInput,
    /// `ingest` with both a PATH and `--item`s.
    #[error("give either a PATH or `--item`s, not both (add the PATH as another `--item`)")]
    PathAndItems,
    /// Standard input named by more than one item.
    #[error("standard input (`-`) can be read only once")]
    StdinTwice,
    /// `--passphrase-command` (or `CAIRN_PASSPHRASE_COMMAND`) gave no passphrase.
    #[error("the passphrase command `{command}` {problem}")]
    PassphraseCommand {
        /// The command as given.
        command: String,
        /// What went wrong: it could not start, failed, or printed nothing.
        problem: String,
    },
    /// A path that must be a directory (a local repository, `-o DIR/`) is something else,
    /// or does not exist.
    #[error("{} is not a directory: {hint}", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
        /// What the path should be.
        hint: &'static str,
    },
    /// An item whose name is no file name (`a/b`, `..`) cannot be restored under its name.
    #[error("item `{item}` has no usable file name: restore it with `--item {item} -o FILE`")]
    NotAFileName {
        /// The item.
        item: String,
    },
    /// `restore` of a snapshot with several items to one stream, without `--item`.
    #[error("snapshot {snapshot} holds {} items ({}): choose one with `--item NAME`, or give `-o DIR` (an existing directory) to restore each under its name", items.len(), items.join(", "))]
    SeveralItems {
        /// The snapshot's short id.
        snapshot: String,
        /// Its items' names, in order.
        items: Vec<String>,
    },
    /// `restore -o DIR` would replace what already is in DIR.
    #[error("{} exists: `restore -o DIR` does not replace files; remove it or choose another directory", path.display())]
    OutputExists {
        /// The file or directory in the way.
        path: PathBuf,
    },
    /// A prune policy that keeps no snapshot, without `--allow-empty`.
    #[error("{0}")]
    EmptyPolicy(String),
    /// The passphrase could not be read from the terminal.
    #[error("cannot read the passphrase from the terminal: {0}")]
    Prompt(io::Error),
    /// The two prompts for a new passphrase differed.
    #[error("the passphrases do not match")]
    PassphraseMismatch,
    /// `verify` or `repair` ran and its answer (already printed) lists problems.
    #[error("{0}")]
    ProblemsFound(String),
    /// A new passphrase was needed and none could be had.
    #[error("a new passphrase is needed: set {env}, give {flag}, or run on a terminal to be asked")]
    NewPassphraseRequired {
        /// The environment variable that could carry it.
        env: &'static str,
        /// The option that could carry it.
        flag: &'static str,
    },
    /// Walking a directory tree for a backup, or restoring one, failed as a whole.
    #[error(transparent)]
    Tree(#[from] crate::tree::TreeError),
}

impl CliError {
    /// The stable code of this error, as `--json` prints it.
    pub fn code(&self) -> ErrorCode {
        match self {
            CliError::Engine { code, .. } => *code,
            CliError::Trap { .. } | CliError::Protocol(_) | CliError::Runtime(_) => ErrorCode::Internal,
            // A path through a missing directory or through a file is the user's mistake.
            CliError::CreateDir { source, .. } | CliError::WriteOutput { source, .. }
                if matches!(
                    source.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                ErrorCode::InvalidArgument
            }
            CliError::CreateDir { .. } | CliError::WriteOutput { .. } | CliError::Storage(_) => {
                ErrorCode::StorageError
            }
            CliError::Location(_) | CliError::LocationNotEmpty { .. } => ErrorCode::InvalidArgument,
            CliError::ReadOnlyLocation { .. } => ErrorCode::ReadOnly,
            CliError::NotEmpty { .. }
            | CliError::ReadInput { .. }
            | CliError::OutputIsTerminal
            | CliError::JsonNeedsOutput
            | CliError::NoInput
            | CliError::PathAndItems
            | CliError::StdinTwice
            | CliError::Prompt(_)
            | CliError::PassphraseMismatch
            | CliError::NotADirectory { .. }
            | CliError::NotAFileName { .. }
            | CliError::SeveralItems { .. }
            | CliError::OutputExists { .. }
            | CliError::EmptyPolicy(_) => ErrorCode::InvalidArgument,
            CliError::PassphraseCommand { .. } => ErrorCode::PassphraseRequired,
            CliError::NewPassphraseRequired { .. } => ErrorCode::PassphraseRequired,
            CliError::ProblemsFound(_) => ErrorCode::CorruptPack,
            CliError::Tree(e) => e.code(),
        }
    }

    /// The process exit code: 1 a problem found, 2 usage or input, 3 locked, 4 internal,
    /// 5 storage failure.
    pub fn exit_code(&self) -> i32 {
        exit_code(self.code())
    }

    /// The `{"error": {"code", "message"}}` document of `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code().as_str(), "message": self.to_string() } })
    }
}

/// Exit status: the operation ran and found a problem (damaged data).
pub const EXIT_PROBLEM: i32 = 1;
/// Exit status: a usage or input error (bad flag, unknown snapshot, wrong passphrase).
pub const EXIT_USAGE: i32 = 2;
/// Exit status: the repository is locked by another operation.
pub const EXIT_LOCKED: i32 = 3;
/// Exit status: an internal error (a bug in Cairn).
pub const EXIT_INTERNAL: i32 = 4;
/// Exit status: the storage failed (no space, permission denied, I/O error; later network
/// storage errors). Not a bug and nothing stored was changed: fix the cause and run again.
pub const EXIT_STORAGE: i32 = 5;

/// The exit code for an error code. The match has no catch-all: a new code does not
/// compile until someone decides its exit code here.
pub fn exit_code(code: ErrorCode) -> i32 {
    match code {
        ErrorCode::CorruptPack
        | ErrorCode::CorruptIndex
        | ErrorCode::CorruptSnapshot
        | ErrorCode::CorruptParity
        | ErrorCode::CorruptConfig
        | ErrorCode::CorruptKey
        | ErrorCode::ChunkNotFound => EXIT_PROBLEM,
        ErrorCode::InvalidArgument
        | ErrorCode::RepositoryNotFound
        | ErrorCode::RepositoryExists
        | ErrorCode::UnsupportedVersion
        | ErrorCode::PassphraseRequired
        | ErrorCode::WrongPassphrase
        | ErrorCode::SnapshotNotFound
        | ErrorCode::AmbiguousSnapshot
        | ErrorCode::ItemNotFound
        | ErrorCode::PathNotFound
        | ErrorCode::KeyNotFound
        | ErrorCode::LastKey
        | ErrorCode::ReadOnly => EXIT_USAGE,
        ErrorCode::RepositoryLocked => EXIT_LOCKED,
        ErrorCode::StorageError => EXIT_STORAGE,
        ErrorCode::InvalidStorageKey
        | ErrorCode::IntrinsicMismatch
        | ErrorCode::SessionNotFound
        | ErrorCode::EngineUnavailable
        | ErrorCode::Internal => EXIT_INTERNAL,
    }
}

/// Result of the CLI's operations.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_api() {
        assert_eq!(exit_code(ErrorCode::CorruptPack), 1);
        assert_eq!(exit_code(ErrorCode::WrongPassphrase), 2);
        assert_eq!(exit_code(ErrorCode::LastKey), 2);
        assert_eq!(exit_code(ErrorCode::RepositoryLocked), 3);
        assert_eq!(exit_code(ErrorCode::IntrinsicMismatch), 4);
        assert_eq!(exit_code(ErrorCode::InvalidStorageKey), 4);
        assert_eq!(exit_code(ErrorCode::StorageError), 5);
        let full = io::Error::from_raw_os_error(28); // ENOSPC
        let write = CliError::WriteOutput {
            path: "out".into(),
            source: full,
        };
        assert_eq!((write.exit_code(), write.code()), (5, ErrorCode::StorageError));
        assert_eq!(CliError::OutputIsTerminal.exit_code(), 2);
        assert_eq!(CliError::Trap { message: "x".into() }.exit_code(), 4);
    }

    #[test]
    fn every_code_has_an_exit_code_in_range() {
        for code in ErrorCode::all() {
            assert!((1..=5).contains(&exit_code(code)), "{code:?}");
        }
    }

    #[test]
    fn json_form() {
        let e = CliError::Engine {
            code: ErrorCode::SnapshotNotFound,
            message: "no snapshot matches `x`".into(),
        };
        let j = e.to_json();
        assert_eq!(j["error"]["code"], "SnapshotNotFound");
        assert_eq!(j["error"]["message"], "no snapshot matches `x`");
    }
}
