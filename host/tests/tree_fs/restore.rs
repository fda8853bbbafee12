//! The applier: round trips of every kind of entry, and hostile entry streams.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, FileExt, PermissionsExt};
use std::path::Path;

use cairn::tree::{Applier, ApplyOptions, TreeError, WalkOptions};
use cairn_core::tree::EntryKind;
use rustix::fs::{utimensat, AtFlags, FileType, Mode, Timespec, Timestamps, CWD};

use super::compare::{assert_rsync_same, assert_same};
use super::{is_root, record, replay, with_depths};

/// Sets a path's times, without following it, to `secs` seconds and some nanoseconds.
fn set_time(path: &Path, secs: i64) {
    let t = Timespec {
        tv_sec: secs,
        tv_nsec: (secs * 7919 % 1_000_000_000),
    };
    let times = Timestamps {
        last_access: t,
        last_modification: t,
    };
    utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

/// A raw `system.posix_acl_access` value: owner rw, user 1234 r, group r, mask r, other r.
fn acl() -> Vec<u8> {
    let mut v = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (1u16, 6u16, u32::MAX),
        (2, 4, 1234),
        (4, 4, u32::MAX),
        (0x10, 4, u32::MAX),
        (0x20, 4, u32::MAX),
    ] {
        v.extend(tag.to_le_bytes());
        v.extend(perm.to_le_bytes());
        v.extend(id.to_le_bytes());
    }
    v
}

/// Builds a tree with every kind of entry and metadata in `root`.
pub(crate) fn build(root: &Path) {
    let p = |rel: &[u8]| root.join(OsStr::from_bytes(rel));
    fs::create_dir_all(p(b"dir/deeper")).unwrap();
    fs::create_dir(p(b"read-only")).unwrap();
    fs::create_dir(p(b"caf\xe9")).unwrap();
    fs::write(p(b"dir/small"), b"small file").unwrap();
    fs::write(p(b"empty"), b"").unwrap();
    let big: Vec<u8> = (0..3_000_017u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(p(b"dir/deeper/big"), &big).unwrap();
    fs::write(p(b"read-only/inside"), b"in a read-only dir").unwrap();
    fs::write(p(b"caf\xe9/\xff\xfe name"), b"non-UTF-8 names").unwrap();
    fs::hard_link(p(b"dir/small"), p(b"caf\xe9/hard")).unwrap();
    symlink("dir/small", p(b"rel-link")).unwrap();
    symlink("/tmp/outside/nothing", p(b"abs-link")).unwrap();
    symlink(OsStr::from_bytes(b"\xff/target"), p(b"odd-link")).unwrap();
    rustix::fs::mknodat(CWD, p(b"fifo"), FileType::Fifo, Mode::from_raw_mode(0o620), 0).unwrap();
    // Data, a hole, data, and a hole at the end.
    let sparse = fs::File::create(p(b"sparse")).unwrap();
    sparse.write_all_at(&[1u8; 5000], 0).unwrap();
    sparse.write_all_at(&[2u8; 4096], 1 << 20).unwrap();
    sparse.set_len(4 << 20).unwrap();
    fs::set_permissions(p(b"dir/small"), fs::Permissions::from_mode(0o640)).unwrap();
    if xattr::set(p(b"dir/small"), "user.note", b"\x00bytes\xff").is_ok() {
        xattr::set(p(b"dir"), "user.dir", b"on a directory").unwrap();
        if xattr::set(p(b"empty"), "system.posix_acl_access", &acl()).is_err() {
            eprintln!("no POSIX ACLs on this file system: the round trip goes without one");
        }
    } else {
        eprintln!("no user.* attributes on this file system: the round trip goes without them");
    }
    if is_root() {
        rustix::fs::mknodat(
            CWD,
            p(b"null"),
            FileType::CharacterDevice,
            Mode::from_raw_mode(0o666),
            rustix::fs::makedev(1, 3),
        )
        .unwrap();
        std::os::unix::fs::lchown(p(b"dir/deeper/big"), Some(1234), Some(5678)).unwrap();
        std::os::unix::fs::lchown(p(b"rel-link"), Some(4321), Some(8765)).unwrap();
        std::os::unix::fs::lchown(p(b"dir"), Some(1000), Some(1000)).unwrap();
        fs::set_permissions(p(b"dir/deeper/big"), fs::Permissions::from_mode(0o4755)).unwrap();
    } else {
        eprintln!("not root: owners and devices are left out of the round trip");
    }
    // Times last, deepest first, the directories after what is in them.
    let mut all: Vec<_> = walkdir(root);
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, path) in all.iter().enumerate() {
        set_time(path, 1_600_000_000 + i as i64 * 3671);
    }
    fs::set_permissions(p(b"read-only"), fs::Permissions::from_mode(0o555)).unwrap();
    set_time(&p(b"read-only"), 1_234_567_890);
}

fn walkdir(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if fs::symlink_metadata(&out[i]).unwrap().is_dir() {
            for item in fs::read_dir(&out[i]).unwrap() {
                out.push(item.unwrap().path());
            }
        }
        i += 1;
    }
    out
}

#[test]
fn a_walked_tree_restores_exactly() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    build(src.path());
    let (events, walked) = record(src.path(), WalkOptions::default());
    assert_eq!(walked.problems, 0, "{events:?}");
    let entries = with_depths(&events);
    // Pieces of an odd size: holes must not depend on where the pieces end.
    let target = dst.path().join("restored");
    let summary = replay(&entries, &target, 7001);
    assert_eq!(summary.links, 1);
    assert_eq!(summary.warnings, 0, "{:?}", summary.messages);
    assert_same(src.path(), &target);
    assert_rsync_same(src.path(), &target);
    // Restoring again over the first restore changes nothing either.
    let again = replay(&entries, &target, 1 << 20);
    assert_eq!(again.warnings, 0, "{:?}", again.messages);
    assert_same(src.path(), &target);
    let sparse = fs::symlink_metadata(target.join("sparse")).unwrap();
    assert!(
        std::os::unix::fs::MetadataExt::blocks(&sparse) * 512 < 1 << 20,
        "holes stay holes"
    );
    for dir in [src.path().join("read-only"), target.join("read-only")] {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn names_that_could_leave_the_target_are_refused() {
    let src = tempfile::tempdir().unwrap();
    fs::write(src.path().join("x"), b"x").unwrap();
    let entries = with_depths(&record(src.path(), WalkOptions::default()).0);
    for evil in ["..", ".", "a/b", "", "/etc/passwd"] {
        let dst = tempfile::tempdir().unwrap();
        let mut applier = Applier::new(dst.path(), ApplyOptions::default()).unwrap();
        applier.entry(0, &entries[0].1).unwrap();
        let mut entry = entries[1].1.clone();
        entry.name = evil.into();
        match applier.entry(1, &entry) {
            Err(e @ TreeError::BadEntry { .. }) => {
                assert_eq!(e.code(), cairn_core::error::ErrorCode::CorruptSnapshot)
            }
            other => panic!("{evil:?}: {other:?}"),
        }
        assert_eq!(
            fs::read_dir(dst.path()).unwrap().count(),
            0,
            "{evil:?} wrote nothing"
        );
    }
}

#[test]
fn links_found_in_the_target_are_replaced_not_followed() {
    let src = tempfile::tempdir().unwrap();
    fs::create_dir(src.path().join("evil")).unwrap();
    fs::write(src.path().join("evil/payload"), b"payload").unwrap();
    fs::write(src.path().join("file"), b"mine").unwrap();
    let entries = with_depths(&record(src.path(), WalkOptions::default()).0);
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("victim"), b"untouched").unwrap();
    let dst = tempfile::tempdir().unwrap();
    symlink(outside.path(), dst.path().join("evil")).unwrap();
    symlink(outside.path().join("victim"), dst.path().join("file")).unwrap();
    replay(&entries, dst.path(), 4096);
    assert_eq!(
        fs::read_dir(outside.path()).unwrap().count(),
        1,
        "nothing written outside"
    );
    assert_eq!(fs::read(outside.path().join("victim")).unwrap(), b"untouched");
    assert!(fs::symlink_metadata(dst.path().join("evil")).unwrap().is_dir());
    assert_eq!(fs::read(dst.path().join("evil/payload")).unwrap(), b"payload");
    assert!(fs::symlink_metadata(dst.path().join("file")).unwrap().is_file());
    assert_eq!(fs::read(dst.path().join("file")).unwrap(), b"mine");
}

#[test]
fn the_order_of_entries_is_enforced() {
    let src = tempfile::tempdir().unwrap();
    fs::create_dir(src.path().join("d")).unwrap();
    fs::write(src.path().join("f"), b"f").unwrap();
    let entries = with_depths(&record(src.path(), WalkOptions::default()).0);
    let (root, dir, file) = (&entries[0].1, &entries[1].1, &entries[2].1);
    assert_eq!((dir.kind, file.kind), (EntryKind::Dir, EntryKind::File));
    let fresh = || {
        let dst = tempfile::tempdir().unwrap();
        let applier = Applier::new(&dst.path().join("t"), ApplyOptions::default()).unwrap();
        (dst, applier)
    };
    // A depth that jumps by two.
    let (_dst, mut a) = fresh();
    a.entry(0, root).unwrap();
    a.entry(1, dir).unwrap();
    assert!(matches!(a.entry(3, file), Err(TreeError::BadEntry { .. })));
    // Anything before the root, a second root, a root that is a file, content unasked.
    let (_dst, mut a) = fresh();
    assert!(matches!(a.entry(1, file), Err(TreeError::BadEntry { .. })));
    let (_dst, mut a) = fresh();
    assert!(matches!(a.entry(0, file), Err(TreeError::BadEntry { .. })));
    let (_dst, mut a) = fresh();
    a.entry(0, root).unwrap();
    assert!(matches!(a.entry(0, root), Err(TreeError::BadEntry { .. })));
    let (_dst, mut a) = fresh();
    a.entry(0, root).unwrap();
    assert!(!a.entry(1, dir).unwrap());
    assert!(matches!(
        a.write(b"nobody asked"),
        Err(TreeError::BadEntry { .. })
    ));
    let (_dst, a) = fresh();
    assert!(matches!(a.finish(), Err(TreeError::BadEntry { .. })));
    // A target that is a file.
    let dst = tempfile::tempdir().unwrap();
    fs::write(dst.path().join("file"), b"").unwrap();
    assert!(matches!(
        Applier::new(&dst.path().join("file"), ApplyOptions::default()),
        Err(TreeError::NotADirectory { .. })
    ));
}

#[test]
fn without_owners_entries_keep_ours_and_are_counted() {
    let src = tempfile::tempdir().unwrap();
    fs::write(src.path().join("f"), b"f").unwrap();
    let mut entries = with_depths(&record(src.path(), WalkOptions::default()).0);
    entries[1].1.uid = 4242;
    let dst = tempfile::tempdir().unwrap();
    let options = ApplyOptions {
        owners: false,
        ..ApplyOptions::default()
    };
    let mut applier = Applier::new(dst.path(), options).unwrap();
    for (depth, entry, content) in &entries {
        if applier.entry(*depth, entry).unwrap() {
            applier.write(content).unwrap();
        }
    }
    let summary = applier.finish().unwrap();
    assert_eq!((summary.owners_kept, summary.warnings), (1, 1));
    let uid = std::os::unix::fs::MetadataExt::uid(&fs::metadata(dst.path().join("f")).unwrap());
    assert_eq!(uid, rustix::process::geteuid().as_raw());
}

#[test]
fn devices_are_made_as_root_and_otherwise_warned_about() {
    let src = tempfile::tempdir().unwrap();
    let mut entries = with_depths(&record(src.path(), WalkOptions::default()).0);
    let json = r#"{"name": "null", "kind": "char", "mode": 438, "rdev": 259, "mtime": 5}"#;
    entries.push((1, serde_json::from_str(json).unwrap(), Vec::new()));
    let dst = tempfile::tempdir().unwrap();
    let summary = replay(&entries, dst.path(), 1);
    let made = fs::symlink_metadata(dst.path().join("null"));
    if is_root() {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let made = made.unwrap();
        assert!(made.file_type().is_char_device());
        assert_eq!((made.rdev(), made.mode() & 0o7777, made.mtime()), (259, 0o666, 5));
        assert_eq!((summary.others, summary.warnings), (1, 0));
    } else {
        assert!(made.is_err(), "no device without root");
        assert_eq!(summary.others, 0);
        assert!(
            summary.messages.iter().any(|w| w.message.contains("only root")),
            "{:?}",
            summary.messages
        );
    }
}
