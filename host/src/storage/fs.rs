//! Repository storage on the local file system (docs/DESIGN.md §2).
//!
//! Keys are repository-relative paths from the grammar of [`cairn_core::layout`]; every
//! key and prefix is checked against it before any file is touched. Writes are atomic and
//! durable: content goes to a temp file in the target directory, which is fsynced and then
//! renamed (`put`) or hard-linked (`put_new`) into place, and the directory is fsynced.
//! Temp file names start with `.`, so they are outside the grammar and never listed.
//!
//! Symbolic links inside the repository (below its root) are refused unless the storage
//! is told to follow them ([`FsStorage::following_links`], the CLI's `--follow-symlinks`),
//! so nothing is read or written outside the repository's directory by surprise
//! (docs/DESIGN.md §21).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use cairn_core::host::{Storage, StorageError};
use cairn_core::layout;

/// How deep the grammar's keys go (`packs/data/ab/<id>.pack`): listing descends no further.
const MAX_DEPTH: usize = 3;

/// Makes temp names unique within this process; the pid makes them unique across processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The process id in the name of a temp file of [`FsStorage`] (`.NAME.tmp-PID-N`), which
/// a write leaves behind only when its process is killed; `None` for any other name.
pub fn temp_owner(file_name: &str) -> Option<u32> {
    let (_, tail) = file_name.strip_prefix('.')?.rsplit_once(".tmp-")?;
    let (pid, n) = tail.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then(|| pid.parse().ok()).flatten()
}

/// [`Storage`] on a directory: the repository's root.
#[derive(Debug, Clone)]
pub struct FsStorage {
    root: PathBuf,
    follow_links: bool,
}

fn io_error(e: io::Error) -> StorageError {
    match e.kind() {
        io::ErrorKind::NotFound => StorageError::NotFound,
        io::ErrorKind::AlreadyExists => StorageError::AlreadyExists,
        _ => StorageError::Io(e.to_string()),
    }
}

/// An error on a step where "not found" would be misleading (a temp file, a directory).
fn other_error(e: io::Error) -> StorageError {
    StorageError::Io(e.to_string())
}

/// Why a symbolic link inside the repository is not followed, and how to follow it.
fn link_refused(path: &Path) -> String {
    format!(
        "{} is a symbolic link inside the repository, which Cairn does not follow: replace it by the directory or file, or give --follow-symlinks",
        path.display()
    )
}

/// Makes a directory's entries (a rename, a new link, a removal) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened for fsync on this platform; the rename is already atomic.
        let _ = dir;
        Ok(())
    }
}

/// Removes a temp file when dropped, unless it was already moved into place.
struct TempFile {
    path: PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl FsStorage {
    /// Storage rooted at `root`, the repository directory. Nothing is touched until used.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsStorage {
            root: root.into(),
            follow_links: false,
        }
    }

    /// The same storage, following symbolic links inside the repository when `yes` (for
    /// a `packs` directory on another disk) instead of refusing them.
    pub fn following_links(self, yes: bool) -> Self {
        FsStorage {
            follow_links: yes,
            ..self
        }
    }

    /// Fails when `path` or a directory on the way to it below the root is a symbolic
    /// link, unless links are followed.
    fn check_links(&self, path: &Path) -> Result<(), StorageError> {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return Ok(());
        };
        if self.follow_links {
            return Ok(());
        }
        let mut at = self.root.clone();
        for part in rel.components() {
            at.push(part);
            match fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => return Err(StorageError::Io(link_refused(&at))),
                Ok(_) => {}
                Err(_) => break, // nothing further exists; the operation itself says why
            }
        }
        Ok(())
    }

    /// The repository directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        if layout::validate_key(key) {
            let path = self.root.join(key);
            self.check_links(&path)?;
            Ok(path)
        } else {
            Err(StorageError::InvalidKey)
        }
    }

    /// Creates `dir` and its missing ancestors below the root, fsyncing each parent whose
    /// entries changed so that the new directories survive a crash.
    fn ensure_dir(&self, dir: &Path) -> io::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            if parent != self.root && parent.starts_with(&self.root) {
                self.ensure_dir(parent)?;
            }
        }
        match fs::create_dir(dir) {
            Ok(()) => sync_dir(dir.parent().unwrap_or(&self.root)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Writes `data` to a new temp file beside `path` and fsyncs it.
    fn write_temp(&self, path: &Path, data: &[u8]) -> Result<TempFile, StorageError> {
        let dir = path.parent().unwrap_or(&self.root);
        self.ensure_dir(dir).map_err(other_error)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("object");
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = TempFile {
            path: dir.join(format!(".{name}.tmp-{}-{n}", std::process::id())),
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp.path)
            .map_err(other_error)?;
        f.write_all(data).map_err(other_error)?;
        f.sync_all().map_err(other_error)?;
        Ok(temp)
    }

    fn list_dir(&self, dir: &Path, depth: usize, out: &mut Vec<String>) -> io::Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if !self.follow_links && entry.file_type()?.is_symlink() {
                return Err(io::Error::other(link_refused(&path)));
            }
            // Follows symbolic links when told to, so a packs directory may live on another disk.
            let meta = match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if meta.is_dir() {
                if depth < MAX_DEPTH {
                    self.list_dir(&path, depth + 1, out)?;
                }
            } else if let Some(key) = self.key_of(&path) {
                out.push(key);
            }
        }
        Ok(())
    }

    /// The key of a file under the root, if its path is in the grammar.
    fn key_of(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        let key = parts?.join("/");
        layout::validate_key(&key).then_some(key)
    }
}

/// Read ahead only where a test asks for it (the local disk needs no fetching ahead):
/// answered in one piece.
impl super::Far for FsStorage {}

impl Storage for FsStorage {
    fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        fs::read(self.path(key)?).map_err(io_error)
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StorageError> {
        let mut f = File::open(self.path(key)?).map_err(io_error)?;
        let size = f.metadata().map_err(other_error)?.len();
        if offset >= size {
            return Ok(Vec::new());
        }
        let want = len.min(size - offset);
        f.seek(SeekFrom::Start(offset)).map_err(other_error)?;
        let mut buf = Vec::with_capacity(want as usize);
        f.take(want).read_to_end(&mut buf).map_err(other_error)?;
        Ok(buf)
    }

    fn put(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        let path = self.path(key)?;
        let temp = self.write_temp(&path, data)?;
        fs::rename(&temp.path, &path).map_err(other_error)?;
        std::mem::forget(temp);
        sync_dir(path.parent().unwrap_or(&self.root)).map_err(other_error)
    }

    fn put_new(&self, key: &str, data: &[u8]) -> Result<(), StorageError> {
        let path = self.path(key)?;
        let temp = self.write_temp(&path, data)?;
        // A hard link creates the name exclusively and with its full content at once.
        match fs::hard_link(&temp.path, &path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(StorageError::AlreadyExists),
            Err(e) => return Err(other_error(e)),
        }
        drop(temp);
        sync_dir(path.parent().unwrap_or(&self.root)).map_err(other_error)
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        if !layout::validate_prefix(prefix) {
            return Err(StorageError::InvalidKey);
        }
        let depth = prefix.matches('/').count();
        self.check_links(&self.root.join(prefix))?;
        let mut keys = Vec::new();
        self.list_dir(&self.root.join(prefix), depth, &mut keys)
            .map_err(other_error)?;
        keys.retain(|k| k.starts_with(prefix));
        Ok(keys)
    }

    fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(path.parent().unwrap_or(&self.root)).map_err(other_error),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(other_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_paths_under_the_root_and_back() {
        let s = FsStorage::new("/repo");
        let key = layout::StorageKey::Pack([0xab; 32].into()).to_string();
        let path = s.path(&key).unwrap();
        assert!(path.starts_with("/repo/packs/data/ab"));
        assert_eq!(s.key_of(&path), Some(key));
        assert_eq!(s.key_of(Path::new("/repo/packs/data/ab/.x.tmp-1-2")), None);
        assert_eq!(temp_owner(".x.pack.tmp-123-4"), Some(123));
        assert_eq!(
            temp_owner(&format!(".{}.tmp-{}-0", "a", std::process::id())),
            Some(std::process::id())
        );
        for other in ["x.tmp-1-2", ".x.tmp-1", ".x.tmp--2", ".x.tmp-a-2", "config.json"] {
            assert_eq!(temp_owner(other), None, "{other}");
        }
        assert_eq!(s.path("../x"), Err(StorageError::InvalidKey));
    }
}
