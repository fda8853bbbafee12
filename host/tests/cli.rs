//! End-to-end tests of the `cairn` binary on temp directories.
//!
//! Nothing here depends on timing: dates in filters are far from now, and snapshots are
//! told apart by their tags and ids.

use std::process::Stdio;

use serde_json::Value;

use crate::common;
use common::*;

#[test]
fn ingest_and_restore_are_byte_identical_to_a_file_and_to_stdout() {
    let repo = Repo::init(&[]);
    let data = text_data(3 << 20, 1);
    let input = repo.file("data.txt", &data);

    let snap = repo.ingest(&[s(&input)]);
    assert_snapshot_fields(&snap);
    assert_eq!(snap["originalSize"], data.len() as u64);
    assert_eq!(snap["items"][0]["name"], "data.txt");
    assert!(
        snap["storedSize"].as_u64().unwrap() < data.len() as u64 / 2,
        "text compresses: {snap}"
    );
    let id = snap["id"].as_str().unwrap();

    let out = repo.work.join("restored.txt");
    let done = run_args(&["restore", repo.repo(), id, "-o", s(&out), "--json"])
        .ok()
        .json();
    assert_eq!(done["size"], data.len() as u64);
    assert!(std::fs::read(&out).unwrap() == data, "file restore differs");
    let leftovers: Vec<_> = std::fs::read_dir(&repo.work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    let piped = run_args(&["restore", repo.repo(), id]).ok();
    assert!(piped.out.stdout == data, "stdout restore differs");
}

#[test]
fn a_reader_that_stops_early_ends_the_restore_quietly() {
    use std::io::Read;
    let repo = Repo::init(&[]);
    let input = repo.file("big.txt", &text_data(8 << 20, 2));
    let id = repo.ingest(&[s(&input)])["id"].as_str().unwrap().to_string();
    let mut child = cairn(&["restore", repo.repo(), &id])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap(); // then the pipe closes
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        walk(&repo.path.join("locks")).is_empty(),
        "the restore's lock is released"
    );
}

#[test]
fn two_ingest_processes_at_once_both_succeed_and_lose_nothing() {
    use std::io::Write;
    let repo = Repo::init(&[]);
    let data = [text_data(6 << 20, 3), text_data(5 << 20, 4)];
    let mut children: Vec<_> = ["a", "b"]
        .iter()
        .map(|tag| {
            cairn(&[
                "ingest",
                repo.repo(),
                "--json",
                "--tag",
                &format!("who={tag}"),
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    // Interleave the writes, so that both ingests are open (and locked) at the same time.
    let mut inputs: Vec<_> = children.iter_mut().map(|c| c.stdin.take().unwrap()).collect();
    for half in 0..2 {
        for (input, d) in inputs.iter_mut().zip(&data) {
            let mid = d.len() / 2;
            input
                .write_all(if half == 0 { &d[..mid] } else { &d[mid..] })
                .unwrap();
            input.flush().unwrap();
        }
    }
    drop(inputs);
    for (child, d) in children.into_iter().zip(&data) {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let snap: Value = serde_json::from_slice(&out.stdout).unwrap();
        let restored = run_args(&["restore", repo.repo(), snap["id"].as_str().unwrap()]).ok();
        assert!(
            restored.out.stdout == *d,
            "snapshot {} restores differently",
            snap["id"]
        );
    }
    let listed = run_args(&["snapshots", repo.repo(), "--json"]).ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[test]
fn stdin_is_one_item_with_the_engines_default_name() {
    let repo = Repo::init(&["--compression", "zstd"]);
    let data = text_data(700_000, 2);
    let snap = run_with_stdin(&["ingest", repo.repo(), "--json", "-"], &data)
        .ok()
        .json();
    assert_eq!(snap["items"][0]["name"], cairn_core::ingest::DEFAULT_ITEM);
    let snap = run_with_stdin(&["ingest", repo.repo(), "--json"], &data)
        .ok()
        .json();
    assert_eq!(snap["items"][0]["name"], cairn_core::ingest::DEFAULT_ITEM);
    assert_eq!(
        snap["newChunks"], 0,
        "the same bytes again store nothing new: {snap}"
    );
    let restored = run_args(&["restore", repo.repo(), "latest"]).ok();
    assert!(restored.out.stdout == data);
}

#[test]
fn an_edited_second_version_is_deduplicated() {
    let repo = Repo::init(&[]);
    let v1 = text_data(4 << 20, 3);
    let mut v2 = v1.clone();
    // Overwrite a little in the middle and insert a line near the start.
    v2[2_000_000..2_000_100].fill(b'#');
    let insert = b"an inserted line that shifts everything after it\n";
    v2.splice(100_000..100_000, insert.iter().copied());

    let first = repo.ingest(&[s(&repo.file("v1", &v1))]);
    let second = repo.ingest(&[s(&repo.file("v2", &v2))]);
    let (new, total) = (
        second["newChunks"].as_u64().unwrap(),
        second["chunkCount"].as_u64().unwrap(),
    );
    assert!(total >= 16, "enough chunks to measure: {second}");
    assert!(new * 4 <= total, "{new} new of {total} chunks: {second}");
    assert_eq!(second["reusedChunks"].as_u64().unwrap() + new, total);
    assert!(second["storedSize"].as_u64() < first["storedSize"].as_u64());

    let out = repo.work.join("v2.out");
    run_args(&["restore", repo.repo(), "latest", "-o", s(&out)]).ok();
    assert!(std::fs::read(&out).unwrap() == v2);
}

#[test]
fn several_items_and_restoring_one() {
    let repo = Repo::init(&[]);
    let a = text_data(300_000, 4);
    let b = text_data(500_000, 5);
    let (pa, pb) = (repo.file("a.log", &a), repo.file("b.sql", &b));
    let item_a = format!("logs:text/plain={}", s(&pa));
    let item_b = format!("db={}", s(&pb));
    let snap = repo.ingest(&["--item", &item_a, "--item", &item_b]);
    assert_snapshot_fields(&snap);
    let items = snap["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["name"].as_str(), items[0]["type"].as_str()),
        (Some("logs"), Some("text/plain"))
    );
    assert_eq!(
        (items[1]["name"].as_str(), items[1]["size"].as_u64()),
        (Some("db"), Some(b.len() as u64))
    );

    let id = snap["id"].as_str().unwrap();
    let one = run_args(&["restore", repo.repo(), id, "--item", "db"]).ok();
    assert!(one.out.stdout == b, "item restore differs");
    let all = run_args(&["restore", repo.repo(), id]);
    assert_eq!(
        all.code(),
        2,
        "several items are never concatenated (tests/safer_defaults.rs)"
    );
    let one = run_args(&["restore", repo.repo(), id, "--item", "logs"]).ok();
    assert!(one.out.stdout == a, "item restore differs");

    let out = repo.work.join("nope.out");
    let missing = run_args(&[
        "restore",
        repo.repo(),
        id,
        "--item",
        "nope",
        "--json",
        "-o",
        s(&out),
    ]);
    assert_eq!(missing.code(), 2);
    assert_eq!(missing.json()["error"]["code"], "ItemNotFound");
    assert!(!out.exists(), "a failed restore leaves no file");

    let both = run_args(&["ingest", repo.repo(), "--item", &item_a, s(&pb)]);
    assert_eq!(both.code(), 2, "{}", both.stderr());
}

#[test]
fn tags_and_date_filters() {
    let repo = Repo::init(&[]);
    let p = repo.file("x", &text_data(50_000, 6));
    let a = repo.ingest(&["--tag", "host=alpha", "--tag", "kind=db", s(&p)]);
    let b = repo.ingest(&["--tag", "host=beta", s(&p)]);
    assert_eq!(a["tags"]["host"], "alpha");

    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["snapshots", repo.repo(), "--json"];
        full.extend_from_slice(args);
        let list = run_args(&full).ok().json();
        list.as_array()
            .expect("an array")
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (ida, idb) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    let mut all = ids(&[]);
    all.sort();
    let mut want = vec![ida.clone(), idb.clone()];
    want.sort();
    assert_eq!(all, want);
    assert_eq!(ids(&["--tag", "host=alpha"]), vec![ida.clone()]);
    assert_eq!(ids(&["--tag", "host=beta"]), vec![idb.clone()]);
    assert_eq!(
        ids(&["--tag", "host=alpha", "--tag", "kind=db"]),
        vec![ida.clone()]
    );
    assert!(ids(&["--tag", "host=gamma"]).is_empty());
    assert_eq!(ids(&["--after", "2000-01-01"]).len(), 2);
    assert!(ids(&["--before", "2000-01-01"]).is_empty());
    assert!(ids(&["--after", "2999-01-01T00:00:00Z"]).is_empty());
    assert_eq!(
        ids(&[
            "--after",
            "2000-01-01",
            "--before",
            "2999-01-01",
            "--tag",
            "host=beta"
        ]),
        vec![idb]
    );

    let table = run_args(&["snapshots", repo.repo()]).ok().stdout();
    assert!(
        table.contains(&ida[..8]) && table.contains("host=alpha,kind=db"),
        "{table}"
    );
}

#[test]
fn latest_and_unique_prefixes_name_snapshots() {
    let repo = Repo::init(&[]);
    let p = repo.file("x", &text_data(40_000, 7));
    repo.ingest(&["--tag", "n=1", s(&p)]);
    let second = repo.ingest(&["--tag", "n=2", s(&p)]);
    let id = second["id"].as_str().unwrap();

    let latest = run_args(&["show", repo.repo(), "latest", "--json"]).ok().json();
    assert_eq!(latest["id"], id);
    assert_snapshot_fields(&latest);
    let by_prefix = run_args(&["show", repo.repo(), &id[..12], "--json"]).ok().json();
    assert_eq!(by_prefix["id"], id);
    let human = run_args(&["show", repo.repo(), &id[..12]]).ok().stdout();
    assert!(human.contains(id) && human.contains("n=2"), "{human}");

    let unknown = run_args(&["show", repo.repo(), "ffffffffffffffffffff", "--json"]);
    // A 20-digit prefix shared by chance is practically impossible.
    assert_eq!(unknown.code(), 2);
    assert_eq!(unknown.json()["error"]["code"], "SnapshotNotFound");
}

#[test]
fn paths_that_are_not_repositories_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path().to_path_buf(), dir.path().join("absent")] {
        let r = run_args(&["snapshots", s(&path)]);
        assert_eq!(r.code(), 2);
        assert!(r.stderr().starts_with("cairn: "), "{}", r.stderr());
        assert!(r.stderr().contains("no Cairn repository"), "{}", r.stderr());
        assert!(
            r.stderr().contains(s(&path)),
            "the message names the path: {}",
            r.stderr()
        );
        let j = run_args(&["show", s(&path), "latest", "--json"]);
        assert_eq!(j.json()["error"]["code"], "RepositoryNotFound");
    }
    assert!(
        !dir.path().join("absent").exists(),
        "reading never creates the directory"
    );

    std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
    let r = run_args(&["init", s(dir.path())]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("not empty"), "{}", r.stderr());

    let repo = Repo::init(&[]);
    let again = run_args(&["init", repo.repo(), "--json"]);
    assert_eq!(again.code(), 2);
    assert_eq!(again.json()["error"]["code"], "RepositoryExists");
}

#[test]
fn json_output_and_usage_errors() {
    let repo = Repo::init(&[]);
    let init_json = run_args(&["init", s(&repo.work.join("r2")), "--json", "--parity", "4,2"])
        .ok()
        .json();
    assert_eq!(init_json["parity"]["dataPacks"], 4);
    assert_eq!(init_json["encrypted"], false);

    assert_eq!(
        run_args(&["snapshots", repo.repo(), "--json"]).ok().json(),
        serde_json::json!([])
    );

    let bad_flag = run_args(&["snapshots", repo.repo(), "--frobnicate", "--json"]);
    assert_eq!(bad_flag.code(), 2);
    assert_eq!(bad_flag.json()["error"]["code"], "InvalidArgument");
    assert_eq!(
        run_args(&["snapshots"]).code(),
        2,
        "a missing argument is a usage error"
    );
    assert_eq!(
        run_args(&["verify", repo.repo(), "--level", "deep"]).code(),
        2,
        "an unknown level is a usage error"
    );
    assert_eq!(run_args(&["init", "x", "--compression", "lz4"]).code(), 2);

    let missing_input = run_args(&["ingest", repo.repo(), s(&repo.work.join("nope")), "--json"]);
    assert_eq!(missing_input.code(), 2);
    assert_eq!(missing_input.json()["error"]["code"], "InvalidArgument");

    let restore_json = run_args(&["restore", repo.repo(), "latest", "--json"]);
    assert_eq!(
        restore_json.code(),
        2,
        "--json needs -o: stdout would carry the data"
    );

    // A failed command leaves no lock behind: the next one runs.
    let p = repo.file("y", b"small");
    let snap = repo.ingest(&[s(&p)]);
    assert_eq!(snap["originalSize"], 5);
    assert!(run_args(&["snapshots", repo.repo()])
        .ok()
        .stdout()
        .contains(&snap["id"].as_str().unwrap()[..8]));
}

#[test]
fn the_number_of_threads_changes_no_stored_byte_nor_any_answer() {
    // Plain repositories seal deterministically: one thread and four write the same packs,
    // and restores and verifications agree whatever the thread count.
    let one = Repo::init(&["--pack-size", "65536", "--compression-level", "3"]);
    let four = Repo::init(&["--pack-size", "65536", "--compression-level", "3"]);
    std::fs::copy(one.path.join("config.json"), four.path.join("config.json")).unwrap();
    let data = text_data(3_000_000, 21);
    let file = one.file("data.bin", &data);
    let ids: Vec<String> = [(&one, "1"), (&four, "4")]
        .iter()
        .map(|(r, t)| {
            let s = run_args(&["--threads", t, "ingest", r.repo(), "--json", s(&file)])
                .ok()
                .json();
            s["id"].as_str().unwrap().to_string()
        })
        .collect();
    let packs = |r: &Repo| {
        let mut files: Vec<(String, Vec<u8>)> = walk(&r.path.join("packs"))
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(&r.path).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    assert!(
        packs(&one) == packs(&four),
        "the same packs and parity, byte for byte"
    );
    for (r, id) in [(&one, &ids[0]), (&four, &ids[1])] {
        for t in ["1", "2", "4"] {
            let out = r.work.join(format!("out-{t}"));
            run_args(&["--threads", t, "restore", r.repo(), id, "-o", s(&out)]).ok();
            assert!(std::fs::read(&out).unwrap() == data, "restore with {t} threads");
            let v = run_args(&["--threads", t, "verify", r.repo(), "--level", "full", "--json"])
                .ok()
                .json();
            assert_eq!(v["ok"], true, "{v}");
            assert!(v["stats"]["chunksChecked"].as_u64().unwrap() > 10);
        }
    }
}
