//! Cairn's backup engine: content-defined chunking, hashing, compression, encryption,
//! packing, parity and snapshots, written against one narrow host interface
//! ([`host::Host`]).
//!
//! The crate does no I/O of its own (docs/DESIGN.md §1): it compiles to `wasm32` and runs
//! wherever a host supplies storage, randomness, a clock and an event sink. Two thin
//! binding crates expose [`api::Api`] to wasmtime and to JavaScript. The repository format
//! it reads and writes is specified in `docs/FORMAT.md`.
//!
//! The modules form layers; each uses only those below it (a test checks the graph has no
//! cycle):
//! 1. foundations: [`error`], [`ids`], [`layout`], [`host`], [`wire`], [`time`],
//!    [`crypto`], [`kdf`], [`codec`], [`chunker`], [`seal`];
//! 2. formats, pure encoding and decoding: [`checksum`], [`config`], [`pack`], [`index`],
//!    [`parity`], [`manifest`], [`tree`], [`keyfile`], [`lockfile`], [`retention`], [`events`],
//!    [`jobs`];
//! 3. storage: [`store`] (typed keys, sealing, lock heartbeats);
//! 4. repository data: [`blobs`], [`packer`], [`segments`], [`groups`], [`snapshots`],
//!    [`locking`], [`writer`], [`parallel`], [`treewalk`];
//! 5. operations: [`ingest`], [`restore`], [`verify`], [`prune`], [`forget`], [`tag`],
//!    [`stats`], [`cat`], [`copy`], [`repair`], [`keys`], [`treediff`];
//! 6. the surface: [`repo`], [`ops`] (the operation table), [`api`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ahead;
pub mod api;
pub mod blobs;
pub mod cat;
pub mod checksum;
pub mod chunker;
pub mod codec;
pub mod config;
pub mod conformance;
pub mod copy;
pub mod crypto;
pub mod error;
pub mod events;
pub mod faults;
pub mod forget;
pub mod groups;
pub mod host;
pub mod http_listing;
pub mod ids;
pub mod index;
pub mod ingest;
pub mod jobs;
pub mod kdf;
pub mod keyfile;
pub mod keys;
pub mod layout;
pub mod lockfile;
pub mod locking;
pub mod manifest;
pub mod memory;
pub mod ops;
pub mod pack;
pub mod packer;
pub mod parallel;
pub mod parity;
pub mod prune;
pub mod repair;
pub mod repo;
pub mod restore;
pub mod retention;
pub mod seal;
pub mod segments;
pub mod snapshots;
pub mod stats;
pub mod store;
pub mod tag;
pub mod time;
pub mod tree;
pub mod treediff;
pub mod treewalk;
#[cfg(feature = "typescript")]
pub mod typescript;
pub mod verify;
pub mod wire;
pub mod writer;

pub use error::{Error, ErrorCode, Result};
pub use host::{Host, Storage, StorageError};
pub use repo::Repository;
