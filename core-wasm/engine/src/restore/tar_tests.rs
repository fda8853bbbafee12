//! Unit tests of the tar writer: pax records, ustar fields, ACL text, device numbers.
use super::*;

fn entry(name: &str, kind: EntryKind) -> Entry {
    serde_json::from_value(
        serde_json::json!({"name": name, "kind": kind, "mode": 0o644, "mtime": 1_700_000_000}),
    )
    .unwrap()
}

fn field(h: &[u8], range: std::ops::Range<usize>) -> String {
    String::from_utf8_lossy(&h[range])
        .trim_end_matches('\0')
        .to_string()
}

#[test]
fn pax_records_count_their_own_length() {
    let mut out = Vec::new();
    record(&mut out, "path", b"a");
    assert_eq!(out, b"9 path=a\n");
    let mut long = Vec::new();
    record(&mut long, "path", &[b'x'; 91]);
    assert_eq!(long.len(), 101, "a length that grows a digit counts it");
    assert!(long.starts_with(b"101 path="));
}

#[test]
fn a_short_name_needs_only_ustar() {
    let e = entry("a.txt", EntryKind::File);
    let out = headers(&e, b"./a.txt", b'0', 5, b"");
    assert_eq!(out.len(), BLOCK);
    assert_eq!(field(&out, 0..100), "./a.txt");
    assert_eq!(field(&out, 124..136), "00000000005");
    assert_eq!(&out[257..263], b"ustar\0");
    let sum: u32 = out
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    assert_eq!(u32::from_str_radix(&field(&out, 148..154), 8).unwrap(), sum);
}

#[test]
fn what_ustar_cannot_hold_goes_into_pax() {
    let mut e = entry("x", EntryKind::Symlink);
    e.mtime_ns = 5;
    e.user = "u".repeat(40);
    e.xattrs = vec![crate::tree::Xattr {
        name: "user.k".into(),
        value_hex: "00ff".into(),
    }];
    let name = [b"./".as_slice(), &[0xff; 120]].concat();
    let out = headers(&e, &name, b'2', 0, &[b't'; 150]);
    assert_eq!(out[156], b'x');
    let pax = &out[BLOCK..];
    for needle in [
        b"hdrcharset=BINARY\n".as_slice(),
        b"mtime=1700000000.000000005\n",
        b"SCHILY.xattr.user.k=\x00\xff\n",
    ] {
        assert!(
            pax.windows(needle.len()).any(|w| w == needle),
            "{}",
            String::from_utf8_lossy(needle)
        );
    }
    assert!(pax.windows(name.len()).any(|w| w == name.as_slice()));
    assert_eq!(out.len() % BLOCK, 0);
    assert_eq!(out[out.len() - BLOCK + 156], b'2');
}

#[test]
fn acls_become_the_text_tar_restores_them_from() {
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (1u16, 6u16, u32::MAX),
        (2, 4, 1234),
        (4, 4, u32::MAX),
        (0x10, 5, u32::MAX),
        (0x20, 0, u32::MAX),
    ] {
        acl.extend_from_slice(&tag.to_le_bytes());
        acl.extend_from_slice(&perm.to_le_bytes());
        acl.extend_from_slice(&id.to_le_bytes());
    }
    assert_eq!(
        acl_text(&acl).unwrap(),
        "user::rw-,user:1234:r--,group::r--,mask::r-x,other::---"
    );
    assert_eq!(acl_text(b"junk"), None);
    assert_eq!(acl_text(&acl[..7]), None);
}

#[test]
fn devices_carry_major_and_minor() {
    assert_eq!(major_minor(0x0801), (8, 1));
    let mut e = entry("sda1", EntryKind::Block);
    e.rdev = 0x0801;
    let out = headers(&e, b"./sda1", b'4', 0, b"");
    assert_eq!(field(&out, 329..337), "0000010");
    assert_eq!(field(&out, 337..345), "0000001");
    assert_eq!(padding(0), 0);
    assert_eq!(padding(1), 511);
    assert_eq!(padding(512), 0);
}
