//! Tests of opening and creating repositories, and the helpers other modules' tests share.
use super::*;
use crate::codec::CodecName;
use crate::kdf::KdfParams;
use crate::layout;
use crate::memory::MemoryHost;

/// Cheap Argon2 settings for tests.
pub const FAST_KDF: KdfParams = KdfParams {
    memory_ki_b: 64,
    iterations: 1,
    parallelism: 1,
};

/// Small chunks and packs so tests exercise many of each.
pub fn small_options() -> InitOptions {
    InitOptions {
        chunking: Some(ChunkingParams {
            min: 256,
            avg: 1024,
            max: 4096,
        }),
        pack_size: Some(16 * 1024),
        kdf: Some(FAST_KDF),
        ..InitOptions::default()
    }
}

pub fn client() -> Client {
    Client {
        hostname: "testhost".into(),
        pid: 42,
        user: "tester".into(),
    }
}

pub fn plain_repo(host: &MemoryHost) -> Repository<MemoryHost> {
    Repository::init(host.clone(), None, &small_options(), client()).unwrap()
}

#[test]
fn init_refuses_an_existing_repository_and_open_needs_one() {
    let host = MemoryHost::new(1);
    assert_eq!(
        Repository::open(host.clone(), None, client()).err(),
        Some(Error::RepositoryNotFound)
    );
    plain_repo(&host);
    assert_eq!(
        Repository::init(host.clone(), None, &small_options(), client()).err(),
        Some(Error::RepositoryExists)
    );
    let cfg = Config::parse(&host.object(layout::CONFIG).unwrap()).unwrap();
    assert_eq!(cfg.pack_size, 16 * 1024);
    assert!(cfg.encryption.is_none());
}

#[test]
fn encrypted_repositories_need_the_right_passphrase() {
    let host = MemoryHost::new(2);
    Repository::init(host.clone(), Some("s3cret"), &small_options(), client()).unwrap();
    assert_eq!(
        Repository::open(host.clone(), None, client()).err(),
        Some(Error::PassphraseRequired)
    );
    assert_eq!(
        Repository::open(host.clone(), Some("nope"), client()).err(),
        Some(Error::WrongPassphrase)
    );
    let r = Repository::open(host.clone(), Some("s3cret"), client()).unwrap();
    assert!(r.info().encrypted);
    assert_eq!(
        Repository::init(MemoryHost::new(3), Some(""), &small_options(), client())
            .err()
            .unwrap()
            .code(),
        crate::error::ErrorCode::InvalidArgument
    );
}

#[test]
fn a_config_stripped_of_encryption_is_refused() {
    let host = MemoryHost::new(4);
    Repository::init(host.clone(), Some("pw"), &small_options(), client()).unwrap();
    let mut cfg = Config::parse(&host.object(layout::CONFIG).unwrap()).unwrap();
    cfg.encryption = None;
    host.set_object(layout::CONFIG, cfg.to_bytes());
    assert!(matches!(
        Repository::open(host, None, client()),
        Err(Error::CorruptConfig(_))
    ));
}

#[test]
fn bad_init_options_are_refused_before_anything_is_written() {
    let host = MemoryHost::new(5);
    for opts in [
        InitOptions {
            pack_size: Some(10),
            ..small_options()
        },
        InitOptions {
            compression: Some(CodecName::Zstd),
            compression_level: Some(20),
            ..small_options()
        },
        InitOptions {
            parity: Some(ParityParams {
                data_packs: 0,
                parity_packs: 1,
            }),
            ..small_options()
        },
        InitOptions {
            chunking: Some(ChunkingParams {
                min: 1,
                avg: 2,
                max: 3,
            }),
            ..small_options()
        },
    ] {
        assert_eq!(
            Repository::init(host.clone(), None, &opts, client())
                .err()
                .unwrap()
                .code(),
            crate::error::ErrorCode::InvalidArgument
        );
    }
    assert!(host.keys().is_empty());
}
