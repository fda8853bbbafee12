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

run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "-p", "cairn-bindgen"]);
const metadata = JSON.parse(
  execFileSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], { cwd: js, encoding: "utf8" }),
);
const built = join(metadata.target_directory, "wasm32-unknown-unknown", "release", "cairn_bindgen.wasm");
run("cargo", ["run", "--quiet", "--release", "-p", "cairn-jsglue", "--", built, pkg]);
const wasm = join(pkg, "cairn_bindgen_bg.wasm");
// wasm-opt from the binaryen npm package (node_modules/.bin is on PATH under npm run).
run("wasm-opt", [wasm, "-o", `${wasm}.opt`, "-O"]);
renameSync(`${wasm}.opt`, wasm);
