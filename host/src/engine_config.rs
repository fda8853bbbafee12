// The wasmtime configuration the CLI runs the engine's module under. Included by
// `build.rs` (which compiles the module ahead of time with it) and by `runtime.rs` (which
// runs it), so that the precompiled module always matches the running engine; wasmtime
// itself refuses a precompiled module whose configuration or version differs, and the CLI
// then compiles the module at start instead.

/// wasmtime's defaults, with cranelift compiling functions in parallel (the
/// `parallel-compilation` feature) when the module must be compiled at start.
pub fn engine_config() -> wasmtime::Config {
    wasmtime::Config::new()
}
