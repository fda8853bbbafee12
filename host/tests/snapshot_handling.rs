//! Snapshots as restic users handle them (issue 15), end to end: what `ingest` records
//! (host, user, item paths), the filters of `snapshots` and of `latest` in `restore`,
//! `ls` and `show`, `forget` and `tag`.

use crate::common;
use common::*;

/// Two databases' dumps in one repository: `orders` from a file on host db1, `users`
/// from standard input on host db2, twice each.
fn shared() -> (Repo, Vec<String>) {
    let repo = Repo::init(&[]);
    let mut ids = Vec::new();
    for round in 0..2u64 {
        let orders = repo.file("orders.sql", &text_data(40_000, round));
        let snap = repo.ingest(&[
            "--host",
            "db1",
            "--tag",
            "db=orders",
            "--item",
            &format!("dump={}", s(&orders)),
        ]);
        ids.push(snap["id"].as_str().unwrap().to_string());
        let users = text_data(40_000, 10 + round);
        let args = [
            "ingest",
            repo.repo(),
            "--json",
            "--host",
            "db2",
            "--tag",
            "db=users",
            "--item",
            "dump=-",
        ];
        let snap = run_with_stdin(&args, &users).ok().json();
        ids.push(snap["id"].as_str().unwrap().to_string());
    }
    (repo, ids)
}

fn listed(repo: &Repo, filter: &[&str]) -> Vec<String> {
    let mut args = vec!["snapshots", repo.repo(), "--json"];
    args.extend_from_slice(filter);
    let list = run_args(&args).ok().json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ingest_records_host_user_and_paths_and_filters_narrow_latest() {
    let (repo, ids) = shared();
    let show = run(cairn(&["show", repo.repo(), &ids[0], "--json"]).env("USER", "alice"))
        .ok()
        .json();
    assert_eq!(show["host"], "db1");
    let path = repo.work.join("orders.sql");
    assert_eq!(show["items"][0]["path"], s(&path));
    let users = run_args(&["show", repo.repo(), &ids[1], "--json"]).ok().json();
    assert_eq!(users["items"][0]["path"], "-");
    assert!(
        users["user"].is_string() || std::env::var("USER").is_err(),
        "{users}"
    );
    // A plain ingest names this machine.
    let own = repo.ingest(&[s(&repo.file("x", b"x"))]);
    assert_eq!(own["host"], gethostname::gethostname().to_string_lossy().as_ref());

    assert_eq!(
        listed(&repo, &["--host", "db1"]),
        vec![ids[0].clone(), ids[2].clone()]
    );
    assert_eq!(
        listed(&repo, &["--tag", "db=users"]),
        vec![ids[1].clone(), ids[3].clone()]
    );
    assert_eq!(
        listed(&repo, &["--path", s(&path)]),
        vec![ids[0].clone(), ids[2].clone()]
    );
    assert_eq!(listed(&repo, &["--item", "dump"]).len(), 4);
    assert!(listed(&repo, &["--host", "db1", "--tag", "db=users"]).is_empty());
    let table = run_args(&["snapshots", repo.repo()]).ok().stdout();
    assert!(table.contains("db1") && table.contains("dump (-)"), "{table}");

    // `latest` narrowed: the orders dump, though the users dump is newer.
    let out = run_args(&[
        "restore",
        repo.repo(),
        "latest",
        "--tag",
        "db=orders",
        "--item",
        "dump",
    ])
    .ok();
    assert_eq!(out.out.stdout, text_data(40_000, 1));
    let out = run_args(&[
        "restore",
        repo.repo(),
        "latest",
        "--host",
        "db2",
        "--item",
        "dump",
    ])
    .ok();
    assert_eq!(out.out.stdout, text_data(40_000, 11));
    let shown = run_args(&["show", repo.repo(), "latest", "--tag", "db=orders", "--json"])
        .ok()
        .json();
    assert_eq!(shown["id"], ids[2].as_str());
    // `latest --item dump` skips the newer snapshot without that item.
    let out = run_args(&["restore", repo.repo(), "latest", "--item", "dump"]).ok();
    assert_eq!(out.out.stdout, text_data(40_000, 11));
    // No match is a usage error that says which filter.
    let none = run_args(&[
        "restore",
        repo.repo(),
        "latest",
        "--host",
        "db9",
        "--item",
        "dump",
    ]);
    assert_eq!(none.code(), 2);
    assert!(none.stderr().contains("host db9"), "{}", none.stderr());
    let wrong = run_args(&["show", repo.repo(), &ids[1], "--tag", "db=orders"]);
    assert_eq!(
        wrong.code(),
        2,
        "an id that does not pass the filter: {}",
        wrong.stderr()
    );
}

#[test]
fn forget_by_id_prefix_and_policy_and_tag() {
    let (repo, ids) = shared();
    let packs = || walk(&repo.path.join("packs")).len();
    let before = packs();
    let dry = run_args(&["forget", repo.repo(), &ids[0][..10], "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(dry["removedSnapshotIds"], serde_json::json!([ids[0]]));
    assert_eq!(listed(&repo, &[]).len(), 4);
    let out = run_args(&["forget", repo.repo(), &ids[0][..10]]).ok();
    assert!(out.stdout().contains("stays until"), "{}", out.stdout());
    assert_eq!(listed(&repo, &[]).len(), 3);
    assert_eq!(packs(), before, "forget frees nothing");
    // With the repository from the environment, every argument is a snapshot.
    run(cairn(&["forget", &ids[1], "--json"]).env("CAIRN_REPOSITORY", repo.repo())).ok();
    assert_eq!(listed(&repo, &[]), vec![ids[2].clone(), ids[3].clone()]);
    // `--prune` alone frees what no snapshot needs.
    let freed = run_args(&["forget", repo.repo(), "--prune", "--json"])
        .ok()
        .json();
    assert!(freed["freedBytes"].as_u64().unwrap() > 0, "{freed}");
    assert_eq!(freed["removedSnapshots"], 0);
    // A policy among one host's snapshots; the empty-policy refusals apply as to prune.
    let refused = run_args(&["forget", repo.repo(), "--keep-last", "0", "--host", "db1"]);
    assert_eq!(refused.code(), 2);
    assert!(refused.stderr().contains("--allow-empty"), "{}", refused.stderr());
    let neither = run_args(&["forget", repo.repo()]);
    assert_eq!(neither.code(), 2, "{}", neither.stderr());

    // tag: a new id, the original recorded, the old one gone, data intact.
    let t = run_args(&[
        "tag",
        repo.repo(),
        &ids[2][..12],
        "--add",
        "keep=yes",
        "--remove",
        "db",
        "--json",
    ])
    .ok()
    .json();
    let new = t["changed"][0]["to"].as_str().unwrap().to_string();
    let shown = run_args(&["show", repo.repo(), &new, "--json"]).ok().json();
    assert_eq!(shown["tags"], serde_json::json!({"keep": "yes"}));
    assert_eq!(shown["original"], ids[2].as_str());
    assert_eq!(listed(&repo, &[]), vec![new.clone(), ids[3].clone()]);
    let text = run_args(&["show", repo.repo(), &new]).ok().stdout();
    assert!(text.contains(&format!("original  {}", ids[2])), "{text}");
    let out = run_args(&["restore", repo.repo(), &new]).ok();
    assert_eq!(out.out.stdout, text_data(40_000, 1));
    run_args(&["verify", repo.repo(), "--level", "full"]).ok();
    assert_eq!(
        run_args(&["tag", repo.repo(), &new]).code(),
        2,
        "a tag change is required"
    );
}
