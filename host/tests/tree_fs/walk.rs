//! The walker: order, entry fields, options and problems.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;

use cairn::tree::{walk, WalkOptions};
use cairn_core::tree::EntryKind;

use super::{is_root, record, with_depths, Event, Recorder};

fn names_at_depth_1(events: &[Event]) -> Vec<Vec<u8>> {
    with_depths(events)
        .into_iter()
        .filter(|(d, _, _)| *d == 1)
        .map(|(_, e, _)| e.name_bytes().unwrap())
        .collect()
}

#[test]
fn entries_come_sorted_by_name_bytes_with_non_utf8_names_in_hex() {
    let dir = tempfile::tempdir().unwrap();
    // U+FFFE is ef bf be; the lone byte fe shows as U+FFFD: as text it sorts first, as bytes last.
    let names: [&[u8]; 7] = [
        b"a",
        b"B",
        b"_",
        "\u{fffe}".as_bytes(),
        b"\xfe",
        "é".as_bytes(),
        b"Z",
    ];
    for name in names {
        fs::write(dir.path().join(OsStr::from_bytes(name)), name).unwrap();
    }
    let (events, summary) = record(dir.path(), WalkOptions::default());
    let got = names_at_depth_1(&events);
    let mut want: Vec<Vec<u8>> = names.iter().map(|n| n.to_vec()).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(want[0], b"B", "byte order, not a locale's");
    let text: Vec<String> = with_depths(&events)
        .into_iter()
        .skip(1)
        .map(|(_, e, _)| e.name)
        .collect();
    let mut by_text = text.clone();
    by_text.sort();
    assert_ne!(text, by_text, "the test holds names whose text order differs");
    let lone = with_depths(&events)
        .into_iter()
        .find(|(_, e, _)| e.name_hex.is_some())
        .unwrap()
        .1;
    assert_eq!(
        (lone.name.as_str(), lone.name_hex.as_deref()),
        ("\u{fffd}", Some("fe"))
    );
    assert_eq!((summary.files, summary.dirs, summary.problems), (7, 1, 0));
    // The root comes first, named after the directory, and is left last.
    match (&events[0], events.last().unwrap()) {
        (Event::Entry(path, root, _), Event::Leave) => {
            assert_eq!(path, dir.path());
            assert_eq!(root.name.as_bytes(), dir.path().file_name().unwrap().as_bytes());
            assert_eq!(root.kind, EntryKind::Dir);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_kind_is_described_from_lstat() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("file"), b"hello").unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::create_dir(root.join("sub")).unwrap();
    fs::write(root.join("sub/inner"), b"x").unwrap();
    symlink("file", root.join("link")).unwrap();
    symlink(OsStr::from_bytes(b"/nowhere/\xff"), root.join("odd-link")).unwrap();
    fs::hard_link(root.join("file"), root.join("hard")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo"),
        rustix::fs::FileType::Fifo,
        0o640.into(),
        0,
    )
    .unwrap();
    let sparse = fs::File::create(root.join("sparse")).unwrap();
    sparse.set_len(3 << 20).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap();
    let (events, summary) = record(root, WalkOptions::default());
    let entries = with_depths(&events);
    let get = |name: &str| {
        entries
            .iter()
            .find(|(_, e, _)| e.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let meta = fs::symlink_metadata(root.join("file")).unwrap();
    let file = &get("file").1;
    assert_eq!(
        (file.kind, file.size, file.mode, file.links),
        (EntryKind::File, 5, meta.mode() & 0o7777, 2)
    );
    assert_eq!(
        (file.mtime, file.mtime_ns as i64),
        (meta.mtime(), meta.mtime_nsec())
    );
    assert_eq!(
        (file.ctime, file.ctime_ns as i64),
        (meta.ctime(), meta.ctime_nsec())
    );
    assert_eq!(
        (file.dev, file.inode, file.uid, file.gid),
        (meta.dev(), meta.ino(), meta.uid(), meta.gid())
    );
    if is_root() {
        assert_eq!((file.user.as_str(), file.group.as_str()), ("root", "root"));
    }
    assert_eq!(get("file").2, b"hello");
    assert_eq!(get("hard").1.inode, file.inode);
    assert_eq!(
        get("hard").2,
        b"hello",
        "the walker reads every file the sink wants"
    );
    assert_eq!((get("empty").1.size, get("empty").2.len()), (0, 0));
    let link = &get("link").1;
    assert_eq!(
        (link.kind, link.target.as_deref(), link.size),
        (EntryKind::Symlink, Some("file"), 4)
    );
    assert_eq!(
        get("odd-link").1.target_hex.as_deref(),
        Some(hex(b"/nowhere/\xff").as_str())
    );
    assert_eq!((get("fifo").1.kind, get("fifo").1.mode), (EntryKind::Fifo, 0o640));
    assert_eq!((get("sparse").1.size, get("sparse").2.len()), (3 << 20, 3 << 20));
    assert_eq!(
        (get("sub").1.kind, get("sub").1.size, get("inner").0),
        (EntryKind::Dir, 0, 2)
    );
    assert!(
        entries.iter().all(|(_, e, _)| e.name != "socket"),
        "no entry for a socket"
    );
    assert_eq!(summary.sockets, 1);
    assert_eq!((summary.files, summary.dirs, summary.others), (5, 2, 3));
    assert_eq!(summary.bytes_read, 5 + 5 + 1 + (3 << 20));
    assert!(
        entries.iter().all(|(_, e, _)| e.check().is_ok()),
        "every entry passes the engine's check"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn extended_attributes_are_sorted_with_hex_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f");
    fs::write(&file, b"").unwrap();
    if let Err(e) =
        xattr::set(&file, "user.zeta", b"\x00\xff").and_then(|()| xattr::set(&file, "user.alpha", b"A"))
    {
        eprintln!("skipped: this file system refuses user.* attributes ({e})");
        return;
    }
    let (events, _) = record(dir.path(), WalkOptions::default());
    let entry = with_depths(&events)
        .into_iter()
        .find(|(_, e, _)| e.name == "f")
        .unwrap()
        .1;
    let got: Vec<(&str, &str)> = entry
        .xattrs
        .iter()
        .map(|x| (x.name.as_str(), x.value_hex.as_str()))
        .collect();
    assert_eq!(got, [("user.alpha", "41"), ("user.zeta", "00ff")]);
}

#[test]
fn exclude_caches_keeps_only_a_valid_tag() {
    let dir = tempfile::tempdir().unwrap();
    for (sub, tag) in [
        ("cache", "Signature: 8a477f597d28d172789f06886806bc55\n# a cache"),
        ("fake", "Signature: nope"),
    ] {
        fs::create_dir(dir.path().join(sub)).unwrap();
        fs::write(dir.path().join(sub).join("CACHEDIR.TAG"), tag).unwrap();
        fs::write(dir.path().join(sub).join("blob"), b"data").unwrap();
    }
    let names = |options| {
        let (events, summary) = record(dir.path(), options);
        let names: Vec<String> = with_depths(&events)
            .into_iter()
            .skip(1)
            .map(|(_, e, _)| e.name)
            .collect();
        (names, summary.caches)
    };
    let (all, caches) = names(WalkOptions::default());
    assert_eq!((all.len(), caches), (6, 0));
    let (kept, caches) = names(WalkOptions {
        exclude_caches: true,
        ..WalkOptions::default()
    });
    assert_eq!(kept, ["cache", "CACHEDIR.TAG", "fake", "CACHEDIR.TAG", "blob"]);
    assert_eq!(caches, 1);
}

#[test]
fn one_file_system_records_mount_points_without_entering_them() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    if let Err(e) = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "none"])
        .arg(&mnt)
        .status()
        .map_err(|e| e.to_string())
        .and_then(|s| if s.success() { Ok(()) } else { Err(s.to_string()) })
    {
        eprintln!("skipped: cannot mount a tmpfs here ({e})");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&mnt);
    fs::write(mnt.join("inside"), b"x").unwrap();
    let (events, summary) = record(dir.path(), WalkOptions::default());
    assert!(with_depths(&events).iter().any(|(_, e, _)| e.name == "inside"));
    assert_eq!(summary.mount_points, 0);
    let (events, summary) = record(
        dir.path(),
        WalkOptions {
            one_file_system: true,
            ..WalkOptions::default()
        },
    );
    let names: Vec<String> = with_depths(&events).into_iter().map(|(_, e, _)| e.name).collect();
    assert_eq!(names[1..], ["mnt"]);
    assert_eq!(summary.mount_points, 1);
}

#[test]
fn a_file_changed_while_read_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("growing");
    fs::write(&path, vec![7u8; 3 << 20]).unwrap();
    let appended = path.clone();
    let mut sink = Recorder {
        on_first_write: Some(Box::new(move || {
            let mut f = fs::OpenOptions::new().append(true).open(&appended).unwrap();
            f.write_all(b"more").unwrap();
        })),
        ..Recorder::default()
    };
    let summary = walk(dir.path(), &WalkOptions::default(), &mut sink).unwrap();
    let problems: Vec<_> = sink
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Problem(p, m, d) => Some((p.clone(), m.clone(), *d)),
            _ => None,
        })
        .collect();
    assert_eq!(problems, [(path, "changed while it was read".to_string(), false)]);
    assert_eq!(summary.problems, 1);
}

#[test]
fn vanished_entries_are_reported_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        fs::write(dir.path().join(name), name).unwrap();
    }
    // When `a` is described, `c` goes (listed, never described); when `b` is, `b` itself
    // goes (described, then not there to read).
    let root = dir.path().to_path_buf();
    let mut sink = Recorder {
        on_entry: Some(Box::new(move |path: &Path| {
            match path.file_name().and_then(OsStr::to_str) {
                Some("a") => fs::remove_file(root.join("c")).unwrap(),
                Some("b") => fs::remove_file(root.join("b")).unwrap(),
                _ => {}
            }
        })),
        ..Recorder::default()
    };
    let summary = walk(dir.path(), &WalkOptions::default(), &mut sink).unwrap();
    let kept: Vec<String> = with_depths(&sink.events)
        .into_iter()
        .skip(1)
        .map(|(_, e, _)| e.name)
        .collect();
    assert_eq!(kept, ["a"]);
    let drops = sink
        .events
        .iter()
        .filter(|e| matches!(e, Event::Problem(_, m, true) if m.contains("vanished")))
        .count();
    assert_eq!((drops, summary.problems), (2, 2));
}

#[test]
fn the_sink_excludes_and_the_root_must_be_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("tree/skip/deep")).unwrap();
    fs::write(dir.path().join("tree/keep"), b"k").unwrap();
    symlink("tree", dir.path().join("alias")).unwrap();
    let mut sink = Recorder {
        exclude_name: Some(b"skip".to_vec()),
        ..Recorder::default()
    };
    // A root named through a link is followed (the user named it); nothing below is.
    let summary = walk(&dir.path().join("alias"), &WalkOptions::default(), &mut sink).unwrap();
    let names: Vec<String> = with_depths(&sink.events)
        .into_iter()
        .map(|(_, e, _)| e.name)
        .collect();
    assert_eq!(names, ["alias", "keep"]);
    assert_eq!(summary.excluded, 1);
    let err = walk(
        &dir.path().join("tree/keep"),
        &WalkOptions::default(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), cairn_core::error::ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("is not a directory"), "{err}");
}

#[test]
fn unreadable_directories_are_recorded_empty_and_unreadable_files_dropped() {
    if is_root() {
        eprintln!("skipped: root reads everything whatever its mode");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::write(locked.join("secret"), b"s").unwrap();
    fs::write(dir.path().join("private"), b"p").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(dir.path().join("private"), fs::Permissions::from_mode(0o000)).unwrap();
    let (events, summary) = record(dir.path(), WalkOptions::default());
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
    let names: Vec<String> = with_depths(&events).into_iter().map(|(_, e, _)| e.name).collect();
    assert_eq!(
        names[1..],
        ["locked"],
        "the directory kept, empty; the file dropped"
    );
    let problems: Vec<(String, bool)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Problem(p, m, d) => {
                Some((format!("{}: {m}", p.file_name().unwrap().to_string_lossy()), *d))
            }
            _ => None,
        })
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].0.starts_with("locked: cannot open this directory") && !problems[0].1,
        "{problems:?}"
    );
    assert!(
        problems[1].0.starts_with("private: cannot be read") && problems[1].1,
        "{problems:?}"
    );
    assert_eq!(summary.problems, 2);
}
