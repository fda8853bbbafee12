// Builds js/pkg/ from core-wasm/bindgen: cargo for wasm32, the workspace's own wasm-bindgen
// step (core-wasm/jsglue, the wasm-bindgen generator library at the crate's exact version)
// for the JS glue, and binaryen's wasm-opt -O. The steps wasm-pack runs for `--target web
// --no-pack`, without building wasm-pack and wasm-bindgen-cli first, which cost CI about
// 6 minutes (docs/DESIGN-js.md, "Building the package").
import { execFileSync } from "node:child_process";
import { renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const js = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(js, "pkg");
const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit", cwd: js });

const metadata = JSON.parse(
  execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: js, encoding: "utf8" }),
);
// The module is built by the command the CLI's build script runs for its own (host/build.rs:
// both modules, in <target>/abi-wasm, whole-program optimised), so after a CLI build this
// finds everything built, and the engine is compiled for wasm32 once (docs/DESIGN.md §31).
const wasmTarget = join(metadata.target_directory, "abi-wasm");
const wasmBuild = ["build", "--release", "-p", "cairn-abi", "-p", "cairn-bindgen", "--target", "wasm32-unknown-unknown"];
execFileSync("cargo", wasmBuild, {
  stdio: "inherit",
  cwd: js,
  env: {
    ...process.env,
    CARGO_TARGET_DIR: wasmTarget,
    CARGO_PROFILE_RELEASE_LTO: "true",
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS: "1",
  },
});
const built = join(wasmTarget, "wasm32-unknown-unknown", "release", "cairn_bindgen.wasm");
// CAIRN_JSGLUE names a cairn-jsglue binary built already (tests/run's workspace build).
if (process.env.CAIRN_JSGLUE) run(process.env.CAIRN_JSGLUE, [built, pkg]);
else run("cargo", ["run", "--quiet", "--release", "-p", "cairn-jsglue", "--", built, pkg]);
const wasm = join(pkg, "cairn_bindgen_bg.wasm");
// wasm-opt from the binaryen npm package (node_modules/.bin is on PATH under npm run).
run("wasm-opt", [wasm, "-o", `${wasm}.opt`, "-O"]);
renameSync(`${wasm}.opt`, wasm);
