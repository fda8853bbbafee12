//! The read-only HTTP storage against the read-only part of the engine's storage contract,
//! over Python's `http.server` (which ignores `Range`, the harder case) serving a directory
//! that the file-system storage writes.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cairn::storage::fs::FsStorage;
use cairn::storage::http::HttpStorage;
use cairn_core::conformance::run_read_only_suite;
use cairn_core::host::{Storage, StorageError};
use cairn_core::layout;

/// A `python3 -m http.server` over `dir`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server, or `None` (the test then skips, saying so) without python3.
fn serve(dir: &std::path::Path) -> Option<Server> {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        eprintln!("SKIP: python3 is not installed, so there is no HTTP server to test against");
        return None;
    };
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}/"),
    };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "http.server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

#[test]
fn passes_the_read_only_suite_over_python_http_server() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = serve(dir.path()) else { return };
    let writer = FsStorage::new(dir.path());
    let reader = HttpStorage::new(&server.url).unwrap();
    run_read_only_suite(&writer, &reader);
    // Files outside the grammar (a crash's temp file, a stray note) are not listed.
    let snap = layout::StorageKey::Snapshot([4; 32].into()).to_string();
    writer.put(&snap, b"s").unwrap();
    std::fs::write(dir.path().join("snapshots/.tmp-1"), b"partial").unwrap();
    std::fs::write(dir.path().join("README"), b"x").unwrap();
    assert_eq!(reader.list("").unwrap(), vec![snap]);
}

#[test]
fn an_unreachable_server_fails_quickly_with_a_reason() {
    // Nothing listens on port 1 of the loopback address.
    let reader = HttpStorage::new("http://127.0.0.1:1/repo/").unwrap();
    let start = Instant::now();
    match reader.get(layout::CONFIG) {
        Err(StorageError::Io(m)) => {
            assert!(
                m.contains("get config.json") && m.contains("check the URL"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "took {:?}",
        start.elapsed()
    );
}
