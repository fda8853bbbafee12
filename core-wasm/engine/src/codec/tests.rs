//! The codecs' round trips, bounds and hostile frames.

use super::*;

fn sample() -> Vec<u8> {
    (0..100_000u32)
        .flat_map(|i| format!("row {} value {}\n", i, i % 97).into_bytes())
        .collect()
}

/// `len` bytes of xorshift output: incompressible by every codec.
fn noise(len: usize, mut x: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn every_codec_round_trips_and_shrinks_text() {
    let data = sample();
    for c in [
        Compression::with_default_level(CodecName::Gzip),
        Compression {
            codec: CodecName::Gzip,
            level: 9,
        },
        Compression::with_default_level(CodecName::Zstd),
        Compression {
            codec: CodecName::Zstd,
            level: 9,
        },
    ] {
        let (codec, out) = c.compress(&data);
        assert_ne!(codec, Codec::None);
        assert!(out.len() < data.len() / 3);
        assert_eq!(decompress(codec, &out, data.len()).unwrap(), data);
    }
    let (codec, out) = Compression::with_default_level(CodecName::None).compress(&data);
    assert_eq!((codec, &out), (Codec::None, &data));
}

#[test]
fn incompressible_chunks_are_stored_raw() {
    let noise = noise(50_000, 1);
    for c in [
        Compression::with_default_level(CodecName::Gzip),
        Compression::with_default_level(CodecName::Zstd),
    ] {
        assert_eq!(c.compress(&noise), (Codec::None, noise.clone()));
    }
}

#[test]
fn only_chunks_whose_sample_does_not_shrink_skip_compression() {
    let noise = noise(300_000, 7);
    let text = sample();
    for c in [
        Compression::with_default_level(CodecName::Gzip),
        Compression::with_default_level(CodecName::Zstd),
    ] {
        assert!(c.looks_incompressible(&zstd_frame, &noise));
        assert!(!c.looks_incompressible(&zstd_frame, &text));
        assert!(
            !c.looks_incompressible(&zstd_frame, &noise[..SAMPLE_MIN - 1]),
            "short chunks are always tried"
        );
        let mixed = [&noise[..150_000], &text[..150_000]].concat();
        assert!(
            !c.looks_incompressible(&zstd_frame, &mixed),
            "half text is worth compressing"
        );
        let (codec, out) = c.compress(&mixed);
        assert_ne!(codec, Codec::None);
        assert!(
            out.len() < mixed.len() * 2 / 3,
            "{:?}: {} of {}",
            c.codec,
            out.len(),
            mixed.len()
        );
    }
    assert!(!Compression::with_default_level(CodecName::None).looks_incompressible(&zstd_frame, &noise));
}

#[test]
fn gzip_output_is_a_standard_member() {
    let (_, out) = Compression::with_default_level(CodecName::Gzip).compress(&sample());
    assert_eq!(&out[..3], &[0x1f, 0x8b, 8], "gzip magic and deflate method");
}

#[test]
fn zstd_output_is_a_standard_frame() {
    let (_, out) = Compression::with_default_level(CodecName::Zstd).compress(&sample());
    assert_eq!(&out[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd frame magic");
}

#[test]
fn damaged_or_mislabelled_data_is_an_error_not_a_panic() {
    let data = sample();
    let (codec, mut out) = Compression::default().compress(&data);
    assert!(
        decompress(codec, &out, data.len() - 1).is_err(),
        "longer than recorded"
    );
    assert!(
        decompress(codec, &out, data.len() + 1).is_err(),
        "shorter than recorded"
    );
    let mid = out.len() / 2;
    out[mid] ^= 0xff;
    assert!(decompress(codec, &out, data.len()).is_err());
    assert!(decompress(Codec::Zstd, b"not zstd at all", 10).is_err());
    assert!(decompress(Codec::Gzip, &out[..10], data.len()).is_err());
    assert!(decompress(Codec::Zstd, b"", 0).is_err(), "no frame at all");
}

#[test]
fn decoding_appends_exactly_the_recorded_length_or_leaves_the_buffer_alone() {
    let data = sample();
    for c in [
        Compression::with_default_level(CodecName::Gzip),
        Compression::with_default_level(CodecName::Zstd),
        Compression::with_default_level(CodecName::None),
    ] {
        let (codec, stored) = c.compress_fully(&zstd_frame, &data);
        let stored = if codec == Codec::None {
            data.clone()
        } else {
            stored
        };
        let mut out = b"head".to_vec();
        decompress_into(codec, &stored, data.len(), &mut out).unwrap();
        assert_eq!(&out[..4], b"head");
        assert_eq!(&out[4..], &data[..]);
        for wrong in [data.len() - 1, data.len() + 1] {
            let mut out = b"head".to_vec();
            assert!(decompress_into(codec, &stored, wrong, &mut out).is_err());
            assert_eq!(out, b"head");
        }
    }
}

#[test]
fn a_zstd_frame_that_declares_no_size_is_still_bounded_by_the_recorded_length() {
    use structured_zstd::encoding::{CompressionLevel, FrameCompressor};
    let data = sample();
    let mut stored = Vec::new();
    let mut enc = FrameCompressor::new(CompressionLevel::Level(1));
    enc.set_content_size_flag(false);
    enc.set_source(&data[..]);
    enc.set_drain(&mut stored);
    enc.compress();
    assert_eq!(decompress(Codec::Zstd, &stored, data.len()).unwrap(), data);
    assert!(
        decompress(Codec::Zstd, &stored, data.len() - 1).is_err(),
        "longer than recorded"
    );
    assert!(decompress(Codec::Zstd, &stored, data.len() + 1).is_err());
}

#[test]
fn levels_are_checked() {
    for level in [0, 20] {
        assert!(Compression {
            codec: CodecName::Zstd,
            level
        }
        .validate()
        .is_err());
    }
    assert!(Compression {
        codec: CodecName::Zstd,
        level: 19
    }
    .validate()
    .is_ok());
    assert!(Compression {
        codec: CodecName::Gzip,
        level: 0
    }
    .validate()
    .is_err());
    assert!(Compression {
        codec: CodecName::Gzip,
        level: 6
    }
    .validate()
    .is_ok());
}
