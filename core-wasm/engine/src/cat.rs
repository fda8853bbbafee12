//! Cat: the repository's structures as JSON, for inspection (restic's `cat`): the
//! configuration, a snapshot's manifest (opened, in an encrypted repository), the index
//! segments, or a pack's entry table. Never blob contents: `restore` gives those.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::codec::Codec;
use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::PackId;
use crate::index::PackRecord;
use crate::manifest::SnapshotFilter;
use crate::pack::BlobKind;
use crate::store::Store;
use crate::{packer, segments, snapshots};

/// What `cat` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum CatWhat {
    /// `config.json`, as this engine reads it.
    Config,
    /// A snapshot's manifest, opened: the JSON it holds, chunk-list ids included.
    Snapshot,
    /// Every index segment: the segments it supersedes, its packs and their blobs.
    Index,
    /// A pack's entry table (from its `.idx`): each blob's id, kind, codec, offset and
    /// lengths.
    Pack,
}

/// Arguments of `cat`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
pub struct CatArgs {
    /// What to show.
    pub what: CatWhat,
    /// The snapshot (full id, unique prefix or `latest`) or pack (full id or unique
    /// prefix); nothing for `config` and `index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Shows what `args` asks for.
pub fn run<H: Host>(store: &Store<H>, args: &CatArgs) -> Result<Value> {
    let id = || {
        args.id
            .as_deref()
            .ok_or_else(|| Error::InvalidArgument(format!("cat {}: name it by its id", name(args.what))))
    };
    let no_id = || match &args.id {
        Some(_) => Err(Error::InvalidArgument(format!(
            "cat {} takes no id",
            name(args.what)
        ))),
        None => Ok(()),
    };
    let json_of = |v: Result<Value, serde_json::Error>| v.map_err(|e| Error::Internal(format!("cat: {e}")));
    match args.what {
        CatWhat::Config => no_id().and_then(|()| json_of(serde_json::to_value(store.config()))),
        CatWhat::Snapshot => {
            let sid = snapshots::resolve_in(store, id()?, &SnapshotFilter::default())?;
            snapshots::load_json(store, sid)
        }
        CatWhat::Index => {
            no_id()?;
            let mut out = Vec::new();
            for (sid, read) in segments::read_each(store, segments::ids(store)?) {
                let (supersedes, packs) = read?;
                out.push(json!({
                    "id": sid,
                    "supersedes": supersedes,
                    "packs": packs.iter().map(pack_json).collect::<Vec<_>>(),
                }));
            }
            Ok(Value::Array(out))
        }
        CatWhat::Pack => Ok(pack_json(&packer::read_record(store, &pack_id(store, id()?)?)?)),
    }
}

/// Its name on the wire.
fn name(what: CatWhat) -> String {
    serde_json::to_value(what)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The pack a full id or unique prefix names.
fn pack_id<H: Host>(store: &Store<H>, wanted: &str) -> Result<PackId> {
    let lower = wanted.to_ascii_lowercase();
    let found: Vec<PackId> = packer::ids(store)?
        .into_iter()
        .filter(|p| !lower.is_empty() && p.to_hex().starts_with(&lower))
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::InvalidArgument(format!("no pack matches `{wanted}`"))),
        _ => Err(Error::InvalidArgument(format!(
            "`{wanted}` matches {} packs: give more characters of the id",
            found.len()
        ))),
    }
}

/// A pack's record as JSON: its id, size and entries.
fn pack_json(p: &PackRecord) -> Value {
    let blobs: Vec<Value> = p
        .entries
        .iter()
        .map(|e| {
            json!({
                "id": e.id,
                "kind": match e.kind { BlobKind::Data => "data", BlobKind::List => "list" },
                "codec": match e.codec { Codec::None => "none", Codec::Gzip => "gzip", Codec::Zstd => "zstd" },
                "offset": e.offset,
                "storedLen": e.stored_len,
                "rawLen": e.raw_len,
            })
        })
        .collect();
    json!({ "id": p.id, "size": p.size, "blobs": blobs })
}
