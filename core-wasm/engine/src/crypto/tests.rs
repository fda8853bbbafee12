//! Tests of the crypto primitives and of the host's intrinsics' checks.
use super::*;
use crate::memory::MemoryHost;

#[test]
fn xaes_256_gcm_c2sp_vectors() {
    // C2SP XAES-256-GCM.md, "Test vectors": the derived key of the first, then both
    // messages sealed end to end (derived key, AES-256-GCM under the nonce's tail).
    let n: &[u8; 24] = b"ABCDEFGHIJKLMNOPQRSTUVWX";
    let head: &[u8; 12] = n[..12].try_into().unwrap();
    let tail: &[u8; 12] = n[12..].try_into().unwrap();
    assert_eq!(
        hex::encode(xaes_message_key(&[1; 32], head)),
        "c8612c9ed53fe43e8e005b828a1631a0bbcb6ab2f46514ec4f439fcfd0fa969b"
    );
    let sealed = soft_seal(&xaes_message_key(&[1; 32], head), tail, b"", b"XAES-256-GCM");
    assert_eq!(
        hex::encode(sealed),
        "ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"
    );
    let sealed = soft_seal(
        &xaes_message_key(&[3; 32], head),
        tail,
        b"c2sp.org/XAES-256-GCM",
        b"XAES-256-GCM",
    );
    assert_eq!(
        hex::encode(sealed),
        "986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"
    );
}

#[test]
fn sha256_fips_180_vectors() {
    assert_eq!(
        hex::encode(soft_sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(hex::encode(soft_sha256(SHA_MSG)), SHA_DIGEST);
    assert_eq!(
        hex::encode(soft_sha256(&vec![b'a'; 1_000_000])),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
}

#[test]
fn hmac_sha256_rfc_4231_vectors() {
    assert_eq!(
        hex::encode(soft_hmac_sha256(&[0x0b; 20], b"Hi There")),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    assert_eq!(hex::encode(soft_hmac_sha256(HMAC_KEY, HMAC_MSG)), HMAC_TAG);
    // Test case 6: a key longer than the block size.
    assert_eq!(
        hex::encode(soft_hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        )),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
}

#[test]
fn aes256gcm_nist_cavp_vectors() {
    let key: [u8; 32] = unhex(GCM_KEY);
    let nonce: [u8; 12] = unhex(GCM_NONCE);
    let ct = soft_seal(&key, &nonce, &unhex::<16>(GCM_AAD), &unhex::<32>(GCM_PT));
    assert_eq!(hex::encode(&ct), GCM_CT_TAG);
    assert_eq!(
        soft_open(&key, &nonce, &unhex::<16>(GCM_AAD), &ct).unwrap(),
        unhex::<32>(GCM_PT)
    );
    // gcmEncryptExtIV256.rsp, Count 0 of the empty-plaintext, empty-AAD section.
    let key: [u8; 32] = unhex("b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4");
    let nonce: [u8; 12] = unhex("516c33929df5a3284ff463d7");
    assert_eq!(
        hex::encode(soft_seal(&key, &nonce, b"", b"")),
        "bdc1ac884d332457a1d2664f168c76f0"
    );
}

#[test]
fn aes256gcm_rejects_any_altered_byte() {
    let key = [7u8; 32];
    let nonce = [9u8; 12];
    let ct = soft_seal(&key, &nonce, b"aad", b"secret data");
    for i in 0..ct.len() {
        let mut bad = ct.clone();
        bad[i] ^= 0x80;
        assert!(soft_open(&key, &nonce, b"aad", &bad).is_none(), "byte {i}");
    }
    assert!(soft_open(&key, &nonce, b"other", &ct).is_none());
    assert!(soft_open(&[8u8; 32], &nonce, b"aad", &ct).is_none());
}

/// A host whose intrinsics can be made to lie.
#[derive(Clone)]
struct LyingHost {
    inner: MemoryHost,
    lie_sha: bool,
    lie_aes: bool,
    lie_argon: bool,
    lie_zstd: bool,
}
impl crate::host::Storage for LyingHost {
    fn get(&self, k: &str) -> Result<Vec<u8>, crate::host::StorageError> {
        self.inner.get(k)
    }
    fn get_range(&self, k: &str, o: u64, l: u64) -> Result<Vec<u8>, crate::host::StorageError> {
        self.inner.get_range(k, o, l)
    }
    fn put(&self, k: &str, d: &[u8]) -> Result<(), crate::host::StorageError> {
        self.inner.put(k, d)
    }
    fn put_new(&self, k: &str, d: &[u8]) -> Result<(), crate::host::StorageError> {
        self.inner.put_new(k, d)
    }
    fn list(&self, p: &str) -> Result<Vec<String>, crate::host::StorageError> {
        self.inner.list(p)
    }
    fn delete(&self, k: &str) -> Result<(), crate::host::StorageError> {
        self.inner.delete(k)
    }
}
impl Host for LyingHost {
    fn random(&self, b: &mut [u8]) {
        self.inner.random(b)
    }
    fn now_ms(&self) -> i64 {
        0
    }
    fn event(&self, _: &str, _: &str) {}
    fn sha256(&self, d: &[u8]) -> Option<[u8; 32]> {
        let mut h = soft_sha256(d);
        if self.lie_sha {
            h[31] ^= 1;
        }
        Some(h)
    }
    fn aes256gcm_seal(&self, k: &[u8; 32], n: &[u8; 12], a: &[u8], p: &[u8]) -> Option<Vec<u8>> {
        let mut c = soft_seal(k, n, a, p);
        if self.lie_aes {
            c[0] ^= 1;
        }
        Some(c)
    }
    fn aes256gcm_open(&self, k: &[u8; 32], n: &[u8; 12], a: &[u8], c: &[u8]) -> Option<Option<Vec<u8>>> {
        Some(soft_open(k, n, a, c))
    }
    fn zstd_compress(&self, level: u32, d: &[u8], max: usize) -> Option<Option<Vec<u8>>> {
        let mut frame = crate::codec::zstd_frame(level, d).filter(|f| f.len() <= max);
        if let (true, Some(f)) = (self.lie_zstd, frame.as_mut()) {
            f.push(0); // still a valid frame followed by a byte: not the engine's
        }
        Some(frame)
    }
    fn argon2id(&self, p: &[u8], s: &[u8], params: &crate::kdf::KdfParams) -> Option<[u8; 32]> {
        let mut k = crate::kdf::argon2id(p, s, params).ok()?;
        if self.lie_argon {
            k[0] ^= 1;
        }
        Some(k)
    }
}

#[test]
fn honest_intrinsics_are_used_and_lying_ones_refused() {
    let honest = LyingHost {
        inner: MemoryHost::new(1),
        lie_sha: false,
        lie_aes: false,
        lie_argon: false,
        lie_zstd: false,
    };
    let c = Crypto::new(&honest).unwrap();
    assert!(c.host_sha256 && c.host_aes && c.host_argon2 && c.host_zstd && !c.host_hmac);
    let text = b"the engine's own frames, from the host ".repeat(50);
    assert_eq!(
        c.zstd_frame(&honest, 3, &text),
        crate::codec::zstd_frame(3, &text)
    );
    assert_eq!(c.zstd_frame(&honest, 1, b"short"), None, "no frame is shorter");
    let params = crate::kdf::KdfParams {
        memory_ki_b: 256,
        iterations: 2,
        parallelism: 1,
    };
    let key = c.argon2id(&honest, b"pw", b"salt-salt-salt-1", &params).unwrap();
    assert_eq!(
        key,
        crate::kdf::argon2id(b"pw", b"salt-salt-salt-1", &params).unwrap()
    );
    let e = Crypto::new(&LyingHost {
        lie_argon: true,
        ..honest.clone()
    })
    .unwrap_err();
    assert_eq!(e, Error::IntrinsicMismatch("Argon2id".into()));
    let e = Crypto::new(&LyingHost {
        lie_zstd: true,
        ..honest.clone()
    })
    .unwrap_err();
    assert_eq!(e, Error::IntrinsicMismatch("zstd".into()));
    let e = Crypto::new(&LyingHost {
        lie_sha: true,
        ..honest.clone()
    })
    .unwrap_err();
    assert_eq!(e, Error::IntrinsicMismatch("SHA-256".into()));
    let e = Crypto::new(&LyingHost {
        lie_aes: true,
        ..honest
    })
    .unwrap_err();
    assert_eq!(e, Error::IntrinsicMismatch("AES-256-GCM".into()));
    assert_eq!(Crypto::new(&MemoryHost::new(1)).unwrap(), Crypto::software());
}
