//! Temp files that killed writes leave in a repository (`.NAME.tmp-PID-N`, see
//! [`crate::storage::fs::temp_owner`]), removed by `repair` and `unlock` once their owner
//! process is gone (docs/DESIGN.md §21).
//!
//! This is the host's job, not the engine's: temp names are outside the key grammar, so
//! the engine never lists them and cannot name them; only the storage that made them
//! knows their form. An object store has no such leftovers (its puts are atomic).

use std::fs;
use std::io;
use std::path::Path;

use crate::storage::fs::temp_owner;

/// How deep the repository's directories go (`packs/data/ab/`).
const MAX_DEPTH: usize = 3;

/// Removes every temp file under `root` whose owner `alive` says is gone (`Some(false)`);
/// one whose owner lives, or whose liveness cannot be told, stays. Symbolic links are not
/// followed. Answers how many were removed.
pub fn remove_temp_files(root: &Path, alive: impl Fn(u32) -> Option<bool>) -> io::Result<u64> {
    let mut removed = 0;
    walk(root, 0, &alive, &mut removed)?;
    Ok(removed)
}

fn walk(dir: &Path, depth: usize, alive: &impl Fn(u32) -> Option<bool>, removed: &mut u64) -> io::Result<()> {
    let entries = fs::read_dir(dir);
    if entries
        .as_ref()
        .is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
    {
        return Ok(()); // a directory the repository does not have yet
    }
    for entry in entries? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(&entry.path(), depth + 1, alive, removed)?;
        } else if kind.is_file() {
            let owner = entry.file_name().to_str().and_then(temp_owner);
            if owner.is_some_and(|pid| alive(pid) == Some(false)) {
                match fs::remove_file(entry.path()) {
                    Ok(()) => *removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_temp_files_of_gone_owners_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("packs/data/ab");
        fs::create_dir_all(&sub).unwrap();
        for name in [".p.pack.tmp-7-0", ".p.pack.tmp-8-1", ".p.pack.tmp-9-2", "p.pack"] {
            fs::write(sub.join(name), b"x").unwrap();
        }
        fs::write(dir.path().join(".config.json.tmp-7-3"), b"x").unwrap();
        // 7 is gone, 8 lives, 9 cannot be told.
        let alive = |pid| match pid {
            7 => Some(false),
            8 => Some(true),
            _ => None,
        };
        assert_eq!(remove_temp_files(dir.path(), alive).unwrap(), 2);
        let mut left: Vec<String> = fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [".p.pack.tmp-8-1", ".p.pack.tmp-9-2", "p.pack"]);
        assert!(!dir.path().join(".config.json.tmp-7-3").exists());
    }
}
