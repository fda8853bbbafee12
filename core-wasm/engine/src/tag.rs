//! Tag: change the tags of snapshots. A snapshot is named by the hash of its manifest, so
//! new tags make a new manifest, a new snapshot id, and the old manifest is removed.
//!
//! Crash safety by ordering (docs/FORMAT.md §11): the new manifests first, then one
//! snapshot record that adds them and removes the old ones, then the old manifests are
//! deleted. Killed before the record, both manifests stay (the new one unrecorded, which
//! verify warns about); killed after it, the old ones are recorded as removed and still
//! present, which the next prune or forget deletes. At no instant is a snapshot's data
//! unreferenced by a manifest a record keeps. The new manifest records the id it descends
//! from (`original`), as restic does, so `copy` still knows it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::locking;
use crate::manifest::SnapshotFilter;
use crate::snapshots;
use crate::store::Store;

/// Arguments of `tag`: which snapshots, and how their tags change (`set` first, then
/// `remove`, then `add`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TagOptions {
    /// The snapshots: full ids, unique prefixes, or `latest` (the newest that `filter`
    /// passes).
    pub snapshots: Vec<String>,
    /// Which snapshots `snapshots` may name.
    #[serde(skip_serializing_if = "SnapshotFilter::is_empty", default)]
    pub filter: SnapshotFilter,
    /// Replace every tag with these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<BTreeMap<String, String>>,
    /// Tags to remove: `key` (whatever its value) or `key=value` (only with that value).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub remove: Vec<String>,
    /// Tags to add, or to give a new value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub add: BTreeMap<String, String>,
}

/// One snapshot whose tags changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct Retagged {
    /// The snapshot's id before (now removed).
    pub from: SnapshotId,
    /// Its id with the new tags.
    pub to: SnapshotId,
}

/// The answer of `tag`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct TagResult {
    /// The snapshots whose tags changed, with their new ids.
    pub changed: Vec<Retagged>,
    /// The snapshots that already had these tags (nothing written for them).
    pub unchanged: Vec<SnapshotId>,
}

impl TagOptions {
    /// `tags` changed as these options say.
    pub fn apply(&self, tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut out = self.set.clone().unwrap_or_else(|| tags.clone());
        for r in &self.remove {
            match r.split_once('=') {
                Some((k, v)) if out.get(k).is_some_and(|have| have == v) => out.remove(k),
                Some(_) => None,
                None => out.remove(r.as_str()),
            };
        }
        out.extend(self.add.clone());
        out
    }
}

/// Changes the tags of the snapshots `opts` names, under an exclusive lock.
pub fn run<H: Host>(store: &Store<H>, opts: &TagOptions) -> Result<TagResult> {
    if opts.snapshots.is_empty() {
        return Err(Error::InvalidArgument("tag: name the snapshots to tag".into()));
    }
    if opts.set.is_none() && opts.remove.is_empty() && opts.add.is_empty() {
        return Err(Error::InvalidArgument(
            "tag: say how the tags change (`set`, `remove` or `add`)".into(),
        ));
    }
    locking::with_lock(store, true, "tag", || {
        let mut result = TagResult::default();
        for id in crate::forget::named(store, &opts.snapshots, &opts.filter)? {
            let mut m = snapshots::load(store, id)?;
            let tags = opts.apply(&m.tags);
            if tags == m.tags {
                result.unchanged.push(id);
                continue;
            }
            m.tags = tags;
            m.original = m.original.or(Some(id));
            let to = snapshots::store_manifest(store, &m)?;
            result.changed.push(Retagged { from: id, to });
        }
        let (added, removed): (Vec<SnapshotId>, Vec<SnapshotId>) =
            result.changed.iter().map(|r| (r.to, r.from)).unzip();
        snapshots::replace(store, &added, &removed)?;
        Ok(result)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_then_remove_then_add() {
        let tags: BTreeMap<String, String> = [("db", "orders"), ("env", "prod"), ("keep", "yes")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let opts = TagOptions {
            remove: vec!["env=test".into(), "keep".into()],
            add: [("db".to_string(), "users".to_string())].into(),
            ..Default::default()
        };
        let out = opts.apply(&tags);
        // `env=test` does not match `env=prod`; `keep` goes whatever its value.
        assert_eq!(out.get("env").map(String::as_str), Some("prod"));
        assert!(!out.contains_key("keep"));
        assert_eq!(out.get("db").map(String::as_str), Some("users"));
        let opts = TagOptions {
            set: Some([("a".to_string(), "1".to_string())].into()),
            remove: vec!["a=1".into()],
            ..Default::default()
        };
        assert!(opts.apply(&tags).is_empty());
    }
}
