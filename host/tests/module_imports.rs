//! The embedded ABI module imports exactly the Cairn host interface (DESIGN.md §3: the
//! import list is the sandbox), and the runtime refuses a module that wants anything else.

use cairn::fs_storage::FsStorage;
use cairn::imports::{IMPORTS, IMPORT_MODULE};
use cairn::runtime::{self, Compiled, Runtime, MODULE_WASM};
use wasmtime::{ExternType, Module};

#[test]
fn embedded_module_imports_only_the_cairn_interface() {
    let compiled = runtime::compile().expect("the embedded module compiles");
    let mut seen = Vec::new();
    for import in compiled.module.imports() {
        assert_eq!(
            import.module(),
            IMPORT_MODULE,
            "import {}::{} is outside `cairn`",
            import.module(),
            import.name()
        );
        assert!(
            IMPORTS.contains(&import.name()),
            "import `{}` is not in the ABI",
            import.name()
        );
        assert!(
            matches!(import.ty(), ExternType::Func(_)),
            "import `{}` is not a function",
            import.name()
        );
        seen.push(import.name().to_string());
    }
    seen.sort();
    let mut all: Vec<String> = IMPORTS.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(
        seen, all,
        "the module imports every function of the ABI, each once"
    );
}

#[test]
fn embedded_module_exports_the_abi() {
    let compiled = runtime::compile().unwrap();
    let exports: Vec<&str> = compiled.module.exports().map(|e| e.name()).collect();
    for name in [
        "memory",
        "cairn_alloc",
        "cairn_free",
        "cairn_call",
        "cairn_write",
        "cairn_read",
    ] {
        assert!(exports.contains(&name), "missing export {name}: {exports:?}");
    }
    assert!(MODULE_WASM.starts_with(b"\0asm"));
}

#[test]
fn a_module_with_any_other_import_does_not_instantiate() {
    let engine = wasmtime::Engine::new(&runtime::engine_config()).unwrap();
    // (module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))))
    let wasm: Vec<u8> = [
        &b"\0asm\x01\0\0\0"[..],
        &[0x01, 0x09, 0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f],
        &[0x02, 0x23, 0x01, 0x16],
        b"wasi_snapshot_preview1",
        &[0x08],
        b"fd_write",
        &[0x00, 0x00],
    ]
    .concat();
    let module = Module::new(&engine, &wasm).expect("a valid module");
    let compiled = Compiled { engine, module };
    let dir = tempfile::tempdir().unwrap();
    let err = Runtime::instantiate(&compiled, FsStorage::new(dir.path()), Box::new(|_, _| {}))
        .err()
        .expect("instantiation must fail");
    assert_eq!(err.exit_code(), 4);
    assert!(err.to_string().contains("fd_write"), "{err}");
}
