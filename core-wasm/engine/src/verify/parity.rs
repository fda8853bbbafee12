//! Verification of parity groups: every group's files exist, every pack a snapshot needs
//! is protected, and each group's stored parity equals the parity of its members.

use std::collections::{BTreeSet, HashSet};

use super::{Verifier, VerifyError};
use crate::error::{Error, Result};
use crate::groups;
use crate::host::Host;
use crate::ids::{GroupId, PackId};
use crate::layout::StorageKey;
use crate::packer::PackFiles;
use crate::parity::{GroupManifest, ParityBuilder};

impl<H: Host> Verifier<'_, H> {
    /// Reads every group manifest and checks that its files exist; returns the readable ones.
    pub(super) fn check_groups(&mut self, files: &PackFiles) -> Result<Vec<(GroupId, GroupManifest)>> {
        let shards: HashSet<StorageKey> = self.store.list(crate::layout::Dir::Shards)?.into_iter().collect();
        let mut good = Vec::new();
        for (id, g) in groups::groups(self.store)? {
            self.f.stats.groups_checked += 1;
            let group = Some(StorageKey::Group(id));
            let g = match g {
                Ok(g) => g,
                Err(e) => {
                    self.report(VerifyError {
                        group,
                        error: e.to_string(),
                        ..Default::default()
                    });
                    continue;
                }
            };
            for s in &g.parity {
                if !shards.contains(&StorageKey::Shard(s.id)) {
                    let error = format!(
                        "parity shard {} of this group is missing",
                        StorageKey::Shard(s.id)
                    );
                    self.report(VerifyError {
                        group,
                        error,
                        ..Default::default()
                    });
                }
            }
            for m in &g.members {
                if !files.get(&m.id).is_some_and(|f| f.pack) {
                    let error = "the pack is missing (it is a member of a parity group: run `repair`)".into();
                    self.report_pack(&m.id, error);
                }
            }
            good.push((id, g));
        }
        Ok(good)
    }

    /// Warns about every pack a snapshot needs that no readable parity group protects: it
    /// is intact, but a loss could not be repaired.
    pub(super) fn check_protection(
        &mut self,
        needed: &BTreeSet<PackId>,
        groups: &[(GroupId, GroupManifest)],
    ) {
        if self.store.config().parity.parity_packs == 0 {
            return;
        }
        let protected: HashSet<PackId> = groups
            .iter()
            .flat_map(|(_, g)| g.members.iter().map(|m| m.id))
            .collect();
        for id in needed.iter().filter(|id| !protected.contains(*id)) {
            self.f.warnings.push(VerifyError {
                pack: Some(StorageKey::Pack(*id)),
                error: "no parity group protects this pack: run `repair` to add parity".into(),
                ..Default::default()
            });
        }
    }

    /// Compares a group's stored parity with the parity recomputed from its members.
    pub(super) fn compare_parity(
        &mut self,
        gid: &GroupId,
        g: &GroupManifest,
        recomputed: &ParityBuilder,
    ) -> Result<()> {
        for (i, expected) in recomputed.parity().iter().enumerate() {
            let group = Some(StorageKey::Group(*gid));
            match groups::read_shard(self.store, g, i) {
                Ok(stored) => {
                    self.f.stats.bytes_read += stored.len() as u64;
                    if stored != *expected {
                        let error = format!(
                            "parity shard {} does not match the group's members: run `repair`",
                            StorageKey::Shard(g.parity[i].id)
                        );
                        self.report(VerifyError {
                            group,
                            error,
                            ..Default::default()
                        });
                    }
                }
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => self.report(VerifyError {
                    group,
                    error: e.to_string(),
                    ..Default::default()
                }),
            }
        }
        Ok(())
    }
}
