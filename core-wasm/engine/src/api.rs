//! The engine's request surface, shared by both binding faces (docs/DESIGN.md §3).
//!
//! [`Api::call`] takes an operation name and its JSON arguments, parses them into the
//! typed [`Request`] of the operation table ([`crate::ops`]) and runs it; answers are
//! JSON. Bulk data moves outside JSON through [`Api::write`] (ingest) and [`Api::read`]
//! (restore). The `abi` and `bindgen` crates only move bytes between their runtime and
//! this type. Errors are [`Error`]s; bindings send them as `{code, message}`
//! ([`Error::to_json`]).

use std::collections::HashMap;

use crate::cat::CatArgs;
use crate::copy::{Copied, ExportArgs, ExportBegun, ExportSession, ImportSession};
use crate::error::{Error, Result};
use crate::forget::ForgetOptions;
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::ingest::{IngestSession, Placed};
use crate::keys::KeyListing;
use crate::manifest::{Snapshot, SnapshotFilter, SnapshotItem};
use crate::ops::{self, *};
use crate::prune::{PruneOptions, PruneResult};
use crate::repair::{ReindexResult, RepairResult};
use crate::repo::{Parent, RepoInfo, Repository};
use crate::restore::tree::{Found, TreeSession, TreeStep};
use crate::restore::RestoreSession;
use crate::stats::{StatsOptions, StatsResult};
use crate::tag::{TagOptions, TagResult};
use crate::treediff::TreeChange;
use crate::verify::{VerifyOptions, VerifyResult};

enum Session {
    Ingest(Box<IngestSession>),
    Restore(Box<RestoreSession>),
    Walk(Box<TreeSession>),
    Export(Box<ExportSession>),
    Import(Box<ImportSession>),
}

/// One engine instance: a host, at most one open repository, and its open sessions.
pub struct Api<H: Host + Clone> {
    host: H,
    repo: Option<Repository<H>>,
    sessions: HashMap<u32, Session>,
    next_session: u32,
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

    /// Runs one operation; `args` is a JSON object (empty means `{}`); answers JSON.
    pub fn call(&mut self, op: &str, args: &str) -> Result<String> {
        let request = Request::parse(op, args)?;
        let keyless_ok = ops::info(request.name()).is_some_and(|o| o.keyless);
        if !keyless_ok && self.repo.as_ref().is_some_and(|r| r.keyless()) {
            return Err(Error::PassphraseRequired);
        }
        ops::dispatch(self, request)
    }

    /// Feeds the next bytes of the current item to an ingest session.
    pub fn write(&mut self, session: u32, data: &[u8]) -> Result<()> {
        let repo = self.repo.as_mut().ok_or_else(not_open)?;
        match self.sessions.get_mut(&session) {
            Some(Session::Ingest(s)) => repo.ingest_write(s, data),
            Some(Session::Import(s)) => repo.import_write(s, data),
            _ => Err(Error::SessionNotFound(session)),
        }
    }

    /// The next block of a restore session, or of the file a walk handed out last; an
    /// empty block means the end.
    pub fn read(&mut self, session: u32) -> Result<Vec<u8>> {
        let mut block = Vec::new();
        self.read_into(session, &mut block)?;
        Ok(block)
    }

    /// [`Api::read`], appending the block to `out` (nothing at the end): a binding that
    /// puts a header before the block (the ABI's status byte) copies it only once.
    pub fn read_into(&mut self, session: u32, out: &mut Vec<u8>) -> Result<()> {
        let repo = self.repo.as_mut().ok_or_else(not_open)?;
        match self.sessions.get_mut(&session) {
            Some(Session::Restore(s)) => repo.restore_read_into(s, out),
            Some(Session::Walk(s)) => repo.walk_read_into(s, out),
            Some(Session::Export(s)) => {
                out.extend_from_slice(&repo.export_read(s)?);
                Ok(())
            }
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
                    Session::Walk(s) => repo.walk_end(*s),
                    Session::Export(s) => s.end(repo.store()),
                    Session::Import(s) => s.abort(repo.store()),
                };
                if let Err(e) = r {
                    first_err.get_or_insert(e);
                }
            }
        }
        self.repo = None;
        first_err.map_or(Ok(()), Err)
    }

    fn repo(&mut self) -> Result<&mut Repository<H>> {
        self.repo.as_mut().ok_or_else(not_open)
    }

    fn opened(&mut self, repo: Result<Repository<H>>) -> Result<RepoInfo> {
        let repo = repo?;
        let info = repo.info();
        self.repo = Some(repo);
        Ok(info)
    }

    fn not_yet_open(&self) -> Result<()> {
        match self.repo {
            Some(_) => Err(Error::InvalidArgument(
                "a repository is already open: `close` it first".into(),
            )),
            None => Ok(()),
        }
    }

    fn add_session(&mut self, session: Session) -> u32 {
        let id = self.next_session;
        self.next_session = self.next_session.wrapping_add(1).max(1);
        self.sessions.insert(id, session);
        id
    }

    /// Removes session `id` if `pick` accepts its kind; otherwise it stays and the handle
    /// names no session of that kind.
    fn take<T>(
        &mut self,
        id: u32,
        pick: impl FnOnce(Session) -> std::result::Result<T, Session>,
    ) -> Result<T> {
        let s = self.sessions.remove(&id).ok_or(Error::SessionNotFound(id))?;
        pick(s).map_err(|other| {
            self.sessions.insert(id, other);
            Error::SessionNotFound(id)
        })
    }

    fn take_ingest(&mut self, id: u32) -> Result<Box<IngestSession>> {
        self.take(id, |s| match s {
            Session::Ingest(s) => Ok(s),
            other => Err(other),
        })
    }

    /// Runs `f` on ingest session `id` and the repository, keeping the session.
    fn with_ingest<T>(
        &mut self,
        id: u32,
        f: impl FnOnce(&mut Repository<H>, &mut IngestSession) -> Result<T>,
    ) -> Result<T> {
        let mut s = self.take_ingest(id)?;
        let r = self.repo().and_then(|repo| f(repo, &mut s));
        self.sessions.insert(id, Session::Ingest(s));
        r
    }
}

fn not_open() -> Error {
    Error::InvalidArgument("no repository is open: call `open` or `init` first".into())
}

impl<H: Host + Clone> Handlers for Api<H> {
    fn init(&mut self, a: InitArgs) -> Result<RepoInfo> {
        self.not_yet_open()?;
        let repo = Repository::init(self.host.clone(), a.passphrase.as_deref(), &a.options, a.client);
        self.opened(repo)
    }

    fn open(&mut self, a: OpenArgs) -> Result<RepoInfo> {
        self.not_yet_open()?;
        let repo = match (a.passphrase, a.keyless) {
            (None, true) => Repository::open_keyless(self.host.clone(), a.client),
            (pw, _) => Repository::open(self.host.clone(), pw.as_deref(), a.client),
        };
        self.opened(repo)
    }

    fn info(&mut self, _: NoArgs) -> Result<RepoInfo> {
        Ok(self.repo()?.info())
    }

    fn ingest_begin(&mut self, a: IngestBeginArgs) -> Result<SessionHandle> {
        let origin = crate::ingest::Origin {
            host: a.host,
            user: a.user,
            ..Default::default()
        };
        let s = self.repo()?.ingest_begin(a.tags, a.total_bytes, origin)?;
        let session = self.add_session(Session::Ingest(Box::new(s)));
        Ok(SessionHandle { session })
    }

    fn ingest_item(&mut self, a: IngestItemArgs) -> Result<Done> {
        let item = SnapshotItem::named(a.name, a.kind, a.path);
        self.with_ingest(a.session, |repo, s| repo.ingest_item(s, item))
            .map(|()| Done {})
    }

    fn ingest_tree(&mut self, a: IngestTreeArgs) -> Result<Done> {
        self.with_ingest(a.session, |repo, s| {
            let parent = match (a.parent, a.no_parent) {
                (_, true) => Parent::None,
                (Some(p), false) => Parent::Snapshot(p),
                (None, false) => Parent::Newest,
            };
            let item = SnapshotItem::named(a.name, a.kind, a.path);
            repo.ingest_tree(s, item, parent, &a.exclude)
        })
        .map(|()| Done {})
    }

    fn tree_entry(&mut self, a: TreeEntryArgs) -> Result<TreeEntryAnswer> {
        let placed = self.with_ingest(a.session, |repo, s| repo.tree_entry(s, a.entry))?;
        Ok(TreeEntryAnswer {
            content: placed == Placed::Content,
            excluded: placed == Placed::Excluded,
        })
    }

    fn tree_leave(&mut self, a: SessionArgs) -> Result<Done> {
        self.with_ingest(a.session, |repo, s| repo.tree_leave(s))
            .map(|()| Done {})
    }

    fn tree_problem(&mut self, a: TreeProblemArgs) -> Result<Done> {
        self.with_ingest(a.session, |repo, s| {
            repo.tree_problem(s, a.path, a.message, a.drop)
        })
        .map(|()| Done {})
    }

    fn walk_begin(&mut self, a: WalkArgs) -> Result<WalkBegun> {
        let scope = a.scope().map_err(Error::InvalidArgument)?;
        let s = self
            .repo()?
            .walk_begin(&a.snapshot, a.item.as_deref(), &a.filter, &scope)?;
        let (snapshot, item) = (s.snapshot_id(), s.item().to_string());
        let session = self.add_session(Session::Walk(Box::new(s)));
        Ok(WalkBegun {
            session,
            snapshot,
            item,
        })
    }

    fn find(&mut self, a: FindArgs) -> Result<Vec<Found>> {
        self.repo()?
            .find(&a.patterns, &a.snapshots, a.item.as_deref(), &a.tags)
    }

    fn tree_diff(&mut self, a: DiffArgs) -> Result<Vec<TreeChange>> {
        self.repo()?
            .tree_diff(&a.from, &a.to, a.item.as_deref(), &a.filter)
    }

    fn walk_next(&mut self, a: SessionArgs) -> Result<Option<TreeStep>> {
        let repo = self.repo.as_mut().ok_or_else(not_open)?;
        match self.sessions.get_mut(&a.session) {
            Some(Session::Walk(s)) => repo.walk_next(s),
            _ => Err(Error::SessionNotFound(a.session)),
        }
    }

    fn ingest_finish(&mut self, a: SessionArgs) -> Result<Snapshot> {
        let s = self.take_ingest(a.session)?;
        self.repo()?.ingest_finish(*s)
    }

    fn ingest_abort(&mut self, a: SessionArgs) -> Result<Done> {
        let s = self.take(a.session, |s| match s {
            Session::Ingest(_) | Session::Import(_) => Ok(s),
            other => Err(other),
        })?;
        let repo = self.repo()?;
        match s {
            Session::Ingest(s) => repo.ingest_abort(*s),
            Session::Import(s) => s.abort(repo.store()),
            _ => unreachable!("only ingests and imports are taken"),
        }
        .map(|()| Done {})
    }

    fn known_originals(&mut self, _: NoArgs) -> Result<Vec<SnapshotId>> {
        self.repo()?.known_originals()
    }

    fn export_begin(&mut self, a: ExportArgs) -> Result<ExportBegun> {
        let s = self.repo()?.export_begin(&a)?;
        let (snapshots, skipped, size) = s.plan();
        let (snapshots, skipped) = (snapshots.to_vec(), skipped.to_vec());
        let session = self.add_session(Session::Export(Box::new(s)));
        Ok(ExportBegun {
            session,
            snapshots,
            skipped,
            size,
        })
    }

    fn import_begin(&mut self, _: NoArgs) -> Result<SessionHandle> {
        self.repo()?;
        let session = self.add_session(Session::Import(Box::default()));
        Ok(SessionHandle { session })
    }

    fn import_finish(&mut self, a: SessionArgs) -> Result<Vec<Copied>> {
        let s = self.take(a.session, |s| match s {
            Session::Import(s) => Ok(s),
            other => Err(other),
        })?;
        self.repo()?.import_finish(*s)
    }

    fn restore_begin(&mut self, a: RestoreArgs) -> Result<RestoreBegun> {
        let s = self
            .repo()?
            .restore_begin(&a.snapshot, a.item.as_deref(), &a.filter)?;
        let (snapshot, size, tar) = (s.snapshot_id(), s.size(), s.is_tar());
        let session = self.add_session(Session::Restore(Box::new(s)));
        Ok(RestoreBegun {
            session,
            snapshot,
            size,
            tar,
        })
    }

    fn restore_end(&mut self, a: SessionArgs) -> Result<Done> {
        let s = self.take(a.session, |s| match s {
            Session::Restore(_) | Session::Walk(_) | Session::Export(_) => Ok(s),
            other => Err(other),
        })?;
        let repo = self.repo()?;
        match s {
            Session::Restore(s) => repo.restore_end(*s),
            Session::Walk(s) => repo.walk_end(*s),
            Session::Export(s) => s.end(repo.store()),
            _ => unreachable!("only restores, walks and exports are taken"),
        }
        .map(|()| Done {})
    }

    fn list_snapshots(&mut self, filter: SnapshotFilter) -> Result<Vec<Snapshot>> {
        self.repo()?.list_snapshots(&filter)
    }

    fn get_snapshot(&mut self, a: SnapshotRef) -> Result<Snapshot> {
        self.repo()?.get_snapshot(&a.id, &a.filter)
    }

    fn key_add(&mut self, a: PassphraseArgs) -> Result<KeyAdded> {
        let id = self.repo()?.key_add(&a.passphrase)?;
        Ok(KeyAdded { id })
    }

    fn key_list(&mut self, _: NoArgs) -> Result<Vec<KeyListing>> {
        self.repo()?.key_list()
    }

    fn key_remove(&mut self, a: KeyRef) -> Result<Done> {
        self.repo()?.key_remove(&a.id).map(|()| Done {})
    }

    fn verify(&mut self, o: VerifyOptions) -> Result<VerifyResult> {
        self.repo()?.verify(&o)
    }

    fn prune(&mut self, o: PruneOptions) -> Result<PruneResult> {
        self.repo()?.prune(&o)
    }

    fn forget(&mut self, o: ForgetOptions) -> Result<PruneResult> {
        self.repo()?.forget(&o)
    }

    fn tag(&mut self, o: TagOptions) -> Result<TagResult> {
        self.repo()?.tag(&o)
    }

    fn stats(&mut self, o: StatsOptions) -> Result<StatsResult> {
        self.repo()?.stats(&o)
    }

    fn cat(&mut self, a: CatArgs) -> Result<serde_json::Value> {
        crate::cat::run(self.repo()?.store(), &a)
    }

    fn repair(&mut self, _: NoArgs) -> Result<RepairResult> {
        self.repo()?.repair()
    }

    fn reindex(&mut self, _: NoArgs) -> Result<ReindexResult> {
        self.repo()?.reindex()
    }

    fn unlock(&mut self, a: UnlockArgs) -> Result<UnlockResult> {
        let locks_removed = self.repo()?.unlock(a.force)?;
        Ok(UnlockResult { locks_removed })
    }

    fn close(&mut self, _: NoArgs) -> Result<Done> {
        Api::close(self).map(|()| Done {})
    }
}
