//! Parity groups in storage: reading, writing and growing them (docs/FORMAT.md §10a).
//!
//! Every operation that writes data packs feeds them to a [`ParityStream`], which puts them
//! into groups of k. A stream first tries to continue the repository's trailing group (the
//! one not full yet), so small ingests do not each start a group of their own; when it
//! finishes, the group it grew is written as a new manifest that replaces the old one.
//! Writes go parity shards, then manifest; the replaced group is deleted afterwards
//! (manifest, then shards), so a crash leaves at worst a redundant group, never a pack
//! without parity. Two concurrent ingests may both grow the same trailing group: each writes
//! its own, complete group, and the old members are then protected twice.
//!
//! The code itself (shards, the Reed-Solomon arithmetic) is [`crate::parity`].

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::{GroupId, PackId, ShardId};
use crate::layout::{Dir, StorageKey};
use crate::parity::{GroupManifest, ParityBuilder, GROUP_VERSION};
use crate::store::Store;

/// The parity of packs as an operation writes them.
#[derive(Default)]
pub struct ParityStream {
    builder: Option<ParityBuilder>,
    /// Whether this stream already looked for a trailing group to continue.
    looked: bool,
    /// The groups this stream wrote.
    written: Vec<GroupId>,
}

impl ParityStream {
    /// A stream that starts new groups instead of continuing the trailing one: for
    /// maintenance that is about to rewrite or delete existing groups.
    pub fn without_resume() -> Self {
        ParityStream {
            builder: None,
            looked: true,
            written: Vec::new(),
        }
    }

    /// The groups this stream has written (a group rewritten with the same members and
    /// parity has the same id as before).
    pub fn written(&self) -> &[GroupId] {
        &self.written
    }

    /// True when `id` was given to this stream and its group is not written yet: the pack
    /// has no parity in storage so far.
    pub fn awaits(&self, id: &PackId) -> bool {
        self.builder.as_ref().is_some_and(|b| b.has_member(id))
    }

    /// Adds a pack just written to the stream's group; writes the group once it is full.
    pub fn protect<H: Host>(&mut self, store: &Store<H>, id: PackId, bytes: &[u8]) -> Result<()> {
        let p = store.config().parity;
        if p.parity_packs == 0 {
            return Ok(());
        }
        if self.builder.is_none() {
            let resumed = if self.looked { None } else { trailing_group(store)? };
            self.looked = true;
            self.builder = Some(match resumed {
                Some(b) => b,
                None => ParityBuilder::new(p.data_packs, p.parity_packs)?,
            });
        }
        let b = self.builder.as_mut().expect("set above");
        b.add(id, bytes);
        if b.is_full() {
            let id = write_group(store, self.builder.take().expect("set above"))?;
            self.written.push(id);
        }
        Ok(())
    }

    /// Writes the stream's group that is not full yet, so that every pack it was given has
    /// parity when this returns.
    pub fn finish<H: Host>(&mut self, store: &Store<H>) -> Result<()> {
        if let Some(b) = self.builder.take().filter(|b| !b.is_empty()) {
            let id = write_group(store, b)?;
            self.written.push(id);
        }
        Ok(())
    }
}

/// Writes a group (parity shards, then manifest), then deletes the group it replaces
/// (unless the two are the same file).
pub fn write_group<H: Host>(store: &Store<H>, b: ParityBuilder) -> Result<GroupId> {
    let mut ids = Vec::with_capacity(b.parity().len());
    for shard in b.parity() {
        let id = ShardId::new(store.sha256(shard));
        store.put(&StorageKey::Shard(id), shard)?;
        ids.push(id);
    }
    let bytes = b.manifest(&ids).to_bytes();
    let id = GroupId::new(store.sha256(&bytes));
    store.put(&StorageKey::Group(id), &bytes)?;
    if let Some(base) = b.base.filter(|base| *base != id) {
        delete_groups(store, &[base])?;
    }
    Ok(id)
}

/// Deletes groups: their manifests first, then those of their parity shards that no other
/// group lists (a crashed writer may have left two groups sharing shards). Every manifest
/// is read once, however many groups go.
pub fn delete_groups<H: Host>(store: &Store<H>, gone: &[GroupId]) -> Result<()> {
    let all = groups(store)?;
    let mut doomed: HashSet<ShardId> = HashSet::new();
    for (id, g) in &all {
        if gone.contains(id) {
            if let Ok(g) = g {
                doomed.extend(g.parity.iter().map(|s| s.id));
            }
            store.delete(&StorageKey::Group(*id))?;
        }
    }
    let kept: HashSet<ShardId> = all
        .iter()
        .filter(|(id, _)| !gone.contains(id))
        .filter_map(|(_, g)| g.as_ref().ok())
        .flat_map(|g| g.parity.iter().map(|s| s.id))
        .collect();
    let mut doomed: Vec<ShardId> = doomed.difference(&kept).copied().collect();
    doomed.sort();
    for shard in doomed {
        store.delete(&StorageKey::Shard(shard))?;
    }
    Ok(())
}

/// Ids of the group manifests in storage, sorted.
pub fn ids<H: Host>(store: &Store<H>) -> Result<Vec<GroupId>> {
    store.list_ids(Dir::Groups, |k| match k {
        StorageKey::Group(id) => Some(id),
        _ => None,
    })
}

/// Every group manifest in storage, each parsed or with the error that names its file.
/// A manifest of a version this engine does not know stops the caller (it must not be
/// taken for damage and replaced), as does a storage failure.
pub fn groups<H: Host>(store: &Store<H>) -> Result<Vec<(GroupId, Result<GroupManifest>)>> {
    let mut out = Vec::new();
    for id in ids(store)? {
        match read_group(store, &id) {
            Err(e @ (Error::Storage { .. } | Error::UnsupportedVersion { .. })) => return Err(e),
            g => out.push((id, g)),
        }
    }
    Ok(out)
}

/// Reads and checks one group manifest, including that its bytes hash to its name.
pub fn read_group<H: Host>(store: &Store<H>, id: &GroupId) -> Result<GroupManifest> {
    let key = StorageKey::Group(*id);
    let corrupt = |detail: String| Error::CorruptParity {
        file: key.to_string(),
        detail,
    };
    let bytes = store
        .get_opt(&key)?
        .ok_or_else(|| corrupt("the file is missing".into()))?;
    if store.sha256(&bytes) != *id.as_bytes() {
        return Err(corrupt("its bytes do not match its name (SHA-256)".into()));
    }
    match GroupManifest::version_of(&bytes) {
        Some(found) if found != GROUP_VERSION => Err(Error::UnsupportedVersion {
            what: format!("parity group {key}"),
            found,
            supported: GROUP_VERSION,
        }),
        _ => GroupManifest::parse(&bytes).map_err(corrupt),
    }
}

/// Reads parity shard `i` of a group and checks its size and hash.
pub fn read_shard<H: Host>(store: &Store<H>, g: &GroupManifest, i: usize) -> Result<Vec<u8>> {
    let shard = &g.parity[i];
    let key = StorageKey::Shard(shard.id);
    let corrupt = |detail: &str| Error::CorruptParity {
        file: key.to_string(),
        detail: detail.into(),
    };
    let bytes = store
        .get_opt(&key)?
        .ok_or_else(|| corrupt("the file is missing"))?;
    if bytes.len() as u64 != shard.size {
        return Err(corrupt("its size differs from the group manifest's"));
    }
    if store.sha256(&bytes) != *shard.id.as_bytes() {
        return Err(corrupt("its bytes do not match its name (SHA-256)"));
    }
    Ok(bytes)
}

/// The group to continue: the fullest one with this repository's code that is not full
/// yet and whose parity shards read back intact, ties broken by the smallest id. `None`
/// starts a new group.
fn trailing_group<H: Host>(store: &Store<H>) -> Result<Option<ParityBuilder>> {
    let p = store.config().parity;
    let mut open: Vec<(GroupId, GroupManifest)> = groups(store)?
        .into_iter()
        .filter_map(|(id, g)| Some((id, g.ok()?)))
        .filter(|(_, g)| !g.is_full() && g.data_packs == p.data_packs && g.parity_packs == p.parity_packs)
        .collect();
    open.sort_by(|a, b| b.1.members.len().cmp(&a.1.members.len()).then(a.0.cmp(&b.0)));
    for (id, g) in open {
        let shards: Result<Vec<Vec<u8>>> = (0..g.parity.len()).map(|i| read_shard(store, &g, i)).collect();
        if let Ok(shards) = shards {
            return ParityBuilder::resume(id, &g, shards).map(Some);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryHost;
    use crate::store::tests::plain_store;

    fn pack(i: u8) -> (PackId, Vec<u8>) {
        let bytes: Vec<u8> = (0..200 + i as usize).map(|j| (j as u8) ^ i).collect();
        (PackId::new([i; 32]), bytes)
    }

    #[test]
    fn streams_fill_groups_and_later_streams_continue_the_trailing_one() {
        let host = MemoryHost::new(1);
        let store = plain_store(&host); // RS(20,1)
        let mut s = ParityStream::default();
        for i in 0..3 {
            let (id, bytes) = pack(i);
            s.protect(&store, id, &bytes).unwrap();
        }
        s.finish(&store).unwrap();
        let mut next = ParityStream::default();
        let (id, bytes) = pack(3);
        next.protect(&store, id, &bytes).unwrap();
        next.finish(&store).unwrap();
        let all = groups(&store).unwrap();
        assert_eq!(all.len(), 1, "the grown group replaced the old one");
        let g = all[0].1.as_ref().unwrap();
        assert_eq!(g.members.len(), 4);
        assert_eq!(
            store.list(Dir::Shards).unwrap().len(),
            1,
            "the old shard went with its group"
        );
        assert_eq!(read_shard(&store, g, 0).unwrap().len() as u64, g.shard_size);
    }

    #[test]
    fn deleting_groups_keeps_shards_another_group_lists() {
        let host = MemoryHost::new(2);
        let store = plain_store(&host);
        let mut b = ParityBuilder::new(4, 1).unwrap();
        let (id, bytes) = pack(1);
        b.add(id, &bytes);
        let a = write_group(&store, b).unwrap();
        // A second manifest listing the same shard (what a crashed writer can leave).
        let mut twin = read_group(&store, &a).unwrap().to_bytes();
        twin.insert(twin.len() - 1, b' ');
        let twin_id = GroupId::new(store.sha256(&twin));
        store.put(&StorageKey::Group(twin_id), &twin).unwrap();
        delete_groups(&store, &[a]).unwrap();
        assert_eq!(ids(&store).unwrap(), vec![twin_id]);
        assert_eq!(
            store.list(Dir::Shards).unwrap().len(),
            1,
            "the twin still needs the shard"
        );
        delete_groups(&store, &[twin_id]).unwrap();
        assert!(store.list(Dir::Shards).unwrap().is_empty());
    }
}
