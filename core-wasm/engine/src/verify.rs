//! Verification at three levels (API.md `verify`).
//!
//! - *quick*: the index, the pack files, the parity groups and the snapshots agree: every
//!   chunk a snapshot references is indexed, every indexed pack exists with its recorded
//!   size and has its `.idx`, every pack a snapshot needs is in a parity group whose files
//!   exist.
//! - *standard*: also reads every pack (or a [`Subset`]) and checks it against its name
//!   (SHA-256), its trailer against its `.idx`, and each group's parity against its members.
//! - *full*: also opens, decompresses and re-hashes every chunk of the packs it reads.
//!
//! Without the key of an encrypted repository (`keyless`), the checks that need no key run:
//! the pack and parity checks of *quick* and *standard*. Each error names what it is about
//! (pack, chunk, group, snapshot, item); a damaged pack or chunk is also reported on every
//! snapshot item that needs it, so the user knows what cannot be restored.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::{Host, StorageError};
use crate::layout;
use crate::pack;
use crate::parity::{GroupManifest, ParityBuilder};
use crate::repo::Repository;
use crate::seal::{self, AAD_PACK_INDEX};
use crate::snapshot;

/// How deep verification goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyLevel {
    /// Index, packs, groups and snapshots agree.
    Quick,
    /// Also every pack's bytes and every group's parity.
    #[default]
    Standard,
    /// Also every chunk decrypted, decompressed and re-hashed.
    Full,
}

/// Which packs *standard* and *full* read: all, part `n` of `m` (by id), or a random fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Subset {
    /// Part `n` (1-based) of `m` parts, chosen by id: running 1/m .. m/m reads every pack once.
    Part(u32, u32),
    /// A random fraction in (0, 1].
    Fraction(f64),
}

impl Subset {
    /// Parses `n/m`, `P%` or a fraction such as `0.1`.
    pub fn parse(s: &str) -> Result<Subset> {
        let bad = || {
            Error::InvalidArgument(format!(
                "subset `{s}` is not n/m (1 <= n <= m), a percentage such as 10%, or a fraction in (0, 1]"
            ))
        };
        if let Some((n, m)) = s.split_once('/') {
            let (n, m): (u32, u32) = (
                n.trim().parse().map_err(|_| bad())?,
                m.trim().parse().map_err(|_| bad())?,
            );
            return if n >= 1 && n <= m {
                Ok(Subset::Part(n, m))
            } else {
                Err(bad())
            };
        }
        let f = match s.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
            None => s.trim().parse::<f64>().map_err(|_| bad())?,
        };
        if f > 0.0 && f <= 1.0 {
            Ok(Subset::Fraction(f))
        } else {
            Err(bad())
        }
    }
}

/// Options of `verify`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyOptions {
    /// Depth (default standard).
    #[serde(default)]
    pub level: VerifyLevel,
    /// Read only part of the packs (`n/m`, `P%`); all when absent.
    pub subset: Option<String>,
}

/// One problem found (IVerifyError of API.md, plus `group` and `item`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyError {
    /// Storage key of the pack concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pack: Option<String>,
    /// Id of the chunk concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk: Option<String>,
    /// Id of the snapshot concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Name of the snapshot item concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Storage key of the parity group or shard concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// What is wrong, as a sentence.
    pub error: String,
}

/// Counters of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyStats {
    /// Packs checked (existence and size at quick; every byte from standard on).
    pub packs_checked: u64,
    /// Chunk references resolved (quick, standard), or chunks decoded and re-hashed (full).
    pub chunks_checked: u64,
    /// Snapshot manifests read.
    pub snapshots_checked: u64,
    /// Parity groups checked.
    pub groups_checked: u64,
    /// Bytes read from packs and parity shards.
    pub bytes_read: u64,
}

/// The answer of `verify` (IVerifyResult of API.md).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResult {
    /// True when no error was found.
    pub ok: bool,
    /// The level that ran.
    pub level: VerifyLevel,
    /// False when the repository was verified without its key (index and snapshots unchecked).
    pub keyed: bool,
    /// Every problem found.
    pub errors: Vec<VerifyError>,
    /// Counters.
    pub stats: VerifyStats,
}

/// What a verification has found so far.
#[derive(Default)]
struct Findings {
    errors: Vec<VerifyError>,
    stats: VerifyStats,
    /// Packs found missing or damaged.
    bad_packs: BTreeSet<[u8; 32]>,
    /// Chunks found damaged inside otherwise intact packs.
    bad_chunks: HashSet<[u8; 32]>,
}

/// Errors per snapshot item about chunks, before the rest are summed up in one line.
const ITEM_ERRORS: usize = 5;

impl<H: Host + Clone> Repository<H> {
    /// Verifies the repository; problems are in the result, not errors (those are for
    /// failures to run at all, such as a locked repository or an unreadable storage).
    pub fn verify(&mut self, opts: &VerifyOptions) -> Result<VerifyResult> {
        let subset = opts.subset.as_deref().map(Subset::parse).transpose()?;
        if self.keyless() && opts.level == VerifyLevel::Full {
            return Err(Error::PassphraseRequired);
        }
        let lock = match self.keyless() {
            true => None,
            false => Some(self.acquire_lock(false, "verify")?),
        };
        let mut f = Findings::default();
        let run = self.verify_inner(opts.level, subset, &mut f);
        if let Some(lock) = lock {
            self.release_lock(lock)?;
        }
        run?;
        Ok(VerifyResult {
            ok: f.errors.is_empty(),
            level: opts.level,
            keyed: !self.keyless(),
            errors: f.errors,
            stats: f.stats,
        })
    }

    fn verify_inner(&mut self, level: VerifyLevel, subset: Option<Subset>, f: &mut Findings) -> Result<()> {
        let files = self.pack_files()?;
        let keyed = !self.keyless();
        if keyed {
            for e in self.reload_index_tolerant()? {
                self.report(
                    f,
                    VerifyError {
                        error: e.to_string(),
                        ..Default::default()
                    },
                );
            }
        }
        let groups = self.check_groups(&files, f)?;
        let needed = if keyed {
            self.check_snapshots(f)?
        } else {
            BTreeSet::new()
        };
        if level == VerifyLevel::Full {
            f.stats.chunks_checked = 0; // at full, it counts the chunks decoded below
        }
        if keyed {
            self.check_indexed_packs(&files, level == VerifyLevel::Quick, f)?;
            self.check_protection(&needed, &groups, f);
        }
        if level != VerifyLevel::Quick {
            self.check_pack_bytes(&files, &groups, level == VerifyLevel::Full, subset, f)?;
        }
        if keyed && !(f.bad_packs.is_empty() && f.bad_chunks.is_empty()) {
            self.report_affected(f)?;
        }
        Ok(())
    }

    /// Records an error and tells the host (`verify:error`).
    fn report(&self, f: &mut Findings, e: VerifyError) {
        let payload = serde_json::to_value(&e).unwrap_or_default();
        self.host().event("verify:error", &payload.to_string());
        f.errors.push(e);
    }

    fn report_pack(&self, f: &mut Findings, id: &[u8; 32], error: String) {
        f.bad_packs.insert(*id);
        let pack = Some(layout::pack_file(id));
        self.report(
            f,
            VerifyError {
                pack,
                error,
                ..Default::default()
            },
        );
    }

    /// Pack ids in storage, each with whether its `.pack` and its `.idx` exist.
    pub(crate) fn pack_files(&self) -> Result<BTreeMap<[u8; 32], (bool, bool)>> {
        let mut files: BTreeMap<[u8; 32], (bool, bool)> = BTreeMap::new();
        for key in self.list(layout::PACKS)? {
            match layout::parse_key(&key) {
                Some(layout::KeyKind::Pack(id)) => files.entry(id).or_default().0 = true,
                Some(layout::KeyKind::PackIndex(id)) => files.entry(id).or_default().1 = true,
                _ => {}
            }
        }
        Ok(files)
    }

    /// Reads every group manifest and checks that its files exist; returns the readable ones.
    fn check_groups(
        &self,
        files: &BTreeMap<[u8; 32], (bool, bool)>,
        f: &mut Findings,
    ) -> Result<Vec<([u8; 32], GroupManifest)>> {
        let parity_files: HashSet<String> = self.list(layout::PARITY)?.into_iter().collect();
        let mut good = Vec::new();
        for (id, g) in self.groups()? {
            f.stats.groups_checked += 1;
            let group = Some(layout::group_file(&id));
            let g = match g {
                Ok(g) => g,
                Err(e) => {
                    self.report(
                        f,
                        VerifyError {
                            group,
                            error: e.to_string(),
                            ..Default::default()
                        },
                    );
                    continue;
                }
            };
            for s in &g.parity {
                if !parity_files.contains(&layout::parity_file(&s.id.0)) {
                    let error = format!(
                        "parity shard {} of this group is missing",
                        layout::parity_file(&s.id.0)
                    );
                    self.report(
                        f,
                        VerifyError {
                            group: group.clone(),
                            error,
                            ..Default::default()
                        },
                    );
                }
            }
            for m in &g.members {
                if !files.get(&m.id.0).is_some_and(|&(p, _)| p) {
                    let error = "the pack is missing (it is a member of a parity group: run `repair`)".into();
                    self.report_pack(f, &m.id.0, error);
                }
            }
            good.push((id, g));
        }
        Ok(good)
    }

    /// Reads every snapshot and its chunk lists; returns the packs the snapshots need.
    fn check_snapshots(&self, f: &mut Findings) -> Result<BTreeSet<[u8; 32]>> {
        let mut needed = BTreeSet::new();
        for id in self.snapshot_ids()? {
            let m = match self.load_manifest(&id) {
                Ok(m) => m,
                Err(e) => {
                    let snapshot = Some(id.clone());
                    self.report(
                        f,
                        VerifyError {
                            snapshot,
                            error: e.to_string(),
                            ..Default::default()
                        },
                    );
                    continue;
                }
            };
            f.stats.snapshots_checked += 1;
            for item in &m.items {
                let mut missing = 0usize;
                let mut size = 0u64;
                let broken = self.walk_item(&id, item, f, &mut needed, |f, needed, chunk, len| {
                    f.stats.chunks_checked += 1;
                    size += len as u64;
                    match self.index.get(&chunk) {
                        Some(loc) => {
                            needed.insert(self.index.pack(loc.pack).0);
                        }
                        None => {
                            missing += 1;
                            if missing <= ITEM_ERRORS {
                                let error = "the chunk is in no index: run `repair` (it rebuilds the index from the packs)".into();
                                self.report(f, item_error(&id, &item.item.name, Some(chunk), error));
                            }
                        }
                    }
                })?;
                if missing > ITEM_ERRORS {
                    let error = format!(
                        "{} more chunks of this item are in no index",
                        missing - ITEM_ERRORS
                    );
                    self.report(f, item_error(&id, &item.item.name, None, error));
                }
                if !broken && size != item.item.size {
                    let error = format!(
                        "the chunk lists add up to {size} bytes, the manifest says {}",
                        item.item.size
                    );
                    self.report(f, item_error(&id, &item.item.name, None, error));
                }
            }
        }
        Ok(needed)
    }

    /// Calls `each` for every chunk of an item, reading its chunk lists; a list that cannot
    /// be read is reported, and the answer is then true (broken). The packs holding the
    /// lists go into `needed`.
    fn walk_item(
        &self,
        snapshot: &str,
        item: &snapshot::ItemManifest,
        f: &mut Findings,
        needed: &mut BTreeSet<[u8; 32]>,
        mut each: impl FnMut(&mut Findings, &mut BTreeSet<[u8; 32]>, [u8; 32], u32),
    ) -> Result<bool> {
        let mut broken = false;
        let lists = match self.list_ids(snapshot, item) {
            Ok(l) => l,
            Err(e) => {
                let error = e.to_string();
                self.report(f, item_error(snapshot, &item.item.name, None, error));
                return Ok(true);
            }
        };
        for lid in lists {
            if let Some(loc) = self.index.get(&lid) {
                needed.insert(self.index.pack(loc.pack).0);
            }
            let read = self.read_chunk_list(&lid);
            let list = layout::hex_id(&lid);
            match read {
                Ok(entries) => entries.into_iter().for_each(|(c, len)| each(f, needed, c, len)),
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => {
                    broken = true;
                    let error = format!("its chunk list {list} cannot be read: {e}");
                    self.report(f, item_error(snapshot, &item.item.name, None, error));
                }
            }
        }
        Ok(broken)
    }

    /// Every indexed pack exists with its `.idx`, and (at quick) has its recorded size.
    fn check_indexed_packs(
        &self,
        files: &BTreeMap<[u8; 32], (bool, bool)>,
        check_size: bool,
        f: &mut Findings,
    ) -> Result<()> {
        for pos in 0..self.index.pack_count() as u32 {
            let (id, size) = self.index.pack(pos);
            match files.get(&id) {
                None | Some((false, _)) => {
                    self.report_pack(
                        f,
                        &id,
                        "the pack is missing: run `repair` to rebuild it from parity".into(),
                    );
                    continue;
                }
                Some((true, false)) => {
                    let error =
                        "its .idx sidecar is missing: run `repair` to rebuild it from the pack".into();
                    self.report_pack(f, &id, error);
                }
                _ => {}
            }
            if check_size {
                f.stats.packs_checked += 1;
                // A pack ends with its end marker: read the 8 bytes before the recorded size and
                // 8 after it; exactly the marker must come back.
                let key = layout::pack_file(&id);
                let tail = match self.host().get_range(&key, size.saturating_sub(8), 16) {
                    Ok(t) => t,
                    Err(StorageError::NotFound) => Vec::new(),
                    Err(e) => return Err(self.storage_error(&key, e)),
                };
                if tail != pack::PACK_END {
                    let error = format!(
                        "its size differs from the {size} bytes the index records (truncated or altered)"
                    );
                    self.report_pack(f, &id, error);
                }
            }
        }
        Ok(())
    }

    /// Every pack a snapshot needs is a member of a readable parity group.
    fn check_protection(
        &self,
        needed: &BTreeSet<[u8; 32]>,
        groups: &[([u8; 32], GroupManifest)],
        f: &mut Findings,
    ) {
        if self.config.parity.parity_packs == 0 {
            return;
        }
        let protected: HashSet<[u8; 32]> = groups
            .iter()
            .flat_map(|(_, g)| g.members.iter().map(|m| m.id.0))
            .collect();
        for id in needed.iter().filter(|id| !protected.contains(*id)) {
            let pack = Some(layout::pack_file(id));
            let error = "no parity group protects this pack: run `repair` to add parity".into();
            self.report(
                f,
                VerifyError {
                    pack,
                    error,
                    ..Default::default()
                },
            );
        }
    }

    /// Reads packs (all or a subset), group by group, checking each against its name and
    /// `.idx` (and every chunk at full), and each group's parity against its members.
    fn check_pack_bytes(
        &self,
        files: &BTreeMap<[u8; 32], (bool, bool)>,
        groups: &[([u8; 32], GroupManifest)],
        full: bool,
        subset: Option<Subset>,
        f: &mut Findings,
    ) -> Result<()> {
        let pick = |id: &[u8; 32]| match subset {
            None => true,
            Some(Subset::Part(n, m)) => u32::from_be_bytes(id[..4].try_into().expect("4")) % m == n - 1,
            Some(Subset::Fraction(x)) => {
                let mut r = [0u8; 4];
                self.host().random(&mut r);
                (u32::from_le_bytes(r) as f64) < x * 4_294_967_296.0
            }
        };
        // Group members are sampled with their group, so that parity is checked whole.
        let grouped: HashSet<[u8; 32]> = groups
            .iter()
            .flat_map(|(_, g)| g.members.iter().map(|m| m.id.0))
            .collect();
        for (gid, g) in groups {
            if !pick(gid) {
                continue;
            }
            let mut parity = ParityBuilder::new(g.data_packs, g.parity_packs)?;
            let mut intact = true;
            for m in &g.members {
                let id = m.id.0;
                match self.read_pack_checked(&id, files, full, false, f)? {
                    Some(bytes) if bytes.len() as u64 == m.size => parity.add(id, &bytes),
                    Some(_) => {
                        intact = false;
                        self.report_pack(f, &id, "its size differs from its parity group's record".into());
                    }
                    None => intact = false,
                }
            }
            if intact {
                self.compare_parity(gid, g, &parity, f)?;
            }
        }
        for (id, &(has_pack, _)) in files {
            if has_pack && !grouped.contains(id) && pick(id) {
                let garbage = !self.index.has_pack(id);
                self.read_pack_checked(id, files, full, garbage, f)?;
            }
        }
        Ok(())
    }

    /// Compares a group's stored parity with the parity recomputed from its members.
    fn compare_parity(
        &self,
        gid: &[u8; 32],
        g: &GroupManifest,
        recomputed: &ParityBuilder,
        f: &mut Findings,
    ) -> Result<()> {
        for (i, expected) in recomputed.parity().iter().enumerate() {
            let group = Some(layout::group_file(gid));
            match self.read_parity_shard(g, i) {
                Ok(stored) => {
                    f.stats.bytes_read += stored.len() as u64;
                    if stored != *expected {
                        let error = format!(
                            "parity shard {} does not match the group's members: run `repair`",
                            layout::parity_file(&g.parity[i].id.0)
                        );
                        self.report(
                            f,
                            VerifyError {
                                group,
                                error,
                                ..Default::default()
                            },
                        );
                    }
                }
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => self.report(
                    f,
                    VerifyError {
                        group,
                        error: e.to_string(),
                        ..Default::default()
                    },
                ),
            }
        }
        Ok(())
    }

    /// Reads one pack and checks it; returns its bytes when it is intact.
    fn read_pack_checked(
        &self,
        id: &[u8; 32],
        files: &BTreeMap<[u8; 32], (bool, bool)>,
        full: bool,
        garbage: bool,
        f: &mut Findings,
    ) -> Result<Option<Vec<u8>>> {
        if !files.get(id).is_some_and(|&(p, _)| p) {
            return Ok(None); // reported as missing already
        }
        let key = layout::pack_file(id);
        let Some(bytes) = self.get_opt(&key)? else {
            self.report_pack(f, id, "the pack is missing".into());
            return Ok(None);
        };
        f.stats.packs_checked += 1;
        f.stats.bytes_read += bytes.len() as u64;
        let progress = serde_json::json!({
            "operation": "verify",
            "bytesProcessed": f.stats.bytes_read,
            "message": format!("{} packs read, {} errors", f.stats.packs_checked, f.errors.len()),
        });
        self.host().event("verify:progress", &progress.to_string());
        match self.check_pack(id, &bytes, full, garbage, f) {
            Ok(()) => Ok(Some(bytes)),
            Err(Error::CorruptPack { detail, .. }) => {
                self.report_pack(f, id, detail);
                Ok(None)
            }
            Err(e @ Error::CorruptIndex { .. }) => {
                f.bad_packs.insert(*id);
                self.report(
                    f,
                    VerifyError {
                        pack: Some(key),
                        error: e.to_string(),
                        ..Default::default()
                    },
                );
                Ok(Some(bytes))
            }
            Err(e) => Err(e),
        }
    }

    /// Checks a pack's bytes against its name, its trailer against its `.idx` and (with the
    /// key) the index; at `full`, also every blob. `garbage` says that no index or group
    /// names the pack. Chunk damage goes into `f`; a damaged pack
    /// is a [`Error::CorruptPack`], a damaged `.idx` a [`Error::CorruptIndex`].
    fn check_pack(
        &self,
        id: &[u8; 32],
        bytes: &[u8],
        full: bool,
        garbage: bool,
        f: &mut Findings,
    ) -> Result<()> {
        let key = layout::pack_file(id);
        let corrupt = |detail: String| Error::CorruptPack {
            pack: key.clone(),
            detail,
        };
        if self.sha256(bytes) != *id {
            return Err(corrupt(
                "its bytes do not match its name (SHA-256): damaged or truncated".into(),
            ));
        }
        let table = pack::pack_table(bytes).map_err(corrupt)?;
        let idx_key = layout::pack_index_file(id);
        let bad_idx = |detail: String| Error::CorruptIndex {
            file: idx_key.clone(),
            detail,
        };
        let Some(idx) = self.get_opt(&idx_key)? else {
            // A pack neither indexed nor in a group is a crashed writer's garbage, which may
            // lack its sidecar; prune removes it.
            return match garbage {
                true => Ok(()),
                false => Err(bad_idx("the file is missing".into())),
            };
        };
        let header = pack::idx_describes(&idx, id, bytes).map_err(bad_idx)?;
        if self.keyless() {
            return Ok(());
        }
        let plain = self.open_doc(AAD_PACK_INDEX, table).map_err(corrupt)?;
        let entries = pack::decode_entries(&plain).map_err(corrupt)?;
        pack::check_entries(&entries, header.count, bytes.len() as u64, table.len()).map_err(corrupt)?;
        for e in &entries {
            if let Some(loc) = self.index.get(&e.id) {
                let indexed_here = self.index.pack(loc.pack).0 == *id;
                if indexed_here && (loc.offset, loc.stored_len) != (e.offset, e.stored_len) {
                    return Err(Error::CorruptIndex {
                        file: layout::INDEX.into(),
                        detail: format!(
                            "it places blob {} elsewhere than the pack does",
                            layout::hex_id(&e.id)
                        ),
                    });
                }
            }
            if full {
                f.stats.chunks_checked += 1;
                let stored = &bytes[e.offset as usize..(e.offset + e.stored_len) as usize];
                let opened = seal::open_blob(
                    self.host(),
                    self.crypto(),
                    self.keys.as_ref().map(|k| &k.data),
                    e.codec,
                    e.raw_len as usize,
                    stored,
                );
                let error = match opened {
                    Ok(plain) if self.blob_id(&plain) == e.id => continue,
                    Ok(_) => "the chunk does not hash to its id".to_string(),
                    Err(err) => format!("the chunk cannot be decoded: {err}"),
                };
                f.bad_chunks.insert(e.id);
                let (pack, chunk) = (Some(key.clone()), Some(layout::hex_id(&e.id)));
                self.report(
                    f,
                    VerifyError {
                        pack,
                        chunk,
                        error,
                        ..Default::default()
                    },
                );
            }
        }
        Ok(())
    }

    /// Reports, on every snapshot item, the damaged packs and chunks it needs.
    fn report_affected(&self, f: &mut Findings) -> Result<()> {
        let mut found = Vec::new();
        let bad_packs: HashSet<[u8; 32]> = f.bad_packs.iter().copied().collect();
        for id in self.snapshot_ids()? {
            let Ok(m) = self.load_manifest(&id) else { continue };
            for item in &m.items {
                let mut hits: Vec<([u8; 32], Option<[u8; 32]>)> = Vec::new();
                let mut sink = Findings::default();
                let mut needed = BTreeSet::new();
                self.walk_item(&id, item, &mut sink, &mut needed, |_, _, chunk, _| {
                    let pack = self.index.get(&chunk).map(|l| self.index.pack(l.pack).0);
                    if f.bad_chunks.contains(&chunk) || pack.is_some_and(|p| bad_packs.contains(&p)) {
                        hits.push((chunk, pack));
                    }
                })?;
                for list_pack in needed.iter().filter(|p| bad_packs.contains(*p)) {
                    hits.push(([0; 32], Some(*list_pack)));
                }
                if let Some((chunk, pack)) = hits.first() {
                    let error = format!(
                        "this item cannot be restored until repaired: {} of its chunks are in damaged packs or damaged themselves",
                        hits.len()
                    );
                    found.push(VerifyError {
                        snapshot: Some(id.clone()),
                        item: Some(item.item.name.clone()),
                        chunk: (*chunk != [0; 32]).then(|| layout::hex_id(chunk)),
                        pack: pack.map(|p| layout::pack_file(&p)),
                        error,
                        group: None,
                    });
                }
            }
        }
        for e in found {
            self.report(f, e);
        }
        Ok(())
    }
}

fn item_error(snapshot: &str, item: &str, chunk: Option<[u8; 32]>, error: String) -> VerifyError {
    VerifyError {
        snapshot: Some(snapshot.to_string()),
        item: Some(item.to_string()),
        chunk: chunk.map(|c| layout::hex_id(&c)),
        error,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_parse() {
        assert_eq!(Subset::parse("2/5").unwrap(), Subset::Part(2, 5));
        assert_eq!(Subset::parse("10%").unwrap(), Subset::Fraction(0.1));
        assert_eq!(Subset::parse("0.25").unwrap(), Subset::Fraction(0.25));
        for bad in ["0/5", "6/5", "x/2", "0%", "150%", "-1", "", "1/0"] {
            assert!(Subset::parse(bad).is_err(), "{bad}");
        }
    }
}
