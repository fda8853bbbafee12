// Runs the codec module (bench/codecs) under Node's V8 and prints one JSON line per
// measurement, as the wasmtime runner does: node codecs.mjs MODULE DATA PIECE CODEC:LEVEL:DECODER...
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const [modulePath, dataPath, pieceText, ...specs] = process.argv.slice(2);
const bytes = readFileSync(dataPath);
const piece = Number(pieceText);
const { instance } = await WebAssembly.instantiate(readFileSync(modulePath), {});
const ex = instance.exports;
const ptr = ex.cb_alloc(bytes.length);
new Uint8Array(ex.memory.buffer, ptr, bytes.length).set(bytes);
for (const spec of specs) {
  const [codec, level, decoder] = spec.split(":").map(Number);
  let t = performance.now();
  const out = ex.cb_compress(codec, level, ptr, bytes.length, piece);
  const compressS = (performance.now() - t) / 1000;
  ex.cb_prepare(codec, level, ptr, bytes.length, piece);
  t = performance.now();
  const decoded = ex.cb_decode(decoder);
  const decodeS = (performance.now() - t) / 1000;
  if (Number(decoded) !== bytes.length) throw new Error(`${spec} does not decode to its input`);
  console.log(JSON.stringify({ runtime: "node", spec, input: bytes.length, output: Number(out), compressS, decodeS }));
}
