//! Access tokens: their Zoho shape, how they are stored, and when they expire.
//!
//! A token is `1000.` + 32 hex + `.` + 32 hex, like Zoho's. Only its SHA-256 digest is stored:
//! tokens carry 256 random bits, so a fast hash is enough to make a leaked database useless for
//! calling the API, and lookups by digest need no comparison of secrets at all.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Lifetime of a token when none is asked for, as Zoho's accounts server grants.
pub const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// A freshly minted token: the clear text is shown once, the digest is stored.
pub struct Minted {
    pub token: String,
    pub digest: TokenDigest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenDigest(pub [u8; 32]);

pub fn mint() -> Minted {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("1000.{}.{}", hex::encode(&bytes[..16]), hex::encode(&bytes[16..]));
    let digest = digest(&token);
    Minted { token, digest }
}

pub fn digest(token: &str) -> TokenDigest {
    TokenDigest(Sha256::digest(token.as_bytes()).into())
}

/// A short, loggable id for a token: the first 8 hex digits of its digest. It identifies the
/// token in logs without revealing anything that could be used to call the API.
pub fn log_id(digest: &TokenDigest) -> String {
    hex::encode(&digest.0[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_zoho_shape_and_differ() {
        let a = mint();
        let b = mint();
        let parts: Vec<&str> = a.token.split('.').collect();
        assert_eq!(parts[0], "1000");
        assert!(
            parts[1..].iter().all(|p| p.len() == 32 && p.bytes().all(|c| c.is_ascii_hexdigit()))
        );
        assert_ne!(a.token, b.token);
        assert_eq!(digest(&a.token), a.digest);
    }
}
