//! A trap in the module (an engine panic) becomes an internal error carrying the panic
//! message that the module sent as a `panic` event, and the instance is retired.

use cairn::imports::HostState;
use cairn::runtime::{self, Compiled, Runtime};
use cairn::storage::fs::FsStorage;
use cairn_core::error::ErrorCode;

const PANICKING_MODULE: &str = r#"
(module
  (import "cairn" "emit_event" (func $event (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "panic")
  (data (i32.const 32) "{\"message\":\"panicked at src/x.rs:1:1: boom\"}")
  (func (export "cairn_alloc") (param i32) (result i32) i32.const 1024)
  (func (export "cairn_free") (param i32 i32))
  (func (export "cairn_call") (param i32 i32 i32 i32) (result i64)
    (call $event (i32.const 16) (i32.const 5) (i32.const 32) (i32.const 46))
    unreachable)
  (func (export "cairn_write") (param i32 i32 i32) (result i64) unreachable)
  (func (export "cairn_read") (param i32) (result i64) unreachable)
  (func (export "cairn_jobs") (param i32 i32) (result i64) unreachable))
"#;

#[test]
fn a_panic_is_an_internal_error_with_its_message() {
    let engine = wasmtime::Engine::new(&runtime::engine_config()).unwrap();
    let module = wasmtime::Module::new(&engine, wat::parse_str(PANICKING_MODULE).unwrap()).unwrap();
    let compiled = Compiled { engine, module };
    let dir = tempfile::tempdir().unwrap();
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink_log = log.clone();
    let state = HostState::new(
        std::sync::Arc::new(FsStorage::new(dir.path())),
        Box::new(move |name: &str, _: &str| sink_log.borrow_mut().push(name.to_string())),
    );
    let mut rt = Runtime::instantiate(&compiled, state).unwrap();

    let err = rt.call_json("open", "{}").unwrap_err();
    assert_eq!(err.code(), ErrorCode::Internal);
    assert_eq!(err.exit_code(), 4);
    assert!(err.to_string().contains("boom"), "{err}");
    assert!(rt.is_dead());
    assert_eq!(*log.borrow(), vec!["panic".to_string()]);

    // The instance is not run again.
    let again = rt.read(1).unwrap_err();
    assert!(again.to_string().contains("boom"), "{again}");
}
