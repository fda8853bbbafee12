//! `cairn-jsglue INPUT.wasm OUT_DIR`: the wasm-bindgen step of the JS package's build
//! (`js/scripts/build-wasm.mjs`), with the settings of `wasm-bindgen --target web`.
//!
//! Why a crate of the workspace rather than the `wasm-bindgen` command: installing
//! `wasm-bindgen-cli` compiles its test runner's web server and HTTP client too, about 370
//! CPU-seconds on the 2-core CI machine against 150 for this generator library alone, and
//! its version had to be kept equal to the crate's by hand (docs/DESIGN-js.md).

use std::path::PathBuf;
use std::process::ExitCode;

use wasm_bindgen_cli_support::Bindgen;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, out_dir] = args.as_slice() else {
        eprintln!("usage: cairn-jsglue INPUT.wasm OUT_DIR");
        return ExitCode::from(2);
    };
    let generated = Bindgen::new().input_path(input).web(true).and_then(|b| {
        b.typescript(true)
            .omit_default_module_path(false)
            .generate(out_dir)
    });
    match generated {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cairn-jsglue: {}: {e:#}", input.display());
            ExitCode::FAILURE
        }
    }
}
