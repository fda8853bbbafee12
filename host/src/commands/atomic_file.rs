//! A restore's output file: written under a temp name beside its target, made durable and
//! renamed into place only when complete, so that a failed restore leaves no half-written
//! file and a finished one survives a crash (docs/DESIGN.md §26).
//!
//! The final `fsync` waits for every byte not yet on disk. So that it does not wait for
//! the whole file, a flusher thread starts writing it out while it grows: every
//! [`FLUSH_EVERY`] bytes it is asked for an `fdatasync`, which runs beside the restore
//! (one at a time; a request while one runs is dropped, the next covers it). The final
//! `fsync` before the rename is still made, and a flush that failed fails the restore
//! (docs/DESIGN.md §32).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::thread::{self, JoinHandle};

use crate::error::{CliError, Result};

/// Bytes written between two flushes started behind the writer.
pub const FLUSH_EVERY: u64 = 32 << 20;

/// The thread that flushes the file as it grows, and how to ask it.
struct Flusher {
    tx: SyncSender<()>,
    /// Ends when asked to stop; the first flush that failed, if one did.
    thread: JoinHandle<io::Result<()>>,
}

impl Flusher {
    /// Starts a flusher on a second handle of `file`; `None` if the handle or the thread
    /// cannot be had (the final `fsync` then does all the work, as before).
    fn start(file: &File) -> Option<Flusher> {
        let file = file.try_clone().ok()?;
        let (tx, rx) = sync_channel::<()>(1);
        let thread = thread::Builder::new()
            .name("cairn-flush".into())
            .spawn(move || {
                for () in rx {
                    file.sync_data()?;
                }
                Ok(())
            })
            .ok()?;
        Some(Flusher { tx, thread })
    }

    /// Waits for the flush under way, if any; its error.
    fn stop(self) -> io::Result<()> {
        drop(self.tx);
        self.thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the flusher thread panicked")))
    }
}

/// A file written under a temp name beside its target and renamed into place only when
/// complete (see the module docs). A target that exists and is not a regular file
/// (`/dev/null`, a named pipe, a terminal) is written to directly: renaming over it would
/// replace the device or pipe itself.
pub(super) struct AtomicFile {
    file: File,
    /// The temp file, for a regular target.
    temp: Option<PathBuf>,
    target: PathBuf,
    committed: bool,
    /// Started once [`FLUSH_EVERY`] bytes were written to a temp file.
    flusher: Option<Flusher>,
    /// Bytes written since the last flush was asked for.
    unflushed: u64,
}

impl AtomicFile {
    /// Opens the temp file beside `target` (or `target` itself, when special).
    pub(super) fn create(target: &Path) -> Result<AtomicFile> {
        let open_error = |source| CliError::WriteOutput {
            path: target.to_path_buf(),
            source,
        };
        let special = std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir());
        let (file, temp) = if special {
            let file = OpenOptions::new().write(true).open(target).map_err(open_error)?;
            (file, None)
        } else {
            let dir = target
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = target
                .file_name()
                .map_or_else(|| "restore".into(), |n| n.to_string_lossy().into_owned());
            let temp = dir.join(format!(".{name}.cairn-{}.tmp", std::process::id()));
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)
                .map_err(open_error)?;
            (file, Some(temp))
        };
        Ok(AtomicFile {
            file,
            temp,
            target: target.to_path_buf(),
            committed: false,
            flusher: None,
            unflushed: 0,
        })
    }

    /// Makes the complete file durable and renames it into place.
    pub(super) fn commit(mut self) -> Result<()> {
        let write_error = |source| CliError::WriteOutput {
            path: self.target.clone(),
            source,
        };
        if let Some(flusher) = self.flusher.take() {
            flusher.stop().map_err(write_error)?;
        }
        if let Some(temp) = &self.temp {
            self.file.sync_all().map_err(write_error)?;
            std::fs::rename(temp, &self.target).map_err(write_error)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.unflushed += n as u64;
        if self.unflushed >= FLUSH_EVERY && self.temp.is_some() {
            self.unflushed = 0;
            if self.flusher.is_none() {
                self.flusher = Flusher::start(&self.file);
            }
            if let Some(f) = &self.flusher {
                match f.tx.try_send(()) {
                    // A flush is under way or asked for: it or the next covers these bytes.
                    Ok(()) | Err(TrySendError::Full(())) => {}
                    // The flusher stopped on an error: the commit reports it.
                    Err(TrySendError::Disconnected(())) => {}
                }
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.stop();
        }
        if let (false, Some(temp)) = (self.committed, &self.temp) {
            let _ = std::fs::remove_file(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_flushed_as_it_grows_and_appears_whole_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let mut out = AtomicFile::create(&target).unwrap();
        let block = vec![7u8; 1 << 20];
        for _ in 0..(FLUSH_EVERY >> 20) * 2 + 1 {
            out.write_all(&block).unwrap();
        }
        assert!(out.flusher.is_some(), "a flusher started");
        assert!(!target.exists(), "nothing at the target before the commit");
        out.commit().unwrap();
        assert_eq!(
            std::fs::metadata(&target).unwrap().len(),
            (FLUSH_EVERY * 2) + (1 << 20)
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn an_abandoned_file_leaves_nothing_and_a_special_target_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let mut out = AtomicFile::create(&target).unwrap();
        out.write_all(&vec![1u8; (FLUSH_EVERY + 1) as usize]).unwrap();
        drop(out);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut null = AtomicFile::create(Path::new("/dev/null")).unwrap();
        null.write_all(&vec![1u8; (FLUSH_EVERY + 1) as usize]).unwrap();
        assert!(null.flusher.is_none(), "a device is not flushed");
        null.commit().unwrap();
    }
}
