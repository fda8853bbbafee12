//! Typed ids: one type per kind of thing a 32-byte id names, so that a pack id cannot be
//! passed where a snapshot id is expected, and every id is parsed from hex exactly once.
//!
//! Every id is 32 bytes, written in keys and JSON as 64 lowercase hex digits
//! (docs/FORMAT.md, conventions). Content-addressed ids (packs, snapshots, index segments,
//! parity groups and shards) are the SHA-256 of the stored bytes; blob ids are SHA-256 or
//! HMAC-SHA-256 of the plaintext; key and lock ids are random.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// True for exactly 64 lowercase hex digits.
pub fn is_hex_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses 64 lowercase hex digits into 32 bytes.
pub fn parse_hex_id(s: &str) -> Option<[u8; 32]> {
    if !is_hex_id(s) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "typescript", derive(specta::Type))]
        pub struct $name(#[cfg_attr(feature = "typescript", specta(type = String))] [u8; 32]);

        impl $name {
            /// The id with these bytes.
            pub const fn new(bytes: [u8; 32]) -> Self {
                $name(bytes)
            }

            /// Its bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Parses 64 lowercase hex digits.
            pub fn parse(s: &str) -> Option<Self> {
                parse_hex_id(s).map($name)
            }

            /// The 64 lowercase hex digits.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl From<[u8; 32]> for $name {
            fn from(bytes: [u8; 32]) -> Self {
                $name(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), &self.to_hex()[..12])
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!("`{s}` is not an id (64 lowercase hex digits)"))
                })
            }
        }
    )+};
}

id_type! {
    /// A data pack: the SHA-256 of its bytes, which is also its file name.
    PackId;
    /// A blob (a chunk or a chunk-list piece): SHA-256 of its plaintext, keyed (HMAC) in
    /// encrypted repositories.
    BlobId;
    /// A snapshot: the SHA-256 of its stored manifest.
    SnapshotId;
    /// A global index segment: the SHA-256 of the file.
    SegmentId;
    /// A snapshot record (docs/FORMAT.md §9a): the SHA-256 of the file.
    RecordId;
    /// A parity group: the SHA-256 of its manifest file.
    GroupId;
    /// A parity shard: the SHA-256 of its bytes.
    ShardId;
    /// A key file: random.
    KeyId;
    /// A lock file: random.
    LockId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_hex_and_json() {
        let id = PackId::new([0xab; 32]);
        assert_eq!(id.to_string(), "ab".repeat(32));
        assert_eq!(PackId::parse(&id.to_hex()), Some(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<PackId>(&json).unwrap(), id);
        for bad in [
            "",
            "AB",
            &"AB".repeat(32),
            &"ab".repeat(31),
            &format!("{}x", "a".repeat(63)),
        ] {
            assert!(PackId::parse(bad).is_none(), "{bad}");
            assert!(serde_json::from_str::<SnapshotId>(&format!("\"{bad}\"")).is_err());
        }
        assert_eq!(format!("{:?}", BlobId::new([1; 32])), "BlobId(010101010101)");
    }
}
