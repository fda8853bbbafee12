//! The byte encoding of tree pieces (docs/FORMAT.md §9b). Every integer is little-endian;
//! every length is checked against the bytes that remain before anything is allocated, so
//! a hostile piece costs no more memory than its own size.

use super::{
    check_name, text_of, Chunks, Content, Entry, EntryKind, Node, Xattr, INLINE_MAX_CHUNKS,
    PIECE_MAX_ENTRIES, PIECE_TARGET_BYTES, TREE_VERSION,
};
use crate::ids::BlobId;

/// Chunk-list form byte of a file entry: the chunks follow inline.
const FORM_INLINE: u8 = 0;
/// Chunk-list form byte of a file entry: chunk-list blob ids follow.
const FORM_LISTS: u8 = 1;

/// Encodes one entry and its content as a piece holds it.
pub fn encode_node(node: &Node) -> Result<Vec<u8>, String> {
    let e = &node.entry;
    e.check()?;
    let name = e.name_bytes()?;
    let mut out = Vec::with_capacity(96 + name.len());
    out.push(e.kind as u8);
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&name);
    for v in [e.mode, e.uid, e.gid] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for s in [&e.user, &e.group] {
        out.push(s.len() as u8);
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(&e.mtime.to_le_bytes());
    out.extend_from_slice(&e.mtime_ns.to_le_bytes());
    out.extend_from_slice(&e.ctime.to_le_bytes());
    out.extend_from_slice(&e.ctime_ns.to_le_bytes());
    out.extend_from_slice(&e.dev.to_le_bytes());
    out.extend_from_slice(&e.inode.to_le_bytes());
    out.extend_from_slice(&e.links.to_le_bytes());
    out.extend_from_slice(&e.size.to_le_bytes());
    out.extend_from_slice(&e.rdev.to_le_bytes());
    out.extend_from_slice(&(e.xattrs.len() as u16).to_le_bytes());
    for x in &e.xattrs {
        let value = hex::decode(&x.value_hex).map_err(|_| "xattr value is not hex".to_string())?;
        out.push(x.name.len() as u8);
        out.extend_from_slice(x.name.as_bytes());
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(&value);
    }
    match (&node.content, e.kind) {
        (Content::File { chunk_count, chunks }, EntryKind::File) => {
            out.extend_from_slice(&chunk_count.to_le_bytes());
            match chunks {
                Chunks::Inline(entries) if entries.len() <= INLINE_MAX_CHUNKS => {
                    out.push(FORM_INLINE);
                    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
                    out.extend_from_slice(&crate::manifest::encode_list(entries));
                }
                Chunks::Inline(_) => return Err(format!("more than {INLINE_MAX_CHUNKS} inline chunks")),
                Chunks::Lists(ids) => {
                    out.push(FORM_LISTS);
                    put_ids(&mut out, ids);
                }
            }
        }
        (Content::Dir(pieces), EntryKind::Dir) => put_ids(&mut out, pieces),
        (Content::None, EntryKind::Symlink) => {
            let target = e.target_bytes()?;
            out.extend_from_slice(&(target.len() as u32).to_le_bytes());
            out.extend_from_slice(&target);
        }
        (Content::None, EntryKind::Fifo | EntryKind::Char | EntryKind::Block) => {}
        _ => return Err(format!("a {:?} entry with the content of another kind", e.kind)),
    }
    Ok(out)
}

fn put_ids(out: &mut Vec<u8>, ids: &[BlobId]) {
    out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
    for id in ids {
        out.extend_from_slice(id.as_bytes());
    }
}

/// Cuts a directory's encoded entries into pieces of at most [`PIECE_MAX_ENTRIES`]
/// entries, starting a new piece once one reaches [`PIECE_TARGET_BYTES`].
#[derive(Debug, Default)]
pub struct PieceWriter {
    body: Vec<u8>,
    count: u32,
}

impl PieceWriter {
    /// Adds an encoded entry; answers the plaintext of the piece it completed, if any.
    pub fn push(&mut self, encoded: &[u8]) -> Option<Vec<u8>> {
        let full = self.count as usize == PIECE_MAX_ENTRIES
            || (self.count > 0 && self.body.len() + encoded.len() > PIECE_TARGET_BYTES);
        let done = if full { self.finish() } else { None };
        self.body.extend_from_slice(encoded);
        self.count += 1;
        done
    }

    /// The plaintext of the piece being filled, if it holds any entry.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let mut out = Vec::with_capacity(5 + self.body.len());
        out.push(TREE_VERSION);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.append(&mut self.body);
        self.count = 0;
        Some(out)
    }
}

/// Reads a piece's bytes in order, refusing to read past their end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.0.len() {
            return Err("the piece ends in the middle of an entry".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        self.array().map(u16::from_le_bytes)
    }
    fn u32(&mut self) -> Result<u32, String> {
        self.array().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, String> {
        self.array().map(u64::from_le_bytes)
    }
    fn i64(&mut self) -> Result<i64, String> {
        self.array().map(i64::from_le_bytes)
    }
    fn text(&mut self, n: usize) -> Result<String, String> {
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| "an owner or attribute name is not UTF-8".into())
    }
    fn ids(&mut self) -> Result<Vec<BlobId>, String> {
        let n = self.u32()? as usize;
        let bytes = self.take(n.checked_mul(32).ok_or("too many ids")?)?;
        Ok(bytes
            .chunks_exact(32)
            .map(|b| BlobId::new(b.try_into().expect("32")))
            .collect())
    }
}

fn decode_node(r: &mut Reader) -> Result<Node, String> {
    let kind = r.u8()?;
    let kind = EntryKind::from_byte(kind).ok_or_else(|| format!("unknown entry kind {kind}"))?;
    let n = r.u16()? as usize;
    let name = r.take(n)?;
    check_name(name)?;
    let (name, name_hex) = text_of(name);
    let (mode, uid, gid) = (r.u32()?, r.u32()?, r.u32()?);
    let n = r.u8()? as usize;
    let user = r.text(n)?;
    let n = r.u8()? as usize;
    let group = r.text(n)?;
    let (mtime, mtime_ns, ctime, ctime_ns) = (r.i64()?, r.u32()?, r.i64()?, r.u32()?);
    let (dev, inode, links, size, rdev) = (r.u64()?, r.u64()?, r.u32()?, r.u64()?, r.u64()?);
    let count = r.u16()? as usize;
    let mut xattrs = Vec::with_capacity(count.min(r.0.len() / 6));
    for _ in 0..count {
        let n = r.u8()? as usize;
        let name = r.text(n)?;
        let n = r.u32()? as usize;
        xattrs.push(Xattr {
            name,
            value_hex: hex::encode(r.take(n)?),
        });
    }
    let mut entry = Entry {
        name,
        name_hex,
        kind,
        mode,
        uid,
        gid,
        user,
        group,
        mtime,
        mtime_ns,
        ctime,
        ctime_ns,
        dev,
        inode,
        links,
        size,
        target: None,
        target_hex: None,
        rdev,
        xattrs,
    };
    let content = match kind {
        EntryKind::File => {
            let chunk_count = r.u64()?;
            let chunks = match r.u8()? {
                FORM_INLINE => {
                    let n = r.u16()? as usize;
                    if n > INLINE_MAX_CHUNKS {
                        return Err(format!("{n} inline chunks, more than {INLINE_MAX_CHUNKS}"));
                    }
                    let bytes = r.take(n * crate::manifest::LIST_ENTRY_LEN)?;
                    Chunks::Inline(crate::manifest::decode_list(bytes)?)
                }
                FORM_LISTS => Chunks::Lists(r.ids()?),
                other => return Err(format!("unknown chunk-list form {other}")),
            };
            Content::File { chunk_count, chunks }
        }
        EntryKind::Dir => Content::Dir(r.ids()?),
        EntryKind::Symlink => {
            let n = r.u32()? as usize;
            let (target, target_hex) = text_of(r.take(n)?);
            entry.target = Some(target);
            entry.target_hex = target_hex;
            Content::None
        }
        EntryKind::Fifo | EntryKind::Char | EntryKind::Block => Content::None,
    };
    entry.check()?;
    Ok(Node { entry, content })
}

/// Decodes a piece: its version, its entries (each checked, names strictly increasing)
/// and nothing after them.
pub fn decode_piece(bytes: &[u8]) -> Result<Vec<Node>, String> {
    let mut r = Reader(bytes);
    let version = r.u8()?;
    if version != TREE_VERSION {
        return Err(format!(
            "tree piece version {version}, this reader knows {TREE_VERSION}"
        ));
    }
    let count = r.u32()? as usize;
    if count == 0 || count > PIECE_MAX_ENTRIES {
        return Err(format!(
            "a piece of {count} entries, outside 1 to {PIECE_MAX_ENTRIES}"
        ));
    }
    let mut nodes: Vec<Node> = Vec::with_capacity(count.min(bytes.len() / 64));
    let mut last: Option<Vec<u8>> = None;
    for _ in 0..count {
        let node = decode_node(&mut r)?;
        let name = node.entry.name_bytes()?;
        if last.as_ref().is_some_and(|l| *l >= name) {
            return Err("the piece's names are not in strictly increasing byte order".into());
        }
        last = Some(name);
        nodes.push(node);
    }
    if !r.0.is_empty() {
        return Err(format!("{} bytes after the piece's last entry", r.0.len()));
    }
    Ok(nodes)
}
