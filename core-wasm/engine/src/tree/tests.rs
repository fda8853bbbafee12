use proptest::prelude::*;

use super::*;

fn entry(name: &[u8], kind: EntryKind) -> Entry {
    let (name, name_hex) = text_of(name);
    Entry {
        name,
        name_hex,
        kind,
        mode: 0o644,
        uid: 1000,
        gid: 1000,
        user: "ann".into(),
        group: "staff".into(),
        mtime: 1_700_000_000,
        mtime_ns: 123_456_789,
        ctime: 1_700_000_001,
        ctime_ns: 5,
        dev: 64769,
        inode: 1234,
        links: 1,
        size: 0,
        target: None,
        target_hex: None,
        rdev: 0,
        xattrs: Vec::new(),
    }
}

fn file(name: &[u8], chunks: Chunks) -> Node {
    let chunk_count = match &chunks {
        Chunks::Inline(e) => e.len() as u64,
        Chunks::Lists(l) => l.len() as u64 * 8192,
    };
    Node {
        entry: entry(name, EntryKind::File),
        content: Content::File { chunk_count, chunks },
    }
}

fn piece(nodes: &[Node]) -> Vec<u8> {
    let mut w = PieceWriter::default();
    for n in nodes {
        assert!(w.push(&encode_node(n).unwrap()).is_none());
    }
    w.finish().unwrap()
}

#[test]
fn every_kind_round_trips() {
    let mut link = entry(b"link", EntryKind::Symlink);
    link.target = Some("../etc/passwd".into());
    link.size = 13;
    let mut dev = entry(b"null", EntryKind::Char);
    dev.rdev = 0x0103;
    let mut attrs = file(b"attrs", Chunks::Lists(vec![BlobId::new([7; 32])]));
    attrs.entry.xattrs = vec![
        Xattr {
            name: "system.posix_acl_access".into(),
            value_hex: "0200".into(),
        },
        Xattr {
            name: "user.a".into(),
            value_hex: String::new(),
        },
    ];
    let nodes = vec![
        file(
            b"a",
            Chunks::Inline(vec![(BlobId::new([1; 32]), 10), (BlobId::new([2; 32]), 20)]),
        ),
        attrs,
        Node {
            entry: entry(b"dir", EntryKind::Dir),
            content: Content::Dir(vec![BlobId::new([3; 32])]),
        },
        file(b"empty", Chunks::Inline(Vec::new())),
        Node {
            entry: entry(b"fifo", EntryKind::Fifo),
            content: Content::None,
        },
        Node {
            entry: link,
            content: Content::None,
        },
        Node {
            entry: dev,
            content: Content::None,
        },
        file(b"\xff\xfename", Chunks::Inline(Vec::new())),
    ];
    let bytes = piece(&nodes);
    assert_eq!(bytes[0], TREE_VERSION);
    assert_eq!(decode_piece(&bytes).unwrap(), nodes);
    let last = &nodes[7].entry;
    assert_eq!(last.name_hex.as_deref(), Some("fffe6e616d65"));
    assert_eq!(last.name_bytes().unwrap(), b"\xff\xfename");
}

#[test]
fn hostile_pieces_are_refused() {
    let good = piece(&[
        file(b"a", Chunks::Inline(Vec::new())),
        file(b"b", Chunks::Inline(Vec::new())),
    ]);
    // Out of order, repeated, and every truncation.
    let swapped = piece(&[file(b"b", Chunks::Inline(Vec::new()))]);
    let mut twice = swapped.clone();
    twice[1] = 2;
    twice.extend_from_slice(&swapped[5..]);
    assert!(decode_piece(&twice).unwrap_err().contains("increasing"));
    for n in 0..good.len() {
        assert!(decode_piece(&good[..n]).is_err(), "{n}");
    }
    let mut extra = good.clone();
    extra.push(0);
    assert!(decode_piece(&extra).is_err());
    // Names that would lead out of a restore's target.
    for bad in [&b".."[..], b".", b"a/b", b"", b"a\0"] {
        let mut e = file(b"x", Chunks::Inline(Vec::new()));
        e.entry.name = String::from_utf8_lossy(bad).into_owned();
        assert!(encode_node(&e).is_err(), "{bad:?}");
        assert!(check_name(bad).is_err());
    }
    let mut dotdot = piece(&[file(b"zz", Chunks::Inline(Vec::new()))]);
    let at = dotdot.windows(2).position(|w| w == b"zz").unwrap();
    dotdot[at..at + 2].copy_from_slice(b"..");
    assert!(decode_piece(&dotdot).unwrap_err().contains("`..`"));
    // A huge declared count allocates nothing before failing.
    let mut huge = vec![TREE_VERSION];
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(decode_piece(&huge).is_err());
    // A wrong version.
    let mut v2 = good;
    v2[0] = 2;
    assert!(decode_piece(&v2).unwrap_err().contains("version 2"));
}

#[test]
fn pieces_are_cut_by_count_and_size() {
    let mut w = PieceWriter::default();
    let encoded = encode_node(&file(b"a", Chunks::Inline(Vec::new()))).unwrap();
    let cut = (0..PIECE_MAX_ENTRIES + 1)
        .filter_map(|_| w.push(&encoded))
        .count();
    assert_eq!(cut, 1);
    let mut w = PieceWriter::default();
    let big = vec![0u8; PIECE_TARGET_BYTES - 10];
    assert!(w.push(&big).is_none());
    assert!(w.push(&big).is_some());
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut b = bytes;
        if !b.is_empty() { b[0] = TREE_VERSION; }
        let _ = decode_piece(&b);
    }

    #[test]
    fn names_round_trip(name in proptest::collection::vec(1u8..=255, 1..40)) {
        prop_assume!(check_name(&name).is_ok());
        let n = file(&name, Chunks::Inline(Vec::new()));
        let back = decode_piece(&piece(std::slice::from_ref(&n))).unwrap();
        prop_assert_eq!(back[0].entry.name_bytes().unwrap(), name);
    }
}
