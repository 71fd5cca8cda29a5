//! Zoho-shaped identifiers.
//!
//! Zoho ids are 64-bit integers of up to 19 digits, written as JSON strings: an org-specific
//! prefix followed by a sequence (`1697753000000015972`). Ours are built the same way:
//! `prefix * 10^12 + local`, where the 7-digit prefix is drawn at random when the org is created.
//! Every id is therefore above 2^53, so a client that turns ids into floating point numbers breaks
//! in its own tests rather than in production.

use rand::Rng;

/// The factor that separates an org's prefix from the local part of an id.
const LOCAL_SPAN: i64 = 1_000_000_000_000;
/// Org prefixes have exactly seven digits and keep every id within `i64`.
const PREFIX_MIN: i64 = 1_000_000;
const PREFIX_MAX: i64 = 9_223_371;
/// Local part of the org's own id.
const ORG_LOCAL: i64 = 1;
/// Local parts of permission ids: the catalogue index plus this base. Permissions are the same
/// for every profile of an org, so their ids are computed, never stored.
const PERMISSION_BASE: i64 = 10_000;
const PERMISSION_SPAN: i64 = 10_000;
/// The first local part handed to profiles and users, above every permission id.
pub const FIRST_ENTITY_LOCAL: i64 = 100_000;

/// Draws a fresh org prefix; the store retries on the rare collision.
pub fn random_org_prefix() -> i64 {
    rand::rng().random_range(PREFIX_MIN..=PREFIX_MAX)
}

pub fn org_id(prefix: i64) -> i64 {
    prefix * LOCAL_SPAN + ORG_LOCAL
}

pub fn entity_id(prefix: i64, local: i64) -> i64 {
    prefix * LOCAL_SPAN + local
}

pub fn permission_id(prefix: i64, index: usize) -> i64 {
    prefix * LOCAL_SPAN + PERMISSION_BASE + index as i64
}

/// The catalogue index a permission id stands for in the org with `prefix`, if any.
pub fn permission_index(prefix: i64, id: i64) -> Option<usize> {
    let local = id - prefix * LOCAL_SPAN;
    (PERMISSION_BASE..PERMISSION_BASE + PERMISSION_SPAN)
        .contains(&local)
        .then(|| (local - PERMISSION_BASE) as usize)
}

/// Parses an id written in a path or a query string: 1 to 19 ASCII digits that fit in `i64`.
pub fn parse_id(text: &str) -> Option<i64> {
    let digits_only =
        !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit());
    if !digits_only {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_nineteen_digits_and_beyond_float_precision() {
        for prefix in [PREFIX_MIN, PREFIX_MAX] {
            let id = entity_id(prefix, FIRST_ENTITY_LOCAL);
            assert_eq!(id.to_string().len(), 19);
            assert!(id > (1_i64 << 53));
        }
    }

    #[test]
    fn permission_ids_round_trip_only_within_their_org() {
        let id = permission_id(1_234_567, 42);
        assert_eq!(permission_index(1_234_567, id), Some(42));
        assert_eq!(permission_index(7_654_321, id), None);
        assert_eq!(permission_index(1_234_567, entity_id(1_234_567, FIRST_ENTITY_LOCAL)), None);
    }

    #[test]
    fn path_ids_must_be_plain_digits() {
        assert_eq!(parse_id("1234"), Some(1234));
        for bad in ["", "-1", "12a", " 1", "+1", "99999999999999999999", "9223372036854775808"] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }
}
