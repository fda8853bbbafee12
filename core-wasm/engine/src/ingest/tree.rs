//! Ingest of a tree item (docs/FORMAT.md §9b): the host walks its file system depth-first
//! and describes each entry ([`IngestSession::tree_entry`]), streams the content of the
//! files the engine asks for, and closes each directory ([`IngestSession::tree_leave`]).
//! The engine encodes each directory into pieces as its entries come, so memory holds one
//! open piece per directory on the current path.
//!
//! **Incremental by metadata.** With a parent snapshot, each directory being written walks
//! forward through the same directory of the parent's tree. A file whose size, mtime,
//! ctime and inode match its parent entry takes the parent's chunk list without being
//! read: the answer to `tree_entry` tells the host not to send its content.

use super::parent::{present, unchanged, ParentDir};
use super::{IngestSession, IngestState, ItemBuilder};
use crate::error::{Error, Result};
use crate::events::{self, IngestWarning, INGEST_WARNING};
use crate::host::Host;
use crate::ids::BlobId;
use crate::index::Index;
use crate::pack::BlobKind;
use crate::store::Store;
use crate::tree::pattern::Excludes;
use crate::tree::{encode_node, Chunks, Content, Entry, EntryKind, Node, PieceWriter, INLINE_MAX_CHUNKS};

/// The tree of the item being ingested.
#[derive(Default)]
pub(super) struct TreeBuilder {
    /// Open directories, the root first.
    stack: Vec<OpenDir>,
    /// The file whose content is arriving.
    pub(super) file: Option<OpenFile>,
    /// The root piece, once the root directory is closed.
    root: Option<BlobId>,
    entries: u64,
    /// The parent snapshot's root directory of the same item.
    parent_root: Option<Node>,
    /// What to leave out.
    excludes: Excludes,
}

/// What became of an entry given to [`IngestSession::tree_entry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// Stored; nothing more is needed.
    Stored,
    /// The host must now write the file's bytes.
    Content,
    /// Left out by an exclude pattern: the host does not enter or read it.
    Excluded,
}

struct OpenDir {
    entry: Entry,
    writer: PieceWriter,
    pieces: Vec<BlobId>,
    last: Option<Vec<u8>>,
    parent: Option<ParentDir>,
}

impl OpenDir {
    /// A directory being written; `was` is its entry in the parent snapshot, if any.
    fn new(mut entry: Entry, was: Option<Node>) -> OpenDir {
        entry.size = 0;
        OpenDir {
            entry,
            writer: PieceWriter::default(),
            pieces: Vec::new(),
            last: None,
            parent: ParentDir::of(was),
        }
    }
}

/// A file receiving its content.
pub(super) struct OpenFile {
    entry: Entry,
    /// Bytes and chunks stored so far, and how many of those chunks were new.
    pub(super) size: u64,
    pub(super) chunks: u64,
    pub(super) new_chunks: u64,
    /// Its chunk-list blobs stored so far (a long file's).
    pub(super) lists: Vec<BlobId>,
}

impl TreeBuilder {
    /// A tree to build, reusing unchanged files of `parent_root` (the parent snapshot's
    /// root directory of the same item).
    pub(super) fn new(parent_root: Option<Node>, excludes: Excludes) -> TreeBuilder {
        TreeBuilder {
            parent_root,
            excludes,
            ..TreeBuilder::default()
        }
    }

    /// The path below the root of an entry named `name` in the open directory.
    fn path_of(&self, name: &str) -> String {
        let mut path = String::new();
        for dir in self.stack.iter().skip(1) {
            path.push_str(&dir.entry.name);
            path.push('/');
        }
        path.push_str(name);
        path
    }
}

fn protocol(message: impl Into<String>) -> Error {
    Error::InvalidArgument(message.into())
}

impl IngestSession {
    /// The next entry of the tree item; answers whether the host must now `write` the
    /// file's content (false for anything but a new or changed regular file).
    pub fn tree_entry<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        entry: Entry,
    ) -> Result<Placed> {
        self.check_usable()?;
        self.guard(|s| {
            s.end_file(store, index)?;
            entry.check().map_err(protocol)?;
            let name = entry.name_bytes().map_err(protocol)?;
            let mut tree = s.state.take_tree()?;
            let path = match tree.stack.is_empty() {
                true => String::new(),
                false => tree.path_of(&entry.name),
            };
            let r = s.state.place(store, index, &mut tree, entry, name);
            s.state.put_tree(tree);
            s.state.tree_entries += 1;
            s.state.tree_path = path;
            s.state.progress(store, false);
            r
        })
    }

    /// Closes the directory entered last (the root last of all).
    pub fn tree_leave<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        self.check_usable()?;
        self.guard(|s| {
            s.end_file(store, index)?;
            let mut tree = s.state.take_tree()?;
            let r = s.state.leave(store, index, &mut tree);
            s.state.put_tree(tree);
            r
        })
    }

    /// Reports a problem with the entry given last (`path` as the host names it); with
    /// `drop`, the file waiting for its content is left out of the snapshot.
    pub fn tree_problem<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        path: String,
        message: String,
        drop: bool,
    ) -> Result<()> {
        self.check_usable()?;
        self.guard(|s| {
            if drop {
                s.flush_content(store, index)?;
                let st = &mut s.state;
                let item = st
                    .current
                    .as_mut()
                    .ok_or_else(|| protocol("no tree item is open"))?;
                let file = item.tree.as_mut().and_then(|t| t.file.take());
                let file =
                    file.ok_or_else(|| protocol("only a file waiting for its content can be left out"))?;
                item.list.clear();
                item.manifest.item.size -= file.size;
                item.manifest.item.chunk_count -= file.chunks;
                if let Some(t) = item.tree.as_mut() {
                    t.entries -= 1;
                }
                st.stats.original -= file.size;
                st.stats.chunks -= file.chunks;
                st.stats.new_chunks -= file.new_chunks;
                st.stats.reused_chunks -= file.chunks - file.new_chunks;
            }
            s.state.warnings += 1;
            let w = IngestWarning {
                path,
                message,
                dropped: drop,
            };
            events::emit(store.host(), INGEST_WARNING, &w);
            Ok(())
        })
    }

    /// Ends the file receiving content, if any: its last chunks and its chunk list.
    pub(super) fn end_file<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        if !self
            .state
            .current
            .as_ref()
            .is_some_and(ItemBuilder::has_open_file)
        {
            return Ok(());
        }
        self.flush_content(store, index)?;
        let st = &mut self.state;
        let item = st.current.as_mut().expect("checked above");
        let long = item
            .tree
            .as_ref()
            .is_some_and(|t| t.file.as_ref().is_some_and(|f| !f.lists.is_empty()));
        if long || item.list.len() > INLINE_MAX_CHUNKS {
            st.store_list_piece(store, index)?;
        }
        let item = st.current.as_mut().expect("checked above");
        let mut tree = item.tree.take().expect("an open file is in a tree");
        let file = tree.file.take().expect("checked above");
        let chunks = match file.lists.is_empty() {
            true => Chunks::Inline(std::mem::take(&mut item.list)),
            false => Chunks::Lists(file.lists),
        };
        let mut entry = file.entry;
        entry.size = file.size;
        let node = Node {
            entry,
            content: Content::File {
                chunk_count: file.chunks,
                chunks,
            },
        };
        let r = st.add_node(store, index, &mut tree, &node);
        st.put_tree(tree);
        r
    }

    /// Closes every open directory of the current tree item and records its root in the
    /// item's manifest entry.
    pub(super) fn end_tree<H: Host>(&mut self, store: &Store<H>, index: &mut Index) -> Result<()> {
        self.end_file(store, index)?;
        let mut tree = self.state.take_tree()?;
        while !tree.stack.is_empty() {
            if let Err(e) = self.state.leave(store, index, &mut tree) {
                self.state.put_tree(tree);
                return Err(e);
            }
        }
        let item = self.state.current.as_mut().expect("take_tree checked it");
        let root = tree.root.ok_or_else(|| {
            protocol(format!(
                "tree item `{}` has no entries: its root directory must come first",
                item.manifest.item.name
            ))
        })?;
        item.manifest.tree = Some(root);
        item.manifest.item.entries = Some(tree.entries);
        Ok(())
    }
}

impl IngestState {
    fn take_tree(&mut self) -> Result<TreeBuilder> {
        let item = self
            .current
            .as_mut()
            .ok_or_else(|| protocol("no tree item is open: start one with `ingest_tree`"))?;
        item.tree.take().ok_or_else(|| {
            protocol(format!(
                "item `{}` is a stream, not a tree",
                item.manifest.item.name
            ))
        })
    }

    fn put_tree(&mut self, tree: TreeBuilder) {
        if let Some(item) = self.current.as_mut() {
            item.tree = Some(tree);
        }
    }

    /// Places one entry in the open directory; answers whether its content must follow.
    fn place<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        tree: &mut TreeBuilder,
        mut entry: Entry,
        name: Vec<u8>,
    ) -> Result<Placed> {
        let Some(top) = tree.stack.last_mut() else {
            if tree.root.is_some() {
                return Err(protocol(
                    "the tree's root directory is closed already: nothing can follow it",
                ));
            }
            if entry.kind != EntryKind::Dir {
                return Err(protocol("a tree begins with its root directory"));
            }
            let parent = tree.parent_root.take();
            tree.stack.push(OpenDir::new(entry, parent));
            tree.entries += 1;
            return Ok(Placed::Stored);
        };
        if let Some(last) = top.last.as_ref().filter(|l| **l >= name) {
            return Err(protocol(format!(
                "the entries of a directory must come in increasing byte order of their names: `{}` came after `{}`",
                String::from_utf8_lossy(&name),
                String::from_utf8_lossy(last)
            )));
        }
        top.last = Some(name.clone());
        if !tree.excludes.is_empty()
            && tree
                .excludes
                .matches(&tree.path_of(&entry.name), entry.kind == EntryKind::Dir)
        {
            return Ok(Placed::Excluded);
        }
        let top = tree.stack.last_mut().expect("checked above");
        let was = match top.parent.as_mut() {
            Some(p) => p.find(store, index, &name)?,
            None => None,
        };
        tree.entries += 1;
        match entry.kind {
            EntryKind::File => {
                if let Some(was) = was.filter(|w| unchanged(&w.entry, &entry) && present(index, &w.content)) {
                    let Content::File { chunk_count, .. } = was.content else {
                        unreachable!("unchanged checked the kind")
                    };
                    let item = self.current.as_mut().expect("a tree item is open");
                    item.manifest.item.size += was.entry.size;
                    item.manifest.item.chunk_count += chunk_count;
                    self.stats.original += was.entry.size;
                    self.stats.chunks += chunk_count;
                    self.stats.reused_chunks += chunk_count;
                    entry.size = was.entry.size;
                    let node = Node {
                        entry,
                        content: was.content,
                    };
                    self.add_node(store, index, tree, &node)?;
                    return Ok(Placed::Stored);
                }
                tree.file = Some(OpenFile {
                    entry,
                    size: 0,
                    chunks: 0,
                    new_chunks: 0,
                    lists: Vec::new(),
                });
                Ok(Placed::Content)
            }
            EntryKind::Dir => {
                tree.stack.push(OpenDir::new(entry, was));
                Ok(Placed::Stored)
            }
            kind => {
                entry.size = match kind {
                    EntryKind::Symlink => entry.target_bytes().map_err(protocol)?.len() as u64,
                    _ => 0,
                };
                self.add_node(
                    store,
                    index,
                    tree,
                    &Node {
                        entry,
                        content: Content::None,
                    },
                )?;
                Ok(Placed::Stored)
            }
        }
    }

    /// Closes the directory entered last, adding it to its parent (or making it the root).
    fn leave<H: Host>(&mut self, store: &Store<H>, index: &mut Index, tree: &mut TreeBuilder) -> Result<()> {
        let mut dir = tree
            .stack
            .pop()
            .ok_or_else(|| protocol("no directory of the tree is open"))?;
        if let Some(piece) = dir.writer.finish() {
            dir.pieces.push(self.store_piece(store, index, &piece)?);
        }
        let node = Node {
            entry: dir.entry,
            content: Content::Dir(dir.pieces),
        };
        if !tree.stack.is_empty() {
            return self.add_node(store, index, tree, &node);
        }
        let mut root = PieceWriter::default();
        root.push(&encode_node(&node).map_err(protocol)?);
        let piece = root.finish().expect("one entry");
        tree.root = Some(self.store_piece(store, index, &piece)?);
        Ok(())
    }

    /// Adds an entry to the open directory, storing the piece it completes.
    fn add_node<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        tree: &mut TreeBuilder,
        node: &Node,
    ) -> Result<()> {
        let bytes = encode_node(node).map_err(protocol)?;
        let dir = tree
            .stack
            .last_mut()
            .expect("entries are placed in an open directory");
        if let Some(piece) = dir.writer.push(&bytes) {
            let id = self.store_piece(store, index, &piece)?;
            tree.stack.last_mut().expect("still open").pieces.push(id);
        }
        Ok(())
    }

    fn store_piece<H: Host>(&mut self, store: &Store<H>, index: &mut Index, piece: &[u8]) -> Result<BlobId> {
        let id = store.blob_id(piece);
        self.store_blob(store, index, id, BlobKind::List, piece)?;
        Ok(id)
    }
}
