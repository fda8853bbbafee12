#!/usr/bin/env -S node --no-warnings
// Cargo test runner for wasm32-wasip1: runs a compiled test binary under Node's WASI, so
// the engine's own tests exercise the wasm build, not only the native one.
// Configured as the wasm32-wasip1 runner in .cargo/config.toml.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [wasmPath, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: [wasmPath, ...args],
  env: { RUST_BACKTRACE: '0' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
