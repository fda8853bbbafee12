//! Reading a stored tree (docs/FORMAT.md §9b): a depth-first walk that holds one piece per
//! directory on the current path, whatever the tree's size, and checks as it goes what the
//! format promises: a root piece of one directory, names in strictly increasing byte
//! order across a directory's pieces, a bounded depth, and never more entries, bytes or
//! chunks than the item declares (so a hostile tree that names one piece a million times
//! costs no more than its first excess). Restore, listing, verify and prune all walk trees
//! with it.

use std::collections::VecDeque;

use crate::blobs;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::Index;
use crate::manifest::ItemManifest;
use crate::store::Store;
use crate::tree::{decode_piece, Content, EntryKind, Node};

/// Deepest directory nesting a walk accepts (a path of 2048 one-byte names fills `PATH_MAX`).
pub const MAX_DEPTH: usize = 2048;

/// What a tree item declares of itself, which a full walk must match exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Entries, the root directory included.
    pub entries: u64,
    /// Bytes of all files.
    pub size: u64,
    /// Chunks of all files.
    pub chunks: u64,
}

/// One entry of a walk.
#[derive(Debug, Clone)]
pub struct Step {
    /// 0 for the walk's top directory, 1 for its entries, and so on.
    pub depth: usize,
    /// The entry and its content.
    pub node: Node,
}

/// A depth-first walk of a stored tree, in name order, directories before their entries.
pub struct TreeWalk {
    /// One cursor per directory on the current path, the walk's top first.
    stack: Vec<DirCursor>,
    /// The pieces of the directory returned last, entered on the next step unless skipped.
    descend: Option<Vec<BlobId>>,
    /// Names on the path to the entry returned last (the top directory's excluded).
    names: Vec<Vec<u8>>,
    declared: Option<Totals>,
    seen: Totals,
    label: String,
}

fn corrupt(label: &str, detail: String) -> Error {
    Error::CorruptSnapshot {
        file: label.to_string(),
        detail,
    }
}

/// Reads and decodes one piece; a piece that does not decode is reported against `label`.
fn read_piece<H: Host>(store: &Store<H>, index: &Index, id: &BlobId, label: &str) -> Result<Vec<Node>> {
    let plain = blobs::read(store, index, id)?;
    decode_piece(&plain).map_err(|e| corrupt(label, format!("tree piece {id}: {e}")))
}

/// The root directory of a tree item: the one entry of its root piece.
pub fn root<H: Host>(store: &Store<H>, index: &Index, item: &ItemManifest, label: &str) -> Result<Node> {
    let id = item
        .tree
        .ok_or_else(|| corrupt(label, format!("item `{}` is not a tree", item.item.name)))?;
    let mut nodes = read_piece(store, index, &id, label)?;
    match (nodes.len(), nodes.first().map(|n| n.entry.kind)) {
        (1, Some(EntryKind::Dir)) => Ok(nodes.remove(0)),
        _ => Err(corrupt(label, "a root piece holds exactly one directory".into())),
    }
}

/// Finds the entry at `path` (names from the top directory down) below `top`; `None`
/// when there is none. Reads only the pieces on the way.
pub fn find<H: Host>(
    store: &Store<H>,
    index: &Index,
    top: Node,
    path: &[Vec<u8>],
    label: &str,
) -> Result<Option<Node>> {
    let mut node = top;
    for name in path {
        let Content::Dir(pieces) = &node.content else {
            return Ok(None);
        };
        match DirCursor::new(pieces, label.to_string()).seek(store, index, name)? {
            Some(n) => node = n,
            None => return Ok(None),
        }
    }
    Ok(Some(node))
}

impl TreeWalk {
    /// A walk from `top` (returned first, at depth 0). With `declared`, the walk must
    /// meet exactly those totals (a walk of a whole item); `label` names the snapshot and
    /// item in errors.
    pub fn new(top: Node, declared: Option<Totals>, label: String) -> TreeWalk {
        TreeWalk {
            stack: vec![DirCursor {
                nodes: VecDeque::from([top]),
                ..DirCursor::new(&[], label.clone())
            }],
            descend: None,
            names: Vec::new(),
            declared,
            seen: Totals::default(),
            label,
        }
    }

    /// Does not enter the directory returned last. The walk is then no longer of the
    /// whole item, so the item's declared totals are no longer checked at its end.
    pub fn skip_children(&mut self) {
        if self.descend.take().is_some() {
            self.declared = None;
        }
    }

    /// The pieces the walk reads next (at most `most`), in about the order it reads them:
    /// those of the directory it enters next, then, from the deepest directory open up,
    /// those of the directories among its entries still to come and its own pieces still
    /// to come. Pieces of directories deeper down are unknown until their parents are read.
    pub fn pieces_ahead(&self, most: usize) -> Vec<BlobId> {
        let mut out: Vec<BlobId> = self.descend.iter().flatten().copied().collect();
        for level in self.stack.iter().rev() {
            if out.len() >= most {
                break;
            }
            for node in &level.nodes {
                if let Content::Dir(pieces) = &node.content {
                    out.extend(pieces);
                    if out.len() >= most {
                        break;
                    }
                }
            }
            out.extend(&level.pieces);
        }
        out.truncate(most);
        out
    }

    /// The path of the entry returned last, below the top directory (`""` for the top).
    pub fn path(&self) -> Vec<u8> {
        self.names.join(&b'/')
    }

    /// The next entry, or `None` at the end.
    pub fn next<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Option<Step>> {
        loop {
            if let Some(pieces) = self.descend.take() {
                if self.stack.len() > MAX_DEPTH {
                    return Err(corrupt(
                        &self.label,
                        format!("directories nested deeper than {MAX_DEPTH}"),
                    ));
                }
                self.stack.push(DirCursor::new(&pieces, self.label.clone()));
            }
            let Some(level) = self.stack.last_mut() else {
                self.check_end()?;
                return Ok(None);
            };
            let Some(name) = level.peek(store, index)? else {
                self.stack.pop();
                continue;
            };
            let node = level.take().expect("peeked");
            let depth = self.stack.len() - 1;
            self.count(&node)?;
            self.names.truncate(depth.saturating_sub(1));
            if depth > 0 {
                self.names.push(name);
            }
            if let Content::Dir(pieces) = &node.content {
                self.descend = Some(pieces.clone());
            }
            return Ok(Some(Step { depth, node }));
        }
    }

    fn count(&mut self, node: &Node) -> Result<()> {
        self.seen.entries += 1;
        if let Content::File { chunk_count, .. } = &node.content {
            self.seen.size = self.seen.size.saturating_add(node.entry.size);
            self.seen.chunks = self.seen.chunks.saturating_add(*chunk_count);
        }
        if let Some(d) = self.declared {
            let s = self.seen;
            if s.entries > d.entries || s.size > d.size || s.chunks > d.chunks {
                return Err(corrupt(
                    &self.label,
                    format!(
                        "the tree holds more than the {} entries, {} bytes and {} chunks its item declares",
                        d.entries, d.size, d.chunks
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_end(&mut self) -> Result<()> {
        match self.declared.take() {
            Some(d) if d != self.seen => Err(corrupt(
                &self.label,
                format!(
                    "the tree holds {} entries, {} bytes and {} chunks; its item declares {}, {} and {}",
                    self.seen.entries, self.seen.size, self.seen.chunks, d.entries, d.size, d.chunks
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// One directory's entries, read forward piece by piece across its pieces: what an
/// incremental ingest and a diff walk side by side with another directory.
pub struct DirCursor {
    pieces: VecDeque<BlobId>,
    nodes: VecDeque<Node>,
    last: Option<Vec<u8>>,
    label: String,
}

impl DirCursor {
    /// The entries of a directory whose pieces are `pieces`; `label` names it in errors.
    pub fn new(pieces: &[BlobId], label: String) -> DirCursor {
        DirCursor {
            pieces: pieces.iter().copied().collect(),
            nodes: VecDeque::new(),
            last: None,
            label,
        }
    }

    /// The name of the next entry, without taking it; `None` at the end. Checks that names
    /// increase across pieces.
    pub fn peek<H: Host>(&mut self, store: &Store<H>, index: &Index) -> Result<Option<Vec<u8>>> {
        while self.nodes.is_empty() {
            let Some(id) = self.pieces.pop_front() else {
                return Ok(None);
            };
            self.nodes = read_piece(store, index, &id, &self.label)?.into();
        }
        let name = self.nodes[0]
            .entry
            .name_bytes()
            .map_err(|e| corrupt(&self.label, e))?;
        if self.last.as_ref().is_some_and(|l| *l >= name) {
            return Err(corrupt(
                &self.label,
                "a directory's pieces are not in name order".into(),
            ));
        }
        Ok(Some(name))
    }

    /// Takes the entry [`DirCursor::peek`] named.
    pub fn take(&mut self) -> Option<Node> {
        let node = self.nodes.pop_front()?;
        self.last = node.entry.name_bytes().ok();
        Some(node)
    }

    /// Skips forward to the entry named `name` and takes it; `None` when the directory has
    /// none (the entries before it are passed either way, so names are sought in order).
    pub fn seek<H: Host>(&mut self, store: &Store<H>, index: &Index, name: &[u8]) -> Result<Option<Node>> {
        while let Some(next) = self.peek(store, index)? {
            match next.as_slice().cmp(name) {
                std::cmp::Ordering::Less => drop(self.take()),
                std::cmp::Ordering::Equal => return Ok(self.take()),
                std::cmp::Ordering::Greater => return Ok(None),
            }
        }
        Ok(None)
    }
}

/// The totals a tree item declares.
pub fn declared(item: &ItemManifest) -> Totals {
    Totals {
        entries: item.item.entries.unwrap_or(0),
        size: item.item.size,
        chunks: item.item.chunk_count,
    }
}

/// A walk of a whole tree item, from its root, checked against what it declares.
pub fn walk_item<H: Host>(
    store: &Store<H>,
    index: &Index,
    item: &ItemManifest,
    label: String,
) -> Result<TreeWalk> {
    let top = root(store, index, item, &label)?;
    Ok(TreeWalk::new(top, Some(declared(item)), label))
}
