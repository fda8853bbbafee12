//! The engine's request surface, shared by both binding faces (DESIGN.md §3).
//!
//! Requests are an operation name plus a JSON object of arguments; answers are JSON. Bulk
//! data moves outside JSON through [`Api::write`] (ingest) and [`Api::read`] (restore). The
//! `abi` and `bindgen` crates only move bytes between their runtime and this type, so the
//! operations are written once.
//!
//! | op | args | answer |
//! |---|---|---|
//! | `init` | `{passphrase?, compression?, compressionLevel?, chunking?: {min, avg, max}, packSize?, parity?: {dataPacks, parityPacks}, kdf?: {memoryKiB, iterations, parallelism}, client?}` | repository info |
//! | `open` | `{passphrase?, keyless?, client?}` | repository info; `keyless` opens an encrypted repository without its passphrase, for `verify` of packs and parity |
//! | `info` | `{}` | repository info |
//! | `ingest_begin` | `{tags?, totalBytes?}` | `{session}` |
//! | `ingest_item` | `{session, name, type?}` | `{}`: later writes go to this item |
//! | `ingest_finish` | `{session}` | ISnapshot |
//! | `ingest_abort` | `{session}` | `{}` |
//! | `restore_begin` | `{snapshot, item?}` | `{session, snapshot, size}` |
//! | `restore_end` | `{session}` | `{}` |
//! | `list_snapshots` | `{tags?, after?, before?}` | ISnapshot[] |
//! | `get_snapshot` | `{id}` (id, unique prefix or `latest`) | ISnapshot |
//! | `key_add` | `{passphrase}` | `{id}` |
//! | `key_list` | `{}` | `[{id, createdAt, hostname, current}]` |
//! | `key_remove` | `{id}` | `{}` |
//! | `verify` | `{level?: "quick" \| "standard" \| "full", subset?: "n/m" \| "P%"}` | IVerifyResult (+ `level`, `keyed`, `stats.groupsChecked`, `stats.bytesRead`); `verify:error` events |
//! | `prune` | `{retention: IRetentionPolicy (+ keepHourly, keepYearly, keepTags), dryRun?}` | IPruneResult (+ `keptSnapshots`, `removedSnapshotIds`) |
//! | `repair` | `{}` | IRepairResult (+ `parityRepaired`, `sidecarsRebuilt`, `packsProtected`) |
//! | `reindex` | `{}` | `{errors}`: packs left out of the rebuilt index, and why |
//! | `unlock` | `{force?}` | `{locksRemoved}`: stale locks only, or all with `force` |
//! | `close` | `{}` | `{}` |
//!
//! `client` is `{hostname, pid, user}`: who is running the engine, recorded in locks.
//! Errors are [`Error`]s; bindings send them as `{code, message}` ([`Error::to_json`]).

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ingest::IngestSession;
use crate::prune::PruneOptions;
use crate::repo::{Client, InitOptions, Repository};
use crate::restore::RestoreSession;
use crate::snapshot::SnapshotFilter;
use crate::verify::VerifyOptions;

enum Session {
    Ingest(Box<IngestSession>),
    Restore(Box<RestoreSession>),
}

/// One engine instance: a host, at most one open repository, and its open sessions.
pub struct Api<H: Host + Clone> {
    host: H,
    repo: Option<Repository<H>>,
    sessions: HashMap<u32, Session>,
    next_session: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenArgs {
    passphrase: Option<String>,
    /// Without a passphrase, open an encrypted repository for the checks that need no key.
    #[serde(default)]
    keyless: bool,
    #[serde(default)]
    client: Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitArgs {
    passphrase: Option<String>,
    #[serde(default)]
    client: Client,
    #[serde(flatten)]
    options: InitOptions,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IngestBeginArgs {
    #[serde(default)]
    tags: std::collections::BTreeMap<String, String>,
    total_bytes: Option<u64>,
}

#[derive(Deserialize)]
struct SessionArgs {
    session: u32,
}

#[derive(Deserialize)]
struct ItemArgs {
    session: u32,
    name: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct RestoreArgs {
    snapshot: String,
    item: Option<String>,
}

#[derive(Deserialize)]
struct UnlockArgs {
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
struct IdArgs {
    id: String,
}

#[derive(Deserialize)]
struct PassphraseArgs {
    passphrase: String,
}

fn parse<T: DeserializeOwned>(op: &str, args: &str) -> Result<T> {
    let args = if args.trim().is_empty() { "{}" } else { args };
    serde_json::from_str(args).map_err(|e| Error::InvalidArgument(format!("{op}: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("serialising an answer: {e}")))
}

impl<H: Host + Clone> Api<H> {
    /// An engine with no repository open yet.
    pub fn new(host: H) -> Self {
        Api {
            host,
            repo: None,
            sessions: HashMap::new(),
            next_session: 1,
        }
    }

    fn repo(&mut self) -> Result<&mut Repository<H>> {
        self.repo.as_mut().ok_or_else(|| {
            Error::InvalidArgument("no repository is open: call `open` or `init` first".into())
        })
    }

    fn add_session(&mut self, session: Session) -> u32 {
        let id = self.next_session;
        self.next_session = self.next_session.wrapping_add(1).max(1);
        self.sessions.insert(id, session);
        id
    }

    fn take_ingest(&mut self, id: u32) -> Result<Box<IngestSession>> {
        match self.sessions.remove(&id) {
            Some(Session::Ingest(s)) => Ok(s),
            Some(other) => {
                self.sessions.insert(id, other);
                Err(Error::SessionNotFound(id))
            }
            None => Err(Error::SessionNotFound(id)),
        }
    }

    /// Runs one operation; `args` is a JSON object (empty means `{}`); answers JSON.
    pub fn call(&mut self, op: &str, args: &str) -> Result<String> {
        let needs_key = !matches!(op, "init" | "open" | "info" | "verify" | "repair" | "close");
        if needs_key && self.repo.as_ref().is_some_and(|r| r.keyless()) {
            return Err(Error::PassphraseRequired);
        }
        match op {
            "init" | "open" => {
                if self.repo.is_some() {
                    return Err(Error::InvalidArgument(
                        "a repository is already open: `close` it first".into(),
                    ));
                }
                let repo = if op == "init" {
                    let a: InitArgs = parse(op, args)?;
                    Repository::init(self.host.clone(), a.passphrase.as_deref(), &a.options, a.client)?
                } else {
                    let a: OpenArgs = parse(op, args)?;
                    match (a.passphrase, a.keyless) {
                        (None, true) => Repository::open_keyless(self.host.clone(), a.client)?,
                        (pw, _) => Repository::open(self.host.clone(), pw.as_deref(), a.client)?,
                    }
                };
                let info = repo.info();
                self.repo = Some(repo);
                to_json(&info)
            }
            "info" => to_json(&self.repo()?.info()),
            "ingest_begin" => {
                let a: IngestBeginArgs = parse(op, args)?;
                let s = self.repo()?.ingest_begin(a.tags, a.total_bytes)?;
                let id = self.add_session(Session::Ingest(Box::new(s)));
                to_json(&json!({ "session": id }))
            }
            "ingest_item" => {
                let a: ItemArgs = parse(op, args)?;
                let mut s = self.take_ingest(a.session)?;
                let r = self.repo()?.ingest_item(&mut s, a.name, a.kind);
                self.sessions.insert(a.session, Session::Ingest(s));
                r.map(|_| "{}".to_string())
            }
            "ingest_finish" => {
                let a: SessionArgs = parse(op, args)?;
                let s = self.take_ingest(a.session)?;
                let snap = self.repo()?.ingest_finish(*s)?;
                to_json(&snap)
            }
            "ingest_abort" | "restore_end" => {
                let a: SessionArgs = parse(op, args)?;
                let s = self
                    .sessions
                    .remove(&a.session)
                    .ok_or(Error::SessionNotFound(a.session))?;
                let repo = self.repo()?;
                match s {
                    Session::Ingest(s) => repo.ingest_abort(*s)?,
                    Session::Restore(s) => repo.restore_end(*s)?,
                }
                Ok("{}".into())
            }
            "restore_begin" => {
                let a: RestoreArgs = parse(op, args)?;
                let s = self.repo()?.restore_begin(&a.snapshot, a.item.as_deref())?;
                let answer = json!({ "snapshot": s.snapshot_id(), "size": s.size() });
                let id = self.add_session(Session::Restore(Box::new(s)));
                let mut answer = answer;
                answer["session"] = json!(id);
                to_json(&answer)
            }
            "list_snapshots" => {
                let f: SnapshotFilter = parse(op, args)?;
                to_json(&self.repo()?.list_snapshots(&f)?)
            }
            "get_snapshot" => {
                let a: IdArgs = parse(op, args)?;
                to_json(&self.repo()?.get_snapshot(&a.id)?)
            }
            "key_add" => {
                let a: PassphraseArgs = parse(op, args)?;
                let id = self.repo()?.key_add(&a.passphrase)?;
                to_json(&json!({ "id": id }))
            }
            "key_list" => to_json(&self.repo()?.key_list()?),
            "repair" => to_json(&self.repo()?.repair()?),
            "prune" => {
                let o: PruneOptions = parse(op, args)?;
                to_json(&self.repo()?.prune(&o)?)
            }
            "reindex" => {
                let errors = self.repo()?.reindex()?;
                to_json(&json!({ "errors": errors }))
            }
            "unlock" => {
                let a: UnlockArgs = parse(op, args)?;
                let removed = self.repo()?.unlock(a.force)?;
                to_json(&json!({ "locksRemoved": removed }))
            }
            "verify" => {
                let o: VerifyOptions = parse(op, args)?;
                to_json(&self.repo()?.verify(&o)?)
            }
            "key_remove" => {
                let a: IdArgs = parse(op, args)?;
                self.repo()?.key_remove(&a.id)?;
                Ok("{}".into())
            }
            "close" => {
                self.close()?;
                Ok("{}".into())
            }
            other => Err(Error::InvalidArgument(format!("unknown operation `{other}`"))),
        }
    }

    /// Feeds the next bytes of the current item to an ingest session.
    pub fn write(&mut self, session: u32, data: &[u8]) -> Result<()> {
        let repo = self
            .repo
            .as_mut()
            .ok_or_else(|| Error::InvalidArgument("no repository is open".into()))?;
        match self.sessions.get_mut(&session) {
            Some(Session::Ingest(s)) => repo.ingest_write(s, data),
            _ => Err(Error::SessionNotFound(session)),
        }
    }

    /// The next block of a restore session; an empty block means the end.
    pub fn read(&mut self, session: u32) -> Result<Vec<u8>> {
        let repo = self
            .repo
            .as_mut()
            .ok_or_else(|| Error::InvalidArgument("no repository is open".into()))?;
        match self.sessions.get_mut(&session) {
            Some(Session::Restore(s)) => repo.restore_read(s),
            _ => Err(Error::SessionNotFound(session)),
        }
    }

    /// Aborts open sessions, releases locks and closes the repository.
    pub fn close(&mut self) -> Result<()> {
        let sessions: Vec<Session> = self.sessions.drain().map(|(_, s)| s).collect();
        let mut first_err = None;
        if let Some(repo) = self.repo.as_mut() {
            for s in sessions {
                let r = match s {
                    Session::Ingest(s) => repo.ingest_abort(*s),
                    Session::Restore(s) => repo.restore_end(*s),
                };
                if let Err(e) = r {
                    first_err.get_or_insert(e);
                }
            }
        }
        self.repo = None;
        first_err.map_or(Ok(()), Err)
    }
}
