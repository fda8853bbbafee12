//! Per-chunk compression: gzip (a complete RFC 1952 member, so `gzip -d` reads a chunk cut
//! out of a pack), zstd (a complete frame for `zstd -d`), or none.
//!
//! A chunk that does not shrink is stored raw, and the codec actually used is recorded per
//! chunk in the pack index, so a reader never guesses.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How one stored chunk is encoded; the byte values are part of the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Codec {
    /// Stored as is.
    None = 0,
    /// One gzip member.
    Gzip = 1,
    /// One zstd frame.
    Zstd = 2,
}

impl Codec {
    /// The codec of a format byte.
    pub fn from_byte(b: u8) -> Option<Codec> {
        match b {
            0 => Some(Codec::None),
            1 => Some(Codec::Gzip),
            2 => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// The repository's compression setting, as in `config.json`.
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compression {
    /// `gzip`, `zstd` or `none`.
    pub codec: CodecName,
    /// gzip: deflate level 1..=9; zstd: 1..=19 (the C zstd numbering); none: 0.
    pub level: u32,
}

/// Codec names as written in `config.json` and accepted from users.
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "lowercase")]
pub enum CodecName {
    /// gzip (deflate) via `miniz_oxide`.
    Gzip,
    /// zstd via `structured-zstd`, the default.
    Zstd,
    /// No compression.
    None,
}

/// Bytes in each slice of the sample that decides whether a chunk is worth compressing.
pub const SAMPLE_SLICE: usize = 2048;
/// Slices in that sample, spread evenly from the chunk's first byte to its last.
pub const SAMPLE_SLICES: usize = 8;
/// Chunks shorter than this are compressed without sampling them first.
pub const SAMPLE_MIN: usize = 64 * 1024;
/// A sample that compresses to more than this share of its size marks its chunk as not
/// worth compressing.
pub const SAMPLE_KEEP: f64 = 0.97;

/// The highest zstd level accepted: 20 to 22 need windows larger than a chunk is useful for.
pub const MAX_ZSTD_LEVEL: u32 = 19;

impl Default for Compression {
    /// zstd at level 1: on every kind of data measured it stores less than gzip at level 6
    /// and runs faster than gzip at level 1, inside wasm (docs/DESIGN.md §12).
    fn default() -> Self {
        Compression {
            codec: CodecName::Zstd,
            level: 1,
        }
    }
}

impl Compression {
    /// The setting for a codec at its default level.
    pub fn with_default_level(codec: CodecName) -> Self {
        let level = match codec {
            CodecName::Gzip | CodecName::Zstd => 1,
            CodecName::None => 0,
        };
        Compression { codec, level }
    }

    /// Checks the level against what the codec implements.
    pub fn validate(&self) -> Result<()> {
        let ok = match self.codec {
            CodecName::Gzip => (1..=9).contains(&self.level),
            CodecName::Zstd => (1..=MAX_ZSTD_LEVEL).contains(&self.level),
            CodecName::None => self.level == 0,
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "compression level {} is not available for {:?}: gzip takes 1..9, zstd 1..{MAX_ZSTD_LEVEL}, none 0",
                self.level, self.codec
            )))
        }
    }

    /// Compresses one chunk with the engine's own encoders; falls back to [`Codec::None`]
    /// when that is not smaller, and does not try at all when a sample of the chunk does
    /// not shrink ([`Compression::looks_incompressible`]).
    pub fn compress(&self, data: &[u8]) -> (Codec, Vec<u8>) {
        self.compress_by(&zstd_frame, data)
    }

    /// [`Compression::compress`] with zstd frames from `zstd` (a [`ZstdEncoder`]: the
    /// engine's [`zstd_frame`], or a host's native build of it, docs/DESIGN.md §4).
    pub fn compress_by(&self, zstd: ZstdEncoder<'_>, data: &[u8]) -> (Codec, Vec<u8>) {
        if self.codec == CodecName::None || self.looks_incompressible(zstd, data) {
            return (Codec::None, data.to_vec());
        }
        self.compress_fully(zstd, data)
    }

    /// Whether compressing `data` is not worth trying: a sample of it
    /// ([`SAMPLE_SLICES`] evenly spaced slices of [`SAMPLE_SLICE`] bytes, about 6 % of an
    /// average chunk), compressed with this codec and level, keeps more than
    /// [`SAMPLE_KEEP`] of its size. Already-compressed or encrypted data then costs one
    /// small compression instead of a whole one. Chunks shorter than [`SAMPLE_MIN`] are
    /// always tried: for them the sample would be most of the work.
    pub fn looks_incompressible(&self, zstd: ZstdEncoder<'_>, data: &[u8]) -> bool {
        if self.codec == CodecName::None || data.len() < SAMPLE_MIN {
            return false;
        }
        let stride = (data.len() - SAMPLE_SLICE) / (SAMPLE_SLICES - 1);
        let mut sample = Vec::with_capacity(SAMPLE_SLICES * SAMPLE_SLICE);
        for i in 0..SAMPLE_SLICES {
            sample.extend_from_slice(&data[i * stride..i * stride + SAMPLE_SLICE]);
        }
        let (codec, out) = self.compress_fully(zstd, &sample);
        codec == Codec::None || out.len() as f64 > sample.len() as f64 * SAMPLE_KEEP
    }

    /// Compresses one chunk whatever it holds; [`Codec::None`] when that is not smaller.
    fn compress_fully(&self, zstd: ZstdEncoder<'_>, data: &[u8]) -> (Codec, Vec<u8>) {
        let packed = match self.codec {
            CodecName::None => None,
            CodecName::Gzip => {
                let mut enc = flate2::write::GzEncoder::new(
                    Vec::with_capacity(data.len() / 2 + 64),
                    flate2::Compression::new(self.level),
                );
                enc.write_all(data).expect("writing to a Vec cannot fail");
                Some((Codec::Gzip, enc.finish().expect("writing to a Vec cannot fail")))
            }
            CodecName::Zstd => zstd(self.level, data).map(|frame| (Codec::Zstd, frame)),
        };
        match packed {
            Some((codec, out)) if out.len() < data.len() => (codec, out),
            _ => (Codec::None, data.to_vec()),
        }
    }
}

/// Makes zstd frames: called with a level and the data, answers the frame when it is
/// shorter than the data, `None` otherwise.
pub type ZstdEncoder<'a> = &'a dyn Fn(u32, &[u8]) -> Option<Vec<u8>>;

/// The engine's own zstd encoder (`structured-zstd`): the frame of `data` at `level`, if
/// it is shorter than `data`. A host's `zstd_compress` intrinsic must answer exactly this.
pub fn zstd_frame(level: u32, data: &[u8]) -> Option<Vec<u8>> {
    let frame = structured_zstd::encoding::compress_slice_to_vec(
        data,
        structured_zstd::encoding::CompressionLevel::Level(level as i32),
    );
    (frame.len() < data.len()).then_some(frame)
}

/// Levels a host's zstd encoder is checked at: the default and a high one, which use
/// different match finders.
const PROBE_LEVELS: [u32; 2] = [1, 9];

/// Checks a host's `zstd_compress` intrinsic against [`zstd_frame`] (docs/DESIGN.md §4):
/// `Ok(true)` when it gives the same frames, `Ok(false)` when the host has none, and
/// `IntrinsicMismatch` when it answers other bytes, or a frame where none is shorter.
pub fn probe_host_zstd<H: crate::host::Host + ?Sized>(host: &H) -> Result<bool> {
    // Text with repeats (matches, literals, Huffman and FSE tables), then bytes no codec
    // shrinks: both answers of the intrinsic are checked.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut text = Vec::new();
    for i in 0..400u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let line = format!(
            "{:>5} {} = {:x}; // entry {}\n",
            i,
            ["alpha", "beta", "gamma"][(x % 3) as usize],
            x % 4096,
            i % 17
        );
        text.extend_from_slice(line.as_bytes());
    }
    let noise: Vec<u8> = (0..64u64)
        .map(|i| (x.rotate_left(i as u32 * 7) ^ (i * 0x9d)) as u8)
        .collect();
    let mut supplied = false;
    for level in PROBE_LEVELS {
        for data in [&text[..], &noise[..]] {
            let Some(answer) = host.zstd_compress(level, data, data.len() - 1) else {
                return Ok(false);
            };
            if answer != zstd_frame(level, data) {
                return Err(Error::IntrinsicMismatch("zstd".into()));
            }
            supplied = true;
        }
    }
    Ok(supplied)
}

/// Decodes one stored chunk that must expand to exactly `raw_len` bytes.
pub fn decompress(codec: Codec, stored: &[u8], raw_len: usize) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    decompress_into(codec, stored, raw_len, &mut out)?;
    Ok(out)
}

/// [`decompress`] of bytes the caller owns: a raw chunk is moved, not copied.
pub fn decompress_owned(
    codec: Codec,
    stored: Vec<u8>,
    raw_len: usize,
) -> std::result::Result<Vec<u8>, String> {
    match codec {
        Codec::None if stored.len() == raw_len => Ok(stored),
        _ => decompress(codec, &stored, raw_len),
    }
}

/// [`decompress`] appending to `out` (a batch's results, say), so the plaintext is written
/// once, where it is wanted. On an error `out` is left as it was.
///
/// zstd decodes straight into the `raw_len` bytes reserved for it (structured-zstd's
/// `decode_all`, which never writes past them and refuses a frame that declares more),
/// rather than through a streaming decoder's window and a copy out of it: restore spends
/// most of its engine time here (docs/DESIGN.md §32).
pub fn decompress_into(
    codec: Codec,
    stored: &[u8],
    raw_len: usize,
    out: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let start = out.len();
    let result = match codec {
        Codec::None => {
            out.extend_from_slice(stored);
            Ok(())
        }
        Codec::Gzip => read_bounded(flate2::read::GzDecoder::new(stored), raw_len, out),
        Codec::Zstd if stored.is_empty() => Err("decompression: an empty zstd chunk".to_string()),
        Codec::Zstd => {
            out.resize(start + raw_len, 0);
            let mut decoder = structured_zstd::decoding::FrameDecoder::new();
            match decoder.decode_all(stored, &mut out[start..]) {
                Ok(n) => {
                    out.truncate(start + n);
                    Ok(())
                }
                Err(e) => Err(format!("decompression: {e}")),
            }
        }
    };
    let decoded = out.len() - start;
    let result = result.and_then(|()| {
        if decoded == raw_len {
            Ok(())
        } else {
            Err(format!("decoded {decoded} bytes, expected {raw_len}"))
        }
    });
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// Appends at most `limit + 1` bytes to `out`, so a corrupt or hostile stream cannot
/// exhaust memory.
fn read_bounded(r: impl Read, limit: usize, out: &mut Vec<u8>) -> std::result::Result<(), String> {
    out.reserve(limit);
    r.take(limit as u64 + 1)
        .read_to_end(out)
        .map(drop)
        .map_err(|e| format!("decompression: {e}"))
}

#[cfg(test)]
mod tests;
