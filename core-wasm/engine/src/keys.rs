//! Key management (`key_add`, `key_list`, `key_remove`): the passphrases that open an
//! encrypted repository, each a key file wrapping the same master key ([`crate::keyfile`]).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::host::Host;
use crate::ids::KeyId;
use crate::kdf::KdfParams;
use crate::keyfile::{KeyFile, Keys};
use crate::layout::{Dir, StorageKey};
use crate::store::Store;

/// One key as `key list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct KeyListing {
    /// The key file's id.
    pub id: KeyId,
    /// When it was added.
    pub created_at: String,
    /// The host that added it.
    pub hostname: String,
    /// Whether this repository was opened with it.
    pub current: bool,
}

fn unlocked<H: Host>(store: &Store<H>) -> Result<&Keys> {
    store
        .keys()
        .ok_or_else(|| Error::InvalidArgument("this repository is not encrypted: it has no keys".into()))
}

/// Wraps the master key under a new passphrase in a new key file; returns its id. The new
/// key costs what the key in use (`current`) costs.
pub fn add<H: Host>(store: &Store<H>, current: Option<KeyId>, passphrase: &str) -> Result<KeyId> {
    let master = unlocked(store)?.master;
    if passphrase.is_empty() {
        return Err(Error::InvalidArgument("the passphrase must not be empty".into()));
    }
    let params = match current {
        Some(id) => read(store, id)?.kdf.params,
        None => KdfParams::default(),
    };
    let now = crate::time::format_ms(store.now_ms());
    let kf = KeyFile::wrap(
        store.host(),
        store.crypto(),
        &master,
        passphrase,
        params,
        now,
        store.client().hostname.clone(),
    )?;
    let mut bytes = [0u8; 32];
    store.host().random(&mut bytes);
    let id = KeyId::new(bytes);
    if !store.put_new(&StorageKey::Key(id), &kf.to_bytes())? {
        return Err(Error::Internal("random key file name collided".into()));
    }
    Ok(id)
}

/// Ids of every key file, sorted.
pub fn ids<H: Host>(store: &Store<H>) -> Result<Vec<KeyId>> {
    store.list_ids(Dir::Keys, |k| match k {
        StorageKey::Key(id) => Some(id),
        _ => None,
    })
}

/// Reads and parses one key file.
pub fn read<H: Host>(store: &Store<H>, id: KeyId) -> Result<KeyFile> {
    let key = StorageKey::Key(id);
    KeyFile::parse(&key.to_string(), &store.get(&key)?)
}

/// Every key file, oldest first; `current` is marked.
pub fn list<H: Host>(store: &Store<H>, current: Option<KeyId>) -> Result<Vec<KeyListing>> {
    unlocked(store)?;
    let mut out = Vec::new();
    for id in ids(store)? {
        let k = read(store, id)?;
        out.push(KeyListing {
            id,
            created_at: k.created_at,
            hostname: k.hostname,
            current: current == Some(id),
        });
    }
    out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    Ok(out)
}

/// Removes a key file by id or unique prefix; never the last one, nor the one in use. It
/// reads no key file, so a damaged one (which `key list` names) can be removed too.
pub fn remove<H: Host>(store: &Store<H>, current: Option<KeyId>, wanted: &str) -> Result<()> {
    unlocked(store)?;
    let all = ids(store)?;
    let matching: Vec<KeyId> = all
        .iter()
        .filter(|id| !wanted.is_empty() && id.to_hex().starts_with(wanted))
        .copied()
        .collect();
    let key = match matching.as_slice() {
        [] => return Err(Error::KeyNotFound(wanted.to_string())),
        [one] => *one,
        _ => {
            return Err(Error::InvalidArgument(format!(
                "`{wanted}` matches {} keys: give more of the id",
                matching.len()
            )))
        }
    };
    if all.len() == 1 {
        return Err(Error::LastKey);
    }
    if current == Some(key) {
        return Err(Error::InvalidArgument(
            "this is the key the repository was opened with: open it with another passphrase to remove this one".into(),
        ));
    }
    store.delete(&StorageKey::Key(key))
}
