//! Parity groups in storage: reading, writing and growing them (DESIGN.md §10).
//!
//! Every operation that writes data packs feeds them to a [`ParityStream`], which puts them
//! into groups of k. A stream first tries to continue the repository's trailing group (the
//! one not full yet), so small ingests do not each start a group of their own; when it
//! finishes, the group it grew is written as a new manifest that replaces the old one.
//! Writes go parity shards, then manifest; the replaced group is deleted afterwards
//! (manifest, then shards), so a crash leaves at worst a redundant group, never a pack
//! without parity. Two concurrent ingests may both grow the same trailing group: each writes
//! its own, complete group, and the old members are then protected twice.

use crate::error::{Error, Result};
use crate::host::Host;
use crate::layout;
use crate::parity::{GroupManifest, ParityBuilder};
use crate::repo::Repository;

/// The parity of packs as an operation writes them.
#[derive(Default)]
pub struct ParityStream {
    builder: Option<ParityBuilder>,
    /// Whether this stream already looked for a trailing group to continue.
    looked: bool,
}

impl ParityStream {
    /// A stream that starts new groups instead of continuing the trailing one: for
    /// maintenance that is about to rewrite or delete existing groups.
    pub fn without_resume() -> Self {
        ParityStream {
            builder: None,
            looked: true,
        }
    }
}

impl<H: Host + Clone> Repository<H> {
    /// Adds a freshly written pack to the stream's group; writes the group once it is full.
    pub(crate) fn protect_pack(&self, s: &mut ParityStream, id: [u8; 32], bytes: &[u8]) -> Result<()> {
        let p = self.config.parity;
        if p.parity_packs == 0 {
            return Ok(());
        }
        if s.builder.is_none() {
            let resumed = if s.looked { None } else { self.trailing_group()? };
            s.looked = true;
            s.builder = Some(match resumed {
                Some(b) => b,
                None => ParityBuilder::new(p.data_packs, p.parity_packs)?,
            });
        }
        let b = s.builder.as_mut().expect("set above");
        b.add(id, bytes);
        if b.is_full() {
            self.write_group(s.builder.take().expect("set above"))?;
        }
        Ok(())
    }

    /// Writes the stream's group that is not full yet, so that every pack it was given has
    /// parity when this returns.
    pub(crate) fn finish_parity(&self, s: &mut ParityStream) -> Result<()> {
        match s.builder.take() {
            Some(b) if !b.is_empty() => self.write_group(b).map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Writes a group (parity shards, then manifest), then deletes the group it replaces.
    pub(crate) fn write_group(&self, b: ParityBuilder) -> Result<[u8; 32]> {
        let mut ids = Vec::with_capacity(b.parity().len());
        for shard in b.parity() {
            let id = self.sha256(shard);
            self.put(&layout::parity_file(&id), shard)?;
            ids.push(id);
        }
        let bytes = b.manifest(&ids).to_bytes();
        let id = self.sha256(&bytes);
        self.put(&layout::group_file(&id), &bytes)?;
        if let Some(base) = b.base {
            self.delete_group(&base)?;
        }
        Ok(id)
    }

    /// Deletes a group: its manifest first, then those of its parity shards that no other
    /// group lists (a crashed writer may have left two groups sharing shards).
    pub(crate) fn delete_group(&self, id: &[u8; 32]) -> Result<()> {
        let Some(g) = self.read_group(id).ok() else {
            return self.delete(&layout::group_file(id));
        };
        self.delete(&layout::group_file(id))?;
        let others = self.groups()?;
        for shard in &g.parity {
            let shared = others
                .iter()
                .filter_map(|(_, r)| r.as_ref().ok())
                .any(|o| o.parity.iter().any(|s| s.id == shard.id));
            if !shared {
                self.delete(&layout::parity_file(&shard.id.0))?;
            }
        }
        Ok(())
    }

    /// Every group manifest in storage, each parsed or with the error that names its file.
    pub(crate) fn groups(&self) -> Result<Vec<([u8; 32], Result<GroupManifest>)>> {
        let mut out = Vec::new();
        for key in self.list(layout::GROUPS)? {
            if let Some(layout::KeyKind::Group(id)) = layout::parse_key(&key) {
                out.push((id, self.read_group(&id)));
            }
        }
        Ok(out)
    }

    /// Reads and checks one group manifest, including that its bytes hash to its name.
    pub(crate) fn read_group(&self, id: &[u8; 32]) -> Result<GroupManifest> {
        let key = layout::group_file(id);
        let corrupt = |detail: String| Error::CorruptParity {
            file: key.clone(),
            detail,
        };
        let bytes = self
            .get_opt(&key)?
            .ok_or_else(|| corrupt("the file is missing".into()))?;
        if self.sha256(&bytes) != *id {
            return Err(corrupt("its bytes do not match its name (SHA-256)".into()));
        }
        GroupManifest::parse(&bytes).map_err(corrupt)
    }

    /// Reads one parity shard of a group and checks its size and hash.
    pub(crate) fn read_parity_shard(&self, g: &GroupManifest, i: usize) -> Result<Vec<u8>> {
        let shard = &g.parity[i];
        let key = layout::parity_file(&shard.id.0);
        let corrupt = |detail: &str| Error::CorruptParity {
            file: key.clone(),
            detail: detail.into(),
        };
        let bytes = self
            .get_opt(&key)?
            .ok_or_else(|| corrupt("the file is missing"))?;
        if bytes.len() as u64 != shard.size {
            return Err(corrupt("its size differs from the group manifest's"));
        }
        if self.sha256(&bytes) != shard.id.0 {
            return Err(corrupt("its bytes do not match its name (SHA-256)"));
        }
        Ok(bytes)
    }

    /// The group to continue: the fullest one with this repository's code that is not full
    /// yet and whose parity shards read back intact. `None` starts a new group.
    fn trailing_group(&self) -> Result<Option<ParityBuilder>> {
        let p = self.config.parity;
        let mut open: Vec<([u8; 32], GroupManifest)> = self
            .groups()?
            .into_iter()
            .filter_map(|(id, g)| Some((id, g.ok()?)))
            .filter(|(_, g)| !g.is_full() && g.data_packs == p.data_packs && g.parity_packs == p.parity_packs)
            .collect();
        open.sort_by(|a, b| b.1.members.len().cmp(&a.1.members.len()).then(a.0.cmp(&b.0)));
        for (id, g) in open {
            let shards: Result<Vec<Vec<u8>>> = (0..g.parity.len())
                .map(|i| self.read_parity_shard(&g, i))
                .collect();
            if let Ok(shards) = shards {
                return ParityBuilder::resume(id, &g, shards).map(Some);
            }
        }
        Ok(None)
    }
}
