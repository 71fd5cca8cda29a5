//! Zoho's accounts server, as far as CRM clients need it: self clients, grant codes, refresh
//! and access tokens, and the limits Zoho puts on them.
//!
//! Every secret (client secret, grant code, refresh token, access token) is random and long, so
//! it is stored as its SHA-256 digest ([`super::token::digest`]); client secrets are compared as
//! digests in constant time.

use rand::Rng;
use rand::distr::Alphanumeric;
use subtle::ConstantTimeEq;

use super::token::{TokenDigest, digest};

/// Zoho's defaults, from its accounts server's token-limits page; each is configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLimits {
    /// Live access tokens one refresh token may have; minting another ends the oldest.
    pub access_tokens_per_refresh: i64,
    /// Access tokens one refresh token may mint per window.
    pub refreshes_per_window: i64,
    pub window_secs: i64,
    /// Lifetime of an access token.
    pub access_token_secs: i64,
}

impl Default for TokenLimits {
    fn default() -> Self {
        Self {
            access_tokens_per_refresh: 10,
            refreshes_per_window: 10,
            window_secs: 600,
            access_token_secs: super::token::DEFAULT_LIFETIME_SECS,
        }
    }
}

/// Lifetime of a grant code when none is asked for, and the longest allowed: Zoho's console
/// offers a few minutes for self-client codes.
pub const DEFAULT_CODE_SECS: i64 = 180;
pub const MAX_CODE_SECS: i64 = 600;

/// A new client's id (`1000.` + 30 upper-case letters and digits) and secret (42 hex digits),
/// shaped like Zoho's.
pub fn new_client() -> (String, String) {
    let mut rng = rand::rng();
    let id: String = (&mut rng)
        .sample_iter(Alphanumeric)
        .map(|b| (b as char).to_ascii_uppercase())
        .take(30)
        .collect();
    let secret: String =
        (0..42).map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0')).collect();
    (format!("1000.{id}"), secret)
}

/// Whether `id` has the shape of a client id; anything else is unknown without a lookup.
pub fn is_client_id(id: &str) -> bool {
    id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
}

/// Whether `secret` is the one whose digest was stored, without timing leaks.
pub fn secret_matches(secret: &str, stored: &TokenDigest) -> bool {
    digest(secret).0.ct_eq(&stored.0).into()
}

/// The org a client-credentials request names with `soid=ZohoCRM.<org id>`.
pub fn parse_soid(soid: &str) -> Option<i64> {
    let (service, org) = soid.split_once('.')?;
    if !service.eq_ignore_ascii_case("ZohoCRM") {
        return None;
    }
    super::ids::parse_id(org)
}

/// Scopes as requests send them (separated by commas, sometimes spaces), checked.
pub fn parse_scopes(text: &str) -> Option<Vec<String>> {
    let scopes: Vec<String> =
        text.split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let valid = !scopes.is_empty() && scopes.iter().all(|s| super::scope::is_well_formed(s));
    valid.then_some(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_have_zoho_shape() {
        let (id, secret) = new_client();
        assert!(id.starts_with("1000.") && id.len() == 35);
        assert!(id[5..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert_eq!(secret.len(), 42);
        assert!(secret_matches(&secret, &digest(&secret)));
        assert!(!secret_matches("nope", &digest(&secret)));
    }

    #[test]
    fn soid_and_scopes() {
        assert_eq!(parse_soid("ZohoCRM.1234"), Some(1234));
        assert_eq!(parse_soid("ZohoBooks.1234"), None);
        assert_eq!(parse_soid("ZohoCRM.x"), None);
        assert_eq!(
            parse_scopes("ZohoCRM.users.ALL,ZohoCRM.settings.profiles.ALL"),
            Some(vec!["ZohoCRM.users.ALL".into(), "ZohoCRM.settings.profiles.ALL".into()])
        );
        assert_eq!(parse_scopes(""), None);
        assert_eq!(parse_scopes("bad"), None);
    }
}
