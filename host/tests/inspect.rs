//! `cairn stats` and `cairn cat` end to end (issue 15).

use crate::common;
use common::*;

#[test]
fn stats_of_the_repository_and_of_snapshots() {
    let repo = Repo::init(&["--parity", "2,1"]);
    let data = text_data(400_000, 1);
    let a = repo.ingest_file("a", &data);
    let b = repo.ingest_file("b", &data);
    let all = run_args(&["stats", repo.repo(), "--json"]).ok().json();
    assert_eq!(all["snapshots"], 2);
    assert_eq!(all["logicalSize"], 800_000);
    assert_eq!(all["uniqueSize"], 400_000);
    assert_eq!(all["dedupRatio"], 2.0);
    assert!(all["compressionRatio"].as_f64().unwrap() > 1.5, "{all}");
    assert!(all["parityShards"].as_u64().unwrap() >= 1, "{all}");
    let one = run_args(&["stats", repo.repo(), &a[..8], "--json"]).ok().json();
    assert_eq!(
        (one["snapshots"].as_u64(), one["logicalSize"].as_u64()),
        (Some(1), Some(400_000))
    );
    let text = run_args(&["stats", repo.repo(), &b, "latest"]).ok().stdout();
    assert!(
        text.contains("deduplication 1.00x") && text.contains("parity"),
        "{text}"
    );
    let _ = b;
}

#[test]
fn cat_prints_json_of_each_structure() {
    let repo = Repo::init_encrypted(&[], "pw");
    let file = repo.file("x", &text_data(100_000, 2));
    let cat = |args: &[&str]| {
        let mut all = vec!["cat"];
        all.extend_from_slice(args);
        run(cairn(&all).env("CAIRN_PASSPHRASE", "pw"))
    };
    run(cairn(&["ingest", repo.repo(), s(&file)]).env("CAIRN_PASSPHRASE", "pw")).ok();
    assert_eq!(cat(&[repo.repo(), "config"]).ok().json()["format"], "cairn");
    let m = cat(&[repo.repo(), "snapshot", "latest"]).ok().json();
    assert_eq!(m["items"][0]["name"], "x");
    let index = cat(&[repo.repo(), "index"]).ok().json();
    let pack = index[0]["packs"][0]["id"].as_str().unwrap().to_string();
    let table = run(cairn(&["cat", "pack", &pack[..10]])
        .env("CAIRN_PASSPHRASE", "pw")
        .env("CAIRN_REPOSITORY", repo.repo()))
    .ok()
    .json();
    assert!(table["blobs"].as_array().unwrap().len() > 1, "{table}");
    assert_eq!(cat(&[repo.repo(), "nothing"]).code(), 2);
    assert_eq!(cat(&[repo.repo(), "pack"]).code(), 2);
}
