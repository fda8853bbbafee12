//! Passphrase key derivation: Argon2id (RFC 9106) and its cost parameters, as key files
//! record them (docs/FORMAT.md §4).

use crate::error::{Error, Result};

/// Argon2id parameters, as stored in key files.
#[cfg_attr(feature = "typescript", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_ki_b: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes, 1 lane: RFC 9106's second recommended option with one lane
    /// (the engine is single-threaded), above OWASP's minimum of 19 MiB and 2 passes.
    fn default() -> Self {
        KdfParams {
            memory_ki_b: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

impl KdfParams {
    /// Rejects parameters Argon2 refuses or that would make a key file a denial of service.
    pub fn validate(&self) -> Result<()> {
        let ok = (8 * self.parallelism..=4 * 1024 * 1024).contains(&self.memory_ki_b)
            && (1..=64).contains(&self.iterations)
            && (1..=16).contains(&self.parallelism);
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "Argon2id parameters out of range: {self:?} (memory 8*parallelism KiB..4 GiB, iterations 1..64, parallelism 1..16)"
            )))
        }
    }
}

/// Argon2id (version 0x13) of a passphrase into a 32-byte key.
pub fn argon2id(passphrase: &[u8], salt: &[u8], params: &KdfParams) -> Result<[u8; 32]> {
    params.validate()?;
    let p = argon2::Params::new(
        params.memory_ki_b,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| Error::InvalidArgument(format!("Argon2id parameters: {e}")))?;
    let ctx = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut out = [0u8; 32];
    ctx.hash_password_into(passphrase, salt, &mut out)
        .map_err(|e| Error::InvalidArgument(format!("Argon2id: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_rfc_9106_vector() {
        // RFC 9106 §5.3 uses a secret and associated data, which Cairn does not: check the
        // primitive through the crate with exactly the RFC's inputs.
        let params = argon2::ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .data(argon2::AssociatedData::new(&[0x04; 12]).unwrap())
            .output_len(32)
            .build()
            .unwrap();
        let ctx = argon2::Argon2::new_with_secret(
            &[0x03; 8],
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        )
        .unwrap();
        let mut out = [0u8; 32];
        ctx.hash_password_into(&[0x01; 32], &[0x02; 16], &mut out)
            .unwrap();
        assert_eq!(
            hex::encode(out),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    #[test]
    fn argon2id_as_cairn_calls_it_is_deterministic_and_salted() {
        let p = KdfParams {
            memory_ki_b: 64,
            iterations: 1,
            parallelism: 1,
        };
        let a = argon2id(b"pw", b"salt-salt-salt-1", &p).unwrap();
        assert_eq!(a, argon2id(b"pw", b"salt-salt-salt-1", &p).unwrap());
        assert_ne!(a, argon2id(b"pw", b"salt-salt-salt-2", &p).unwrap());
        assert_ne!(a, argon2id(b"pW", b"salt-salt-salt-1", &p).unwrap());
        assert!(argon2id(b"pw", b"salt-salt-salt-1", &KdfParams { memory_ki_b: 1, ..p }).is_err());
    }
}
