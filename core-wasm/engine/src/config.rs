//! `config.json`: the repository's parameters, readable without any key.

use serde::{Deserialize, Serialize};

use crate::checksum;
use crate::chunker::ChunkingParams;
use crate::codec::{CodecName, Compression};
use crate::error::{Error, Result};
use crate::kdf::KdfParams;
use crate::seal::Cipher;

/// The format version this engine writes and the newest it reads.
pub const FORMAT_VERSION: u64 = 1;
/// The value of the `format` field, which marks the file as Cairn's.
pub const FORMAT_NAME: &str = "cairn";

/// Options of `init`; everything absent takes the default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct InitOptions {
    /// `zstd` (default), `gzip` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<CodecName>,
    /// Codec level (zstd 1..19, gzip 1..9; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_level: Option<u32>,
    /// Chunk sizes (default 64 KiB / 256 KiB / 1 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunking: Option<ChunkingParams>,
    /// Target pack size in bytes (default 8 MiB; 4 KiB to 1 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack_size: Option<u64>,
    /// Parity layout (default 20 data + 1 parity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parity: Option<ParityParams>,
    /// Argon2id cost of the first key (default 64 MiB, 3 passes); lower only for tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kdf: Option<KdfParams>,
}

/// Default target pack size.
pub const DEFAULT_PACK_SIZE: u32 = 8 * 1024 * 1024;

/// Reed-Solomon parity layout: parity packs per group of data packs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct ParityParams {
    /// Data packs per group (k).
    pub data_packs: u32,
    /// Parity packs per group (m).
    pub parity_packs: u32,
}

impl Default for ParityParams {
    /// RS(20,1): any one lost pack of twenty can be rebuilt, for 5 % more storage.
    fn default() -> Self {
        ParityParams {
            data_packs: 20,
            parity_packs: 1,
        }
    }
}

/// Encryption parameters; present only in encrypted repositories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionParams {
    /// `xaes-256-gcm` (repositories created now) or `aes-256-gcm` (before).
    pub cipher: String,
    /// Always `argon2id`.
    pub kdf: String,
    /// Always `hmac-sha256`.
    pub chunk_ids: String,
}

impl Default for EncryptionParams {
    /// What new repositories use: XAES-256-GCM, whose 192-bit random nonces do not run
    /// out (docs/FORMAT.md §2).
    fn default() -> Self {
        EncryptionParams {
            cipher: Cipher::XAes256Gcm.name().into(),
            kdf: "argon2id".into(),
            chunk_ids: "hmac-sha256".into(),
        }
    }
}

impl EncryptionParams {
    /// The cipher, if it is one this engine knows.
    pub fn cipher(&self) -> Option<Cipher> {
        Cipher::from_name(&self.cipher)
    }
}

/// The contents of `config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Always `cairn`.
    pub format: String,
    /// Format version ([`FORMAT_VERSION`]).
    pub version: u64,
    /// Random repository id (64 hex digits).
    pub id: String,
    /// When the repository was created.
    pub created_at: String,
    /// Chunk size bounds.
    pub chunking: ChunkingParams,
    /// Chunk compression.
    pub compression: Compression,
    /// Target pack size in bytes.
    pub pack_size: u32,
    /// Parity layout.
    pub parity: ParityParams,
    /// Encryption, or `null` for a plain repository.
    pub encryption: Option<EncryptionParams>,
}

/// Smallest accepted pack size.
pub const MIN_PACK_SIZE: u32 = 4 * 1024;
/// Largest accepted pack size (offsets in pack indexes are 32-bit).
pub const MAX_PACK_SIZE: u32 = 1024 * 1024 * 1024;

impl Config {
    /// The configuration of a new repository with id `id`, created at `created_at`, from
    /// `init`'s options; checks every parameter (nothing is written before this passes).
    pub fn new(id: String, created_at: String, options: &InitOptions, encrypted: bool) -> Result<Config> {
        let mut compression =
            Compression::with_default_level(options.compression.unwrap_or(Compression::default().codec));
        if let Some(level) = options.compression_level {
            compression.level = level;
        }
        let pack_size = options.pack_size.unwrap_or(DEFAULT_PACK_SIZE as u64);
        let config = Config {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            id,
            created_at,
            chunking: options.chunking.unwrap_or_default(),
            compression,
            pack_size: u32::try_from(pack_size).unwrap_or(u32::MAX),
            parity: options.parity.unwrap_or_default(),
            encryption: encrypted.then(EncryptionParams::default),
        };
        if pack_size > MAX_PACK_SIZE as u64 {
            return Err(pack_size_error(pack_size));
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks every parameter; the error names the bad one.
    pub fn validate(&self) -> Result<()> {
        self.chunking.validate()?;
        self.compression.validate()?;
        if !(MIN_PACK_SIZE..=MAX_PACK_SIZE).contains(&self.pack_size) {
            return Err(pack_size_error(self.pack_size as u64));
        }
        let p = self.parity;
        if p.data_packs == 0 || p.data_packs.checked_add(p.parity_packs).is_none_or(|n| n > 256) {
            return Err(Error::InvalidArgument(format!(
                "parity {},{} is not possible: need 1 or more data packs and at most 256 packs per group",
                p.data_packs, p.parity_packs
            )));
        }
        if let Some(e) = &self.encryption {
            if e.cipher().is_none() || e.kdf != "argon2id" || e.chunk_ids != "hmac-sha256" {
                return Err(Error::InvalidArgument(format!("unknown encryption scheme {e:?}")));
            }
        }
        Ok(())
    }

    /// Parses `config.json`: checks that it is Cairn's, refuses an unknown version clearly,
    /// checks its checksum (docs/FORMAT.md §3a) and validates the parameters.
    pub fn parse(bytes: &[u8]) -> Result<Config> {
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| Error::CorruptConfig(format!("not JSON: {e}")))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
            return Err(Error::CorruptConfig(
                "it is not a Cairn configuration (no \"format\": \"cairn\")".into(),
            ));
        }
        match v.get("version").and_then(|f| f.as_u64()) {
            Some(FORMAT_VERSION) => {}
            Some(found) => {
                return Err(Error::UnsupportedVersion {
                    what: "the repository".into(),
                    found,
                    supported: FORMAT_VERSION,
                })
            }
            None => return Err(Error::CorruptConfig("no format version".into())),
        }
        let c: Config = serde_json::from_value(v.clone()).map_err(|e| Error::CorruptConfig(e.to_string()))?;
        let known = serde_json::to_value(&c).expect("config serialises");
        checksum::check(bytes, &v, &known).map_err(Error::CorruptConfig)?;
        c.validate().map_err(|e| Error::CorruptConfig(e.to_string()))?;
        Ok(c)
    }

    /// The file's bytes: pretty JSON, since people read it, under its checksum line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("config serialises");
        out.push(b'\n');
        checksum::prepend(&out)
    }
}

fn pack_size_error(size: u64) -> Error {
    Error::InvalidArgument(format!(
        "pack size {size} is outside {MIN_PACK_SIZE}..{MAX_PACK_SIZE} bytes (4 KiB to 1 GiB): choose a size in that range"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Config {
        Config {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            id: "ab".repeat(32),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            chunking: ChunkingParams::default(),
            compression: Compression::default(),
            pack_size: 8 << 20,
            parity: ParityParams::default(),
            encryption: None,
        }
    }

    #[test]
    fn round_trips() {
        let c = sample();
        assert_eq!(Config::parse(&c.to_bytes()).unwrap(), c);
        let text = String::from_utf8(c.to_bytes()).unwrap();
        assert!(
            text.contains("\"packSize\": 8388608") && text.contains("\"dataPacks\": 20"),
            "{text}"
        );
    }

    #[test]
    fn new_repositories_take_defaults_and_refuse_impossible_options() {
        let c = Config::new("ab".repeat(32), "t".into(), &InitOptions::default(), true).unwrap();
        assert_eq!(
            (c.pack_size, c.compression, c.parity),
            (8 << 20, Compression::default(), ParityParams::default())
        );
        assert!(c.encryption.is_some());
        let five_gib = InitOptions {
            pack_size: Some(5 << 30),
            ..Default::default()
        };
        let e = Config::new("ab".repeat(32), "t".into(), &five_gib, false).unwrap_err();
        assert!(e.to_string().contains("pack size 5368709120 is outside"), "{e}");
    }

    #[test]
    fn bad_files_get_clear_errors() {
        assert!(matches!(Config::parse(b"garbage"), Err(Error::CorruptConfig(_))));
        assert!(matches!(Config::parse(b"{}"), Err(Error::CorruptConfig(_))));
        let mut v = serde_json::to_value(sample()).unwrap();
        v["version"] = 2.into();
        let e = Config::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e.code(), crate::error::ErrorCode::UnsupportedVersion);
        assert!(e.to_string().contains("version 2"), "{e}");
        let mut v = serde_json::to_value(sample()).unwrap();
        v["packSize"] = 10.into();
        assert!(matches!(
            Config::parse(&serde_json::to_vec(&v).unwrap()),
            Err(Error::CorruptConfig(_))
        ));
    }
}
