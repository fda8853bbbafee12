//! Verification at three levels.
//!
//! - *quick*: the index, the pack files, the parity groups and the snapshots agree: every
//!   chunk a snapshot references is indexed, every indexed pack exists with its recorded
//!   size and has its `.idx`, every group's files exist.
//! - *standard*: also reads every pack (or a [`Subset`]) and checks it against its name
//!   (SHA-256), its trailer against its `.idx`, and each group's parity against its members.
//! - *full*: also opens, decompresses and re-hashes every chunk of the packs it reads.
//!
//! Without the key of an encrypted repository (`keyless`), the checks that need no key run:
//! the pack and parity checks of *quick* and *standard*. Each error names what it is about
//! (pack, chunk, group, snapshot, item); a damaged pack or chunk is also reported on every
//! snapshot item that needs it, so the user knows what cannot be restored. A pack that no
//! parity group protects is not damaged: it is a warning (docs/FORMAT.md §10a).
//!
//! The checks are split by what they look at: `verify/snapshots.rs` (manifests, chunk
//! lists, what damage affects), `verify/packs.rs` (pack files and sidecars) and
//! `verify/parity.rs` (groups and shards).

mod contents;
mod packs;
mod parity;
mod snapshots;

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::events::{self, VERIFY_ERROR};
use crate::host::Host;
use crate::ids::{BlobId, PackId};
use crate::index::Index;
use crate::keys;
use crate::layout::StorageKey;
use crate::locking;
use crate::packer;
use crate::segments;
use crate::store::Store;

pub use crate::events::VerifyError;

/// How deep verification goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum VerifyLevel {
    /// Index, packs, groups and snapshots agree.
    Quick,
    /// Also every pack's bytes and every group's parity.
    #[default]
    Standard,
    /// Also every chunk decrypted, decompressed and re-hashed.
    Full,
}

/// Which packs *standard* and *full* read: all, part `n` of `m` (by id), or a random fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Subset {
    /// Part `n` (1-based) of `m` parts, chosen by id: running 1/m .. m/m reads every pack once.
    Part(u32, u32),
    /// A random fraction in (0, 1].
    Fraction(f64),
}

impl Subset {
    /// Parses `n/m`, `P%` or a fraction such as `0.1`.
    pub fn parse(s: &str) -> Result<Subset> {
        let bad = || {
            Error::InvalidArgument(format!(
                "subset `{s}` is not n/m (1 <= n <= m), a percentage such as 10%, or a fraction in (0, 1]"
            ))
        };
        if let Some((n, m)) = s.split_once('/') {
            let (n, m): (u32, u32) = (
                n.trim().parse().map_err(|_| bad())?,
                m.trim().parse().map_err(|_| bad())?,
            );
            return if n >= 1 && n <= m {
                Ok(Subset::Part(n, m))
            } else {
                Err(bad())
            };
        }
        let f = match s.strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().map_err(|_| bad())? / 100.0,
            None => s.trim().parse::<f64>().map_err(|_| bad())?,
        };
        if f > 0.0 && f <= 1.0 {
            Ok(Subset::Fraction(f))
        } else {
            Err(bad())
        }
    }
}

/// Options of `verify`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VerifyOptions {
    /// Depth (default standard).
    #[serde(default)]
    pub level: VerifyLevel,
    /// Read only part of the packs: `n/m` (part n of m, by pack id) or `P%` (a random
    /// share); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subset: Option<String>,
}

/// Counters of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VerifyStats {
    /// Packs checked (existence and size at quick; every byte from standard on).
    pub packs_checked: u64,
    /// Chunk references of the snapshots' items resolved to a pack through the index, at
    /// every level (0 without the key): the same count whatever the level.
    pub chunks_checked: u64,
    /// Stored blobs decrypted, decompressed and re-hashed against their ids: at `full`
    /// only (0 below it), each blob of each pack read once.
    pub blobs_decoded: u64,
    /// Snapshot manifests read.
    pub snapshots_checked: u64,
    /// Parity groups checked.
    pub groups_checked: u64,
    /// Bytes read from packs and parity shards.
    pub bytes_read: u64,
}

/// The answer of `verify` (IVerifyResult).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct VerifyResult {
    /// True when no error was found (warnings do not count).
    pub ok: bool,
    /// The level that ran.
    pub level: VerifyLevel,
    /// False when the repository was verified without its key (index and snapshots unchecked).
    pub keyed: bool,
    /// Every problem found.
    pub errors: Vec<VerifyError>,
    /// Findings that are not damage: packs that no parity group protects (`repair` gives
    /// them parity).
    pub warnings: Vec<VerifyError>,
    /// Counters.
    pub stats: VerifyStats,
}

/// What a verification has found so far.
#[derive(Default)]
struct Findings {
    errors: Vec<VerifyError>,
    warnings: Vec<VerifyError>,
    stats: VerifyStats,
    /// Packs found missing or damaged.
    bad_packs: BTreeSet<PackId>,
    /// Chunks found damaged inside otherwise intact packs.
    bad_chunks: HashSet<BlobId>,
}

/// One verification: the storage, the index it reloaded, and what it found.
struct Verifier<'a, H: Host> {
    store: &'a Store<H>,
    index: &'a Index,
    f: Findings,
    /// At full, the blobs of the last pack read, being opened while the next is read.
    opening: Option<packs::PackOpening>,
}

/// Verifies the repository; problems are in the result, not errors (those are for
/// failures to run at all, such as a locked repository or an unreadable storage).
/// `index` is reloaded from every segment that reads back intact.
pub fn run<H: Host>(store: &Store<H>, index: &mut Index, opts: &VerifyOptions) -> Result<VerifyResult> {
    let subset = opts.subset.as_deref().map(Subset::parse).transpose()?;
    let keyed = !store.keyless();
    if !keyed && opts.level == VerifyLevel::Full {
        return Err(Error::PassphraseRequired);
    }
    let lock = keyed
        .then(|| locking::acquire_for_reading(store, "verify"))
        .transpose()?;
    let run = check(store, index, opts.level, subset, keyed);
    if let Some(lock) = lock {
        locking::release(store, lock)?;
    }
    let f = run?;
    Ok(VerifyResult {
        ok: f.errors.is_empty(),
        level: opts.level,
        keyed,
        errors: f.errors,
        warnings: f.warnings,
        stats: f.stats,
    })
}

fn check<H: Host>(
    store: &Store<H>,
    index: &mut Index,
    level: VerifyLevel,
    subset: Option<Subset>,
    keyed: bool,
) -> Result<Findings> {
    let files = packer::files(store)?;
    let mut damaged_segments = Vec::new();
    if keyed {
        let (fresh, errors) = segments::load_tolerant(store)?;
        *index = fresh;
        damaged_segments = errors;
    }
    let mut v = Verifier {
        store,
        index,
        f: Findings::default(),
        opening: None,
    };
    for e in damaged_segments {
        v.report(VerifyError {
            error: e.to_string(),
            ..Default::default()
        });
    }
    v.check_key_files()?;
    let groups = v.check_groups(&files)?;
    let needed = if keyed {
        v.check_snapshots()?
    } else {
        BTreeSet::new()
    };
    if keyed {
        v.check_indexed_packs(&files, level == VerifyLevel::Quick)?;
        v.check_protection(&needed, &groups);
    }
    if level != VerifyLevel::Quick {
        v.check_pack_bytes(&files, &groups, level == VerifyLevel::Full, subset)?;
    }
    if keyed && !(v.f.bad_packs.is_empty() && v.f.bad_chunks.is_empty()) {
        v.report_affected()?;
    }
    Ok(v.f)
}

impl<H: Host> Verifier<'_, H> {
    /// Records an error and tells the host (`verify:error`).
    fn report(&mut self, e: VerifyError) {
        events::emit(self.store.host(), VERIFY_ERROR, &e);
        self.f.errors.push(e);
    }

    /// Reads every key file, so that one damaged while another opened the repository is
    /// reported (each is checked against its checksum, docs/FORMAT.md §3a).
    fn check_key_files(&mut self) -> Result<()> {
        for id in keys::ids(self.store)? {
            match keys::read(self.store, id) {
                Err(e @ Error::Storage { .. }) => return Err(e),
                Err(e) => self.report(VerifyError {
                    error: e.to_string(),
                    ..Default::default()
                }),
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// Records an error about a pack, which is then known to be damaged.
    fn report_pack(&mut self, id: &PackId, error: String) {
        self.f.bad_packs.insert(*id);
        self.report(VerifyError {
            pack: Some(StorageKey::Pack(*id)),
            error,
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_parse() {
        assert_eq!(Subset::parse("2/5").unwrap(), Subset::Part(2, 5));
        assert_eq!(Subset::parse("10%").unwrap(), Subset::Fraction(0.1));
        assert_eq!(Subset::parse("0.25").unwrap(), Subset::Fraction(0.25));
        for bad in ["0/5", "6/5", "x/2", "0%", "150%", "-1", "", "1/0"] {
            assert!(Subset::parse(bad).is_err(), "{bad}");
        }
    }
}
