//! The repository's key grammar: every storage key the engine may use, and nothing else.
//!
//! Hosts call [`validate_key`] and [`validate_prefix`] before touching disk (DESIGN.md §2),
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

/// The repository's configuration file.
pub const CONFIG: &str = "config.json";
/// Directory of wrapped master keys.
pub const KEYS: &str = "keys/";
/// Directory of advisory locks.
pub const LOCKS: &str = "locks/";
/// Directory of snapshot manifests.
pub const SNAPSHOTS: &str = "snapshots/";
/// Directory of global index segments.
pub const INDEX: &str = "index/";
/// Directory of data packs and their `.idx` sidecars.
pub const PACKS: &str = "packs/data/";
/// Directory of parity group manifests.
pub const GROUPS: &str = "parity/";
/// Directory of parity shards.
pub const PARITY: &str = "packs/parity/";

/// Lowercase hex of a 32-byte id.
pub fn hex_id(id: &[u8; 32]) -> String {
    hex::encode(id)
}

/// Parses 64 lowercase hex digits into an id.
pub fn parse_id(s: &str) -> Option<[u8; 32]> {
    if !is_id(s) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// True for exactly 64 lowercase hex digits.
pub fn is_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Key of a key file.
pub fn key_file(id: &[u8; 32]) -> String {
    format!("{KEYS}{}", hex_id(id))
}

/// Key of a lock file.
pub fn lock_file(id: &[u8; 32]) -> String {
    format!("{LOCKS}{}", hex_id(id))
}

/// Key of a snapshot manifest.
pub fn snapshot_file(id: &[u8; 32]) -> String {
    format!("{SNAPSHOTS}{}", hex_id(id))
}

/// Key of a global index segment.
pub fn index_file(id: &[u8; 32]) -> String {
    format!("{INDEX}{}", hex_id(id))
}

/// Key of a pack file.
pub fn pack_file(id: &[u8; 32]) -> String {
    let h = hex_id(id);
    format!("{PACKS}{}/{h}.pack", &h[..2])
}

/// Key of a pack's `.idx` sidecar.
pub fn pack_index_file(id: &[u8; 32]) -> String {
    let h = hex_id(id);
    format!("{PACKS}{}/{h}.idx", &h[..2])
}

/// Key of a parity group manifest.
pub fn group_file(id: &[u8; 32]) -> String {
    format!("{GROUPS}{}", hex_id(id))
}

/// Key of a parity shard.
pub fn parity_file(id: &[u8; 32]) -> String {
    let h = hex_id(id);
    format!("{PARITY}{}/{h}.par", &h[..2])
}

/// What a valid key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `config.json`.
    Config,
    /// A file in `keys/`.
    Key([u8; 32]),
    /// A file in `locks/`.
    Lock([u8; 32]),
    /// A file in `snapshots/`.
    Snapshot([u8; 32]),
    /// A file in `index/`.
    Index([u8; 32]),
    /// A `.pack` file.
    Pack([u8; 32]),
    /// A `.idx` sidecar.
    PackIndex([u8; 32]),
    /// A file in `parity/`.
    Group([u8; 32]),
    /// A `.par` parity shard.
    Parity([u8; 32]),
}

/// Builds a [`KeyKind`] from an id.
type MakeKind = fn([u8; 32]) -> KeyKind;

/// Parses a key against the grammar; `None` for anything outside it.
pub fn parse_key(key: &str) -> Option<KeyKind> {
    if key == CONFIG {
        return Some(KeyKind::Config);
    }
    for (dir, make) in [
        (KEYS, KeyKind::Key as MakeKind),
        (LOCKS, KeyKind::Lock),
        (SNAPSHOTS, KeyKind::Snapshot),
        (INDEX, KeyKind::Index),
        (GROUPS, KeyKind::Group),
    ] {
        if let Some(rest) = key.strip_prefix(dir) {
            return parse_id(rest).map(make);
        }
    }
    let (rest, suffixes): (&str, &[(&str, MakeKind)]) = if let Some(rest) = key.strip_prefix(PACKS) {
        (rest, &[(".pack", KeyKind::Pack), (".idx", KeyKind::PackIndex)])
    } else {
        (key.strip_prefix(PARITY)?, &[(".par", KeyKind::Parity)])
    };
    let (fan, file) = rest.split_once('/')?;
    let (name, kind) = suffixes
        .iter()
        .find_map(|(suffix, kind)| Some((file.strip_suffix(suffix)?, *kind)))?;
    let id = parse_id(name)?;
    (fan.len() == 2 && name.starts_with(fan)).then(|| kind(id))
}

/// True when `key` is in the grammar.
pub fn validate_key(key: &str) -> bool {
    parse_key(key).is_some()
}

/// True when `prefix` may be listed: the empty prefix, a directory of the grammar
/// (`keys/`, `locks/`, `snapshots/`, `index/`, `parity/`, `packs/`, `packs/data/`,
/// `packs/parity/`), or one fan-out directory `packs/data/<2 hex>/` or `packs/parity/<2 hex>/`.
pub fn validate_prefix(prefix: &str) -> bool {
    if matches!(
        prefix,
        "" | KEYS | LOCKS | SNAPSHOTS | INDEX | GROUPS | "packs/" | PACKS | PARITY
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
        assert_eq!(parse_key(CONFIG), Some(KeyKind::Config));
        assert_eq!(parse_key(&key_file(&ID)), Some(KeyKind::Key(ID)));
        assert_eq!(parse_key(&lock_file(&ID)), Some(KeyKind::Lock(ID)));
        assert_eq!(parse_key(&snapshot_file(&ID)), Some(KeyKind::Snapshot(ID)));
        assert_eq!(parse_key(&index_file(&ID)), Some(KeyKind::Index(ID)));
        assert_eq!(parse_key(&pack_file(&ID)), Some(KeyKind::Pack(ID)));
        assert_eq!(parse_key(&pack_index_file(&ID)), Some(KeyKind::PackIndex(ID)));
        assert_eq!(parse_key(&group_file(&ID)), Some(KeyKind::Group(ID)));
        assert_eq!(parse_key(&parity_file(&ID)), Some(KeyKind::Parity(ID)));
        assert!(pack_file(&ID).starts_with("packs/data/ab/abab"));
        assert!(parity_file(&ID).starts_with("packs/parity/ab/abab"));
    }

    #[test]
    fn keys_outside_the_grammar_are_refused() {
        let h = hex_id(&ID);
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
