//! Helpers the CLI's end-to-end tests share: running `cairn`, temp repositories, test data.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

pub const CAIRN: &str = env!("CARGO_BIN_EXE_cairn");

/// Small chunks, so that a few MiB make enough chunks to measure deduplication.
pub const CHUNKING: &str = "16K,64K,256K";

pub struct Run {
    pub out: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().expect("exited")
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.out.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", self.stdout()))
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code(), 0, "stderr: {}", self.stderr());
        self
    }
}

/// A command with a clean environment for passphrases: nothing inherited from the caller.
pub fn cairn(args: &[&str]) -> Command {
    let mut c = Command::new(CAIRN);
    c.args(args)
        .env_remove("CAIRN_PASSPHRASE")
        .env_remove("CAIRN_NEW_PASSPHRASE")
        .stdin(Stdio::null());
    c
}

pub fn run(c: &mut Command) -> Run {
    Run {
        out: c.output().expect("cairn runs"),
    }
}

pub fn run_args(args: &[&str]) -> Run {
    run(&mut cairn(args))
}

pub fn run_with_stdin(args: &[&str], input: &[u8]) -> Run {
    let mut child = cairn(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    Run {
        out: child.wait_with_output().unwrap(),
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Pseudo-random but compressible text: lines of words from a small vocabulary with
/// numbers, deterministic for a seed.
pub fn text_data(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 16] = [
        "backup", "chunk", "pack", "index", "snapshot", "restore", "verify", "prune", "cairn", "stone",
        "river", "mountain", "ledger", "archive", "delta", "parity",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::with_capacity(len + 100);
    let mut line = 0u64;
    while out.len() < len {
        line += 1;
        let r = next();
        out.extend_from_slice(format!("{line:08} {:>10} ", r % 1_000_000).as_bytes());
        for i in 0..(4 + r % 8) {
            out.extend_from_slice(WORDS[((r >> (i * 4)) & 15) as usize].as_bytes());
            out.push(b' ');
        }
        out.push(b'\n');
    }
    out.truncate(len);
    out
}

pub struct Repo {
    pub _dir: TempDir,
    pub path: PathBuf,
    pub work: PathBuf,
}

impl Repo {
    /// A new repository (with `extra` init options) and a work directory beside it.
    pub fn init(extra: &[&str]) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let mut args = vec!["init", s(&path), "--chunking", CHUNKING];
        args.extend_from_slice(extra);
        run_args(&args).ok();
        Repo {
            _dir: dir,
            path,
            work,
        }
    }

    /// A new encrypted repository under `passphrase`.
    pub fn init_encrypted(extra: &[&str], passphrase: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let mut args = vec!["init", s(&path), "--encrypt", "--chunking", CHUNKING];
        args.extend_from_slice(extra);
        run(cairn(&args).env("CAIRN_PASSPHRASE", passphrase)).ok();
        Repo {
            _dir: dir,
            path,
            work,
        }
    }

    pub fn repo(&self) -> &str {
        s(&self.path)
    }

    pub fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.work.join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Writes `data` to the work file `name`, ingests it; answers the snapshot's id.
    pub fn ingest_file(&self, name: &str, data: &[u8]) -> String {
        let path = self.file(name, data);
        self.ingest(&[s(&path)])["id"].as_str().unwrap().to_string()
    }

    pub fn ingest(&self, extra: &[&str]) -> Value {
        let mut args = vec!["ingest", self.repo(), "--json"];
        args.extend_from_slice(extra);
        run_args(&args).ok().json()
    }
}

pub fn assert_snapshot_fields(s: &Value) {
    for field in [
        "id",
        "version",
        "createdAt",
        "tags",
        "originalSize",
        "storedSize",
        "chunkCount",
        "newChunks",
        "reusedChunks",
    ] {
        assert!(s.get(field).is_some(), "ISnapshot lacks {field}: {s}");
    }
    for item in s["items"].as_array().expect("items") {
        for field in ["name", "size", "chunkCount"] {
            assert!(item.get(field).is_some(), "ISnapshotItem lacks {field}: {item}");
        }
    }
}

/// Copies a directory tree (a repository, so that tests never touch the original).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Every file under `dir`, recursively.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
