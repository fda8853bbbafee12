//! Where `cairn restore -o` writes: a regular file appears whole or not at all; a device or
//! a named pipe is written to, never replaced by a file of the same name.

use std::os::unix::fs::FileTypeExt;

use crate::common;
use common::*;

#[test]
fn a_named_pipe_is_written_to_and_stays_a_pipe() {
    let repo = Repo::init(&[]);
    let data = text_data(700_000, 9);
    let id = repo.ingest(&[s(&repo.file("a.txt", &data))])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fifo = repo.work.join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).unwrap())
    };
    run_args(&["restore", repo.repo(), &id, "-o", s(&fifo)]).ok();
    // Checked before waiting for the reader, which would wait forever on a replaced pipe.
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a {kind:?}");
    assert!(
        reader.join().unwrap() == data,
        "the pipe's reader got the snapshot"
    );
    assert_eq!(
        std::fs::read_dir(&repo.work)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".tmp"))
            .count(),
        0,
        "no temp file is left beside it"
    );
}
