//! The embedded ABI module imports exactly the Cairn host interface (docs/DESIGN.md §3: the
//! import list is the sandbox), and the runtime refuses a module that wants anything else.

use cairn::imports::{self, HostState};
use cairn::runtime::{self, Compiled, Runtime, MODULE_WASM};
use cairn::storage::fs::FsStorage;
use cairn_core::wire::{self, Function, ValType, EXPORTS, IMPORTS, IMPORT_MODULE};
use wasmtime::{ExternType, FuncType, Linker, Module, Store};

/// The wire table's value types of a wasmtime function type.
fn signature(ty: &FuncType) -> (Vec<ValType>, Vec<ValType>) {
    let map = |t: wasmtime::ValType| match t {
        wasmtime::ValType::I32 => ValType::I32,
        wasmtime::ValType::I64 => ValType::I64,
        other => panic!("a value type outside the ABI: {other:?}"),
    };
    (ty.params().map(map).collect(), ty.results().map(map).collect())
}

fn expected(f: &Function) -> (Vec<ValType>, Vec<ValType>) {
    (f.params.to_vec(), f.results.to_vec())
}

#[test]
fn embedded_module_imports_exactly_the_wire_table() {
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
        let Some(f) = IMPORTS.iter().find(|f| f.name == import.name()) else {
            panic!("import `{}` is not in the wire table", import.name());
        };
        let ExternType::Func(ty) = import.ty() else {
            panic!("import `{}` is not a function", import.name());
        };
        assert_eq!(
            signature(&ty),
            expected(f),
            "the module's signature of `{}`",
            f.name
        );
        seen.push(import.name().to_string());
    }
    seen.sort();
    let mut all: Vec<String> = IMPORTS.iter().map(|f| f.name.to_string()).collect();
    all.sort();
    assert_eq!(
        seen, all,
        "the module imports every function of the table, each once"
    );
}

#[test]
fn the_host_defines_exactly_the_wire_table() {
    let compiled = runtime::compile().unwrap();
    let mut linker = Linker::new(&compiled.engine);
    imports::add_to_linker(&mut linker).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::new(
        &compiled.engine,
        HostState::new(
            std::sync::Arc::new(FsStorage::new(dir.path())),
            Box::new(|_, _| {}),
        ),
    );
    let items: Vec<(String, String, wasmtime::Extern)> = linker
        .iter(&mut store)
        .map(|(m, n, e)| (m.to_string(), n.to_string(), e))
        .collect();
    let mut defined = 0;
    for (module, name, item) in items {
        assert_eq!(module, IMPORT_MODULE);
        let f = IMPORTS
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("`{name}` is not in the table"));
        let ExternType::Func(ty) = item.ty(&store) else {
            panic!("`{name}` is not a function");
        };
        assert_eq!(signature(&ty), expected(f), "the host's signature of `{name}`");
        defined += 1;
    }
    assert_eq!(defined, IMPORTS.len());
}

#[test]
fn embedded_module_exports_the_wire_table() {
    let compiled = runtime::compile().unwrap();
    for f in EXPORTS {
        let export = compiled
            .module
            .get_export(f.name)
            .unwrap_or_else(|| panic!("missing export {}", f.name));
        let ExternType::Func(ty) = export else {
            panic!("export {} is not a function", f.name);
        };
        assert_eq!(
            signature(&ty),
            expected(f),
            "the module's signature of `{}`",
            f.name
        );
    }
    assert!(matches!(
        compiled.module.get_export(wire::MEMORY_EXPORT),
        Some(ExternType::Memory(_))
    ));
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
    let state = HostState::new(
        std::sync::Arc::new(FsStorage::new(dir.path())),
        Box::new(|_, _| {}),
    );
    let err = Runtime::instantiate(&compiled, state)
        .err()
        .expect("instantiation must fail");
    assert_eq!(err.exit_code(), 4);
    assert!(err.to_string().contains("fd_write"), "{err}");
}

#[test]
fn the_precompiled_module_fits_this_wasmtime_and_compiling_at_start_still_works() {
    let engine = wasmtime::Engine::new(&runtime::engine_config()).unwrap();
    let fast = runtime::precompiled(&engine).expect("build.rs precompiled the module for this engine");
    let slow = runtime::compile_now().unwrap().module;
    let names = |m: &Module| m.exports().map(|e| e.name().to_string()).collect::<Vec<_>>();
    assert_eq!(names(&fast), names(&slow), "the same module either way");
    // A configuration the precompiled module was not made for is refused, not trusted.
    let mut other = runtime::engine_config();
    other.wasm_simd(false).wasm_relaxed_simd(false);
    let other = wasmtime::Engine::new(&other).unwrap();
    assert!(runtime::precompiled(&other).is_none());
}
