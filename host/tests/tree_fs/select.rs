//! Parts of a tree through the `cairn` binary: a tree item as a tar stream that GNU tar
//! extracts to the same tree, restores narrowed by `--include`/`--exclude`, and `find`
//! across snapshots.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::compare::{assert_rsync_same, describe};
use super::restore::build;

fn run(args: &[&OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .env_remove("CAIRN_PASSPHRASE")
        .env_remove("CAIRN_REPOSITORY")
        .output()
        .unwrap()
}

fn cairn(args: &[&OsStr]) -> Value {
    let out = run(&[args, &[OsStr::new("--json")]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cairn {args:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn os(s: &str) -> &OsStr {
    s.as_ref()
}

fn p(path: &Path) -> &OsStr {
    path.as_os_str()
}

/// A repository holding one snapshot of the test tree (`build`), as item `src`.
fn repo_with_tree(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (src, repo) = (dir.join("src"), dir.join("repo"));
    fs::create_dir(&src).unwrap();
    build(&src);
    cairn(&[os("init"), p(&repo), os("--chunking"), os("1024,4096,16384")]);
    cairn(&[os("ingest"), p(&repo), p(&src)]);
    (src, repo)
}

fn unlock_read_only(dirs: &[&Path]) {
    use std::os::unix::fs::PermissionsExt;
    for d in dirs {
        let _ = fs::set_permissions(d.join("read-only"), fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn a_tree_item_restored_as_a_stream_is_a_tar_that_gnu_tar_extracts_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (src, repo) = repo_with_tree(dir.path());
    let archive = dir.path().join("tree.tar");
    let done = cairn(&[
        os("restore"),
        p(&repo),
        os("latest"),
        os("--item"),
        os("src"),
        os("-o"),
        p(&archive),
    ]);
    assert_eq!(done["tar"], true, "{done}");
    assert_eq!(
        done["size"].as_u64().unwrap(),
        fs::metadata(&archive).unwrap().len()
    );

    let out = dir.path().join("untarred");
    fs::create_dir(&out).unwrap();
    let tar = Command::new("tar")
        .args([
            "--xattrs",
            "--xattrs-include=*",
            "--acls",
            "--numeric-owner",
            "-xpf",
        ])
        .arg(&archive)
        .arg("-C")
        .arg(&out)
        .output()
        .expect("GNU tar (Debian's tar package)");
    assert!(
        tar.status.success(),
        "tar: {}",
        String::from_utf8_lossy(&tar.stderr)
    );
    // Everything but holes: a tar holds a sparse file's holes as zeros.
    let ((mut want, want_links), (mut got, got_links)) = (describe(&src), describe(&out));
    for d in want.values_mut().chain(got.values_mut()) {
        d.sparse_blocks = None;
    }
    assert_eq!(want, got);
    assert_eq!(want_links, got_links, "the same hard links");
    assert_rsync_same(&src, &out);

    // The same bytes to standard output, for a pipe.
    let piped = run(&[os("restore"), p(&repo), os("latest"), os("--item"), os("src")]);
    assert!(
        piped.status.success(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
    assert_eq!(piped.stdout, fs::read(&archive).unwrap());
    unlock_read_only(&[&src, &out]);
}

#[test]
fn restore_takes_what_includes_name_and_leaves_what_excludes_name() {
    let dir = tempfile::tempdir().unwrap();
    let (src, repo) = repo_with_tree(dir.path());
    let target = dir.path().join("some");
    let restore = |target: &Path, extra: &[&str]| {
        let mut args = vec![os("restore"), p(&repo), os("latest"), os("--target"), p(target)];
        args.extend(extra.iter().map(|s| os(s)));
        cairn(&args)
    };
    restore(&target, &["--include", "big", "--include", "/dir/small"]);
    assert_eq!(
        fs::read(target.join("dir/deeper/big")).unwrap(),
        fs::read(src.join("dir/deeper/big")).unwrap()
    );
    assert_eq!(fs::read(target.join("dir/small")).unwrap(), b"small file");
    let mut names: Vec<_> = fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["dir"], "only the way to what was included");

    let rest = dir.path().join("rest");
    restore(
        &rest,
        &["--exclude", "dir", "-e", "*link", "-e", "fifo", "-e", "null"],
    );
    assert!(!rest.join("dir").exists() && !rest.join("rel-link").exists());
    assert_eq!(
        fs::read(rest.join("read-only/inside")).unwrap(),
        b"in a read-only dir"
    );

    let none = dir.path().join("none");
    let done = restore(&none, &["--include", "no-such-name"]);
    assert_eq!(done["files"], 0, "{done}");
    unlock_read_only(&[&src, &rest]);
}

#[test]
fn find_lists_matching_entries_in_every_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (src, repo) = repo_with_tree(dir.path());
    fs::write(src.join("dir/later.txt"), b"only in the second snapshot").unwrap();
    cairn(&[os("ingest"), p(&repo), p(&src)]);

    let found = cairn(&[os("find"), p(&repo), os("small"), os("later.*")]);
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    let paths = |f: &Value| -> Vec<String> {
        f["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["path"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(paths(&found[0]), ["dir/small"]);
    assert_eq!(paths(&found[1]), ["dir/later.txt", "dir/small"]);
    assert_eq!(found[1]["item"], "src");

    // A path pattern from the root, one snapshot, and the repository from the environment.
    let latest = cairn(&[
        os("find"),
        p(&repo),
        os("--snapshot"),
        os("latest"),
        os("/dir/deeper"),
    ]);
    assert_eq!(paths(&latest[0]), ["dir/deeper"]);
    let by_env = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["find", "--json", "*.txt"])
        .env("CAIRN_REPOSITORY", &repo)
        .output()
        .unwrap();
    assert!(
        by_env.status.success(),
        "{}",
        String::from_utf8_lossy(&by_env.stderr)
    );
    let by_env: Value = serde_json::from_slice(&by_env.stdout).unwrap();
    assert_eq!(paths(&by_env[0]), ["dir/later.txt"]);

    let nothing = run(&[os("find"), p(&repo), os("nothing-like-this")]);
    assert!(nothing.status.success());
    assert_eq!(
        String::from_utf8_lossy(&nothing.stdout).trim(),
        "no entry matched"
    );
    let no_pattern = run(&[os("find"), p(&repo)]);
    assert_eq!(
        no_pattern.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&no_pattern.stderr)
    );
    unlock_read_only(&[&src]);
}
