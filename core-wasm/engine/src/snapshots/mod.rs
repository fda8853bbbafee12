//! Snapshot manifests in storage: reading, writing, listing and lookup by id, prefix or
//! `latest` (docs/FORMAT.md §9), and the snapshot records that let a vanished manifest be
//! noticed (§9a). The manifest format is [`crate::manifest`].

use crate::error::{Error, Result};
use crate::host::Host;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ids::{RecordId, SnapshotId};
use crate::layout::{Dir, StorageKey};
use crate::manifest::{Manifest, Snapshot, SnapshotFilter, MANIFEST_VERSION, MANIFEST_VERSION_TREES};
use crate::seal::{AAD_RECORD, AAD_SNAPSHOT};
use crate::store::Store;
use crate::time;

/// Reads, checks and opens the manifest of snapshot `id`.
pub fn load<H: Host>(store: &Store<H>, id: SnapshotId) -> Result<Manifest> {
    let corrupt = |detail: String| Error::CorruptSnapshot {
        file: StorageKey::Snapshot(id).to_string(),
        detail,
    };
    serde_json::from_value(load_json(store, id)?).map_err(|e| corrupt(e.to_string()))
}

/// The manifest of snapshot `id` as the JSON it holds (fields this engine does not know
/// included), checked against its name and of a version this engine reads.
pub fn load_json<H: Host>(store: &Store<H>, id: SnapshotId) -> Result<serde_json::Value> {
    let key = StorageKey::Snapshot(id);
    let stored = store
        .get_opt(&key)?
        .ok_or_else(|| Error::SnapshotNotFound(id.to_hex()))?;
    let corrupt = |detail: String| Error::CorruptSnapshot {
        file: key.to_string(),
        detail,
    };
    if store.sha256(&stored) != *id.as_bytes() {
        return Err(corrupt("its bytes do not match its name (SHA-256)".into()));
    }
    let plain = store.open_doc(AAD_SNAPSHOT, &stored).map_err(corrupt)?;
    let v: serde_json::Value =
        serde_json::from_slice(&plain).map_err(|e| corrupt(format!("not JSON: {e}")))?;
    match v.get("version").and_then(|v| v.as_u64()) {
        Some(MANIFEST_VERSION | MANIFEST_VERSION_TREES) => {}
        Some(found) => {
            return Err(Error::UnsupportedVersion {
                what: format!("snapshot {id}"),
                found,
                supported: MANIFEST_VERSION_TREES,
            })
        }
        None => return Err(corrupt("no version".into())),
    }
    Ok(v)
}

/// Seals and stores a manifest; returns its id.
pub fn store_manifest<H: Host>(store: &Store<H>, manifest: &Manifest) -> Result<SnapshotId> {
    let json = serde_json::to_vec(manifest).map_err(|e| Error::Internal(format!("manifest: {e}")))?;
    let stored = store.seal_doc(AAD_SNAPSHOT, &json);
    let id = SnapshotId::new(store.sha256(&stored));
    store.put(&StorageKey::Snapshot(id), &stored)?;
    Ok(id)
}

/// Removes snapshots on purpose: a record says so first (docs/FORMAT.md §9a), then their
/// manifests are deleted; their data stays until prune collects it. A crash between
/// leaves them recorded as removed and still present, which the next prune or forget
/// finishes ([`Census::leftover`]).
pub fn remove<H: Host>(store: &Store<H>, ids: &[SnapshotId]) -> Result<()> {
    replace(store, &[], ids)
}

/// Replaces snapshots `removed` by `added`, whose manifests are stored already: one
/// record adds the new and removes the old, then the old manifests are deleted (as
/// [`remove`]; nothing is written when both are empty).
pub fn replace<H: Host>(store: &Store<H>, added: &[SnapshotId], removed: &[SnapshotId]) -> Result<()> {
    if added.is_empty() && removed.is_empty() {
        return Ok(());
    }
    record(store, added, removed)?;
    for id in removed {
        store.delete(&StorageKey::Snapshot(*id))?;
    }
    Ok(())
}

/// Ids of every snapshot, sorted.
pub fn ids<H: Host>(store: &Store<H>) -> Result<Vec<SnapshotId>> {
    store.list_ids(Dir::Snapshots, |k| match k {
        StorageKey::Snapshot(id) => Some(id),
        _ => None,
    })
}

/// Every snapshot in storage, sorted by id, its manifest read, checked and opened as it is
/// taken, the reads announced ahead ([`crate::ahead::read_each`]) so that a storage far
/// away fetches several at once.
pub fn load_all<H: Host>(
    store: &Store<H>,
) -> Result<impl Iterator<Item = (SnapshotId, Result<Manifest>)> + '_> {
    Ok(crate::ahead::read_each(
        store,
        ids(store)?,
        StorageKey::Snapshot,
        load,
    ))
}

/// The creation time of a manifest in ms; a manifest whose time does not parse is damaged.
pub fn created_ms(id: SnapshotId, m: &Manifest) -> Result<i64> {
    time::parse_ms(&m.created_at).map_err(|_| Error::CorruptSnapshot {
        file: StorageKey::Snapshot(id).to_string(),
        detail: format!("createdAt `{}` is not a time", m.created_at),
    })
}

/// A filter with its times parsed, ready to judge manifests.
pub struct Judge<'f> {
    filter: &'f SnapshotFilter,
    after: Option<i64>,
    before: Option<i64>,
}

impl<'f> Judge<'f> {
    /// Parses the filter's times (a time that does not parse is `InvalidArgument`).
    pub fn new(filter: &'f SnapshotFilter) -> Result<Judge<'f>> {
        Ok(Judge {
            filter,
            after: filter.after.as_deref().map(time::parse_ms).transpose()?,
            before: filter.before.as_deref().map(time::parse_ms).transpose()?,
        })
    }

    /// Whether manifest `m`, created at `t` ms, passes every criterion of the filter.
    pub fn passes(&self, m: &Manifest, t: i64) -> bool {
        let f = self.filter;
        let has_item = |want: &Option<String>, of: fn(&crate::manifest::SnapshotItem) -> Option<&str>| {
            want.as_deref()
                .is_none_or(|w| m.items.iter().any(|i| of(&i.item) == Some(w)))
        };
        f.tags.iter().all(|(k, v)| m.tags.get(k) == Some(v))
            && self.after.is_none_or(|a| t >= a)
            && self.before.is_none_or(|b| t < b)
            && f.host.as_ref().is_none_or(|h| m.host.as_ref() == Some(h))
            && has_item(&f.item, |i| Some(i.name.as_str()))
            && has_item(&f.path, |i| i.path.as_deref())
    }
}

/// The filter in words, for messages: `tag db=orders, host db1, item dump`.
pub fn describe(filter: &SnapshotFilter) -> String {
    let mut parts: Vec<String> = filter.tags.iter().map(|(k, v)| format!("tag {k}={v}")).collect();
    let named = [
        ("host", &filter.host),
        ("item", &filter.item),
        ("path", &filter.path),
        ("created at or after", &filter.after),
        ("created before", &filter.before),
    ];
    parts.extend(
        named
            .iter()
            .filter_map(|(what, v)| v.as_ref().map(|v| format!("{what} {v}"))),
    );
    parts.join(", ")
}

/// Snapshots that match `filter`, oldest first (ties by id).
pub fn list<H: Host>(store: &Store<H>, filter: &SnapshotFilter) -> Result<Vec<Snapshot>> {
    let judge = Judge::new(filter)?;
    let mut out = Vec::new();
    for (id, m) in load_all(store)? {
        let m = m?;
        let t = created_ms(id, &m)?;
        if judge.passes(&m, t) {
            out.push((t, m.into_snapshot(id)));
        }
    }
    out.sort_by_key(|(t, s)| (*t, s.id));
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

/// Resolves `wanted` among the snapshots `filter` passes: `latest` is the newest of them,
/// and a full id or prefix must name one of them. A snapshot that lacks only the
/// filter's item is `ItemNotFound`, as asking it for that item would be.
pub fn resolve_in<H: Host>(store: &Store<H>, wanted: &str, filter: &SnapshotFilter) -> Result<SnapshotId> {
    if filter.is_empty() {
        return resolve(store, wanted);
    }
    let not_found = || Error::SnapshotNotFound(format!("{wanted} with {}", describe(filter)));
    let without_item = SnapshotFilter {
        item: None,
        ..filter.clone()
    };
    let item_not_found = |id: SnapshotId, items: &[crate::manifest::SnapshotItem]| match &filter.item {
        Some(item) => Error::ItemNotFound {
            snapshot: id.to_hex(),
            item: item.clone(),
            available: items
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        },
        None => not_found(),
    };
    if wanted == "latest" {
        if let Some(s) = list(store, filter)?.pop() {
            return Ok(s.id);
        }
        // No snapshot has the item: say so of the newest, as restoring it from there would.
        return match (&filter.item, list(store, &without_item)?.pop()) {
            (Some(_), Some(newest)) => Err(item_not_found(newest.id, &newest.fields.items)),
            _ => Err(not_found()),
        };
    }
    let id = resolve(store, wanted)?;
    let m = load(store, id)?;
    if Judge::new(filter)?.passes(&m, created_ms(id, &m)?) {
        return Ok(id);
    }
    match Judge::new(&without_item)?.passes(&m, created_ms(id, &m)?) {
        true => Err(item_not_found(id, &m.into_snapshot(id).fields.items)),
        false => Err(not_found()),
    }
}

/// `filter` narrowed to snapshots with item `item`, when an operation takes one item and
/// the filter names none: `latest` is then the newest snapshot that has it.
pub fn having_item(filter: &SnapshotFilter, item: Option<&str>) -> SnapshotFilter {
    SnapshotFilter {
        item: filter.item.clone().or(item.map(str::to_string)),
        ..filter.clone()
    }
}

/// Resolves a full id, a unique prefix of one, or `latest` to a snapshot id.
pub fn resolve<H: Host>(store: &Store<H>, wanted: &str) -> Result<SnapshotId> {
    if wanted == "latest" {
        return list(store, &SnapshotFilter::default())?
            .pop()
            .map(|s| s.id)
            .ok_or_else(|| Error::SnapshotNotFound("latest (the repository has no snapshots)".into()));
    }
    if wanted.is_empty() || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::SnapshotNotFound(wanted.to_string()));
    }
    let wanted_lc = wanted.to_ascii_lowercase();
    let matches: Vec<SnapshotId> = ids(store)?
        .into_iter()
        .filter(|id| id.to_hex().starts_with(&wanted_lc))
        .collect();
    match matches.as_slice() {
        [] => Err(Error::SnapshotNotFound(wanted.to_string())),
        [one] => Ok(*one),
        _ => Err(Error::AmbiguousSnapshot {
            prefix: wanted.to_string(),
            count: matches.len(),
        }),
    }
}

/// The snapshot named by a full id, a unique prefix or `latest`, among those `filter`
/// passes ([`resolve_in`]).
pub fn get<H: Host>(store: &Store<H>, wanted: &str, filter: &SnapshotFilter) -> Result<Snapshot> {
    let id = resolve_in(store, wanted, filter)?;
    Ok(load(store, id)?.into_snapshot(id))
}

/// The id and the `original` of every snapshot: what a copy into this repository skips
/// (a snapshot that is one of them, or was copied or re-tagged from one).
pub fn originals<H: Host>(store: &Store<H>) -> Result<Vec<SnapshotId>> {
    let mut out = BTreeSet::new();
    for id in ids(store)? {
        out.insert(id);
        out.extend(load(store, id)?.original);
    }
    Ok(out.into_iter().collect())
}

/// Snapshot record format version (docs/FORMAT.md §9a).
pub const RECORD_VERSION: u64 = 1;

/// One snapshot record: snapshots written, and snapshots removed on purpose.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    version: u64,
    #[serde(default)]
    added: Vec<SnapshotId>,
    #[serde(default)]
    removed: Vec<SnapshotId>,
}

/// Appends a record (a new immutable file named by its SHA-256) saying that the snapshots
/// `added` were written and `removed` removed on purpose (by prune); answers its id.
pub fn record<H: Host>(store: &Store<H>, added: &[SnapshotId], removed: &[SnapshotId]) -> Result<RecordId> {
    let r = Record {
        version: RECORD_VERSION,
        added: added.to_vec(),
        removed: removed.to_vec(),
    };
    let json = serde_json::to_vec(&r).map_err(|e| Error::Internal(format!("record: {e}")))?;
    let stored = store.seal_doc(AAD_RECORD, &json);
    let id = RecordId::new(store.sha256(&stored));
    store.put(&StorageKey::Record(id), &stored)?;
    Ok(id)
}

/// What the snapshot records say of the snapshots present ([`census`]).
#[derive(Debug, Default)]
pub struct Census {
    /// Snapshots the records say were written and not removed whose manifest is gone.
    pub gone: Vec<SnapshotId>,
    /// Records that cannot be read, as errors to report.
    pub damaged: Vec<Error>,
    /// Snapshots present that no record adds, while records exist: a record deleted, a
    /// crash between a manifest and its record, or a writer older than records. `repair`
    /// records them, so that their manifests are protected too.
    pub unrecorded: Vec<SnapshotId>,
    /// Snapshots present that a record removes: a prune, forget or tag stopped between
    /// its record and the deletion, which the next prune or forget finishes.
    pub leftover: Vec<SnapshotId>,
}

/// Reads every record and compares it with the manifests present (a record of a newer
/// version stops the caller with `UnsupportedVersion`).
pub fn census<H: Host>(store: &Store<H>) -> Result<Census> {
    let (mut added, mut removed, mut damaged) = (BTreeSet::new(), BTreeSet::new(), Vec::new());
    let records = store.list_ids(Dir::Records, |k| match k {
        StorageKey::Record(id) => Some(id),
        _ => None,
    })?;
    for &id in &records {
        let key = StorageKey::Record(id);
        let Some(stored) = store.get_opt(&key)? else {
            continue;
        };
        let corrupt = |detail: String| Error::CorruptSnapshot {
            file: key.to_string(),
            detail,
        };
        let read = || -> Result<Record> {
            if store.sha256(&stored) != *id.as_bytes() {
                return Err(corrupt("its bytes do not match its name (SHA-256)".into()));
            }
            let plain = store.open_doc(AAD_RECORD, &stored).map_err(corrupt)?;
            let r: Record =
                serde_json::from_slice(&plain).map_err(|e| corrupt(format!("not a record: {e}")))?;
            match r.version {
                RECORD_VERSION => Ok(r),
                found => Err(Error::UnsupportedVersion {
                    what: format!("snapshot record {key}"),
                    found,
                    supported: RECORD_VERSION,
                }),
            }
        };
        match read() {
            Ok(r) => {
                added.extend(r.added);
                removed.extend(r.removed);
            }
            Err(e @ Error::UnsupportedVersion { .. }) => return Err(e),
            Err(e) => damaged.push(e),
        }
    }
    let present: BTreeSet<SnapshotId> = ids(store)?.into_iter().collect();
    let unrecorded = match records.is_empty() {
        true => Vec::new(),
        false => present
            .iter()
            .filter(|id| !added.contains(id) && !removed.contains(id))
            .copied()
            .collect(),
    };
    let leftover = present
        .iter()
        .filter(|id| removed.contains(id))
        .copied()
        .collect();
    let gone = added
        .into_iter()
        .filter(|id| !removed.contains(id) && !present.contains(id))
        .collect();
    Ok(Census {
        gone,
        damaged,
        unrecorded,
        leftover,
    })
}

/// What verify says of a snapshot no record adds (a warning: it restores as it is).
pub fn unrecorded_warning(id: SnapshotId) -> String {
    format!("no snapshot record names snapshot {id}: its record was deleted, a crash came between its manifest and its record, or an older Cairn wrote it; nothing would notice if its manifest were deleted too: run `repair`, which records it")
}

/// What verify says of a snapshot a record removes whose manifest is still present.
pub fn leftover_warning(id: SnapshotId) -> String {
    format!("snapshot {id} is recorded as removed but its manifest is still there: a prune, forget or tag was interrupted; the next `prune` or `forget` removes it")
}

/// What verify and prune say of a snapshot whose manifest vanished.
pub fn vanished_error(id: SnapshotId) -> Error {
    Error::CorruptSnapshot {
        file: StorageKey::Snapshot(id).to_string(),
        detail: "its manifest is gone, though no prune removed it; put the file back from a copy, or accept the loss with `prune --forget-vanished` (prune refuses to run until then, so that the snapshot's data is kept)".into(),
    }
}

#[cfg(test)]
mod tests;
