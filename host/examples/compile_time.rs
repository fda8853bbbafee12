//! Measures how long compiling the ABI module takes (the cost paid at every CLI start):
//! `cargo run --release -p cairn --example compile_time [-- other.wasm]` (default: the
//! embedded module).

use std::time::Instant;

fn main() {
    let bytes = match std::env::args().nth(1) {
        Some(path) => std::fs::read(&path).expect("a readable .wasm file"),
        None => cairn::runtime::MODULE_WASM.to_vec(),
    };
    let runs = 5;
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let engine = wasmtime::Engine::new(&cairn::runtime::engine_config()).expect("an engine");
        wasmtime::Module::new(&engine, &bytes).expect("the module compiles");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "module: {} bytes; compile over {runs} runs: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        bytes.len(),
        times[0],
        times[runs / 2],
        times[runs - 1]
    );
}
