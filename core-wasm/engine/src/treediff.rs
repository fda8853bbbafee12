//! What changed between two tree items (docs/FORMAT.md §9b): entries added, removed,
//! modified (a file's content, a link's target, or the kind of entry) or changed in their
//! metadata only (mode, owner, modification time, extended attributes, device number).
//!
//! Both trees are walked side by side, one directory of each at a time, in name order. A
//! directory whose pieces are the same blobs in both is the same subtree, and is skipped
//! without being read, so a diff of two snapshots of a large, mostly unchanged tree reads
//! little more than the directories on the way to what changed. Everything read is counted
//! against what the two items declare, as every walk is (crate::treewalk).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::Host;
use crate::index::Index;
use crate::manifest::ItemManifest;
use crate::store::Store;
use crate::tree::{text_of, Content, Entry, EntryKind, Node};
use crate::treewalk::{self, DirCursor, MAX_DEPTH};

/// How an entry changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in the newer tree.
    Added,
    /// Only in the older tree.
    Removed,
    /// A file's content, a link's target, or the kind of entry changed.
    Modified,
    /// Only mode, owner, modification time, extended attributes or device number changed.
    Metadata,
}

/// One changed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct TreeChange {
    /// The entry's path below the tree's root, `/`-separated (`""` for the root).
    pub path: String,
    /// The path's bytes as hex, present only when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_hex: Option<String>,
    /// How it changed.
    pub change: Change,
    /// What it is (in the newer tree, unless removed).
    pub kind: EntryKind,
    /// Its size (in the newer tree, unless removed).
    pub size: u64,
}

/// True when two entries differ in what a diff calls metadata.
fn metadata_differs(a: &Entry, b: &Entry) -> bool {
    (
        a.mode, a.uid, a.gid, &a.user, &a.group, a.mtime, a.mtime_ns, &a.xattrs, a.rdev,
    ) != (
        b.mode, b.uid, b.gid, &b.user, &b.group, b.mtime, b.mtime_ns, &b.xattrs, b.rdev,
    )
}

/// A pair of directories to compare: their path, and each side's entries (`None` when the
/// directory is only on the other side, whose entries are then all added or removed).
struct Pair {
    path: Vec<u8>,
    old: Option<DirCursor>,
    new: Option<DirCursor>,
    depth: usize,
}

/// The diff in progress.
struct Differ<'s, H: Host> {
    store: &'s Store<H>,
    index: &'s Index,
    label: String,
    budget: u64,
    /// The changes found, with their paths' bytes to sort them by.
    out: Vec<(Vec<u8>, TreeChange)>,
    stack: Vec<Pair>,
}

/// The changes from tree item `old` to tree item `new`, sorted by their paths' bytes.
pub fn diff<H: Host>(
    store: &Store<H>,
    index: &Index,
    old: &ItemManifest,
    new: &ItemManifest,
    label: String,
) -> Result<Vec<TreeChange>> {
    let a = treewalk::root(store, index, old, &label)?;
    let b = treewalk::root(store, index, new, &label)?;
    let budget = old
        .item
        .entries
        .unwrap_or(0)
        .saturating_add(new.item.entries.unwrap_or(0));
    let mut d = Differ {
        store,
        index,
        label,
        budget,
        out: Vec::new(),
        stack: Vec::new(),
    };
    d.both(Vec::new(), a, b, 0)?;
    d.run()?;
    d.out.sort_by(|x, y| x.0.cmp(&y.0));
    Ok(d.out.into_iter().map(|(_, c)| c).collect())
}

impl<H: Host> Differ<'_, H> {
    fn push(&mut self, path: &[u8], node: &Node, change: Change) {
        let (text, path_hex) = text_of(path);
        let c = TreeChange {
            path: text,
            path_hex,
            change,
            kind: node.entry.kind,
            size: node.entry.size,
        };
        self.out.push((path.to_vec(), c));
    }

    fn cursor(&self, node: &Node) -> Option<DirCursor> {
        match &node.content {
            Content::Dir(pieces) => Some(DirCursor::new(pieces, self.label.clone())),
            _ => None,
        }
    }

    /// An entry only on one side: it, and everything below it, is added or removed.
    fn one(&mut self, path: Vec<u8>, node: Node, change: Change, depth: usize) {
        self.push(&path, &node, change);
        if let Some(c) = self.cursor(&node) {
            let (old, new) = if change == Change::Added {
                (None, Some(c))
            } else {
                (Some(c), None)
            };
            self.stack.push(Pair {
                path,
                old,
                new,
                depth: depth + 1,
            });
        }
    }

    /// An entry on both sides.
    fn both(&mut self, path: Vec<u8>, a: Node, b: Node, depth: usize) -> Result<()> {
        if a.entry.kind != b.entry.kind {
            self.one(path.clone(), a, Change::Removed, depth);
            self.one(path, b, Change::Added, depth);
            return Ok(());
        }
        let changed = match (&a.content, &b.content) {
            (Content::Dir(_), Content::Dir(_)) => false,
            (x, y) => x != y || a.entry.target_bytes() != b.entry.target_bytes(),
        };
        if changed {
            self.push(&path, &b, Change::Modified);
        } else if metadata_differs(&a.entry, &b.entry) {
            self.push(&path, &b, Change::Metadata);
        }
        if let (Content::Dir(x), Content::Dir(y)) = (&a.content, &b.content) {
            if x != y {
                let (old, new) = (self.cursor(&a), self.cursor(&b));
                self.stack.push(Pair {
                    path,
                    old,
                    new,
                    depth: depth + 1,
                });
            }
        }
        Ok(())
    }

    fn run(&mut self) -> Result<()> {
        while let Some(mut pair) = self.stack.pop() {
            if pair.depth > MAX_DEPTH {
                return Err(self.corrupt(format!("directories nested deeper than {MAX_DEPTH}")));
            }
            // Directories found are compared after this one (the order of the output is
            // made at the end).
            loop {
                let x = match pair.old.as_mut() {
                    Some(c) => c.peek(self.store, self.index)?,
                    None => None,
                };
                let y = match pair.new.as_mut() {
                    Some(c) => c.peek(self.store, self.index)?,
                    None => None,
                };
                let take = |c: &mut Option<DirCursor>| c.as_mut().and_then(DirCursor::take).expect("peeked");
                let (name, old, new) = match (x, y) {
                    (None, None) => break,
                    (Some(n), None) => (n, Some(take(&mut pair.old)), None),
                    (None, Some(n)) => (n, None, Some(take(&mut pair.new))),
                    (Some(n), Some(m)) => match n.cmp(&m) {
                        std::cmp::Ordering::Less => (n, Some(take(&mut pair.old)), None),
                        std::cmp::Ordering::Greater => (m, None, Some(take(&mut pair.new))),
                        std::cmp::Ordering::Equal => {
                            (n, Some(take(&mut pair.old)), Some(take(&mut pair.new)))
                        }
                    },
                };
                let spent = old.is_some() as u64 + new.is_some() as u64;
                self.budget = self.budget.checked_sub(spent).ok_or_else(|| {
                    self.corrupt("the trees hold more entries than their items declare".into())
                })?;
                let mut path = pair.path.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&name);
                match (old, new) {
                    (Some(a), Some(b)) => self.both(path, a, b, pair.depth)?,
                    (Some(a), None) => self.one(path, a, Change::Removed, pair.depth),
                    (None, Some(b)) => self.one(path, b, Change::Added, pair.depth),
                    (None, None) => unreachable!("one side had an entry"),
                }
            }
        }
        Ok(())
    }

    fn corrupt(&self, detail: String) -> Error {
        Error::CorruptSnapshot {
            file: self.label.clone(),
            detail,
        }
    }
}
