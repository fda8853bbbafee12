//! Cairn's backup engine: content-defined chunking, hashing, compression, encryption,
//! packing and snapshots, written against one narrow host interface ([`host::Host`]).
//!
//! The crate does no I/O of its own (DESIGN.md §1): it compiles to `wasm32` and runs
//! wherever a host supplies storage, randomness, a clock and an event sink. Two thin
//! binding crates expose [`api::Api`] to wasmtime and to JavaScript. The repository format
//! it reads and writes is specified in `docs/FORMAT.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod chunker;
pub mod codec;
pub mod config;
pub mod conformance;
pub mod crypto;
pub mod error;
pub mod groups;
pub mod host;
pub mod index;
pub mod ingest;
pub mod keys;
pub mod layout;
pub mod lock;
pub mod memory;
pub mod pack;
pub mod parity;
pub mod prune;
pub mod repair;
pub mod repo;
pub mod restore;
pub mod retention;
pub mod seal;
pub mod snapshot;
pub mod time;
pub mod verify;

pub use error::{Error, ErrorCode, Result};
pub use host::{Host, Storage, StorageError};
pub use repo::Repository;
