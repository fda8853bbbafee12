//! Streaming content-defined chunking (FastCDC 2020, normalisation level 1).
//!
//! The engine is push-driven: the host hands it bytes in whatever pieces it reads them.
//! [`Chunker`] buffers until it holds at least one maximum-size chunk, so every cut is
//! decided on the same bytes whatever the split of the input: boundaries depend on the
//! content only (a property test checks this against `fastcdc`'s own whole-buffer iterator).
//! Encrypted repositories key the gear table with a secret seed (docs/DESIGN.md §9).

use std::borrow::Cow;

use fastcdc::v2020::{self, Normalization};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Chunk size bounds in bytes, as stored in `config.json`.
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkingParams {
    /// Smallest chunk (except the last of a stream).
    pub min: u32,
    /// Target average.
    pub avg: u32,
    /// Largest chunk.
    pub max: u32,
}

impl Default for ChunkingParams {
    /// 64 KiB / 256 KiB / 1 MiB.
    fn default() -> Self {
        ChunkingParams {
            min: 64 * 1024,
            avg: 256 * 1024,
            max: 1024 * 1024,
        }
    }
}

impl ChunkingParams {
    /// Checks the bounds FastCDC accepts: `min <= avg <= max`, each even and within its range.
    pub fn validate(&self) -> Result<()> {
        let (min, avg, max) = (self.min as usize, self.avg as usize, self.max as usize);
        let ok = (v2020::MINIMUM_MIN..=v2020::MINIMUM_MAX).contains(&min)
            && (v2020::AVERAGE_MIN..=v2020::AVERAGE_MAX).contains(&avg)
            && (v2020::MAXIMUM_MIN..=v2020::MAXIMUM_MAX).contains(&max)
            && min <= avg
            && avg <= max
            && min % 2 == 0
            && avg % 2 == 0
            && max % 2 == 0;
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "chunk sizes {}/{}/{} are not valid: need even min <= avg <= max with min in 64..1 MiB, avg in 256..4 MiB, max in 1 KiB..16 MiB",
                self.min, self.avg, self.max
            )))
        }
    }
}

/// A push-driven chunker for one stream.
pub struct Chunker {
    params: ChunkingParams,
    masks: (u64, u64),
    gear: Cow<'static, [u64]>,
    gear_ls: Cow<'static, [u64]>,
    buf: Vec<u8>,
    start: usize,
    finished: bool,
}

impl Chunker {
    /// A chunker with the given bounds; `seed` 0 is the standard gear table.
    pub fn new(params: ChunkingParams, seed: u64) -> Self {
        let masks = v2020::select_masks(params.avg as usize, Normalization::Level1);
        let (gear, gear_ls) = v2020::get_gear_with_seed(seed);
        Chunker {
            params,
            masks,
            gear,
            gear_ls,
            buf: Vec::new(),
            start: 0,
            finished: false,
        }
    }

    /// Appends input. Call [`Chunker::next_chunk`] until it returns `None` afterwards.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Marks the end of the stream: the remaining bytes become the last chunks.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The next complete chunk, if the buffered input decides one.
    pub fn next_chunk(&mut self) -> Option<&[u8]> {
        let avail = self.buf.len() - self.start;
        if avail == 0 || (!self.finished && avail < self.params.max as usize) {
            return None;
        }
        let (mask_s, mask_l) = self.masks;
        let (_, len) = v2020::cut_gear(
            &self.buf[self.start..],
            self.params.min as usize,
            self.params.avg as usize,
            self.params.max as usize,
            mask_s,
            mask_l,
            mask_s << 1,
            mask_l << 1,
            &self.gear,
            &self.gear_ls,
        );
        let chunk = &self.buf[self.start..self.start + len];
        self.start += len;
        Some(chunk)
    }

    /// Forgets everything buffered and starts a new stream with the same parameters.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.finished = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn small() -> ChunkingParams {
        ChunkingParams {
            min: 256,
            avg: 1024,
            max: 4096,
        }
    }

    fn data(len: usize, seed: u64) -> Vec<u8> {
        // Compressible-ish pseudo-random data: runs of repeated words.
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let run = (x >> 60) as usize + 1;
            for _ in 0..run {
                out.extend_from_slice(&(x >> 20).to_le_bytes()[..3]);
            }
        }
        out.truncate(len);
        out
    }

    fn chunk_all(params: ChunkingParams, seed: u64, pieces: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut c = Chunker::new(params, seed);
        let mut out = Vec::new();
        for p in pieces {
            c.push(p);
            while let Some(ch) = c.next_chunk() {
                out.push(ch.to_vec());
            }
        }
        c.finish();
        while let Some(ch) = c.next_chunk() {
            out.push(ch.to_vec());
        }
        out
    }

    fn reference(params: ChunkingParams, seed: u64, input: &[u8]) -> Vec<Vec<u8>> {
        v2020::FastCDC::with_level_and_seed(
            input,
            params.min as usize,
            params.avg as usize,
            params.max as usize,
            Normalization::Level1,
            seed,
        )
        .map(|c| input[c.offset..c.offset + c.length].to_vec())
        .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn boundaries_do_not_depend_on_how_input_is_split(
            len in 0usize..60_000,
            seed in any::<u64>(),
            gear_seed in prop_oneof![Just(0u64), any::<u64>()],
            cuts in proptest::collection::vec(0usize..60_000, 0..40),
        ) {
            let input = data(len, seed);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (len + 1)).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut prev = 0;
            for c in cuts.into_iter().chain([len]) {
                pieces.push(&input[prev..c]);
                prev = c;
            }
            let split = chunk_all(small(), gear_seed, &pieces);
            let whole = reference(small(), gear_seed, &input);
            prop_assert_eq!(&split, &whole);
            prop_assert_eq!(split.concat(), input);
        }
    }

    #[test]
    fn bounds_hold_and_defaults_average_near_target() {
        let p = ChunkingParams::default();
        let input = data(16 << 20, 7);
        let chunks = chunk_all(p, 0, &[&input]);
        let (last, body) = chunks.split_last().unwrap();
        assert!(body
            .iter()
            .all(|c| c.len() >= p.min as usize && c.len() <= p.max as usize));
        assert!(last.len() <= p.max as usize);
        let avg = input.len() / chunks.len();
        assert!(avg > 128 * 1024 && avg < 512 * 1024, "average {avg}");
    }

    #[test]
    fn a_keyed_gear_table_moves_boundaries() {
        let input = data(200_000, 3);
        assert_ne!(
            chunk_all(small(), 0, &[&input]),
            chunk_all(small(), 0x1234_5678_9abc_def0, &[&input])
        );
    }

    #[test]
    fn an_insertion_only_disturbs_nearby_chunks() {
        let a = data(400_000, 11);
        let mut b = a.clone();
        b.splice(200_000..200_000, b"inserted bytes".iter().copied());
        let ca = chunk_all(small(), 0, &[&a]);
        let cb = chunk_all(small(), 0, &[&b]);
        let shared = cb.iter().filter(|c| ca.contains(c)).count();
        assert!(shared + 4 >= cb.len(), "{shared} of {} chunks shared", cb.len());
    }

    #[test]
    fn invalid_params_are_refused() {
        assert!(ChunkingParams::default().validate().is_ok());
        assert!(ChunkingParams {
            min: 10,
            avg: 1024,
            max: 4096
        }
        .validate()
        .is_err());
        assert!(ChunkingParams {
            min: 4096,
            avg: 1024,
            max: 8192
        }
        .validate()
        .is_err());
        assert!(ChunkingParams {
            min: 256,
            avg: 1025,
            max: 4096
        }
        .validate()
        .is_err());
    }
}
