//! The import side of copy: a snapshot stream ([`super`]) written in blocks of any size
//! becomes snapshots of this repository, each through an ordinary ingest session: the
//! destination's chunker, keys and deduplication decide what is stored. Each snapshot
//! keeps its header's creation time, tags, host, user and warnings, and records the
//! source's `original`. A snapshot is written when its end frame arrives and agrees
//! with what came; a stream cut short leaves no partial snapshot.

use super::{
    bad_stream, Copied, Frame, StreamEnd, StreamHeader, StreamItem, FRAME_HEAD, MAX_DATA_FRAME,
    MAX_JSON_FRAME, STREAM_MAGIC,
};
use crate::error::Result;
use crate::host::Host;
use crate::ids::SnapshotId;
use crate::index::Index;
use crate::ingest::{IngestSession, Origin, Placed};
use crate::manifest::SnapshotItem;
use crate::store::Store;
use crate::tree::pattern::Excludes;
use crate::tree::Entry;

/// Where the reader is in the stream.
#[derive(Default)]
enum Parse {
    /// Reading the magic.
    #[default]
    Magic,
    /// Reading a frame's head (between snapshots: after the magic, or an end frame).
    Head,
    /// Reading a JSON frame's payload, `left` bytes to go.
    Json { kind: Frame, left: u32 },
    /// Passing a data frame's payload on, `left` bytes to go.
    Data { left: u32 },
}

/// An import in progress (`default()`: one that has read nothing yet).
#[derive(Default)]
pub struct ImportSession {
    /// The ingest of the current snapshot, begun at its header (which carries what it
    /// records), and the source's id.
    ingest: Option<(IngestSession, SnapshotId)>,
    /// The snapshots written so far.
    done: Vec<Copied>,
    parse: Parse,
    buf: Vec<u8>,
    /// Whether the data frames now coming are wanted: false after an entry that is not a
    /// file waiting for its bytes.
    wanted: bool,
    items: u64,
    bytes: u64,
}

impl ImportSession {
    /// Reads the next bytes of the stream, storing what they hold.
    pub fn write<H: Host>(&mut self, store: &Store<H>, index: &mut Index, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            match self.parse {
                Parse::Data { left } => {
                    let n = data.len().min(left as usize);
                    self.bytes += n as u64;
                    if !self.wanted {
                        return Err(bad_stream("data where no item or file takes it"));
                    }
                    self.ingest()?.write(store, index, &data[..n])?;
                    data = &data[n..];
                    self.parse = match left as usize - n {
                        0 => Parse::Head,
                        rest => Parse::Data { left: rest as u32 },
                    };
                }
                Parse::Magic | Parse::Head | Parse::Json { .. } => {
                    let need = match self.parse {
                        Parse::Magic => STREAM_MAGIC.len(),
                        Parse::Head => FRAME_HEAD,
                        Parse::Json { left, .. } => left as usize,
                        _ => unreachable!("matched above"),
                    };
                    let n = (need - self.buf.len()).min(data.len());
                    self.buf.extend_from_slice(&data[..n]);
                    data = &data[n..];
                    if self.buf.len() == need {
                        let whole = std::mem::take(&mut self.buf);
                        self.complete(store, index, &whole)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A magic, frame head or JSON payload has arrived whole.
    fn complete<H: Host>(&mut self, store: &Store<H>, index: &mut Index, bytes: &[u8]) -> Result<()> {
        self.parse = match self.parse {
            Parse::Magic if bytes == STREAM_MAGIC => Parse::Head,
            Parse::Magic => return Err(bad_stream("it does not begin with CAIRNSS1")),
            Parse::Head => {
                let kind =
                    Frame::of(bytes[0]).ok_or_else(|| bad_stream(format!("frame kind {}", bytes[0])))?;
                let len = u32::from_le_bytes(bytes[1..5].try_into().expect("4 bytes"));
                match kind {
                    Frame::Data if len > MAX_DATA_FRAME => {
                        return Err(bad_stream("a data frame over 16 MiB"))
                    }
                    Frame::Data if len == 0 => Parse::Head,
                    Frame::Data => Parse::Data { left: len },
                    _ if len > MAX_JSON_FRAME => return Err(bad_stream("a frame over its bound")),
                    Frame::Leave if len == 0 => {
                        self.wanted = false;
                        self.ingest()?.tree_leave(store, index)?;
                        Parse::Head
                    }
                    Frame::Leave => return Err(bad_stream("a leave frame with a payload")),
                    _ if len == 0 => return Err(bad_stream("an empty frame")),
                    _ => Parse::Json { kind, left: len },
                }
            }
            Parse::Json { kind, .. } => {
                self.json(store, index, kind, bytes)?;
                Parse::Head
            }
            Parse::Data { .. } => unreachable!("no whole frame to complete"),
        };
        Ok(())
    }

    fn json<H: Host>(
        &mut self,
        store: &Store<H>,
        index: &mut Index,
        kind: Frame,
        bytes: &[u8],
    ) -> Result<()> {
        fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
            serde_json::from_slice(bytes).map_err(bad_stream)
        }
        let started = self.ingest.is_some();
        match (kind, started) {
            (Frame::Header, false) => {
                let h: StreamHeader = parse(bytes)?;
                let origin = Origin {
                    host: h.host,
                    user: h.user,
                    created_at: Some(h.created_at),
                    original: Some(h.original),
                    warnings: h.warnings,
                };
                let ingest = IngestSession::begin(store, index, h.tags, Some(h.size), origin)?;
                (self.items, self.bytes) = (0, 0);
                self.ingest = Some((ingest, h.source));
            }
            (Frame::Header, true) => {
                return Err(bad_stream("a header before the end of the snapshot before"))
            }
            (_, false) => return Err(bad_stream("a frame outside a snapshot (before its header)")),
            (Frame::Item | Frame::Tree, true) => {
                let i: StreamItem = parse(bytes)?;
                self.items += 1;
                self.wanted = kind == Frame::Item;
                let ingest = self.ingest()?;
                match kind {
                    Frame::Item => ingest.item(store, index, i.name, i.kind, i.path)?,
                    _ => {
                        let item = SnapshotItem::named(i.name, i.kind, i.path);
                        ingest.tree(store, index, item, None, Excludes::default())?
                    }
                }
            }
            (Frame::Entry, true) => {
                let entry: Entry = parse(bytes)?;
                self.wanted = self.ingest()?.tree_entry(store, index, entry)? == Placed::Content;
            }
            (Frame::End, true) => {
                let end: StreamEnd = parse(bytes)?;
                if (end.items, end.bytes) != (self.items, self.bytes) {
                    return Err(bad_stream(format!(
                        "a snapshot held {} items and {} bytes where its end says {} and {}",
                        self.items, self.bytes, end.items, end.bytes
                    )));
                }
                let (ingest, from) = self.ingest.take().expect("started");
                let to = ingest.finish(store, index)?.id;
                self.done.push(Copied { from, to });
            }
            (Frame::Leave | Frame::Data, true) => unreachable!("not JSON frames"),
        }
        Ok(())
    }

    fn ingest(&mut self) -> Result<&mut IngestSession> {
        match self.ingest.as_mut() {
            Some((i, _)) => Ok(i),
            None => Err(bad_stream("a frame outside a snapshot (before its header)")),
        }
    }

    /// Ends the import once the whole stream has arrived; answers the snapshots written.
    pub fn finish<H: Host>(mut self, store: &Store<H>) -> Result<Vec<Copied>> {
        let whole = matches!(self.parse, Parse::Head) && self.ingest.is_none();
        self.abort_current(store)?;
        match whole {
            true => Ok(self.done),
            false => Err(bad_stream(
                "it ended in the middle of a snapshot, which was not written",
            )),
        }
    }

    /// Abandons the import: the snapshot being imported is not written and its lock is
    /// released (packs written stay until prune); snapshots completed before stay.
    pub fn abort<H: Host>(mut self, store: &Store<H>) -> Result<()> {
        self.abort_current(store)
    }

    fn abort_current<H: Host>(&mut self, store: &Store<H>) -> Result<()> {
        match self.ingest.take() {
            Some((i, _)) => i.abort(store),
            None => Ok(()),
        }
    }
}
