//! Builds the ABI module (`core-wasm/abi`, for `wasm32-unknown-unknown`) with a nested
//! cargo and leaves it in `OUT_DIR/cairn_abi.wasm` for `include_bytes!`; then compiles it
//! ahead of time with wasmtime, under the configuration the CLI runs it with
//! (`src/engine_config.rs`), into `OUT_DIR/cairn_abi.cwasm`, so that a command starts in
//! milliseconds instead of compiling the module first.
//!
//! The nested build has its own target directory (`<target>/abi-wasm`): sharing the outer
//! build's directory would deadlock on its lock. Variables the outer cargo sets for build
//! scripts, or that configure the outer build (flags, wrappers, the target), are removed so
//! that they do not leak into a build for another target. A fresh clone needs only
//! `rustup target add wasm32-unknown-unknown`, which `rust-toolchain.toml` lists.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Variables of the outer build that must not reach the nested one.
const SCRUBBED: &[&str] = &[
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_LINKER",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "NUM_JOBS",
];

/// `CARGO_*` variables that are the user's configuration of cargo itself, kept.
const KEPT_CARGO_PREFIXES: &[&str] = &[
    "CARGO_HOME",
    "CARGO_NET_",
    "CARGO_HTTP_",
    "CARGO_REGISTRIES_",
    "CARGO_REGISTRY_",
    "CARGO_TERM_",
];

fn scrubbed(name: &str) -> bool {
    if SCRUBBED.contains(&name) || name.starts_with("DEP_") {
        return true;
    }
    // CARGO_ENCODED_RUSTFLAGS, CARGO_TARGET_DIR, CARGO_BUILD_TARGET, CARGO_MAKEFLAGS,
    // CARGO_CFG_*, CARGO_FEATURE_*, CARGO_PKG_*, CARGO_MANIFEST_*, CARGO_PROFILE_*, ...
    name.starts_with("CARGO_") && !KEPT_CARGO_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ sits in the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    for path in [
        "core-wasm/engine/src",
        "core-wasm/engine/Cargo.toml",
        "core-wasm/abi/src",
        "core-wasm/abi/Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }
    for path in ["Cargo.lock", "Cargo.toml", "rust-toolchain.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    // Beside the outer build's output, but never in its lock.
    let target_root = env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let target_dir = target_root.join("abi-wasm");

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&workspace)
        .args([
            "build",
            "--release",
            // The JS package's module too (js/scripts/build-wasm.mjs runs the same
            // command): built together, both resolve features alike and share every
            // dependency's build (docs/DESIGN.md §31).
            "-p",
            "cairn-abi",
            "-p",
            "cairn-bindgen",
            "--target",
            WASM_TARGET,
            "--target-dir",
        ])
        .arg(&target_dir)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        // A build script's stdout is read by cargo as directives: keep the nested output off it.
        .stdout(std::io::stderr());
    for (name, _) in env::vars_os() {
        if name.to_str().is_some_and(scrubbed) {
            cmd.env_remove(&name);
        }
    }
    // Whole-program optimisation makes the module smaller, and so faster for wasmtime to
    // compile at every CLI start.
    cmd.env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("could not run cargo to build the ABI module: {e}"));
    if !status.success() {
        panic!(
            "building the ABI module (cargo build -p cairn-abi --release --target {WASM_TARGET}) failed; \
             see the errors above. If the target is missing, run `rustup target add {WASM_TARGET}`."
        );
    }

    let built = target_dir
        .join(WASM_TARGET)
        .join("release")
        .join("cairn_abi.wasm");
    copy(&built, &out_dir.join("cairn_abi.wasm"));
    precompile(&out_dir.join("cairn_abi.wasm"), &out_dir.join("cairn_abi.cwasm"));
    build_details(&workspace);
}

/// What `cairn version` tells besides the crate's version, as compile-time variables:
/// `CAIRN_GIT_COMMIT` (the variable of that name when set, as a packager may; else the
/// checkout's commit (uncommitted changes are not marked: the script does not rerun for
/// them); else `unknown`), `CAIRN_WASMTIME_VERSION`
/// (from Cargo.lock) and `CAIRN_TARGET`.
fn build_details(workspace: &Path) {
    println!("cargo:rerun-if-env-changed=CAIRN_GIT_COMMIT");
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(workspace)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
    };
    // Rebuild when the checkout moves to another commit: HEAD, the branch it names, and
    // packed refs (worktrees keep HEAD apart from the shared refs).
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={}", workspace.join(p).display());
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(p) = git(&["rev-parse", "--git-path", &branch]) {
            println!("cargo:rerun-if-changed={}", workspace.join(p).display());
        }
    }
    let commit = env::var("CAIRN_GIT_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]));
    println!(
        "cargo:rustc-env=CAIRN_GIT_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).unwrap_or_default();
    println!(
        "cargo:rustc-env=CAIRN_WASMTIME_VERSION={}",
        locked_version(&lock, "wasmtime").unwrap_or("unknown")
    );
    println!(
        "cargo:rustc-env=CAIRN_TARGET={}",
        env::var("TARGET").unwrap_or_default()
    );
}

/// The version Cargo.lock records for package `name`.
fn locked_version<'a>(lock: &'a str, name: &str) -> Option<&'a str> {
    let header = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    lines.find(|l| l.trim() == header)?;
    let version = lines.next()?.trim().strip_prefix("version = \"")?;
    version.strip_suffix('"')
}

include!("src/engine_config.rs");

/// Compiles the module for this machine's target (the one the binary is built for when
/// not cross-compiling; otherwise the binary finds the precompiled module unusable and
/// compiles at start).
fn precompile(wasm: &Path, cwasm: &Path) {
    let bytes = std::fs::read(wasm).unwrap_or_else(|e| panic!("reading {}: {e}", wasm.display()));
    let engine = wasmtime::Engine::new(&engine_config()).expect("a wasmtime engine");
    let compiled = engine
        .precompile_module(&bytes)
        .unwrap_or_else(|e| panic!("precompiling the ABI module: {e}"));
    std::fs::write(cwasm, compiled).unwrap_or_else(|e| panic!("writing {}: {e}", cwasm.display()));
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
}
