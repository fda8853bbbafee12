//! The commands: each turns its arguments into operations of the engine's table
//! (`cairn_core::ops`), with the table's own argument and answer types, and prints the
//! answer: with `--json` exactly as the engine gives it, otherwise as text made from it.

mod about;
mod atomic_file;
mod copy;
mod find;
mod forget;
mod ingest;
mod init;
mod inspect;
mod key;
mod ls;
mod maintenance;
mod restore;
mod restore_all;
mod snapshots;
mod trees;

use std::ffi::OsString;

use cairn_core::error::ErrorCode;
use cairn_core::lockfile::{Client, UNKNOWN_USER};
use cairn_core::ops::{self, NoArgs, OpenArgs, Operation};
use serde::Serialize;

use crate::cli::{Cli, Command};
use crate::error::{CliError, Result};
use crate::imports::EventSink;
use crate::location::{self, Location, REPOSITORY_ENV};
use crate::output;
use crate::passphrase;
use crate::runtime::{self, Runtime};

/// Options every command takes.
#[derive(Debug, Clone)]
pub struct Globals {
    /// Print one JSON document instead of text.
    pub json: bool,
    /// Where the repository's passphrase may be had without asking.
    pub passphrase: passphrase::Sources,
    /// Without a passphrase, open an encrypted repository keyless instead of asking for one.
    pub keyless: bool,
    /// Threads for the engine's jobs.
    pub threads: usize,
    /// Follow symbolic links inside the repository instead of refusing them.
    pub follow_symlinks: bool,
    /// The repository given with `-r/--repo`.
    pub repo: Option<OsString>,
}

impl Globals {
    /// The repository a command works on, from `-r/--repo`, its positional REPO, or
    /// [`REPOSITORY_ENV`] ([`location::resolve`]); `others` are its positional arguments
    /// after REPO, which take their values accordingly.
    pub fn locate(&self, repo: Option<OsString>, others: &mut [&mut Option<OsString>]) -> Result<Location> {
        let given: Vec<OsString> = std::iter::once(repo)
            .chain(others.iter_mut().map(|o| o.take()))
            .flatten()
            .collect();
        let env = std::env::var_os(REPOSITORY_ENV);
        let (location, mut rest) = location::resolve(self.repo.as_deref(), env, given, others.len())?;
        rest.reverse();
        for slot in others.iter_mut() {
            **slot = rest.pop();
        }
        Ok(location)
    }

    /// The repository and the snapshots of a command that takes a list of them after
    /// REPO (`forget`, `tag`): with `-r/--repo` every argument is a snapshot; otherwise the
    /// first is REPO, unless [`REPOSITORY_ENV`] names the repository and the first looks
    /// like a snapshot (no `/` or `:`, and no such path exists).
    pub fn locate_list(&self, mut args: Vec<OsString>) -> Result<(Location, Vec<String>)> {
        let env = std::env::var_os(REPOSITORY_ENV).filter(|e| !e.is_empty());
        let first_is_repo = self.repo.is_none()
            && args.first().is_some_and(|a| {
                let text = a.to_string_lossy();
                env.is_none() || text.contains(['/', ':']) || std::path::Path::new(a).exists()
            });
        let repo = first_is_repo.then(|| args.remove(0));
        let location = self.locate(repo, &mut [])?;
        let refs = args
            .into_iter()
            .map(|a| required(Some(a), "SNAPSHOT"))
            .collect::<Result<Vec<String>>>()?;
        Ok((location, refs))
    }

    /// Prints a result: `value` itself with `--json`, else the text `human` makes of it.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) -> Result<()> {
        if self.json {
            output::print_json(value)
        } else {
            output::print_text(&human(value))
        }
    }

    /// Prints the result of a command that changed something: as [`Globals::print`], but
    /// with `-q/--quiet` the text is left out (the JSON document never is).
    pub fn report<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) -> Result<()> {
        match !self.json && output::verbosity() == output::Verbosity::Quiet {
            true => Ok(()),
            false => self.print(value, human),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let g = Globals {
        json: cli.json,
        passphrase: passphrase::Sources {
            file: cli.passphrase_file,
            command: cli.passphrase_command,
            vars: Default::default(),
        },
        keyless: false,
        follow_symlinks: cli.follow_symlinks,
        threads: cli.threads.map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            usize::from,
        ),
        repo: cli.repo,
    };
    match cli.command {
        Command::Init(a) => init::run(&g, a),
        Command::Ingest(a) => ingest::run(&g, a),
        Command::Restore(a) => restore::run(&g, a),
        Command::Ls(a) => ls::run(&g, a),
        Command::Diff(a) => ls::diff(&g, a),
        Command::Find(a) => find::run(&g, a),
        Command::Snapshots(a) => snapshots::list(&g, a),
        Command::Show(a) => snapshots::show(&g, a),
        Command::Verify(a) => maintenance::verify(&g, a),
        Command::Prune(a) => maintenance::prune(&g, a),
        Command::Forget(a) => forget::forget(&g, a),
        Command::Tag(a) => forget::tag(&g, a),
        Command::Stats(a) => inspect::stats(&g, a),
        Command::Cat(a) => inspect::cat(&g, a),
        Command::Copy(a) => copy::run(&g, a),
        Command::Repair(a) => maintenance::repair(&g, a),
        Command::Reindex(a) => maintenance::reindex(&g, a),
        Command::Unlock(a) => maintenance::unlock(&g, a),
        Command::Key(k) => key::run(&g, k),
        Command::Completion(a) => about::completion(a),
        Command::Version => about::version(&g),
    }
}

/// The user running `cairn`, from the environment; `None` when it does not say.
pub fn user() -> Option<String> {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
}

/// This machine's name.
pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Who runs the engine, recorded in locks.
pub fn client() -> Client {
    Client {
        hostname: hostname(),
        pid: std::process::id(),
        user: user().unwrap_or_else(|| UNKNOWN_USER.into()),
    }
}

/// An engine with a repository open.
pub struct OpenRepo {
    rt: Runtime,
}

impl OpenRepo {
    /// Starts the engine on `location` and opens the repository there, asking for the passphrase
    /// on a terminal if the repository is encrypted and none was given. The module is made
    /// ready on another thread meanwhile, so that a prompt (or a passphrase command) never
    /// waits for it (docs/DESIGN.md §26).
    pub fn open(g: &Globals, location: &Location, on_event: EventSink) -> Result<OpenRepo> {
        if let Some(path) = location.local_path() {
            init::refuse_non_directory(path)?;
        }
        let storage = location.open(g.follow_symlinks)?;
        let compiling = std::thread::spawn(runtime::compile);
        let mut given = g.passphrase.given();
        if matches!(given, Ok(None)) && !g.keyless && passphrase::can_prompt() && encrypted(&storage) {
            given = passphrase::prompt(&format!("Passphrase for {location}: ")).map(Some);
        }
        let compiled = compiling
            .join()
            .map_err(|_| CliError::Protocol("preparing the engine's module panicked".into()))?;
        let given = given?;
        let mut rt = Runtime::start_compiled(compiled?, storage, on_event, g.threads)?;
        let mut args = OpenArgs {
            keyless: given.is_none() && g.keyless,
            passphrase: given,
            client: client(),
        };
        let mut answer = rt.call::<ops::Open>(&args);
        if args.passphrase.is_none() && !g.keyless && passphrase::can_prompt() {
            if let Err(CliError::Engine {
                code: ErrorCode::PassphraseRequired,
                ..
            }) = answer
            {
                args.passphrase = Some(passphrase::prompt(&format!("Passphrase for {location}: "))?);
                answer = rt.call::<ops::Open>(&args);
            }
        }
        answer.map_err(|e| name_the_location(e, location))?;
        Ok(OpenRepo { rt })
    }

    /// Runs one operation of the engine's table.
    pub fn call<O: Operation>(&mut self, args: &O::Args) -> Result<O::Answer> {
        self.rt.call::<O>(args)
    }

    /// The engine, for bulk data (`write`, `read`).
    pub fn runtime(&mut self) -> &mut Runtime {
        &mut self.rt
    }

    /// Closes the repository (releasing its locks) and returns `result`, or the close's
    /// error if `result` was a success.
    pub fn finish<T>(mut self, result: Result<T>) -> Result<T> {
        if self.rt.is_dead() {
            return result;
        }
        let closed = self.rt.call::<ops::Close>(&NoArgs {});
        let value = result?;
        closed?;
        Ok(value)
    }
}

/// Opens the repository at `location`, runs `body`, and closes it whatever happened.
pub fn with_repo<T>(
    g: &Globals,
    location: &Location,
    on_event: EventSink,
    body: impl FnOnce(&mut OpenRepo) -> Result<T>,
) -> Result<T> {
    let mut repo = OpenRepo::open(g, location, on_event)?;
    let result = body(&mut repo);
    repo.finish(result)
}

/// True when the repository's `config.json` (read with the engine's own parser) says it
/// is encrypted; false when it cannot be read, leaving that to the engine's `open`, whose
/// `PassphraseRequired` still leads to the prompt.
fn encrypted(storage: &crate::storage::SharedStorage) -> bool {
    storage
        .get(cairn_core::layout::CONFIG)
        .ok()
        .and_then(|bytes| cairn_core::config::Config::parse(&bytes).ok())
        .is_some_and(|c| c.encryption.is_some())
}

/// An event sink that ignores every event.
pub fn no_events() -> EventSink {
    Box::new(|_, _| {})
}

/// Puts the repository's location in front of a "no repository here" message.
fn name_the_location(e: CliError, location: &Location) -> CliError {
    match e {
        CliError::Engine {
            code: code @ ErrorCode::RepositoryNotFound,
            message,
        } => CliError::Engine {
            code,
            message: format!("{location}: {message}"),
        },
        other => other,
    }
}

/// A positional argument the command needs, as text.
fn required(value: Option<OsString>, name: &str) -> Result<String> {
    let value = value.ok_or_else(|| CliError::Location(format!("give the {name} after the repository")))?;
    value
        .into_string()
        .map_err(|v| CliError::Location(format!("{name} `{}` is not valid UTF-8", v.to_string_lossy())))
}
