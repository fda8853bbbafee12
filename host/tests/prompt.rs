//! The passphrase prompt on a real terminal (a pseudo-terminal made by util-linux's
//! `script`): it opens the repository, and what is typed is not echoed.

use std::process::Command;

use crate::common;
use common::*;

#[test]
fn the_prompt_on_a_terminal_opens_an_encrypted_repository_without_echo() {
    let repo = Repo::init_encrypted(&[], "typed on a terminal");
    let p = repo.file("x", &text_data(20_000, 1));
    run(cairn(&["ingest", repo.repo(), s(&p)]).env("CAIRN_PASSPHRASE", "typed on a terminal")).ok();
    // The passphrase is typed a while after the start, as a person would: bytes that
    // arrived before the prompt turned echo off would be echoed by the terminal.
    let shell = format!(
        "(sleep 1; printf 'typed on a terminal\\n') | script -qec '{} snapshots {}' /dev/null",
        CAIRN,
        repo.repo()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(&shell)
        .env_remove("CAIRN_PASSPHRASE")
        .env_remove("CAIRN_PASSPHRASE_COMMAND")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prompt = text.find("Passphrase for").expect("a prompt");
    let listed = text.find("ITEMS").expect("the snapshots table");
    assert!(prompt < listed, "{text}");
    assert!(
        !text.contains("typed on a terminal"),
        "the passphrase was echoed: {text}"
    );
}
