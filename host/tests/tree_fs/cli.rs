//! Directory trees through the `cairn` binary and its engine: a tree ingested, listed and
//! restored exactly, a second ingest of the unchanged tree that stores nothing, and one
//! file restored on its own.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::compare::{assert_rsync_same, assert_same};
use super::restore::build;

fn cairn(args: &[&std::ffi::OsStr]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .arg("--json")
        .env_remove("CAIRN_PASSPHRASE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cairn {args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The `path` of each step of `cairn ls --json`.
fn paths_of(listed: &Value) -> Vec<&str> {
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect()
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn p(path: &Path) -> &std::ffi::OsStr {
    path.as_os_str()
}

#[test]
fn a_tree_round_trips_through_the_cli_and_an_unchanged_one_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (src, repo) = (dir.path().join("src"), dir.path().join("repo"));
    fs::create_dir(&src).unwrap();
    build(&src);
    cairn(&[os("init"), p(&repo), os("--chunking"), os("1024,4096,16384")]);
    let first = cairn(&[os("ingest"), p(&repo), p(&src)]);
    assert_eq!(first["items"][0]["name"], "src");
    assert!(first["items"][0]["entries"].as_u64().unwrap() > 10, "{first}");
    let second = cairn(&[os("ingest"), p(&repo), p(&src)]);
    assert_eq!(second["newChunks"], 0, "{second}");
    assert_eq!(
        second["storedSize"], 0,
        "an unchanged tree is the same pieces: {second}"
    );
    assert_eq!(second["reusedChunks"], first["chunkCount"]);

    let listed = cairn(&[os("ls"), p(&repo), os("latest")]);
    let paths = paths_of(&listed);
    assert!(
        paths.contains(&"dir/deeper/big") && paths.contains(&""),
        "{paths:?}"
    );
    let one_level = cairn(&[os("ls"), p(&repo), os("latest"), os("dir")]);
    let paths = paths_of(&one_level);
    assert_eq!(
        paths,
        ["", "deeper", "small"],
        "below PATH, as the engine gives them"
    );

    let target = dir.path().join("restored");
    let done = cairn(&[os("restore"), p(&repo), os("latest"), os("--target"), p(&target)]);
    assert_eq!(done["warnings"], 0, "{done}");
    assert_same(&src, &target);
    assert_rsync_same(&src, &target);
    let verified = cairn(&[os("verify"), p(&repo), os("--level"), os("full")]);
    assert_eq!(verified["ok"], true, "{verified}");

    // What changed: one file's content, one file's mode, one file added.
    fs::write(src.join("dir/small"), b"changed").unwrap();
    fs::set_permissions(src.join("empty"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::write(src.join("added"), b"new").unwrap();
    let third = cairn(&[os("ingest"), p(&repo), p(&src)]);
    let first_id = first["id"].as_str().unwrap();
    let changes = cairn(&[
        os("diff"),
        p(&repo),
        os(first_id),
        os(third["id"].as_str().unwrap()),
    ]);
    let got: Vec<String> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["change"].as_str().unwrap(),
                c["path"].as_str().unwrap()
            )
        })
        .collect();
    for want in ["added added", "modified dir/small", "metadata empty"] {
        assert!(got.iter().any(|g| g == want), "{want} in {got:?}");
    }

    // One file, into a directory of its own.
    let single = dir.path().join("single");
    cairn(&[
        os("restore"),
        p(&repo),
        os("latest"),
        os("--target"),
        p(&single),
        os("--path"),
        os("dir/deeper/big"),
    ]);
    assert_eq!(
        fs::read(single.join("big")).unwrap(),
        fs::read(src.join("dir/deeper/big")).unwrap()
    );
    for d in [src.join("read-only"), target.join("read-only")] {
        fs::set_permissions(d, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn exclude_patterns_and_files_leave_entries_out() {
    let dir = tempfile::tempdir().unwrap();
    let (src, repo) = (dir.path().join("src"), dir.path().join("repo"));
    for d in ["build", "src/build", "src/cache"] {
        fs::create_dir_all(src.join(d)).unwrap();
    }
    for f in [
        "a.o",
        "keep.o",
        "build/out",
        "src/main.c",
        "src/main.o",
        "src/build/x",
        "src/cache/blob",
    ] {
        fs::write(src.join(f), f).unwrap();
    }
    let list = dir.path().join("excludes");
    fs::write(&list, "# build output\ncache/\n").unwrap();
    cairn(&[os("init"), p(&repo)]);
    let args = [
        os("ingest"),
        p(&repo),
        p(&src),
        os("--exclude"),
        os("*.o"),
        os("-e"),
        os("/build"),
        os("-e"),
        os("!keep.o"),
        os("--exclude-file"),
        p(&list),
    ];
    cairn(&args);
    let listed = cairn(&[os("ls"), p(&repo), os("latest")]);
    let paths = paths_of(&listed);
    assert_eq!(
        paths,
        ["", "keep.o", "src", "src/build", "src/build/x", "src/main.c"]
    );
}

#[test]
fn a_tree_deeper_than_the_soft_open_file_limit_backs_up_and_restores_whole() {
    // 400 levels under a soft limit of 128 descriptors: the walk holds one per level,
    // so this works only because `cairn` raises its soft limit to the hard one.
    let dir = tempfile::tempdir().unwrap();
    let (src, repo, out) = (
        dir.path().join("src"),
        dir.path().join("repo"),
        dir.path().join("out"),
    );
    let mut deepest = src.clone();
    for _ in 0..400 {
        deepest.push("d");
    }
    fs::create_dir_all(&deepest).unwrap();
    fs::write(deepest.join("leaf"), b"at the bottom").unwrap();
    let limited = |args: &[&std::ffi::OsStr]| {
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -S -n 128 && exec \"$@\"")
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_cairn"))
            .args(args)
            .env_remove("CAIRN_PASSPHRASE")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "cairn {args:?}: {stderr}");
        stderr
    };
    cairn(&[os("init"), p(&repo)]);
    let stderr = limited(&[os("ingest"), p(&repo), p(&src)]);
    assert!(!stderr.contains("warning"), "{stderr}");
    limited(&[os("restore"), p(&repo), os("latest"), os("--target"), p(&out)]);
    let restored = out.join(deepest.strip_prefix(&src).unwrap()).join("leaf");
    assert_eq!(fs::read(restored).unwrap(), b"at the bottom");
}
