//! End-to-end tests of the defaults that keep a mistake from doing harm: `restore` never
//! concatenates items, `restore -o DIR` restores each item under its name and replaces
//! nothing, and `prune` refuses a policy that keeps no snapshot.

use crate::common;
use common::*;

fn two_items(repo: &Repo) -> (String, Vec<u8>, Vec<u8>) {
    let (a, b) = (text_data(300_000, 4), text_data(200_000, 5));
    let item_a = format!("dump={}", s(&repo.file("a.sql", &a)));
    let item_b = format!("volume.tar={}", s(&repo.file("b.tar", &b)));
    let snap = repo.ingest(&["--item", &item_a, "--item", &item_b]);
    (snap["id"].as_str().unwrap().to_string(), a, b)
}

#[test]
fn several_items_are_never_concatenated_into_one_stream() {
    let repo = Repo::init(&[]);
    let (id, a, _) = two_items(&repo);
    let piped = run_args(&["restore", repo.repo(), &id]);
    assert_eq!(piped.code(), 2, "{}", piped.stderr());
    assert!(piped.out.stdout.is_empty(), "nothing reaches the reader");
    assert!(
        piped.stderr().contains("2 items (dump, volume.tar)") && piped.stderr().contains("--item"),
        "{}",
        piped.stderr()
    );
    let file = repo.work.join("all.out");
    let to_file = run_args(&["restore", repo.repo(), "latest", "-o", s(&file), "--json"]);
    assert_eq!(to_file.code(), 2);
    assert_eq!(to_file.json()["error"]["code"], "InvalidArgument");
    assert!(!file.exists());
    let one = run_args(&["restore", repo.repo(), &id, "--item", "dump"]).ok();
    assert!(one.out.stdout == a);
}

#[test]
fn output_into_a_directory_restores_each_item_under_its_name() {
    let repo = Repo::init(&[]);
    let tree = repo.work.join("etc");
    std::fs::create_dir_all(tree.join("ssh")).unwrap();
    std::fs::write(tree.join("ssh/config"), b"Host *\n").unwrap();
    let (a, b) = (text_data(300_000, 6), text_data(10_000, 7));
    let item_a = format!("dump={}", s(&repo.file("a.sql", &a)));
    let item_b = format!("notes={}", s(&repo.file("b.txt", &b)));
    let item_t = format!("etc={}", s(&tree));
    repo.ingest(&["--item", &item_a, "--item", &item_t, "--item", &item_b]);

    let out = repo.work.join("out");
    std::fs::create_dir(&out).unwrap();
    let done = run_args(&["restore", repo.repo(), "latest", "-o", s(&out), "--json"])
        .ok()
        .json();
    let names: Vec<&str> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dump", "etc", "notes"]);
    assert_eq!(done["items"][0]["size"], a.len() as u64);
    assert!(std::fs::read(out.join("dump")).unwrap() == a);
    assert!(std::fs::read(out.join("notes")).unwrap() == b);
    assert_eq!(std::fs::read(out.join("etc/ssh/config")).unwrap(), b"Host *\n");
    assert_eq!(done["items"][1]["tree"]["files"], 1);

    // Again: everything is in the way, and nothing is replaced or added.
    std::fs::write(out.join("notes"), b"mine").unwrap();
    let again = run_args(&["restore", repo.repo(), "latest", "-o", s(&out)]);
    assert_eq!(again.code(), 2, "{}", again.stderr());
    assert!(again.stderr().contains("exists"), "{}", again.stderr());
    assert_eq!(std::fs::read(out.join("notes")).unwrap(), b"mine");

    // One item into another directory.
    let one = repo.work.join("one");
    std::fs::create_dir(&one).unwrap();
    run_args(&["restore", repo.repo(), "latest", "--item", "notes", "-o", s(&one)]).ok();
    let entries: Vec<_> = std::fs::read_dir(&one)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["notes"]);
    let missing = run_args(&[
        "restore",
        repo.repo(),
        "latest",
        "--item",
        "nope",
        "-o",
        s(&one),
        "--json",
    ]);
    assert_eq!(missing.json()["error"]["code"], "ItemNotFound");

    // A directory that does not exist is not guessed at.
    let absent = format!("{}/", s(&repo.work.join("absent")));
    let r = run_args(&["restore", repo.repo(), "latest", "-o", &absent]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    let deep = repo.work.join("absent/file");
    let r = run_args(&[
        "restore",
        repo.repo(),
        "latest",
        "--item",
        "dump",
        "-o",
        s(&deep),
        "--json",
    ]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    assert!(!repo.work.join("absent").exists());
}

#[test]
fn prune_refuses_a_policy_that_keeps_nothing_and_names_its_flags() {
    let repo = Repo::init(&[]);
    let p = repo.file("x", &text_data(30_000, 8));
    repo.ingest(&["--tag", "n=1", s(&p)]);
    repo.ingest(&["--tag", "n=2", s(&p)]);
    let count = || {
        run_args(&["snapshots", repo.repo(), "--json"])
            .ok()
            .json()
            .as_array()
            .unwrap()
            .len()
    };

    let none = run_args(&["prune", repo.repo()]);
    assert_eq!(none.code(), 2);
    assert!(
        none.stderr().contains("--keep-last") && !none.stderr().contains("keepLast"),
        "{}",
        none.stderr()
    );
    for policy in [
        &["--keep-last", "0"][..],
        &["--keep-last", "0", "--keep-days", "0"],
        &["--keep-tag", "n=9"],
        &["--keep-last", "0", "--keep-tag", "other"],
    ] {
        let mut args = vec!["prune", repo.repo(), "--json"];
        args.extend_from_slice(policy);
        let r = run_args(&args);
        assert_eq!(r.code(), 2, "{policy:?}: {}", r.stderr());
        assert_eq!(r.json()["error"]["code"], "InvalidArgument");
        assert!(r.stderr().contains("--allow-empty"), "{policy:?}: {}", r.stderr());
        assert_eq!(count(), 2, "{policy:?} removed nothing");
    }
    run_args(&["prune", repo.repo(), "--keep-tag", "n=1"]).ok();
    assert_eq!(count(), 1);
    let emptied = run_args(&[
        "prune",
        repo.repo(),
        "--keep-last",
        "0",
        "--allow-empty",
        "--json",
    ])
    .ok()
    .json();
    assert_eq!(
        (
            emptied["removedSnapshots"].as_u64(),
            emptied["keptSnapshots"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(count(), 0);
    // An empty repository loses nothing to any policy.
    run_args(&["prune", repo.repo(), "--keep-tag", "n=1"]).ok();
}
