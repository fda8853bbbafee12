//! The walker reading ahead on a thread of its own: the sink sees what it sees when the
//! walk goes in step with it, excluded directories stay unread, and reading ahead stops
//! when the sink asks for no content.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use cairn::tree::{walk, WalkOptions, WalkSummary};

use super::{Event, Recorder};

const AHEAD: WalkOptions = WalkOptions {
    one_file_system: false,
    exclude_caches: false,
    read_ahead: true,
    excludes: false,
};

/// A tree of every kind of entry, files of many sizes (the largest over what is read
/// ahead), and enough of them in nested directories to fill several batches.
fn tree(root: &Path) {
    for d in 0..6 {
        let dir = root.join(format!("d{d}/inner{}", d % 2));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..70 {
            let body: Vec<u8> = (0..(f * 97 + d * 13)).map(|i| (i * 7 + f) as u8).collect();
            fs::write(dir.join(format!("f{f:03}")), body).unwrap();
        }
    }
    fs::write(root.join("big"), vec![5u8; (1 << 20) + 4097]).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::hard_link(root.join("big"), root.join("big-link")).unwrap();
    symlink("d0", root.join("to-d0")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo"),
        rustix::fs::FileType::Fifo,
        0o600.into(),
        0,
    )
    .unwrap();
    fs::create_dir(root.join("skip")).unwrap();
    fs::write(root.join("skip/hidden"), b"never seen").unwrap();
    fs::create_dir(root.join("skip/deeper")).unwrap();
    fs::write(root.join("skip/deeper/more"), b"nor this").unwrap();
}

/// Walks `root` with `options` into a recorder set up by `sink`.
fn run(root: &Path, options: WalkOptions, sink: Recorder) -> (Vec<String>, WalkSummary) {
    let mut sink = sink;
    let summary = walk(root, &options, &mut sink).unwrap();
    let events = sink.events.iter().map(|e| format!("{e:?}")).collect();
    (events, summary)
}

#[test]
fn reading_ahead_gives_the_sink_what_walking_in_step_does() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let _socket = std::os::unix::net::UnixListener::bind(dir.path().join("socket")).unwrap();
    let (in_step, s1) = run(dir.path(), WalkOptions::default(), Recorder::default());
    let (ahead, s2) = run(dir.path(), AHEAD, Recorder::default());
    assert_eq!(in_step.len(), ahead.len());
    for (a, b) in in_step.iter().zip(&ahead) {
        assert_eq!(a, b);
    }
    assert_eq!(s1, WalkSummary { unasked: 0, ..s2 });
    assert_eq!((s2.files, s2.sockets, s2.unasked), (6 * 70 + 5, 1, 0));
}

#[test]
fn an_excluded_directory_never_reaches_the_sink_and_is_not_entered_with_excludes() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    let excluding = || Recorder {
        exclude_name: Some(b"skip".to_vec()),
        ..Recorder::default()
    };
    let (in_step, s1) = run(dir.path(), WalkOptions::default(), excluding());
    for options in [
        AHEAD,
        WalkOptions {
            excludes: true,
            ..AHEAD
        },
    ] {
        let (ahead, s2) = run(dir.path(), options, excluding());
        assert_eq!(in_step, ahead);
        assert_eq!(s1, s2);
    }
    assert!(in_step
        .iter()
        .all(|e| !e.contains("hidden") && !e.contains("more")));
    assert_eq!(s1.excluded, 1);
}

#[test]
fn reading_ahead_stops_when_the_sink_asks_for_no_content() {
    let dir = tempfile::tempdir().unwrap();
    for d in 0..20 {
        let sub = dir.path().join(format!("d{d:02}"));
        fs::create_dir(&sub).unwrap();
        for f in 0..150 {
            fs::write(sub.join(format!("{f:03}")), b"unchanged since the parent").unwrap();
        }
    }
    let sink = Recorder {
        no_content: true,
        ..Recorder::default()
    };
    let mut sink = sink;
    let summary = walk(dir.path(), &AHEAD, &mut sink).unwrap();
    assert_eq!((summary.files, summary.bytes_read), (3000, 0));
    assert!(
        summary.unasked < 600,
        "{} of 3000 files read for nothing",
        summary.unasked
    );
    assert!(sink
        .events
        .iter()
        .all(|e| !matches!(e, Event::Entry(_, _, content) if !content.is_empty())));
}
