//! The `cairn` CLI: runs Cairn's engine, the ABI wasm module of `core-wasm/abi`, under
//! wasmtime on a repository in a local directory (docs/DESIGN.md §3).
//!
//! The engine does all the work; this crate gives it its storage ([`storage`], at a [`location`]), the
//! other imports ([`imports`]), runs it ([`runtime`]), and turns the command line into
//! engine operations ([`commands`]).

#![warn(missing_docs)]

pub mod allocator;
pub mod cli;
pub mod commands;
pub mod error;
pub mod imports;
pub mod jobs;
pub mod leftovers;
pub mod location;
pub mod output;
pub mod passphrase;
pub mod progress;
pub mod runtime;
pub mod storage;
pub mod tree;
pub mod write_behind;
