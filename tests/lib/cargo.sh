# The one selection of every native cargo command in the tests and benchmarks: source
# this, then run `cargo <command> "${NATIVE[@]}" ...`. The whole workspace, optimised,
# with the engine's TypeScript generator: one feature resolution, so no command compiles
# wasmtime and the rest a second time with other features (docs/DESIGN.md §31).
NATIVE=(--release --workspace --features cairn-core/typescript)
