//! The repository's key grammar: every storage key the engine may use, and nothing else.
//!
//! Hosts call [`validate_key`] and [`validate_prefix`] before touching disk (docs/DESIGN.md §2),
//! so a module that asks for `../../etc/passwd` gets an error instead of a file. The native
//! host links this module directly and the JS host reaches it through the bindgen module,
//! so the grammar is written once.
//!
//! ```text
//! config.json
//! keys/<id>                        wrapped master keys (JSON)
//! locks/<id>                       advisory locks
//! snapshots/<id>                   snapshot manifests
//! index/<id>                       global index segments
//! packs/data/<id[0..2]>/<id>.pack  pack files
//! packs/data/<id[0..2]>/<id>.idx   their index sidecars
//! parity/<id>                      parity group manifests (JSON)
//! packs/parity/<id[0..2]>/<id>.par parity shards
//! ```
//! where `<id>` is 64 lowercase hex digits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{parse_hex_id, GroupId, KeyId, LockId, PackId, RecordId, SegmentId, ShardId, SnapshotId};

/// The repository's configuration file.
pub const CONFIG: &str = "config.json";
/// Directory of wrapped master keys.
pub const KEYS: &str = "keys/";
/// Directory of advisory locks.
pub const LOCKS: &str = "locks/";
/// Directory of snapshot manifests.
pub const SNAPSHOTS: &str = "snapshots/";
/// Directory of snapshot records: which snapshots were written and which removed.
pub const RECORDS: &str = "records/";
/// Directory of global index segments.
pub const INDEX: &str = "index/";
/// Directory of data packs and their `.idx` sidecars.
pub const PACKS: &str = "packs/data/";
/// Directory of parity group manifests.
pub const GROUPS: &str = "parity/";
/// Directory of parity shards.
pub const PARITY: &str = "packs/parity/";

/// One object of the repository, by kind and id: what a storage key names.
///
/// The engine addresses storage only through these; its `Display` gives the
/// key the host sees, and [`StorageKey::parse`] reads back the keys a listing returns, so
/// a key string is formatted in one place and parsed in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageKey {
    /// `config.json`.
    Config,
    /// A file in `keys/`.
    Key(KeyId),
    /// A file in `locks/`.
    Lock(LockId),
    /// A file in `snapshots/`.
    Snapshot(SnapshotId),
    /// A file in `index/`.
    Segment(SegmentId),
    /// A file in `records/`.
    Record(RecordId),
    /// A `.pack` file.
    Pack(PackId),
    /// A pack's `.idx` sidecar.
    PackIndex(PackId),
    /// A file in `parity/`.
    Group(GroupId),
    /// A `.par` parity shard.
    Shard(ShardId),
}

/// A directory of the grammar: what a listing is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `keys/`.
    Keys,
    /// `locks/`.
    Locks,
    /// `snapshots/`.
    Snapshots,
    /// `index/`.
    Index,
    /// `records/`.
    Records,
    /// `packs/data/`: packs and their sidecars.
    Packs,
    /// `parity/`: group manifests.
    Groups,
    /// `packs/parity/`: parity shards.
    Shards,
}

impl Dir {
    /// The key prefix the host lists.
    pub const fn prefix(self) -> &'static str {
        match self {
            Dir::Keys => KEYS,
            Dir::Locks => LOCKS,
            Dir::Snapshots => SNAPSHOTS,
            Dir::Index => INDEX,
            Dir::Records => RECORDS,
            Dir::Packs => PACKS,
            Dir::Groups => GROUPS,
            Dir::Shards => PARITY,
        }
    }
}

/// `<dir><hh>/<hex><suffix>`: the fan-out form of packs, sidecars and shards.
fn fanned(f: &mut fmt::Formatter<'_>, dir: &str, id: &[u8; 32], suffix: &str) -> fmt::Result {
    let h = hex::encode(id);
    write!(f, "{dir}{}/{h}{suffix}", &h[..2])
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageKey::Config => f.write_str(CONFIG),
            StorageKey::Key(id) => write!(f, "{KEYS}{id}"),
            StorageKey::Lock(id) => write!(f, "{LOCKS}{id}"),
            StorageKey::Snapshot(id) => write!(f, "{SNAPSHOTS}{id}"),
            StorageKey::Segment(id) => write!(f, "{INDEX}{id}"),
            StorageKey::Record(id) => write!(f, "{RECORDS}{id}"),
            StorageKey::Group(id) => write!(f, "{GROUPS}{id}"),
            StorageKey::Pack(id) => fanned(f, PACKS, id.as_bytes(), ".pack"),
            StorageKey::PackIndex(id) => fanned(f, PACKS, id.as_bytes(), ".idx"),
            StorageKey::Shard(id) => fanned(f, PARITY, id.as_bytes(), ".par"),
        }
    }
}

impl Serialize for StorageKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StorageKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        StorageKey::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a storage key of the repository")))
    }
}

#[cfg(feature = "typescript")]
impl specta::Type for StorageKey {
    fn inline(types: &mut specta::TypeCollection, generics: specta::Generics) -> specta::DataType {
        <String as specta::Type>::inline(types, generics)
    }
}

/// Builds a [`StorageKey`] from an id.
type Make = fn([u8; 32]) -> StorageKey;

impl StorageKey {
    /// Parses a key against the grammar; `None` for anything outside it.
    pub fn parse(key: &str) -> Option<StorageKey> {
        if key == CONFIG {
            return Some(StorageKey::Config);
        }
        let flat: [(&str, Make); 6] = [
            (KEYS, |b| StorageKey::Key(b.into())),
            (LOCKS, |b| StorageKey::Lock(b.into())),
            (SNAPSHOTS, |b| StorageKey::Snapshot(b.into())),
            (INDEX, |b| StorageKey::Segment(b.into())),
            (RECORDS, |b| StorageKey::Record(b.into())),
            (GROUPS, |b| StorageKey::Group(b.into())),
        ];
        for (dir, make) in flat {
            if let Some(rest) = key.strip_prefix(dir) {
                return parse_hex_id(rest).map(make);
            }
        }
        let pack: Make = |b| StorageKey::Pack(b.into());
        let pack_index: Make = |b| StorageKey::PackIndex(b.into());
        let shard: Make = |b| StorageKey::Shard(b.into());
        let (rest, suffixes): (&str, &[(&str, Make)]) = if let Some(rest) = key.strip_prefix(PACKS) {
            (rest, &[(".pack", pack), (".idx", pack_index)])
        } else {
            (key.strip_prefix(PARITY)?, &[(".par", shard)])
        };
        let (fan, file) = rest.split_once('/')?;
        let (name, make) = suffixes
            .iter()
            .find_map(|(suffix, make)| Some((file.strip_suffix(suffix)?, *make)))?;
        let id = parse_hex_id(name)?;
        (fan.len() == 2 && name.starts_with(fan)).then(|| make(id))
    }

    /// The directory the key lies in (`None` for `config.json`).
    pub fn dir(&self) -> Option<Dir> {
        Some(match self {
            StorageKey::Config => return None,
            StorageKey::Key(_) => Dir::Keys,
            StorageKey::Lock(_) => Dir::Locks,
            StorageKey::Snapshot(_) => Dir::Snapshots,
            StorageKey::Segment(_) => Dir::Index,
            StorageKey::Record(_) => Dir::Records,
            StorageKey::Pack(_) | StorageKey::PackIndex(_) => Dir::Packs,
            StorageKey::Group(_) => Dir::Groups,
            StorageKey::Shard(_) => Dir::Shards,
        })
    }
}

/// True when `key` is in the grammar.
pub fn validate_key(key: &str) -> bool {
    StorageKey::parse(key).is_some()
}

/// True when `prefix` may be listed: the empty prefix, a directory of the grammar
/// (`keys/`, `locks/`, `snapshots/`, `records/`, `index/`, `parity/`, `packs/`, `packs/data/`,
/// `packs/parity/`), or one fan-out directory `packs/data/<2 hex>/` or `packs/parity/<2 hex>/`.
pub fn validate_prefix(prefix: &str) -> bool {
    if matches!(
        prefix,
        "" | KEYS | LOCKS | SNAPSHOTS | RECORDS | INDEX | GROUPS | "packs/" | PACKS | PARITY
    ) {
        return true;
    }
    let fan = prefix.strip_prefix(PACKS).or_else(|| prefix.strip_prefix(PARITY));
    match fan.and_then(|r| r.strip_suffix('/')) {
        Some(fan) => {
            fan.len() == 2
                && fan
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: [u8; 32] = [0xab; 32];

    #[test]
    fn constructed_keys_are_valid_and_parse_back() {
        let b = ID;
        for key in [
            StorageKey::Config,
            StorageKey::Key(b.into()),
            StorageKey::Lock(b.into()),
            StorageKey::Snapshot(b.into()),
            StorageKey::Segment(b.into()),
            StorageKey::Pack(b.into()),
            StorageKey::PackIndex(b.into()),
            StorageKey::Group(b.into()),
            StorageKey::Shard(b.into()),
        ] {
            let text = key.to_string();
            assert_eq!(StorageKey::parse(&text), Some(key), "{text}");
            assert!(validate_key(&text));
            if let Some(dir) = key.dir() {
                assert!(
                    text.starts_with(dir.prefix()) && validate_prefix(dir.prefix()),
                    "{text}"
                );
            }
            assert_eq!(serde_json::to_value(key).unwrap(), serde_json::json!(text));
        }
        assert!(StorageKey::Pack(b.into())
            .to_string()
            .starts_with("packs/data/ab/abab"));
        assert!(StorageKey::Shard(b.into())
            .to_string()
            .starts_with("packs/parity/ab/abab"));
        assert_eq!(
            StorageKey::Pack(b.into()).to_string().len(),
            "packs/data/ab/".len() + 64 + 5
        );
    }

    #[test]
    fn keys_outside_the_grammar_are_refused() {
        let h = hex::encode(ID);
        for bad in [
            "",
            "/etc/passwd",
            "../../etc/passwd",
            "config.json/",
            "./config.json",
            "keys/",
            "keys/../config.json",
            &format!("keys/{}", h.to_uppercase()),
            &format!("keys/{}x", h),
            &format!("keys/{}", &h[..63]),
            &format!("snapshots/../keys/{h}"),
            &format!("packs/data/cd/{h}.pack"),
            &format!("packs/data/ab/{h}.tmp"),
            &format!("packs/data/ab/../ab/{h}.pack"),
            &format!("packs/data/{h}.pack"),
            &format!("packs/data/ab/{h}.par"),
            &format!("packs/parity/ab/{h}.pack"),
            &format!("packs/parity/cd/{h}.par"),
            &format!("parity/{h}.par"),
            &format!("index/{h}/"),
            &format!("index//{h}"),
            "locks/\u{0}",
        ] {
            assert!(!validate_key(bad), "accepted {bad:?}");
        }
    }

    #[test]
    fn prefixes() {
        for ok in [
            "",
            "keys/",
            "locks/",
            "snapshots/",
            "index/",
            "packs/",
            "packs/data/",
            "packs/data/0f/",
            "parity/",
            "packs/parity/",
            "packs/parity/0f/",
        ] {
            assert!(validate_prefix(ok), "{ok}");
        }
        for bad in [
            "/",
            "..",
            "../",
            "keys",
            "packs/data/0F/",
            "packs/data/abc/",
            "packs/data/../",
            "packs/parity/0F/",
            "parity",
            "tmp/",
        ] {
            assert!(!validate_prefix(bad), "{bad}");
        }
    }
}
