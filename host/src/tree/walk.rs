//! Reading a directory tree for a backup: depth first, each directory's entries sorted by
//! their name bytes, every entry described from `lstat` (docs/DESIGN.md §23). The file
//! system side ([`super::scan`]) runs on this thread in step with the sink, or on a
//! thread of its own ahead of it ([`WalkOptions::read_ahead`]); either way the sink sees
//! the same calls.

use std::os::fd::AsFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use cairn_core::ops::TreeEntryAnswer;
use cairn_core::tree::{Entry, EntryKind};
use rustix::fs::{fstat, openat, Mode, OFlags, CWD};

use super::content;
use super::scan::{self, Counted, Feed, Item, ScanOptions, Scanned};
use super::TreeError;
use crate::error::CliError;

/// Bytes of file content read and handed to [`TreeSink::write`] at a time at most.
pub const BLOCK: usize = 1 << 20;

/// What the walker feeds, entry by entry (the CLI implements it over the engine's tree ops).
pub trait TreeSink {
    /// An entry, in walk order. The first call is the root directory itself. After a
    /// `Dir` entry come its entries, then a matching [`leave`](TreeSink::leave). The
    /// answer is the engine's (`tree_entry`): `content` when it wants a regular file's
    /// bytes (not when the file is unchanged since the parent snapshot), which the walker
    /// then streams with [`write`](TreeSink::write) before the next call; `excluded` when
    /// an exclude pattern leaves the entry out, which the walker then neither reads nor
    /// enters (and so does not leave).
    fn entry(&mut self, path: &Path, entry: &Entry) -> Result<TreeEntryAnswer, CliError>;
    /// The next bytes of the file just given, at most [`BLOCK`] at a time.
    fn write(&mut self, data: &[u8]) -> Result<(), CliError>;
    /// Something went wrong with the entry just given (vanished, changed while read,
    /// unreadable): `drop` true means leave it out of the snapshot. Also called, with
    /// `drop` true, for a listed path that could not be described at all (gone or
    /// unreadable before its `lstat`): no entry was given for it, there is nothing to drop,
    /// and only the report is left.
    fn problem(&mut self, path: &Path, message: &str, drop: bool) -> Result<(), CliError>;
    /// The directory entered last is complete.
    fn leave(&mut self) -> Result<(), CliError>;
}

/// How to walk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Do not descend into directories on another device than the root's (the mount
    /// point itself is still recorded, empty).
    pub one_file_system: bool,
    /// Record only the `CACHEDIR.TAG` of a directory that holds a valid one, not the rest
    /// of its contents.
    pub exclude_caches: bool,
    /// Read the tree on a thread of its own, ahead of the sink: directories listed and
    /// entries described before the sink takes them, and small files read ahead while
    /// the sink keeps asking for files' content. Without it, every file is read only once
    /// the sink has asked for it, in step.
    pub read_ahead: bool,
    /// The sink may exclude entries: reading ahead then waits for its answer before
    /// entering a directory, so an excluded one is never read.
    pub excludes: bool,
}

/// What a walk saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Regular-file entries given to the sink.
    pub files: u64,
    /// Directory entries given to the sink, the root included.
    pub dirs: u64,
    /// Other entries given to the sink: links, pipes, devices.
    pub others: u64,
    /// File bytes read and handed to [`TreeSink::write`].
    pub bytes_read: u64,
    /// Calls of [`TreeSink::problem`].
    pub problems: u64,
    /// Sockets met and left out (trees hold no sockets; no entry, no problem is given).
    pub sockets: u64,
    /// Entries the sink excluded.
    pub excluded: u64,
    /// Directories whose contents were left out for a `CACHEDIR.TAG`.
    pub caches: u64,
    /// Directories not entered because they are on another device (`one_file_system`).
    pub mount_points: u64,
    /// Files read ahead that the sink then did not ask for: reading ahead guessed wrong
    /// and read them for nothing.
    pub unasked: u64,
}

/// Items read ahead and not yet taken, in batches, at most.
const BATCHES_AHEAD: usize = 4;
/// A batch is sent once it holds this many items, or [`BATCH_BYTES`] of content.
const BATCH_ITEMS: usize = 64;
/// Content bytes that close a batch.
const BATCH_BYTES: usize = 1 << 20;
/// How many of the sink's answers in a row (with content asked for or not) switch
/// reading files ahead on or off.
const AHEAD_SWITCH: i32 = 8;

/// Walks the tree at `root` into `sink` (see [`TreeSink`] for the order of calls).
///
/// `root` itself is followed if it is a symbolic link to a directory (the user named it);
/// nothing below it ever is. It must be a directory. Fails only when the root cannot be
/// read or when the sink fails; every problem with an entry below it goes to
/// [`TreeSink::problem`] and the walk goes on.
pub fn walk(root: &Path, options: &WalkOptions, sink: &mut dyn TreeSink) -> Result<WalkSummary, CliError> {
    let read = |source: rustix::io::Errno| TreeError::Read {
        path: root.to_path_buf(),
        source: source.into(),
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match openat(CWD, root, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::NOTDIR) => {
            return Err(TreeError::NotADirectory {
                path: root.to_path_buf(),
            }
            .into())
        }
        Err(e) => return Err(read(e).into()),
    };
    let st = fstat(&fd).map_err(read)?;
    let scan_options = ScanOptions {
        one_file_system: options.one_file_system,
        exclude_caches: options.exclude_caches,
    };
    let mut replay = Replay::new(sink);
    if !options.read_ahead {
        scan::scan(root, fd, &st, scan_options, &mut InStep(&mut replay))?;
        return Ok(replay.summary);
    }
    let ahead = Arc::new(AtomicBool::new(true));
    let (items, batches) = sync_channel::<Vec<Item>>(BATCHES_AHEAD);
    let (answer_tx, answers) = sync_channel::<bool>(1);
    std::thread::scope(|scope| {
        let mut feed = Ahead {
            items,
            answers,
            batch: Vec::new(),
            batch_bytes: 0,
            ahead: ahead.clone(),
            awaits_dirs: options.excludes,
        };
        let scanner = std::thread::Builder::new()
            .name("cairn-walk".into())
            .spawn_scoped(scope, move || {
                let r = scan::scan(root, fd, &st, scan_options, &mut feed);
                r.and_then(|()| feed.flush())
            })
            .map_err(|e| CliError::Protocol(format!("cannot start the tree's reading thread: {e}")))?;
        let r = replay.take_all(&batches, &answer_tx, &ahead);
        // Unblock a scanner still sending (the sink failed) before waiting for it.
        drop(batches);
        drop(answer_tx);
        let scanned = scanner
            .join()
            .unwrap_or_else(|_| Err(CliError::Protocol("the tree's reading thread panicked".into())));
        // The sink's error is the one to report; the scanner then only saw the end.
        r.and(scanned.or_else(|e| if replay.stopped { Ok(()) } else { Err(e) }))
    })?;
    Ok(replay.summary)
}

/// The scanner in step with the sink: each item goes to it at once.
struct InStep<'r, 's>(&'r mut Replay<'s>);

impl Feed for InStep<'_, '_> {
    fn item(&mut self, item: Item) -> Result<bool, CliError> {
        self.0.take(item)
    }
    fn read_ahead(&self) -> bool {
        false
    }
    fn awaits_dirs(&self) -> bool {
        true
    }
}

/// The scanner on a thread of its own: items go in batches through a bounded channel.
struct Ahead {
    items: SyncSender<Vec<Item>>,
    answers: Receiver<bool>,
    batch: Vec<Item>,
    batch_bytes: usize,
    ahead: Arc<AtomicBool>,
    awaits_dirs: bool,
}

impl Ahead {
    fn flush(&mut self) -> Result<(), CliError> {
        self.batch_bytes = 0;
        if self.batch.is_empty() {
            return Ok(());
        }
        self.items
            .send(std::mem::take(&mut self.batch))
            .map_err(|_| stopped())
    }
}

/// What the scanner sees when the walk stopped without it (the sink failed).
fn stopped() -> CliError {
    CliError::Protocol("the walk stopped".into())
}

impl Feed for Ahead {
    fn item(&mut self, item: Item) -> Result<bool, CliError> {
        let awaits = matches!(&item, Item::Entry(s) if s.awaits_answer);
        if let Item::Entry(s) = &item {
            self.batch_bytes += s.content.as_ref().map_or(0, |c| c.bytes.len());
        }
        self.batch.push(item);
        if awaits || self.batch.len() >= BATCH_ITEMS || self.batch_bytes >= BATCH_BYTES {
            self.flush()?;
        }
        if !awaits {
            return Ok(true);
        }
        self.answers.recv().map_err(|_| stopped())
    }
    fn read_ahead(&self) -> bool {
        self.ahead.load(Ordering::Relaxed)
    }
    fn awaits_dirs(&self) -> bool {
        self.awaits_dirs
    }
}

/// Gives the scanner's items to the sink: the sink's answers decide which files are read
/// (those not read ahead are read now) and which directories are skipped.
struct Replay<'s> {
    sink: &'s mut dyn TreeSink,
    summary: WalkSummary,
    /// Inside a directory the sink excluded (its items came anyway): how deep.
    skipping: usize,
    /// The sink's recent answers for files: positive when it mostly asks for content.
    wants: i32,
    buf: Vec<u8>,
    started: bool,
    /// The sink failed: the walk is over.
    stopped: bool,
}

impl<'s> Replay<'s> {
    fn new(sink: &'s mut dyn TreeSink) -> Self {
        Replay {
            sink,
            summary: WalkSummary::default(),
            skipping: 0,
            wants: AHEAD_SWITCH,
            buf: Vec::new(),
            started: false,
            stopped: false,
        }
    }

    /// Takes batches until the scanner is done, answering those that wait.
    fn take_all(
        &mut self,
        batches: &Receiver<Vec<Item>>,
        answers: &SyncSender<bool>,
        ahead: &AtomicBool,
    ) -> Result<(), CliError> {
        for batch in batches {
            for item in batch {
                let awaits = matches!(&item, Item::Entry(s) if s.awaits_answer);
                let r = self.take(item);
                self.stopped = r.is_err();
                let enter = r?;
                if awaits && answers.send(enter).is_err() {
                    return Ok(());
                }
            }
            ahead.store(self.wants > 0, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Gives one item to the sink; for a directory, answers whether to enter it.
    fn take(&mut self, item: Item) -> Result<bool, CliError> {
        if self.skipping > 0 {
            match item {
                Item::Entry(s) if s.entry.kind == EntryKind::Dir && !s.awaits_answer => self.skipping += 1,
                Item::Leave => self.skipping -= 1,
                _ => {}
            }
            return Ok(false);
        }
        match item {
            Item::Entry(s) => self.entry(*s),
            Item::Problem(path, message, drop) => {
                self.summary.problems += 1;
                self.sink.problem(&path, &message, drop).map(|()| true)
            }
            Item::Leave => self.sink.leave().map(|()| true),
            Item::Count(c) => {
                match c {
                    Counted::Socket => self.summary.sockets += 1,
                    Counted::Cache => self.summary.caches += 1,
                    Counted::MountPoint => self.summary.mount_points += 1,
                }
                Ok(true)
            }
        }
    }

    fn entry(&mut self, s: Scanned) -> Result<bool, CliError> {
        let answer = self.sink.entry(&s.path, &s.entry)?;
        let root = !std::mem::replace(&mut self.started, true);
        if s.content.is_some() && (answer.excluded || !answer.content) {
            self.summary.unasked += 1;
        }
        if answer.excluded && !root {
            self.summary.excluded += 1;
            if s.entry.kind == EntryKind::Dir && !s.awaits_answer {
                self.skipping = 1;
            }
            return Ok(false);
        }
        match s.entry.kind {
            EntryKind::File => self.summary.files += 1,
            EntryKind::Dir => self.summary.dirs += 1,
            _ => self.summary.others += 1,
        }
        if let Some(note) = &s.note {
            self.summary.problems += 1;
            self.sink.problem(&s.path, note, false)?;
        }
        if s.entry.kind == EntryKind::File {
            self.wants =
                (self.wants + if answer.content { 1 } else { -1 }).clamp(-AHEAD_SWITCH, AHEAD_SWITCH);
        }
        if !answer.content || s.entry.kind != EntryKind::File {
            return Ok(true);
        }
        let problem = match (s.content, s.file) {
            (Some(fetched), _) => {
                for block in fetched.bytes.chunks(BLOCK) {
                    self.summary.bytes_read += block.len() as u64;
                    self.sink.write(block)?;
                }
                fetched.problem
            }
            (None, Some(at)) => {
                let (sink, summary) = (&mut *self.sink, &mut self.summary);
                content::stream(at.dir.as_fd(), &at.name, at.seen, &mut self.buf, &mut |b| {
                    summary.bytes_read += b.len() as u64;
                    sink.write(b)
                })?
            }
            (None, None) => None,
        };
        if let Some((message, drop)) = problem {
            self.summary.problems += 1;
            self.sink.problem(&s.path, &message, drop)?;
        }
        Ok(true)
    }
}
