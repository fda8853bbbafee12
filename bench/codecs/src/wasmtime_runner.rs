//! Runs the codec module under wasmtime (the CLI's runtime) and prints one JSON line per
//! measurement, as `codecs.mjs` does under V8: `codec-bench-wasmtime MODULE DATA PIECE
//! CODEC:LEVEL:DECODER...`.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::time::Instant;
    use wasmtime::{Engine, Instance, Module, Store};

    let args: Vec<String> = std::env::args().collect();
    let (module, data, piece) = (&args[1], &args[2], args[3].parse::<u32>().unwrap());
    let bytes = std::fs::read(data).unwrap();
    let engine = Engine::default();
    let module = Module::from_file(&engine, module).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let alloc = instance
        .get_typed_func::<u32, u32>(&mut store, "cb_alloc")
        .unwrap();
    let compress = instance
        .get_typed_func::<(u32, i32, u32, u32, u32), u64>(&mut store, "cb_compress")
        .unwrap();
    let prepare = instance
        .get_typed_func::<(u32, i32, u32, u32, u32), u64>(&mut store, "cb_prepare")
        .unwrap();
    let decode = instance
        .get_typed_func::<u32, u64>(&mut store, "cb_decode")
        .unwrap();
    let ptr = alloc.call(&mut store, bytes.len() as u32).unwrap();
    memory.write(&mut store, ptr as usize, &bytes).unwrap();
    let len = bytes.len() as u32;
    for spec in &args[4..] {
        let mut f = spec.split(':').map(|x| x.parse::<i32>().unwrap());
        let (codec, level, decoder) = (
            f.next().unwrap() as u32,
            f.next().unwrap(),
            f.next().unwrap() as u32,
        );
        let t = Instant::now();
        let out = compress
            .call(&mut store, (codec, level, ptr, len, piece))
            .unwrap();
        let compress_s = t.elapsed().as_secs_f64();
        prepare.call(&mut store, (codec, level, ptr, len, piece)).unwrap();
        let t = Instant::now();
        let decoded = decode.call(&mut store, decoder).unwrap();
        let decode_s = t.elapsed().as_secs_f64();
        assert_eq!(decoded, len as u64, "{spec} decodes to its input");
        let line = serde_json::json!({ "runtime": "wasmtime", "spec": spec, "input": len, "output": out,
                                       "compressS": compress_s, "decodeS": decode_s });
        println!("{line}");
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
