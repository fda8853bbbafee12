//! A full comparison of two trees: every field a restore sets, content, hard-link
//! identity, and holes.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use sha2::Digest;

/// What a restore must reproduce of one path.
#[derive(Debug, PartialEq, Eq)]
pub struct Desc {
    /// `st_mode` whole: the type and the permission bits.
    pub mode: u32,
    pub owner: (u32, u32),
    pub mtime: (i64, i64),
    pub size: u64,
    pub rdev: u64,
    pub target: Option<Vec<u8>>,
    pub xattrs: Vec<(Vec<u8>, Vec<u8>)>,
    /// SHA-256 of a file's content.
    pub content: Option<String>,
    /// For sparse files only (allocated less than their size): `st_blocks`.
    pub sparse_blocks: Option<u64>,
}

/// Paths (relative, as bytes) that share an inode.
pub type Group = Vec<Vec<u8>>;

/// Every path under `root` (relative, as bytes; the root itself is empty) with its
/// description, and the groups of paths that share an inode.
pub fn describe(root: &Path) -> (BTreeMap<Vec<u8>, Desc>, Vec<Group>) {
    let mut out = BTreeMap::new();
    let mut inodes: BTreeMap<u64, Vec<Vec<u8>>> = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(path) = todo.pop() {
        let meta = fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(root).unwrap().as_os_str().as_bytes().to_vec();
        let kind = meta.file_type();
        if kind.is_dir() {
            for item in fs::read_dir(&path).unwrap() {
                todo.push(item.unwrap().path());
            }
        } else if meta.nlink() > 1 {
            inodes.entry(meta.ino()).or_default().push(rel.clone());
        }
        let mut xattrs: Vec<(Vec<u8>, Vec<u8>)> = match xattr::list(&path) {
            Ok(names) => names
                .map(|n| {
                    (
                        n.as_bytes().to_vec(),
                        xattr::get(&path, &n).unwrap().unwrap_or_default(),
                    )
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        xattrs.sort();
        out.insert(
            rel,
            Desc {
                mode: meta.mode(),
                owner: (meta.uid(), meta.gid()),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                size: if kind.is_dir() { 0 } else { meta.size() },
                rdev: meta.rdev(),
                target: kind
                    .is_symlink()
                    .then(|| fs::read_link(&path).unwrap().as_os_str().as_bytes().to_vec()),
                xattrs,
                content: kind
                    .is_file()
                    .then(|| hex::encode(sha2::Sha256::digest(fs::read(&path).unwrap()))),
                sparse_blocks: (kind.is_file() && meta.blocks() * 512 < meta.size()).then(|| meta.blocks()),
            },
        );
    }
    let mut groups: Vec<Vec<Vec<u8>>> = inodes
        .into_values()
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    groups.sort();
    (out, groups)
}

/// Asserts that `dst` reproduces `src` in everything [`describe`] sees.
pub fn assert_same(src: &Path, dst: &Path) {
    let (a, links_a) = describe(src);
    let (b, links_b) = describe(dst);
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same paths"
    );
    for (path, want) in &a {
        assert_eq!(Some(want), b.get(path), "{}", String::from_utf8_lossy(path));
    }
    assert_eq!(links_a, links_b, "the same hard links");
}

/// Asserts that `rsync -aHAXn --checksum --itemize-changes SRC/ DST/` finds nothing to
/// change; skipped, with a note, where rsync is not installed.
pub fn assert_rsync_same(src: &Path, dst: &Path) {
    let arg = |p: &Path| {
        let mut s = p.as_os_str().to_os_string();
        s.push("/");
        s
    };
    let run = std::process::Command::new("rsync")
        .args(["-aHAXn", "--checksum", "--itemize-changes"])
        .arg(arg(src))
        .arg(arg(dst))
        .output();
    match run {
        Err(e) => eprintln!("skipped the rsync comparison: {e} (tests/run installs rsync)"),
        Ok(out) => {
            assert!(
                out.status.success(),
                "rsync: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), "", "rsync sees differences");
        }
    }
}
