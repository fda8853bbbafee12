//! Reed-Solomon parity over groups of data packs (docs/FORMAT.md, "Parity").
//!
//! A group holds up to k data packs (its members) and m parity shards. The parity is
//! computed as if every member were zero-padded to the group's shard size and every missing
//! member of a group that is not full yet were all zeros. Parity is linear, so it is
//! accumulated one member at a time, and a group that is not full yet grows by adding a new
//! member's contribution to the parity it already has: memory is m shards, never a group.
//!
//! This module is the format and the arithmetic; `groups` reads and writes groups.

use reed_solomon_erasure::galois_8::ReedSolomon;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{GroupId, PackId, ShardId};

/// Version of the group manifest format this engine writes and reads.
pub const GROUP_VERSION: u64 = 1;

/// A member (`I` = [`PackId`]) or parity shard (`I` = [`ShardId`]) of a group: a file
/// named by the SHA-256 of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shard<I> {
    /// SHA-256 of the file, which is also its name.
    pub id: I,
    /// Its size in bytes.
    pub size: u64,
}

/// The manifest of one parity group, stored as JSON in `parity/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupManifest {
    /// [`GROUP_VERSION`].
    pub version: u64,
    /// k: data shards of the code.
    pub data_packs: u32,
    /// m: parity shards of the code.
    pub parity_packs: u32,
    /// Length every shard is padded to: the largest member's size.
    pub shard_size: u64,
    /// The data packs, in shard order; fewer than k while the group is not full.
    pub members: Vec<Shard<PackId>>,
    /// The parity shards, in shard order (k, k+1, ...).
    pub parity: Vec<Shard<ShardId>>,
}

impl GroupManifest {
    /// The `version` a manifest's bytes declare, if they are JSON with one.
    pub fn version_of(bytes: &[u8]) -> Option<u64> {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()?
            .get("version")?
            .as_u64()
    }

    /// Parses and checks a manifest; the error says what is wrong (the caller names the
    /// file). A manifest of another version is refused: check [`GroupManifest::version_of`]
    /// first to tell a newer format from damage.
    pub fn parse(bytes: &[u8]) -> Result<GroupManifest, String> {
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
        match v.get("version").and_then(|f| f.as_u64()) {
            Some(GROUP_VERSION) => {}
            Some(found) => return Err(format!("group format version {found}, not {GROUP_VERSION}")),
            None => return Err("no format version".into()),
        }
        let g: GroupManifest = serde_json::from_value(v).map_err(|e| e.to_string())?;
        g.check()?;
        Ok(g)
    }

    fn check(&self) -> Result<(), String> {
        let (k, m) = (self.data_packs as usize, self.parity_packs as usize);
        if k == 0 || m == 0 || k + m > 256 {
            return Err(format!("impossible code RS({k},{m})"));
        }
        if self.members.is_empty() || self.members.len() > k {
            return Err(format!("{} members for {k} data shards", self.members.len()));
        }
        if self.parity.len() != m {
            return Err(format!("{} parity shards for m = {m}", self.parity.len()));
        }
        if let Some(s) = self.members.iter().find(|s| s.size > self.shard_size) {
            return Err(format!("member {} is larger than the shard size", s.id));
        }
        if self.members.iter().map(|s| s.size).max() != Some(self.shard_size) {
            return Err("the shard size is not the largest member's size".into());
        }
        if self.parity.iter().any(|s| s.size != self.shard_size) {
            return Err("a parity shard's size differs from the shard size".into());
        }
        let mut ids: Vec<_> = self.members.iter().map(|s| s.id).collect();
        ids.sort();
        ids.dedup();
        if ids.len() != self.members.len() {
            return Err("a pack is a member twice".into());
        }
        Ok(())
    }

    /// The file's bytes (compact JSON and a newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec(self).expect("group manifest serialises");
        out.push(b'\n');
        out
    }

    /// True when the group has k members and will not grow.
    pub fn is_full(&self) -> bool {
        self.members.len() == self.data_packs as usize
    }

    /// The shard index of a member pack.
    pub fn position(&self, pack: &PackId) -> Option<usize> {
        self.members.iter().position(|s| s.id == *pack)
    }
}

/// The Reed-Solomon code of RS(k, m), or an error for an impossible one.
pub fn code(data_packs: u32, parity_packs: u32) -> Result<ReedSolomon> {
    ReedSolomon::new(data_packs as usize, parity_packs as usize).map_err(|e| {
        Error::InvalidArgument(format!(
            "parity {data_packs},{parity_packs} is not a usable Reed-Solomon code: {e:?}"
        ))
    })
}

/// The parity of a group being built, one member at a time.
pub struct ParityBuilder {
    rs: ReedSolomon,
    data_packs: u32,
    members: Vec<Shard<PackId>>,
    parity: Vec<Vec<u8>>,
    /// The group manifest this one extends (and replaces once written), if any.
    pub base: Option<GroupId>,
}

impl ParityBuilder {
    /// An empty group of RS(k, m).
    pub fn new(data_packs: u32, parity_packs: u32) -> Result<ParityBuilder> {
        Ok(ParityBuilder {
            rs: code(data_packs, parity_packs)?,
            data_packs,
            members: Vec::new(),
            parity: vec![Vec::new(); parity_packs as usize],
            base: None,
        })
    }

    /// Continues a group that is not full yet, from its manifest and its parity shards' bytes.
    pub fn resume(id: GroupId, g: &GroupManifest, parity: Vec<Vec<u8>>) -> Result<ParityBuilder> {
        let mut b = ParityBuilder::new(g.data_packs, g.parity_packs)?;
        if g.is_full()
            || parity.len() != b.parity.len()
            || parity.iter().any(|p| p.len() as u64 != g.shard_size)
        {
            return Err(Error::Internal("resumed a group that does not fit".into()));
        }
        b.members = g.members.clone();
        b.parity = parity;
        b.base = Some(id);
        Ok(b)
    }

    /// Adds the next member's contribution to the parity.
    pub fn add(&mut self, id: PackId, pack: &[u8]) {
        assert!(!self.is_full(), "a full group takes no more members");
        let i = self.members.len();
        if pack.len() > self.parity[0].len() {
            // Zero padding contributes nothing, so the parity so far stays valid when it grows.
            for p in &mut self.parity {
                p.resize(pack.len(), 0);
            }
        }
        let mut heads: Vec<&mut [u8]> = self.parity.iter_mut().map(|p| &mut p[..pack.len()]).collect();
        self.rs
            .encode_single_sep(i, pack, &mut heads)
            .expect("shard counts and lengths match");
        if i == 0 {
            // The first member overwrites rather than adds: clear what lies past it.
            for p in &mut self.parity {
                p[pack.len()..].fill(0);
            }
        }
        self.members.push(Shard {
            id,
            size: pack.len() as u64,
        });
    }

    /// True when the group has k members.
    pub fn is_full(&self) -> bool {
        self.members.len() == self.data_packs as usize
    }

    /// True when `id` is a member of this group.
    pub fn has_member(&self, id: &PackId) -> bool {
        self.members.iter().any(|m| m.id == *id)
    }

    /// True when no member was added (a resumed group is never empty).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The parity shards' bytes.
    pub fn parity(&self) -> &[Vec<u8>] {
        &self.parity
    }

    /// The manifest of this group, given the ids of its parity shards' files.
    pub fn manifest(&self, parity_ids: &[ShardId]) -> GroupManifest {
        let shard_size = self.parity[0].len() as u64;
        GroupManifest {
            version: GROUP_VERSION,
            data_packs: self.data_packs,
            parity_packs: self.parity.len() as u32,
            shard_size,
            members: self.members.clone(),
            parity: parity_ids
                .iter()
                .map(|id| Shard {
                    id: *id,
                    size: shard_size,
                })
                .collect(),
        }
    }
}

/// Rebuilds the missing shards of one stripe of a group in place. `shards` holds k data
/// shards then m parity shards, all of one length, `None` where lost (at most m).
pub fn reconstruct(g: &GroupManifest, shards: &mut [Option<Vec<u8>>]) -> Result<(), String> {
    let rs = code(g.data_packs, g.parity_packs).map_err(|e| e.to_string())?;
    rs.reconstruct(shards).map_err(|e| format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packs() -> Vec<Vec<u8>> {
        (0..5u8)
            .map(|i| {
                (0..(300 + i as usize * 97))
                    .map(|j| (j as u8).wrapping_mul(i + 3) ^ i)
                    .collect()
            })
            .collect()
    }

    fn build(k: u32, m: u32, packs: &[Vec<u8>]) -> ParityBuilder {
        let mut b = ParityBuilder::new(k, m).unwrap();
        for (i, p) in packs.iter().enumerate() {
            b.add(PackId::new([i as u8; 32]), p);
        }
        b
    }

    #[test]
    fn any_m_lost_members_of_a_partial_group_are_rebuilt() {
        let packs = packs();
        let b = build(8, 2, &packs);
        let g = b.manifest(&[ShardId::new([0xaa; 32]), ShardId::new([0xbb; 32])]);
        assert_eq!(g.shard_size, packs.iter().map(|p| p.len() as u64).max().unwrap());
        for lost in [[0usize, 1], [2, 4], [4, 8], [8, 9], [3, 9]] {
            let mut shards: Vec<Option<Vec<u8>>> = (0..10)
                .map(|i| {
                    let mut s = match i {
                        i if i < packs.len() => packs[i].clone(),
                        i if i < 8 => Vec::new(),
                        i => b.parity()[i - 8].clone(),
                    };
                    s.resize(g.shard_size as usize, 0);
                    Some(s)
                })
                .collect();
            for &l in &lost {
                shards[l] = None;
            }
            reconstruct(&g, &mut shards).unwrap();
            for &l in &lost {
                let got = shards[l].as_ref().unwrap();
                if l < packs.len() {
                    assert_eq!(&got[..packs[l].len()], &packs[l][..], "member {l}");
                } else if l >= 8 {
                    assert_eq!(got, &b.parity()[l - 8], "parity {l}");
                }
            }
        }
    }

    #[test]
    fn growing_a_group_equals_building_it_at_once() {
        let packs = packs();
        let whole = build(8, 2, &packs);
        let first = build(8, 2, &packs[..2]);
        let g = first.manifest(&[ShardId::new([1; 32]), ShardId::new([2; 32])]);
        let mut grown = ParityBuilder::resume(GroupId::new([7; 32]), &g, first.parity().to_vec()).unwrap();
        for (i, p) in packs.iter().enumerate().skip(2) {
            grown.add(PackId::new([i as u8; 32]), p);
        }
        assert_eq!(grown.parity(), whole.parity());
        assert_eq!(grown.base, Some(GroupId::new([7; 32])));
        // Members added largest-first give the same parity as the padded encoding.
        let mut rev: Vec<Vec<u8>> = packs.iter().rev().cloned().collect();
        let r = build(8, 2, &rev);
        let size = rev[0].len();
        for p in &mut rev {
            p.resize(size, 0);
        }
        let rs = code(8, 2).unwrap();
        let mut full: Vec<Vec<u8>> = rev.clone();
        full.resize(10, vec![0; size]);
        rs.encode(&mut full).unwrap();
        assert_eq!(r.parity(), &full[8..]);
    }

    #[test]
    fn manifests_round_trip_and_bad_ones_are_refused() {
        let b = build(4, 1, &packs()[..3]);
        let g = b.manifest(&[ShardId::new([9; 32])]);
        assert_eq!(GroupManifest::parse(&g.to_bytes()).unwrap(), g);
        let text = String::from_utf8(g.to_bytes()).unwrap();
        assert!(text.contains("\"dataPacks\":4"), "{text}");
        let mut v: serde_json::Value = serde_json::from_slice(&g.to_bytes()).unwrap();
        v["version"] = 2.into();
        assert!(GroupManifest::parse(&serde_json::to_vec(&v).unwrap())
            .unwrap_err()
            .contains("version 2"));
        for (field, value) in [
            ("shardSize", serde_json::json!(1)),
            ("members", serde_json::json!([])),
            ("parity", serde_json::json!([])),
            ("dataPacks", serde_json::json!(0)),
            ("members", serde_json::json!([{"id": "xyz", "size": 1}])),
        ] {
            let mut v: serde_json::Value = serde_json::from_slice(&g.to_bytes()).unwrap();
            v[field] = value;
            assert!(
                GroupManifest::parse(&serde_json::to_vec(&v).unwrap()).is_err(),
                "{field}"
            );
        }
        assert!(GroupManifest::parse(b"garbage").is_err());
    }
}
