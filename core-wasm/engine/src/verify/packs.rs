//! Verification of pack files: every indexed pack exists with its sidecar and size; from
//! *standard* on, every pack read is checked against its name, its sidecar and the index,
//! group by group so that each group's parity is recomputed from its members; at *full*,
//! every blob is opened and re-hashed.

use std::collections::{HashMap, HashSet};

use super::{Subset, Verifier, VerifyError};
use crate::ahead::{Plan, Window};
use crate::error::{Error, Result};
use crate::events::{self, Progress, VERIFY_PROGRESS};
use crate::host::{Host, Planned};
use crate::ids::{BlobId, GroupId, PackId};
use crate::layout::StorageKey;
use crate::pack;
use crate::packer::PackFiles;
use crate::parallel;
use crate::parity::{GroupManifest, ParityBuilder};
use crate::seal::AAD_PACK_INDEX;
use crate::segments;
use crate::store::Store;

/// What verify says of a pack whose `.idx` sidecar is missing.
const SIDECAR_MISSING: &str = "its .idx sidecar is missing";
/// The remedy, and what a sidecar's damage does not affect.
const SIDECAR_ONLY: &str =
    "the pack itself is intact and restores are unaffected (they read through the index): run `repair` to rewrite the sidecar from the pack";

/// What a verification is to read: the packs it picked and their recorded sizes, so that
/// its progress events say how far it is (`totalBytes`, "k of n packs").
#[derive(Debug, Default)]
pub(super) struct Reading {
    packs: u64,
    bytes: u64,
    /// Packs read so far.
    packs_done: u64,
    /// Their bytes (parity shards are not counted here, nor in `bytes`).
    bytes_done: u64,
}

/// Which of the units (parity groups and ungrouped packs, by id) a subset reads: all;
/// part n of m by id, as before (a unit's part does not move when others are added, so
/// running 1/m .. m/m on a growing repository still reads every unit once); or, for a
/// fraction x, exactly ⌈x·units⌉ of them drawn at random, never none of some, so that
/// `10%` of a small repository reads something.
fn pick<H: Host>(ids: &[&[u8; 32]], subset: Option<Subset>, host: &H) -> Vec<bool> {
    let units = ids.len();
    match subset {
        None => vec![true; units],
        Some(Subset::Part(n, m)) => ids
            .iter()
            .map(|id| u32::from_be_bytes(id[..4].try_into().expect("4")) % m == n - 1)
            .collect(),
        Some(Subset::Fraction(x)) => {
            let k = ((x * units as f64).ceil() as usize).min(units);
            // A partial Fisher-Yates shuffle: the first k of a random order.
            let mut order: Vec<usize> = (0..units).collect();
            for i in 0..k {
                let mut r = [0u8; 8];
                host.random(&mut r);
                let j = i + (u64::from_le_bytes(r) % (units - i) as u64) as usize;
                order.swap(i, j);
            }
            let mut picked = vec![false; units];
            for &u in &order[..k] {
                picked[u] = true;
            }
            picked
        }
    }
}

/// Where verification is in its packs, and when to announce the next ones' reads to the
/// host ([`crate::ahead`]).
#[derive(Default)]
struct Ahead {
    next: usize,
    window: Window,
}

impl Ahead {
    /// The reads of step `next` of `order` are about to be made.
    fn step<H: Host>(&mut self, store: &Store<H>, order: &[Vec<Planned>]) {
        if self.window.due() {
            let mut plan = Plan::default();
            for reads in order.iter().skip(self.next) {
                if plan.full() {
                    break;
                }
                plan.step(reads.iter().cloned());
            }
            store.will_read(&plan.reads);
            self.window.announced(&plan);
        }
        self.window.step();
        self.next += 1;
    }
}

/// The blobs of one pack being opened and re-hashed (at full), on the host's workers
/// while the next pack is read and its parity added.
pub(super) struct PackOpening {
    pack: PackId,
    ids: Vec<BlobId>,
    opening: parallel::Opening,
}

impl<H: Host> Verifier<'_, H> {
    /// Every indexed pack exists with its `.idx`, and (at quick) has its recorded size.
    pub(super) fn check_indexed_packs(&mut self, files: &PackFiles, check_size: bool) -> Result<()> {
        let packs: Vec<(PackId, u64)> = self.index.packs().collect();
        for (id, size) in packs {
            let file = files.get(&id).copied().unwrap_or_default();
            if !file.pack {
                self.report_pack(
                    &id,
                    "the pack is missing: run `repair` to rebuild it from parity".into(),
                );
                continue;
            }
            if !file.sidecar {
                // Restore reads through the index, not the sidecar: the pack's items are
                // not affected, so the pack is not marked damaged.
                self.report(VerifyError {
                    pack: Some(StorageKey::Pack(id)),
                    error: format!("{SIDECAR_MISSING}; {SIDECAR_ONLY}"),
                    ..Default::default()
                });
            }
            if check_size {
                self.f.stats.packs_checked += 1;
                // A pack ends with its end marker: read the 8 bytes before the recorded size and
                // 8 after it; exactly the marker must come back.
                let tail = self
                    .store
                    .get_range(&StorageKey::Pack(id), size.saturating_sub(8), 16)?
                    .unwrap_or_default();
                if tail != pack::PACK_END {
                    let error = format!(
                        "its size differs from the {size} bytes the index records (truncated or altered)"
                    );
                    self.report_pack(&id, error);
                }
            }
        }
        Ok(())
    }

    /// Reads packs (all or a subset), group by group, checking each against its name and
    /// `.idx` (and every chunk at full), and each group's parity against its members.
    pub(super) fn check_pack_bytes(
        &mut self,
        files: &PackFiles,
        groups: &[(GroupId, GroupManifest)],
        full: bool,
        subset: Option<Subset>,
    ) -> Result<()> {
        let host = self.store.host();
        // Group members are sampled with their group, so that parity is checked whole.
        let grouped: HashSet<PackId> = groups
            .iter()
            .flat_map(|(_, g)| g.members.iter().map(|m| m.id))
            .collect();
        let loose: Vec<PackId> = files
            .iter()
            .filter(|(id, f)| f.pack && !grouped.contains(id))
            .map(|(id, _)| *id)
            .collect();
        // What a subset picks from: each group, then each pack no group holds.
        let ids: Vec<&[u8; 32]> = groups
            .iter()
            .map(|(gid, _)| gid.as_bytes())
            .chain(loose.iter().map(|id| id.as_bytes()))
            .collect();
        let picked = pick(&ids, subset, host);
        let (picked_groups, picked_loose) = picked.split_at(groups.len());
        let chosen: Vec<&(GroupId, GroupManifest)> = groups
            .iter()
            .zip(picked_groups)
            .filter(|(_, p)| **p)
            .map(|(g, _)| g)
            .collect();
        let loose: Vec<PackId> = loose
            .iter()
            .zip(picked_loose)
            .filter(|(_, p)| **p)
            .map(|(id, _)| *id)
            .collect();
        let sizes: HashMap<PackId, u64> = self.index.packs().collect();
        let mut total = Reading::default();
        for (_, g) in &chosen {
            total.packs += g.members.len() as u64;
            total.bytes += g.members.iter().map(|m| m.size).sum::<u64>();
        }
        for id in &loose {
            total.packs += 1;
            total.bytes += sizes.get(id).copied().unwrap_or(0);
        }
        // The reads of each pack, in order, announced ahead to the host: the pack and its
        // `.idx` whole, and after a group's last member the group's parity shards.
        let reads = |id: &PackId, size: u64| -> Vec<Planned> {
            let get = |key: StorageKey, size| Planned::Get {
                key: key.to_string(),
                size,
            };
            match files.get(id).is_some_and(|f| f.pack) {
                true => vec![
                    get(StorageKey::Pack(*id), size),
                    get(StorageKey::PackIndex(*id), 0),
                ],
                false => Vec::new(),
            }
        };
        let mut order: Vec<Vec<Planned>> = Vec::new();
        for (_, g) in &chosen {
            order.extend(g.members.iter().map(|m| reads(&m.id, m.size)));
            if let Some(last) = order.last_mut() {
                last.extend(g.parity.iter().map(|p| Planned::Get {
                    key: StorageKey::Shard(p.id).to_string(),
                    size: g.shard_size,
                }));
            }
        }
        order.extend(
            loose
                .iter()
                .map(|id| reads(id, sizes.get(id).copied().unwrap_or(0))),
        );
        let mut ahead = Ahead::default();
        for (gid, g) in chosen {
            let mut parity = ParityBuilder::new(g.data_packs, g.parity_packs)?;
            let mut intact = true;
            for m in &g.members {
                ahead.step(self.store, &order);
                match self.read_pack_checked(&m.id, files, full, false, &mut total)? {
                    Some(bytes) if bytes.len() as u64 == m.size => parity.add(m.id, &bytes),
                    Some(_) => {
                        intact = false;
                        self.report_pack(&m.id, "its size differs from its parity group's record".into());
                    }
                    None => intact = false,
                }
            }
            if intact {
                self.compare_parity(gid, g, &parity)?;
            }
        }
        for id in &loose {
            ahead.step(self.store, &order);
            let garbage = !self.index.has_pack(id);
            self.read_pack_checked(id, files, full, garbage, &mut total)?;
        }
        self.finish_opening()
    }

    /// Every blob the index places in this pack is where one of the pack's own entries
    /// for that id is (a pack may hold an id twice: the index keeps the first). Blobs the
    /// index places wrongly cannot be restored through it: they are reported with the
    /// segment that lists the pack, and the items that need them are named later.
    fn check_index_places(&mut self, id: &PackId, entries: &[pack::BlobEntry]) -> Result<()> {
        let here: HashSet<(BlobId, u32, u32)> =
            entries.iter().map(|e| (e.id, e.offset, e.stored_len)).collect();
        let mut wrong: Vec<BlobId> = Vec::new();
        for e in entries {
            let Some(loc) = self.index.get(&e.id) else {
                continue;
            };
            let indexed_here = self.index.pack(loc.pack).0 == *id;
            if indexed_here && !here.contains(&(e.id, loc.offset, loc.stored_len)) && !wrong.contains(&e.id) {
                wrong.push(e.id);
            }
        }
        let Some(first) = wrong.first().copied() else {
            return Ok(());
        };
        let mut segment = None;
        for s in segments::ids(self.store)? {
            if let Ok((_, packs)) = segments::read(self.store, &s) {
                if packs.iter().any(|p| p.id == *id) {
                    segment = Some(StorageKey::Segment(s).to_string());
                    break;
                }
            }
        }
        let segment = segment.unwrap_or_else(|| "(none found)".into());
        self.f.bad_chunks.extend(wrong.iter().copied());
        self.report(VerifyError {
            pack: Some(StorageKey::Pack(*id)),
            chunk: Some(first),
            error: format!(
                "index segment {segment} places {} blobs of this pack (this one first) where the pack holds none of them: run `repair` to rebuild the index from the sidecars",
                wrong.len()
            ),
            ..Default::default()
        });
        Ok(())
    }

    /// Records what the blobs of the pack being opened came to.
    fn finish_opening(&mut self) -> Result<()> {
        let Some(PackOpening { pack, ids, opening }) = self.opening.take() else {
            return Ok(());
        };
        let opening = opening.collect(self.store)?;
        for (id, opened) in ids.iter().zip(opening.opened()?) {
            self.f.stats.blobs_decoded += 1;
            let Err(why) = opened else { continue };
            self.f.bad_chunks.insert(*id);
            self.report(VerifyError {
                pack: Some(StorageKey::Pack(pack)),
                chunk: Some(*id),
                error: format!("the chunk cannot be decoded or is not its id: {why}"),
                ..Default::default()
            });
        }
        Ok(())
    }

    /// Reads one pack and checks it; returns its bytes when it is intact.
    fn read_pack_checked(
        &mut self,
        id: &PackId,
        files: &PackFiles,
        full: bool,
        garbage: bool,
        reading: &mut Reading,
    ) -> Result<Option<Vec<u8>>> {
        if !files.get(id).is_some_and(|f| f.pack) {
            return Ok(None); // reported as missing already
        }
        let key = StorageKey::Pack(*id);
        let Some(bytes) = self.store.get_opt(&key)? else {
            self.report_pack(id, "the pack is missing".into());
            return Ok(None);
        };
        self.f.stats.packs_checked += 1;
        self.f.stats.bytes_read += bytes.len() as u64;
        reading.packs_done += 1;
        reading.bytes_done += bytes.len() as u64;
        let message = format!(
            "{} of {} packs read, {} errors",
            reading.packs_done,
            reading.packs,
            self.f.errors.len()
        );
        // The total counts packs at their recorded sizes: a pack longer than recorded
        // (damage) may take the bytes read past it, which then shows as done.
        let total = reading.bytes.max(reading.bytes_done);
        let progress = Progress::new("verify", reading.bytes_done, Some(total), message);
        events::emit(self.store.host(), VERIFY_PROGRESS, &progress);
        match self.check_pack(id, &bytes, full, garbage) {
            Ok(()) => Ok(Some(bytes)),
            Err(Error::CorruptPack { detail, .. }) => {
                self.report_pack(id, detail);
                Ok(None)
            }
            Err(Error::CorruptIndex { file, detail }) => {
                // Only the sidecar is damaged (the pack matched its name): restores are
                // unaffected, so the pack is not marked damaged.
                self.report(VerifyError {
                    pack: Some(key),
                    error: format!("its sidecar {file} is damaged ({detail}); {SIDECAR_ONLY}"),
                    ..Default::default()
                });
                Ok(Some(bytes))
            }
            Err(e) => Err(e),
        }
    }

    /// Checks a pack's bytes against its name, its trailer against its `.idx` and (with the
    /// key) the index; at `full`, also every blob. `garbage` says that no index or group
    /// names the pack. Chunk damage goes into the findings; a damaged pack is a
    /// [`Error::CorruptPack`], a damaged `.idx` a [`Error::CorruptIndex`].
    fn check_pack(&mut self, id: &PackId, bytes: &[u8], full: bool, garbage: bool) -> Result<()> {
        let key = StorageKey::Pack(*id);
        let corrupt = |detail: String| Error::CorruptPack {
            pack: key.to_string(),
            detail,
        };
        if self.store.sha256(bytes) != *id.as_bytes() {
            return Err(corrupt(
                "its bytes do not match its name (SHA-256): damaged or truncated".into(),
            ));
        }
        let table = pack::pack_table(bytes).map_err(corrupt)?;
        let idx_key = StorageKey::PackIndex(*id);
        let bad_idx = |detail: String| Error::CorruptIndex {
            file: idx_key.to_string(),
            detail,
        };
        let Some(idx) = self.store.get_opt(&idx_key)? else {
            // A pack neither indexed nor in a group is a crashed writer's garbage, which may
            // lack its sidecar; prune removes it.
            return match garbage {
                true => Ok(()),
                false => Err(bad_idx("the file is missing".into())),
            };
        };
        let header = pack::idx_describes(&idx, id, bytes).map_err(bad_idx)?;
        if self.store.keyless() {
            return Ok(());
        }
        let plain = self.store.open_doc(AAD_PACK_INDEX, table).map_err(corrupt)?;
        let entries = pack::decode_entries(&plain).map_err(corrupt)?;
        pack::check_entries(&entries, header.count, bytes.len() as u64, table.len()).map_err(corrupt)?;
        self.check_index_places(id, &entries)?;
        if !full {
            return Ok(());
        }
        // Every blob opened and re-hashed, in parallel when the host runs jobs: this pack's
        // blobs are submitted before the last pack's verdicts are collected, so the
        // workers are busy while this instance reads and hashes.
        let sealed: Vec<parallel::Sealed<'_>> = entries
            .iter()
            .map(|e| {
                (
                    e.id,
                    e.codec,
                    e.raw_len,
                    &bytes[e.offset as usize..(e.offset + e.stored_len) as usize],
                )
            })
            .collect();
        let opening = PackOpening {
            pack: *id,
            ids: entries.iter().map(|e| e.id).collect(),
            opening: parallel::submit_opens(self.store, &sealed, false)?,
        };
        self.finish_opening()?;
        self.opening = Some(opening);
        Ok(())
    }
}
