//! Restore: a snapshot, or one of its items, back out as a stream of blocks.
//!
//! The host pulls blocks with [`Repository::restore_read`]; each is one chunk, read from
//! its pack, opened and checked against its id. Memory holds one chunk-list piece and one
//! chunk at a time, whatever the snapshot's size.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::layout;
use crate::lock::HeldLock;
use crate::pack::BlobKind;
use crate::repo::Repository;

/// A restore in progress.
pub struct RestoreSession {
    snapshot_id: String,
    size: u64,
    lock: Option<HeldLock>,
    lists: VecDeque<[u8; 32]>,
    current: Vec<([u8; 32], u32)>,
    pos: usize,
}

impl RestoreSession {
    /// The full id of the snapshot being restored.
    pub fn snapshot_id(&self) -> &str {
        &self.snapshot_id
    }

    /// Bytes the restore will produce.
    pub fn size(&self) -> u64 {
        self.size
    }
}

impl<H: Host + Clone> Repository<H> {
    /// Starts restoring a snapshot (full id, unique prefix or `latest`), or one item of it.
    pub fn restore_begin(&mut self, wanted: &str, item: Option<&str>) -> Result<RestoreSession> {
        let id = self.resolve_snapshot(wanted)?;
        let manifest = self.load_manifest(&id)?;
        let items: Vec<_> = match item {
            None => manifest.items.iter().collect(),
            Some(name) => {
                let found: Vec<_> = manifest.items.iter().filter(|i| i.item.name == name).collect();
                if found.is_empty() {
                    return Err(Error::ItemNotFound {
                        snapshot: id,
                        item: name.to_string(),
                        available: manifest
                            .items
                            .iter()
                            .map(|i| i.item.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                found
            }
        };
        let mut lists = VecDeque::new();
        for i in &items {
            lists.extend(self.list_ids(&id, i)?);
        }
        let size = items.iter().map(|i| i.item.size).sum();
        self.refresh_index()?;
        let lock = self.acquire_lock(false, "restore")?;
        Ok(RestoreSession {
            snapshot_id: id,
            size,
            lock: Some(lock),
            lists,
            current: Vec::new(),
            pos: 0,
        })
    }

    /// The next block; empty at the end (the lock is released then).
    pub fn restore_read(&mut self, s: &mut RestoreSession) -> Result<Vec<u8>> {
        loop {
            if let Some(&(id, len)) = s.current.get(s.pos) {
                s.pos += 1;
                let data = self.read_blob(&id, BlobKind::Data)?;
                if data.len() != len as usize {
                    return Err(Error::CorruptSnapshot {
                        file: layout::hex_id(&id),
                        detail: format!("chunk list says {len} bytes, chunk has {}", data.len()),
                    });
                }
                return Ok(data);
            }
            match s.lists.pop_front() {
                Some(list) => {
                    s.current = self.read_chunk_list(&list)?;
                    s.pos = 0;
                }
                None => {
                    if let Some(lock) = s.lock.take() {
                        self.release_lock(lock)?;
                    }
                    return Ok(Vec::new());
                }
            }
        }
    }

    /// Ends a restore early (or after the end): releases its lock.
    pub fn restore_end(&mut self, mut s: RestoreSession) -> Result<()> {
        match s.lock.take() {
            Some(lock) => self.release_lock(lock),
            None => Ok(()),
        }
    }
}
