//! Candidate chunk codecs behind a small wasm ABI, for `bench/codecs.sh`: the host hands
//! a buffer, the module compresses (or decodes) it in independent pieces as Cairn does
//! chunks, and the host times the call. Every codec here is pure Rust, as the engine's
//! must be, and the module imports nothing.
//!
//! Codecs: 0 gzip via miniz_oxide (flate2), 1 gzip via zlib-rs, 2 zstd via ruzstd
//! (its Fastest level only), 3 zstd via structured-zstd (levels 1..22), and the engine's
//! own chunk compression (`cairn_core::codec`, which skips chunks whose sample does not
//! shrink): 4 its zstd, 5 its gzip. Decoder 3 is the engine's, for codecs 4 and 5.

use std::cell::RefCell;
use std::io::{Read, Write};

thread_local! {
    /// The pieces of the last `cb_prepare`, compressed, with their plaintext lengths.
    static PREPARED: RefCell<Vec<(Stored, usize)>> = const { RefCell::new(Vec::new()) };
}

/// One compressed piece, with the engine's codec byte when the engine chose it.
pub type Stored = (Option<cairn_core::codec::Codec>, Vec<u8>);

/// Compresses one piece with codec `codec` at `level`.
pub fn compress(codec: u32, level: i32, data: &[u8]) -> Stored {
    use cairn_core::codec::{CodecName, Compression};
    let engine = |codec| {
        let (c, out) = Compression {
            codec,
            level: level as u32,
        }
        .compress(data);
        (Some(c), out)
    };
    match codec {
        4 => engine(CodecName::Zstd),
        5 => engine(CodecName::Gzip),
        _ => (None, compress_with(codec, level, data)),
    }
}

fn compress_with(codec: u32, level: i32, data: &[u8]) -> Vec<u8> {
    match codec {
        0 => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level as u32));
            enc.write_all(data).unwrap();
            enc.finish().unwrap()
        }
        1 => {
            let config = zlib_rs::DeflateConfig {
                level,
                window_bits: 31, // 15 + 16: a gzip member
                ..Default::default()
            };
            let mut out = vec![0u8; data.len() + data.len() / 8 + 1024];
            let (written, rc) = zlib_rs::compress_slice(&mut out, data, config);
            assert_eq!(rc, zlib_rs::ReturnCode::Ok);
            let n = written.len();
            out.truncate(n);
            out
        }
        2 => ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
        3 => structured_zstd::encoding::compress_slice_to_vec(
            data,
            structured_zstd::encoding::CompressionLevel::Level(level),
        ),
        _ => panic!("unknown codec {codec}"),
    }
}

/// Decodes one piece with decoder `decoder`: 0 flate2 (gzip), 1 ruzstd, 2 structured-zstd.
pub fn decode(decoder: u32, stored: &Stored, len: usize) -> Vec<u8> {
    let (codec, stored) = (stored.0, stored.1.as_slice());
    if let (3, Some(codec)) = (decoder, codec) {
        return cairn_core::codec::decompress(codec, stored, len).unwrap();
    }
    let mut out = Vec::with_capacity(len);
    match decoder {
        0 => drop(
            flate2::read::GzDecoder::new(stored)
                .read_to_end(&mut out)
                .unwrap(),
        ),
        1 => drop(
            ruzstd::decoding::StreamingDecoder::new(stored)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap(),
        ),
        2 => drop(
            structured_zstd::decoding::StreamingDecoder::new(stored)
                .read_to_end(&mut out)
                .unwrap(),
        ),
        _ => panic!("unknown decoder {decoder}"),
    }
    out
}

/// A buffer of `len` bytes for the host to fill (never freed: a benchmark's few buffers).
#[no_mangle]
pub extern "C" fn cb_alloc(len: usize) -> *mut u8 {
    Box::leak(vec![0u8; len].into_boxed_slice()).as_mut_ptr()
}

fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    // SAFETY: the host passes a buffer it got from `cb_alloc` and filled, of `len` bytes.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// Compresses `len` bytes at `ptr` in pieces of `piece` bytes; the total output size.
#[no_mangle]
pub extern "C" fn cb_compress(codec: u32, level: i32, ptr: *const u8, len: usize, piece: usize) -> u64 {
    input(ptr, len)
        .chunks(piece)
        .map(|p| compress(codec, level, p).1.len() as u64)
        .sum()
}

/// Like [`cb_compress`], keeping the output for [`cb_decode`]; the total output size.
#[no_mangle]
pub extern "C" fn cb_prepare(codec: u32, level: i32, ptr: *const u8, len: usize, piece: usize) -> u64 {
    let pieces: Vec<(Stored, usize)> = input(ptr, len)
        .chunks(piece)
        .map(|p| (compress(codec, level, p), p.len()))
        .collect();
    let total = pieces.iter().map(|((_, c), _)| c.len() as u64).sum();
    PREPARED.with(|p| *p.borrow_mut() = pieces);
    total
}

/// Decodes the prepared pieces with `decoder`; the total decoded size, or 0 when a piece
/// does not decode to its original length.
#[no_mangle]
pub extern "C" fn cb_decode(decoder: u32) -> u64 {
    PREPARED.with(|p| {
        let mut total = 0u64;
        for (stored, len) in p.borrow().iter() {
            let out = decode(decoder, stored, *len);
            if out.len() != *len {
                return 0;
            }
            total += out.len() as u64;
        }
        total
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codec_round_trips() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("row {i} {}\n", i % 7).into_bytes())
            .collect();
        for (codec, level, decoder) in [
            (0, 1, 0),
            (1, 1, 0),
            (1, 6, 0),
            (2, 1, 1),
            (3, 1, 1),
            (3, 3, 2),
            (3, 9, 1),
            (4, 1, 3),
            (5, 1, 3),
        ] {
            let c = compress(codec, level, &data);
            assert!(
                c.1.len() < data.len() / 2,
                "codec {codec} level {level}: {} of {}",
                c.1.len(),
                data.len()
            );
            assert_eq!(
                decode(decoder, &c, data.len()),
                data,
                "codec {codec} level {level}"
            );
        }
    }
}
