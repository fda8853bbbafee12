//! End-to-end tests of the conventions restic users bring: `--passphrase-command`,
//! `-q/--quiet` and `-v/--verbose`, `completion`, `version`, the warning of
//! `init --encrypt`, and answers to other tools' command names.

use std::process::Command;

use crate::common;
use common::*;

const PASSPHRASE: &str = "correct horse battery staple";

#[test]
fn a_passphrase_command_opens_and_creates_encrypted_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let echo = format!("printf '%s\\n' '{PASSPHRASE}'");
    let init = run_args(&["init", s(&repo), "--encrypt", "--passphrase-command", &echo]).ok();
    assert!(
        init.stderr().contains("warning: keep the passphrase safe"),
        "init --encrypt warns that a lost passphrase loses the data: {}",
        init.stderr()
    );
    let input = dir.path().join("x");
    std::fs::write(&input, text_data(50_000, 1)).unwrap();
    // The flag, restic's name for it, and the variable all work.
    run_args(&["ingest", s(&repo), s(&input), "--password-command", &echo]).ok();
    run(cairn(&["snapshots", s(&repo)]).env("CAIRN_PASSPHRASE_COMMAND", &echo)).ok();
    let listed = run_args(&["snapshots", s(&repo), "--passphrase-command", &echo, "--json"])
        .ok()
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // A wrong passphrase printed is the engine's WrongPassphrase.
    let wrong = run_args(&[
        "snapshots",
        s(&repo),
        "--passphrase-command",
        "echo nope",
        "--json",
    ]);
    assert_eq!(wrong.code(), 2);
    assert_eq!(wrong.json()["error"]["code"], "WrongPassphrase");

    for (command, says) in [
        ("exit 3", "failed with exit status 3"),
        ("true", "printed no passphrase"),
        ("printf '\\n'", "printed no passphrase"),
    ] {
        let r = run_args(&["snapshots", s(&repo), "--passphrase-command", command, "--json"]);
        assert_eq!(r.code(), 2, "{command}: {}", r.stderr());
        assert_eq!(r.json()["error"]["code"], "PassphraseRequired");
        assert!(
            r.stderr()
                .contains(&format!("the passphrase command `{command}` {says}")),
            "{command}: {}",
            r.stderr()
        );
    }
    let both = run_args(&[
        "snapshots",
        s(&repo),
        "--passphrase-command",
        "true",
        "--passphrase-file",
        "f",
    ]);
    assert_eq!(both.code(), 2, "a file and a command conflict");
}

#[test]
fn quiet_prints_answers_only_and_verbose_prints_each_item() {
    let repo = Repo::init(&[]);
    let a = repo.file("a.txt", &text_data(40_000, 2));
    let b = repo.file("b.txt", &text_data(60_000, 3));
    let item_a = format!("a={}", s(&a));
    let item_b = format!("b:text/plain={}", s(&b));

    let quiet = run_args(&["ingest", repo.repo(), "-q", "--item", &item_a, "--item", &item_b]).ok();
    assert_eq!((quiet.stdout(), quiet.stderr()), (String::new(), String::new()));
    let normal = run_args(&["ingest", repo.repo(), "--item", &item_a, "--item", &item_b]).ok();
    assert!(normal.stdout().contains("saved"), "{}", normal.stdout());
    assert!(!normal.stdout().contains("item b"), "{}", normal.stdout());
    let verbose = run_args(&[
        "ingest",
        repo.repo(),
        "--verbose",
        "--item",
        &item_a,
        "--item",
        &item_b,
    ])
    .ok();
    assert!(
        verbose.stdout().contains("item a: ") && verbose.stdout().contains("item b (text/plain): "),
        "{}",
        verbose.stdout()
    );
    // --json is never silenced; answers are not summaries.
    let json = run_args(&["ingest", repo.repo(), "-q", "--json", s(&a)])
        .ok()
        .json();
    assert!(json["id"].is_string());
    let listed = run_args(&["snapshots", repo.repo(), "-q"]).ok();
    assert!(listed.stdout().contains("ITEMS"), "{}", listed.stdout());
    assert_eq!(run_args(&["snapshots", repo.repo(), "-q", "-v"]).code(), 2);

    let out = repo.work.join("out");
    std::fs::create_dir(&out).unwrap();
    let restored = run_args(&["restore", repo.repo(), "latest", "-o", s(&out), "-v"]).ok();
    assert!(
        restored
            .stderr()
            .contains(&format!("restored a.txt to {}", s(&out.join("a.txt")))),
        "{}",
        restored.stderr()
    );
}

#[test]
fn completion_scripts_come_from_the_command_definition() {
    let bash = run_args(&["completion", "bash"]).ok().stdout();
    assert!(
        bash.contains("ingest") && bash.contains("--passphrase-command"),
        "{bash}"
    );
    // The script is valid bash and registers a completion for `cairn`.
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), &bash).unwrap();
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p cairn", s(script.path())))
        .output()
        .unwrap();
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    assert!(String::from_utf8_lossy(&loaded.stdout).contains("cairn"));

    let zsh = run_args(&["completion", "zsh"]).ok().stdout();
    assert!(zsh.starts_with("#compdef cairn"), "{zsh}");
    let fish = run_args(&["completion", "fish"]).ok().stdout();
    assert!(
        fish.contains("complete -c cairn") && fish.contains("verify"),
        "{fish}"
    );
    assert_eq!(run_args(&["completion", "tcsh"]).code(), 2);
}

#[test]
fn version_names_the_build_and_the_formats() {
    let v = run_args(&["version", "--json"]).ok().json();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert!(v["wasmtime"].as_str().unwrap().starts_with("48."), "{v}");
    assert!(!v["target"].as_str().unwrap().is_empty(), "{v}");
    assert!(!v["commit"].as_str().unwrap().is_empty(), "{v}");
    assert_eq!(
        v["repositoryFormat"]["writes"],
        cairn_core::config::FORMAT_VERSION
    );
    assert_eq!(
        v["manifestFormat"]["readsTo"],
        cairn_core::manifest::MANIFEST_VERSION_TREES
    );
    let text = run_args(&["version"]).ok().stdout();
    assert!(
        text.starts_with(&format!("cairn {}", env!("CARGO_PKG_VERSION"))) && text.contains("wasmtime"),
        "{text}"
    );
}

#[test]
fn other_tools_commands_are_answered_with_cairns() {
    for (word, cairns) in [
        ("backup", "cairn ingest"),
        ("check", "cairn verify"),
        ("dump", "cairn restore"),
        ("mount", "cairn ls"),
    ] {
        let r = run_args(&[word, "/tmp/repo"]);
        assert_eq!(r.code(), 2, "{word}");
        assert!(r.stderr().contains(cairns), "{word}: {}", r.stderr());
        let j = run_args(&[word, "--json"]);
        assert_eq!(j.json()["error"]["code"], "InvalidArgument");
    }
    let unknown = run_args(&["frobnicate"]);
    assert_eq!(unknown.code(), 2);
    assert!(unknown.stderr().contains("frobnicate"), "{}", unknown.stderr());
}

#[test]
fn paths_that_are_files_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a repository").unwrap();
    let below = file.join("repo");
    for args in [
        vec!["init", s(&file), "--json"],
        vec!["init", s(&below), "--json"],
        vec!["snapshots", s(&file), "--json"],
        vec!["verify", s(&below), "--json"],
    ] {
        let r = run_args(&args);
        assert_eq!(r.code(), 2, "{args:?}: {}", r.stderr());
        assert_eq!(r.json()["error"]["code"], "InvalidArgument", "{args:?}");
        assert!(
            r.stderr().contains("is not a directory"),
            "{args:?}: {}",
            r.stderr()
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"not a repository");
}

#[test]
fn a_data_subset_says_what_it_read_and_warns_when_it_read_nothing() {
    let repo = Repo::init(&[]);
    repo.ingest_file("x", &text_data(100_000, 9));
    let texts: Vec<String> = ["1/2", "2/2"]
        .iter()
        .map(|part| {
            run_args(&["verify", repo.repo(), "--read-data-subset", part])
                .ok()
                .stdout()
        })
        .collect();
    for (text, part) in texts.iter().zip(["1/2", "2/2"]) {
        assert!(text.contains(&format!("(subset {part})")), "{text}");
    }
    // Parts are whole parity groups, and this repository has one: one part reads it all.
    let empty = texts.iter().filter(|t| t.contains("no pack was read")).count();
    assert_eq!(empty, 1, "{texts:?}");
}
